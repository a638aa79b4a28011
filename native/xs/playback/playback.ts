// Recorded sensor data in the EPR1 format (docs/formats.md), read frame by frame in C.
// The simulator's sensor source (firmware/platform/sim) drives it from the timer.

const open = native("xs_playback_open") as (this: Playback, path: string) => void;
const info = native("xs_playback_info") as (this: Playback) => [number, number, number, number];
const read = native("xs_playback_read") as (this: Playback, first: number, count: number) => ArrayBuffer;
const close = native("xs_playback_close") as (this: Playback) => void;

/** EPR1 sampleType codes. */
export const SampleType = { int8: 1, int16: 2, uint8: 3, float32: 4 } as const;

export type Samples = Int8Array | Int16Array | Uint8Array | Float32Array;

export class Playback extends Native("xs_playback_destructor") {
  readonly channels: number;
  readonly sampleType: number;
  readonly rateHz: number;
  readonly frameCount: number;
  /** Index of the frame next() returns. */
  position = 0;

  constructor(path: string) {
    super();
    open.call(this, path);
    const [channels, sampleType, rateHz, frameCount] = info.call(this);
    this.channels = channels;
    this.sampleType = sampleType;
    this.rateHz = rateHz;
    this.frameCount = frameCount;
  }

  /** Frames [first, first + count) interleaved (channels per frame), cut at the end. */
  read(first: number, count = 1): Samples {
    const bytes = read.call(this, first, count);
    switch (this.sampleType) {
      case SampleType.int8:
        return new Int8Array(bytes);
      case SampleType.int16:
        return new Int16Array(bytes);
      case SampleType.uint8:
        return new Uint8Array(bytes);
      default:
        return new Float32Array(bytes);
    }
  }

  /** The next frame, or undefined after the last one. */
  next(): Samples | undefined {
    if (this.position >= this.frameCount) return undefined;
    return this.read(this.position++, 1);
  }

  rewind(): void {
    this.position = 0;
  }

  close(): void {
    close.call(this);
  }
}
