// Adapter routing (firmware/continual/router.ts) end to end: the agent in the XS simulator trains
// the demo's new user without replay or EWC, then routes both held-out sets between the base and
// the adapted outputs. Its reported error rates are recomputed from its per-input decisions, and
// the base side is checked against TFLite Micro's interpreter (tools/oracle): the base accuracies,
// the novelty threshold and every novelty decision follow from the oracle's outputs alone.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { crc32 } from "node:zlib";
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

// Isolation (one adapter per user, routing among the base and the adapters): two agent runs
// (user A, then user B with A's adapter as prior); the XS report's accuracy on every held-out set
// is recomputed from the CLI's outputs of each exported adapter (bound to the model's SHA-256),
// TFLite Micro's base outputs and a nearest-sample recomputation from the data files.
describe("isolation routing among per-user adapters (XS simulator, users A and B)", function () {
  this.timeout(600000);

  it("reports the accuracies its routes and the adapters' own outputs give", () => {
    const dir = mkdtempSync(join(tmpdir(), "iso-"));
    const common = ["--no-replay", "--no-ewc", "--route", "0.05", "--users-root", "data/demo", "--matrix", "a,b,c", "--dump-adapter", "1"];
    const report = (args: string[], d: string) => {
      const r = runDemo([...common, ...args], "esp32s3", { dir: d });
      return JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("method-result "))!.slice("method-result ".length)) as
        { adapter: string; isolation: { name: string; accuracy: number }[] };
    };
    const a = report(["--seen", "a", "--user-name", "a"], "data/demo");
    writeFileSync(join(dir, "a.epad"), Buffer.from(a.adapter, "hex"));
    const b = report(["--seen", "a,b", "--user-name", "b", "--prior", `a=${join(dir, "a.epad")}`], "data/demo/users/b");

    // the XS session has no model identity (zero SHA-256): bind each adapter to the model for the CLI
    const sha = createHash("sha256").update(readFileSync(model)).digest();
    const bind = (hex: string, name: string) => {
      const bytes = Buffer.from(hex, "hex");
      sha.copy(bytes, 44);
      bytes.writeUInt32LE(crc32(bytes.subarray(0, bytes.length - 4)) >>> 0, bytes.length - 4);
      writeFileSync(join(dir, name), bytes);
      return join(dir, name);
    };
    const adapters = [bind(a.adapter, "a-bound.epad"), bind(b.adapter, "b-bound.epad")];
    const records = (f: string) => {
      const raw = readFileSync(f), n = raw.length / 65;
      return Array.from({ length: n }, (_, i) => ({ label: raw[i * 65]!, x: new Int8Array(raw.buffer, raw.byteOffset + i * 65 + 1, 64) }));
    };
    const cliTop = (adapter: string, f: string) => {
      const recs = records(f), inp = Buffer.alloc(recs.length * 64);
      recs.forEach((r, i) => Buffer.from(r.x.buffer, r.x.byteOffset, 64).copy(inp, i * 64));
      writeFileSync(join(dir, "in.bin"), inp);
      const r = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["infer", model, "--input", join(dir, "in.bin"), "--output", join(dir, "out.bin"), "--reset", "--adapter", adapter], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      const ob = readFileSync(join(dir, "out.bin"));
      assert.equal(ob.length, recs.length * 10);
      const out = new Int8Array(ob.buffer, ob.byteOffset, ob.length);
      return recs.map((_, i) => { let t = 0; for (let k = 1; k < 10; k++) if (out[i * 10 + k]! > out[i * 10 + t]!) t = k; return t; });
    };
    const old = records(demo("population_replay.bin")).map((r) => r.x);
    const frames = [records(demo("user_pool.bin")).slice(0, 50).map((r) => r.x), records(demo("users/b/user_pool.bin")).slice(0, 50).map((r) => r.x)];
    const d2 = (p: Int8Array, q: Int8Array) => p.reduce((s, v, k) => s + (v - q[k]!) ** 2, 0);
    const near = (refs: Int8Array[], x: Int8Array) => Math.min(...refs.map((r) => d2(x, r)));
    const sets: [string, string][] = [["population", "population_test.bin"], ["a", "user_test.bin"], ["b", "users/b/user_test.bin"], ["c", "users/c/user_test.bin"]];
    for (const [name, file] of sets) {
      const recs = records(demo(file));
      const base = oracleTop(file).top, byAdapter = adapters.map((ad) => cliTop(ad, demo(file)));
      let correct = 0;
      recs.forEach((r, i) => {
        // 0: the base; 1 + k: adapter k (ties go to the earlier domain, the old task first)
        let best = near(old, r.x), route = 0;
        frames.forEach((f, k) => { const d = near(f, r.x); if (d < best) { best = d; route = 1 + k; } });
        if ((route === 0 ? base[i] : byAdapter[route - 1]![i]) === r.label) correct++;
      });
      assert.equal(b.isolation.find((e) => e.name === name)!.accuracy, correct / recs.length, name);
    }
  });
});
