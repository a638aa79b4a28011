import assert from "node:assert/strict";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { TableChecksum } from "../../firmware/platform/table-checksum.js";

const ascii = (s: string) => new TextEncoder().encode(s);

for (const [name, impl] of [["node:zlib", new ZlibChecksum()], ["table", new TableChecksum()]] as const) {
  describe(`CRC-32 port (${name})`, () => {
    it("gives the CRC-32/ISO-HDLC check values", () => {
      assert.equal(impl.crc32(ascii("123456789")), 0xcbf43926); // the catalogue's check value
      assert.equal(impl.crc32(new Uint8Array(0)), 0);
      assert.equal(impl.crc32(ascii("The quick brown fox jumps over the lazy dog")), 0x414fa339);
    });

    it("continues a running checksum", () => {
      assert.equal(impl.crc32(ascii("6789"), impl.crc32(ascii("12345"))), 0xcbf43926);
      assert.equal(impl.crc32(new Uint8Array(new ArrayBuffer(0)), 0x1234), 0x1234, "empty input keeps the running value");
    });
  });
}
