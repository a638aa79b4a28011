import assert from "node:assert/strict";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { SlotStore, HEADER_BYTES } from "../../firmware/storage/slot-store.js";

const crc = new ZlibChecksum();
const SECTOR = 64;
const options = { firstSector: 1, sectorsPerSlot: 2, tag: 7 };
const payload = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 0xff);
const bytesOf = (r: { payload: Uint8Array } | undefined) => (r ? Array.from(r.payload) : undefined);

describe("SlotStore (A/B records, CRC-32, power-loss safe)", () => {
  it("is empty on a fresh partition, then returns the last saved record", () => {
    const flash = new NorFlash(6, SECTOR);
    const store = new SlotStore(flash, crc, options);
    assert.equal(store.load(), undefined);
    assert.equal(store.capacity, 2 * SECTOR - HEADER_BYTES);
    assert.equal(store.save(payload(50, 1)), 1);
    assert.equal(store.save(payload(90, 2)), 2);
    const again = new SlotStore(new NorFlash(6, SECTOR, flash.image), crc, options).load();
    assert.deepEqual(bytesOf(again), Array.from(payload(90, 2)));
    assert.equal(again!.sequence, 2);
  });

  it("writes the documented header: magic, version, tag, length, sequence, CRC-32", () => {
    const flash = new NorFlash(6, SECTOR);
    const p = payload(10, 3);
    new SlotStore(flash, crc, options).save(p);
    const h = Buffer.from(flash.image.subarray(SECTOR, SECTOR + HEADER_BYTES));
    assert.equal(h.toString("ascii", 0, 4), "EPSS");
    assert.deepEqual([h.readUInt16LE(4), h.readUInt16LE(6), h.readUInt32LE(8), h.readUInt32LE(12)], [1, 7, 10, 1]);
    assert.equal(h.readUInt32LE(16), crc.crc32(Buffer.concat([h.subarray(0, 16), p])));
    assert.deepEqual(Array.from(flash.image.subarray(0, SECTOR)), new Array(SECTOR).fill(0xff), "sector before the store untouched");
  });

  it("ignores a record with a bad CRC, another tag or a torn header, falling back to the other slot", () => {
    const flash = new NorFlash(6, SECTOR);
    const store = new SlotStore(flash, crc, options);
    store.save(payload(20, 1));
    store.save(payload(20, 2)); // slot B (sector 3)
    flash.image[3 * SECTOR + HEADER_BYTES + 5]! ^= 0x01; // NOR cannot set bits, but a bad cell can
    assert.deepEqual(bytesOf(new SlotStore(flash, crc, options).load()), Array.from(payload(20, 1)));
    assert.equal(new SlotStore(flash, crc, { ...options, tag: 8 }).load(), undefined);
  });

  it("orders sequence numbers across the uint32 wrap", () => {
    const flash = new NorFlash(6, SECTOR);
    const store = new SlotStore(flash, crc, options);
    store.save(payload(4, 1));
    // Forge slot A's sequence to 0xFFFFFFFF with a valid CRC, then save: the new one (0) wins.
    const h = Buffer.from(flash.image.subarray(SECTOR, SECTOR + HEADER_BYTES));
    flash.erase(1); flash.erase(2);
    h.writeUInt32LE(0xffffffff, 12);
    h.writeUInt32LE(crc.crc32(Buffer.concat([h.subarray(0, 16), payload(4, 1)])), 16);
    flash.write(SECTOR + HEADER_BYTES, 4, payload(4, 1));
    flash.write(SECTOR, HEADER_BYTES, h);
    const s2 = new SlotStore(flash, crc, options);
    assert.equal(s2.load()!.sequence, 0xffffffff);
    assert.equal(s2.save(payload(4, 9)), 0);
    assert.deepEqual(bytesOf(new SlotStore(flash, crc, options).load()), Array.from(payload(4, 9)));
  });

  it("refuses a record larger than a slot and a layout past the partition", () => {
    const flash = new NorFlash(6, SECTOR);
    assert.throws(() => new SlotStore(flash, crc, options).save(new Uint8Array(2 * SECTOR)), RangeError);
    assert.throws(() => new SlotStore(flash, crc, { firstSector: 3, sectorsPerSlot: 2, tag: 1 }), RangeError);
  });

  it("power cut at EVERY unit of a save leaves the old record or the new one, never neither", () => {
    for (const size of [0, 1, 45, 2 * SECTOR - HEADER_BYTES]) {
      // Baseline: the store already holds two records (both slots in use), the common case.
      const base = new NorFlash(6, SECTOR);
      const seed = new SlotStore(base, crc, options);
      seed.save(payload(33, 1));
      seed.save(payload(70, 2));
      const oldBytes = Array.from(payload(70, 2));
      const newBytes = Array.from(payload(size, 3));
      const probe = new NorFlash(6, SECTOR, base.image.slice());
      new SlotStore(probe, crc, options).save(payload(size, 3));
      const total = probe.units;
      assert.equal(total, Math.ceil((HEADER_BYTES + size) / SECTOR) + HEADER_BYTES + size, "erases + bytes of one save");
      let sawOld = 0;
      let sawNew = 0;
      for (let cut = 0; cut <= total; cut++) {
        const flash = new NorFlash(6, SECTOR, base.image.slice());
        flash.cutPowerAfter(cut);
        try {
          new SlotStore(flash, crc, options).save(payload(size, 3));
        } catch (error) {
          assert.ok(error instanceof PowerCut);
        }
        const rebooted = new NorFlash(6, SECTOR, flash.image);
        const store = new SlotStore(rebooted, crc, options);
        const got = bytesOf(store.load());
        if (cut < total) assert.deepEqual(got, oldBytes, `size ${size}, cut after ${cut}/${total}: old state expected`);
        else assert.deepEqual(got, newBytes, `size ${size}: completed save must be visible`);
        if (got && got.length === oldBytes.length && got.every((v, i) => v === oldBytes[i])) sawOld++; else sawNew++;
        // The device keeps working after the reboot: the next save lands and wins.
        store.save(payload(12, 4));
        assert.deepEqual(bytesOf(new SlotStore(rebooted, crc, options).load()), Array.from(payload(12, 4)));
      }
      assert.equal(sawOld, total);
      assert.equal(sawNew, 1);
    }
  });

  it("clear() invalidates both copies; a cut during it leaves the old record or none, never another", () => {
    const base = new NorFlash(6, SECTOR);
    const store = new SlotStore(base, crc, options);
    store.save(payload(30, 1));
    store.save(payload(40, 2)); // both slots hold a record
    for (let cut = 0; cut <= 2; cut++) {
      const flash = new NorFlash(6, SECTOR, base.image.slice());
      flash.cutPowerAfter(cut);
      try { new SlotStore(flash, crc, options).clear(); } catch (error) { assert.ok(error instanceof PowerCut); }
      const got = bytesOf(new SlotStore(new NorFlash(6, SECTOR, flash.image), crc, options).load());
      if (cut === 2) assert.equal(got, undefined, "both erased");
      else if (cut === 0) assert.deepEqual(got, Array.from(payload(40, 2)), "nothing erased: the current record");
      else assert.equal(got, undefined, "older copy erased, the current one's header sector half erased");
    }
    const flash = new NorFlash(6, SECTOR, base.image.slice());
    const cleared = new SlotStore(flash, crc, options);
    cleared.clear();
    assert.equal(cleared.sequence, 0);
    assert.equal(cleared.save(payload(8, 5)), 1, "a cleared store starts a new sequence");
  });
});
