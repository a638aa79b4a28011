/** One frame: `values[c]` is channel c in the source's raw units; timestamp in ms. */
export interface SensorSample {
  readonly timestamp: number;
  readonly values: Float32Array;
}

/** Constructor options, as in the ECMA-419 sensor class pattern. */
export interface SensorSourceOptions {
  /** A sample is ready: call sample() to take it. */
  onSample?: () => void;
  onError?: (error: Error) => void;
  /** A finite source (a recording) has delivered its last frame. */
  onEnd?: () => void;
}

/** Settings any source understands; implementations add their own fields. */
export interface SensorConfiguration {
  /** Frames per second to deliver (a recording defaults to its own rate). */
  rateHz?: number;
  /** Playback speed factor; 0 = as fast as the scheduler allows. */
  speed?: number;
}

/**
 * A sensor shaped like an ECMA-419 sensor class (an IMU or microphone on a board, a recording
 * in the simulator and under Node): configure(), sample(), close(), driven by onSample.
 */
export interface SensorSource {
  readonly channels: number;
  readonly rateHz: number;
  configure(options: SensorConfiguration): void;
  /** The oldest undelivered frame, or undefined when none is ready. */
  sample(): SensorSample | undefined;
  close(): void;
}

/** How a target hands main its sensor: main supplies the callbacks. */
export type SensorFactory = (options: SensorSourceOptions) => SensorSource;
