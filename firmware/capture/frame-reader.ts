/** Random access to the frames of a recording, whatever holds it (a buffer, a native file). */
export interface FrameReader {
  readonly channels: number;
  readonly rateHz: number;
  readonly frameCount: number;
  /** Write frame `index`'s channel values into `into` (length >= channels). */
  read(index: number, into: Float32Array): void;
}
