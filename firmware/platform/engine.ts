/**
 * The native engine session (DESIGN.md section 2), as the app sees it. Implemented over the
 * xsmc binding in native/xs; every native status other than OK surfaces as a thrown Error
 * carrying the engine's message. All tensors are int8 with the model's quantisation.
 */
import type { NativeEngineInfo } from "../../native/xs/engine/engine.js";

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

/**
 * Facts about an opened model and session (input quantisation, classes, latent, arena, adapter
 * and EWC image sizes): the native face's type itself, so the two cannot drift apart.
 */
export type ModelInfo = NativeEngineInfo;

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
  /**
   * One optimiser step per example of the batch, in order. The optimiser (rate, momentum, EWC
   * lambda) is the session's configuration (spec string; setRates), not a per-call argument.
   */
  trainStep(batch: Batch): TrainResult;
  evaluate(batch: Batch): EvalResult;
  /** The current adapter as bytes (int8 view + scales, engine format). */
  exportAdapter(): ArrayBuffer;
  /**
   * Replace the current adapter; the base model stays open (hot swap). What comes back is the
   * exported int8 views: master weights are re-derived from them (view << 8 in the native
   * trainer, so their fractional bits are those of the view), optimiser momentum is untouched.
   */
  importAdapter(bytes: ArrayBuffer | Uint8Array): void;
  /**
   * Back to the initial adapter (LoRA B = 0: the base model's behaviour), byte-identical to a
   * fresh session's, with momentum zeroed and the step counter at 0; the EWC Fisher and anchor
   * are kept. resetAdapter() then importAdapter(x) leaves the trainer as a fresh session that
   * imported x.
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
   * Writes the trainer's full-precision state (master weights, momentum, step counter; not EWC)
   * into `into` (info.checkpointBytes long, allocated once by the caller so a per-round
   * snapshot costs no heap); returns the bytes written.
   */
  exportCheckpointInto(into: Uint8Array): number;
  /**
   * Restores a checkpoint of the same model, spec and seed: the trainer continues exactly as
   * the one that exported it (unlike importAdapter, which restores only the int8 views). A
   * damaged or foreign checkpoint throws with the engine's reason and changes nothing.
   */
  importCheckpoint(bytes: Uint8Array): void;
  /**
   * Learning rate and EWC lambda for the next steps, without reopening the session (lambda can
   * change but not turn EWC on or off).
   */
  setRates(learningRate: number, ewcLambda: number): void;
  /** Training steps taken since the session opened. */
  readonly steps: number;
  close(): void;
}

/** Opens a session over a model that stays in place (a Resource in flash on boards). */
export type EngineFactory = (model: ArrayBuffer, config: AdapterConfig) => Engine;
