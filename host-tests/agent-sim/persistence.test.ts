// The agent's state across reboots in the XS simulator: replay buffer, EWC state and committed
// adapter are saved through the Storage port (the simulator's NOR flash file) and restored at
// start; a power cut (--flash-cut-after N, status 75) at any point of a save leaves the old or
// the new state, never a corrupt one.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoBoard, root } from "../../tools/demo/run.js";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

interface Run { status: number | null; stdout: string; stderr: string }

function agent(flash: string, cutAfter?: number): Run {
  const { path } = demoBoard();
  const cut = cutAfter === undefined ? [] : ["--flash-cut-after", String(cutAfter)];
  const r = spawnSync(join(root, "build", "bin", "edge-peft-sim"),
    ["--board", path, "--flash", flash, ...cut, "--", "build/js/firmware/targets/sim.js", "--agent", "data/demo"],
    { cwd: root, encoding: "utf8", timeout: 120000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** An EWC image as the app logs it: the engine's bytes and their CRC-32. */
interface EwcImage { bytes: number; crc: string }

/** The last "agent: saved replay=COUNT@SEQ" / "saved ewc task T@SEQ ..." / adapter version printed. */
function saved(out: string): { replay?: [number, number]; ewc?: number; adapter: number; image?: EwcImage } {
  let replay: [number, number] | undefined, ewc: number | undefined, adapter = 0, image: EwcImage | undefined;
  for (const l of out.split("\n")) {
    let m = /^agent: saved replay=(\d+)@(\d+)$/.exec(l);
    if (m) replay = [Number(m[1]), Number(m[2])];
    m = /^agent: saved ewc task \d+@(\d+) bytes=(\d+) body-crc=([0-9a-f]+)$/.exec(l);
    if (m) { ewc = Number(m[1]); image = { bytes: Number(m[2]), crc: m[3]! }; }
    m = /adapters\.version=(\d+)/.exec(l);
    if (m) adapter = Number(m[1]);
  }
  return { replay, ewc, adapter, image };
}

/** The EWC image a restarted app imported (read back from the engine), if it says so. */
function restoredImage(out: string): EwcImage | undefined {
  const m = /^agent: restored ewc task \d+ samples=\d+ bytes=(\d+) body-crc=([0-9a-f]+)$/m.exec(out);
  return m ? { bytes: Number(m[1]), crc: m[2]! } : undefined;
}

/** Old-task examples the engine ran through its Fisher during the run (C-side counter). */
function fisherExamples(out: string): number {
  const m = /^metric engine\.fisher-examples=(\d+)$/m.exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

/** What the restarted app says it restored (undefined: started fresh). */
function resumed(out: string): { replay?: [number, number]; ewc?: number; adapter: number } | undefined {
  const m = /^agent: resumed replay=(?:(\d+)@(\d+)|none) ewc=(?:task \d+@(\d+)|none) adapter=(?:v(\d+)|base)$/m.exec(out);
  if (!m) return undefined;
  return {
    replay: m[1] === undefined ? undefined : [Number(m[1]), Number(m[2])],
    ewc: m[3] === undefined ? undefined : Number(m[3]), adapter: m[4] === undefined ? 0 : Number(m[4]),
  };
}

function result(out: string): { userBefore: number; populationBefore: number; userAfter: number; populationAfter: number } {
  const line = out.split("\n").find((l) => l.startsWith("demo-result "));
  assert.ok(line, out);
  return JSON.parse(line.slice("demo-result ".length)) as { userBefore: number; populationBefore: number; userAfter: number; populationAfter: number };
}

describe("agent state persisted in the simulator's flash", function () {
  this.timeout(600000);
  let dir: string;
  let first: Run;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "edge-peft-agent-"));
    first = agent(join(dir, "resume.bin"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a second run on the same flash resumes with the saved replay buffer, EWC state and adapter", () => {
    const flash = join(dir, "resume.bin");
    assert.equal(first.status, 0, first.stderr);
    assert.equal(resumed(first.stdout), undefined, "an erased flash starts fresh");
    const s = saved(first.stdout);
    assert.ok(s.replay && s.ewc === 1 && s.adapter > 0, first.stdout);
    const second = agent(flash);
    assert.equal(second.status, 0, second.stderr);
    const { image, ...records } = s;
    assert.deepEqual(resumed(second.stdout), records);
    // The restored adapter is the one the first run ended with (it rolls back to the last
    // commit), so the second run starts where the first one finished, measured on the same data.
    const a = result(first.stdout), b = result(second.stdout);
    assert.equal(b.userBefore, a.userAfter);
    assert.equal(b.populationBefore, a.populationAfter);
    assert.doesNotMatch(second.stdout, /agent: task start/, "no second task boundary");
    // The trainer's full-precision state of the last commit came back (exported again after
    // the import: the bytes saved with that commit).
    const ck = [...first.stdout.matchAll(/^agent: saved checkpoint v(\d+) (bytes=\d+ body-crc=[0-9a-f]+)$/gm)].at(-1);
    assert.ok(ck && Number(ck[1]) === s.adapter, first.stdout);
    assert.match(second.stdout, new RegExp(`^agent: restored checkpoint v${ck[1]} ${ck[2]}$`, "m"));
  });

  it("a restart imports the saved Fisher + anchor instead of re-estimating them on the old task", () => {
    const s = saved(first.stdout);
    assert.ok(s.image, first.stdout);
    // The boundary estimated the Fisher on the 100 old-task examples of population_replay.bin.
    assert.equal(fisherExamples(first.stdout), 100);
    const again = agent(join(dir, "resume.bin"));
    assert.equal(again.status, 0, again.stderr);
    // The engine holds the saved image (exported back after the import: same bytes, same CRC)...
    assert.deepEqual(restoredImage(again.stdout), s.image);
    // ...and no old-task example went through the Fisher in this boot.
    assert.equal(fisherExamples(again.stdout), 0);
  });

  it("a power cut at any point of a save leaves the old or the new state", () => {
    // Byte budgets falling inside the first saves: the EWC record (20 header + 12 head + the
    // engine's image, whose size the fresh run logged), the seeded replay buffer (6,656 + 20),
    // then adapter and replay saves of the stream.
    const image = saved(first.stdout).image;
    assert.ok(image, first.stdout);
    const e = 20 + 12 + image.bytes, r = e + 6676;
    const cuts = [1, e >> 1, e - 16, e, e + 1, e + 2284, r - 22, r - 2, r, r + 8, r + 308, r + 1608, r + 7608, r + 22608];
    for (const n of cuts) {
      const flash = join(dir, `cut-${n}.bin`);
      const cut = agent(flash, n);
      assert.equal(cut.status, 75, `cut ${n}: ${cut.stderr}`);
      const before = saved(cut.stdout);
      const back = agent(flash);
      assert.equal(back.status, 0, `restart after cut ${n}: ${back.stderr}`);
      const got = resumed(back.stdout);
      // Never run without the seeded replay buffer: a boundary cut short is redone.
      if (got?.replay === undefined) assert.match(back.stdout, /^agent: task start replay=100 /m, `cut ${n}`);
      // Nothing committed yet, or the boundary (EWC then replay) cut short: started over.
      if (got === undefined && before.adapter === 0 && before.replay === undefined) continue;
      assert.ok(got, `cut ${n}: restart did not resume\n${back.stdout}`);
      // old = what the cut run reported saved; new = the save the cut interrupted (only if its
      // header was complete). Sequences step by one per save.
      const oldOrNew = (o: number | undefined, g: number | undefined) =>
        g === o || g === (o ?? 0) + 1;
      if (got.replay) assert.ok(oldOrNew(before.ewc, got.ewc), `cut ${n}: ewc ${got.ewc} vs saved ${before.ewc}`);
      assert.ok(oldOrNew(before.replay?.[1], got.replay?.[1]), `cut ${n}: replay ${got.replay} vs saved ${before.replay}`);
      if (before.replay && got.replay && got.replay[1] === before.replay[1]) assert.equal(got.replay[0], before.replay[0]);
      assert.ok(got.adapter === before.adapter || got.adapter === before.adapter + 1, `cut ${n}: adapter v${got.adapter} vs v${before.adapter}`);
    }
  });
});

const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
const demo = join(repoRoot, "data", "demo");
// Momentum on: state an int8 adapter does not carry is part of the next step.
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.004,momentum=0.9+ewc:lambda=20+seed:3";
const RESTART = `import { NativeEnginePort } from ${js("firmware/platform/native-engine.js")};
import { SimResource } from ${js("firmware/platform/sim/sim-engine-resource.js")};
import { SampleSet } from ${js("firmware/app/sample-set.js")};
import { NativeChecksum } from ${js("firmware/platform/sim/native-checksum.js")};
import { NorFlash } from ${js("firmware/platform/nor-flash.js")};
import { SlotStore } from ${js("firmware/storage/slot-store.js")};
import { layoutStorage } from ${js("firmware/storage/storage-layout.js")};
import { CheckpointStore } from ${js("firmware/storage/checkpoint-store.js")};
import { ADAPTER_RECORD_HEAD, AdapterStore, adapterKey, restoreCommitted } from ${js("firmware/adapters/adapter-store.js")};
import { Reservoir } from ${js("firmware/replay/reservoir.js")};
import { Xorshift32 } from ${js("firmware/replay/random.js")};
import { TickBudget } from ${js("firmware/agent/tick-budget.js")};
import { VirtualClock } from ${js("firmware/platform/virtual-clock.js")};
import { GuardedTrainer } from ${js("firmware/agent/guarded-trainer.js")};
const out = (s) => trace(s + "\\n");
const model = new SimResource(${JSON.stringify(join(demo, "digits_mlp_int8.tflite"))});
const pool = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(demo, "user_pool.bin"))})), 64);
const SPEC = ${JSON.stringify(SPEC)};
// Byte comparison without hex strings: the sim board's chunk heap is esp32's.
const bytesEq = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);
const flash = new NorFlash(32, 1024);
const checksum = new NativeChecksum();
const logged = [];
const log = { info: (m) => logged.push(m), warn: (m) => logged.push("warning: " + m), error: (m) => logged.push(m), metric: () => {} };
const open = () => new NativeEnginePort(model, SPEC, 65536);
// The app's stores (agent-main.ts) over one partition that outlives the sessions.
function stores(e, key) {
  const layout = layoutStorage({ partition: "t", sectorBytes: 1024, sectors: 32 }, { replayBytes: 16, ewcBytes: 16,
    adapterBytes: e.info.adapterBytes + ADAPTER_RECORD_HEAD, adapterSlots: 1,
    checkpointBytes: CheckpointStore.payloadBytes(e.info.checkpointBytes) });
  const slot = (r) => new SlotStore(flash, checksum, r);
  return { adapters: new AdapterStore(e, layout.adapters.map(slot), 16384, key), checkpoints: new CheckpointStore(slot(layout.checkpoint), key) };
}
const KEY = adapterKey(checksum, new Uint8Array(model), SPEC);
const state = (e) => { const c = new Uint8Array(e.info.checkpointBytes); e.exportCheckpointInto(c); return { c, a: new Uint8Array(e.exportAdapter()) }; };
const eq = (x, y) => bytesEq(x.c, y.c) && bytesEq(x.a, y.a);
const next = pool.batch(160, 40);
// Run: two committed rounds and a rolled-back one, saving each commit as agent-main does.
let e = open();
let s = stores(e, KEY);
const replay = new Reservoir({ capacity: 120, entryBytes: 64, classes: e.info.classes, mode: "raw", seed: 5, heldOutEvery: 5 });
const x = new Int8Array(64);
for (let i = 0; i < 120; i++) replay.offer(pool.input(i, x), pool.label(i));
const guard = (tolerance) => new GuardedTrainer(e, replay, new TickBudget(new VirtualClock(), 15, 1000), new Xorshift32(tolerance & 0xff | 1),
  { batchSize: 8, minHeldOut: 8, tolerance }, (a, c) => { const v = s.adapters.save(0, a); s.checkpoints.save(v.version, c); });
const rounds = [guard(1000).round().committed, guard(1000).round().committed, guard(-1000).round().committed];
e.trainStep(next);                                   // the run that never stopped
const uninterrupted = state(e);
e.close();
// Restart: a new session restores adapter + checkpoint from the partition, then the same step.
e = open(); s = stores(e, KEY);
const committed = restoreCommitted(s.adapters, e, log, 0);
const imported = s.checkpoints.restore(e, committed.version, log);
e.trainStep(next);
const restarted = state(e);
e.close();
// Control: the int8 adapter only (a restart before checkpoints existed).
e = open(); s = stores(e, KEY);
restoreCommitted(s.adapters, e, log, 0);
e.trainStep(next);
const int8Only = state(e);
// A checkpoint of another version (cut between the adapter and checkpoint saves) is ignored...
const c = new Uint8Array(e.info.checkpointBytes); e.exportCheckpointInto(c);
s.checkpoints.save(committed.version + 1, c);
const before = state(e);
const otherVersion = s.checkpoints.restore(e, committed.version, log);
const keptVersion = s.checkpoints.restore(e, committed.version + 1, log) === false ? "refused" : "kept";
// ...one of another key (firmware update: model or spec changed) is erased before the engine sees it.
const stale = stores(e, (KEY ^ 1) >>> 0);
const otherKey = stale.checkpoints.restore(e, committed.version + 1, log);
const erased = stores(e, KEY).checkpoints.restore(e, committed.version + 1, log) === false;
const unchanged = eq(state(e), before);
e.close();
out("RESULT " + JSON.stringify({ rounds, version: committed.version, imported, same: eq(restarted, uninterrupted),
  changed: !eq(restarted, before), controlSame: eq(int8Only, uninterrupted), otherVersion, keptVersion, otherKey, erased, unchanged, logged }));
`;

describe("checkpoint of the committed state across a restart (simulator)", function () {
  this.timeout(120000);
  let fx: Fixture;
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("a restarted run's next step equals the uninterrupted run's; stale or mismatched checkpoints are not used", () => {
    const r = fx.runResult("restart.js", RESTART);
    assert.deepEqual(r["rounds"], [true, true, false]);
    assert.equal(r["version"], 2);
    assert.equal(r["imported"], true);
    assert.equal(r["same"], true, "checkpoint and adapter after the next step equal the uninterrupted run's");
    assert.equal(r["changed"], true);
    assert.equal(r["controlSame"], false, "the int8 adapter alone gives another step");
    assert.equal(r["otherVersion"], false);
    assert.equal(r["keptVersion"], "kept", "a version mismatch is ignored, not erased");
    assert.equal(r["otherKey"], false);
    assert.equal(r["erased"], true);
    assert.equal(r["unchanged"], true, "no refused checkpoint reached the engine");
    assert.deepEqual(r["logged"], [
      "agent: checkpoint of v3 does not match adapter v2: resuming from the int8 adapter",
      "warning: agent: checkpoint not used (made for another model or spec): record erased",
    ]);
  });
});
