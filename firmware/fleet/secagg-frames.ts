import type { Crypto } from "../platform/crypto.js";
import { sha256Of } from "../platform/crypto.js";
import { asciiBytes, asciiText, checkName } from "./ascii.js";

/**
 * The frames a device sends in a secure-aggregation round (EPSA v1, docs/formats.md), each
 * signed with its device key and bound to the round, its kind and the sender, so a gateway can
 * neither forge one nor replay one from another round or stage. Little-endian:
 *   0 "EPSA" | 4 u16 version 1 | 6 u8 kind | 7 u8 sender id bytes N | 8 u32 round
 *   12 u32 body bytes B | 16 sender id | 16+N body | u8[64] ECDSA P-256 r||s over SHA-256 of
 *   everything before it.
 * The bodies are read and written by the round's own modules (secagg-device.ts, the server's
 * fleet-server/secagg.py); this file holds the envelope and the small byte helpers they share.
 */
const MAGIC = 0x41535045; // "EPSA"
const VERSION = 1;
const HEAD = 16;
const SIG = 64;
/** A body never needs more: a masked vector of 2^18 words plus its peer list. */
export const MAX_BODY = (1 << 20) + 64 * 256;

export const KIND = { keys: 1, share: 2, masked: 3, reveal: 4 } as const;
export type FrameKind = keyof typeof KIND;

/** A refusal by name: `code` is what the log and the tests match on. */
export class SecAggError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`secagg: ${message}`);
    this.name = "SecAggError";
    this.code = code;
  }
}

export interface OpenedFrame {
  readonly sender: string;
  readonly body: Uint8Array;
}

export function sealFrame(crypto: Crypto, kind: FrameKind, round: number, sender: string, body: Uint8Array, sign: (digest: Uint8Array) => Uint8Array): Uint8Array {
  checkName("device id", sender);
  checkRound(round);
  if (body.length > MAX_BODY) throw new SecAggError("too-large", `a ${kind} body of ${body.length} bytes is over ${MAX_BODY}`);
  const id = asciiBytes(sender);
  const out = new Uint8Array(HEAD + id.length + body.length + SIG);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, VERSION, true);
  out[6] = KIND[kind];
  out[7] = id.length;
  v.setUint32(8, round, true);
  v.setUint32(12, body.length, true);
  out.set(id, HEAD);
  out.set(body, HEAD + id.length);
  const sig = sign(sha256Of(crypto, out.subarray(0, HEAD + id.length + body.length)));
  if (sig.length !== SIG) throw new RangeError("signature must be 64 bytes");
  out.set(sig, HEAD + id.length + body.length);
  return out;
}

/**
 * Verifies a frame of the expected kind and round from a known device; every refusal is a
 * SecAggError: truncated, bad-magic, bad-version, bad-length, wrong-kind, wrong-round (a
 * replay from another round), unknown-device, bad-signature.
 */
export function openFrame(crypto: Crypto, bytes: Uint8Array, kind: FrameKind, round: number, deviceKey: (id: string) => Uint8Array | undefined): OpenedFrame {
  if (bytes.length < HEAD + 1 + SIG) throw new SecAggError("truncated", `${bytes.length} bytes is shorter than a frame`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) throw new SecAggError("bad-magic", "not an EPSA frame");
  const version = v.getUint16(4, true);
  if (version !== VERSION) throw new SecAggError("bad-version", `format version ${version}, this reader reads ${VERSION}`);
  const n = bytes[7]!;
  const b = v.getUint32(12, true);
  if (n < 1 || n > 64 || HEAD + n + b + SIG !== bytes.length) throw new SecAggError("bad-length", `${bytes.length} bytes, fields say ${HEAD + n + b + SIG}`);
  let sender: string;
  try {
    sender = asciiText(bytes.subarray(HEAD, HEAD + n));
    checkName("device id", sender);
  } catch (e) {
    throw new SecAggError("bad-sender", (e as Error).message);
  }
  const key = deviceKey(sender);
  if (key === undefined) throw new SecAggError("unknown-device", `no device key for ${sender}`);
  if (!crypto.verifyP256(key, sha256Of(crypto, bytes.subarray(0, HEAD + n + b)), bytes.subarray(HEAD + n + b))) {
    throw new SecAggError("bad-signature", `frame from ${sender} does not verify with its device key`);
  }
  // Checked after the signature: the sender really said this, about another stage or round.
  if (bytes[6] !== KIND[kind]) throw new SecAggError("wrong-kind", `expected a ${kind} frame from ${sender}, got kind ${bytes[6]}`);
  const got = v.getUint32(8, true);
  if (got !== round) throw new SecAggError("wrong-round", `frame from ${sender} is for round ${got}, this is round ${round}`);
  return { sender, body: bytes.subarray(HEAD + n, HEAD + n + b) };
}

export function checkRound(round: number): void {
  if (!(Number.isInteger(round) && round >= 0 && round <= 0xffffffff)) throw new RangeError("round must be a uint32");
}

/** Writes bytes in order; sized up front so nothing grows. */
export class ByteWriter {
  readonly bytes: Uint8Array;
  #at = 0;
  constructor(length: number) {
    this.bytes = new Uint8Array(length);
  }
  u8(x: number): void {
    this.bytes[this.#at++] = x;
  }
  u16(x: number): void {
    this.u8(x & 0xff);
    this.u8((x >>> 8) & 0xff);
  }
  u32(x: number): void {
    this.u16(x & 0xffff);
    this.u16(x >>> 16);
  }
  raw(b: Uint8Array): void {
    this.bytes.set(b, this.#at);
    this.#at += b.length;
  }
  /** u8 length then the name's ASCII. */
  name(s: string): void {
    checkName("device id", s);
    this.u8(s.length);
    this.raw(asciiBytes(s));
  }
  done(): Uint8Array {
    if (this.#at !== this.bytes.length) throw new RangeError(`writer: ${this.#at} of ${this.bytes.length} bytes written`);
    return this.bytes;
  }
}

/** Reads a body with every length checked; a short or malformed body is `bad-body`. */
export class ByteReader {
  readonly #b: Uint8Array;
  readonly #what: string;
  #at = 0;
  constructor(b: Uint8Array, what: string) {
    this.#b = b;
    this.#what = what;
  }
  #need(n: number): void {
    if (this.#at + n > this.#b.length) throw new SecAggError("bad-body", `${this.#what} body ends early (${this.#b.length} bytes)`);
  }
  u8(): number {
    this.#need(1);
    return this.#b[this.#at++]!;
  }
  u16(): number {
    return this.u8() | (this.u8() << 8);
  }
  u32(): number {
    return (this.u16() | (this.u16() << 16)) >>> 0;
  }
  raw(n: number): Uint8Array {
    this.#need(n);
    const out = this.#b.slice(this.#at, this.#at + n);
    this.#at += n;
    return out;
  }
  name(): string {
    const n = this.u8();
    try {
      const s = asciiText(this.raw(n));
      checkName("device id", s);
      return s;
    } catch (e) {
      if (e instanceof SecAggError) throw e;
      throw new SecAggError("bad-body", `${this.#what}: ${(e as Error).message}`);
    }
  }
  end(): void {
    if (this.#at !== this.#b.length) throw new SecAggError("bad-body", `${this.#what} body has ${this.#b.length - this.#at} bytes left over`);
  }
}
