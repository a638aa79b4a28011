// GuardedTrainer's commit and rollback on the native engine, under the XS simulator (finding 8:
// the double's state is its exported bytes, the trainer's is not). Oracle: a fresh session that
// imports the committed adapter (what a reboot from the committed record does); its next step
// must be byte-identical to the step after a rollback. Control: the rollback without the reset
// (the earlier import-only rollback) keeps the momentum and gives another step.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
const data = join(repoRoot, "data", "demo");
// Momentum on, so the state an import does not restore is part of the next step.
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.004,momentum=0.9+ewc:lambda=20+seed:3";

const SCRIPT = `import { NativeEnginePort } from ${js("firmware/platform/native-engine.js")};
import { SimResource } from ${js("firmware/platform/sim/sim-engine-resource.js")};
import { SampleSet } from ${js("firmware/app/sample-set.js")};
import { Reservoir } from ${js("firmware/replay/reservoir.js")};
import { Xorshift32 } from ${js("firmware/replay/random.js")};
import { TickBudget } from ${js("firmware/agent/tick-budget.js")};
import { VirtualClock } from ${js("firmware/platform/virtual-clock.js")};
import { GuardedTrainer } from ${js("firmware/agent/guarded-trainer.js")};
const out = (s) => trace(s + "\\n");
const model = new SimResource(${JSON.stringify(join(data, "digits_mlp_int8.tflite"))});
const pool = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(data, "user_pool.bin"))})), 64);
const open = () => new NativeEnginePort(model, ${JSON.stringify(SPEC)}, 65536);
const hex = (b) => { let s = ""; for (const v of new Uint8Array(b)) s += (v | 256).toString(16).slice(1); return s; };
const same = (a, b) => hex(a) === hex(b);
const next = pool.batch(160, 40);
// The port, or the port with resetAdapter a no-op (the rollback as it was: import only).
const port = (e, reset) => reset ? e : { info: e.info, evaluate: (b) => e.evaluate(b), trainStep: (b) => e.trainStep(b),
  exportAdapter: () => e.exportAdapter(), importAdapter: (x) => e.importAdapter(x), resetAdapter: () => {} };
// A committed round (tolerance: any result kept), then a rolled-back one (nothing good enough).
function rounds(e, reset) {
  const replay = new Reservoir({ capacity: 120, entryBytes: 64, classes: e.info.classes, mode: "raw", seed: 5, heldOutEvery: 5 });
  const x = new Int8Array(64);
  for (let i = 0; i < 120; i++) replay.offer(pool.input(i, x), pool.label(i));
  const guard = (tolerance, commits) => new GuardedTrainer(port(e, reset), replay, new TickBudget(new VirtualClock(), 15, 1000),
    new Xorshift32(7), { batchSize: 8, minHeldOut: 8, tolerance }, (a) => commits.push(a));
  const commits = [];
  const first = guard(1000, commits).round();
  const afterCommit = e.exportAdapter();
  const second = guard(-1000, commits).round();
  const afterRollback = e.exportAdapter();
  e.trainStep(next);
  return { first, second, commits, afterCommit, afterRollback, step: e.exportAdapter() };
}
let e = open();
const r = rounds(e, true);
e.close();
e = open();                                   // the oracle: a fresh session from the committed record
e.importAdapter(r.commits[0]);
e.trainStep(next);
const oracle = e.exportAdapter();
e.close();
e = open();
const old = rounds(e, false);                 // control: rollback without the reset
e.close();
out("RESULT " + JSON.stringify({
  committed: [r.first.committed, r.second.committed], steps: [r.first.steps, r.second.steps], commits: r.commits.length,
  commitIsState: same(r.commits[0], r.afterCommit), viewsRestored: same(r.afterRollback, r.commits[0]),
  stepChanged: !same(r.step, r.commits[0]), sameStep: same(r.step, oracle),
  controlSameRollback: same(old.afterRollback, r.afterRollback), controlSameStep: same(old.step, oracle),
}));
`;

describe("GuardedTrainer commit/rollback on the native engine (simulator)", function () {
  this.timeout(120000);
  let fx: Fixture;
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("after a rollback the views are the committed adapter's and the next step is a fresh session's from it", () => {
    fx.write("guard.js", SCRIPT);
    const run = fx.run(["--board", "boards/sim.json", "--", fx.path("guard.js")]);
    assert.equal(run.status, 0, run.stderr);
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, run.stdout);
    const r = JSON.parse(line.slice(7)) as Record<string, unknown>;
    assert.deepEqual(r["committed"], [true, false]);
    assert.deepEqual(r["steps"], [15, 15], "both rounds trained");
    assert.equal(r["commits"], 1);
    assert.equal(r["commitIsState"], true);
    assert.equal(r["viewsRestored"], true, "inference after the rollback is the committed adapter's");
    assert.equal(r["stepChanged"], true, "a step that changes nothing would make the comparison empty");
    assert.equal(r["sameStep"], true, "int8 views restored, masters re-derived, momentum zeroed: a fresh session's step");
    // The import-only rollback restores the same views but keeps the momentum of the rolled-back
    // steps: its next step differs, so this test fails on it.
    assert.equal(r["controlSameRollback"], true);
    assert.equal(r["controlSameStep"], false);
  });
});
