import type { SampleWindow } from "../capture/windower.js";
import { windowStats } from "./window-stats.js";

/** Running totals over all windows, for the end-of-run summary. */
export class WindowReport {
  readonly channels: number;
  windows = 0;
  frames = 0;
  readonly #sums: Float64Array;

  constructor(channels: number) {
    this.channels = channels;
    this.#sums = new Float64Array(channels);
  }

  /** Account one window; returns its per-channel means. */
  add(window: SampleWindow): Float64Array {
    const means = windowStats(window.data, window.channels).mean;
    for (let c = 0; c < this.channels; c++) this.#sums[c] += means[c] * window.frames;
    this.windows++;
    this.frames += window.frames;
    return means;
  }

  /** Frame-weighted mean of each channel over every window seen. */
  means(): Float64Array {
    const out = new Float64Array(this.channels);
    if (this.frames > 0) for (let c = 0; c < this.channels; c++) out[c] = this.#sums[c] / this.frames;
    return out;
  }
}

/** Fixed-precision list, the one number format of the pipeline's log lines. */
export function formatValues(values: ArrayLike<number>, digits = 4): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) parts.push(values[i].toFixed(digits));
  return parts.join(",");
}
