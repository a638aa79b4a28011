// The agent as a board runs it (the repository's manifest.json, targets/moddable.ts), built with
// the Moddable SDK for lin and run in mcsim, against the desktop simulator's agent on the same
// data (targets/sim.ts --agent data/demo): the same trace line for line (apart from the lines
// each adds of its own), and the same committed adapter bytes, which carry the model's SHA-256
// (node:crypto over the model file) as its identity, not the zero identity a Moddable build
// wrote before. Skipped without the SDK (mcsim.ts).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../support/paths.js";
import { simBinary } from "../sim/harness.js";
import { buildRepoApp, McSim, sdkMissing, type McApp } from "./mcsim.js";

// Lines only one side prints: mcsim's spec line adds arena and speed, its demo-result leaves the
// curve out, it prints exit 0; the desktop simulator prints its Fisher count and XS memory.
const OWN = /^(agent: spec |demo-result |exit |metric engine\.fisher-examples|xs-memory)/;
const lines = (text: string) => text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "" && !OWN.test(l));
const adapterOf = (text: string) => {
  const m = /^demo-adapter ([0-9a-f]+)$/m.exec(text);
  assert.ok(m, "no demo-adapter line");
  return Buffer.from(m[1]!, "hex");
};

describe("the agent in mcsim (targets/moddable.ts) = the desktop simulator's", function () {
  this.timeout(900000);
  let app: McApp | undefined;
  let board = "";
  let desktop = "";

  before(async function () {
    if (sdkMissing) {
      console.log(`      skipped: the Moddable SDK is not here (${sdkMissing}); see docs/moddable.md`);
      this.skip();
    }
    app = buildRepoApp();
    const sim = new McSim(app.so);
    try {
      await sim.wait(/^(exit 0|error: .*)$/m, 300000);
      board = sim.text;
    } finally {
      sim.stop();
    }
    assert.doesNotMatch(board, /^error: /m);
    const r = spawnSync(simBinary, ["--", "build/js/firmware/targets/sim.js", "--agent", "data/demo"], { cwd: repoRoot, encoding: "utf8", timeout: 300000 });
    assert.equal(r.status, 0, r.stderr);
    desktop = r.stdout + r.stderr;
  });
  after(() => app?.remove());

  it("the same trace, EWC image, checkpoint and replay records included (their body CRCs)", () => {
    assert.match(board, /^phase done: /m);
    assert.match(board, /saved ewc task 1@1 bytes=\d+ body-crc=[0-9a-f]{8}/);
    assert.deepEqual(lines(board), lines(desktop));
  });

  it("the same committed adapter, bound to the model's SHA-256", () => {
    const a = adapterOf(board);
    assert.ok(a.equals(adapterOf(desktop)), "the adapter bytes differ");
    const model = createHash("sha256").update(readFileSync(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite"))).digest();
    assert.notEqual(a.indexOf(model), -1, "the adapter does not carry the model's SHA-256");
  });
});
