// Adapter routing (firmware/continual/router.ts) end to end: the agent in the XS simulator trains
// the demo's new user without replay or EWC, then routes both held-out sets between the base and
// the adapted outputs. Its reported error rates are recomputed from its per-input decisions, and
// the base side is checked against TFLite Micro's interpreter (tools/oracle): the base accuracies,
// the novelty threshold and every novelty decision follow from the oracle's outputs alone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { python, repoRoot } from "../support/paths.js";
import { runDemo } from "../../tools/demo/run.js";

interface Rule { rule: string; errorRate: number; userAccuracy: number; populationAccuracy: number; userToAdapter: number; populationToAdapter: number; userDecisions: string; populationDecisions: string }
interface Route { tau256: number; baseUser: number; basePopulation: number; adaptedUser: number; adaptedPopulation: number; rules: Rule[] }

const demo = (f: string) => join(repoRoot, "data", "demo", f);
const model = demo("digits_mlp_int8.tflite");

/** SAMPLES.bin -> labels and, from tflite-micro, each record's top class and its probability x 256. */
function oracleTop(file: string): { labels: number[]; top: number[]; p256: number[] } {
  const raw = readFileSync(demo(file));
  const n = raw.length / 65, dir = mkdtempSync(join(tmpdir(), "route-"));
  const inputs = Buffer.alloc(n * 64);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) { labels.push(raw[i * 65]!); raw.copy(inputs, i * 64, i * 65 + 1, i * 65 + 65); }
  writeFileSync(join(dir, "in.bin"), inputs);
  const r = spawnSync(python, [join(repoRoot, "tools", "oracle", "oracle.py"), model, "--input", join(dir, "in.bin"), "--output", join(dir, "out.bin")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const bytes = readFileSync(join(dir, "out.bin"));
  assert.equal(bytes.length, n * 10);
  const out = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  const top: number[] = [], p256: number[] = [];
  for (let i = 0; i < n; i++) {
    let b = 0;
    for (let k = 1; k < 10; k++) if (out[i * 10 + k]! > out[i * 10 + b]!) b = k;
    top.push(b);
    p256.push(out[i * 10 + b]! + 128);
  }
  return { labels, top, p256 };
}

const ones = (s: string) => [...s].filter((c) => c === "1").length;

describe("adapter routing in the agent (XS simulator, demo data)", function () {
  this.timeout(600000);
  let route: Route;
  before(() => {
    const r = runDemo(["--no-replay", "--no-ewc", "--route", "0.05"], "esp32s3");
    const line = r.stdout.split("\n").find((l) => l.startsWith("method-result "));
    assert.ok(line, r.stdout);
    route = (JSON.parse(line.slice("method-result ".length)) as { route: Route }).route;
  });

  it("reports error rates and adapter shares that its per-input decisions give", () => {
    assert.deepEqual(route.rules.map((r) => r.rule), ["confidence", "novelty", "nearest"]);
    for (const r of route.rules) {
      assert.equal(r.userDecisions.length, 240);
      assert.equal(r.populationDecisions.length, 300);
      assert.match(r.userDecisions + r.populationDecisions, /^[01]+$/);
      assert.equal(r.userToAdapter, ones(r.userDecisions));
      assert.equal(r.populationToAdapter, ones(r.populationDecisions));
      // a route error: a user input kept on the base, or an old-task input sent to the adapter
      const errors = (240 - ones(r.userDecisions)) + ones(r.populationDecisions);
      assert.equal(r.errorRate, errors / 540, r.rule);
      // the router does something: neither all-base nor all-adapter
      assert.ok(errors > 0 && errors < 540 && ones(r.userDecisions) > 0, r.rule);
    }
  });

  it("nearest-sample decisions equal a recomputation from the data files", () => {
    const inputs = (f: string, n?: number) => {
      const raw = readFileSync(demo(f)), out: Int8Array[] = [];
      for (let i = 0; i < (n ?? raw.length / 65); i++) out.push(new Int8Array(raw.buffer, raw.byteOffset + i * 65 + 1, 64));
      return out;
    };
    const old = inputs("population_replay.bin"), frames = inputs("user_pool.bin", 50);
    const d2 = (a: Int8Array, b: Int8Array) => a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0);
    const near = (refs: Int8Array[], x: Int8Array) => Math.min(...refs.map((r) => d2(x, r)));
    const decide = (f: string) => inputs(f).map((x) => (near(frames, x) < near(old, x) ? "1" : "0")).join("");
    const r = route.rules.find((x) => x.rule === "nearest")!;
    assert.equal(r.userDecisions, decide("user_test.bin"));
    assert.equal(r.populationDecisions, decide("population_test.bin"));
  });

  it("base side and novelty decisions equal TFLite Micro's outputs", () => {
    const user = oracleTop("user_test.bin"), pop = oracleTop("population_test.bin"), old = oracleTop("population_replay.bin");
    const acc = (o: typeof user) => o.top.filter((t, i) => t === o.labels[i]).length / o.labels.length;
    assert.equal(route.baseUser, acc(user));
    assert.equal(route.basePopulation, acc(pop));
    const tau = [...old.p256].sort((a, b) => a - b)[Math.floor(0.05 * old.p256.length)]!;
    assert.equal(route.tau256, tau);
    const novelty = route.rules.find((r) => r.rule === "novelty")!;
    assert.equal(novelty.userDecisions, user.p256.map((p) => (p < tau ? "1" : "0")).join(""));
    assert.equal(novelty.populationDecisions, pop.p256.map((p) => (p < tau ? "1" : "0")).join(""));
    // routed accuracy = the oracle's base answers where routed to the base + at most every adapter-routed input
    for (const r of route.rules) {
      for (const [o, d, a] of [[user, r.userDecisions, r.userAccuracy], [pop, r.populationDecisions, r.populationAccuracy]] as const) {
        const baseRight = o.top.filter((t, i) => d[i] === "0" && t === o.labels[i]).length;
        const correct = Math.round(a * o.labels.length);
        assert.ok(correct >= baseRight && correct <= baseRight + ones(d), `${r.rule}: ${correct} vs base ${baseRight} + ${ones(d)}`);
      }
    }
  });
});
