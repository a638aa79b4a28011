/**
 * Marsaglia's xorshift32 (shifts 13, 17, 5): a tiny seeded PRNG whose state persists as one
 * uint32, so sampling decisions replay identically across targets and restarts.
 */
export class Xorshift32 {
  state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9; // zero is a fixed point
  }

  /** Next uint32. */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  /** Uniform integer in [0, n) (n <= 2^32; the modulo bias is below 2^-20 for n < 4096). */
  below(n: number): number {
    return this.next() % n;
  }

  /** True with probability num / den. */
  chance(num: number, den: number): boolean {
    return this.next() / 4294967296 < num / den;
  }
}
