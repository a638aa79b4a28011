import type { Clock, TimerHandle } from "../platform/clock.js";
import type {
  SensorConfiguration, SensorSample, SensorSource, SensorSourceOptions,
} from "../platform/sensor.js";
import type { FrameReader } from "./frame-reader.js";

/** Frames handed out per scheduler turn when playing as fast as possible (speed 0). */
const BURST = 32;

/**
 * A SensorSource that plays a recording back through the Clock port: at `rateHz * speed`
 * frames per second of clock time, or in bursts as fast as the scheduler allows (speed 0).
 * Timestamps are recording time (frame / rateHz), so results do not depend on the speed.
 */
export class PlaybackSensor implements SensorSource {
  readonly channels: number;
  rateHz: number;
  readonly #reader: FrameReader;
  readonly #clock: Clock;
  readonly #options: SensorSourceOptions;
  #speed = 1;
  #delivered = 0;
  #taken = 0;
  /** Pacing anchor: recording position (in frames) reached at clock time #anchorClock. */
  #anchorFrames = 0;
  #anchorClock = 0;
  #timer: TimerHandle | undefined;
  #closed = false;

  constructor(reader: FrameReader, clock: Clock, options: SensorSourceOptions) {
    this.#reader = reader;
    this.#clock = clock;
    this.#options = options;
    this.channels = reader.channels;
    this.rateHz = reader.rateHz;
    this.#restart(0);
  }

  configure(options: SensorConfiguration): void {
    const position = this.#position(); // under the old rate and speed
    if (options.rateHz !== undefined) {
      if (!(options.rateHz > 0)) throw new RangeError("rateHz must be > 0");
      this.rateHz = options.rateHz;
    }
    if (options.speed !== undefined) {
      if (!(options.speed >= 0)) throw new RangeError("speed must be >= 0");
      this.#speed = options.speed;
    }
    if (!this.#closed) this.#restart(position);
  }

  sample(): SensorSample | undefined {
    if (this.#taken >= this.#delivered) return undefined;
    const index = this.#taken++;
    const values = new Float32Array(this.channels);
    this.#reader.read(index, values);
    return { timestamp: (index * 1000) / this.rateHz, values };
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
  }

  /** Recording position in frames now: frame i is due once the position reaches i. */
  #position(): number {
    if (this.#speed === 0) return Math.max(0, this.#delivered - 1);
    return this.#anchorFrames + ((this.#clock.now() - this.#anchorClock) * this.rateHz * this.#speed) / 1000;
  }

  /** Re-anchor pacing at `position` (after construction or a configure). */
  #restart(position: number): void {
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#anchorFrames = position;
    this.#anchorClock = this.#clock.now();
    this.#timer = this.#clock.schedule(() => this.#tick(), 0);
  }

  #tick(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const total = this.#reader.frameCount;
    const due = this.#speed === 0
      ? Math.min(total, this.#delivered + BURST)
      : Math.min(total, Math.floor(this.#position()) + 1);
    try {
      while (this.#delivered < due && !this.#closed) {
        this.#delivered++;
        this.#options.onSample?.();
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    if (this.#closed) return;
    if (this.#delivered >= total) {
      this.#closed = true;
      this.#options.onEnd?.();
      return;
    }
    // Wake at the next frame's due time (never busy-wait).
    const perMs = (this.rateHz * this.#speed) / 1000;
    const wait = this.#speed === 0 ? 0
      : Math.max(0, Math.ceil((this.#delivered - this.#anchorFrames) / perMs - (this.#clock.now() - this.#anchorClock)));
    this.#timer = this.#clock.schedule(() => this.#tick(), wait);
  }

  #fail(error: unknown): void {
    this.close();
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.#options.onError) this.#options.onError(e);
    else throw e;
  }
}
