// Vectors, inputs and checks of the KeyAgreement port shared by its tests on node:crypto, mbedTLS
// in the simulator (key-agreement.test.ts) and the Moddable SDK in mcsim
// (host-tests/moddable/key-agreement-mcsim.test.ts): RFC 5869 (HKDF), RFC 8439 (ChaCha20, AEAD),
// RFC 5903 8.1 (ECDH P-256), and @noble/* on random inputs.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { chacha20, chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import type { KeyAgreementInput } from "./key-agreement-exercise.js";

export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
export const raw = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const SUNSCREEN = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.").toString("hex");

// RFC 5869 A.1 and A.3; RFC 8439 2.4.2.
// RFC 5903 8.1 (256-bit random ECP group): i, g^r and the x of g^ir (and r, g^i the other way).
export const RFC5903 = {
  i: "c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433",
  r: "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53",
  gi: "04dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c37725811805271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3",
  gr: "04d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf6356fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab",
  shared: "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
};

const HKDF = [
  { ikm: "0b".repeat(22), salt: "000102030405060708090a0b0c", info: "f0f1f2f3f4f5f6f7f8f9", length: 42,
    okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
  { ikm: "0b".repeat(22), salt: "", info: "", length: 42,
    okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
];
const CHACHA = [
  { key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", nonce: "000000000000004a00000000", counter: 1, input: SUNSCREEN,
    out: "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8" +
      "07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d" },
];

// RFC 8439 2.8.2 (the AEAD test vector), and an empty plaintext with no aad.
const AEAD = [
  { key: "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", nonce: "070000004041424344454647", aad: "50515253c0c1c2c3c4c5c6c7", plaintext: SUNSCREEN,
    sealed: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
      "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116" + "1ae10b594f09e26a7e902ecbd0600691" },
  { key: "11".repeat(32), nonce: "22".repeat(12), aad: "", plaintext: "", sealed: "" },
];

export interface Prepared { readonly input: KeyAgreementInput; readonly shared: string[] }

export function input(): Prepared {
  const ecdh: { priv: string; peer: string }[] = [];
  const shared: string[] = [];
  for (let i = 0; i < 4; i++) {
    const a = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    const b = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" });
    const pa = raw(Buffer.from(a.d!, "base64url").toString("hex"));
    const pb = raw(Buffer.from(b.d!, "base64url").toString("hex"));
    const qa = p256.getPublicKey(pa, false);
    const qb = p256.getPublicKey(pb, false);
    ecdh.push({ priv: hex(pa), peer: hex(qb) }, { priv: hex(pb), peer: hex(qa) });
    const x = hex(p256.getSharedSecret(pa, qb, true).subarray(1)); // noble: compressed point, x after the prefix byte
    shared.push(x, x);
  }
  const peer = raw(ecdh[0]!.peer);
  peer[64] ^= 1; // off the curve
  const random: KeyAgreementInput["random"][number][] = [];
  const bytes = (n: number) => hex(randomBytes(n));
  for (let n = 0; n < 12; n++) {
    const len = n === 11 ? 192 : n * 23; // 0..230 bytes, and three whole blocks
    random.push({ key: bytes(32), nonce: bytes(12), counter: n % 5 === 0 ? 0x7fffffff - 9 : n * 1000, input: bytes(len),
      ikm: bytes(1 + n * 3), salt: bytes(n % 4 === 0 ? 0 : n * 7), info: bytes(n * 2), length: n === 11 ? 1000 : 1 + n * 29 });
  }
  return { input: { hkdf: HKDF, chacha: CHACHA.map(({ out: _o, ...c }) => c), ecdh, offCurve: hex(peer),
    aead: AEAD.map(({ sealed: _s, ...c }) => c), rfc5903: RFC5903, random }, shared };
}

/** What every port computes from its library: everything but the AEAD and the generator. */
export function checkCore(out: Record<string, unknown>, { input, shared }: Prepared): void {
  assert.deepEqual(out["hkdf"], HKDF.map((c) => c.okm), "RFC 5869 A.1 / A.3");
  assert.deepEqual(out["hkdf"], HKDF.map((c) => hex(hkdf(sha256, raw(c.ikm), raw(c.salt), raw(c.info), c.length))), "noble agrees");
  assert.deepEqual(out["chacha"], CHACHA.map((c) => c.out), "RFC 8439 2.4.2");
  assert.deepEqual(out["chacha"], CHACHA.map((c) => hex(chacha20(raw(c.key), raw(c.nonce), raw(c.input), undefined, c.counter))), "noble agrees");
  assert.equal(out["split"], "equal", "the keystream continues across calls by block counter");
  assert.deepEqual(out["ecdh"], shared, "noble's shared x for every pair, both directions");
  assert.match(String(out["offCurve"]), /^RangeError: .*(not a point|ecdhP256)/);
  assert.match(String(out["shortKey"]), /^RangeError: .*32 bytes, got 31/);
  assert.match(String(out["zeroKey"]), /^RangeError: /);
  assert.match(String(out["badNonce"]), /^RangeError: .*nonce is 12 bytes, got 8/);
  assert.match(String(out["hkdfTooLong"]), /^RangeError: .*8161 outside 1\.\.8160/);
  assert.deepEqual(out["ecdhRfc5903"], [RFC5903.shared, RFC5903.shared], "RFC 5903 8.1: g^ir's x both ways");
  // Random keys and inputs from 0 to a few blocks long: noble's keystream and HKDF.
  const r = input.random;
  assert.ok(r.length >= 12);
  r.forEach((c, k) => {
    assert.equal((out["randomChacha"] as string[])[k], hex(chacha20(raw(c.key), raw(c.nonce), raw(c.input), undefined, c.counter)), `noble's ChaCha20, ${c.input.length / 2} bytes from block ${c.counter}`);
    assert.equal((out["randomHkdf"] as string[])[k], hex(hkdf(sha256, raw(c.ikm), raw(c.salt), raw(c.info), c.length)), `noble's HKDF, ${c.length} bytes`);
  });
}

/** The whole port: checkCore, the AEAD and the generator. */
export function check(out: Record<string, unknown>, prepared: Prepared): void {
  checkCore(out, prepared);
  const noble = AEAD.map((c) => hex(chacha20poly1305(raw(c.key), raw(c.nonce), raw(c.aad)).encrypt(raw(c.plaintext))));
  assert.equal((out["aeadSealed"] as string[])[0], AEAD[0]!.sealed, "RFC 8439 2.8.2");
  assert.deepEqual(out["aeadSealed"], noble, "noble's ChaCha20-Poly1305 agrees");
  assert.deepEqual(out["aeadOpened"], AEAD.map((c) => c.plaintext), "open(seal(x)) = x");
  assert.deepEqual(out["aeadTampered"], [0, 0], "no changed bit or aad opens");
  assert.match(String(out["aeadShortTag"]), /^RangeError: .*at least 16 bytes, got 15/);
  assert.match(String(out["aeadBadKey"]), /^RangeError: .*key is 32 bytes, got 16/);
  const random = out["random"] as string[];
  assert.deepEqual(random.map((h) => h.length / 2), [1, 32, 1000, 5000]);
  assert.notEqual(random[1], out["randomAgain"], "two draws differ");
  // 5000 bytes of a real generator: every byte value turns up (a stuck or short generator fails).
  assert.equal(new Set(raw(random[3]!)).size, 256);
  assert.match(String(out["randomTooLong"]), /^RangeError: .*65537 outside 1\.\.65536/);
  assert.match(String(out["randomZero"]), /^RangeError: .*0 outside 1\.\.65536/);
}
