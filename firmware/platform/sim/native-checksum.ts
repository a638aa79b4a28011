import { crc32 } from "../../../native/xs/crc/crc.js";
import type { Checksum } from "../checksum.js";

/** CRC-32 in C through the xsmc binding (native/xs/crc). */
export class NativeChecksum implements Checksum {
  crc32(bytes: Uint8Array, previous = 0): number {
    return bytes.length === 0 ? previous >>> 0 : crc32(bytes, previous) >>> 0;
  }
}
