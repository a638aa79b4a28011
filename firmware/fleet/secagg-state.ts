import { ByteReader, ByteWriter, SecAggError } from "./secagg-frames.js";

/**
 * What a device keeps between the stages of one secure-aggregation round: in flash on a board
 * (a stage may come after a reboot), as bytes the caller stores: about 1.2 KB for 6
 * neighbours (layout at encodeState).
 * It holds the round's secrets (c_i, s_i, b_i, the shares held for neighbours): the caller
 * erases it when the round ends.
 */
export type Stage = "keys" | "shared" | "masked" | "revealed";

export interface PeerKeys {
  readonly id: string;
  /** Share-encryption public key C_j (65-byte SEC1). */
  readonly c: Uint8Array;
  /** Mask public key S_j. */
  readonly s: Uint8Array;
}

/** A share this device holds for a neighbour, decrypted and checked at the masking stage. */
export interface HeldShare {
  readonly owner: string;
  /** Its index x (1..255) in the owner's sharing. */
  readonly x: number;
  /** Share of b_owner (two 16-byte halves). */
  readonly b: Uint8Array;
  /** Share of s_owner's private key. */
  readonly s: Uint8Array;
}

export interface RoundState {
  readonly stage: Stage;
  readonly round: number;
  readonly id: string;
  readonly threshold: number;
  /** The neighbours the server assigned, sorted. */
  readonly neighbours: readonly string[];
  readonly cPrivate: Uint8Array;
  readonly sPrivate: Uint8Array;
  /** The self-mask seed b_i. */
  readonly b: Uint8Array;
  /** Neighbours whose signed key frames arrived (stage "shared" on). */
  readonly peers: readonly PeerKeys[];
  /** Shares held for neighbours (stage "masked" on). */
  readonly held: readonly HeldShare[];
  /** Neighbours this device's pairwise masks cover (stage "masked" on). */
  readonly maskedWith: readonly string[];
  /** The unmask request answered (stage "revealed"): the same one is answered again, no other. */
  readonly answered?: { readonly survivors: readonly string[]; readonly dropped: readonly string[] };
}

const STAGES: readonly Stage[] = ["keys", "shared", "masked", "revealed"];
const VERSION = 1;

function nameBytes(names: readonly string[]): number {
  return names.reduce((n, id) => n + 1 + id.length, 0);
}

/**
 * Little-endian, every length before its data:
 *   u8 version 1 | u8 stage | u32 round | u8 threshold | id | u8 K | K neighbour names |
 *   c 32 | s 32 | b 32 | u8 P | P x (name, C 65, S 65) | u8 H | H x (owner, u8 x, b 32, s 32) |
 *   u8 M | M names | u8 answered 0/1 [| u16 survivors | names | u16 dropped | names]
 * (a name: u8 length, ASCII). Binary, not JSON: building strings costs XS a garbage collection
 * per few characters on a small heap.
 */
export function encodeState(s: RoundState): Uint8Array {
  const a = s.answered;
  const w = new ByteWriter(2 + 4 + 1 + 1 + s.id.length + 1 + nameBytes(s.neighbours) + 96
    + 1 + s.peers.reduce((n, p) => n + 1 + p.id.length + 130, 0)
    + 1 + s.held.reduce((n, h) => n + 1 + h.owner.length + 65, 0)
    + 1 + nameBytes(s.maskedWith) + 1 + (a ? 4 + nameBytes(a.survivors) + nameBytes(a.dropped) : 0));
  w.u8(VERSION);
  w.u8(STAGES.indexOf(s.stage));
  w.u32(s.round);
  w.u8(s.threshold);
  w.name(s.id);
  w.u8(s.neighbours.length);
  for (const n of s.neighbours) w.name(n);
  w.raw(s.cPrivate);
  w.raw(s.sPrivate);
  w.raw(s.b);
  w.u8(s.peers.length);
  for (const p of s.peers) {
    w.name(p.id);
    w.raw(p.c);
    w.raw(p.s);
  }
  w.u8(s.held.length);
  for (const h of s.held) {
    w.name(h.owner);
    w.u8(h.x);
    w.raw(h.b);
    w.raw(h.s);
  }
  w.u8(s.maskedWith.length);
  for (const n of s.maskedWith) w.name(n);
  w.u8(a ? 1 : 0);
  if (a) {
    w.u16(a.survivors.length);
    for (const n of a.survivors) w.name(n);
    w.u16(a.dropped.length);
    for (const n of a.dropped) w.name(n);
  }
  return w.done();
}

/** The state back from its bytes; a damaged record is `bad-state` (the round is then lost, not guessed). */
export function decodeState(bytes: Uint8Array): RoundState {
  try {
    const r = new ByteReader(bytes, "round state");
    if (r.u8() !== VERSION) throw new SecAggError("bad-state", "round state version is not 1");
    const stage = STAGES[r.u8()];
    if (stage === undefined) throw new SecAggError("bad-state", "unknown stage");
    const round = r.u32();
    const threshold = r.u8();
    if (threshold < 1) throw new SecAggError("bad-state", "threshold 0");
    const id = r.name();
    const names = (n: number) => Array.from({ length: n }, () => r.name());
    const neighbours = names(r.u8());
    const cPrivate = r.raw(32);
    const sPrivate = r.raw(32);
    const b = r.raw(32);
    const peers: PeerKeys[] = Array.from({ length: r.u8() }, () => ({ id: r.name(), c: r.raw(65), s: r.raw(65) }));
    const held: HeldShare[] = Array.from({ length: r.u8() }, () => {
      const owner = r.name();
      const x = r.u8();
      if (x < 1) throw new SecAggError("bad-state", "share index 0");
      return { owner, x, b: r.raw(32), s: r.raw(32) };
    });
    const maskedWith = names(r.u8());
    const flag = r.u8();
    if (flag > 1) throw new SecAggError("bad-state", "answered flag is not 0 or 1");
    const answered = flag === 1 ? { survivors: names(r.u16()), dropped: names(r.u16()) } : undefined;
    r.end();
    return { stage, round, id, threshold, neighbours, cPrivate, sPrivate, b, peers, held, maskedWith, ...(answered ? { answered } : {}) };
  } catch (e) {
    if (e instanceof SecAggError && e.code !== "bad-state") throw new SecAggError("bad-state", e.message.replace(/^secagg: /, ""));
    throw e;
  }
}
