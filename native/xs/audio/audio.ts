// JS face of the audio front end (native/xs/audio/audio.c): micro_speech's audio_preprocessor
// (TFLite Micro's Signal ops) as one inference-only engine session in a static arena, frame by
// frame, the noise state carried between frames. Nothing here allocates.

/** Any byte range the C side can read: ArrayBuffer, typed array or host buffer (Resource). */
export type Bytes = ArrayBuffer | ArrayBufferView | object;

const open = native("xs_audio") as (this: AudioFrontEnd, model: Bytes) => void;
const close = native("xs_audio_close") as (this: AudioFrontEnd) => void;
const frameSamples = native("xs_audio_frame_samples") as (this: AudioFrontEnd) => number;
const featureCount = native("xs_audio_feature_count") as (this: AudioFrontEnd) => number;
const frame = native("xs_audio_frame") as (this: AudioFrontEnd, pcm: Bytes, byteOffset: number, features: Int8Array, featureOffset: number) => void;
const reset = native("xs_audio_reset") as (this: AudioFrontEnd) => void;

export class AudioFrontEnd extends Native("xs_audio_destructor") {
  /** Samples per frame (the model's int16 input) and features per frame (its int8 output). */
  readonly frameSamples: number;
  readonly featureCount: number;

  /** model: a host buffer that stays in place (a Resource). */
  constructor(model: Bytes) {
    super();
    open.call(this, model);
    this.frameSamples = frameSamples.call(this);
    this.featureCount = featureCount.call(this);
  }

  /** Features of the frame of little-endian int16 samples at pcm[byteOffset..], into features[featureOffset..]. */
  frame(pcm: Bytes, byteOffset: number, features: Int8Array, featureOffset: number): void {
    frame.call(this, pcm, byteOffset, features, featureOffset);
  }

  /** The noise state back to zero (a new recording). */
  reset(): void {
    reset.call(this);
  }

  close(): void {
    close.call(this);
  }
}
