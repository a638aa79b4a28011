import type { Crypto } from "../platform/crypto.js";
import { sha256Of } from "../platform/crypto.js";
import { asciiBytes, asciiText, checkName } from "./ascii.js";

/**
 * Round frames (EPRD v1): the bytes of one secure-aggregation round on MQTT, the same layout as
 * fleet-server/edge_peft_fleet/frames.py. Little-endian:
 *   0 "EPRD" | 4 u16 version 1 | 6 u8 stage | 7 u8 0 | 8 u32 round | 12 u32 cohort
 *   16 u8 id bytes N (the device it is from or to; 0 for a broadcast) | 17 u8 0 | 18 u16 0
 *   20 u32 body bytes B | 24 id | 24+N body | then u8[64] ECDSA P-256 r||s over SHA-256 of all before.
 * Requests are signed by the fleet key, replies by the device key.
 */
const MAGIC = [0x45, 0x50, 0x52, 0x44]; // "EPRD"
const VERSION = 1;
const HEAD = 24;
export const MAX_NEIGHBOURS = 64;

export const Stage = { keysRequest: 1, keysReply: 2, maskRequest: 3, maskReply: 4 } as const;
export type StageCode = (typeof Stage)[keyof typeof Stage];

export interface RoundFrame {
  readonly stage: number;
  readonly round: number;
  readonly cohort: number;
  /** "" for a broadcast request. */
  readonly deviceId: string;
  readonly body: Uint8Array;
}

/**
 * What a KEYS_REQUEST announces: element count, L2 clip S (view units), fraction bits, local
 * steps, and the SHA-256 of the global adapter image the update must start from.
 */
export interface RoundParams {
  readonly elements: number;
  readonly clip: number;
  readonly fractionBits: number;
  readonly localSteps: number;
  readonly globalSha256: Uint8Array;
}

export interface Neighbour {
  readonly id: string;
  readonly publicKey: Uint8Array;
}

export class RoundFrameError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`round frame: ${message}`);
    this.name = "RoundFrameError";
    this.code = code;
  }
}

export function encodeRoundFrame(crypto: Crypto, f: RoundFrame, sign: (digest: Uint8Array) => Uint8Array): Uint8Array {
  if (f.deviceId !== "") checkName("device id", f.deviceId);
  const id = asciiBytes(f.deviceId);
  const out = new Uint8Array(HEAD + id.length + f.body.length + 64);
  const v = new DataView(out.buffer);
  out.set(MAGIC, 0);
  v.setUint16(4, VERSION, true);
  out[6] = f.stage;
  v.setUint32(8, f.round >>> 0, true);
  v.setUint32(12, f.cohort >>> 0, true);
  out[16] = id.length;
  v.setUint32(20, f.body.length, true);
  out.set(id, HEAD);
  out.set(f.body, HEAD + id.length);
  const signed = out.subarray(0, out.length - 64);
  const sig = sign(sha256Of(crypto, signed));
  if (sig.length !== 64) throw new RangeError("signature must be 64 bytes");
  out.set(sig, signed.length);
  return out;
}

/** Decode and verify with `key` (the fleet key for requests); RoundFrameError names the check. */
export function decodeRoundFrame(crypto: Crypto, bytes: Uint8Array, key: Uint8Array): RoundFrame {
  if (bytes.length < HEAD + 64) throw new RoundFrameError("truncated", `${bytes.length} bytes is shorter than a frame`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new RoundFrameError("bad-magic", "not an EPRD frame");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint16(4, true);
  if (version !== VERSION) throw new RoundFrameError("bad-version", `format version ${version}, this reader reads ${VERSION}`);
  if (bytes[7] !== 0 || bytes[17] !== 0 || v.getUint16(18, true) !== 0) throw new RoundFrameError("reserved-nonzero", "reserved bytes must be zero");
  const n = bytes[16]!;
  const b = v.getUint32(20, true);
  if (HEAD + n + b + 64 !== bytes.length) throw new RoundFrameError("bad-length", `${bytes.length} bytes, fields say ${HEAD + n + b + 64}`);
  const signed = bytes.subarray(0, bytes.length - 64);
  if (!crypto.verifyP256(key, sha256Of(crypto, signed), bytes.subarray(bytes.length - 64))) {
    throw new RoundFrameError("bad-signature", "signature does not verify with the expected key");
  }
  const deviceId = asciiText(bytes.subarray(HEAD, HEAD + n));
  if (n > 0) checkName("device id", deviceId);
  return { stage: bytes[6]!, round: v.getUint32(8, true), cohort: v.getUint32(12, true), deviceId, body: bytes.subarray(HEAD + n, HEAD + n + b) };
}

export function decodeRoundParams(body: Uint8Array): RoundParams {
  if (body.length !== 52) throw new RoundFrameError("bad-length", `round parameters of ${body.length} bytes, expected 52`);
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const p = { elements: v.getUint32(0, true), clip: v.getFloat64(4, true), fractionBits: body[12]!, localSteps: v.getUint32(16, true), globalSha256: body.slice(20, 52) };
  if (body[13] !== 0 || v.getUint16(14, true) !== 0) throw new RoundFrameError("reserved-nonzero", "reserved parameter bytes must be zero");
  if (!(p.clip > 0 && p.clip < 1e9)) throw new RoundFrameError("bad-clip", `clip ${p.clip} outside (0, 1e9)`);
  if (p.fractionBits > 16) throw new RoundFrameError("bad-fraction-bits", `${p.fractionBits} fraction bits > 16`);
  if (p.elements < 1 || p.elements > 1 << 16) throw new RoundFrameError("bad-elements", `${p.elements} elements outside 1..65536`);
  return p;
}

/** A MASK_REQUEST's neighbours: u16 count, u16 0, then per neighbour u8 id bytes, id, 65-byte key. */
export function decodeNeighbours(body: Uint8Array, self: string): Neighbour[] {
  if (body.length < 4) throw new RoundFrameError("bad-length", "neighbour list shorter than its head");
  const k = body[0]! | (body[1]! << 8);
  if (body[2] !== 0 || body[3] !== 0) throw new RoundFrameError("reserved-nonzero", "reserved neighbour bytes must be zero");
  // No neighbour would upload the update in the clear: refused, as more than this device can hold.
  if (k < 1 || k > MAX_NEIGHBOURS) throw new RoundFrameError("bad-neighbours", `${k} neighbours outside 1..${MAX_NEIGHBOURS}`);
  const out: Neighbour[] = [];
  let at = 4;
  for (let i = 0; i < k; i++) {
    if (at >= body.length) throw new RoundFrameError("bad-length", "neighbour list ends early");
    const n = body[at]!;
    if (at + 1 + n + 65 > body.length) throw new RoundFrameError("bad-length", "neighbour list ends early");
    const id = asciiText(body.subarray(at + 1, at + 1 + n));
    checkName("device id", id);
    if (id === self || out.some((x) => x.id === id)) throw new RoundFrameError("bad-neighbours", `neighbour ${id} is this device or listed twice`);
    out.push({ id, publicKey: body.slice(at + 1 + n, at + 1 + n + 65) });
    at += 1 + n + 65;
  }
  if (at !== body.length) throw new RoundFrameError("bad-length", "bytes after the neighbour list");
  return out;
}
