import { crc32 } from "node:zlib";
import type { Checksum } from "../checksum.js";

/** CRC-32 from node:zlib (same polynomial and conventions as the port requires). */
export class ZlibChecksum implements Checksum {
  crc32(bytes: Uint8Array, previous = 0): number {
    // zlib.crc32 returns 0, not `previous`, for a view on a zero-length ArrayBuffer (Node 20).
    if (bytes.length === 0) return previous >>> 0;
    return crc32(bytes, previous) >>> 0;
  }
}
