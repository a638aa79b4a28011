import type { Crypto } from "../platform/crypto.js";
import { sha256Of } from "../platform/crypto.js";
import { asciiBytes, asciiText, checkName } from "./ascii.js";
import { parseVariance, type Variance } from "./discrete-gaussian.js";

/**
 * The server's requests in a round (EPRD v2), signed by the fleet key so neither a gateway nor
 * the broker can forge or alter one; the devices answer with EPSA frames (secagg-frames.ts).
 * The same layout as fleet-server/edge_peft_fleet/frames.py. Little-endian:
 *   0 "EPRD" | 4 u16 version 2 | 6 u8 stage | 7 u8 0 | 8 u32 round | 12 u32 cohort
 *   16 u8 id bytes N (the device it is for) | 17 u8 0 | 18 u16 0 | 20 u32 body bytes B
 *   24 id | 24+N body | then u8[64] ECDSA P-256 r||s over SHA-256 of all before.
 * Bodies (a name is u8 length then ASCII; a frame list is u8 count then u32 length + bytes each):
 *   setup:  f64 clip S | f64 step gamma | u32 sample cap | u32 max devices | u32 local steps
 *           | u32 elements | u8 threshold t | u8[32] SHA-256 of the global adapter
 *           | u8 n + n ASCII: the device's noise variance "p/q" in grid steps^2 (n = 0: no noise) | u8 k
 *           | k x (name, 65-byte device public key of the neighbour)
 *   keys:   frame list (the neighbours' EPSA key frames)
 *   shares: frame list (the EPSA share frames addressed to this device)
 *   reveal: u16 count + names (survivors) | u16 count + names (dropped)
 */
const MAGIC = [0x45, 0x50, 0x52, 0x44]; // "EPRD"
const VERSION = 2;
const HEAD = 24;
export const MAX_NEIGHBOURS = 64;

export const Stage = { setup: 1, keys: 2, shares: 3, reveal: 4 } as const;

export interface RoundRequest {
  readonly stage: number;
  readonly round: number;
  readonly cohort: number;
  readonly deviceId: string;
  readonly body: Uint8Array;
}

export interface RoundSetupRequest {
  readonly clip: number;
  readonly step: number;
  readonly sampleCap: number;
  readonly maxDevices: number;
  readonly localSteps: number;
  readonly elements: number;
  readonly threshold: number;
  readonly globalSha256: Uint8Array;
  /** The discrete Gaussian noise share to add, sigma^2 / n in grid steps^2 (the server calibrates it); undefined: no noise. */
  readonly noise: Variance | undefined;
  /** Neighbour id -> its provisioned device key, vouched for by the fleet key's signature. */
  readonly neighbours: ReadonlyMap<string, Uint8Array>;
}

export class RoundFrameError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(`round request: ${message}`);
    this.name = "RoundFrameError";
    this.code = code;
  }
}

class Reader {
  readonly #b: Uint8Array;
  readonly #v: DataView;
  at = 0;
  constructor(b: Uint8Array) {
    this.#b = b;
    this.#v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  #need(n: number): number {
    if (this.at + n > this.#b.length) throw new RoundFrameError("bad-body", "request body ends early");
    const at = this.at;
    this.at += n;
    return at;
  }
  u8(): number {
    return this.#b[this.#need(1)]!;
  }
  u16(): number {
    return this.#v.getUint16(this.#need(2), true);
  }
  u32(): number {
    return this.#v.getUint32(this.#need(4), true);
  }
  f64(): number {
    return this.#v.getFloat64(this.#need(8), true);
  }
  raw(n: number): Uint8Array {
    const at = this.#need(n);
    return this.#b.subarray(at, at + n);
  }
  name(): string {
    const s = asciiText(this.raw(this.u8()));
    checkName("device id", s);
    return s;
  }
  end(): void {
    if (this.at !== this.#b.length) throw new RoundFrameError("bad-body", `${this.#b.length - this.at} bytes after the request body`);
  }
}

/** The host side writes requests (tests, tools); the device only reads them. */
export function encodeRoundRequest(crypto: Crypto, f: RoundRequest, sign: (digest: Uint8Array) => Uint8Array): Uint8Array {
  const id = asciiBytes(f.deviceId);
  checkName("device id", f.deviceId);
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
  const sig = sign(sha256Of(crypto, out.subarray(0, out.length - 64)));
  if (sig.length !== 64) throw new RangeError("signature must be 64 bytes");
  out.set(sig, out.length - 64);
  return out;
}

/** Decode and verify with the fleet key; RoundFrameError names the first check that failed. */
export function decodeRoundRequest(crypto: Crypto, bytes: Uint8Array, fleetKey: Uint8Array): RoundRequest {
  if (bytes.length < HEAD + 1 + 64) throw new RoundFrameError("truncated", `${bytes.length} bytes is shorter than a request`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) throw new RoundFrameError("bad-magic", "not an EPRD request");
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = v.getUint16(4, true);
  if (version !== VERSION) throw new RoundFrameError("bad-version", `format version ${version}, this reader reads ${VERSION}`);
  if (bytes[7] !== 0 || bytes[17] !== 0 || v.getUint16(18, true) !== 0) throw new RoundFrameError("reserved-nonzero", "reserved bytes must be zero");
  const n = bytes[16]!;
  const b = v.getUint32(20, true);
  if (HEAD + n + b + 64 !== bytes.length) throw new RoundFrameError("bad-length", `${bytes.length} bytes, fields say ${HEAD + n + b + 64}`);
  if (!crypto.verifyP256(fleetKey, sha256Of(crypto, bytes.subarray(0, bytes.length - 64)), bytes.subarray(bytes.length - 64))) {
    throw new RoundFrameError("bad-signature", "request does not verify with the fleet key");
  }
  const deviceId = asciiText(bytes.subarray(HEAD, HEAD + n));
  checkName("device id", deviceId);
  return { stage: bytes[6]!, round: v.getUint32(8, true), cohort: v.getUint32(12, true), deviceId, body: bytes.subarray(HEAD + n, HEAD + n + b) };
}

export function decodeSetup(body: Uint8Array, self: string): RoundSetupRequest {
  const r = new Reader(body);
  const clip = r.f64();
  const step = r.f64();
  const sampleCap = r.u32();
  const maxDevices = r.u32();
  const localSteps = r.u32();
  const elements = r.u32();
  const threshold = r.u8();
  const globalSha256 = r.raw(32).slice();
  const noiseBytes = r.raw(r.u8());
  let noise: Variance | undefined;
  try {
    noise = noiseBytes.length === 0 ? undefined : parseVariance(asciiText(noiseBytes));
  } catch (e) {
    throw new RoundFrameError("bad-noise", (e as Error).message);
  }
  const k = r.u8();
  if (k < 1 || k > MAX_NEIGHBOURS) throw new RoundFrameError("bad-neighbours", `${k} neighbours outside 1..${MAX_NEIGHBOURS}`);
  const neighbours = new Map<string, Uint8Array>();
  for (let i = 0; i < k; i++) {
    const id = r.name();
    if (id === self || neighbours.has(id)) throw new RoundFrameError("bad-neighbours", `neighbour ${id} is this device or listed twice`);
    neighbours.set(id, r.raw(65).slice());
  }
  r.end();
  return { clip, step, sampleCap, maxDevices, localSteps, elements, threshold, globalSha256, noise, neighbours };
}

export function decodeFrameList(body: Uint8Array): Uint8Array[] {
  const r = new Reader(body);
  const out: Uint8Array[] = [];
  for (let i = r.u8(); i > 0; i--) out.push(r.raw(r.u32()));
  r.end();
  return out;
}

export function decodeRevealLists(body: Uint8Array): { survivors: string[]; dropped: string[] } {
  const r = new Reader(body);
  const list = () => {
    const out: string[] = [];
    for (let i = r.u16(); i > 0; i--) out.push(r.name());
    return out;
  };
  const survivors = list();
  const dropped = list();
  r.end();
  return { survivors, dropped };
}
