// ModdableCrypto (firmware/platform/moddable/moddable-crypto.ts over the SDK's crypt modules)
// run for real: an app of its own built with the Moddable SDK and run in mcsim does the same
// exercise as NativeCrypto's and NodeCrypto's tests, checked against the same oracles (FIPS
// 180-2, CAVP SigVer, RFC 6979's key, node:crypto and noble). Needs the SDK built beside the
// project (mcsim.ts); where it is missing (CI installs none) the test says so and is skipped.
import assert from "node:assert/strict";
import type { ExerciseOutput } from "../platform/crypto-exercise.js";
import { checkVerifyOnly, prepare, type Prepared } from "../platform/crypto-check.js";
import { buildApp, CREATION, McSim, repoModules, sdkMissing, type McApp } from "./mcsim.js";

describe("Crypto port: ModdableCrypto (SDK crypt modules) in mcsim", function () {
  this.timeout(600000);
  let prepared: Prepared;
  let out: ExerciseOutput;
  let app: McApp | undefined;

  before(async function () {
    if (sdkMissing) {
      console.log(`      skipped: the Moddable SDK is not here (${sdkMissing}); see docs/moddable.md`);
      this.skip();
    }
    prepared = prepare();
    app = buildApp("mcrypto", {
      include: ["$(MODDABLE)/examples/manifest_base.json", "$(MODDABLE)/examples/manifest_typings.json",
        "$(MODDABLE)/modules/crypt/digest/manifest.json"],
      typescript: { tsconfig: { compilerOptions: { strict: true } } },
      // the SDK modules manifests/platform.json gives the app
      modules: {
        "*": ["$(MODDABLE)/modules/crypt/arith/*"],
        ber: "$(MODDABLE)/modules/crypt/etc/ber", curve: "$(MODDABLE)/modules/crypt/etc/curve",
        ecdsa: "$(MODDABLE)/modules/crypt/etc/ecdsa", pkcs1: "$(MODDABLE)/modules/crypt/etc/pkcs1",
        rng: "$(MODDABLE)/modules/crypt/etc/rng",
        ...repoModules(["firmware/platform/crypto", "firmware/platform/moddable/moddable-crypto", "firmware/platform/moddable/p256-sdk", "host-tests/platform/crypto-exercise"]),
        main: "./main",
      },
      preload: ["ber", "curve", "ecdsa", "pkcs1", "rng"],
      creation: CREATION,
    }, `import { exercise } from "host-tests/platform/crypto-exercise";
import { ModdableCrypto } from "firmware/platform/moddable/moddable-crypto";
let out;
try { out = exercise(new ModdableCrypto(), ${JSON.stringify(prepared.input)}, false); }
catch (e) { out = { error: String(e) }; }
trace("RESULT " + JSON.stringify(out) + "\\n");
`);
    const sim = new McSim(app.so);
    try {
      out = JSON.parse((await sim.wait(/RESULT (.*)\n/, 300000))[1]!) as ExerciseOutput;
    } finally {
      sim.stop();
    }
    assert.ok(!("error" in out), `the exercise threw: ${JSON.stringify(out)}`);
  });
  after(() => app?.remove());

  it("SHA-256, SigVer, public keys, node:crypto's signatures and flipped bits as the other ports; signing refused", () => {
    checkVerifyOnly(out, prepared);
  });
});
