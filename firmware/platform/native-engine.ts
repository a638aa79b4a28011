import type { Batch, Engine, EvalResult, ModelInfo, TrainResult } from "./engine.js";
import { NativeEngine, type Bytes } from "../../native/xs/engine/engine.js";

/**
 * The Engine port over the native engine face (native/xs/engine). Target-neutral: the simulator
 * builds it over a SimResource, the Moddable target over a flash Resource. One output buffer is
 * allocated at construction; per call only results the port returns fresh (infer's logits copy,
 * exported adapters and EWC images) are allocated; checkpoints go into the caller's buffer.
 */
export class NativeEnginePort implements Engine {
  readonly info: ModelInfo;
  readonly native: NativeEngine;
  readonly #output: Int8Array;

  /**
   * model: a host buffer that stays in place (Resource); spec: the trainer's spec string;
   * modelSha256: the model's SHA-256 from the Crypto port, so adapters made by `edge-peft
   * train` for this model import (absent: the zero identity).
   */
  constructor(model: Bytes, spec: string, arenaBytes: number, modelSha256?: Uint8Array) {
    this.native = new NativeEngine(model, spec, arenaBytes, modelSha256);
    this.info = this.native.info;
    this.#output = new Int8Array(this.info.classes);
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

  trainStep(batch: Batch): TrainResult {
    this.native.train(batch.data, batch.labels, batch.latent);
    return { loss: this.native.lastLoss, steps: batch.labels.length };
  }

  evaluate(batch: Batch): EvalResult {
    const correct = this.native.evaluate(batch.data, batch.labels, batch.latent);
    return { correct, count: batch.labels.length, loss: this.native.lastLoss };
  }

  exportAdapter(): ArrayBuffer {
    const out = new Uint8Array(this.info.adapterBytes);
    const written = this.native.exportInto(out);
    return (written === out.length ? out : out.slice(0, written)).buffer as ArrayBuffer;
  }

  importAdapter(bytes: ArrayBuffer | Uint8Array): void {
    this.native.importAdapter(bytes);
  }

  /** The trainer redraws its initial adapter (no copy of it kept in the heap); EWC stays. */
  resetAdapter(): void {
    this.native.resetAdapters();
  }

  consolidate(batch: Batch): void {
    this.native.consolidate(batch.data, batch.labels, batch.latent);
  }

  exportEwc(): ArrayBuffer {
    const out = new Uint8Array(this.info.ewcBytes);
    const written = this.native.exportEwcInto(out);
    return (written === out.length ? out : out.slice(0, written)).buffer as ArrayBuffer;
  }

  importEwc(bytes: ArrayBuffer): void {
    this.native.importEwc(bytes);
  }

  exportCheckpointInto(into: Uint8Array): number {
    return this.native.exportCheckpointInto(into);
  }

  importCheckpoint(bytes: Uint8Array): void {
    this.native.importCheckpoint(bytes);
  }

  /**
   * Real-valued rates to the trainer's fixed-point units (lr x 1e6, lambda x 1e3), rounded so
   * that e.g. 0.002 gives 2000 as "sgd:lr=0.002" does in the spec.
   */
  setRates(learningRate: number, ewcLambda: number): void {
    this.native.setRates(Math.round(learningRate * 1e6), Math.round(ewcLambda * 1e3));
  }

  get steps(): number {
    return this.native.steps;
  }

  close(): void {
    this.native.close();
  }
}
