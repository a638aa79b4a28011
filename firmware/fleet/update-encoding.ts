import type { RandomBytes } from "./shamir.js";

/**
 * The adapter update as secure aggregation sums it: words in Z_2^32 (two's complement int32),
 * so masks cancel and the server's sum is exact. The order is the DP accounting's
 * (docs/fleet.md "Differential privacy", fleet-server/privacy.py): weight by the sample count n,
 * as w = min(n, cap) / cap; then clip the weighted update to L2 <= S (weighting before clipping:
 * one device's sensitivity stays S whatever its n); then onto the integer grid of step gamma by
 * unbiased stochastic rounding (v becomes floor(v) + 1 with probability v - floor(v), the coin
 * from the port's random generator). The last word carries min(n, cap), so the server divides
 * the sum by the total weight (fleet-server/secagg.py decode_average):
 *   words 0..d-1: round(clip_S(w * u) / gamma), word d: min(n, cap).
 * fleet-server/update_encoding.py is the same, operation for operation (virtual devices).
 * The device's discrete noise share (the DP part) is added to words 0..d-1 after this.
 */
export interface EncodingParams {
  /** S: the L2 bound, in the update's own units. */
  readonly clip: number;
  /** gamma: the real value of one integer step. */
  readonly step: number;
  /** Samples at which a device's update gets full weight. */
  readonly sampleCap: number;
  /** The most devices one sum may hold: the encoding refuses parameters that could wrap it. */
  readonly maxDevices: number;
}

/** Values an update may have: one mask word is reserved for the weight. */
export const MAX_VALUES = (1 << 18) - 1;

export class UpdateError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`update: ${message}`);
    this.name = "UpdateError";
    this.code = code;
  }
}

function finite(x: number): boolean {
  return typeof x === "number" && x === x && x !== Infinity && x !== -Infinity;
}

export function checkParams(p: EncodingParams): void {
  if (!(finite(p.clip) && p.clip > 0 && finite(p.step) && p.step > 0)) throw new UpdateError("bad-params", "clip and step must be finite and > 0");
  if (!(Number.isInteger(p.sampleCap) && p.sampleCap >= 1 && Number.isInteger(p.maxDevices) && p.maxDevices >= 1)) {
    throw new UpdateError("bad-params", "sampleCap and maxDevices must be integers >= 1");
  }
  // Each word is at most S/gamma + 1 in magnitude (rounding adds < 1); the sum of maxDevices
  // of them must stay inside int32, the weights inside uint32.
  if ((p.clip / p.step + 1) * p.maxDevices >= 2 ** 31 || p.sampleCap * p.maxDevices >= 2 ** 32) {
    throw new UpdateError("may-wrap", `a sum of ${p.maxDevices} updates at clip/step ${p.clip / p.step} could wrap 32 bits`);
  }
}

/** The encoded update (d + 1 words) of `update` from a device that trained on `samples` samples. */
export function encodeUpdate(random: RandomBytes, update: ArrayLike<number>, samples: number, p: EncodingParams): Uint32Array {
  checkParams(p);
  const d = update.length;
  if (d < 1) throw new UpdateError("empty", "the update has no values");
  if (d > MAX_VALUES) throw new UpdateError("too-long", `${d} values, at most ${MAX_VALUES}`);
  if (!(Number.isInteger(samples) && samples >= 1)) throw new UpdateError("bad-samples", `sample count ${samples} is not an integer >= 1`);
  const w = Math.min(samples, p.sampleCap) / p.sampleCap;
  let sq = 0;
  for (let i = 0; i < d; i++) {
    const x = update[i]!;
    if (!finite(x)) throw new UpdateError("not-finite", `value ${i} is ${x}`);
    const wx = x * w;
    sq += wx * wx;
  }
  const norm = Math.sqrt(sq);
  if (!finite(norm)) throw new UpdateError("not-finite", "the update's L2 norm overflows");
  const clipped = norm > p.clip ? p.clip / norm : 1;
  const out = new Uint32Array(d + 1);
  // One uint32 coin per value, drawn in the port's largest chunks.
  for (let start = 0; start < d; start += 16384) {
    const n = Math.min(16384, d - start);
    const coins = random(4 * n);
    if (coins.length !== 4 * n) throw new RangeError("random generator returned too few bytes");
    for (let k = 0; k < n; k++) {
      const v = (update[start + k]! * w * clipped) / p.step;
      const f = Math.floor(v);
      const u = (coins[4 * k]! | (coins[4 * k + 1]! << 8) | (coins[4 * k + 2]! << 16) | (coins[4 * k + 3]! << 24)) >>> 0;
      out[start + k] = (f + (u < (v - f) * 4294967296 ? 1 : 0)) >>> 0;
    }
  }
  out[d] = Math.min(samples, p.sampleCap);
  return out;
}
