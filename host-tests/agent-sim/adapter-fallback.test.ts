// Finding 4: a committed adapter that no longer fits the firmware (here the spec's LoRA alpha
// changed: same tensor sizes, so the engine's own layout checks would accept it) must not be
// used nor stop the agent: it starts on the base model, says why, erases the slot and adapts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { demoBoard, root } from "../../tools/demo/run.js";

function agent(flash: string, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(join(root, "build", "bin", "edge-peft-sim"),
    ["--board", demoBoard().path, "--flash", flash, "--", "build/js/firmware/targets/sim.js", "--agent", "data/demo", ...args],
    { cwd: root, encoding: "utf8", timeout: 120000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

function result(out: string): { userBefore: number; userAfter: number } {
  const line = out.split("\n").find((l) => l.startsWith("demo-result "));
  assert.ok(line, out);
  return JSON.parse(line.slice("demo-result ".length)) as { userBefore: number; userAfter: number };
}

const lastVersion = (out: string) => Number([...out.matchAll(/adapters\.version=(\d+)/g)].at(-1)?.[1] ?? 0);

describe("agent boot with a committed adapter of another spec (simulator)", function () {
  this.timeout(600000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), "edge-peft-fallback-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("starts on the base model, logs the fallback, invalidates the slot and adapts", () => {
    const flash = join(dir, "flash.bin");
    const fresh = agent(flash);
    assert.equal(fresh.status, 0, fresh.out);
    assert.ok(lastVersion(fresh.out) > 0, "the first run committed an adapter");
    const base = result(fresh.out).userBefore;

    const other = agent(flash, "--alpha", "8");
    assert.equal(other.status, 0, other.out);
    assert.match(other.out, /^warning: agent: committed adapter of slot 0 not used \(adapter made for another model or spec \(key [0-9a-f]{8}, this firmware [0-9a-f]{8}\)\): base model, slot invalidated$/m);
    assert.match(other.out, /^agent: resumed .* adapter=base$/m);
    const r = result(other.out);
    assert.equal(r.userBefore, base, "measured on the base model, not the stale adapter");
    assert.ok(r.userAfter > base + 0.1, `adapts: ${base} -> ${r.userAfter}`);
    assert.equal(/adapters\.version=1$/m.test(other.out), true, "versions restart from the erased slot");

    const again = agent(flash, "--alpha", "8");
    assert.equal(again.status, 0, again.out);
    assert.doesNotMatch(again.out, /not used/);
    assert.match(again.out, new RegExp(`^agent: resumed .* adapter=v${lastVersion(other.out)}$`, "m"));
    assert.equal(result(again.out).userBefore, r.userAfter, "the new spec's commit is restored");
  });
});
