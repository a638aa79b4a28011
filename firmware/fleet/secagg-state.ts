import { asciiBytes, asciiText, checkName, hex } from "./ascii.js";
import { SecAggError } from "./secagg-frames.js";

/**
 * What a device keeps between the stages of one secure-aggregation round: in flash on a board
 * (a stage may come after a reboot), as bytes the caller stores. JSON of hex strings: small
 * (well under 2 KB for 8 neighbours), and XS has JSON built in.
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

function unhex(h: unknown, length: number, what: string): Uint8Array {
  if (typeof h !== "string" || h.length !== 2 * length || !/^[0-9a-f]*$/.test(h)) throw new SecAggError("bad-state", `${what} is not ${length} bytes of hex`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function names(a: unknown, what: string): string[] {
  if (!Array.isArray(a)) throw new SecAggError("bad-state", `${what} is not a list`);
  return a.map((x) => {
    if (typeof x !== "string") throw new SecAggError("bad-state", `${what} holds a non-name`);
    try {
      checkName("device id", x);
    } catch (e) {
      throw new SecAggError("bad-state", (e as Error).message);
    }
    return x;
  });
}

function list(a: unknown, what: string): Record<string, unknown>[] {
  if (!Array.isArray(a) || !a.every((x) => typeof x === "object" && x !== null)) throw new SecAggError("bad-state", `${what} is not a list of records`);
  return a as Record<string, unknown>[];
}

export function encodeState(s: RoundState): Uint8Array {
  return asciiBytes(JSON.stringify({
    v: 1, stage: s.stage, round: s.round, id: s.id, threshold: s.threshold, neighbours: s.neighbours,
    c: hex(s.cPrivate), s: hex(s.sPrivate), b: hex(s.b),
    peers: s.peers.map((p) => ({ id: p.id, c: hex(p.c), s: hex(p.s) })),
    held: s.held.map((h) => ({ owner: h.owner, x: h.x, b: hex(h.b), s: hex(h.s) })),
    maskedWith: s.maskedWith,
    ...(s.answered ? { answered: s.answered } : {}),
  }));
}

/** The state back from its bytes; a damaged record is `bad-state` (the round is then lost, not guessed). */
export function decodeState(bytes: Uint8Array): RoundState {
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(asciiText(bytes)) as Record<string, unknown>;
  } catch (e) {
    throw new SecAggError("bad-state", `round state is not readable: ${(e as Error).message}`);
  }
  if (j["v"] !== 1) throw new SecAggError("bad-state", "round state version is not 1");
  const stage = STAGES.find((x) => x === j["stage"]);
  if (stage === undefined) throw new SecAggError("bad-state", `unknown stage ${String(j["stage"])}`);
  const round = j["round"];
  const threshold = j["threshold"];
  if (typeof round !== "number" || !Number.isInteger(round) || round < 0 || round > 0xffffffff) throw new SecAggError("bad-state", "round is not a uint32");
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1) throw new SecAggError("bad-state", "threshold is not a count");
  const id = names([j["id"]], "id")[0]!;
  const answered = j["answered"] as Record<string, unknown> | undefined;
  return {
    stage, round, id, threshold,
    neighbours: names(j["neighbours"], "neighbours"),
    cPrivate: unhex(j["c"], 32, "c"),
    sPrivate: unhex(j["s"], 32, "s"),
    b: unhex(j["b"], 32, "b"),
    peers: list(j["peers"], "peers").map((p) => ({ id: names([p["id"]], "peer")[0]!, c: unhex(p["c"], 65, "peer c"), s: unhex(p["s"], 65, "peer s") })),
    held: list(j["held"], "held").map((h) => {
      const x = h["x"];
      if (typeof x !== "number" || !Number.isInteger(x) || x < 1 || x > 255) throw new SecAggError("bad-state", "share index outside 1..255");
      return { owner: names([h["owner"]], "owner")[0]!, x, b: unhex(h["b"], 32, "b-share"), s: unhex(h["s"], 32, "s-share") };
    }),
    maskedWith: names(j["maskedWith"], "maskedWith"),
    ...(answered !== undefined ? { answered: { survivors: names(answered["survivors"], "survivors"), dropped: names(answered["dropped"], "dropped") } } : {}),
  };
}
