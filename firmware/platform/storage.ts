/**
 * A flash partition with the shape of Moddable's `flash` module and NOR rules:
 * - erase(sector) sets the sector's blockSize bytes to 0xFF;
 * - write can only clear bits (stored = old & new), so rewriting needs an erase first;
 * - any access outside [0, byteLength) throws RangeError.
 * Offsets are byte offsets from the start of the partition.
 */
export interface Storage {
  readonly byteLength: number;
  /** Erase unit (sector size) in bytes. */
  readonly blockSize: number;
  erase(sector: number): void;
  read(offset: number, byteLength: number): ArrayBuffer;
  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void;
  /**
   * Optional: a read-only view of [offset, offset + byteLength) in place, no copy, where the
   * flash is memory-mapped; undefined (or absent) elsewhere. Valid until the range is written.
   */
  view?(offset: number, byteLength: number): Uint8Array | undefined;
}

/** Throws RangeError unless [offset, offset + byteLength) lies inside a partition of `size`. */
export function checkRange(offset: number, byteLength: number, size: number): void {
  if (!Number.isInteger(offset) || !Number.isInteger(byteLength) || offset < 0 || byteLength < 0
      || offset + byteLength > size) {
    throw new RangeError(`flash access [${offset}, ${offset + byteLength}) outside partition of ${size} bytes`);
  }
}

/** Bytes of a write argument as a Uint8Array view (no copy). */
export function bytesOf(buffer: ArrayBuffer | Uint8Array): Uint8Array {
  return buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
}
