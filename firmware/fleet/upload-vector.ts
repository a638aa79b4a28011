/**
 * The vector a device contributes to a round, before masking: its update clipped to L2 <= S,
 * times its sample count n, in fixed point with f fraction bits, stochastically rounded (each
 * word is floor or ceil of the exact value, ceil with probability equal to the fraction, so
 * the rounding is unbiased), as uint32 words mod 2^32; the last word is n itself. The sum over
 * devices divided by the summed n is the sample-weighted average (FedAvg).
 */
export interface Upload {
  readonly words: Uint32Array;
  /** The factor the clip applied (1 when ||update|| <= S). */
  readonly scale: number;
}

/** `uniform()` gives doubles in [0, 1) (the device's rounding stream). */
export function uploadVector(delta: Int32Array, samples: number, clip: number, fractionBits: number, uniform: () => number): Upload {
  if (!(Number.isInteger(samples) && samples >= 1 && samples <= 0xffff)) throw new RangeError(`sample count ${samples} outside 1..65535`);
  let sq = 0;
  for (let i = 0; i < delta.length; i++) sq += delta[i]! * delta[i]!;
  const norm = Math.sqrt(sq);
  const scale = norm > clip ? clip / norm : 1;
  const unit = scale * samples * 2 ** fractionBits;
  // |word| <= S * n * 2^f must stay inside int32 for the sum's sign to survive mod 2^32.
  if (clip * samples * 2 ** fractionBits >= 2 ** 31) throw new RangeError("clip x samples x 2^fractionBits does not fit a signed 32-bit word");
  const words = new Uint32Array(delta.length + 1);
  for (let i = 0; i < delta.length; i++) {
    const x = delta[i]! * unit;
    const lo = Math.floor(x);
    words[i] = (lo + (uniform() < x - lo ? 1 : 0)) >>> 0;
  }
  words[delta.length] = samples;
  return { words, scale };
}
