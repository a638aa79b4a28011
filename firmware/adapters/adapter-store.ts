import type { Engine } from "../platform/engine.js";
import type { SlotStore } from "../replay/slot-store.js";

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

/**
 * Adapter slots (per user or per task), each persisted in its own power-safe SlotStore as
 * [uint32 version][uint32 parent][adapter image]. Images are cached in RAM up to the board's
 * budget; the least recently used one that is not active is evicted (it stays in flash).
 * activate() hot-swaps through engine.importAdapter: the base model is never reopened.
 */
export class AdapterStore {
  readonly ramBytes: number;
  readonly #engine: Engine;
  readonly #slots: readonly SlotStore[];
  readonly #resident = new Map<number, Resident>();
  #clock = 0;
  active = -1;

  constructor(engine: Engine, slots: readonly SlotStore[], ramBytes: number) {
    this.#engine = engine;
    this.#slots = slots;
    this.ramBytes = ramBytes;
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

  /** The slot's committed version, from RAM or flash; undefined if the slot is empty. */
  version(slot: number): AdapterVersion | undefined {
    return this.#get(slot)?.version;
  }

  /** Commit a new version of a slot (persist first, then cache). */
  save(slot: number, image: ArrayBuffer): AdapterVersion {
    const store = this.#store(slot);
    const parent = this.version(slot)?.version ?? 0;
    const version: AdapterVersion = { slot, version: parent + 1, parent, bytes: image.byteLength };
    const record = new Uint8Array(8 + image.byteLength);
    const view = new DataView(record.buffer);
    view.setUint32(0, version.version, true);
    view.setUint32(4, parent, true);
    record.set(new Uint8Array(image), 8);
    store.save(record);
    this.#cache(slot, { version, image: image.slice(0), used: 0 });
    return version;
  }

  /** Hot swap: make the slot's adapter the engine's current one. */
  activate(slot: number): AdapterVersion {
    const resident = this.#get(slot);
    if (!resident) throw new Error(`adapter slot ${slot} is empty`);
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
    const record = this.#store(slot).load();
    if (!record) return undefined;
    const view = new DataView(record.payload.buffer, record.payload.byteOffset, record.payload.byteLength);
    const image = record.payload.slice(8).buffer;
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
