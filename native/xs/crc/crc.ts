// CRC-32 (IEEE, the same value as zlib's crc32) computed in C through an xsmc binding.

const crc32Native = native("xs_crc32") as (data: ArrayBuffer | Uint8Array, previous?: number) => number;

/**
 * CRC-32 of `data`; pass the previous result to continue over split data:
 * crc32(b, crc32(a)) === crc32(concat(a, b)).
 */
export function crc32(data: ArrayBuffer | ArrayBufferView, previous?: number): number {
  // The C side reads bytes: give it a byte view of any typed array or DataView.
  const bytes = data instanceof ArrayBuffer ? data : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return crc32Native(bytes, previous);
}
