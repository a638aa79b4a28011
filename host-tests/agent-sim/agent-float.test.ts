// The float twin of an agent run (issue 12 item 6; tools/demo/float-twin.ts) and the
// calibrated pseudo-labels' threshold rule (firmware/continual/pseudo-calibrate.ts).
// - The trace is complete: the agent's committed training (plain fine-tuning: the trace's steps
//   with rolled-back rounds removed) replayed by `edge-peft train` in file order gives the
//   adapter the agent committed, byte for byte; a control with one label changed does not.
// - The float twin (tools/float_ref/agent_trace.py) of the same trace lands within 5 points of
//   the integer run on the user and the original task, and it moved (its user accuracy gains).
// - fitThreshold against a brute-force recomputation over every threshold 0..256; the agent
//   with a 95% target on <= 17 held-out frames takes no pseudo-label ((n + 1) / (n + 2) < 0.95).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binDir, repoRoot } from "../support/paths.js";
import { runDemo } from "../../tools/demo/run.js";
import { floatTwin } from "../../tools/demo/float-twin.js";
import { fitThreshold } from "../../firmware/continual/pseudo-calibrate.js";
import { Xorshift32 } from "../../firmware/replay/random.js";

const demo = (f: string) => join(repoRoot, "data", "demo", f);
const model = demo("digits_mlp_int8.tflite");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1"; // firmware/targets/sim-agent.ts's default
const IN = 64;

interface Route { adaptedUser: number; adaptedPopulation: number; rules: { rule: string; userDecisions: string; populationDecisions: string }[] }

/** The committed training of a trace: steps of rolled-back rounds dropped, as SAMPLES.bin records. */
function committed(stdout: string): { records: Buffer[]; fisher?: Buffer } {
  let records: Buffer[] = [];
  const snaps = new Map<string, number>();
  let fisher: Buffer | undefined;
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("trace ")) continue;
    const [, kind, a, b] = line.split(" ");
    if (kind === "step" || kind === "fisher") {
      const labels = Buffer.from(a!, "hex"), data = Buffer.from(b!, "hex");
      const recs = Array.from(labels, (l, i) => Buffer.concat([Buffer.from([l]), data.subarray(i * IN, (i + 1) * IN)]));
      if (kind === "fisher") fisher = Buffer.concat(recs);
      else records.push(...recs);
    } else if (kind === "snap") snaps.set(a!, records.length);
    else if (kind === "load") records = records.slice(0, snaps.get(a!)!);
    else assert.ok(kind === "init" || kind === "reset", `unexpected trace line ${kind}`);
  }
  return { records, fisher };
}

function cliAdapter(dir: string, records: Buffer[], ewc: Buffer | undefined): Buffer {
  writeFileSync(join(dir, "data.bin"), Buffer.concat(records));
  const ewcArgs = ewc ? (writeFileSync(join(dir, "old.bin"), ewc), ["--ewc", "1", "--ewc-data", join(dir, "old.bin")]) : [];
  execFileSync(join(binDir, "edge-peft"), ["train", model, "--data", join(dir, "data.bin"), "--adapter", SPEC, "--seed", "1", "--lr", "0.002",
    "--steps", String(records.length), ...ewcArgs,
    // LoRA's h shift is calibrated on the trainer's first forward of any kind: the agent's is
    // user_test.bin's first record (its accuracy before training), so the CLI's must be too
    "--eval-data", demo("user_test.bin"), "--out", join(dir, "a.bin")], { encoding: "utf8" });
  return readFileSync(join(dir, "a.bin"));
}

describe("agent float twin (issue 12 item 6)", function () {
  this.timeout(600000);

  for (const [name, args] of [["plain", ["--no-replay", "--no-ewc"]], ["replay + EWC", []]] as const) {
    it(`${name}: the trace replays to the committed adapter; its float twin lands near the integer run`, () => {
      const all = [...args, "--route", "0.05", "--trace", "1"];
      const r = runDemo(all, "esp32s3");
      const adapter = Buffer.from(r.stdout.split("\n").find((l) => l.startsWith("demo-adapter "))!.slice("demo-adapter ".length), "hex");
      const { records, fisher } = committed(r.stdout);
      assert.equal(fisher !== undefined, name !== "plain");
      const dir = mkdtempSync(join(tmpdir(), "agent-float-"));
      assert.ok(records.length > 800, `${records.length} committed examples`);
      // with EWC the CLI's first forward is its Fisher's (prepare_ewc runs before --eval-data),
      // so its h shift is calibrated on another record than the agent's: no byte comparison there
      if (!fisher) {
        assert.ok(cliAdapter(dir, records, fisher).equals(adapter), "edge-peft train on the committed trace = the agent's adapter");
        // control: one label changed in the first committed record
        const changed = records.slice();
        changed[0] = Buffer.from(changed[0]!);
        changed[0][0] = (changed[0][0]! + 1) % 10;
        assert.ok(!cliAdapter(dir, changed, fisher).equals(adapter), "a changed label gives another adapter");
      }

      const route = (JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("method-result "))!.slice("method-result ".length)) as { route: Route }).route;
      const f = floatTwin("data/demo", all, r.stdout, route.rules, 0.05);
      console.log(`      ${name}: user int ${route.adaptedUser.toFixed(3)} / float ${f.adaptedUser.toFixed(3)}, original task ${route.adaptedPopulation.toFixed(3)} / ${f.adaptedPopulation.toFixed(3)}`);
      assert.ok(Math.abs(f.adaptedUser - route.adaptedUser) <= 0.05, "user within 5 points");
      assert.ok(Math.abs(f.adaptedPopulation - route.adaptedPopulation) <= 0.05, "original task within 5 points");
      assert.ok(f.adaptedUser - f.baseUser > 0.2, "the float twin trained");
      assert.equal(f.steps, r.stdout.match(/^trace step/gm)!.length * 8, "every traced example replayed, rolled-back rounds too");
    });
  }

  it("fitThreshold = a brute-force recomputation over every threshold", () => {
    const rnd = new Xorshift32(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + rnd.below(30), target = 50 + rnd.below(50);
      const p = new Uint16Array(n), ok = new Uint8Array(n);
      for (let i = 0; i < n; i++) { p[i] = 100 + rnd.below(157); ok[i] = rnd.below(4) === 0 ? 0 : 1; }
      let want = 257;
      for (let t = 0; t <= 256 && want === 257; t++) {
        const s = Array.from(p.keys()).filter((i) => p[i]! >= t);
        if (s.length === 0) continue;
        const right = s.filter((i) => ok[i] === 1).length;
        if ((right + 1) / (s.length + 2) >= target / 100 - 1e-12) want = Math.min(...s.map((i) => p[i]!));
      }
      assert.equal(fitThreshold(p, ok, target), want, `trial ${trial}`);
    }
  });

  it("a 95% target on the demo's few held-out frames takes no pseudo-label", () => {
    const r = runDemo(["--route", "0.05", "--pseudo-calibrate", "95", "--threshold", "0.5"], "esp32s3");
    const rep = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("method-result "))!.slice("method-result ".length)) as
      { pseudoCalibrate: { calibrationFrames: number; threshold256: number; fits: number } };
    const c = rep.pseudoCalibrate;
    assert.ok(c.calibrationFrames > 0 && c.calibrationFrames <= 17 && c.fits > 0, JSON.stringify(c));
    assert.equal(c.threshold256, 257);
    assert.equal(r.result.pseudo, 0);
    assert.equal(r.result.feedback, 50);
  });
});
