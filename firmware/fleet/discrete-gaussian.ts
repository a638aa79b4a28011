import type { RandomBytes } from "./shamir.js";

/**
 * The exact discrete Gaussian N_Z(0, sigma^2), P(x) proportional to exp(-x^2 / (2 sigma^2)) on
 * the integers, for sigma^2 = num/den rational: Canonne, Kamath, Steinke, "The Discrete Gaussian
 * for Differential Privacy", NeurIPS 2020, Algorithms 1 (Bernoulli(exp(-gamma))), 2 (discrete
 * Laplace) and 3 (the Gaussian by rejection from the Laplace), in integer arithmetic only, so the
 * samples have exactly this law given uniform bytes; no floating point, no table, no libm.
 * A sampler is not cryptography: neither mbedTLS nor Moddable has one, so it is written here;
 * its randomness is the KeyAgreement port's cryptographic generator (CTR_DRBG / node:crypto).
 * fleet-server/discrete_gaussian.py is the same, byte for byte of randomness consumed.
 * Uniform integers below m: ceil(bits(m - 1) / 8) little-endian bytes, the top byte masked to
 * bits(m - 1), redrawn while >= m (no modulo bias). Numbers below 2^48 stay doubles (exact);
 * larger ones (the Gaussian's acceptance test at large sigma) are BigInt.
 * Run time depends on the sample (rejection loops): a device's timing may hint at its noise.
 */

/** Buffers the port's generator (each call into it has a cost): bytes are used in order. */
export class RandomStream {
  private buf: Uint8Array = new Uint8Array(0);
  private at = 0;
  constructor(private readonly random: RandomBytes, private readonly chunk = 512) {}

  byte(): number {
    if (this.at === this.buf.length) {
      this.buf = this.random(this.chunk);
      if (this.buf.length !== this.chunk) throw new RangeError("random generator returned too few bytes");
      this.at = 0;
    }
    return this.buf[this.at++]!;
  }
}

const SMALL = 2 ** 48;
const SMALL_N = BigInt(SMALL);

/** Uniform in [0, m), 1 <= m <= 2^48. */
function belowSmall(rs: RandomStream, m: number): number {
  if (m === 1) return 0;
  let bits = 0;
  for (let v = m - 1; v > 0; v = Math.floor(v / 2)) bits++;
  const bytes = (bits + 7) >> 3;
  const top = (1 << (bits - 8 * (bytes - 1))) - 1;
  for (;;) {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < bytes; i++) {
      const b = rs.byte();
      v += (i === bytes - 1 ? b & top : b) * scale;
      scale *= 256;
    }
    if (v < m) return v;
  }
}

/** Uniform in [0, m), m >= 1 of any size. */
function below(rs: RandomStream, m: bigint): bigint {
  if (m <= SMALL_N) return BigInt(belowSmall(rs, Number(m)));
  const bits = (m - 1n).toString(2).length;
  const bytes = (bits + 7) >> 3;
  const top = (1 << (bits - 8 * (bytes - 1))) - 1;
  for (;;) {
    let v = 0n;
    for (let i = 0; i < bytes; i++) {
      const b = rs.byte();
      v |= BigInt(i === bytes - 1 ? b & top : b) << BigInt(8 * i);
    }
    if (v < m) return v;
  }
}

/** Bernoulli(exp(-num/den)) for 0 <= num <= den (Algorithm 1): K odd where A_K ~ B(gamma/K) first fails. */
function bernoulliExpUnit(rs: RandomStream, num: bigint, den: bigint): boolean {
  let k = 1;
  if (den * 65536n <= SMALL_N) {
    const n = Number(num);
    const d = Number(den);
    while (k < 65536 && belowSmall(rs, d * k) < n) k++;
    if (k < 65536) return k % 2 === 1;
  }
  while (below(rs, den * BigInt(k)) < num) k++;
  return k % 2 === 1;
}

/** Bernoulli(exp(-num/den)) for any num >= 0: floor(gamma) draws of B(exp(-1)), then the fraction. */
function bernoulliExp(rs: RandomStream, num: bigint, den: bigint): boolean {
  for (let whole = num / den; whole > 0n; whole--) if (!bernoulliExpUnit(rs, 1n, 1n)) return false;
  return bernoulliExpUnit(rs, num % den, den);
}

/** The discrete Laplace with scale t: P(x) proportional to exp(-|x| / t) (Algorithm 2, s = 1). */
function discreteLaplace(rs: RandomStream, t: bigint): bigint {
  for (;;) {
    const u = below(rs, t);
    if (!bernoulliExpUnit(rs, u, t)) continue;
    let v = 0n;
    while (bernoulliExpUnit(rs, 1n, 1n)) v++;
    const y = u + t * v;
    const negative = belowSmall(rs, 2) === 1;
    if (negative && y === 0n) continue;
    return negative ? -y : y;
  }
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** A variance sigma^2 = num / den, both integers > 0. */
export interface Variance {
  readonly num: bigint;
  readonly den: bigint;
}

/** "p/q" or "p" (decimal integers, as fleet-server/discrete_gaussian.py writes a Fraction). */
export function parseVariance(text: string): Variance {
  const m = /^([0-9]+)(?:\/([0-9]+))?$/.exec(text);
  if (!m) throw new RangeError(`variance ${JSON.stringify(text)} is not p/q in decimal integers`);
  const v = { num: BigInt(m[1]!), den: BigInt(m[2] ?? "1") };
  if (v.num === 0n || v.den === 0n) throw new RangeError(`variance ${text} must be > 0`);
  return v;
}

/** The sampler for one sigma^2 (Algorithm 3): t = floor(sigma) + 1, then Laplace draws accepted
 * with probability exp(-(|y| - sigma^2/t)^2 / (2 sigma^2)). */
export class DiscreteGaussian {
  private readonly p: bigint;
  private readonly q: bigint;
  private readonly t: bigint;
  private readonly den: bigint;

  constructor(variance: Variance) {
    if (!(variance.num > 0n && variance.den > 0n)) throw new RangeError("variance must be > 0");
    // in lowest terms, as Python's Fraction holds it: the bounds drawn below depend on p and q
    const g = gcd(variance.num, variance.den);
    this.p = variance.num / g;
    this.q = variance.den / g;
    this.t = isqrt(this.p / this.q) + 1n;
    // gamma = (|y| q t - p)^2 / (2 p q t^2)
    this.den = 2n * this.p * this.q * this.t * this.t;
  }

  sample(rs: RandomStream): bigint {
    for (;;) {
      const y = discreteLaplace(rs, this.t);
      const a = (y < 0n ? -y : y) * this.q * this.t - this.p;
      if (bernoulliExp(rs, a * a, this.den)) return y;
    }
  }
}

/**
 * The device's noise share on its encoded update (update-encoding.ts): an independent
 * N_Z(0, variance) on each of words 0..d-1, mod 2^32; the last (weight) word is left alone.
 * The variance is sigma^2 / n in grid steps, as the server sets it for the round
 * (fleet-server/discrete_gaussian.py local_variance, the figure privacy.py accounts).
 */
export function addDiscreteGaussian(random: RandomBytes, encoded: Uint32Array, variance: Variance): Uint32Array {
  if (encoded.length < 2) throw new RangeError("an encoded update has at least one value and the weight");
  const g = new DiscreteGaussian(variance);
  const rs = new RandomStream(random);
  const out = new Uint32Array(encoded);
  for (let i = 0; i < out.length - 1; i++) out[i] = (out[i]! + Number(BigInt.asIntN(32, g.sample(rs)))) >>> 0;
  return out;
}
