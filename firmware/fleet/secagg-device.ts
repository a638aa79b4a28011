import type { Crypto } from "../platform/crypto.js";
import { sha256Of } from "../platform/crypto.js";
import type { KeyAgreement } from "../platform/key-agreement.js";
import { asciiBytes, checkName } from "./ascii.js";
import { expandMask, maskUpdate } from "./pairwise-masks.js";
import { ByteReader, ByteWriter, SecAggError, checkRound, openFrame, sealFrame } from "./secagg-frames.js";
import { decodeState, encodeState, type HeldShare, type PeerKeys, type RoundState } from "./secagg-state.js";
import { split32 } from "./shamir.js";

/**
 * The device's side of one SecAgg+ round (Bonawitz et al. 2017, Bell et al. 2020), transport-free:
 * each stage takes the frames the server relayed and the state kept since the last stage (bytes,
 * as stored in flash) and returns the frames to send and the new state. Nothing is sent or kept
 * unless the whole stage succeeds: a refusal is a SecAggError and the old state stays valid.
 *   1. startRound: fresh c_i (share encryption), s_i (masks), b_i (self mask) -> signed key frame;
 *   2. shareKeys: neighbours' key frames -> one encrypted share frame per neighbour (Shamir
 *      shares of b_i and s_i, threshold t);
 *   3. maskInput: the share frames addressed here + the encoded update -> the masked vector
 *      y_i = x_i + PRG(b_i) + sum of pairwise masks with the neighbours that shared;
 *   4. reveal: the server's survivors and dropped -> b-shares of survivors, s-shares of the
 *      dropped; never both for one device, never below t survivors.
 * Frame bodies are in docs/formats.md (EPSA); fleet-server/secagg.py is the server's half.
 */
export interface DeviceContext {
  readonly ka: KeyAgreement;
  readonly crypto: Crypto;
  readonly id: string;
  /** ECDSA P-256 with the device key over a 32-byte digest (64 bytes r||s). */
  sign(digest: Uint8Array): Uint8Array;
  /** A fleet member's provisioned device public key (65 bytes), undefined for a stranger. */
  deviceKey(id: string): Uint8Array | undefined;
}

export interface RoundSetup {
  readonly round: number;
  /** Shares needed to rebuild a secret: more than half the neighbours. */
  readonly threshold: number;
  /** The neighbours the server assigned this device for the round. */
  readonly neighbours: readonly string[];
}

export interface StageOutput {
  /** To store until the next stage (replaces the previous state). */
  readonly state: Uint8Array;
  readonly frames: readonly Uint8Array[];
}

const SHARE_SALT = asciiBytes("edge-peft/secagg/v1/share");
const NONCE = new Uint8Array(12);
/** u8 x | b-share 32 | s-share 32. */
const SHARE_PLAIN = 65;
export const REVEAL_SELF_MASK = 1;
export const REVEAL_MASK_KEY = 2;

/** A P-256 private key from the generator: 32 random bytes, redrawn in the ~2^-32 case outside 1..n-1. */
function newPrivateKey(ctx: DeviceContext): { priv: Uint8Array; pub: Uint8Array } {
  for (let tries = 0; tries < 8; tries++) {
    const priv = ctx.ka.randomBytes(32);
    try {
      return { priv, pub: ctx.crypto.publicKeyP256(priv) };
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
    }
  }
  throw new SecAggError("no-entropy", "the random generator gave no valid P-256 key in 8 draws");
}

function expect(s: RoundState, stage: RoundState["stage"], ctx: DeviceContext): void {
  if (s.id !== ctx.id) throw new SecAggError("bad-state", `round state belongs to ${s.id}, not ${ctx.id}`);
  if (s.stage !== stage) throw new SecAggError("wrong-stage", `round ${s.round} is at stage ${s.stage}, not ${stage}`);
}

/** AEAD key and associated data of the shares `sender` sends `recipient` (one key per direction). */
function shareKey(ctx: DeviceContext, round: number, myC: Uint8Array, peerC: Uint8Array, sender: string, recipient: string): { key: Uint8Array; aad: Uint8Array } {
  const aad = new ByteWriter(4 + 2 + sender.length + recipient.length);
  aad.u32(round);
  aad.u8(0);
  aad.raw(asciiBytes(sender));
  aad.u8(0);
  aad.raw(asciiBytes(recipient));
  const info = aad.done();
  let shared: Uint8Array;
  try {
    shared = ctx.ka.ecdhP256(myC, peerC);
  } catch (e) {
    throw new SecAggError("bad-key", `${sender === ctx.id ? recipient : sender}'s share key: ${(e as Error).message}`);
  }
  return { key: ctx.ka.hkdfSha256(shared, SHARE_SALT, info, 32), aad: info };
}

/** Stage 1: fresh round keys; the key frame carries C_i, S_i and SHA-256(b_i) (the server's check on rebuilt b_i). */
export function startRound(ctx: DeviceContext, setup: RoundSetup): StageOutput {
  checkRound(setup.round);
  checkName("device id", ctx.id);
  const neighbours = [...new Set(setup.neighbours)].sort();
  for (const n of neighbours) checkName("neighbour", n);
  if (neighbours.length !== setup.neighbours.length) throw new SecAggError("bad-setup", "a neighbour is listed twice");
  if (neighbours.includes(ctx.id)) throw new SecAggError("bad-setup", "a device is not its own neighbour");
  if (neighbours.length < 1 || neighbours.length > 255) throw new SecAggError("bad-setup", `${neighbours.length} neighbours, 1..255 allowed`);
  // t > k/2: two disjoint halves of the neighbourhood cannot each rebuild a secret.
  if (!(Number.isInteger(setup.threshold) && 2 * setup.threshold > neighbours.length && setup.threshold <= neighbours.length)) {
    throw new SecAggError("threshold-too-low", `threshold ${setup.threshold} must be over half of ${neighbours.length} neighbours and at most all`);
  }
  const c = newPrivateKey(ctx);
  const s = newPrivateKey(ctx);
  const b = ctx.ka.randomBytes(32);
  const body = new ByteWriter(65 + 65 + 32);
  body.raw(c.pub);
  body.raw(s.pub);
  body.raw(sha256Of(ctx.crypto, b));
  const state: RoundState = {
    stage: "keys", round: setup.round, id: ctx.id, threshold: setup.threshold, neighbours,
    cPrivate: c.priv, sPrivate: s.priv, b, peers: [], held: [], maskedWith: [],
  };
  return { state: encodeState(state), frames: [sealFrame(ctx.crypto, "keys", setup.round, ctx.id, body.done(), (d) => ctx.sign(d))] };
}

/** Stage 2: verify the neighbours' key frames, send each a share of b_i and of s_i, encrypted to it. */
export function shareKeys(ctx: DeviceContext, stateBytes: Uint8Array, keyFrames: readonly Uint8Array[]): StageOutput {
  const st = decodeState(stateBytes);
  expect(st, "keys", ctx);
  const peers: PeerKeys[] = [];
  for (const f of keyFrames) {
    const { sender, body } = openFrame(ctx.crypto, f, "keys", st.round, (id) => ctx.deviceKey(id));
    if (!st.neighbours.includes(sender)) throw new SecAggError("not-a-neighbour", `key frame from ${sender}, not a neighbour of ${ctx.id} this round`);
    if (peers.some((p) => p.id === sender)) throw new SecAggError("duplicate-device", `two key frames from ${sender}`);
    const r = new ByteReader(body, "keys");
    const c = r.raw(65);
    const s = r.raw(65);
    r.raw(32);
    r.end();
    peers.push({ id: sender, c, s });
  }
  if (peers.length < st.threshold) throw new SecAggError("too-few-neighbours", `${peers.length} neighbours sent keys, threshold is ${st.threshold}`);
  peers.sort((a, b) => (a.id < b.id ? -1 : 1));
  const random = (n: number) => ctx.ka.randomBytes(n);
  const bShares = split32(random, st.b, st.threshold, peers.length);
  const sShares = split32(random, st.sPrivate, st.threshold, peers.length);
  const frames = peers.map((p, k) => {
    const plain = new ByteWriter(SHARE_PLAIN);
    plain.u8(k + 1);
    plain.raw(bShares[k]!);
    plain.raw(sShares[k]!);
    const { key, aad } = shareKey(ctx, st.round, st.cPrivate, p.c, ctx.id, p.id);
    const sealed = ctx.ka.aeadSeal(key, NONCE, aad, plain.done());
    const body = new ByteWriter(1 + p.id.length + sealed.length);
    body.name(p.id);
    body.raw(sealed);
    return sealFrame(ctx.crypto, "share", st.round, ctx.id, body.done(), (d) => ctx.sign(d));
  });
  return { state: encodeState({ ...st, stage: "shared", peers }), frames };
}

/** Stage 3: keep the shares addressed here, mask the encoded update with PRG(b_i) and the pairwise masks. */
export function maskInput(ctx: DeviceContext, stateBytes: Uint8Array, shareFrames: readonly Uint8Array[], encoded: Uint32Array): StageOutput {
  const st = decodeState(stateBytes);
  expect(st, "shared", ctx);
  if (encoded.length < 1 || encoded.length > 1 << 18) throw new SecAggError("bad-update", `an encoded update of ${encoded.length} words is outside 1..262144`);
  const held: HeldShare[] = [];
  for (const f of shareFrames) {
    const { sender, body } = openFrame(ctx.crypto, f, "share", st.round, (id) => ctx.deviceKey(id));
    const peer = st.peers.find((p) => p.id === sender);
    if (peer === undefined) throw new SecAggError("not-a-neighbour", `share frame from ${sender}, whose keys this device did not take`);
    if (held.some((h) => h.owner === sender)) throw new SecAggError("duplicate-device", `two share frames from ${sender}`);
    const r = new ByteReader(body, "share");
    const to = r.name();
    if (to !== ctx.id) throw new SecAggError("wrong-recipient", `share frame from ${sender} is for ${to}`);
    const sealed = r.raw(SHARE_PLAIN + 16);
    r.end();
    const { key, aad } = shareKey(ctx, st.round, st.cPrivate, peer.c, sender, ctx.id);
    const plain = ctx.ka.aeadOpen(key, NONCE, aad, sealed);
    if (plain === undefined) throw new SecAggError("bad-share", `the share from ${sender} does not decrypt (forged or damaged)`);
    const x = plain[0]!;
    if (x < 1 || x > 255) throw new SecAggError("bad-share", `share index ${x} from ${sender} outside 1..255`);
    held.push({ owner: sender, x, b: plain.slice(1, 33), s: plain.slice(33, 65) });
  }
  if (held.length < st.threshold) throw new SecAggError("too-few-neighbours", `${held.length} neighbours sent shares, threshold is ${st.threshold}`);
  held.sort((a, b) => (a.owner < b.owner ? -1 : 1));
  const maskedWith = held.map((h) => h.owner);
  const peers = maskedWith.map((id) => ({ id, publicKey: st.peers.find((p) => p.id === id)!.s }));
  let y: Uint32Array;
  try {
    y = maskUpdate(ctx.ka, encoded, st.sPrivate, ctx.id, peers, st.round);
  } catch (e) {
    throw new SecAggError("bad-key", `a neighbour's mask key: ${(e as Error).message}`);
  }
  const self = expandMask(ctx.ka, st.b, y.length);
  for (let i = 0; i < y.length; i++) y[i] = (y[i]! + self[i]!) >>> 0;
  const body = new ByteWriter(1 + maskedWith.reduce((n, id) => n + 1 + id.length, 0) + 4 + 4 * y.length);
  body.u8(maskedWith.length);
  for (const id of maskedWith) body.name(id);
  body.u32(y.length);
  for (let i = 0; i < y.length; i++) body.u32(y[i]!);
  return {
    state: encodeState({ ...st, stage: "masked", held, maskedWith }),
    frames: [sealFrame(ctx.crypto, "masked", st.round, ctx.id, body.done(), (d) => ctx.sign(d))],
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Stage 4: the b-share of every survivor and the s-share of every dropped device this device
 * holds shares for. Refused by name, revealing nothing: a device in both lists (`both-shares`),
 * this device listed as dropped (`self-dropped`), fewer than t of its neighbours surviving
 * (`too-few-survivors`), or a second request that differs from the one answered (`changed-request`):
 * asking again with a device moved between the lists would yield both its secrets.
 */
export function reveal(ctx: DeviceContext, stateBytes: Uint8Array, survivors: readonly string[], dropped: readonly string[]): StageOutput {
  const st = decodeState(stateBytes);
  if (st.stage !== "revealed") expect(st, "masked", ctx);
  else if (st.id !== ctx.id) throw new SecAggError("bad-state", `round state belongs to ${st.id}, not ${ctx.id}`);
  for (const n of [...survivors, ...dropped]) checkName("device id", n);
  const both = survivors.filter((id) => dropped.includes(id));
  if (both.length > 0) throw new SecAggError("both-shares", `asked for both the self-mask and the mask-key share of ${both.join(", ")}`);
  if (dropped.includes(ctx.id)) throw new SecAggError("self-dropped", `${ctx.id} is listed as dropped but sent its masked vector`);
  if (st.answered !== undefined && !(sameSet(st.answered.survivors, survivors) && sameSet(st.answered.dropped, dropped))) {
    throw new SecAggError("changed-request", `round ${st.round} was already unmasked with other lists`);
  }
  // Only the neighbours hold shares of this device's own secrets (it keeps none of itself), so
  // itself does not count: with fewer than t neighbours surviving its self mask cannot be
  // rebuilt, the cohort cannot be unmasked, and what it revealed would be given for nothing.
  const alive = st.neighbours.filter((id) => survivors.includes(id)).length;
  if (alive < st.threshold) throw new SecAggError("too-few-survivors", `${alive} of its neighbours survive, threshold is ${st.threshold}`);
  const out: { what: number; h: HeldShare; share: Uint8Array }[] = [];
  for (const h of st.held) {
    if (survivors.includes(h.owner)) out.push({ what: REVEAL_SELF_MASK, h, share: h.b });
    else if (dropped.includes(h.owner)) out.push({ what: REVEAL_MASK_KEY, h, share: h.s });
  }
  const body = new ByteWriter(2 + out.reduce((n, e) => n + 2 + 1 + e.h.owner.length + 32, 0));
  body.u16(out.length);
  for (const e of out) {
    body.u8(e.what);
    body.u8(e.h.x);
    body.name(e.h.owner);
    body.raw(e.share);
  }
  const answered = { survivors: [...new Set(survivors)].sort(), dropped: [...new Set(dropped)].sort() };
  return {
    state: encodeState({ ...st, stage: "revealed", answered }),
    frames: [sealFrame(ctx.crypto, "reveal", st.round, ctx.id, body.done(), (d) => ctx.sign(d))],
  };
}
