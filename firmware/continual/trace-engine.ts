import type { Batch, Engine, EvalResult, ModelInfo, TrainResult } from "../platform/engine.js";
import type { Log } from "../platform/log.js";

/** Lower-case hex of bytes (int8 data as its two's-complement bytes). */
function hex(bytes: Uint8Array | Int8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += ((bytes[i] & 255) | 256).toString(16).slice(1);
  return s;
}

/**
 * The agent's training trace, for the float twin of an agent run (issue 12 item 6,
 * tools/demo/float-twin.ts): every call that changes the trainer, in order, as one
 * `trace ...` log line each, with the bytes the integer trainer got:
 *   trace init HEX               the adapter before the first change (the seeded initial one)
 *   trace fisher LABELS DATA     consolidate: Fisher + anchor on this batch (its final labels)
 *   trace step LABELS DATA       trainStep: one SGD step per example, in order
 *   trace soft TARGETS DATA      one soft-target step per example (distillation)
 *   trace snap ID / load ID      checkpoint export into / import from the caller's buffer ID
 *   trace reset                  the initial adapter redrawn (EWC kept)
 *   trace restored / merge        an adapter or EWC image imported, new rates, a Fisher merge
 *                                (the float twin refuses the trace)
 * Buffers are told apart by identity (the guard's one snapshot, withBaseModel's own), so a
 * rollback restores the float parameters from the same snapshot. Costs nothing unless named
 * (`--trace 1` beside a method flag such as `--route`, sim-methods.ts); inference and
 * evaluation are not traced.
 */
export class TraceEngine implements Engine {
  readonly info: ModelInfo;
  readonly #inner: Engine;
  readonly #log: Log;
  readonly #buffers: Uint8Array[] = [];
  #started = false;

  constructor(inner: Engine, log: Log) {
    this.#inner = inner;
    this.#log = log;
    this.info = inner.info;
  }

  #line(text: string): void {
    if (!this.#started) {
      this.#started = true;
      this.#log.info(`trace init ${hex(new Uint8Array(this.#inner.exportAdapter()))}`);
    }
    this.#log.info(`trace ${text}`);
  }

  #id(buffer: Uint8Array): number {
    let id = this.#buffers.indexOf(buffer);
    if (id < 0) id = this.#buffers.push(buffer) - 1;
    return id;
  }

  /** A Fisher merge (online-ewc.ts): not replayable in float here, so the twin refuses the trace. */
  merge(): void {
    this.#line("merge");
  }

  /** A soft-target step as the methods take it (distill.ts), traced. */
  soft(data: Int8Array, targets: Uint8Array): void {
    this.#line(`soft ${hex(targets)} ${hex(data)}`);
  }

  consolidate(batch: Batch): void {
    this.#line(`fisher ${hex(batch.labels)} ${hex(batch.data)}`);
    this.#inner.consolidate(batch);
  }
  trainStep(batch: Batch): TrainResult {
    this.#line(`step ${hex(batch.labels)} ${hex(batch.data)}`);
    return this.#inner.trainStep(batch);
  }
  exportCheckpointInto(into: Uint8Array): number {
    this.#line(`snap ${this.#id(into)}`);
    return this.#inner.exportCheckpointInto(into);
  }
  importCheckpoint(bytes: Uint8Array): void {
    const id = this.#buffers.indexOf(bytes);
    this.#line(`load ${id < 0 ? "?" : id}`);
    this.#inner.importCheckpoint(bytes);
  }
  resetAdapter(): void {
    this.#line("reset");
    this.#inner.resetAdapter();
  }
  importAdapter(bytes: ArrayBuffer | Uint8Array): void {
    this.#line("restored");
    this.#inner.importAdapter(bytes);
  }
  infer(input: Int8Array, latent?: boolean): Int8Array { return this.#inner.infer(input, latent); }
  latent(input: Int8Array): Int8Array { return this.#inner.latent(input); }
  evaluate(batch: Batch): EvalResult { return this.#inner.evaluate(batch); }
  exportAdapter(): ArrayBuffer { return this.#inner.exportAdapter(); }
  exportEwc(): ArrayBuffer { return this.#inner.exportEwc(); }
  importEwc(bytes: ArrayBuffer): void { this.#line("restored"); this.#inner.importEwc(bytes); }
  setRates(learningRate: number, ewcLambda: number): void { this.#line("restored"); this.#inner.setRates(learningRate, ewcLambda); }
  get steps(): number { return this.#inner.steps; }
  close(): void { this.#inner.close(); }
}
