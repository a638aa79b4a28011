/**
 * EPDL version 1: a signed adapter delta (docs/formats.md). Little-endian header of 68 bytes, the
 * adapter spec (ASCII), the payload (an EPAD adapter image as the engine exports it) and an
 * ECDSA P-256 signature (r || s) over SHA-256 of everything before it. Pure functions over bytes,
 * XS-compatible (no TextEncoder, no Node APIs); hashing and signing come from the Crypto port.
 */
import type { Crypto } from "../platform/crypto.js";
import { CodedError } from "../coded-error.js";

export const DELTA_MAGIC = "EPDL";
export const DELTA_VERSION = 1;
/** Fixed header bytes; the spec starts here. */
export const DELTA_HEADER_BYTES = 68;
export const DELTA_SIGNATURE_BYTES = 64;
export const DELTA_MAX_SPEC_BYTES = 255;
/** Cohort id meaning "every cohort". */
export const EVERY_COHORT = 0xffffffff;

/** One code per way a delta can be refused; tests and status frames name them. */
export type DeltaErrorCode =
  | "bad-magic" | "bad-version" | "reserved-nonzero" | "bad-spec" | "bad-payload-size"
  | "other-model" | "spec-mismatch" | "stale-sequence" | "oversized" | "truncated"
  | "trailing-bytes" | "bad-signature";

export class DeltaError extends CodedError<DeltaErrorCode> {
  constructor(code: DeltaErrorCode, message: string) {
    super("DeltaError", code, `delta: ${code}: ${message}`);
  }
}

export interface DeltaFields {
  /** SHA-256 of the base model's .tflite bytes (32 bytes). */
  readonly baseModelSha256: Uint8Array;
  readonly adapterVersion: number;
  /** 0 = none. */
  readonly parentVersion: number;
  /** Anti-rollback counter: strictly increasing across the fleet. */
  readonly sequence: number;
  readonly cohort: number;
  /** The spec string as `edge-peft train` takes it (ASCII, 1..255 bytes). */
  readonly spec: string;
}

export interface DeltaHeader extends DeltaFields {
  readonly payloadBytes: number;
  /** Offset of the payload: 68 + spec bytes. */
  readonly payloadOffset: number;
  /** Whole delta: payloadOffset + payloadBytes + 64. */
  readonly totalBytes: number;
}

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;

function putU16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

function putU32(b: Uint8Array, at: number, v: number): void {
  for (let i = 0; i < 4; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
}

function isUint32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
}

/** The spec as ASCII bytes; printable characters only, so a spec compares byte for byte. */
export function specBytes(spec: string): Uint8Array {
  if (spec.length < 1 || spec.length > DELTA_MAX_SPEC_BYTES) {
    throw new DeltaError("bad-spec", `spec of ${spec.length} bytes, 1..${DELTA_MAX_SPEC_BYTES} allowed`);
  }
  const out = new Uint8Array(spec.length);
  for (let i = 0; i < spec.length; i++) {
    const c = spec.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new DeltaError("bad-spec", `spec byte ${i} is 0x${c.toString(16)}, printable ASCII only`);
    out[i] = c;
  }
  return out;
}

/** The spec string of `bytes`, refusing what specBytes would not have written. */
export function specString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) throw new DeltaError("bad-spec", `spec byte ${i} is 0x${c.toString(16)}, printable ASCII only`);
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Decodes the fixed 68-byte header; `spec` is filled in by the caller once its bytes are in
 * (decodeDeltaHeader leaves it ""). Checks only what the header alone can tell: the device's
 * own checks (model, spec, sequence, slot size) are the verifier's.
 */
export function decodeFixedHeader(b: Uint8Array): Omit<DeltaHeader, "spec"> & { specBytes: number } {
  if (b.length < DELTA_HEADER_BYTES) throw new DeltaError("truncated", `header of ${b.length} bytes, ${DELTA_HEADER_BYTES} needed`);
  for (let i = 0; i < 4; i++) {
    if (b[i] !== DELTA_MAGIC.charCodeAt(i)) throw new DeltaError("bad-magic", "not an EPDL delta");
  }
  const version = u16(b, 4);
  if (version !== DELTA_VERSION) throw new DeltaError("bad-version", `format version ${version}, this device reads ${DELTA_VERSION}`);
  if (u16(b, 6) !== 0) throw new DeltaError("reserved-nonzero", `reserved bytes 6..7 are 0x${u16(b, 6).toString(16)}, must be 0`);
  if (u32(b, 60) !== 0) throw new DeltaError("reserved-nonzero", `flags (bytes 60..63) are 0x${u32(b, 60).toString(16)}, must be 0`);
  if (u16(b, 66) !== 0) throw new DeltaError("reserved-nonzero", `reserved bytes 66..67 are 0x${u16(b, 66).toString(16)}, must be 0`);
  const spec = u16(b, 64);
  if (spec < 1 || spec > DELTA_MAX_SPEC_BYTES) throw new DeltaError("bad-spec", `spec length ${spec}, 1..${DELTA_MAX_SPEC_BYTES} allowed`);
  const payloadBytes = u32(b, 56);
  if (payloadBytes < 1) throw new DeltaError("bad-payload-size", "payload of 0 bytes");
  const payloadOffset = DELTA_HEADER_BYTES + spec;
  return {
    baseModelSha256: b.slice(8, 40),
    adapterVersion: u32(b, 40),
    parentVersion: u32(b, 44),
    sequence: u32(b, 48),
    cohort: u32(b, 52),
    payloadBytes,
    specBytes: spec,
    payloadOffset,
    totalBytes: payloadOffset + payloadBytes + DELTA_SIGNATURE_BYTES,
  };
}

/** Header and spec of a whole delta held in memory (host tools, inspect); no signature check. */
export function decodeDeltaHeader(b: Uint8Array): DeltaHeader {
  const fixed = decodeFixedHeader(b);
  if (b.length < fixed.payloadOffset) throw new DeltaError("truncated", `delta of ${b.length} bytes ends inside its spec`);
  const { specBytes: _n, ...rest } = fixed;
  return { ...rest, spec: specString(b.subarray(DELTA_HEADER_BYTES, fixed.payloadOffset)) };
}

/**
 * Builds a delta: header, spec, payload, then `sign(message)` where message is all of those
 * bytes; sign returns the 64-byte r || s of ECDSA P-256 over SHA-256(message): signerP256 over
 * the Crypto port, or node:crypto's sign on a host that holds the whole message.
 */
export function encodeDelta(fields: DeltaFields, payload: Uint8Array, sign: (message: Uint8Array) => Uint8Array): Uint8Array {
  const spec = specBytes(fields.spec);
  if (fields.baseModelSha256.length !== 32) throw new RangeError(`base model SHA-256 is 32 bytes, got ${fields.baseModelSha256.length}`);
  for (const [name, v] of [["adapterVersion", fields.adapterVersion], ["parentVersion", fields.parentVersion],
    ["sequence", fields.sequence], ["cohort", fields.cohort]] as const) {
    if (!isUint32(v)) throw new RangeError(`${name} must be a uint32, got ${v}`);
  }
  if (payload.length < 1 || payload.length > 0xffffffff) throw new DeltaError("bad-payload-size", `payload of ${payload.length} bytes`);
  const signed = DELTA_HEADER_BYTES + spec.length + payload.length;
  const out = new Uint8Array(signed + DELTA_SIGNATURE_BYTES);
  for (let i = 0; i < 4; i++) out[i] = DELTA_MAGIC.charCodeAt(i);
  putU16(out, 4, DELTA_VERSION);
  out.set(fields.baseModelSha256, 8);
  putU32(out, 40, fields.adapterVersion);
  putU32(out, 44, fields.parentVersion);
  putU32(out, 48, fields.sequence);
  putU32(out, 52, fields.cohort);
  putU32(out, 56, payload.length);
  putU16(out, 64, spec.length);
  out.set(spec, DELTA_HEADER_BYTES);
  out.set(payload, DELTA_HEADER_BYTES + spec.length);
  const signature = sign(out.subarray(0, signed));
  if (signature.length !== DELTA_SIGNATURE_BYTES) throw new RangeError(`signature of ${signature.length} bytes, 64 expected`);
  out.set(signature, signed);
  return out;
}

/** A sign function for encodeDelta: SHA-256 and deterministic ECDSA through the Crypto port. */
export function signerP256(crypto: Crypto, privateKey: Uint8Array): (message: Uint8Array) => Uint8Array {
  return (message) => {
    const h = crypto.sha256();
    h.update(message);
    return crypto.signP256(privateKey, h.digest());
  };
}
