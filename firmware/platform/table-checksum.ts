import type { Checksum } from "./checksum.js";

/**
 * CRC-32 in plain JavaScript (256-entry table, 1 KB): the fallback for targets without a
 * native one. Same conventions as zlib's crc32.
 */
export class TableChecksum implements Checksum {
  readonly #table = new Uint32Array(256);

  constructor() {
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      this.#table[n] = c >>> 0;
    }
  }

  crc32(bytes: Uint8Array, previous = 0): number {
    const table = this.#table;
    let c = (previous ^ 0xffffffff) >>> 0;
    for (let i = 0; i < bytes.length; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
}
