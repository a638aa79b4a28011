import type { Batch, Engine, EvalResult } from "../platform/engine.js";
import type { Reservoir } from "../replay/reservoir.js";
import type { Xorshift32 } from "../replay/random.js";
import type { TickBudget } from "./tick-budget.js";

export interface GuardOptions {
  readonly batchSize: number;
  /** Held-out entries needed before any training (too few make validation noise). */
  readonly minHeldOut: number;
  /** Correct answers the candidate may lose on the held-out slice and still be kept. */
  readonly tolerance: number;
}

export interface RoundResult {
  readonly steps: number;
  readonly before: EvalResult;
  readonly after: EvalResult;
  readonly committed: boolean;
}

/**
 * Called with each committed candidate: its exported adapter (a fresh ArrayBuffer the callee
 * may keep) and its full-precision checkpoint (the trainer's own buffer: read it before the
 * next round, do not keep it).
 */
export type CommitHandler = (adapter: ArrayBuffer, checkpoint: Uint8Array) => void;

/**
 * Validate-then-commit: snapshot the trainer, train within the tick's budget on the replay
 * buffer's training entries, evaluate on its held-out slice, keep the candidate only if it
 * does not regress (accuracy, then loss on ties), else restore the snapshot.
 *
 * The snapshot is the engine's full-precision checkpoint (master weights, momentum, step
 * counter), so a rollback puts the trainer back exactly: the next step is byte-identical to one
 * of a session that never ran the rejected round (an exported adapter would restore only the
 * int8 views). EWC state is not in it and is not touched by training. One buffer of
 * info.checkpointBytes is allocated here and reused by every round: the XS heap is too tight
 * for a snapshot per round. After a commit it holds the committed state, handed to onCommit.
 */
export class GuardedTrainer {
  readonly #engine: Engine;
  readonly #replay: Reservoir;
  readonly #budget: TickBudget;
  readonly #random: Xorshift32;
  readonly #options: GuardOptions;
  readonly #onCommit: CommitHandler | undefined;
  readonly #snapshot: Uint8Array;

  constructor(engine: Engine, replay: Reservoir, budget: TickBudget, random: Xorshift32, options: GuardOptions,
    onCommit?: CommitHandler) {
    this.#engine = engine;
    this.#replay = replay;
    this.#budget = budget;
    this.#random = random;
    this.#options = options;
    this.#onCommit = onCommit;
    this.#snapshot = new Uint8Array(engine.info.checkpointBytes);
  }

  /** One tick of training; undefined when the buffer cannot support a validated round yet. */
  round(): RoundResult | undefined {
    const held = this.#replay.indices(true);
    const pool = this.#replay.indices(false);
    if (held.length < this.#options.minHeldOut || pool.length === 0) return undefined;
    const validation = this.#batch(held);
    // Taken every round, not kept from the last commit: the task boundary (consolidate) or an
    // adapter swap may have changed the trainer since.
    this.#engine.exportCheckpointInto(this.#snapshot);
    const before = this.#engine.evaluate(validation);
    const steps = this.#budget.run(() => {
      const pick: number[] = [];
      for (let i = 0; i < this.#options.batchSize; i++) pick.push(pool[this.#random.below(pool.length)]);
      this.#engine.trainStep(this.#batch(pick));
      return true;
    });
    const after = this.#engine.evaluate(validation);
    const floor = before.correct - this.#options.tolerance;
    const committed = after.correct > floor || (after.correct === floor && after.loss <= before.loss);
    if (committed) {
      if (this.#onCommit) {
        this.#engine.exportCheckpointInto(this.#snapshot);
        this.#onCommit(this.#engine.exportAdapter(), this.#snapshot);
      }
    } else {
      this.#engine.importCheckpoint(this.#snapshot);
    }
    return { steps, before, after, committed };
  }

  #batch(indices: readonly number[]): Batch {
    const { data, labels } = this.#replay.gather(indices);
    return { data, labels, latent: this.#replay.mode === "latent" };
  }
}
