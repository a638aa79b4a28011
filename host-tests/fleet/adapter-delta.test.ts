// The update a device contributes to a round, read from two adapters the real trainer exported
// (edge-peft train, then train --init), inside the simulator; checked against the float
// reference's own EPAD reader (tools/float_ref/ref.py parse_adapter) and refused by name when
// the images do not belong together; and the server's inverse (fleet-server/adapter_average.py)
// turns an averaged update back into an adapter the engine takes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adapterDelta } from "../../firmware/fleet/adapter-delta.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { Fixture } from "../sim/harness.js";
import { python, repoRoot } from "../support/paths.js";
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
  let simValues: number[] = [];

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
      simValues = r["values"] as number[];
    } finally {
      fx.remove();
    }
  });

  it("the server adds an average back onto the base: the whole delta gives the trained adapter, half of it the halfway one", () => {
    assert.ok(simValues.length > 0);
    const apply = (name: string, average: number[]) => {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(average));
      const r = spawnSync(python, [join(repoRoot, "fleet-server", "adapter_average.py"), join(dir, "base.epad"), join(dir, `${name}.json`), join(dir, `${name}.epad`)], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
      return new Uint8Array(readFileSync(join(dir, `${name}.epad`)));
    };
    const whole = apply("whole", simValues);
    // Records equal the trained adapter's; the header keeps the base's seed and step count (32..39).
    assert.deepEqual(whole.subarray(76, whole.length - 4), trained.subarray(76, trained.length - 4));
    assert.deepEqual(whole.subarray(0, 32), base.subarray(0, 32));
    assert.deepEqual(whole.subarray(32, 40), base.subarray(32, 40));
    const half = apply("half", simValues.map((v) => v / 2));
    const crc = new ZlibChecksum();
    const d = adapterDelta(crc, base, half); // also checks the recomputed CRC
    const units = adapterDelta(crc, base, trained);
    for (let k = 0; k < d.values.length; k++) {
      const t = units.tensors.find((x) => k >= x.offset && k < x.offset + x.rows * x.cols)!;
      const steps = simValues[k]! / t.unit;
      // Round half to even (the server's rule: unbiased over many elements): 1.5 -> 2, 0.5 -> 0, -0.5 -> 0.
      const x = steps / 2;
      const even = Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
      assert.equal(d.values[k]! / t.unit + 0, even + 0, `element ${k}: ${steps} steps halved`); // + 0: -0 is 0
    }
    // The engine takes the new adapter (CRC, shapes and scales it recomputes from the model).
    const e = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["eval", model, "--data", data, "--adapter", join(dir, "half.epad"), "--json"], { encoding: "utf8" });
    assert.equal(e.status, 0, e.stderr);
  });

  it("reads full fine-tune and bottleneck adapter images (the 88-byte header extension) as the float reference does", () => {
    // the extension holds the full / adapter layers and the width; records start after it
    const ext = "adapter:layers=0,width=4+full:layers=1";
    const b = train("ext-base.epad", ext, "1");
    const t = train("ext-trained.epad", ext, "2", "--init", join(dir, "ext-base.epad"), "--lr", "0.01");
    assert.equal(new DataView(b.buffer, b.byteOffset).getUint16(6, true), 88);
    const crc = new ZlibChecksum();
    const d = adapterDelta(crc, b, t);
    const ref = runPythonJson<{ values: number[]; shapes: number[][] }>(`
import json, sys
sys.path.insert(0, ${JSON.stringify(join(repoRoot, "tools", "float_ref"))})
from ref import parse_adapter
a = parse_adapter(open(${JSON.stringify(join(dir, "ext-base.epad"))}, "rb").read())
b = parse_adapter(open(${JSON.stringify(join(dir, "ext-trained.epad"))}, "rb").read())
values = []
for ta, tb in zip(a["tensors"], b["tensors"]):
    values += [float(x) * ta["scale"] for x in (tb["q"] - ta["q"]).reshape(-1)]
print(json.dumps({"values": values, "shapes": [[t["kind"], t["layer"], t["rows"], t["cols"]] for t in a["tensors"]]}))
`);
    assert.deepEqual(d.tensors.map((x) => [x.kind, x.layer, x.rows, x.cols]), ref.shapes);
    // adapter D and U on layer 0 (m x out, out x m), the full W and its bias delta on layer 1
    assert.deepEqual(ref.shapes.map((x) => x[0]), [5, 6, 4, 2]);
    assert.deepEqual(Array.from(d.values), ref.values);
    assert.ok(d.values.filter((v) => v !== 0).length > 10, "training changed the adapter");
    const code = (x: Uint8Array, y: Uint8Array) => {
      try {
        adapterDelta(crc, x, y);
        return "accepted";
      } catch (e) {
        return (e as { code?: string }).code ?? String(e);
      }
    };
    // another width is another configuration (header bytes 76..87)
    assert.equal(code(b, train("ext-w8.epad", "adapter:layers=0,width=8+full:layers=1", "1")), "different-adapter");
    // an 88-byte header on kinds that do not have the extension (and the reverse) is refused by name
    const lora = train("ext-lora.epad", SPEC, "1");
    const relabel = (img: Uint8Array, head: number) => {
      const x = img.slice();
      new DataView(x.buffer).setUint16(6, head, true);
      new DataView(x.buffer).setUint32(x.length - 4, crc.crc32(x.subarray(0, x.length - 4)) >>> 0, true);
      return x;
    };
    assert.equal(code(relabel(lora, 88), relabel(lora, 88)), "bad-header");
    assert.equal(code(relabel(b, 76), relabel(b, 76)), "bad-header");
    assert.equal(code(b, t), "accepted");
    // the server's inverse takes the extension too: base + the whole delta = the trained records
    writeFileSync(join(dir, "ext.json"), JSON.stringify(Array.from(d.values)));
    const r = spawnSync(python, [join(repoRoot, "fleet-server", "adapter_average.py"), join(dir, "ext-base.epad"), join(dir, "ext.json"),
      join(dir, "ext-whole.epad")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, "ext-whole.epad"))).subarray(88, t.length - 4), t.subarray(88, t.length - 4));
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
