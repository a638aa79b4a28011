import assert from "node:assert/strict";
import { EwcBook } from "../../firmware/ewc/ewc-book.js";
import { AdapterStore } from "../../firmware/adapters/adapter-store.js";
import { SlotStore } from "../../firmware/replay/slot-store.js";
import { layoutStorage } from "../../firmware/replay/storage-layout.js";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { EngineDouble } from "./engine-double.js";

const crc = new ZlibChecksum();
const i32 = (...v: number[]) => Int32Array.from(v);

describe("EwcBook (online EWC bookkeeping)", () => {
  it("merges Fisher as (F >> shift) + F_task, saturating, and moves the anchor", () => {
    const book = new EwcBook(1);
    book.consolidate(1, i32(100, 7, 0), i32(5, 6, 7).buffer, 30);
    book.consolidate(2, i32(10, 1, 0x7fffffff), i32(8, 9, 10).buffer, 12);
    assert.deepEqual(Array.from(book.fisher!), [60, 4, 0x7fffffff]); // 100/2+10, 7/2+1 (floor), saturated
    assert.deepEqual(Array.from(new Int32Array(book.anchor!.slice().buffer)), [8, 9, 10]);
    assert.deepEqual(book.tasks, [{ task: 1, samples: 30 }, { task: 2, samples: 12 }]);
    assert.throws(() => book.consolidate(3, i32(1, 2), i32(1, 2).buffer, 1), RangeError);
    assert.throws(() => new EwcBook(1).consolidate(1, i32(-1), i32(0).buffer, 1), RangeError);
  });

  it("installs its penalty in the engine, and none before the first task", () => {
    const engine = new EngineDouble(Int8Array.of(1, 0, 0, 1), 2);
    const book = new EwcBook(0);
    book.apply(engine, 2);
    assert.equal(engine.penalty, undefined);
    book.consolidate(1, i32(65536, 0), i32(256, -256).buffer, 4);
    book.apply(engine, 2);
    assert.deepEqual([Array.from(engine.penalty!.fisher), Array.from(engine.penalty!.anchor), engine.penalty!.lambda], [[65536, 0], [256, -256], 2]);
  });

  it("persists through a SlotStore and survives a power cut during the next save", () => {
    const book = new EwcBook(2);
    book.consolidate(4, i32(1, 2, 3), Uint8Array.of(9, 8, 7, 6).buffer, 50);
    const flash = new NorFlash(4, 128);
    const region = { firstSector: 0, sectorsPerSlot: 1, tag: 2 };
    new SlotStore(flash, crc, region).save(book.encode());
    const saved = Array.from(book.encode());
    book.consolidate(5, i32(4, 4, 4), Uint8Array.of(1, 1, 1, 1).buffer, 9);
    flash.cutPowerAfter(30);
    assert.throws(() => new SlotStore(flash, crc, region).save(book.encode()), PowerCut);
    const back = EwcBook.decode(new SlotStore(new NorFlash(4, 128, flash.image), crc, region).load()!.payload);
    assert.deepEqual(Array.from(back.encode()), saved);
    assert.deepEqual([back.decayShift, back.tasks, Array.from(back.fisher!), Array.from(back.anchor!)], [2, [{ task: 4, samples: 50 }], [1, 2, 3], [9, 8, 7, 6]]);
  });
});

describe("AdapterStore (slots, versions, hot swap, eviction)", () => {
  const adapter = (v: number) => i32(v, -v).buffer; // 8 bytes, the double's adapter size
  const make = (flash: NorFlash, ramBytes: number) => {
    const engine = new EngineDouble(Int8Array.of(1, 0, 0, 1), 2);
    const layout = layoutStorage({ partition: "t", sectorBytes: 64, sectors: 16 }, { replayBytes: 10, ewcBytes: 10, adapterBytes: 8, adapterSlots: 3 });
    const stores = layout.adapters.map((r) => new SlotStore(flash, crc, r));
    return { engine, store: new AdapterStore(engine, stores, ramBytes) };
  };

  it("versions each slot (parent chain) and keeps them across a restart", () => {
    const flash = new NorFlash(16, 64);
    const { store } = make(flash, 64);
    assert.equal(store.version(0), undefined);
    assert.deepEqual(store.save(0, adapter(1)), { slot: 0, version: 1, parent: 0, bytes: 8 });
    assert.deepEqual(store.save(0, adapter(2)), { slot: 0, version: 2, parent: 1, bytes: 8 });
    assert.deepEqual(store.save(2, adapter(7)), { slot: 2, version: 1, parent: 0, bytes: 8 });
    const { store: after, engine } = make(new NorFlash(16, 64, flash.image), 64);
    assert.deepEqual(after.version(0), { slot: 0, version: 2, parent: 1, bytes: 8 });
    after.activate(2);
    assert.deepEqual(Array.from(engine.bias), [7, -7]);
  });

  it("hot-swaps adapters through importAdapter without reopening the model", () => {
    const { store, engine } = make(new NorFlash(16, 64), 64);
    store.save(0, adapter(3));
    store.save(1, adapter(5));
    store.activate(0);
    assert.deepEqual(Array.from(engine.bias), [3, -3]);
    store.activate(1);
    assert.deepEqual(Array.from(engine.bias), [5, -5]);
    assert.equal(engine.imports, 2);
    assert.equal(store.active, 1);
    assert.throws(() => store.activate(2), /empty/);
    assert.throws(() => store.save(3, adapter(1)), RangeError);
  });

  it("evicts the least recently used non-active adapter to stay within the RAM budget", () => {
    const { store } = make(new NorFlash(16, 64), 16); // room for two 8-byte images
    store.save(0, adapter(1));
    store.save(1, adapter(2));
    store.activate(0); // 0 active and most recent
    store.save(2, adapter(3)); // must evict 1 (LRU, not active)
    assert.deepEqual(store.residentSlots(), [0, 2]);
    assert.ok(store.residentBytes <= 16);
    assert.deepEqual(store.version(1), { slot: 1, version: 1, parent: 0, bytes: 8 }, "evicted from RAM, still in flash");
    assert.deepEqual(store.residentSlots(), [0, 1], "reloading 1 evicted 2, never the active 0");
    assert.throws(() => make(new NorFlash(16, 64), 4).store.save(0, adapter(1)), RangeError);
  });

  it("layoutStorage refuses a partition too small for the configuration", () => {
    assert.throws(() => layoutStorage({ partition: "p", sectorBytes: 64, sectors: 8 }, { replayBytes: 200, ewcBytes: 10, adapterBytes: 8, adapterSlots: 2 }), /needs 14 sectors/);
  });
});
