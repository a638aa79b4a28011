// The KeyAgreement port (ECDH P-256, HKDF-SHA256, ChaCha20) on node:crypto and on mbedTLS inside
// the simulator, against RFC 5869 and RFC 8439 vectors and, for ECDH, against @noble/curves on
// random key pairs (and each other: a*B == b*A).
import assert from "node:assert/strict";
import { join } from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { chacha20 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { exercise, type KeyAgreementInput } from "./key-agreement-exercise.js";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const raw = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const SUNSCREEN = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.").toString("hex");

// RFC 5869 A.1 and A.3; RFC 8439 2.4.2.
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

function input(): { input: KeyAgreementInput; shared: string[] } {
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
  return { input: { hkdf: HKDF, chacha: CHACHA.map(({ out: _o, ...c }) => c), ecdh, offCurve: hex(peer) }, shared };
}

function check(out: Record<string, unknown>, shared: string[]): void {
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
}

describe("KeyAgreement port (ECDH P-256, HKDF-SHA256, ChaCha20)", function () {
  this.timeout(120000);
  it("node:crypto: RFC vectors, noble's ECDH on random pairs, bad input by name", () => {
    const { input: i, shared } = input();
    check(exercise(new NodeKeyAgreement(), i), shared);
  });

  it("mbedTLS in the simulator: the same", () => {
    const { input: i, shared } = input();
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const out = fx.runResult("ka.js", `import { exercise } from ${js("host-tests/platform/key-agreement-exercise.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
trace("RESULT " + JSON.stringify(exercise(new NativeKeyAgreement(), ${JSON.stringify(i)})) + "\\n");
`);
      check(out, shared);
    } finally {
      fx.remove();
    }
  });
});
