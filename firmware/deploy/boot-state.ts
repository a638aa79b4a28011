import { CodedError } from "../coded-error.js";
/**
 * The boot state of the deploy slots: which slot is active, which holds a candidate and whether
 * it is merely verified or on trial, and the anti-rollback counter. One small record, saved
 * whole through a SlotStore for each transition, so every transition is one commit point.
 * Layout, version 2, little-endian, 52 bytes:
 *   0 u8 version = 2 | 1 u8 active slot (0, 1; 0xFF = none: base model) | 2 u8 state (0 idle,
 *   1 verified, 2 trial) | 3 u8 candidate slot (0xFF when idle) | 4 u32 counter (highest
 *   confirmed sequence) | 8 slot 0, 28 slot 1: u32 sequence, u32 adapter version, u32 parent
 *   version, u32 payload bytes, u32 payload CRC-32 (all 0 for a slot that is neither active nor
 *   the candidate) | 48 u32 refused (highest sequence whose trial was reverted: a signed delta
 *   that lost its trial or was on trial when the device rebooted; never tried again)
 * Version 1 (48 bytes, no refused field) is still read, as refused = 0, so a firmware update
 * keeps the slots and the counter; the next save writes version 2.
 */
export const BOOT_STATE_BYTES = 52;
const BOOT_STATE_V1_BYTES = 48;
const VERSION = 2;
export const NO_SLOT = 0xff;

export type SlotIndex = 0 | 1;
export type TrialState = "idle" | "verified" | "trial";
const STATES: readonly TrialState[] = ["idle", "verified", "trial"];

/** What a slot holds: the delta's identity and the payload's length and CRC (checked at boot). */
export interface SlotInfo {
  readonly sequence: number;
  readonly adapterVersion: number;
  readonly parentVersion: number;
  readonly payloadBytes: number;
  readonly payloadCrc: number;
}

export interface BootState {
  readonly active: SlotIndex | undefined;
  readonly state: TrialState;
  readonly candidate: SlotIndex | undefined;
  readonly counter: number;
  /** Highest sequence whose trial reverted (0: none); only a higher sequence is downloaded. */
  readonly refused: number;
  readonly slots: readonly [SlotInfo | undefined, SlotInfo | undefined];
}

export const EMPTY_BOOT_STATE: BootState = { active: undefined, state: "idle", candidate: undefined, counter: 0, refused: 0, slots: [undefined, undefined] };

export class BootStateError extends CodedError<"bad-boot-state"> {
  constructor(message: string) {
    super("BootStateError", "bad-boot-state", `deploy: bad-boot-state: ${message}`);
  }
}

/** Throws BootStateError unless s is one of the states the transitions can produce. */
export function checkBootState(s: BootState): void {
  if (s.state === "idle" ? s.candidate !== undefined : s.candidate === undefined) throw new BootStateError(`state ${s.state} with candidate ${s.candidate}`);
  if (s.candidate !== undefined && s.candidate === s.active) throw new BootStateError("the candidate is the active slot");
  for (const i of [0, 1] as const) {
    const used = i === s.active || i === s.candidate;
    const info = s.slots[i];
    if (used !== (info !== undefined)) throw new BootStateError(`slot ${i} ${used ? "in use without" : "not in use with"} a description`);
    if (info && info.payloadBytes < 1) throw new BootStateError(`slot ${i} holds an empty payload`);
  }
}

export function encodeBootState(s: BootState): Uint8Array {
  checkBootState(s);
  const out = new Uint8Array(BOOT_STATE_BYTES);
  const v = new DataView(out.buffer);
  out[0] = VERSION;
  out[1] = s.active ?? NO_SLOT;
  out[2] = STATES.indexOf(s.state);
  out[3] = s.candidate ?? NO_SLOT;
  v.setUint32(4, s.counter, true);
  v.setUint32(48, s.refused, true);
  for (const i of [0, 1] as const) {
    const info = s.slots[i];
    if (!info) continue;
    const at = 8 + 20 * i;
    v.setUint32(at, info.sequence, true);
    v.setUint32(at + 4, info.adapterVersion, true);
    v.setUint32(at + 8, info.parentVersion, true);
    v.setUint32(at + 12, info.payloadBytes, true);
    v.setUint32(at + 16, info.payloadCrc, true);
  }
  return out;
}

export function decodeBootState(b: Uint8Array): BootState {
  if (b[0] !== VERSION && b[0] !== 1) throw new BootStateError(`version ${b[0]}, this firmware reads 1 and ${VERSION}`);
  const bytes = b[0] === 1 ? BOOT_STATE_V1_BYTES : BOOT_STATE_BYTES;
  if (b.length !== bytes) throw new BootStateError(`version ${b[0]} record of ${b.length} bytes, ${bytes} expected`);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const slot = (x: number, what: string): SlotIndex | undefined => {
    if (x === NO_SLOT) return undefined;
    if (x === 0 || x === 1) return x;
    throw new BootStateError(`${what} slot ${x}`);
  };
  const state = STATES[b[2]!];
  if (!state) throw new BootStateError(`state ${b[2]}`);
  const active = slot(b[1]!, "active");
  const candidate = slot(b[3]!, "candidate");
  const info = (i: SlotIndex): SlotInfo | undefined => {
    const at = 8 + 20 * i;
    if (i !== active && i !== candidate) {
      for (let k = at; k < at + 20; k++) if (b[k] !== 0) throw new BootStateError(`unused slot ${i} description is not zero`);
      return undefined;
    }
    return { sequence: v.getUint32(at, true), adapterVersion: v.getUint32(at + 4, true), parentVersion: v.getUint32(at + 8, true),
      payloadBytes: v.getUint32(at + 12, true), payloadCrc: v.getUint32(at + 16, true) };
  };
  const refused = b[0] === 1 ? 0 : v.getUint32(48, true);
  const s: BootState = { active, state, candidate, counter: v.getUint32(4, true), refused, slots: [info(0), info(1)] };
  checkBootState(s);
  return s;
}
