// The simulator's Crypto port (firmware/platform/sim/native-crypto.ts over the mbedTLS binding
// in native/xs/crypto) inside the real XS simulator: the same exercise as NodeCrypto's test,
// checked against the same independent oracles, plus the binding's own length errors.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { repoRoot } from "../support/paths.js";
import type { ExerciseOutput } from "../platform/crypto-exercise.js";
import { checkBadInput, checkCross, checkRfc6979, checkSha, checkSigVer, prepare, type Prepared } from "../platform/crypto-check.js";
import { Fixture } from "./harness.js";

const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));

describe("Crypto port: NativeCrypto (mbedTLS) in the simulator", function () {
  this.timeout(120000);
  let fx: Fixture;
  let prepared: Prepared;
  let out: ExerciseOutput;
  before(() => {
    fx = new Fixture();
    prepared = prepare();
    const result = fx.runResult("exercise.js", `import { exercise } from ${js("host-tests/platform/crypto-exercise.js")};
import { NativeCrypto } from ${js("firmware/platform/sim/native-crypto.js")};
const out = exercise(new NativeCrypto(), ${JSON.stringify(prepared.input)});
trace("RESULT " + JSON.stringify(out) + "\\n");
`);
    out = result as unknown as ExerciseOutput;
  });
  after(() => fx.remove());

  it("SHA-256: FIPS 180-2 vectors (empty, abc, 448-bit, a million 'a'), whole and in uneven chunks", () => checkSha(out));
  it("ECDSA P-256: RFC 6979 A.2.5 public key and deterministic signatures for 'sample' and 'test'", () => checkRfc6979(out));
  it("ECDSA P-256: NIST CAVP SigVer [P-256,SHA-256], 3 valid and 12 invalid", () => checkSigVer(out));
  it("cross-check with node:crypto and noble on random keys; flipped bits refused", () => checkCross(out, prepared));
  it("bad input: wrong lengths and out-of-range keys throw RangeError with the reason", () => checkBadInput(out));

  it("the binding itself: a signature of the wrong length is a RangeError; byte views at an offset are read in place", () => {
    const r = fx.runResult("binding.js", `import { verifyP256, signP256, Sha256Native } from ${js("native/xs/crypto/crypto.js")};
const tryIt = (f) => { try { return String(f()); } catch (e) { return e.name + ": " + e.message; } };
const k = new Uint8Array(32); k[31] = 1;
const d = new Uint8Array(32);
const pub = new Uint8Array(65);
const backing = new Uint8Array(40).fill(0x61);
const h = new Sha256Native(); h.update(backing.subarray(5, 8));
const view = new Uint8Array(new Uint8Array([0x61, 0x62, 0x63, 0x64]).buffer, 0, 3);
const h2 = new Sha256Native(); h2.update(view);
const hex = (b) => Array.from(new Uint8Array(b), (x) => (x | 256).toString(16).slice(1)).join("");
trace("RESULT " + JSON.stringify({
  sig63: tryIt(() => verifyP256(pub, d, new Uint8Array(63))),
  sig65: tryIt(() => verifyP256(pub, d, new Uint8Array(65))),
  noArgs: tryIt(() => signP256(k)),
  aaa: hex(h.digest()),
  abc: hex(h2.digest()),
  updateAfter: tryIt(() => h2.update(view)),
}) + "\\n");
`);
    assert.equal(r.sig63, "RangeError: crypto: signature is 64 bytes, got 63");
    assert.equal(r.sig65, "RangeError: crypto: signature is 64 bytes, got 65");
    assert.equal(r.noArgs, "TypeError: crypto: signP256(privateKey, digest) needs 2 arguments, got 1");
    // Views: only their bytes are hashed (FIPS 180-2 "abc"; "aaa" by node:crypto).
    assert.equal(r.abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(r.aaa, createHash("sha256").update("aaa").digest("hex"));
    assert.equal(r.updateAfter, "Error: sha256: digest already taken");
  });
});
