// Builds the inputs of crypto-exercise.ts and checks an implementation's outputs against
// independent oracles: published vectors (crypto-vectors.ts), node:crypto (OpenSSL) and
// @noble/curves. Shared by the NodeCrypto test and the simulator test.
import assert from "node:assert/strict";
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, randomInt, sign, verify, type KeyObject } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import type { ExerciseInput, ExerciseOutput, Outcome } from "./crypto-exercise.js";
import { CHUNK_SIZES, RFC6979_P256, SHA256_VECTORS, SIGVER_P256_SHA256, hex, unhex } from "./crypto-vectors.js";

const sha256 = (bytes: Uint8Array | string): Buffer => createHash("sha256").update(bytes).digest();

interface CrossKey {
  privateKey: string;
  publicKey: string;
  message: string;
  signature: string;
  keyObject: KeyObject;
}

export interface Prepared {
  input: ExerciseInput;
  keys: CrossKey[];
}

/** Fresh random key pairs and messages, signed by node:crypto (OpenSSL), plus the fixed vectors. */
export function prepare(crossCount = 6): Prepared {
  const keys: CrossKey[] = [];
  for (let i = 0; i < crossCount; i++) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const jwk = privateKey.export({ format: "jwk" });
    const d = Buffer.from(jwk.d as string, "base64url");
    const x = Buffer.from(jwk.x as string, "base64url");
    const y = Buffer.from(jwk.y as string, "base64url");
    // Lengths 0..300: empty, shorter and longer than a SHA-256 block.
    const message = randomBytes(i === 0 ? 0 : randomInt(1, 301));
    const signature = sign("sha256", message, { key: privateKey, dsaEncoding: "ieee-p1363" });
    keys.push({
      privateKey: hex(d),
      publicKey: "04" + hex(x) + hex(y),
      message: hex(message),
      signature: hex(signature),
      keyObject: publicKey,
    });
  }
  const input: ExerciseInput = {
    sha: SHA256_VECTORS.map((v) =>
      typeof v.message === "string"
        ? { hex: Buffer.from(v.message, "latin1").toString("hex") }
        : { repeatByte: v.message.repeat.charCodeAt(0), times: v.message.times },
    ),
    chunks: CHUNK_SIZES,
    sign: { privateKey: RFC6979_P256.privateKey, digests: RFC6979_P256.signatures.map((s) => hex(sha256(s.message))) },
    verify: SIGVER_P256_SHA256.map((v) => ({ publicKey: "04" + v.qx + v.qy, digest: hex(sha256(unhex(v.msg))), signature: v.r + v.s })),
    cross: keys.map(({ keyObject: _k, ...rest }) => rest),
  };
  return { input, keys };
}

/** node:crypto's verdict on a message signature; a refused key counts as a refusal. */
function nodeVerifies(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    const key = createPublicKey({
      key: { kty: "EC", crv: "P-256", x: Buffer.from(publicKey.subarray(1, 33)).toString("base64url"), y: Buffer.from(publicKey.subarray(33)).toString("base64url") },
      format: "jwk",
    });
    return publicKey[0] === 0x04 && verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  } catch {
    return false;
  }
}

function nobleVerifies(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
  try {
    return p256.verify(signature, digest, publicKey, { prehash: false, lowS: false });
  } catch {
    return false;
  }
}

const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const c = bytes.slice();
  c[at] = (c[at] as number) ^ 1;
  return c;
};

const rangeError = (pattern: RegExp) => (o: Outcome | string, what: string) => {
  assert.equal(typeof o, "string", `${what}: returned ${String(o)} instead of throwing`);
  assert.match(o as string, /^RangeError: /, what);
  assert.match(o as string, pattern, what);
};

export function checkSha(out: ExerciseOutput): void {
  SHA256_VECTORS.forEach((v, i) => {
    const got = out.sha[i]!;
    assert.equal(got.whole, v.digest, `${v.name}: whole`);
    assert.equal(got.chunked, v.digest, `${v.name}: in uneven chunks`);
    if (got.noUpdate !== undefined) assert.equal(got.noUpdate, v.digest, `${v.name}: no update at all`);
  });
}

export function checkRfc6979(out: ExerciseOutput): void {
  assert.equal(out.sign.publicKey, RFC6979_P256.publicKey);
  assert.deepEqual(out.sign.signatures, RFC6979_P256.signatures.map((s) => s.signature));
}

export function checkSigVer(out: ExerciseOutput): void {
  SIGVER_P256_SHA256.forEach((v, i) => {
    // Strictly a boolean: a throw must not pass as a refusal.
    assert.equal(out.verify[i], v.pass, `SigVer case ${i} (${v.pass ? "P" : `F, ${v.why}`}): got ${String(out.verify[i])}`);
  });
  assert.equal(SIGVER_P256_SHA256.filter((v) => v.pass).length, 3);
}

export function checkCross(out: ExerciseOutput, prepared: Prepared): void {
  assert.equal(out.cross.length, prepared.keys.length);
  prepared.keys.forEach((k, i) => {
    const got = out.cross[i]!;
    const message = unhex(k.message);
    const digest = sha256(message);
    const pub = unhex(k.publicKey);
    const ours = unhex(got.signature);
    assert.equal(got.digest, hex(digest), `key ${i}: SHA-256 of the message`);
    assert.equal(got.verifiesNode, true, `key ${i}: node:crypto's signature`);
    assert.equal(got.publicKey, k.publicKey, `key ${i}: public key of the private key`);
    assert.equal(verify("sha256", message, { key: k.keyObject, dsaEncoding: "ieee-p1363" }, ours), true, `key ${i}: node:crypto verifies ours`);
    assert.equal(p256.verify(ours, digest, pub, { prehash: false, lowS: false }), true, `key ${i}: noble verifies ours`);
    assert.equal(got.signature, hex(p256.sign(digest, unhex(k.privateKey), { prehash: false, lowS: false })), `key ${i}: noble's RFC 6979 bytes`);
    // Flipped bits: refused by the implementation (false, never a throw) and by both oracles.
    const sig = unhex(k.signature);
    [0, 40].forEach((at, j) => {
      assert.equal(got.flippedSignature[j], false, `key ${i}: signature bit at byte ${at}`);
      assert.equal(nodeVerifies(pub, message, flip(sig, at)), false);
      assert.equal(nobleVerifies(pub, digest, flip(sig, at)), false);
    });
    [0, 31].forEach((at, j) => {
      assert.equal(got.flippedDigest[j], false, `key ${i}: digest bit at byte ${at}`);
      assert.equal(nobleVerifies(pub, flip(digest, at), sig), false);
    });
    assert.equal(nodeVerifies(pub, flip(message.length ? message : Uint8Array.of(0), 0), sig), false);
    // A flipped key bit leaves the curve: a RangeError (malformed key), per the port's contract.
    [0, 10, 50].forEach((at, j) => {
      rangeError(at === 0 ? /uncompressed/ : /not a point of the curve/)(got.flippedKey[j]!, `key ${i}: key bit at byte ${at}`);
      assert.equal(nodeVerifies(flip(pub, at), message, sig), false);
      assert.equal(nobleVerifies(flip(pub, at), digest, sig), false);
    });
  });
}

/** The verify-side and hashing bad input every port refuses the same way. */
function checkBadVerifyInput(out: ExerciseOutput): void {
  const b = out.bad;
  rangeError(/private key is 32 bytes, got 31/)(b["public key 31"]!, "public key 31");
  rangeError(/public key is 65 bytes.*got 64/)(b["verify key 64"]!, "verify key 64");
  rangeError(/public key is 65 bytes.*got 66/)(b["verify key 66"]!, "verify key 66");
  rangeError(/public key is 65 bytes.*got 33/)(b["verify compressed key"]!, "verify compressed key");
  rangeError(/digest is 32 bytes, got 33/)(b["verify digest 33"]!, "verify digest 33");
  // The port's contract: a malformed signature is a bad signature, not an error.
  assert.equal(b["verify signature 63"], false);
  assert.equal(b["verify signature r=0"], false);
  assert.equal(b["verify signature s=n"], false);
  assert.match(String(b["digest twice"]), /^Error: .*digest already taken/);
}

export function checkBadInput(out: ExerciseOutput): void {
  const b = out.bad;
  rangeError(/private key is 32 bytes, got 31/)(b["sign key 31"]!, "sign key 31");
  rangeError(/private key is 32 bytes, got 33/)(b["sign key 33"]!, "sign key 33");
  rangeError(/outside 1\.\.n-1/)(b["sign key 0"]!, "sign key 0");
  rangeError(/outside 1\.\.n-1/)(b["sign key n"]!, "sign key n");
  rangeError(/digest is 32 bytes, got 31/)(b["sign digest 31"]!, "sign digest 31");
  checkBadVerifyInput(out);
}

/**
 * A port that verifies but refuses to sign (ModdableCrypto): SHA-256, SigVer, public keys,
 * node:crypto's signatures and every flipped bit as checkCross has them, the verify-side bad
 * input, and each signing call refused with SigningUnavailableError (never a signature).
 */
export function checkVerifyOnly(out: ExerciseOutput, prepared: Prepared): void {
  checkSha(out);
  checkSigVer(out);
  assert.equal(out.sign.publicKey, RFC6979_P256.publicKey);
  const refused = /^SigningUnavailableError: /;
  out.sign.signatures.forEach((s, i) => assert.match(s, refused, `RFC 6979 message ${i}`));
  assert.equal(out.cross.length, prepared.keys.length);
  prepared.keys.forEach((k, i) => {
    const got = out.cross[i]!;
    const message = unhex(k.message);
    assert.equal(got.digest, hex(sha256(message)), `key ${i}: SHA-256 of the message`);
    assert.equal(got.verifiesNode, true, `key ${i}: node:crypto's signature`);
    assert.equal(got.publicKey, k.publicKey, `key ${i}: public key of the private key`);
    assert.match(got.signature, refused, `key ${i}: signing refused`);
    got.flippedSignature.forEach((o, j) => assert.equal(o, false, `key ${i}: signature flip ${j}`));
    got.flippedDigest.forEach((o, j) => assert.equal(o, false, `key ${i}: digest flip ${j}`));
    [0, 10, 50].forEach((at, j) => rangeError(at === 0 ? /uncompressed/ : /not a point of the curve/)(got.flippedKey[j]!, `key ${i}: key bit at byte ${at}`));
  });
  checkBadVerifyInput(out);
}

export function checkAll(out: ExerciseOutput, prepared: Prepared): void {
  checkSha(out);
  checkRfc6979(out);
  checkSigVer(out);
  checkCross(out, prepared);
  checkBadInput(out);
}
