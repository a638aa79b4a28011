import assert from "node:assert/strict";
import { judgeStage, outcome, parseStages, targeted, threshold, type FleetDevice } from "../../tools/fleet/rollout.js";
import type { StatusReport } from "../../firmware/fleet/status-report.js";

const dev = (id: string, cohort: number, bucket: number): FleetDevice => ({ id, cohort, bucket, publicKey: new Uint8Array(65) });
const devices = [dev("a", 0, 4200), dev("b", 0, 120), dev("c", 0, 9999), dev("d", 1, 3), dev("e", 0, 2400)];
const report = (deviceId: string, event: StatusReport["event"], subject: number, active: number): StatusReport => ({
  deviceId, event, subjectSequence: subject, activeSequence: active, activeVersion: active, accuracyBefore: 9000, accuracyAfter: 8000, counter: 1, code: event === "reverted" ? "accuracy-drop" : "",
});

describe("staged rollout decisions", () => {
  it("parses canary -> 5 -> 25 -> 50 -> 100 and refuses stages that do not widen", () => {
    assert.deepEqual(parseStages("canary,5,25,50,100"), ["canary", 5, 25, 50, 100]);
    assert.throws(() => parseStages("5,canary"), /canary can only be the first/);
    assert.throws(() => parseStages("25,5"), /must widen: 25% then 5%/);
    assert.throws(() => parseStages("0"), /percentage 1\.\.100/);
  });

  it("targets exactly the lowest-bucket device of the cohort as canary, then by percentage", () => {
    const cohort0 = devices.filter((d) => d.cohort === 0);
    assert.deepEqual(targeted(devices, 0, threshold("canary", cohort0)).map((d) => d.id), ["b"]);
    assert.deepEqual(targeted(devices, 0, threshold(25, cohort0)).map((d) => d.id), ["b", "e"]);
    assert.deepEqual(targeted(devices, 0, threshold(50, cohort0)).map((d) => d.id), ["a", "b", "e"]);
    assert.deepEqual(targeted(devices, 0, threshold(100, cohort0)).map((d) => d.id).sort(), ["a", "b", "c", "e"]);
    assert.deepEqual(targeted(devices, 1, threshold(100, [])).map((d) => d.id), ["d"], "cohort 1 only");
  });

  it("waits for pending devices, finishes on all confirmed, aborts on a reverted trial or a rejection", () => {
    const t = [devices[0]!, devices[1]!];
    assert.deepEqual(judgeStage(t, new Map([["a", report("a", "confirmed", 2, 2)]]), 2), { kind: "wait", pending: ["b"] });
    assert.deepEqual(judgeStage(t, new Map([["a", report("a", "confirmed", 2, 2)], ["b", report("b", "confirmed", 2, 2)]]), 2), { kind: "done" });
    const v = judgeStage(t, new Map([["a", report("a", "reverted", 4, 2)]]), 4);
    assert.equal(v.kind, "abort");
    assert.match(v.kind === "abort" ? v.reason : "", /a reverted its trial \(accuracy-drop: held-out accuracy 90\.00% -> 80\.00%\)/);
    assert.equal(judgeStage(t, new Map([["b", report("b", "rejected", 4, 2)]]), 4).kind, "abort");
  });

  it("does not count a report about another delta", () => {
    assert.equal(outcome(report("a", "confirmed", 2, 2), 4), "pending", "confirmed v2 says nothing of v4");
    assert.equal(outcome(report("a", "reverted", 2, 1), 4), "pending");
    assert.equal(outcome(report("a", "confirmed", 6, 6), 4), "confirmed", "already past it");
    assert.equal(outcome(undefined, 4), "pending");
  });
});
