import type { SensorSample } from "../platform/sensor.js";

/** `frames` consecutive frames of `channels` values, frame-major (data[f * channels + c]). */
export interface SampleWindow {
  readonly index: number;
  readonly channels: number;
  readonly frames: number;
  /** Timestamp (ms) of the window's first frame. */
  readonly start: number;
  readonly data: Float32Array;
}

/**
 * Cuts a stream of frames into fixed-size windows with a hop (hop == frames: back to back;
 * hop < frames: overlapping). Holds one window's worth of frames, preallocated.
 */
export class Windower {
  readonly channels: number;
  readonly frames: number;
  readonly hop: number;
  readonly #onWindow: (window: SampleWindow) => void;
  readonly #ring: Float32Array;
  readonly #times: Float64Array;
  #filled = 0;
  #sinceLast = 0;
  #count = 0;

  constructor(channels: number, frames: number, onWindow: (window: SampleWindow) => void, hop = frames) {
    if (!(Number.isInteger(channels) && channels > 0)) throw new RangeError("channels must be a positive integer");
    if (!(Number.isInteger(frames) && frames > 0)) throw new RangeError("frames must be a positive integer");
    if (!(Number.isInteger(hop) && hop > 0)) throw new RangeError("hop must be a positive integer");
    this.channels = channels;
    this.frames = frames;
    this.hop = hop;
    this.#onWindow = onWindow;
    this.#ring = new Float32Array(channels * frames);
    this.#times = new Float64Array(frames);
  }

  /** Windows emitted so far. */
  get count(): number {
    return this.#count;
  }

  push(sample: SensorSample): void {
    if (sample.values.length < this.channels) throw new RangeError("sample has fewer values than channels");
    const slot = this.#filled < this.frames ? this.#filled : this.frames - 1;
    if (this.#filled >= this.frames) {
      // Full: shift one frame out (windows are small; a copyWithin is cheaper than index maths).
      this.#ring.copyWithin(0, this.channels);
      this.#times.copyWithin(0, 1);
    } else {
      this.#filled++;
    }
    this.#ring.set(sample.values.subarray(0, this.channels), slot * this.channels);
    this.#times[slot] = sample.timestamp;
    this.#sinceLast++;
    if (this.#filled === this.frames && (this.#count === 0 ? true : this.#sinceLast >= this.hop)) {
      this.#sinceLast = 0;
      this.#onWindow({
        index: this.#count++,
        channels: this.channels,
        frames: this.frames,
        start: this.#times[0] ?? 0,
        data: this.#ring.slice(),
      });
    }
  }
}
