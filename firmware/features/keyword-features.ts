/**
 * Keyword-spotting features of one utterance, as TFLite Micro's micro_speech example makes
 * them: frames of `frameSamples` (30 ms at 16 kHz) every `strideSamples` (20 ms) through the
 * audio front end (log-mel features per frame, its noise state carried from frame to frame),
 * `frames` of them back to back: the int8 input of the keyword model (49 x 40 for micro_speech).
 */

/** The front end of one frame (the platform's; native/xs/audio on the simulator). */
export interface AudioFrontEndPort {
  readonly frameSamples: number;
  readonly featureCount: number;
  frame(pcm: object, byteOffset: number, features: Int8Array, featureOffset: number): void;
  reset(): void;
}

export interface KeywordFeatureOptions {
  readonly frames: number;
  readonly strideSamples: number;
}

export class KeywordFeatures {
  readonly #frontEnd: AudioFrontEndPort;
  readonly #options: KeywordFeatureOptions;

  constructor(frontEnd: AudioFrontEndPort, options: KeywordFeatureOptions) {
    if (options.frames <= 0 || options.strideSamples <= 0) throw new RangeError("features: frames and stride must be positive");
    this.#frontEnd = frontEnd;
    this.#options = options;
  }

  /** Bytes of one utterance's features. */
  get bytes(): number {
    return this.#options.frames * this.#frontEnd.featureCount;
  }

  /**
   * Features of the utterance whose samples start at pcm[dataOffset] (sampleCount int16): a new
   * recording, so the front end's state starts from zero. Throws when it is too short.
   */
  utterance(pcm: object, dataOffset: number, sampleCount: number, out: Int8Array): void {
    const { frames, strideSamples } = this.#options;
    const need = (frames - 1) * strideSamples + this.#frontEnd.frameSamples;
    if (sampleCount < need) throw new RangeError(`features: ${sampleCount} samples, need ${need}`);
    if (out.length < this.bytes) throw new RangeError(`features: output of ${out.length} bytes, need ${this.bytes}`);
    this.#frontEnd.reset();
    for (let f = 0; f < frames; f++) {
      this.#frontEnd.frame(pcm, dataOffset + 2 * f * strideSamples, out, f * this.#frontEnd.featureCount);
    }
  }
}
