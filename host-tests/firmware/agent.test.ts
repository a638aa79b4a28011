import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { outputKind, pseudoLabel } from "../../firmware/agent/pseudo-labeler.js";
import { FeedbackLabels } from "../../firmware/agent/feedback-labels.js";
import { TickBudget } from "../../firmware/agent/tick-budget.js";
import { GuardedTrainer } from "../../firmware/agent/guarded-trainer.js";
import { Reservoir } from "../../firmware/replay/reservoir.js";
import { Xorshift32 } from "../../firmware/replay/random.js";
import { VirtualClock } from "../../firmware/platform/virtual-clock.js";
import { LoopbackBus, LoopbackTransport } from "../../firmware/platform/loopback-transport.js";
import { EngineDouble } from "./engine-double.js";
import { repoPath, ROOT } from "../platform/repo.js";

describe("pseudo-labels (confident predictions only)", () => {
  const cases: [number[], number][] = [[[10, 40, -20, 0], 1 / 16], [[5, 4, 3], 0.5], [[-128, 127], 0.01], [[7, 7, 0], 0.25]];
  it("confidence is the softmax top probability (numpy oracle)", () => {
    const script = `import json,sys,numpy as np
out=[]
for l,s in json.loads(sys.argv[1]):
    z=np.array(l,dtype=np.float64)*s; p=np.exp(z-z.max()); p/=p.sum(); out.append(float(p.max()))
print(json.dumps(out))`;
    const expected = JSON.parse(execFileSync(repoPath(".venv/bin/python"), ["-c", script, JSON.stringify(cases)], { cwd: ROOT, encoding: "utf8" })) as number[];
    cases.forEach(([l, s], i) => {
      const got = pseudoLabel(Int8Array.from(l), { kind: "logits", scale: s, zeroPoint: 0 }, 0);
      assert.ok(Math.abs(got.confidence - expected[i]!) < 1e-12, `${l}: ${got.confidence} vs ${expected[i]}`);
    });
  });

  it("labels only at or above the threshold, with the arg-max class", () => {
    const logits = (scale: number) => ({ kind: "logits" as const, scale, zeroPoint: 0 });
    assert.equal(pseudoLabel(Int8Array.of(10, 40, -20, 0), logits(1 / 16), 0.79).label, 1); // p = 0.7948
    assert.equal(pseudoLabel(Int8Array.of(10, 40, -20, 0), logits(1 / 16), 0.8).label, -1);
    assert.equal(pseudoLabel(Int8Array.of(5, 4, 3), logits(0.5), 0.8).label, -1);
    assert.equal(pseudoLabel(Int8Array.of(7, 7, 0), logits(0.25), 0.5).label, -1, "a tie is never confident above 1/2");
  });

  it("reads int8 softmax output (TFLite: scale 1/256, zero point -128) as probabilities", () => {
    // TFLite's quantisation spec: int8 softmax output q means (q + 128) / 256.
    const softmax = { kind: outputKind(1 / 256, -128), scale: 1 / 256, zeroPoint: -128 };
    assert.equal(softmax.kind, "probabilities");
    assert.equal(outputKind(1 / 16, 0), "logits");
    // q = 102 -> 230/256 = 0.8984; the same bytes read as logits would give another confidence
    const q = Int8Array.of(-128, 102, -100, -128);
    const p = pseudoLabel(q, softmax, 0.89);
    assert.equal(p.label, 1);
    assert.equal(p.confidence, 230 / 256);
    assert.equal(pseudoLabel(q, softmax, 0.9).label, -1);
    assert.notEqual(pseudoLabel(q, { ...softmax, kind: "logits" }, 0).confidence, 230 / 256);
  });
});

describe("feedback labels", () => {
  it("accepts [label][input] messages from the transport and rejects malformed ones", () => {
    const bus = new LoopbackBus();
    const device = new LoopbackTransport(bus);
    const host = new LoopbackTransport(bus);
    const labels = new FeedbackLabels(3, 4);
    labels.attach(device, "edge-peft/dev1/label");
    host.publish("edge-peft/dev1/label", Uint8Array.of(2, 0xff, 1, 0x80).buffer);
    host.publish("edge-peft/dev1/label", Uint8Array.of(9, 1, 1, 1).buffer); // class 9 of 4
    host.publish("edge-peft/dev1/label", Uint8Array.of(1, 1).buffer); // short
    host.publish("edge-peft/dev2/label", Uint8Array.of(1, 1, 1, 1).buffer); // another device
    assert.equal(labels.push(Int8Array.of(1, 2, 3), 3), true);
    const got = labels.take();
    assert.deepEqual(got.map((s) => [s.label, Array.from(s.input), s.source]), [[2, [-1, 1, -128], "feedback"], [3, [1, 2, 3], "feedback"]]);
    assert.equal(labels.rejected, 2);
    assert.deepEqual(labels.take(), []);
  });
});

describe("tick budget", () => {
  it("stops at maxSteps or once maxMs of clock time has passed", () => {
    const clock = new VirtualClock();
    assert.equal(new TickBudget(clock, 100, 10).run(() => { clock.advance(3); return true; }), 4); // starts at 0,3,6,9 ms
    assert.equal(new TickBudget(clock, 2, 1000).run(() => true), 2);
    assert.equal(new TickBudget(clock, 5, 1000).run(() => false), 1);
  });
});

describe("validate-then-commit (GuardedTrainer) on the engine double", () => {
  // 2 classes, 2-byte inputs; the frozen layer is biased toward class 0; the new user's data
  // needs class 1 for inputs the frozen layer calls 0 - learnable by the bias adapter.
  const weights = Int8Array.of(8, 0, 0, 8);
  const setup = (heldLabelFlip: boolean) => {
    const engine = new EngineDouble(weights, 2);
    const r = new Reservoir({ capacity: 40, entryBytes: 2, classes: 2, mode: "raw", seed: 1 });
    for (let i = 0; i < 40; i++) {
      const x = Int8Array.of(20 + (i % 5), 10 + (i % 7)); // W favours class 0 (20 > 10)
      const held = i % 4 === 0;
      r.offer(x, held && heldLabelFlip ? 0 : 1);
      r.heldOut[i] = held ? 1 : 0;
    }
    const clock = new VirtualClock();
    const commits: ArrayBuffer[] = [];
    const checkpoints: number[][] = [];
    const trainer = new GuardedTrainer(engine, r, new TickBudget(clock, 20, 1000), new Xorshift32(3),
      { batchSize: 4, minHeldOut: 5, tolerance: 0 }, (a, c) => { commits.push(a); checkpoints.push(Array.from(c)); });
    return { engine, trainer, commits, checkpoints };
  };

  it("commits a candidate that improves held-out accuracy", () => {
    const { engine, trainer, commits, checkpoints } = setup(false);
    const result = trainer.round()!;
    assert.equal(result.before.correct, 0);
    assert.equal(result.after.correct, 10);
    assert.equal(result.steps, 20);
    assert.equal(result.committed, true);
    assert.equal(commits.length, 1);
    assert.deepEqual(Array.from(new Int32Array(commits[0]!)), Array.from(engine.bias));
    assert.ok(engine.bias[1]! > engine.bias[0]!);
    // The committed state's checkpoint: the double's bias then its step count (20 steps).
    const own = new Uint8Array(engine.info.checkpointBytes);
    engine.exportCheckpointInto(own);
    assert.deepEqual(checkpoints, [Array.from(own)]);
    assert.equal(new DataView(own.buffer).getUint32(8, true), 20);
  });

  it("rolls back a candidate that regresses, restoring the exact adapter", () => {
    const { engine, trainer, commits } = setup(true); // held-out says class 0: training toward 1 hurts
    const result = trainer.round()!;
    assert.equal(result.before.correct, 10);
    assert.ok(result.after.correct < 10);
    assert.equal(result.committed, false);
    assert.equal(commits.length, 0);
    assert.deepEqual(Array.from(engine.bias), [0, 0]);
    assert.equal(result.steps, 20, "it did train before rolling back");
    // The checkpoint puts the step counter back too (an adapter import would leave it at 20).
    assert.equal(engine.trainSteps, 0);
    assert.deepEqual([engine.checkpointImports, engine.resets, engine.imports], [1, 0, 0],
      "the snapshot checkpoint imported, no adapter reset/import (see agent-sim/guarded-trainer)");
  });

  it("waits until the buffer holds enough held-out entries", () => {
    const engine = new EngineDouble(weights, 2);
    const r = new Reservoir({ capacity: 8, entryBytes: 2, classes: 2, mode: "raw", seed: 1 });
    r.offer(Int8Array.of(1, 1), 0);
    const trainer = new GuardedTrainer(engine, r, new TickBudget(new VirtualClock(), 5, 10), new Xorshift32(1),
      { batchSize: 1, minHeldOut: 3, tolerance: 0 });
    assert.equal(trainer.round(), undefined);
    assert.equal(engine.trainSteps, 0);
  });
});
