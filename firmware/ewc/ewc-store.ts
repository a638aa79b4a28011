import type { Engine } from "../platform/engine.js";
import type { SlotStore } from "../storage/slot-store.js";

/** What the agent persists of EWC at a task boundary. */
export interface EwcState {
  /** Task counter (1 for the first boundary). */
  readonly task: number;
  /** Old-task examples the Fisher was estimated on (for the log and the task history). */
  readonly samples: number;
  /** The engine's EWC image (engine.exportEwc(): Fisher + anchor theta*, self-checked). */
  readonly state: Uint8Array;
}

/** Bytes of the record header in front of the engine's image. */
export const EWC_RECORD_HEAD = 12;

/**
 * EWC state in its own A/B SlotStore record (DESIGN.md section 4), little-endian:
 *   uint32 task | uint32 samples | uint32 stateBytes | state
 *
 * The state is the engine's own image (Fisher and anchor together, versioned, with its own
 * CRC-32 inside the record's), so a restart puts EWC back by importing it: no re-estimation,
 * and the old task's examples need not be kept or read again. A record of an earlier layout
 * (anchor + empty Fisher, 16-byte head) fails the length check and counts as none.
 */
export class EwcStore {
  readonly #store: SlotStore;

  constructor(store: SlotStore) {
    this.#store = store;
  }

  get sequence(): number {
    return this.#store.sequence;
  }

  /** Payload bytes of a record holding an engine image of `stateBytes`. */
  static payloadBytes(stateBytes: number): number {
    return EWC_RECORD_HEAD + stateBytes;
  }

  save(state: EwcState): number {
    const head = new Uint8Array(EWC_RECORD_HEAD);
    const v = new DataView(head.buffer);
    v.setUint32(0, state.task, true);
    v.setUint32(4, state.samples, true);
    v.setUint32(8, state.state.length, true);
    return this.#store.saveParts([head, state.state]);
  }

  /** The saved state, or undefined when none is valid (an inconsistent image counts as none). */
  load(): EwcState | undefined {
    const record = this.#store.load();
    if (!record || record.payload.length < EWC_RECORD_HEAD) return undefined;
    const p = record.payload;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const stateBytes = v.getUint32(8, true);
    if (stateBytes === 0 || p.length !== EWC_RECORD_HEAD + stateBytes) return undefined;
    return { task: v.getUint32(0, true), samples: v.getUint32(4, true), state: p.subarray(EWC_RECORD_HEAD) };
  }
}

/**
 * The task number of the next boundary's record. Task numbers count boundaries: after one that
 * completed (its record restored, `completed`), the next task is one more; a boundary cut short
 * (EWC saved, replay not) is redone under its own number; with no record, task 1.
 */
export function nextTask(saved: EwcState | undefined, completed: boolean): number {
  if (!saved) return 1;
  return completed ? saved.task + 1 : saved.task;
}

/**
 * Put a saved EWC state back into the engine. The current adapter is not touched, so the order
 * against restoring the committed adapter does not matter. Throws (engine unchanged) when the
 * engine refuses the image: another model or adapter configuration, or a damaged image.
 */
export function restoreEwc(engine: Engine, state: EwcState): void {
  engine.importEwc(state.state.slice().buffer);
}
