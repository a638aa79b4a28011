/**
 * An adapter image (EPAD v2, docs/formats.md) as the flat vector a round averages: every tensor
 * record's elements in file order (int8 views, int32 bias deltas), as
 * fleet-server/edge_peft_fleet/adapter.py reads them. The scales are fixed by model and
 * configuration, so element differences are the update tensor by tensor.
 */
const HEAD = 76;
const RECORD_HEAD = 20;

export function adapterElements(image: Uint8Array): Int32Array {
  if (image.length < HEAD + 4 || image[0] !== 0x45 || image[1] !== 0x50 || image[2] !== 0x41 || image[3] !== 0x44) {
    throw new RangeError("adapter: not an EPAD image");
  }
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (v.getUint16(4, true) !== 2 || v.getUint16(6, true) !== HEAD) throw new RangeError("adapter: not EPAD version 2");
  const count = v.getUint16(30, true);
  // Two passes: the count first, so the vector is allocated once.
  let total = 0;
  let at = HEAD;
  for (let r = 0; r < count; r++) {
    if (at + RECORD_HEAD > image.length - 4) throw new RangeError("adapter: record head past the end");
    const elem = image[at + 2]!;
    const n = v.getUint16(at + 4, true) * v.getUint16(at + 6, true);
    if (elem !== 1 && elem !== 4) throw new RangeError(`adapter: element bytes ${elem}`);
    at += RECORD_HEAD + Math.ceil((n * elem) / 4) * 4;
    if (at > image.length - 4) throw new RangeError("adapter: record data past the end");
    total += n;
  }
  if (at !== image.length - 4) throw new RangeError("adapter: bytes after the last record");
  const out = new Int32Array(total);
  let k = 0;
  at = HEAD;
  for (let r = 0; r < count; r++) {
    const elem = image[at + 2]!;
    const n = v.getUint16(at + 4, true) * v.getUint16(at + 6, true);
    const data = at + RECORD_HEAD;
    for (let i = 0; i < n; i++) out[k++] = elem === 1 ? v.getInt8(data + i) : v.getInt32(data + 4 * i, true);
    at = data + Math.ceil((n * elem) / 4) * 4;
  }
  return out;
}
