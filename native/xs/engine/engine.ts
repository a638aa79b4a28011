// JS face of the native engine (native/xs/engine/engine.c): one model + adapter spec + trainer
// session in a static arena. Buffers are passed in and filled in place, so a call allocates
// nothing in the XS heap unless the caller asks for a fresh result.

/** Model facts read once from the session. */
export interface NativeEngineInfo {
  readonly inputBytes: number;
  readonly inputScale: number;
  readonly inputZeroPoint: number;
  readonly classes: number;
  /** Quantisation of the model output (softmax probabilities when the model ends in SOFTMAX). */
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  readonly latentBytes: number;
  /** Arena bytes the session plan needs (inference + trainer). */
  readonly arenaBytes: number;
  /** Bytes of an exported adapter. */
  readonly adapterBytes: number;
  readonly paramCount: number;
  readonly trainBytes: number;
  /** Bytes of an exported EWC state (Fisher + anchor, "EPEW"); 0 when the spec has no EWC. */
  readonly ewcBytes: number;
  /** Bytes of a full-precision checkpoint ("EPCK": masters, momentum, h shifts, step). */
  readonly checkpointBytes: number;
}

/** Any byte range the C side can read: ArrayBuffer, typed array or host buffer (Resource). */
export type Bytes = ArrayBuffer | ArrayBufferView | object;

const open = native("xs_engine") as (this: NativeEngine, model: Bytes, spec: string, arenaBytes: number, modelSha256?: Uint8Array) => void;
const close = native("xs_engine_close") as (this: NativeEngine) => void;
const info = native("xs_engine_info") as (this: NativeEngine) => NativeEngineInfo;
const infer = native("xs_engine_infer") as (this: NativeEngine, input: Bytes, latent: boolean, output: Int8Array) => number;
const latent = native("xs_engine_latent") as (this: NativeEngine, input: Bytes, output: Int8Array) => void;
const train = native("xs_engine_train") as (this: NativeEngine, data: Bytes, labels: Uint8Array, latent: boolean) => number;
const evaluate = native("xs_engine_eval") as (this: NativeEngine, data: Bytes, labels: Uint8Array, latent: boolean) => number;
const consolidate = native("xs_engine_consolidate") as (this: NativeEngine, data: Bytes, labels: Uint8Array, latent: boolean) => void;
const lastLoss = native("xs_engine_lastLoss") as (this: NativeEngine) => number;
const steps = native("xs_engine_steps") as (this: NativeEngine) => number;
const exportAdapter = native("xs_engine_export") as (this: NativeEngine, into: Uint8Array) => number;
const importAdapter = native("xs_engine_import") as (this: NativeEngine, bytes: Bytes) => void;
const resetAdapters = native("xs_engine_resetAdapters") as (this: NativeEngine) => void;
const setRates = native("xs_engine_setRates") as (this: NativeEngine, lrMicro: number, lambdaMilli: number) => void;
const exportEwc = native("xs_engine_exportEwc") as (this: NativeEngine, into: Uint8Array) => number;
const importEwc = native("xs_engine_importEwc") as (this: NativeEngine, bytes: Bytes) => void;
const exportCheckpoint = native("xs_engine_exportCheckpoint") as (this: NativeEngine, into: Uint8Array) => number;
const importCheckpoint = native("xs_engine_importCheckpoint") as (this: NativeEngine, bytes: Bytes) => void;
const fisherExamples = native("xs_engine_fisherExamples") as (this: NativeEngine) => number;

/**
 * A trainer session over a model that stays in place (a Resource: ArrayBuffers are refused
 * because the heap may move them). spec is the trainer's spec string (docs: ept_parse_spec),
 * e.g. "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.05+ewc:lambda=100+seed:1".
 * Engine errors throw Error("engine: <what>: <STATUS>: <engine message>").
 */
export class NativeEngine extends Native("xs_engine_destructor") {
  readonly info: NativeEngineInfo;
  // Holds the model buffer so it lives as long as the session that points into it.
  readonly #model: Bytes;

  /** modelSha256: SHA-256 of the model bytes (the identity stored adapters are bound to). */
  constructor(model: Bytes, spec: string, arenaBytes: number, modelSha256?: Uint8Array) {
    super();
    open.call(this, model, spec, arenaBytes, modelSha256);
    this.#model = model;
    this.info = info.call(this);
  }

  get model(): Bytes {
    return this.#model;
  }

  /** Model output of one input (latent = true: a latent entry) into output; returns the top class. */
  infer(input: Bytes, isLatent: boolean, output: Int8Array): number {
    return infer.call(this, input, isLatent, output);
  }

  latent(input: Bytes, output: Int8Array): void {
    latent.call(this, input, output);
  }

  /** One SGD step per example, in order; returns the examples predicted right before their step. */
  train(data: Bytes, labels: Uint8Array, isLatent: boolean): number {
    return train.call(this, data, labels, isLatent);
  }

  /** Correct predictions over a batch. */
  evaluate(data: Bytes, labels: Uint8Array, isLatent: boolean): number {
    return evaluate.call(this, data, labels, isLatent);
  }

  /** EWC: diagonal Fisher over the batch and the anchor at the current adapter. */
  consolidate(data: Bytes, labels: Uint8Array, isLatent: boolean): void {
    consolidate.call(this, data, labels, isLatent);
  }

  /** Mean cross-entropy of the last train/evaluate/consolidate batch, in nats. */
  get lastLoss(): number {
    return lastLoss.call(this) / 65536;
  }

  get steps(): number {
    return steps.call(this);
  }

  /** Writes the adapter into `into` (info.adapterBytes long); returns the bytes written. */
  exportInto(into: Uint8Array): number {
    return exportAdapter.call(this, into);
  }

  importAdapter(bytes: Bytes): void {
    importAdapter.call(this, bytes);
  }

  /** The initial adapter again, as a fresh session would start; EWC Fisher and anchor kept. */
  resetAdapters(): void {
    resetAdapters.call(this);
  }

  /**
   * New learning rate (millionths, the spec's sgd:lr x 1e6) and EWC lambda (thousandths) for
   * the next steps, without reopening. Integers, as the spec parser reads them, so a rate set
   * here and one written in the spec give the same trainer. Lambda cannot turn EWC on or off.
   */
  setRates(lrMicro: number, lambdaMilli: number): void {
    setRates.call(this, lrMicro, lambdaMilli);
  }

  /** Writes the EWC state (info.ewcBytes long) into `into`; returns the bytes written. */
  exportEwcInto(into: Uint8Array): number {
    return exportEwc.call(this, into);
  }

  /** Restores an exported EWC state; a refused blob throws and changes nothing. */
  importEwc(bytes: Bytes): void {
    importEwc.call(this, bytes);
  }

  /** info.checkpointBytes: the size of the buffer exportCheckpointInto needs. */
  get checkpointBytes(): number {
    return this.info.checkpointBytes;
  }

  /**
   * Writes the trainer's full-precision state (info.checkpointBytes long) into `into`, which
   * the caller allocates once: a snapshot per training round then costs no heap. Returns the
   * bytes written.
   */
  exportCheckpointInto(into: Uint8Array): number {
    return exportCheckpoint.call(this, into);
  }

  /**
   * Restores an exported checkpoint of the same model, spec and seed: the next steps are
   * byte-identical to those of the session that exported it. A refused one throws and changes
   * nothing. EWC state is not part of it (exportEwcInto / importEwc).
   */
  importCheckpoint(bytes: Bytes): void {
    importCheckpoint.call(this, bytes);
  }

  /** Examples run through the Fisher (consolidate) since the session opened. */
  get fisherExamples(): number {
    return fisherExamples.call(this);
  }

  /** Frees the static arena for another session; the instance is unusable afterwards. */
  close(): void {
    close.call(this);
  }
}
