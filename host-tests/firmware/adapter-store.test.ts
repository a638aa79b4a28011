import assert from "node:assert/strict";
import { ADAPTER_RECORD_HEAD, AdapterStore, adapterKey, restoreCommitted } from "../../firmware/adapters/adapter-store.js";
import { SlotStore } from "../../firmware/storage/slot-store.js";
import { layoutStorage } from "../../firmware/storage/storage-layout.js";
import { NorFlash } from "../../firmware/platform/nor-flash.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import type { Log } from "../../firmware/platform/log.js";
import { EngineDouble } from "./engine-double.js";

const crc = new ZlibChecksum();
const i32 = (...v: number[]) => Int32Array.from(v);
const adapter = (v: number) => i32(v, -v).buffer; // 8 bytes, the double's adapter size
const layout = layoutStorage({ partition: "t", sectorBytes: 64, sectors: 16 },
  { replayBytes: 10, ewcBytes: 10, adapterBytes: 8 + ADAPTER_RECORD_HEAD, adapterSlots: 3 });
const make = (flash: NorFlash, ramBytes: number, key = 0) => {
  const engine = new EngineDouble(Int8Array.of(1, 0, 0, 1), 2);
  const stores = layout.adapters.map((r) => new SlotStore(flash, crc, r));
  return { engine, stores, store: new AdapterStore(engine, stores, ramBytes, key) };
};
const recorder = () => {
  const lines: string[] = [];
  const log: Log = { info: (m) => lines.push(m), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`), metric: () => {} };
  return { lines, log };
};

describe("AdapterStore (slots, versions, hot swap, eviction)", () => {
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

  it("checks the RAM budget before writing: a refused commit leaves flash unchanged", () => {
    const flash = new NorFlash(16, 64);
    const { store } = make(flash, 12); // holds one 8-byte image, not the active one and another
    store.save(0, adapter(1));
    store.activate(0);
    const image = flash.image.slice();
    assert.throws(() => store.save(1, adapter(2)), /RAM budget/);
    assert.deepEqual(flash.image, image, "nothing written for a commit reported failed");
    assert.equal(make(new NorFlash(16, 64, flash.image), 12).store.version(1), undefined);
    assert.deepEqual(store.save(0, adapter(4)), { slot: 0, version: 2, parent: 1, bytes: 8 }, "the active slot itself can be replaced");
  });

  it("a record shorter than its head is no version (no DataView RangeError), with a reason", () => {
    const { store, stores } = make(new NorFlash(16, 64), 64);
    stores[0]!.save(Uint8Array.of(1, 2, 3, 4, 5));
    assert.equal(store.version(0), undefined);
    assert.match(store.problem(0)!, /record of 5 bytes is shorter than its 12-byte head/);
    assert.throws(() => store.activate(0), /empty \(adapter record of 5 bytes/);
  });

  it("a record saved under another key (model or spec) is no version", () => {
    const flash = new NorFlash(16, 64);
    const model = Uint8Array.of(9, 8, 7, 6);
    const a = adapterKey(crc, model, "lora:rank=4,alpha=4,layers=0");
    const b = adapterKey(crc, model, "lora:rank=4,alpha=8,layers=0");
    const c = adapterKey(crc, Uint8Array.of(9, 8, 7, 5), "lora:rank=4,alpha=4,layers=0");
    assert.equal(new Set([a, b, c]).size, 3);
    // Oracle: CRC-32 of the model, continued over the spec's UTF-16LE code units.
    const utf16 = Uint8Array.from([..."lora:rank=4,alpha=4,layers=0"].flatMap((ch) => [ch.charCodeAt(0), 0]));
    assert.equal(a, crc.crc32(Buffer.concat([model, utf16])) >>> 0);
    make(flash, 64, a).store.save(0, adapter(3));
    assert.deepEqual(make(new NorFlash(16, 64, flash.image), 64, a).store.version(0), { slot: 0, version: 1, parent: 0, bytes: 8 });
    const other = make(new NorFlash(16, 64, flash.image), 64, b).store;
    assert.equal(other.version(0), undefined);
    assert.match(other.problem(0)!, /another model or spec/);
  });
});

describe("restoreCommitted (boot with a stale or refused adapter)", () => {
  it("activates a usable committed adapter, and reports none for an empty slot", () => {
    const flash = new NorFlash(16, 64);
    make(flash, 64, 7).store.save(0, adapter(5));
    const { store, engine } = make(new NorFlash(16, 64, flash.image), 64, 7);
    const { lines, log } = recorder();
    assert.deepEqual(restoreCommitted(store, engine, log), { slot: 0, version: 1, parent: 0, bytes: 8 });
    assert.deepEqual(Array.from(engine.bias), [5, -5]);
    assert.equal(restoreCommitted(store, engine, log, 1), undefined);
    assert.deepEqual(lines, []);
  });

  it("a stale key: base model, logged, slot erased so the next boot does not retry", () => {
    const flash = new NorFlash(16, 64);
    make(flash, 64, 1).store.save(0, adapter(5));
    const { store, engine } = make(new NorFlash(16, 64, flash.image), 64, 2);
    engine.bias = i32(9, 9);
    const { lines, log } = recorder();
    assert.equal(restoreCommitted(store, engine, log), undefined);
    assert.deepEqual(Array.from(engine.bias), [0, 0], "the initial adapter: base model behaviour");
    assert.equal(engine.imports, 0, "the engine never saw the stale image");
    assert.match(lines.join("\n"), /^warn agent: committed adapter of slot 0 not used \(adapter made for another model or spec .*\): base model, slot invalidated$/);
    assert.equal(new SlotStore(new NorFlash(16, 64, flash.image), crc, layout.adapters[0]!).load(), undefined, "both A/B copies erased");
  });

  it("an image the engine refuses: its message logged, base model, slot invalidated, later commits work", () => {
    const flash = new NorFlash(16, 64);
    const { store, engine } = make(flash, 64, 3);
    store.save(0, i32(1, 2, 3).buffer); // 12 bytes: the double takes 8 ("adapter size")
    const restarted = make(new NorFlash(16, 64, flash.image), 64, 3);
    const { lines, log } = recorder();
    assert.equal(restoreCommitted(restarted.store, restarted.engine, log), undefined);
    assert.match(lines.join("\n"), /^warn agent: committed adapter of slot 0 not used \(adapter size\): base model, slot invalidated$/);
    assert.equal(restarted.store.version(0), undefined);
    assert.deepEqual(restarted.store.save(0, adapter(4)), { slot: 0, version: 1, parent: 0, bytes: 8 });
    assert.equal(engine.imports, 0);
  });
});
