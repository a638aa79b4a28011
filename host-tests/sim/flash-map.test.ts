// flash.map() in the simulator (native/xs/flash/sim/flash.c) and the Storage port's view(): the
// cells in place, no copy, live after later writes, as a board's memory-mapped flash; and the
// engine imports an adapter straight from such a view (how a deployed delta is applied).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Fixture } from "./harness.js";
import { repoRoot } from "../support/paths.js";

describe("simulator flash map and in-place views", function () {
  this.timeout(120000);
  it("views the partition in place and the engine imports an adapter from a view of it", () => {
    const fx = new Fixture();
    try {
      const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
      const spec = "bias:layers=0..-1";
      const adapter = fx.path("a.epad");
      const t = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["train", model, "--data", join(repoRoot, "data", "demo", "user_pool.bin"),
        "--adapter", spec, "--steps", "5", "--seed", "1", "--out", adapter], { encoding: "utf8" });
      assert.equal(t.status, 0, t.stderr);
      const bytes = readFileSync(adapter);
      const sha = createHash("sha256").update(readFileSync(model)).digest("hex");
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const r = fx.runResult("map.js", `import { Flash } from ${js("native/xs/flash/flash.js")};
import { FlashBackedStorage } from ${js("firmware/platform/flash-backed-storage.js")};
import { NativeEnginePort } from ${js("firmware/platform/native-engine.js")};
import { SimResource } from ${js("firmware/platform/sim/sim-engine-resource.js")};
const storage = new FlashBackedStorage(new Flash("p"));
const adapter = new Uint8Array(new SimResource(${JSON.stringify(adapter)})).slice();
const at = 3 * storage.blockSize + 16;
storage.erase(3);
const view = storage.view(at, 4);
storage.write(at, adapter.length, adapter);
const live = Array.from(view);
const whole = storage.view(at, adapter.length);
const sha = new Uint8Array(${JSON.stringify(sha)}.match(/../g).map((h) => parseInt(h, 16)));
const e = new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536, sha);
e.importAdapter(whole);
const back = new Uint8Array(e.exportAdapter());
let same = back.length === adapter.length;
for (let i = 0; same && i < back.length; i++) same = back[i] === adapter[i];
trace("RESULT " + JSON.stringify({ live, offset: whole.byteOffset, same }) + "\\n");
`);
      assert.deepEqual(r["live"], Array.from(bytes.subarray(0, 4)), "a view taken before a write shows the written cells: it reads the flash in place, not a copy");
      assert.equal(r["offset"], 3 * 4096 + 16);
      assert.equal(r["same"], true, "the engine imported the adapter from flash in place and exports the same bytes");
    } finally {
      fx.remove();
    }
  });
});

