/**
 * Shamir secret sharing (threshold t of n) of 16-byte secrets over GF(2^128), for the dropout
 * recovery of secure aggregation. Written here because neither mbedTLS nor Moddable's crypt
 * modules have secret sharing; it is no cipher, only polynomial evaluation, and it is kept
 * byte-compatible with pycryptodome's Crypto.Protocol.SecretSharing.Shamir (non-ssss mode) so
 * the server reconstructs with that library (fleet-server/secagg.py) as the independent oracle:
 * - the field: GF(2)[x] / (x^128 + x^7 + x^2 + x + 1); an element's 16 bytes are the big-endian
 *   integer whose bit k is the coefficient of x^k;
 * - share k (k = 1..n) is p(k) for p(x) = secret + c_1 x + ... + c_{t-1} x^{t-1}, the c's random;
 * - pycryptodome's combine() interpolates at 0.
 * A 32-byte secret travels as two 16-byte halves, each its own polynomial (split32).
 */

/** Random bytes from the caller's cryptographic generator (the KeyAgreement port). */
export type RandomBytes = (length: number) => Uint8Array;

/** At most 255 holders: a share's index is one byte on the wire. */
export const MAX_SHARES = 255;

/** a * x in the field, in place: shift left one bit, fold x^128 back as x^7 + x^2 + x + 1. */
function timesX(a: Uint8Array): void {
  const carry = a[0]! >> 7;
  for (let i = 0; i < 15; i++) a[i] = ((a[i]! << 1) | (a[i + 1]! >> 7)) & 0xff;
  a[15] = ((a[15]! << 1) & 0xff) ^ (carry ? 0x87 : 0);
}

/** a * k for a small integer k (1..255): shift-and-add over k's bits. */
function timesSmall(a: Uint8Array, k: number): Uint8Array {
  const z = new Uint8Array(16);
  const v = a.slice();
  for (let bits = k; bits !== 0; bits >>>= 1) {
    if (bits & 1) for (let i = 0; i < 16; i++) z[i] ^= v[i]!;
    timesX(v);
  }
  return z;
}

function checkCounts(threshold: number, count: number): void {
  if (!(Number.isInteger(count) && count >= 1 && count <= MAX_SHARES)) throw new RangeError(`share count ${count} outside 1..${MAX_SHARES}`);
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= count)) throw new RangeError(`threshold ${threshold} outside 1..${count}`);
}

/** Shares 1..count of a 16-byte secret, any `threshold` of which give it back. */
export function split16(random: RandomBytes, secret: Uint8Array, threshold: number, count: number): Uint8Array[] {
  if (secret.length !== 16) throw new RangeError(`a Shamir secret is 16 bytes, got ${secret.length}`);
  checkCounts(threshold, count);
  // Coefficients highest degree first, the secret last (Horner's order, as pycryptodome).
  const coeffs: Uint8Array[] = [];
  if (threshold > 1) {
    const r = random(16 * (threshold - 1));
    if (r.length !== 16 * (threshold - 1)) throw new RangeError("random generator returned too few bytes");
    for (let c = 0; c < threshold - 1; c++) coeffs.push(r.subarray(16 * c, 16 * c + 16));
  }
  coeffs.push(secret);
  const shares: Uint8Array[] = [];
  for (let k = 1; k <= count; k++) {
    let y: Uint8Array = new Uint8Array(16);
    for (const c of coeffs) {
      y = timesSmall(y, k);
      for (let i = 0; i < 16; i++) y[i] ^= c[i]!;
    }
    shares.push(y);
  }
  return shares;
}

/** Shares 1..count of a 32-byte secret: each 32-byte share is the share of the first half, then of the second. */
export function split32(random: RandomBytes, secret: Uint8Array, threshold: number, count: number): Uint8Array[] {
  if (secret.length !== 32) throw new RangeError(`a 32-byte secret is expected, got ${secret.length}`);
  const lo = split16(random, secret.subarray(0, 16), threshold, count);
  const hi = split16(random, secret.subarray(16, 32), threshold, count);
  return lo.map((a, k) => {
    const s = new Uint8Array(32);
    s.set(a, 0);
    s.set(hi[k]!, 16);
    return s;
  });
}
