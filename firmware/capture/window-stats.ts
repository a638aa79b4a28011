import type { SampleWindow } from "./windower.js";

/** Mean of each channel over a window's frames. */
export function channelMeans(window: SampleWindow): Float64Array {
  const means = new Float64Array(window.channels);
  for (let f = 0; f < window.frames; f++) {
    for (let c = 0; c < window.channels; c++) means[c] += window.data[f * window.channels + c];
  }
  for (let c = 0; c < window.channels; c++) means[c] /= window.frames;
  return means;
}

/** Root-mean-square of each channel over a window's frames. */
export function channelRms(window: SampleWindow): Float64Array {
  const rms = new Float64Array(window.channels);
  for (let f = 0; f < window.frames; f++) {
    for (let c = 0; c < window.channels; c++) {
      const v = window.data[f * window.channels + c];
      rms[c] += v * v;
    }
  }
  for (let c = 0; c < window.channels; c++) rms[c] = Math.sqrt(rms[c] / window.frames);
  return rms;
}
