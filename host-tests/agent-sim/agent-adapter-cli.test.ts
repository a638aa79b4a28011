// An adapter the agent exports in the simulator carries its model's SHA-256 (the engine binding
// hashes the model when the app passes no digest), so `edge-peft` takes it for that model with
// the agent's accuracy and names another model's adapter as such.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDemo, type DemoRun } from "../../tools/demo/run.js";
import { repoRoot as root } from "../support/paths.js";

const cli = join(root, "build", "bin", "edge-peft");
const digits = join(root, "data", "demo", "digits_mlp_int8.tflite");
const imu = join(root, "data", "imu-watch", "imu_mlp_int8.tflite");
const sha = (f: string): string => createHash("sha256").update(readFileSync(f)).digest("hex");

describe("agent-exported adapter in the CLI", function () {
  this.timeout(180000);
  let run: DemoRun;
  let dir: string;
  let adapter: string;
  before(() => {
    run = runDemo();
    const line = run.stdout.split("\n").find((l) => l.startsWith("demo-adapter "));
    assert.ok(line, "no demo-adapter line");
    dir = mkdtempSync(join(tmpdir(), "agent-adapter-"));
    adapter = join(dir, "agent.epad");
    writeFileSync(adapter, Buffer.from(line.slice("demo-adapter ".length), "hex"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("records the model's SHA-256 (computed here by Node) at bytes 44..75", () => {
    assert.equal(readFileSync(adapter).subarray(44, 76).toString("hex"), sha(digits));
  });

  it("edge-peft eval takes it on its own model and scores the user test as the agent did", () => {
    const r = spawnSync(cli, ["eval", digits, "--data", join(root, "data", "demo", "user_test.bin"), "--adapter", adapter, "--json"],
      { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const e = JSON.parse(r.stdout) as { samples: number; correct: number };
    assert.equal(e.samples, 240);
    assert.equal(e.correct, Math.round(run.result.userAfter * 240));
    assert.ok(run.result.userAfter > run.result.userBefore + 0.17, `${run.result.userBefore} -> ${run.result.userAfter}`);
  });

  it("on another model it says the adapter is for another model, not truncated", () => {
    const r = spawnSync(cli, ["eval", imu, "--data", join(root, "data", "demo", "user_test.bin"), "--adapter", adapter],
      { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`adapter: made for another model \\(base SHA-256 ${sha(digits).slice(0, 8)}\\.\\.\\., session's ${sha(imu).slice(0, 8)}\\.\\.\\.\\)`));
    assert.doesNotMatch(r.stderr, /truncated/);
  });
});
