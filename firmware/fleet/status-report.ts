import type { Crypto } from "../platform/crypto.js";
import { asciiBytes, asciiText, checkName } from "./ascii.js";
import { CodedError } from "../coded-error.js";

/**
 * What a device says on its status topic (EPST v1), signed with its own device key so the fleet
 * can trust a trial result and a gateway cannot invent one. Little-endian:
 *   0 "EPST" | 4 u16 version 1 | 6 u16 event | 8 u32 active sequence | 12 u32 active version
 *   16 u32 subject sequence (the delta the event is about) | 20 i32 accuracy before (basis
 *   points, -1 unknown) | 24 i32 accuracy after | 28 u32 report counter (strictly increasing
 *   per device: a replayed report is stale) | 32 u8 id bytes N | 33 u8 code bytes M |
 *   34 u16 reserved 0 | 36 id | 36+N code (an error code such as "bad-signature", or empty)
 *   | then u8[64] ECDSA P-256 r||s over SHA-256 of everything before it.
 */
const MAGIC = 0x54535045; // "EPST"
const VERSION = 1;
const HEAD = 36;

export const EVENTS = ["hello", "downloading", "rejected", "trial", "confirmed", "reverted"] as const;
export type StatusEvent = (typeof EVENTS)[number];

export interface StatusReport {
  readonly deviceId: string;
  readonly event: StatusEvent;
  readonly activeSequence: number;
  readonly activeVersion: number;
  readonly subjectSequence: number;
  /** Held-out accuracy in basis points (0..10000), -1 when not measured. */
  readonly accuracyBefore: number;
  readonly accuracyAfter: number;
  readonly counter: number;
  /** Error or reason code, "" for none. */
  readonly code: string;
}

export class StatusError extends CodedError {
  constructor(code: string, message: string) {
    super("StatusError", code, `status: ${message}`);
  }
}

export function encodeStatus(crypto: Crypto, r: StatusReport, sign: (digest: Uint8Array) => Uint8Array): Uint8Array {
  checkName("device id", r.deviceId);
  if (r.code !== "") checkName("code", r.code);
  const id = asciiBytes(r.deviceId);
  const code = asciiBytes(r.code);
  const event = EVENTS.indexOf(r.event);
  if (event < 0) throw new RangeError(`unknown event ${r.event}`);
  const body = new Uint8Array(HEAD + id.length + code.length);
  const v = new DataView(body.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, VERSION, true);
  v.setUint16(6, event, true);
  v.setUint32(8, r.activeSequence >>> 0, true);
  v.setUint32(12, r.activeVersion >>> 0, true);
  v.setUint32(16, r.subjectSequence >>> 0, true);
  v.setInt32(20, r.accuracyBefore | 0, true);
  v.setInt32(24, r.accuracyAfter | 0, true);
  v.setUint32(28, r.counter >>> 0, true);
  body[32] = id.length;
  body[33] = code.length;
  body.set(id, HEAD);
  body.set(code, HEAD + id.length);
  const h = crypto.sha256();
  h.update(body);
  const sig = sign(h.digest());
  if (sig.length !== 64) throw new RangeError("signature must be 64 bytes");
  const out = new Uint8Array(body.length + 64);
  out.set(body, 0);
  out.set(sig, body.length);
  return out;
}

/** The device id a report claims, read before its key is known (to look the key up). */
export function statusDeviceId(bytes: Uint8Array): string {
  if (bytes.length < HEAD + 64) throw new StatusError("truncated", `${bytes.length} bytes is shorter than a report`);
  const n = bytes[32]!;
  if (HEAD + n > bytes.length - 64) throw new StatusError("truncated", "device id runs past the end");
  return asciiText(bytes.subarray(HEAD, HEAD + n));
}

/** Decode and verify with the device's public key. */
export function decodeStatus(crypto: Crypto, bytes: Uint8Array, deviceKey: Uint8Array): StatusReport {
  if (bytes.length < HEAD + 64) throw new StatusError("truncated", `${bytes.length} bytes is shorter than a report`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== MAGIC) throw new StatusError("bad-magic", "not an EPST report");
  const version = v.getUint16(4, true);
  if (version !== VERSION) throw new StatusError("bad-version", `format version ${version}, this reader reads ${VERSION}`);
  const n = bytes[32]!;
  const m = bytes[33]!;
  if (v.getUint16(34, true) !== 0) throw new StatusError("reserved-nonzero", "reserved bytes 34..35 must be zero");
  if (HEAD + n + m + 64 !== bytes.length) {
    throw new StatusError("bad-length", `${bytes.length} bytes, fields say ${HEAD + n + m + 64}`);
  }
  const h = crypto.sha256();
  h.update(bytes.subarray(0, HEAD + n + m));
  if (!crypto.verifyP256(deviceKey, h.digest(), bytes.subarray(HEAD + n + m))) {
    throw new StatusError("bad-signature", "signature does not verify with the device key");
  }
  const event = EVENTS[v.getUint16(6, true)];
  if (event === undefined) throw new StatusError("bad-event", `event ${v.getUint16(6, true)} unknown`);
  const deviceId = asciiText(bytes.subarray(HEAD, HEAD + n));
  checkName("device id", deviceId);
  return {
    deviceId,
    event,
    activeSequence: v.getUint32(8, true),
    activeVersion: v.getUint32(12, true),
    subjectSequence: v.getUint32(16, true),
    accuracyBefore: v.getInt32(20, true),
    accuracyAfter: v.getInt32(24, true),
    counter: v.getUint32(28, true),
    code: asciiText(bytes.subarray(HEAD + n, HEAD + n + m)),
  };
}
