import type { Batch, Engine, EvalResult, TrainOptions } from "../platform/engine.js";
import type { Reservoir } from "../replay/reservoir.js";
import type { Xorshift32 } from "../replay/random.js";
import type { TickBudget } from "./tick-budget.js";

export interface GuardOptions {
  readonly batchSize: number;
  readonly train: TrainOptions;
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
      this.#engine.trainStep(this.#batch(pick), this.#options.train);
      return true;
    });
    const after = this.#engine.evaluate(validation);
    const floor = before.correct - this.#options.tolerance;
    const committed = after.correct > floor || (after.correct === floor && after.loss <= before.loss);
    if (committed) this.#onCommit?.(this.#engine.exportAdapter());
    else this.#engine.importAdapter(snapshot);
    return { steps, before, after, committed };
  }

  #batch(indices: readonly number[]): Batch {
    const { data, labels } = this.#replay.gather(indices);
    return { data, labels, latent: this.#replay.mode === "latent" };
  }
}
