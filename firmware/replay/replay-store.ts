import type { SlotStore } from "../storage/slot-store.js";
import { Reservoir, type ReservoirOptions } from "./reservoir.js";
import { decodeReservoir, reservoirParts } from "./reservoir-codec.js";

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
    return this.restore() ?? new Reservoir(this.#options);
  }

  /** The saved reservoir if there is one of the configured shape, else undefined. */
  restore(): Reservoir | undefined {
    const record = this.#store.load();
    if (record) {
      const r = decodeReservoir(record.payload);
      const o = this.#options;
      if (r.capacity === o.capacity && r.entryBytes === o.entryBytes && r.classes === o.classes && r.mode === o.mode) return r;
    }
    return undefined;
  }

  /** Sequence number of the current record (0: none). */
  get sequence(): number {
    return this.#store.sequence;
  }

  /** Commit the reservoir (written from its arrays in place); returns the record's sequence number. */
  save(reservoir: Reservoir): number {
    return this.#store.saveParts(reservoirParts(reservoir));
  }
}
