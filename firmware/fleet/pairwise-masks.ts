import type { KeyAgreement } from "../platform/key-agreement.js";
import { asciiBytes, checkName } from "./ascii.js";

/**
 * The pairwise masks of secure aggregation (Bonawitz et al. 2017; SecAgg+ with neighbours),
 * computed on the device: for each neighbour j, seed_ij = HKDF-SHA256(ECDH(a_i, A_j), salt =
 * "edge-peft/secagg/v1", info = round (u32 LE) || 0 || lower id || 0 || higher id, 32 bytes), and
 * the mask is the ChaCha20 keystream of seed_ij (nonce 0, block 0) read as little-endian uint32.
 * The full 256-bit seed keys the stream (Flower's SecAgg+ folds its seed to 32 bits first). The
 * device with the lower id adds the mask, the other subtracts it, so every pair cancels in the
 * sum mod 2^32 and the aggregator only sees masked vectors.
 * Self masks, Shamir shares and dropout recovery build on this in secagg-device.ts.
 */
const SALT = asciiBytes("edge-peft/secagg/v1");
const NONCE = new Uint8Array(12);

export interface Peer {
  readonly id: string;
  /** The peer's key-agreement public key for this round (65-byte SEC1). */
  readonly publicKey: Uint8Array;
}

function info(round: number, a: string, b: string): Uint8Array {
  checkName("device id", a);
  checkName("device id", b);
  if (a === b) throw new RangeError(`a device is not its own neighbour (${a})`);
  if (!(Number.isInteger(round) && round >= 0 && round <= 0xffffffff)) throw new RangeError("round must be a uint32");
  const [lo, hi] = a < b ? [a, b] : [b, a];
  const out = new Uint8Array(4 + 1 + lo.length + 1 + hi.length);
  out[0] = round & 0xff;
  out[1] = (round >>> 8) & 0xff;
  out[2] = (round >>> 16) & 0xff;
  out[3] = (round >>> 24) & 0xff;
  out.set(asciiBytes(lo), 5);
  out.set(asciiBytes(hi), 6 + lo.length);
  return out;
}

export function pairwiseSeed(ka: KeyAgreement, privateKey: Uint8Array, myId: string, peer: Peer, round: number): Uint8Array {
  return ka.hkdfSha256(ka.ecdhP256(privateKey, peer.publicKey), SALT, info(round, myId, peer.id), 32);
}

/** n uint32 mask words from a seed. */
export function expandMask(ka: KeyAgreement, seed: Uint8Array, n: number): Uint32Array {
  if (!(Number.isInteger(n) && n >= 1 && n <= 1 << 18)) throw new RangeError(`mask length ${n} outside 1..262144`);
  const stream = ka.chacha20(seed, NONCE, 0, new Uint8Array(4 * n));
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const k = 4 * i;
    out[i] = (stream[k]! | (stream[k + 1]! << 8) | (stream[k + 2]! << 16) | (stream[k + 3]! << 24)) >>> 0;
  }
  return out;
}

/** The vector a device uploads: its quantised update plus its pairwise masks, mod 2^32. */
export function maskUpdate(ka: KeyAgreement, update: Uint32Array, privateKey: Uint8Array, myId: string, peers: readonly Peer[], round: number): Uint32Array {
  const out = new Uint32Array(update);
  for (const peer of peers) {
    const mask = expandMask(ka, pairwiseSeed(ka, privateKey, myId, peer, round), update.length);
    const add = myId < peer.id;
    for (let i = 0; i < out.length; i++) out[i] = (add ? out[i]! + mask[i]! : out[i]! - mask[i]!) >>> 0;
  }
  return out;
}
