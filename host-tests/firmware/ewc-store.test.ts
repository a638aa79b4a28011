// EwcStore: the engine's EWC image in an A/B SlotStore record. Oracles: the bytes saved, the
// record layout of the previous firmware (must count as none, not be misread), the engine
// double's penalty before and after a restore.
import assert from "node:assert/strict";
import { EwcStore, nextTask, restoreEwc } from "../../firmware/ewc/ewc-store.js";
import { SlotStore } from "../../firmware/storage/slot-store.js";
import { NorFlash } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { EngineDouble } from "./engine-double.js";

const crc = new ZlibChecksum();
const region = { firstSector: 0, sectorsPerSlot: 1, tag: 2 };

describe("EwcStore (engine EWC image persisted)", () => {
  it("saves and loads task, samples and the image byte for byte, across a reopen of the flash", () => {
    const flash = new NorFlash(4, 128);
    const image = Uint8Array.from({ length: 37 }, (_, i) => (i * 7 + 3) & 255);
    const seq = new EwcStore(new SlotStore(flash, crc, region)).save({ task: 2, samples: 100, state: image });
    const back = new EwcStore(new SlotStore(new NorFlash(4, 128, flash.image), crc, region));
    assert.equal(back.sequence, seq);
    const s = back.load();
    assert.ok(s);
    assert.deepEqual([s.task, s.samples, Array.from(s.state)], [2, 100, Array.from(image)]);
    assert.equal(EwcStore.payloadBytes(image.length), 12 + 37);
  });

  it("a record of the earlier layout (anchor + empty Fisher) counts as none", () => {
    const flash = new NorFlash(4, 128);
    const old = new Uint8Array(16 + 8);
    const v = new DataView(old.buffer);
    v.setUint32(0, 1, true); v.setUint32(4, 100, true); v.setUint32(8, 8, true); v.setUint32(12, 0, true);
    new SlotStore(flash, crc, region).save(old);
    assert.equal(new EwcStore(new SlotStore(flash, crc, region)).load(), undefined);
  });

  it("restoreEwc puts the saved penalty back and leaves the adapter alone", () => {
    const weights = Int8Array.from({ length: 12 }, (_, i) => i - 6);
    const a = new EngineDouble(weights, 3);
    a.importAdapter(Int32Array.of(5, -5, 1).buffer);
    a.consolidate({ data: Int8Array.of(1, 2, 3, 4, -1, -2, -3, -4), labels: Uint8Array.of(0, 2), latent: false });
    const flash = new NorFlash(4, 128);
    new EwcStore(new SlotStore(flash, crc, region)).save({ task: 1, samples: 2, state: new Uint8Array(a.exportEwc()) });
    const b = new EngineDouble(weights, 3);
    b.importAdapter(Int32Array.of(9, 9, 9).buffer);
    restoreEwc(b, new EwcStore(new SlotStore(flash, crc, region)).load()!);
    assert.deepEqual(Array.from(b.bias), [9, 9, 9]);
    assert.ok(a.penalty && b.penalty);
    assert.deepEqual([Array.from(b.penalty.fisher), Array.from(b.penalty.anchor), b.penalty.lambda],
      [Array.from(a.penalty.fisher), Array.from(a.penalty.anchor), a.penalty.lambda]);
    assert.ok(Array.from(a.penalty.fisher).some((f) => f > 0), "a zero Fisher would make the comparison weak");
  });

  it("numbers boundaries from the saved record, not a constant: next after a completed one, same after a cut", () => {
    const saved = { task: 3, samples: 10, state: Uint8Array.of(1) };
    assert.equal(nextTask(undefined, false), 1);
    assert.equal(nextTask(saved, true), 4, "the boundary of task 3 completed: the next one is 4");
    assert.equal(nextTask(saved, false), 3, "cut short (replay not saved): redone as task 3");
  });
});
