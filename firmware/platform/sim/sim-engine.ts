import type { Batch, Engine, EvalResult, ModelInfo, TrainOptions, TrainResult } from "../engine.js";
import { NativeEngine, type Bytes, type NativeEngineInfo } from "../../../native/xs/engine/engine.js";

/**
 * The Engine port over the native engine face (native/xs/engine). Nothing here is simulator
 * specific: the Moddable target builds the same class over a flash Resource. One output and
 * one latent buffer are allocated at construction; per call only results the port returns
 * fresh (infer's logits copy, exported adapters) are allocated.
 */
export class NativeEnginePort implements Engine {
  readonly info: ModelInfo & Pick<NativeEngineInfo, "paramCount" | "trainBytes">;
  readonly native: NativeEngine;
  readonly #output: Int8Array;
  readonly #initial: Uint8Array;

  /** model: a host buffer that stays in place (Resource); spec: the trainer's spec string. */
  constructor(model: Bytes, spec: string, arenaBytes: number) {
    this.native = new NativeEngine(model, spec, arenaBytes);
    this.info = this.native.info;
    this.#output = new Int8Array(this.info.classes);
    this.#initial = this.#export();
  }

  /** Model output (softmax probabilities for models ending in SOFTMAX) of one entry. */
  infer(input: Int8Array, latent = false): Int8Array {
    this.native.infer(input, latent, this.#output);
    return this.#output.slice();
  }

  /** Top class only, no allocation: the agent's hot path. */
  predict(input: Int8Array, latent = false): number {
    return this.native.infer(input, latent, this.#output);
  }

  /** The output buffer predict() filled, valid until the next call. */
  get lastOutput(): Int8Array {
    return this.#output;
  }

  latent(input: Int8Array): Int8Array {
    const out = new Int8Array(this.info.latentBytes);
    this.native.latent(input, out);
    return out;
  }

  trainStep(batch: Batch, _options?: TrainOptions): TrainResult {
    this.native.train(batch.data, batch.labels, batch.latent);
    return { loss: this.native.lastLoss, steps: batch.labels.length };
  }

  evaluate(batch: Batch): EvalResult {
    const correct = this.native.evaluate(batch.data, batch.labels, batch.latent);
    return { correct, count: batch.labels.length, loss: this.native.lastLoss };
  }

  exportAdapter(): ArrayBuffer {
    return this.#export().buffer as ArrayBuffer;
  }

  importAdapter(bytes: ArrayBuffer): void {
    this.native.importAdapter(bytes);
  }

  /** Back to the adapter the session started with (LoRA B = 0, bias deltas 0). */
  resetAdapter(): void {
    this.native.importAdapter(this.#initial);
  }

  consolidate(batch: Batch): void {
    this.native.consolidate(batch.data, batch.labels, batch.latent);
  }

  get steps(): number {
    return this.native.steps;
  }

  close(): void {
    this.native.close();
  }

  #export(): Uint8Array {
    const out = new Uint8Array(this.info.adapterBytes);
    const written = this.native.exportInto(out);
    return written === out.length ? out : out.slice(0, written);
  }
}
