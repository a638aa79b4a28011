// ModdableKeyAgreement (firmware/platform/moddable/moddable-key-agreement.ts over the SDK's Curve,
// HMAC / Digest and StreamCipher) run for real: an app of its own built with the Moddable SDK and
// run in mcsim does the KeyAgreement exercise of the other ports, checked against the same oracles
// (RFC 5869, RFC 8439, RFC 5903 8.1, noble on random keys and inputs); the AEAD (no Poly1305 in the
// SDK) and the generator (no entropy source on lin) are refused by name; and one pairwise mask
// (firmware/fleet/pairwise-masks.ts) made in mcsim equals the one node:crypto makes from the other
// side of the pair. Skipped without the SDK (mcsim.ts).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { expandMask, pairwiseSeed } from "../../firmware/fleet/pairwise-masks.js";
import { checkCore, hex, input, raw, type Prepared } from "../platform/key-agreement-check.js";
import { buildApp, CREATION, McSim, repoModules, sdkMissing, type McApp } from "./mcsim.js";

const privateKey = () => raw(Buffer.from(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }).d!, "base64url").toString("hex"));

describe("KeyAgreement port: ModdableKeyAgreement (SDK crypt modules) in mcsim", function () {
  this.timeout(600000);
  let prepared: Prepared;
  let out: Record<string, unknown>;
  let app: McApp | undefined;
  const a = privateKey();
  const b = privateKey();
  const round = 7;

  before(async function () {
    if (sdkMissing) {
      console.log(`      skipped: the Moddable SDK is not here (${sdkMissing}); see docs/moddable.md`);
      this.skip();
    }
    prepared = input();
    const pair = { a: hex(a), bPublic: hex(p256.getPublicKey(b, false)), round };
    app = buildApp("mcagree", {
      include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/manifest_typings.json",
        "$(MODDABLE)/modules/crypt/bin/manifest.json", "$(MODDABLE)/modules/crypt/digest/manifest.json"],
      typescript: { tsconfig: { compilerOptions: { strict: true } } },
      // the SDK modules manifests/platform.json gives the app
      modules: {
        "*": ["$(MODDABLE)/modules/crypt/arith/*"],
        ber: "$(MODDABLE)/modules/crypt/etc/ber", curve: "$(MODDABLE)/modules/crypt/etc/curve",
        ecdsa: "$(MODDABLE)/modules/crypt/etc/ecdsa", hmac: "$(MODDABLE)/modules/crypt/etc/hmac",
        pkcs1: "$(MODDABLE)/modules/crypt/etc/pkcs1", rng: "$(MODDABLE)/modules/crypt/etc/rng",
        ...repoModules(["firmware/platform/key-agreement", "firmware/platform/moddable/moddable-key-agreement", "firmware/platform/moddable/p256-sdk",
          "firmware/fleet/pairwise-masks", "firmware/fleet/ascii", "host-tests/platform/key-agreement-exercise"]),
        main: "./main",
      },
      preload: ["ber", "curve", "ecdsa", "hmac", "pkcs1", "rng"],
      creation: CREATION,
    }, `import { exerciseCore } from "host-tests/platform/key-agreement-exercise";
import { ModdableKeyAgreement } from "firmware/platform/moddable/moddable-key-agreement";
import { expandMask, pairwiseSeed } from "firmware/fleet/pairwise-masks";
const bytes = (h) => { const o = new Uint8Array(h.length / 2); for (let i = 0; i < o.length; i++) o[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16); return o; };
const hex = (b) => Array.from(b, (x) => (x | 256).toString(16).slice(1)).join("");
const attempt = (f) => { try { f(); return "accepted"; } catch (e) { return e.name + ": " + e.message; } };
const pair = ${JSON.stringify(pair)};
let out;
try {
  const ka = new ModdableKeyAgreement();
  out = exerciseCore(ka, ${JSON.stringify(prepared.input)});
  out.seal = attempt(() => ka.aeadSeal(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(1)));
  out.open = attempt(() => ka.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(16)));
  out.aeadShortTag = attempt(() => ka.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(15)));
  out.aeadBadKey = attempt(() => ka.aeadSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(1)));
  out.random = attempt(() => ka.randomBytes(32));
  out.randomZero = attempt(() => ka.randomBytes(0));
  out.bigCounter = attempt(() => ka.chacha20(new Uint8Array(32), new Uint8Array(12), 0x80000000, new Uint8Array(4)));
  out.given = hex(new ModdableKeyAgreement((n) => new Uint8Array(n).fill(7)).randomBytes(3));
  out.mask = hex(new Uint8Array(expandMask(ka, pairwiseSeed(ka, bytes(pair.a), "dev-a", { id: "dev-b", publicKey: bytes(pair.bPublic) }, pair.round), 300).buffer));
} catch (e) { out = { error: String(e) + " " + e.stack }; }
trace("RESULT " + JSON.stringify(out) + "\\n");
`);
    const sim = new McSim(app.so);
    try {
      out = JSON.parse((await sim.wait(/RESULT (.*)\n/, 300000))[1]!) as Record<string, unknown>;
    } finally {
      sim.stop();
    }
    assert.ok(!("error" in out), `the exercise threw: ${JSON.stringify(out)}`);
  });
  after(() => app?.remove());

  it("ECDH, HKDF, ChaCha20 meet RFC 5903 / 5869 / 8439 and noble on random inputs; bad input refused as the other ports", () => {
    checkCore(out, prepared);
    assert.match(String(out["bigCounter"]), /^RangeError: ChaCha20 counter 2147483648 above 2\^31 - 1/);
  });

  it("ChaCha20-Poly1305 refused by name (no Poly1305 in the SDK), after the same argument checks", () => {
    assert.match(String(out["seal"]), /^AeadUnavailableError: .*no Poly1305/);
    assert.match(String(out["open"]), /^AeadUnavailableError: .*no Poly1305/);
    assert.match(String(out["aeadShortTag"]), /^RangeError: .*at least 16 bytes, got 15/);
    assert.match(String(out["aeadBadKey"]), /^RangeError: .*key is 32 bytes, got 16/);
  });

  it("randomBytes: refused without an entropy source (lin), from the source when one is given", () => {
    assert.match(String(out["random"]), /^EntropyUnavailableError: /);
    assert.match(String(out["randomZero"]), /^RangeError: .*0 outside 1\.\.65536/);
    assert.equal(out["given"], "070707");
  });

  it("a pairwise mask made in mcsim equals node:crypto's from the other device of the pair", () => {
    const node = new NodeKeyAgreement();
    const theirs = expandMask(node, pairwiseSeed(node, b, "dev-b", { id: "dev-a", publicKey: p256.getPublicKey(a, false) }, round), 300);
    assert.equal(out["mask"], hex(new Uint8Array(theirs.buffer)));
    // and not a mask of another round (the comparison can tell masks apart)
    const other = expandMask(node, pairwiseSeed(node, b, "dev-b", { id: "dev-a", publicKey: p256.getPublicKey(a, false) }, round + 1), 300);
    assert.notEqual(out["mask"], hex(new Uint8Array(other.buffer)));
  });
});
