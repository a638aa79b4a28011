/**
 * CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320, init and xorout 0xFFFFFFFF) as a port,
 * so each target uses its fastest implementation (node:zlib, an xsmc host function).
 * `previous` continues a running checksum: crc32(b, crc32(a)) == crc32(a ++ b).
 */
export interface Checksum {
  crc32(bytes: Uint8Array, previous?: number): number;
}
