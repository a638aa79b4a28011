/**
 * The native engine session (DESIGN.md section 2), as the app sees it. Implemented over the
 * xsmc binding in native/xs; every native status other than OK surfaces as a thrown Error
 * carrying the engine's message. All tensors are int8 with the model's quantisation.
 */

export type AdapterKind = "lora" | "bias" | "prompt";

/** Which layers carry adapters and how; part of what the arena plan depends on. */
export interface AdapterConfig {
  readonly kind: AdapterKind;
  /** Operator indices of the adapted layers, in graph order. */
  readonly layers: readonly number[];
  /** LoRA rank (ignored by bias/prompt). */
  readonly rank: number;
  /** LoRA alpha; scaling is alpha / rank. */
  readonly alpha: number;
  /** Seed of the deterministic PRNG (LoRA A init, DP noise). */
  readonly seed: number;
}

/** Facts about an opened model the app needs to quantise inputs and size buffers. */
export interface ModelInfo {
  readonly inputBytes: number;
  readonly inputScale: number;
  readonly inputZeroPoint: number;
  readonly classes: number;
  /** Quantisation of the int8 logits infer() returns. */
  readonly outputScale: number;
  readonly outputZeroPoint: number;
  /** Bytes of one latent entry: int8 activations at the input of the lowest adapted layer. */
  readonly latentBytes: number;
  /** Arena bytes this model + adapter configuration uses. */
  readonly arenaBytes: number;
  /** Bytes of exportAdapter()'s result. */
  readonly adapterBytes: number;
  /** Bytes of exportEwc()'s result (0 when the session has no EWC). */
  readonly ewcBytes: number;
}

/**
 * Optimiser settings per call, for engines that take them per call (the test double). The
 * native trainer fixes its optimiser in the session's spec string and ignores these.
 */
export interface TrainOptions {
  /** Learning rate as a power-of-two shift (update = grad >> shift); integer-only path. */
  readonly learningRateShift: number;
  /** Momentum in [0, 1) quantised by the engine; 0 disables. */
  readonly momentum?: number;
  /** Per-example gradient clip for DP-SGD; 0 or absent disables. */
  readonly clip?: number;
  /** Noise multiplier for DP-SGD; 0 or absent disables. */
  readonly noise?: number;
}

/** Inputs of a batch: `count` examples of `bytes` each, back to back. */
export interface Batch {
  readonly data: Int8Array;
  readonly labels: Uint8Array;
  /** True when data holds latent entries (start below the lowest adapted layer). */
  readonly latent: boolean;
}

export interface TrainResult {
  /** Mean loss of the batch before the update, in nats. */
  readonly loss: number;
  readonly steps: number;
}

export interface EvalResult {
  readonly correct: number;
  readonly count: number;
  readonly loss: number;
}

export interface Engine {
  readonly info: ModelInfo;
  /** int8 logits of one input (or latent entry when latent is true). */
  infer(input: Int8Array, latent?: boolean): Int8Array;
  /** The latent entry of one raw input (activations at the lowest adapted layer). */
  latent(input: Int8Array): Int8Array;
  /** One SGD step on a micro-batch. */
  trainStep(batch: Batch, options: TrainOptions): TrainResult;
  evaluate(batch: Batch): EvalResult;
  /** The current adapter as bytes (int8 view + scales, engine format). */
  exportAdapter(): ArrayBuffer;
  /** Replace the current adapter; the base model stays open (hot swap). */
  importAdapter(bytes: ArrayBuffer): void;
  /**
   * Back to the initial adapter (LoRA B = 0: the base model's behaviour), byte-identical to a
   * fresh session's; the EWC Fisher and anchor are kept.
   */
  resetAdapter(): void;
  /**
   * EWC at a task boundary, inside the engine: diagonal Fisher of the adapter parameters over
   * `batch` (the old task's data) and the anchor theta* = the current adapter. Training then
   * adds lambda * F * (theta - theta*)^2, lambda being part of the session's configuration.
   */
  consolidate(batch: Batch): void;
  /**
   * The EWC state (Fisher + anchor + whether the penalty is on) as an opaque, versioned,
   * checksummed image (native trainer: "EPEW", docs/formats.md), for persisting across reboots.
   * Throws when the session has no EWC.
   */
  exportEwc(): ArrayBuffer;
  /**
   * Restores an exportEwc() image of the same model and configuration; the adapter is not
   * touched. A corrupt or foreign image throws with the engine's reason and changes nothing.
   */
  importEwc(bytes: ArrayBuffer): void;
  /**
   * Learning rate and EWC lambda for the next steps, without reopening the session (lambda can
   * change but not turn EWC on or off).
   */
  setRates(learningRate: number, ewcLambda: number): void;
  /**
   * Engines that can take a Fisher from outside (merged by EwcBook) also offer these:
   * fisher(batch) returns one int32 per adapter parameter (Q16, exportAdapter() order) and
   * installPenalty() sets F, theta* (an exportAdapter() image) and lambda (0 removes it).
   */
  fisher?(batch: Batch): ArrayBuffer;
  installPenalty?(fisher: ArrayBuffer, anchor: ArrayBuffer, lambda: number): void;
  /** Training steps taken since the session opened. */
  readonly steps: number;
  close(): void;
}

/** Opens a session over a model that stays in place (a Resource in flash on boards). */
export type EngineFactory = (model: ArrayBuffer, config: AdapterConfig) => Engine;
