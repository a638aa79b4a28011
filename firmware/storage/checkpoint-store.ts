import type { Engine } from "../platform/engine.js";
import type { Log } from "../platform/log.js";
import type { SlotStore } from "./slot-store.js";

/** Bytes of the record head in front of the engine's checkpoint: adapter version, key. */
export const CHECKPOINT_RECORD_HEAD = 8;

/**
 * The full-precision checkpoint (engine "EPCK": masters, momentum, step) of the committed
 * adapter, in its own A/B SlotStore record, little-endian:
 *   uint32 adapter version | uint32 key | checkpoint
 *
 * It is written after the adapter record of the same commit, so a power cut between the two
 * leaves a checkpoint of an older version: the version tie makes a restart ignore it and resume
 * from the int8 adapter (as before checkpoints), never from a mismatched pair. The key is the
 * adapter record's (adapterKey: model + spec), so a firmware update that drops a stale adapter
 * drops its checkpoint too, before the engine sees it; the engine's own configuration hash would
 * miss e.g. a changed alpha.
 */
export class CheckpointStore {
  readonly key: number;
  readonly #store: SlotStore;
  readonly #head = new Uint8Array(CHECKPOINT_RECORD_HEAD);

  constructor(store: SlotStore, key: number) {
    this.#store = store;
    this.key = key >>> 0;
  }

  /** Payload bytes of a record holding a checkpoint of `checkpointBytes`. */
  static payloadBytes(checkpointBytes: number): number {
    return CHECKPOINT_RECORD_HEAD + checkpointBytes;
  }

  /** Written from the caller's buffer in place (no copy in the heap); returns the sequence. */
  save(version: number, checkpoint: Uint8Array): number {
    const v = new DataView(this.#head.buffer);
    v.setUint32(0, version, true);
    v.setUint32(4, this.key, true);
    return this.#store.saveParts([this.#head, checkpoint]);
  }

  /**
   * Put the checkpoint of adapter `version` (the one just restored) into the engine. Returns
   * true when imported; false when there is none for that version (the int8 adapter stands). A
   * record of another key or one the engine refuses would fail at every boot: it is erased and
   * the warning says why; a refused import leaves the engine as it was.
   */
  restore(engine: Engine, version: number, log: Log): boolean {
    const record = this.#store.load();
    if (!record) return false;
    const p = record.payload;
    let problem: string | undefined;
    if (p.length < CHECKPOINT_RECORD_HEAD) problem = `record of ${p.length} bytes is shorter than its head`;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    if (!problem && v.getUint32(4, true) !== this.key) problem = "made for another model or spec";
    if (!problem) {
      const saved = v.getUint32(0, true);
      if (saved !== version) {
        log.info(`agent: checkpoint of v${saved} does not match adapter v${version}: resuming from the int8 adapter`);
        return false;
      }
      try {
        engine.importCheckpoint(p.subarray(CHECKPOINT_RECORD_HEAD));
        return true;
      } catch (error: unknown) {
        problem = error instanceof Error ? error.message : String(error);
      }
    }
    log.warn(`agent: checkpoint not used (${problem}): record erased`);
    this.#store.clear();
    return false;
  }
}
