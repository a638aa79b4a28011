// The update a device contributes to a round, read from two adapters the real trainer exported
// (edge-peft train, then train --init), inside the simulator; checked against the float
// reference's own EPAD reader (tools/float_ref/ref.py parse_adapter) and refused by name when
// the images do not belong together.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapterDelta } from "../../firmware/fleet/adapter-delta.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";

const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
const data = join(repoRoot, "data", "demo", "user_pool.bin");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";

describe("adapter update from two trained adapters", function () {
  this.timeout(300000);
  let dir: string;
  const train = (out: string, spec: string, seed: string, ...extra: string[]) => {
    const t = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["train", model, "--data", data, "--adapter", spec, "--steps", "30",
      "--seed", seed, "--out", join(dir, out), ...extra], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    return new Uint8Array(readFileSync(join(dir, out)));
  };
  let base: Uint8Array;
  let trained: Uint8Array;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ep-adelta-"));
    base = train("base.epad", SPEC, "1");
    trained = train("trained.epad", SPEC, "2", "--init", join(dir, "base.epad"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("in the simulator: (trained - base) x unit per element, as the float reference reads the files", () => {
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const r = fx.runResult("delta.js", `import { adapterDelta } from ${js("firmware/fleet/adapter-delta.js")};
import { NativeChecksum } from ${js("firmware/platform/sim/native-checksum.js")};
const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const d = adapterDelta(new NativeChecksum(), bytes(${JSON.stringify(Buffer.from(base).toString("hex"))}), bytes(${JSON.stringify(Buffer.from(trained).toString("hex"))}));
trace("RESULT " + JSON.stringify({ values: Array.from(d.values), tensors: d.tensors }) + "\\n");
`);
      const ref = runPythonJson<{ values: number[]; shapes: number[][] }>(`
import json, sys
sys.path.insert(0, ${JSON.stringify(join(repoRoot, "tools", "float_ref"))})
from ref import parse_adapter
a = parse_adapter(open(${JSON.stringify(join(dir, "base.epad"))}, "rb").read())
b = parse_adapter(open(${JSON.stringify(join(dir, "trained.epad"))}, "rb").read())
values = []
for ta, tb in zip(a["tensors"], b["tensors"]):
    assert ta["scale"] == tb["scale"]
    values += [float(x) * ta["scale"] for x in (tb["q"] - ta["q"]).reshape(-1)]
print(json.dumps({"values": values, "shapes": [[t["kind"], t["layer"], t["rows"], t["cols"]] for t in a["tensors"]]}))
`);
      const tensors = r["tensors"] as { kind: number; layer: number; rows: number; cols: number }[];
      assert.deepEqual(tensors.map((t) => [t.kind, t.layer, t.rows, t.cols]), ref.shapes);
      assert.deepEqual(r["values"], ref.values);
      assert.ok((r["values"] as number[]).filter((v) => v !== 0).length > 10, "training changed the adapter");
    } finally {
      fx.remove();
    }
  });

  it("refuses images that do not belong together, by name", () => {
    const crc = new ZlibChecksum();
    const code = (a: Uint8Array, b: Uint8Array) => {
      try {
        adapterDelta(crc, a, b);
        return "accepted";
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      }
    };
    const flipped = trained.slice();
    flipped[100] ^= 1;
    assert.equal(code(base, flipped), "bad-crc");
    assert.equal(code(base, trained.subarray(0, 60)), "truncated");
    assert.equal(code(base, train("other.epad", "lora:rank=2,alpha=4,layers=0+bias:layers=0..-1", "1")), "different-adapter");
    const notEpad = trained.slice();
    notEpad[0] = 0x58;
    assert.equal(code(notEpad, trained), "bad-magic");
    assert.equal(code(base, trained), "accepted");
  });
});
