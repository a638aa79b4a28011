// The agent on the camera image task (data/digits-camera, issue 12 item 1) end to end in the XS
// simulator: the stream is the user pool through another camera, the agent adapts, and every
// accuracy it reports is recomputed outside XS: the base from TFLite Micro's interpreter
// (tools/oracle), the adapted model from `edge-peft infer` with the adapter the run printed, the
// nearest-sample router's from those outputs and routes recomputed from the data files. The
// shift itself is checked against the demo's copy of the same digits (data/demo).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { python, repoRoot } from "../support/paths.js";
import { runDemo, type DemoResult } from "../../tools/demo/run.js";
import { quantizeToInt8 } from "../../firmware/features/quantize.js";

const cam = (f: string) => join(repoRoot, "data", "digits-camera", f);
const demo = (f: string) => join(repoRoot, "data", "demo", f);
const model = cam("digits_mlp_int8.tflite");
const IN = 64, REC = IN + 1, CLASSES = 10;
const QUANT = { scale: Math.fround(16 / 255), zeroPoint: -128 }; // data/demo/README.md: raw 0..16 onto the int8 range

interface Rule { rule: string; userAccuracy: number; populationAccuracy: number; userDecisions: string; populationDecisions: string }
interface Route { baseUser: number; basePopulation: number; adaptedUser: number; adaptedPopulation: number; rules: Rule[] }
interface Run { result: DemoResult; route: Route; adapterHex: string }

const records = (f: string) => {
  const raw = readFileSync(f), n = raw.length / REC;
  assert.equal(n, Math.floor(n), f);
  return Array.from({ length: n }, (_, i) => ({ label: raw[i * REC]!, x: new Int8Array(raw.buffer, raw.byteOffset + i * REC + 1, IN) }));
};
const agent = (args: string[]): Run => {
  const r = runDemo(["--model", "digits_mlp_int8.tflite", ...args, "--route", "0.05"], "esp32s3", { dir: "data/digits-camera" });
  const line = (p: string) => r.stdout.split("\n").find((l) => l.startsWith(p))?.slice(p.length);
  const adapterHex = line("demo-adapter ")!;
  assert.ok(adapterHex, r.stdout);
  return { result: r.result, route: (JSON.parse(line("method-result ")!) as { route: Route }).route, adapterHex };
};

describe("the agent on the camera image task (XS simulator, data/digits-camera)", function () {
  this.timeout(600000);
  const dir = mkdtempSync(join(tmpdir(), "camera-agent-"));
  const sets = { user: "user_test.bin", population: "population_test.bin" } as const;
  let plain: Run, kept: Run;
  before(() => {
    plain = agent(["--no-replay", "--no-ewc"]);
    kept = agent([]); // the agent's default: replay + EWC
  });

  const predict = (args: string[], f: string): number[] => {
    const recs = records(cam(f)), inp = Buffer.alloc(recs.length * IN);
    recs.forEach((r, i) => Buffer.from(r.x.buffer, r.x.byteOffset, IN).copy(inp, i * IN));
    writeFileSync(join(dir, "in.bin"), inp);
    const [cmd, ...rest] = args;
    const r = spawnSync(cmd!, [...rest, "--input", join(dir, "in.bin"), "--output", join(dir, "out.bin")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const ob = readFileSync(join(dir, "out.bin")), out = new Int8Array(ob.buffer, ob.byteOffset, ob.length);
    assert.equal(out.length, recs.length * CLASSES);
    return recs.map((_, i) => {
      let t = 0;
      for (let k = 1; k < CLASSES; k++) if (out[i * CLASSES + k]! > out[i * CLASSES + t]!) t = k;
      return t;
    });
  };
  const base = (f: string) => predict([python, join(repoRoot, "tools", "oracle", "oracle.py"), model], f);
  const adapted = (run: Run, f: string) => {
    // the run's adapter bound to the model for the CLI (the XS session has no model SHA-256)
    const bytes = Buffer.from(run.adapterHex, "hex");
    createHash("sha256").update(readFileSync(model)).digest().copy(bytes, 44);
    bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, bytes.length - 4);
    writeFileSync(join(dir, "adapter.epad"), bytes);
    return predict([join(repoRoot, "build", "bin", "edge-peft"), "infer", model, "--reset", "--adapter", join(dir, "adapter.epad")], f);
  };
  const acc = (pred: number[], f: string) => { const recs = records(cam(f)); return pred.filter((t, i) => t === recs[i]!.label).length / recs.length; };

  it("streams the user pool: every 0..16 reading quantises to user_pool.bin's record, the digits are the demo user's", () => {
    const epr = readFileSync(cam("user_stream.epr")), pool = records(cam("user_pool.bin"));
    assert.equal(epr.toString("latin1", 0, 4), "EPR1");
    assert.deepEqual([epr.readUInt16LE(4), epr.readUInt16LE(6), epr.readUInt32LE(8), epr.readUInt32LE(12)], [IN, 3, 2, pool.length]);
    pool.forEach((p, i) => {
      const frame = epr.subarray(16 + i * IN, 16 + (i + 1) * IN);
      assert.ok(frame.every((v) => v <= 16), `frame ${i}`);
      assert.deepEqual(quantizeToInt8(frame, QUANT), p.x, `frame ${i}`);
    });
    const labels = pool.map((p) => p.label);
    assert.deepEqual([...readFileSync(cam("user_stream_labels.bin"))], labels);
    assert.deepEqual(records(demo("user_pool.bin")).map((p) => p.label), labels);
    assert.deepEqual(records(cam("user_test.bin")).map((p) => p.label), records(demo("user_test.bin")).map((p) => p.label));
  });

  it("is the README's camera: 0.5 x binomial blur + 4 levels, noise of sigma 1, against the demo's copy of the same digits", () => {
    // data/demo's user reads pixel (r, c) at its (r, c + 1): columns 0..6 of the real digit. The
    // camera's blur at columns 0..5 needs only those (column 0's edge is replicated).
    const real = (q: Int8Array, r: number, c: number) => Math.round(((q[r * 8 + c + 1]! + 128) * 16) / 255);
    const resid: number[] = [];
    const demoTest = records(demo("user_test.bin")), camTest = records(cam("user_test.bin"));
    demoTest.forEach((d, i) => {
      for (let r = 0; r < 8; r++) for (let c = 0; c < 6; c++) {
        let b = 0;
        for (let dr = -1; dr <= 1; dr++) for (let dc = -1; dc <= 1; dc++) {
          const rr = Math.min(7, Math.max(0, r + dr)), cc = Math.max(0, c + dc);
          b += (dr === 0 ? 0.5 : 0.25) * (dc === 0 ? 0.5 : 0.25) * real(d.x, rr, cc);
        }
        resid.push(Math.round(((camTest[i]!.x[r * 8 + c]! + 128) * 16) / 255) - (0.5 * b + 4));
      }
    });
    const mean = resid.reduce((s, v) => s + v, 0) / resid.length;
    const sd = Math.sqrt(resid.reduce((s, v) => s + (v - mean) ** 2, 0) / resid.length);
    // Gaussian sigma 1 plus the ADC's rounding (uniform, variance 1/12): sd ~ 1.04
    assert.ok(Math.abs(mean) < 0.05 && sd > 0.95 && sd < 1.15, `residual mean ${mean}, sd ${sd} over ${resid.length}`);
  });

  it("adapts; its accuracies equal TFLite Micro (base) and edge-peft infer (its adapters); replay + EWC meets the 2-point bound", () => {
    const b = { user: base(sets.user), population: base(sets.population) };
    for (const run of [plain, kept]) {
      const a = { user: adapted(run, sets.user), population: adapted(run, sets.population) };
      const res = run.result;
      assert.equal(res.userBefore, acc(b.user, sets.user));
      assert.equal(res.populationBefore, acc(b.population, sets.population));
      assert.equal(res.userAfter, acc(a.user, sets.user));
      assert.equal(res.populationAfter, acc(a.population, sets.population));
      assert.deepEqual([run.route.baseUser, run.route.adaptedUser, run.route.adaptedPopulation], [res.userBefore, res.userAfter, res.populationAfter]);

      // nearest-sample routing: routes from the data files (100 old-task samples, the first 50 stream frames), answers from the two models
      const old = records(cam("population_replay.bin")).map((r) => r.x), frames = records(cam("user_pool.bin")).slice(0, 50).map((r) => r.x);
      const d2 = (p: Int8Array, q: Int8Array) => p.reduce((s, v, k) => s + (v - q[k]!) ** 2, 0);
      const near = (refs: Int8Array[], x: Int8Array) => Math.min(...refs.map((r) => d2(x, r)));
      const nearest = run.route.rules.find((r) => r.rule === "nearest")!;
      for (const key of ["user", "population"] as const) {
        const recs = records(cam(sets[key]));
        const d = recs.map((r) => (near(frames, r.x) < near(old, r.x) ? "1" : "0")).join("");
        assert.equal(key === "user" ? nearest.userDecisions : nearest.populationDecisions, d, key);
        const correct = recs.filter((r, i) => (d[i] === "1" ? a[key][i] : b[key][i]) === r.label).length;
        assert.equal(key === "user" ? nearest.userAccuracy : nearest.populationAccuracy, correct / recs.length, key);
      }
    }
    // the camera hurts the base (README: 43.3%) and plain fine-tuning recovers much of it, forgetting the old task
    const p = plain.result, k = kept.result;
    assert.ok(p.userBefore < 0.5 && p.userAfter > p.userBefore + 0.2, `${p.userBefore} -> ${p.userAfter}`);
    assert.ok(p.populationBefore - p.populationAfter > 0.02, `plain: ${p.populationBefore} -> ${p.populationAfter}`);
    // issue 12's bound: within 2 points on the original task at >= plain fine-tuning's gain (in tenths of a point)
    assert.ok(Math.round(1000 * (k.populationBefore - k.populationAfter)) <= 20, `replay + EWC: ${k.populationBefore} -> ${k.populationAfter}`);
    assert.ok(k.userAfter - k.userBefore >= p.userAfter - p.userBefore, `gain ${k.userAfter - k.userBefore} < plain ${p.userAfter - p.userBefore}`);
  });
});
