// The KeyAgreement port (ECDH P-256, HKDF-SHA256, ChaCha20, ChaCha20-Poly1305, random bytes) on node:crypto and on mbedTLS inside
// the simulator, against RFC 5869, RFC 8439 and RFC 5903 vectors (AEAD: also @noble/ciphers) and, for ECDH, against @noble/curves on
// random key pairs (and each other: a*B == b*A); ChaCha20 and HKDF against noble on random inputs (key-agreement-check.ts).
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { join } from "node:path";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { bytesFromCRand } from "../../firmware/platform/esp-random-entropy.js";
import { exercise } from "./key-agreement-exercise.js";
import { check, input } from "./key-agreement-check.js";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

describe("KeyAgreement port (ECDH P-256, HKDF-SHA256, ChaCha20)", function () {
  this.timeout(120000);
  it("node:crypto: RFC vectors, noble's ECDH on random pairs, bad input by name", () => {
    const p = input();
    const i = p.input;
    check(exercise(new NodeKeyAgreement(), i), p);
  });

  it("ESP32 entropy: c_rand()'s 31-bit draw recovered exactly from Math.random's quotient, 3 bytes a draw", () => {
    // XS's Math.random is c_rand() / INT32_MAX; feed it draws with known values (edges and random).
    const M = 0x7fffffff;
    const draws = [0, 1, 2, 0xffffff, 0x1000000, M - 2, M - 1, ...Array.from({ length: 2000 }, () => randomInt(0, M))];
    const ok = draws.filter((k) => k < M);
    let at = 0;
    const bytes = bytesFromCRand(() => ok[at++]! / M, 3 * ok.length - 1);
    assert.equal(at, ok.length);
    for (let i = 0; i < ok.length; i++) {
      const want = [ok[i]! & 0xff, (ok[i]! >>> 8) & 0xff, (ok[i]! >>> 16) & 0xff].slice(0, i === ok.length - 1 ? 2 : 3);
      assert.deepEqual([...bytes.subarray(3 * i, 3 * i + want.length)], want, `draw ${ok[i]}`);
    }
    assert.throws(() => bytesFromCRand(() => 1, 3), /outside 0\.\.2\^31-2/); // c_rand never returns INT32_MAX
  });

  it("mbedTLS in the simulator: the same", () => {
    const p = input();
    const i = p.input;
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const out = fx.runResult("ka.js", `import { exercise } from ${js("host-tests/platform/key-agreement-exercise.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
trace("RESULT " + JSON.stringify(exercise(new NativeKeyAgreement(), ${JSON.stringify(i)})) + "\\n");
`);
      check(out, p);
    } finally {
      fx.remove();
    }
  });
});
