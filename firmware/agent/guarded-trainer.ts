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
 * Validate-then-commit: snapshot the adapter, train within the tick's budget on the replay
 * buffer's training entries, evaluate on its held-out slice, keep the candidate only if it
 * does not regress (accuracy, then loss on ties), else restore the snapshot.
 *
 * What a rollback restores (the engine port has no full-precision checkpoint): the snapshot is
 * an exported adapter, i.e. the int8 views the forward pass uses, so inference after a rollback
 * is exactly the snapshot's. The trainer is reset first, then the snapshot imported: master
 * weights are re-derived from the views (their low bits are lost), momentum is zeroed and the
 * step counter restarts, so the next step is the one a fresh session importing the snapshot
 * (e.g. after a reboot from the committed record) would take. The EWC state is kept.
 */
export class GuardedTrainer {
  readonly #engine: Engine;
  readonly #replay: Reservoir;
  readonly #budget: TickBudget;
  readonly #random: Xorshift32;
  readonly #options: GuardOptions;
  readonly #onCommit: ((adapter: ArrayBuffer) => void) | undefined;

  constructor(engine: Engine, replay: Reservoir, budget: TickBudget, random: Xorshift32, options: GuardOptions,
    onCommit?: (adapter: ArrayBuffer) => void) {
    this.#engine = engine;
    this.#replay = replay;
    this.#budget = budget;
    this.#random = random;
    this.#options = options;
    this.#onCommit = onCommit;
  }

  /** One tick of training; undefined when the buffer cannot support a validated round yet. */
  round(): RoundResult | undefined {
    const held = this.#replay.indices(true);
    const pool = this.#replay.indices(false);
    if (held.length < this.#options.minHeldOut || pool.length === 0) return undefined;
    const validation = this.#batch(held);
    const snapshot = this.#engine.exportAdapter();
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
    if (committed) this.#onCommit?.(this.#engine.exportAdapter());
    else {
      this.#engine.resetAdapter();
      this.#engine.importAdapter(snapshot);
    }
    return { steps, before, after, committed };
  }

  #batch(indices: readonly number[]): Batch {
    const { data, labels } = this.#replay.gather(indices);
    return { data, labels, latent: this.#replay.mode === "latent" };
  }
}
