// The demo app in the XS simulator on the real demo data (seeded, deterministic): the agent's
// gain on the new user, forgetting with and without replay + EWC, and esp32's heap budget.
import assert from "node:assert/strict";
import { demoBoard, runDemo, type DemoRun } from "../../tools/demo/run.js";

describe("demo: agent adapting in the simulator", function () {
  this.timeout(180000);
  let guarded: DemoRun;
  let plain: DemoRun;
  before(() => {
    guarded = runDemo();
    plain = runDemo(["--no-replay", "--no-ewc"]);
  });

  it("measures the base model as the tflite-micro figures in data/demo/README.md", () => {
    // README (int8 interpreter): user test 40.83%, population test 97.00%.
    assert.equal(Math.round(guarded.result.userBefore * 240), 98);
    assert.equal(Math.round(guarded.result.populationBefore * 300), 291);
  });

  it("gains on the new user's held-out data by at least half the float reference's gain", () => {
    // README: the float LoRA reference with the 50 enrolment frames goes 41% -> 75% (+34 points).
    for (const r of [guarded.result, plain.result]) {
      assert.ok(r.userAfter - r.userBefore >= 0.17, `${r.mode}: ${r.userBefore} -> ${r.userAfter}`);
      assert.equal(r.feedback, 50);
    }
  });

  it("replay + EWC forgets less of the original task than plain adaptation", () => {
    assert.ok(guarded.result.populationAfter > plain.result.populationAfter + 0.03,
      `${guarded.result.populationAfter} vs ${plain.result.populationAfter}`);
  });

  it("a second run with the same seed gives the same result", () => {
    const again = runDemo();
    assert.deepEqual(again.result, guarded.result);
  });

  it("runs within the esp32 profile's unmodified XS chunk, slot, stack and key budgets", () => {
    const { esp32 } = demoBoard();
    const m = guarded.memory;
    assert.equal(m["chunks-limit"], esp32.creation.chunk.initial);
    assert.equal(m["slots-limit"], esp32.creation.heap.initial);
    assert.equal(m["stack-limit"], esp32.creation.stack);
    assert.equal(m["keys-limit"], esp32.creation.keys.available);
    // run-time keys within the budget; the parsed code's keys (flash on a board) counted apart
    assert.ok(m["keys"]! <= esp32.creation.keys.available && m["load-keys"]! > 0);
    // The simulator aborts (status 3/4) on overflow, so finishing is the fit; the live figures
    // say by how much.
    assert.equal(guarded.status, 0);
    assert.ok(m["chunks-live"]! < esp32.creation.chunk.initial && m["slots-live"]! < esp32.creation.heap.initial);
    // The app's own chunk peak: the parsed code's key names live in flash on a precompiled board
    // build, so they are taken off the peak (docs/simulator.md, "Keys"); the rest must fit.
    for (const run of [guarded, plain]) {
      const app = run.memory["chunks-peak"]! - run.memory["load-key-chunks"]!;
      assert.ok(run.memory["load-key-chunks"]! > 0 && app < esp32.creation.chunk.initial,
        `app chunk peak ${app} (= ${run.memory["chunks-peak"]} - ${run.memory["load-key-chunks"]}) vs ${esp32.creation.chunk.initial}`);
    }
    assert.ok(m["stack-peak"]! < esp32.creation.stack);
  });
});
