import assert from "node:assert/strict";
import { Xorshift32 } from "../../firmware/replay/random.js";
import { Reservoir } from "../../firmware/replay/reservoir.js";
import { decodeReservoir, encodeReservoir } from "../../firmware/replay/reservoir-codec.js";
import { ReplayStore } from "../../firmware/replay/replay-store.js";
import { SlotStore } from "../../firmware/storage/slot-store.js";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";

const entry = (v: number, n = 4) => new Int8Array(n).fill(v);

describe("Xorshift32", () => {
  it("matches Marsaglia's xorshift32 (13,17,5) from seed 1 (reference computed in Python)", () => {
    const r = new Xorshift32(1);
    assert.deepEqual([r.next(), r.next(), r.next(), r.next(), r.next()], [270369, 67634689, 2647435461, 307599695, 2398689233]);
  });
});

describe("Reservoir (class-balanced, CBRS)", () => {
  it("keeps everything until full", () => {
    const r = new Reservoir({ capacity: 5, entryBytes: 4, classes: 3, mode: "raw", seed: 7 });
    for (let i = 0; i < 5; i++) assert.equal(r.offer(entry(i), i % 3), i);
    assert.deepEqual(Array.from(r.stored), [2, 2, 1]);
    assert.deepEqual(Array.from(r.entry(3)), [3, 3, 3, 3]);
  });

  it("balances an imbalanced stream: rare classes keep all their samples", () => {
    const r = new Reservoir({ capacity: 30, entryBytes: 1, classes: 3, mode: "latent", seed: 42 });
    const rng = new Xorshift32(5);
    const stream = [...new Array(1000).fill(0), ...new Array(100).fill(1), ...new Array(10).fill(2)];
    for (let i = stream.length - 1; i > 0; i--) { const j = rng.below(i + 1); [stream[i], stream[j]] = [stream[j]!, stream[i]!]; }
    for (const c of stream) r.offer(entry(c, 1), c);
    assert.equal(r.count, 30);
    assert.deepEqual(Array.from(r.seen), [1000, 100, 10]);
    assert.deepEqual(Array.from(r.stored), [10, 10, 10]);
    for (let i = 0; i < 30; i++) assert.equal(r.entry(i)[0], r.labels[i], "entries stay with their labels");
  });

  it("samples uniformly within a class: each item's inclusion rate is m/n", () => {
    // One class, capacity 10, stream of 100 distinct items: classic reservoir, P(kept) = 0.1 each.
    const kept = new Float64Array(100);
    const trials = 4000;
    for (let t = 0; t < trials; t++) {
      const r = new Reservoir({ capacity: 10, entryBytes: 1, classes: 1, mode: "raw", seed: t + 1 });
      for (let i = 0; i < 100; i++) r.offer(Int8Array.of(i - 50), 0);
      for (let i = 0; i < 10; i++) kept[r.entry(i)[0]! + 50]!++;
    }
    // Binomial(4000, 0.1): sd = 19; allow 5 sd per item; also early vs late items must agree.
    for (let i = 0; i < 100; i++) assert.ok(Math.abs(kept[i]! - 400) < 95, `item ${i} kept ${kept[i]} times`);
    const early = kept.slice(0, 50).reduce((a, b) => a + b, 0) / 50;
    const late = kept.slice(50).reduce((a, b) => a + b, 0) / 50;
    assert.ok(Math.abs(early - late) < 20, `early ${early} vs late ${late}`);
  });

  it("holds out about 1 in heldOutEvery entries and splits indices by it", () => {
    const r = new Reservoir({ capacity: 400, entryBytes: 1, classes: 2, mode: "raw", seed: 3, heldOutEvery: 4 });
    for (let i = 0; i < 400; i++) r.offer(entry(1, 1), i % 2);
    const held = r.indices(true).length;
    assert.ok(held > 70 && held < 130, `${held} held out of 400`);
    assert.equal(held + r.indices(false).length, 400);
    const batch = r.gather([0, 2]);
    assert.deepEqual(Array.from(batch.labels), [0, 0]);
  });

  it("rejects wrong sizes and labels", () => {
    const r = new Reservoir({ capacity: 2, entryBytes: 3, classes: 2, mode: "raw", seed: 1 });
    assert.throws(() => r.offer(entry(0, 2), 0), RangeError);
    assert.throws(() => r.offer(entry(0, 3), 2), RangeError);
  });

  it("round-trips through its byte image and keeps sampling identically", () => {
    const make = () => new Reservoir({ capacity: 8, entryBytes: 3, classes: 4, mode: "latent", seed: 11, heldOutEvery: 3 });
    const a = make();
    for (let i = 0; i < 20; i++) a.offer(entry(i, 3), i % 4);
    const b = decodeReservoir(encodeReservoir(a));
    assert.deepEqual([b.count, b.mode, Array.from(b.seen), Array.from(b.stored)], [a.count, "latent", Array.from(a.seen), Array.from(a.stored)]);
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
    for (let i = 20; i < 60; i++) assert.equal(b.offer(entry(i, 3), i % 3), a.offer(entry(i, 3), i % 3));
    assert.throws(() => decodeReservoir(encodeReservoir(a).subarray(0, 30)), RangeError);
  });
});

describe("ReplayStore (reservoir persisted through the Storage port)", () => {
  const crc = new ZlibChecksum();
  const options = { capacity: 16, entryBytes: 8, classes: 3, mode: "latent" as const, seed: 9 };

  it("restores the committed buffer after a restart; power cut at every unit keeps old or new", () => {
    const flash = new NorFlash(8, 256);
    const region = { firstSector: 0, sectorsPerSlot: 2, tag: 1 };
    const replay = new ReplayStore(new SlotStore(flash, crc, region), options);
    const r = replay.load();
    assert.equal(r.count, 0);
    for (let i = 0; i < 10; i++) r.offer(entry(i, 8), i % 3);
    replay.save(r);
    const oldImage = encodeReservoir(r);
    for (let i = 10; i < 30; i++) r.offer(entry(i, 8), i % 3);
    const newImage = encodeReservoir(r);
    const probe = new NorFlash(8, 256, flash.image.slice());
    new ReplayStore(new SlotStore(probe, crc, region), options).save(r);
    for (let cut = 0; cut <= probe.units; cut++) {
      const f = new NorFlash(8, 256, flash.image.slice());
      f.cutPowerAfter(cut);
      try { new ReplayStore(new SlotStore(f, crc, region), options).save(r); } catch (e) { assert.ok(e instanceof PowerCut); }
      const back = encodeReservoir(new ReplayStore(new SlotStore(new NorFlash(8, 256, f.image), crc, region), options).load());
      assert.deepEqual(Array.from(back), Array.from(cut < probe.units ? oldImage : newImage), `cut ${cut}`);
    }
  });

  it("starts fresh when the saved shape differs from the configuration", () => {
    const flash = new NorFlash(8, 256);
    const region = { firstSector: 0, sectorsPerSlot: 2, tag: 1 };
    const a = new ReplayStore(new SlotStore(flash, crc, region), options);
    const r = a.load();
    r.offer(entry(1, 8), 0);
    a.save(r);
    assert.equal(new ReplayStore(new SlotStore(flash, crc, region), { ...options, entryBytes: 4 }).load().count, 0);
    assert.equal(new ReplayStore(new SlotStore(flash, crc, region), options).load().count, 1);
  });
});
