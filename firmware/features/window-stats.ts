// Per-channel summary statistics of a window of interleaved frames: the classic cheap
// feature set for inertial sensors (mean, standard deviation, min, max per channel).

export interface WindowStats {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  readonly min: Float64Array;
  readonly max: Float64Array;
}

/** `samples` holds `frames` frames of `channels` interleaved values. */
export function windowStats(samples: ArrayLike<number>, channels: number): WindowStats {
  if (channels <= 0 || samples.length % channels !== 0) {
    throw new RangeError(`windowStats: ${samples.length} samples is not a whole number of ${channels}-channel frames`);
  }
  const frames = samples.length / channels;
  const mean = new Float64Array(channels);
  const std = new Float64Array(channels);
  const min = new Float64Array(channels).fill(Infinity);
  const max = new Float64Array(channels).fill(-Infinity);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const v = samples[f * channels + c];
      mean[c] += v;
      if (v < min[c]) min[c] = v;
      if (v > max[c]) max[c] = v;
    }
  }
  for (let c = 0; c < channels; c++) mean[c] /= frames;
  // Second pass: numerically safer than E[x^2] - E[x]^2 for slowly varying signals.
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const d = samples[f * channels + c] - mean[c];
      std[c] += d * d;
    }
  }
  for (let c = 0; c < channels; c++) std[c] = Math.sqrt(std[c] / frames);
  return { mean, std, min, max };
}

/** Flattens stats as [mean..., std..., min..., max...]: the feature vector layout. */
export function statsVector(stats: WindowStats): Float64Array {
  const n = stats.mean.length;
  const v = new Float64Array(4 * n);
  v.set(stats.mean, 0);
  v.set(stats.std, n);
  v.set(stats.min, 2 * n);
  v.set(stats.max, 3 * n);
  return v;
}
