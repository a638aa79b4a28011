import type { Engine } from "../platform/engine.js";
import type { Checksum } from "../platform/checksum.js";
import type { Log } from "../platform/log.js";
import type { SlotStore } from "../storage/slot-store.js";

export interface AdapterVersion {
  readonly slot: number;
  readonly version: number;
  /** Version this one was trained from (0: from the base model). */
  readonly parent: number;
  readonly bytes: number;
}

interface Resident {
  readonly version: AdapterVersion;
  readonly image: ArrayBuffer;
  used: number;
}

/** Bytes of the record head in front of the adapter image: version, parent, key. */
export const ADAPTER_RECORD_HEAD = 12;

/**
 * The adapter's compatibility key: CRC-32 over the model bytes, continued over the adapter spec
 * (UTF-16 code units, low byte first, so XS needs no TextEncoder). A firmware update that changes
 * the model or the spec changes the key, and the stored adapter is dropped before the engine
 * sees it: the engine's own checks catch a changed layout, not a changed model of the same shape
 * or a changed alpha.
 */
export function adapterKey(checksum: Checksum, model: Uint8Array, spec: string): number {
  const text = new Uint8Array(2 * spec.length);
  for (let i = 0; i < spec.length; i++) {
    const c = spec.charCodeAt(i);
    text[2 * i] = c & 0xff;
    text[2 * i + 1] = c >> 8;
  }
  return checksum.crc32(text, checksum.crc32(model)) >>> 0;
}

/**
 * Adapter slots (per user or per task), each persisted in its own power-safe SlotStore as
 * [uint32 version][uint32 parent][uint32 key][adapter image]. Images are cached in RAM up to the
 * board's budget; the least recently used one that is not active is evicted (it stays in flash).
 * activate() hot-swaps through engine.importAdapter: the base model is never reopened. A record
 * whose key is not this store's (another model or spec), or too short to hold its head, is not
 * a version: problem() says why, and invalidate() erases it.
 */
export class AdapterStore {
  readonly ramBytes: number;
  readonly key: number;
  readonly #engine: Engine;
  readonly #slots: readonly SlotStore[];
  readonly #resident = new Map<number, Resident>();
  #clock = 0;
  active = -1;

  constructor(engine: Engine, slots: readonly SlotStore[], ramBytes: number, key = 0) {
    this.#engine = engine;
    this.#slots = slots;
    this.ramBytes = ramBytes;
    this.key = key >>> 0;
  }

  get slots(): number {
    return this.#slots.length;
  }

  /** Bytes of adapter images held in RAM now. */
  get residentBytes(): number {
    let n = 0;
    for (const r of this.#resident.values()) n += r.image.byteLength;
    return n;
  }

  residentSlots(): number[] {
    return [...this.#resident.keys()].sort((a, b) => a - b);
  }

  /** The slot's committed version, from RAM or flash; undefined if the slot holds none usable. */
  version(slot: number): AdapterVersion | undefined {
    return this.#get(slot)?.version;
  }

  /** Why the slot's record cannot be used (undefined: empty or usable). */
  problem(slot: number): string | undefined {
    if (this.#resident.has(slot)) return undefined;
    const record = this.#store(slot).load();
    if (!record) return undefined;
    const p = record.payload;
    if (p.length < ADAPTER_RECORD_HEAD) return `adapter record of ${p.length} bytes is shorter than its ${ADAPTER_RECORD_HEAD}-byte head`;
    const key = new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(8, true);
    if (key !== this.key) return `adapter made for another model or spec (key ${hex(key)}, this firmware ${hex(this.key)})`;
    return undefined;
  }

  /** Erase the slot's record (both A/B copies) and forget its cached image. */
  invalidate(slot: number): void {
    this.#store(slot).clear();
    this.#resident.delete(slot);
    if (this.active === slot) this.active = -1;
  }

  /**
   * Commit a new version of a slot. The RAM budget is checked before the flash write, so a
   * commit either fails with nothing written or is in flash and cached: never in flash but
   * reported failed.
   */
  save(slot: number, image: ArrayBuffer): AdapterVersion {
    const store = this.#store(slot);
    const pinned = this.active !== slot ? this.#resident.get(this.active)?.image.byteLength ?? 0 : 0;
    if (image.byteLength + pinned > this.ramBytes) {
      throw new RangeError(`adapter of ${image.byteLength} bytes (+${pinned} active) exceeds the RAM budget ${this.ramBytes}`);
    }
    const parent = this.version(slot)?.version ?? 0;
    const version: AdapterVersion = { slot, version: parent + 1, parent, bytes: image.byteLength };
    const head = new Uint8Array(ADAPTER_RECORD_HEAD);
    const view = new DataView(head.buffer);
    view.setUint32(0, version.version, true);
    view.setUint32(4, parent, true);
    view.setUint32(8, this.key, true);
    store.saveParts([head, new Uint8Array(image)]);
    this.#cache(slot, { version, image: image.slice(0), used: 0 });
    return version;
  }

  /** Hot swap: make the slot's adapter the engine's current one. */
  activate(slot: number): AdapterVersion {
    const resident = this.#get(slot);
    if (!resident) throw new Error(`adapter slot ${slot} is empty${this.problem(slot) ? ` (${this.problem(slot)})` : ""}`);
    this.#engine.importAdapter(resident.image.slice(0));
    this.active = slot;
    return resident.version;
  }

  #store(slot: number): SlotStore {
    const store = this.#slots[slot];
    if (!store) throw new RangeError(`adapter slot ${slot} of ${this.#slots.length}`);
    return store;
  }

  #get(slot: number): Resident | undefined {
    const hit = this.#resident.get(slot);
    if (hit) {
      hit.used = ++this.#clock;
      return hit;
    }
    if (this.problem(slot)) return undefined;
    const record = this.#store(slot).load();
    if (!record) return undefined;
    const view = new DataView(record.payload.buffer, record.payload.byteOffset, record.payload.byteLength);
    const image = record.payload.slice(ADAPTER_RECORD_HEAD).buffer;
    const resident: Resident = {
      version: { slot, version: view.getUint32(0, true), parent: view.getUint32(4, true), bytes: image.byteLength },
      image,
      used: 0,
    };
    this.#cache(slot, resident);
    return resident;
  }

  #cache(slot: number, resident: Resident): void {
    if (resident.image.byteLength > this.ramBytes) throw new RangeError(`adapter of ${resident.image.byteLength} bytes exceeds the RAM budget ${this.ramBytes}`);
    resident.used = ++this.#clock;
    this.#resident.set(slot, resident);
    while (this.residentBytes > this.ramBytes) {
      let victim = -1;
      let oldest = Infinity;
      for (const [s, r] of this.#resident) if (s !== slot && s !== this.active && r.used < oldest) { oldest = r.used; victim = s; }
      if (victim < 0) throw new RangeError("RAM budget cannot hold the active adapter and this one");
      this.#resident.delete(victim);
    }
  }
}

/**
 * Boot: put the slot's committed adapter in the engine, or run on the base model. A record of
 * another model/spec, or one the engine refuses (its message is logged), must not stop the agent
 * from starting, and would fail the same way at every boot: it is erased, and the engine reset
 * to its initial adapter (the base model's behaviour) in case a refused import left it partly
 * written.
 */
export function restoreCommitted(store: AdapterStore, engine: Engine, log: Log, slot = 0): AdapterVersion | undefined {
  try {
    const problem = store.problem(slot);
    if (problem) throw new Error(problem);
    if (!store.version(slot)) return undefined;
    return store.activate(slot);
  } catch (error: unknown) {
    log.warn(`agent: committed adapter of slot ${slot} not used (${error instanceof Error ? error.message : String(error)}): base model, slot invalidated`);
    store.invalidate(slot);
    engine.resetAdapter();
    return undefined;
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
