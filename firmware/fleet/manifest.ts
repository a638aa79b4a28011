import type { Crypto } from "../platform/crypto.js";
import { equalBytes } from "./ascii.js";
import { CodedError } from "../coded-error.js";

/**
 * Rollout manifest (EPMF v1), retained per cohort: which signed delta a cohort should take, how
 * it is chunked, and how far the rollout has gone. Signed by the fleet key like the delta itself,
 * so a forged manifest cannot start, widen or abort a rollout. Layout (little-endian, 128 bytes):
 *   0 "EPMF" | 4 u16 version 1 | 6 u16 action (1 rollout, 2 abort) | 8 u32 cohort
 *   12 u32 delta sequence | 16 u32 delta bytes | 20 u32 chunk bytes | 24 u32 threshold (0..10000)
 *   28 u32 revision | 32 u8[32] SHA-256 of the whole delta | 64 u8[64] ECDSA P-256 r||s over
 *   SHA-256 of bytes 0..63
 */
export const MANIFEST_BYTES = 128;
const MAGIC = 0x464d5045; // "EPMF" as little-endian uint32
export const MANIFEST_VERSION = 1;
/** Bucket space of a staged rollout: a device takes the delta when its bucket < threshold. */
export const BUCKETS = 10000;

export type ManifestAction = "rollout" | "abort";

export interface Manifest {
  readonly action: ManifestAction;
  readonly cohort: number;
  readonly sequence: number;
  readonly deltaBytes: number;
  readonly chunkBytes: number;
  readonly threshold: number;
  /** Orders manifests of one sequence (each stage or an abort is a new revision). */
  readonly revision: number;
  readonly deltaSha256: Uint8Array;
}

export class ManifestError extends CodedError {
  constructor(code: string, message: string) {
    super("ManifestError", code, `manifest: ${message}`);
  }
}

const u32 = (v: number, what: string) => {
  if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new RangeError(`${what} must be a uint32`);
  return v;
};

/** The 64 signed bytes of a manifest. */
export function manifestBody(m: Manifest): Uint8Array {
  if (m.deltaSha256.length !== 32) throw new RangeError("deltaSha256 must be 32 bytes");
  if (!(m.threshold >= 0 && m.threshold <= BUCKETS)) throw new RangeError(`threshold must be 0..${BUCKETS}`);
  if (!(m.chunkBytes >= 1)) throw new RangeError("chunkBytes must be >= 1");
  const out = new Uint8Array(64);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, MANIFEST_VERSION, true);
  v.setUint16(6, m.action === "rollout" ? 1 : 2, true);
  v.setUint32(8, u32(m.cohort, "cohort"), true);
  v.setUint32(12, u32(m.sequence, "sequence"), true);
  v.setUint32(16, u32(m.deltaBytes, "deltaBytes"), true);
  v.setUint32(20, u32(m.chunkBytes, "chunkBytes"), true);
  v.setUint32(24, m.threshold, true);
  v.setUint32(28, u32(m.revision, "revision"), true);
  out.set(m.deltaSha256, 32);
  return out;
}

/** Body + signature; `sign` signs a SHA-256 digest (the fleet key on the host). */
export function encodeManifest(crypto: Crypto, m: Manifest, sign: (digest: Uint8Array) => Uint8Array): Uint8Array {
  const body = manifestBody(m);
  const h = crypto.sha256();
  h.update(body);
  const sig = sign(h.digest());
  if (sig.length !== 64) throw new RangeError("signature must be 64 bytes");
  const out = new Uint8Array(MANIFEST_BYTES);
  out.set(body, 0);
  out.set(sig, 64);
  return out;
}

/** Decode and verify against the fleet key; every refusal is a ManifestError with a code. */
export function decodeManifest(crypto: Crypto, bytes: Uint8Array, fleetKey: Uint8Array): Manifest {
  if (bytes.length !== MANIFEST_BYTES) {
    throw new ManifestError("bad-length", `${bytes.length} bytes, a manifest is ${MANIFEST_BYTES}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) throw new ManifestError("bad-magic", "not an EPMF manifest");
  const version = v.getUint16(4, true);
  if (version !== MANIFEST_VERSION) {
    throw new ManifestError("bad-version", `format version ${version}, this device reads ${MANIFEST_VERSION}`);
  }
  const h = crypto.sha256();
  h.update(bytes.subarray(0, 64));
  if (!crypto.verifyP256(fleetKey, h.digest(), bytes.subarray(64, 128))) {
    throw new ManifestError("bad-signature", "signature does not verify with the fleet key");
  }
  const action = v.getUint16(6, true);
  if (action !== 1 && action !== 2) throw new ManifestError("bad-action", `action ${action} is neither 1 (rollout) nor 2 (abort)`);
  const threshold = v.getUint32(24, true);
  if (threshold > BUCKETS) throw new ManifestError("bad-threshold", `threshold ${threshold} > ${BUCKETS}`);
  const chunkBytes = v.getUint32(20, true);
  if (chunkBytes === 0) throw new ManifestError("bad-chunk", "chunk bytes 0");
  return {
    action: action === 1 ? "rollout" : "abort",
    cohort: v.getUint32(8, true),
    sequence: v.getUint32(12, true),
    deltaBytes: v.getUint32(16, true),
    chunkBytes,
    threshold,
    revision: v.getUint32(28, true),
    deltaSha256: bytes.slice(32, 64),
  };
}

/** Number of chunks of a manifest's delta. */
export function chunkCount(m: Manifest): number {
  return Math.ceil(m.deltaBytes / m.chunkBytes);
}

/** True when two manifests name the same delta (same sequence and bytes). */
export function sameDelta(a: Manifest, b: Manifest): boolean {
  return a.sequence === b.sequence && a.deltaBytes === b.deltaBytes && equalBytes(a.deltaSha256, b.deltaSha256);
}
