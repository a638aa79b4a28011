import type { Batch, Engine, EvalResult, ModelInfo, TrainResult } from "../platform/engine.js";
import type { ContinualHooks, EvaluationSets } from "./hooks.js";

/**
 * The session as the agent sees it when continual-learning methods are selected: every call goes
 * to the wrapped engine, and the methods' hooks run where they belong (the Fisher's labels at the
 * task boundary's consolidate). The agent is unchanged; `report` gives the methods' figures.
 */
export class MethodEngine implements Engine {
  readonly info: ModelInfo;
  readonly #inner: Engine;
  readonly #hooks: ContinualHooks;
  readonly #beforeClose: ((engine: MethodEngine) => void) | undefined;

  /** beforeClose: runs when the agent closes the session, while it is still open (the report). */
  constructor(inner: Engine, hooks: ContinualHooks, beforeClose?: (engine: MethodEngine) => void) {
    this.#inner = inner;
    this.#hooks = hooks;
    this.#beforeClose = beforeClose;
    this.info = inner.info;
  }

  get name(): string {
    return this.#hooks.name;
  }

  report(sets: EvaluationSets): Record<string, unknown> {
    return this.#hooks.report?.(this.#inner, sets) ?? {};
  }

  consolidate(batch: Batch): void {
    this.#hooks.fisherLabels?.(this.#inner, batch);
    this.#inner.consolidate(batch);
  }

  infer(input: Int8Array, latent?: boolean): Int8Array {
    const out = this.#inner.infer(input, latent);
    return this.#hooks.filterOutput && !latent ? this.#hooks.filterOutput(input, out) : out;
  }
  latent(input: Int8Array): Int8Array { return this.#inner.latent(input); }
  trainStep(batch: Batch): TrainResult {
    this.#hooks.beforeTrain?.(this.#inner, batch);
    const r = this.#inner.trainStep(batch);
    this.#hooks.afterTrain?.(this.#inner, batch);
    return r;
  }
  evaluate(batch: Batch): EvalResult {
    this.#hooks.onEvaluate?.(this.#inner, batch);
    return this.#inner.evaluate(batch);
  }
  exportAdapter(): ArrayBuffer { return this.#inner.exportAdapter(); }
  importAdapter(bytes: ArrayBuffer | Uint8Array): void { this.#inner.importAdapter(bytes); }
  resetAdapter(): void { this.#inner.resetAdapter(); }
  exportEwc(): ArrayBuffer { return this.#inner.exportEwc(); }
  importEwc(bytes: ArrayBuffer): void { this.#inner.importEwc(bytes); }
  exportCheckpointInto(into: Uint8Array): number { return this.#inner.exportCheckpointInto(into); }
  importCheckpoint(bytes: Uint8Array): void { this.#inner.importCheckpoint(bytes); }
  setRates(learningRate: number, ewcLambda: number): void { this.#inner.setRates(learningRate, ewcLambda); }
  get steps(): number { return this.#inner.steps; }
  close(): void {
    try {
      this.#beforeClose?.(this);
    } finally {
      this.#inner.close();
    }
  }
}
