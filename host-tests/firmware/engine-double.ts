import type { Batch, Engine, EvalResult, ModelInfo, TrainResult } from "../../firmware/platform/engine.js";

/**
 * TEST DOUBLE of the Engine port, for pure-policy unit tests under Node (when to train, commit
 * or roll back, which slot is cached) where a hand-checkable model beats a real one. Anything
 * about what the engine itself does (rollback precision, EWC images, adapter compatibility) is
 * tested on the native engine in the simulator (host-tests/agent-sim). A frozen linear layer
 * z = W x / 64 plus a trainable bias adapter b (int32, Q8), softmax cross-entropy, plain SGD
 * with a power-of-two rate fixed at construction (as the native rate is in the spec), and the
 * EWC penalty lambda * F * (b - b*)^2. Its whole state is its exported bytes: unlike the native
 * trainer it has no master weights or momentum for an import to lose.
 */
export class EngineDouble implements Engine {
  readonly info: ModelInfo;
  readonly weights: Int8Array;
  bias: Int32Array;
  penalty: { fisher: Int32Array; anchor: Int32Array; lambda: number } | undefined;
  imports = 0;
  resets = 0;
  trainSteps = 0;
  /** update = grad >> learningRateShift (session configuration, not per call). */
  readonly learningRateShift: number;

  constructor(weights: Int8Array, classes: number, learningRateShift = 2) {
    this.weights = weights;
    this.learningRateShift = learningRateShift;
    const inputBytes = weights.length / classes;
    this.info = { inputBytes, inputScale: 1, inputZeroPoint: 0, classes, outputScale: 1 / 16, outputZeroPoint: 0,
      latentBytes: inputBytes, arenaBytes: 1024, adapterBytes: 4 * classes, ewcBytes: 8 * classes + 4,
      paramCount: classes, trainBytes: 0, checkpointBytes: 4 * classes + 4 };
    this.bias = new Int32Array(classes);
  }

  logits(x: Int8Array): Float64Array {
    const { classes, inputBytes } = this.info;
    const z = new Float64Array(classes);
    for (let k = 0; k < classes; k++) {
      let acc = 0;
      for (let j = 0; j < inputBytes; j++) acc += this.weights[k * inputBytes + j]! * x[j]!;
      z[k] = acc / 64 + this.bias[k]! / 256;
    }
    return z;
  }

  #probs(x: Int8Array): Float64Array {
    const z = this.logits(x);
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  }

  infer(input: Int8Array): Int8Array {
    return Int8Array.from(this.logits(input), (v) => Math.max(-128, Math.min(127, Math.round(v * 16))));
  }

  latent(input: Int8Array): Int8Array {
    return input.slice();
  }

  #examples(batch: Batch): Int8Array[] {
    const n = this.info.inputBytes;
    return Array.from(batch.labels, (_, i) => batch.data.subarray(i * n, (i + 1) * n));
  }

  trainStep(batch: Batch): TrainResult {
    const grad = new Float64Array(this.info.classes);
    let loss = 0;
    const xs = this.#examples(batch);
    xs.forEach((x, i) => {
      const p = this.#probs(x);
      loss -= Math.log(p[batch.labels[i]!]!);
      p.forEach((v, k) => { grad[k]! += (v - (k === batch.labels[i] ? 1 : 0)) / xs.length; });
    });
    for (let k = 0; k < grad.length; k++) {
      let g = grad[k]! * 256;
      if (this.penalty) g += (this.penalty.lambda * this.penalty.fisher[k]! / 65536) * (this.bias[k]! - this.penalty.anchor[k]!) * 2;
      this.bias[k]! -= Math.round(g * 2 ** (8 - this.learningRateShift));
    }
    this.trainSteps++;
    return { loss: loss / xs.length, steps: 1 };
  }

  evaluate(batch: Batch): EvalResult {
    let correct = 0;
    let loss = 0;
    this.#examples(batch).forEach((x, i) => {
      const p = this.#probs(x);
      if (p.indexOf(Math.max(...p)) === batch.labels[i]) correct++;
      loss -= Math.log(p[batch.labels[i]!]!);
    });
    return { correct, count: batch.labels.length, loss: loss / Math.max(1, batch.labels.length) };
  }

  exportAdapter(): ArrayBuffer {
    return this.bias.slice().buffer;
  }

  importAdapter(bytes: ArrayBuffer | Uint8Array): void {
    if (bytes.byteLength !== this.info.adapterBytes) throw new RangeError("adapter size");
    this.bias = new Int32Array(bytes instanceof Uint8Array ? bytes.slice().buffer : bytes.slice(0));
    this.imports++;
  }

  resetAdapter(): void {
    this.bias = new Int32Array(this.info.classes);
    this.resets++;
  }

  /** Q16 diagonal Fisher per bias (the double's consolidate; not part of the Engine port). */
  fisher(batch: Batch): ArrayBuffer {
    const f = new Float64Array(this.info.classes);
    const xs = this.#examples(batch);
    xs.forEach((x, i) => this.#probs(x).forEach((v, k) => { f[k]! += (v - (k === batch.labels[i] ? 1 : 0)) ** 2 / xs.length; }));
    return Int32Array.from(f, (v) => Math.round(v * 65536)).buffer;
  }

  /** Sets F, theta* and lambda (0 removes the penalty); the double's importEwc. */
  installPenalty(fisher: ArrayBuffer, anchor: ArrayBuffer, lambda: number): void {
    this.penalty = lambda === 0 ? undefined : { fisher: new Int32Array(fisher), anchor: new Int32Array(anchor), lambda };
  }

  /** Image: int32 lambda x 1000 | classes x int32 Fisher | classes x int32 anchor (no check). */
  exportEwc(): ArrayBuffer {
    const { classes } = this.info;
    const out = new Int32Array(1 + 2 * classes);
    if (this.penalty) {
      out[0] = Math.round(this.penalty.lambda * 1000);
      out.set(this.penalty.fisher, 1);
      out.set(this.penalty.anchor, 1 + classes);
    }
    return out.buffer;
  }

  importEwc(bytes: ArrayBuffer): void {
    const { classes } = this.info;
    if (bytes.byteLength !== this.info.ewcBytes) throw new RangeError("EWC image size");
    const v = new Int32Array(bytes.slice(0));
    this.installPenalty(v.slice(1, 1 + classes).buffer, v.slice(1 + classes).buffer, v[0]! / 1000);
  }

  /**
   * Checkpoint: classes x int32 bias | uint32 steps. The double has no masters or momentum, so
   * beyond the adapter it carries only the step counter (which importAdapter does not touch).
   */
  exportCheckpointInto(into: Uint8Array): number {
    const n = this.info.checkpointBytes;
    if (into.length < n) throw new RangeError("checkpoint buffer size");
    const v = new DataView(into.buffer, into.byteOffset, n);
    this.bias.forEach((b, k) => v.setInt32(4 * k, b, true));
    v.setUint32(4 * this.info.classes, this.trainSteps, true);
    return n;
  }

  importCheckpoint(bytes: Uint8Array): void {
    if (bytes.length !== this.info.checkpointBytes) throw new RangeError("checkpoint size");
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.bias = Int32Array.from(this.bias, (_, k) => v.getInt32(4 * k, true));
    this.trainSteps = v.getUint32(4 * this.info.classes, true);
    this.checkpointImports++;
  }

  checkpointImports = 0;

  rates: { learningRate: number; ewcLambda: number } | undefined;

  setRates(learningRate: number, ewcLambda: number): void {
    this.rates = { learningRate, ewcLambda };
    if (this.penalty) this.penalty.lambda = ewcLambda;
  }

  /** In-engine EWC as the native trainer does it; lambda fixed at 1 for the double. */
  consolidate(batch: Batch): void {
    this.installPenalty(this.fisher(batch), this.exportAdapter(), 1);
  }

  get steps(): number {
    return this.trainSteps;
  }

  close(): void {}
}
