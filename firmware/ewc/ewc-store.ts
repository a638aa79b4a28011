import type { Batch, Engine } from "../platform/engine.js";
import type { SlotStore } from "../replay/slot-store.js";

/** What the agent persists of EWC at a task boundary. */
export interface EwcState {
  /** Task counter (1 for the first boundary). */
  readonly task: number;
  /** Old-task examples the Fisher was estimated on. */
  readonly samples: number;
  /** theta*: the exportAdapter() image at the boundary. */
  readonly anchor: Uint8Array;
  /** The engine's Fisher image when the engine can export it (empty otherwise). */
  readonly fisher: Uint8Array;
}

/**
 * EWC state in its own A/B SlotStore record (DESIGN.md section 4), little-endian:
 *   uint32 task | uint32 samples | uint32 anchorBytes | uint32 fisherBytes | anchor | fisher
 *
 * Restoring: an engine that imports a Fisher gets it back as saved. The native trainer keeps
 * its Fisher in the arena with no export yet, so restore() re-estimates it exactly: the Fisher
 * is a deterministic function of the anchor weights and the old task's examples, which stay in
 * flash (a Resource on a board), so importing the anchor, consolidating on the same examples
 * and importing the committed adapter back rebuilds the same Fisher and anchor.
 */
export class EwcStore {
  readonly #store: SlotStore;

  constructor(store: SlotStore) {
    this.#store = store;
  }

  get sequence(): number {
    return this.#store.sequence;
  }

  save(state: EwcState): number {
    const head = new Uint8Array(16);
    const v = new DataView(head.buffer);
    v.setUint32(0, state.task, true);
    v.setUint32(4, state.samples, true);
    v.setUint32(8, state.anchor.length, true);
    v.setUint32(12, state.fisher.length, true);
    return this.#store.saveParts([head, state.anchor, state.fisher]);
  }

  /** The saved state, or undefined when none is valid (an inconsistent image counts as none). */
  load(): EwcState | undefined {
    const record = this.#store.load();
    if (!record || record.payload.length < 16) return undefined;
    const p = record.payload;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const anchorBytes = v.getUint32(8, true), fisherBytes = v.getUint32(12, true);
    if (p.length !== 16 + anchorBytes + fisherBytes) return undefined;
    return {
      task: v.getUint32(0, true), samples: v.getUint32(4, true),
      anchor: p.subarray(16, 16 + anchorBytes), fisher: p.subarray(16 + anchorBytes),
    };
  }
}

/**
 * Put a saved EWC state back into the engine, leaving `committed` (the adapter to continue
 * from) as the engine's current adapter. `oldTask` must be the examples the Fisher was
 * estimated on (state.samples of them); it is used only when the Fisher has to be re-estimated.
 */
export function restoreEwc(engine: Engine, state: EwcState, oldTask: Batch, committed: ArrayBuffer): void {
  if (state.fisher.length > 0 && engine.installPenalty) {
    engine.installPenalty(state.fisher.slice().buffer, state.anchor.slice().buffer, 1);
  } else {
    if (oldTask.labels.length !== state.samples) throw new RangeError(`EWC was estimated on ${state.samples} examples, ${oldTask.labels.length} given`);
    engine.importAdapter(state.anchor.slice().buffer);
    engine.consolidate(oldTask);
  }
  engine.importAdapter(committed);
}
