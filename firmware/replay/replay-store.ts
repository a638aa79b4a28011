import type { SlotStore } from "./slot-store.js";
import { Reservoir, type ReservoirOptions } from "./reservoir.js";
import { decodeReservoir, encodeReservoir } from "./reservoir-codec.js";

/** The replay buffer's persistence: restore the last committed reservoir or start empty. */
export class ReplayStore {
  readonly #store: SlotStore;
  readonly #options: ReservoirOptions;

  constructor(store: SlotStore, options: ReservoirOptions) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * The saved reservoir if it matches the configured shape; otherwise a fresh one (a change of
   * model or board invalidates old entries rather than misreading them).
   */
  load(): Reservoir {
    const record = this.#store.load();
    if (record) {
      const r = decodeReservoir(record.payload);
      const o = this.#options;
      if (r.capacity === o.capacity && r.entryBytes === o.entryBytes && r.classes === o.classes && r.mode === o.mode) return r;
    }
    return new Reservoir(this.#options);
  }

  /** Commit the reservoir; returns the record's sequence number. */
  save(reservoir: Reservoir): number {
    return this.#store.save(encodeReservoir(reservoir));
  }
}
