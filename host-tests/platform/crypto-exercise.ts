// Drives any Crypto port implementation over the same inputs and reports what it returned, so
// one set of assertions (crypto.test.ts against published vectors and node:crypto / noble)
// covers NodeCrypto in Node and NativeCrypto inside the XS simulator. No Node APIs here: the
// simulator imports this module's compiled JS.
import type { Crypto } from "../../firmware/platform/crypto.js";

export interface ExerciseInput {
  /** Messages as hex, or a byte repeated `times` times; each hashed whole and in `chunks`. */
  sha: ReadonlyArray<{ hex?: string; repeatByte?: number; times?: number }>;
  chunks: readonly number[];
  /** Deterministic signatures of these digests with this private key. */
  sign: { privateKey: string; digests: readonly string[] };
  /** verifyP256 of each triple. */
  verify: ReadonlyArray<{ publicKey: string; digest: string; signature: string }>;
  /** Key pairs and signatures made by node:crypto over `message`. */
  cross: ReadonlyArray<{ privateKey: string; publicKey: string; message: string; signature: string }>;
}

/** true / false, or "<ErrorName>: <message>" when the call threw. */
export type Outcome = boolean | string;

export interface CrossOutput {
  digest: string;
  verifiesNode: Outcome;
  publicKey: string;
  signature: string;
  /** Bit flips: in the signature (bytes 0, 40), the digest (0, 31), the key (0, 10, 50). */
  flippedSignature: Outcome[];
  flippedDigest: Outcome[];
  flippedKey: Outcome[];
}

export interface ExerciseOutput {
  sha: Array<{ whole: string; chunked: string; noUpdate?: string }>;
  sign: { publicKey: string; signatures: string[] };
  verify: Outcome[];
  cross: CrossOutput[];
  /** Calls with wrong lengths or values: what each threw (or returned). */
  bad: Record<string, Outcome | string>;
}

const HEX = "0123456789abcdef";
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[(bytes[i] as number) >> 4]! + HEX[(bytes[i] as number) & 15]!;
  return s;
}
export function fromHex(text: string): Uint8Array {
  const out = new Uint8Array(text.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function attempt(fn: () => boolean | Uint8Array): Outcome {
  try {
    const r = fn();
    return typeof r === "boolean" ? r : `returned ${r.length} bytes`;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : `threw ${String(e)}`;
  }
}

function flipped(bytes: Uint8Array, at: number): Uint8Array {
  const copy = bytes.slice();
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
}

/** Feeds `length` bytes of `source(offset, n)` in the cycling chunk sizes. */
function chunkedDigest(crypto: Crypto, length: number, chunks: readonly number[], source: (at: number, n: number) => Uint8Array): string {
  const h = crypto.sha256();
  let at = 0;
  for (let i = 0; at < length; i++) {
    const n = Math.min(chunks[i % chunks.length] as number, length - at);
    h.update(source(at, n));
    at += n;
  }
  return toHex(h.digest());
}

function shaOf(crypto: Crypto, input: ExerciseInput["sha"][number], chunks: readonly number[]): ExerciseOutput["sha"][number] {
  if (input.hex !== undefined) {
    const bytes = fromHex(input.hex);
    const whole = crypto.sha256();
    whole.update(bytes);
    const out: ExerciseOutput["sha"][number] = {
      whole: toHex(whole.digest()),
      chunked: chunkedDigest(crypto, bytes.length, chunks, (at, n) => bytes.subarray(at, at + n)),
    };
    if (bytes.length === 0) out.noUpdate = toHex(crypto.sha256().digest());
    return out;
  }
  // A repeated byte: built in slices, never whole (a million bytes would not fit a board heap).
  const times = input.times as number;
  const block = new Uint8Array(Math.max(...chunks)).fill(input.repeatByte as number);
  const h = crypto.sha256();
  for (let at = 0; at < times; at += block.length) h.update(block.subarray(0, Math.min(block.length, times - at)));
  return { whole: toHex(h.digest()), chunked: chunkedDigest(crypto, times, chunks, (_at, n) => block.subarray(0, n)) };
}

/**
 * canSign = false for a port that refuses to sign (ModdableCrypto): each signature is then the
 * outcome of the call, which must be the refusal, and everything else is exercised the same.
 */
export function exercise(crypto: Crypto, input: ExerciseInput, canSign = true): ExerciseOutput {
  const sha = input.sha.map((s) => shaOf(crypto, s, input.chunks));
  const priv = fromHex(input.sign.privateKey);
  const signed = (key: Uint8Array, digest: Uint8Array): string =>
    canSign ? toHex(crypto.signP256(key, digest)) : String(attempt(() => crypto.signP256(key, digest)));
  const sign = {
    publicKey: toHex(crypto.publicKeyP256(priv)),
    signatures: input.sign.digests.map((d) => signed(priv, fromHex(d))),
  };
  const verify = input.verify.map((v) =>
    attempt(() => crypto.verifyP256(fromHex(v.publicKey), fromHex(v.digest), fromHex(v.signature))),
  );
  const cross = input.cross.map((c): CrossOutput => {
    const h = crypto.sha256();
    h.update(fromHex(c.message));
    const digest = h.digest();
    const pub = fromHex(c.publicKey);
    const sig = fromHex(c.signature);
    return {
      digest: toHex(digest),
      verifiesNode: attempt(() => crypto.verifyP256(pub, digest, sig)),
      publicKey: toHex(crypto.publicKeyP256(fromHex(c.privateKey))),
      signature: signed(fromHex(c.privateKey), digest),
      flippedSignature: [0, 40].map((at) => attempt(() => crypto.verifyP256(pub, digest, flipped(sig, at)))),
      flippedDigest: [0, 31].map((at) => attempt(() => crypto.verifyP256(pub, flipped(digest, at), sig))),
      flippedKey: [0, 10, 50].map((at) => attempt(() => crypto.verifyP256(flipped(pub, at), digest, sig))),
    };
  });
  const good = input.cross[0]!;
  const pub = fromHex(good.publicKey);
  const sig = fromHex(good.signature);
  const d32 = new Uint8Array(32);
  const n = fromHex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
  const spent = crypto.sha256();
  spent.digest();
  const bad: ExerciseOutput["bad"] = {
    "sign key 31": attempt(() => crypto.signP256(new Uint8Array(31), d32)),
    "sign key 33": attempt(() => crypto.signP256(new Uint8Array(33), d32)),
    "sign key 0": attempt(() => crypto.signP256(new Uint8Array(32), d32)),
    "sign key n": attempt(() => crypto.signP256(n, d32)),
    "sign digest 31": attempt(() => crypto.signP256(priv, new Uint8Array(31))),
    "public key 31": attempt(() => crypto.publicKeyP256(new Uint8Array(31))),
    "verify key 64": attempt(() => crypto.verifyP256(pub.subarray(1), d32, sig)),
    "verify key 66": attempt(() => crypto.verifyP256(new Uint8Array(66), d32, sig)),
    "verify compressed key": attempt(() => crypto.verifyP256(Uint8Array.of(0x02, ...pub.subarray(1, 33)), d32, sig)),
    "verify digest 33": attempt(() => crypto.verifyP256(pub, new Uint8Array(33), sig)),
    "verify signature 63": attempt(() => crypto.verifyP256(pub, d32, sig.subarray(0, 63))),
    "verify signature r=0": attempt(() => crypto.verifyP256(pub, d32, new Uint8Array(64))),
    "verify signature s=n": attempt(() => crypto.verifyP256(pub, d32, Uint8Array.of(...sig.subarray(0, 32), ...n))),
    "digest twice": attempt(() => spent.digest()),
  };
  return { sha, sign, verify, cross, bad };
}
