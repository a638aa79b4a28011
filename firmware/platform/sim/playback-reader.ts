import { Playback } from "../../../native/xs/playback/playback.js";
import type { FrameReader } from "../../capture/frame-reader.js";

/** FrameReader over the simulator's EPR1 file reader (native/xs/playback): frames stay on disk. */
export class PlaybackReader implements FrameReader {
  readonly channels: number;
  readonly rateHz: number;
  readonly frameCount: number;
  readonly #playback: Playback;

  constructor(path: string) {
    this.#playback = new Playback(path);
    this.channels = this.#playback.channels;
    this.rateHz = this.#playback.rateHz;
    this.frameCount = this.#playback.frameCount;
  }

  read(index: number, into: Float32Array): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.frameCount) {
      throw new RangeError(`playback: frame ${index} of ${this.frameCount}`);
    }
    const frame = this.#playback.read(index, 1);
    for (let c = 0; c < this.channels; c++) into[c] = frame[c];
  }

  close(): void {
    this.#playback.close();
  }
}
