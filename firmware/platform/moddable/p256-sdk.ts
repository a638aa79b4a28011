/// <reference path="./crypt-sdk.d.ts" />
import type Curve from "curve";
import ECPoint from "ecp";

// The checks the SDK's Curve / ECDSA leave out (they take any bytes), shared by ModdableCrypto
// and ModdableKeyAgreement so both refuse the same inputs with the same RangeErrors as the
// simulator's mbedTLS binding and node:crypto.

export function checkLength(bytes: Uint8Array, size: number, what: string): void {
  if (bytes.length !== size) throw new RangeError(`${what} is ${size} bytes, got ${bytes.length}`);
}

/** A copy as its own ArrayBuffer: the SDK's ECDSA, Curve and BigInt.fromArrayBuffer take whole buffers. */
export function bufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/** Big-endian unsigned value (XS's BigInt.fromArrayBuffer; typed as the BigInt object type). */
export function bigOf(bytes: Uint8Array): bigint {
  return BigInt.fromArrayBuffer(bufferOf(bytes)) as unknown as bigint;
}

export function scalarInRange(curve: Curve, k: bigint): boolean {
  return k >= 1n && k < curve.n;
}

/** The 32-byte private scalar, after checking it lies in 1..n-1. */
export function privateScalar(curve: Curve, key: Uint8Array): bigint {
  checkLength(key, 32, "P-256 private key");
  const d = bigOf(key);
  if (!scalarInRange(curve, d)) throw new RangeError("P-256 private key outside 1..n-1");
  return d;
}

/** The SEC1 uncompressed key as a point, after checking it lies on P-256 (SEC1 3.2.2.1; cofactor 1). */
export function publicPoint(curve: Curve, key: Uint8Array): ECPoint {
  if (key.length !== 65 || key[0] !== 0x04) {
    throw new RangeError(`P-256 public key is 65 bytes starting 0x04 (uncompressed SEC1), got ${key.length} bytes`);
  }
  const { a, b, m } = curve.ec;
  const x = bigOf(key.subarray(1, 33));
  const y = bigOf(key.subarray(33));
  if (x >= m || y >= m || (y * y - (x * x * x + a * x + b)) % m !== 0n) {
    throw new RangeError("P-256 public key is not a point of the curve");
  }
  return new ECPoint(x, y);
}
