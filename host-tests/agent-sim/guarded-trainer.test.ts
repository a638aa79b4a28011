// GuardedTrainer's commit and rollback on the native engine, under the XS simulator (the
// double's state is its exported bytes, the trainer's is not), and the checkpoint binding it
// rests on. Oracle: a session that never ran the rejected round; after the rollback the next
// step must give its adapter AND its checkpoint byte for byte. Control: the earlier rollback
// (reset + import of the exported adapter) restores the same views but not the masters,
// momentum and step, so its next step differs and the comparison can fail.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
const data = join(repoRoot, "data", "demo");
// Momentum on, so the state an adapter import does not restore is part of the next step.
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.004,momentum=0.9+ewc:lambda=20+seed:3";

const HEADER = `import { NativeEnginePort } from ${js("firmware/platform/native-engine.js")};
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
const open = (spec) => new NativeEnginePort(model, spec ?? ${JSON.stringify(SPEC)}, 65536);
const hex = (b) => { let s = ""; for (const v of new Uint8Array(b instanceof Uint8Array ? b.buffer.slice(b.byteOffset, b.byteOffset + b.length) : b)) s += (v | 256).toString(16).slice(1); return s; };
const same = (a, b) => hex(a) === hex(b);
const checkpoint = (e) => { const c = new Uint8Array(e.info.checkpointBytes); e.exportCheckpointInto(c); return c; };
const attempt = (f) => { try { f(); return "OK"; } catch (x) { return x.constructor.name + ": " + x.message; } };
`;

const ROUNDS = `
const next = pool.batch(160, 40);
// The earlier rollback, for the control: snapshot = exported adapter, restore = reset + import.
const adapterRollback = (e) => { let snap;
  return { info: e.info, evaluate: (b) => e.evaluate(b), trainStep: (b) => e.trainStep(b), exportAdapter: () => e.exportAdapter(),
    exportCheckpointInto: (c) => { snap = e.exportAdapter(); return e.exportCheckpointInto(c); },
    importCheckpoint: () => { e.resetAdapter(); e.importAdapter(snap); } }; };
// A committed round (any result kept), then, unless oracle, a rolled-back one (none good enough).
function rounds(e, port, oracle) {
  const replay = new Reservoir({ capacity: 120, entryBytes: 64, classes: e.info.classes, mode: "raw", seed: 5, heldOutEvery: 5 });
  const x = new Int8Array(64);
  for (let i = 0; i < 120; i++) replay.offer(pool.input(i, x), pool.label(i));
  const commits = [];
  const guard = (tolerance) => new GuardedTrainer(port, replay, new TickBudget(new VirtualClock(), 15, 1000),
    new Xorshift32(7), { batchSize: 8, minHeldOut: 8, tolerance }, (a, c) => commits.push({ adapter: a, checkpoint: c.slice() }));
  const first = guard(1000).round();
  const afterCommit = { adapter: e.exportAdapter(), checkpoint: checkpoint(e) };
  const second = oracle ? undefined : guard(-1000).round();
  const afterRollback = { adapter: e.exportAdapter(), checkpoint: checkpoint(e) };
  e.trainStep(next);
  return { first, second, commits, afterCommit, afterRollback, step: { adapter: e.exportAdapter(), checkpoint: checkpoint(e) } };
}
const run = (wrap, oracle) => { const e = open(); const r = rounds(e, wrap ? wrap(e) : e, oracle); e.close(); return r; };
const r = run(undefined, false);
const oracle = run(undefined, true);      // never ran the rejected round
const old = run(adapterRollback, false);  // control
const eq = (a, b) => same(a.adapter, b.adapter) && same(a.checkpoint, b.checkpoint);
out("RESULT " + JSON.stringify({
  committed: [r.first.committed, r.second.committed], steps: [r.first.steps, r.second.steps], commits: r.commits.length,
  commitIsState: eq(r.commits[0], r.afterCommit), restored: eq(r.afterRollback, r.afterCommit),
  stepChanged: !same(r.step.checkpoint, r.afterCommit.checkpoint),
  sameAdapter: same(r.step.adapter, oracle.step.adapter), sameCheckpoint: same(r.step.checkpoint, oracle.step.checkpoint),
  controlRolledBack: old.second.committed === false && old.second.steps === r.second.steps,
  controlSameAdapter: same(old.step.adapter, oracle.step.adapter), controlSameCheckpoint: same(old.step.checkpoint, oracle.step.checkpoint),
}));
`;

const BINDING = `
const e = open();
const info = e.info;
const before = checkpoint(e);
const written = e.native.exportCheckpointInto(new Uint8Array(info.checkpointBytes + 8));
e.trainStep(pool.batch(0, 40));
const trained = checkpoint(e);
const bad = trained.slice(); bad[bad.length - 1] ^= 1;
const other = open.bind(null, ${JSON.stringify(SPEC.replace("seed:3", "seed:4"))});
e.close();
const f = other();
const foreign = checkpoint(f);
f.close();
const g = open();
const errors = {
  small: attempt(() => g.exportCheckpointInto(new Uint8Array(info.checkpointBytes - 1))),
  readOnly: attempt(() => g.exportCheckpointInto(new Uint8Array(model))),
  exportArgs: attempt(() => native("xs_engine_exportCheckpoint").call(g.native)),
  importArgs: attempt(() => native("xs_engine_importCheckpoint").call(g.native)),
  corrupt: attempt(() => g.importCheckpoint(bad)),
  truncated: attempt(() => g.importCheckpoint(trained.subarray(0, 40))),
  foreign: attempt(() => g.importCheckpoint(foreign)),
};
const untouched = same(checkpoint(g), before);
g.importCheckpoint(trained);
out("RESULT " + JSON.stringify({ bytes: info.checkpointBytes, getter: g.native.checkpointBytes, written,
  magic: String.fromCharCode(trained[0], trained[1], trained[2], trained[3]), errors, untouched,
  imported: same(checkpoint(g), trained), changed: !same(trained, before) }));
g.close();
`;

function run(fx: Fixture, name: string, body: string): Record<string, unknown> {
  return fx.runResult(name, HEADER + body);
}

describe("GuardedTrainer commit/rollback on the native engine (simulator)", function () {
  this.timeout(120000);
  let fx: Fixture;
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("after a rollback the next step equals a session's that never ran the rejected round", () => {
    const r = run(fx, "guard.js", ROUNDS);
    assert.deepEqual(r["committed"], [true, false]);
    assert.deepEqual(r["steps"], [15, 15], "both rounds trained");
    assert.equal(r["commits"], 1);
    assert.equal(r["commitIsState"], true, "onCommit gets the committed adapter and checkpoint");
    assert.equal(r["restored"], true, "the rollback restores the committed adapter and checkpoint");
    assert.equal(r["stepChanged"], true, "a step that changes nothing would make the comparison empty");
    assert.equal(r["sameAdapter"], true);
    assert.equal(r["sameCheckpoint"], true, "masters, momentum and step as if the round never ran");
    // The adapter-only rollback (the earlier one) loses masters' low bits, momentum and step.
    assert.equal(r["controlRolledBack"], true);
    assert.equal(r["controlSameAdapter"], false);
    assert.equal(r["controlSameCheckpoint"], false);
  });

  it("checkpointBytes / exportCheckpointInto / importCheckpoint: sizes, argument checks, refusals change nothing", () => {
    const r = run(fx, "binding.js", BINDING);
    assert.equal(r["getter"], r["bytes"]);
    assert.equal(r["written"], r["bytes"], "exports exactly checkpointBytes into a larger buffer");
    assert.equal(r["magic"], "EPCK");
    assert.equal(r["changed"], true);
    const e = r["errors"] as Record<string, string>;
    assert.match(e["small"]!, /^RangeError: engine: exportCheckpoint: EP_ERR_SIZE: buffer of \d+ bytes, the checkpoint is \d+$/);
    assert.match(e["readOnly"]!, /^TypeError: .*read-only buffer/);
    assert.match(e["exportArgs"]!, /^TypeError: engine: exportCheckpoint\(buffer\) needs 1 argument, got 0$/);
    assert.match(e["importArgs"]!, /^TypeError: engine: importCheckpoint\(bytes\) needs 1 argument, got 0$/);
    for (const k of ["corrupt", "truncated", "foreign"]) {
      assert.match(e[k]!, /^Error: engine: importCheckpoint: EP_ERR_\w+: \S.*$/, `${k}: ${e[k]}`);
    }
    assert.equal(r["untouched"], true, "refused imports leave the fresh session's checkpoint");
    assert.equal(r["imported"], true);
  });
});
