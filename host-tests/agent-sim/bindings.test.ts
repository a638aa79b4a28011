// The engine binding (native/xs/engine) under the XS simulator, against independent oracles:
// TFLite Micro's reference interpreter (tools/oracle) for outputs, the engine's own messages
// for corrupt models, byte equality for the adapter round trip.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { modelsDir, python, repoRoot } from "../support/paths.js";

const js = (p: string) => join(repoRoot, "build", "js", p);
const HEADER = `import { NativeEnginePort } from "${js("firmware/platform/native-engine.js")}";
import { SimResource } from "${js("firmware/platform/sim/sim-engine-resource.js")}";
const out = (s) => trace(s + "\\n");
`;

function oracle(model: string, input: Uint8Array, fx: Fixture): Uint8Array {
  const inPath = fx.write("oracle-in.bin", input);
  const outPath = fx.path("oracle-out.bin");
  const r = spawnSync(python, [join(repoRoot, "tools", "oracle", "oracle.py"), model, "--input", inPath, "--output", outPath], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return new Uint8Array(readFileSync(outPath));
}

/** Runs an app that infers every input of `inputs` and prints the outputs as hex. */
function simInfer(fx: Fixture, model: string, spec: string, inputs: Uint8Array, inputBytes: number): Uint8Array {
  fx.write("in.bin", inputs);
  fx.write("infer.js", `${HEADER}
const e = new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536);
const all = new Int8Array(new SimResource(${JSON.stringify(fx.path("in.bin"))}));
let hex = "";
for (let i = 0; i < all.length; i += ${inputBytes}) for (const v of e.infer(all.slice(i, i + ${inputBytes}))) hex += ((v & 255) | 256).toString(16).slice(1);
out("OUT " + hex);
e.close();
`);
  const r = fx.run(["--board", "boards/sim.json", "--", fx.path("infer.js")]);
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("OUT "))!;
  return Uint8Array.from(line.slice(4).match(/../g)!.map((h) => parseInt(h, 16)));
}

describe("native/xs/engine under the simulator", function () {
  this.timeout(120000);
  let fx: Fixture;
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("demo model: outputs equal the tflite-micro interpreter's on all 240 user_test inputs", () => {
    const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
    const recs = readFileSync(join(repoRoot, "data", "demo", "user_test.bin"));
    const inputs = new Uint8Array(240 * 64);
    for (let i = 0; i < 240; i++) inputs.set(recs.subarray(i * 65 + 1, i * 65 + 65), i * 64);
    const ours = simInfer(fx, model, "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1", inputs, 64);
    assert.deepEqual(ours, oracle(model, inputs, fx));
  });

  it("hello_world_int8: outputs equal the oracle's for all 256 int8 inputs", () => {
    const model = join(modelsDir, "hello_world_int8.tflite");
    const inputs = Uint8Array.from({ length: 256 }, (_, i) => i);
    const ours = simInfer(fx, model, "bias:layers=-1", inputs, 1);
    assert.deepEqual(ours, oracle(model, inputs, fx));
  });

  it("a corrupt model throws the engine's message; an ArrayBuffer model is refused", () => {
    const good = readFileSync(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite"));
    fx.write("trunc.tflite", good.subarray(0, 1000));
    fx.write("errors.js", `${HEADER}
for (const path of [${JSON.stringify(fx.path("trunc.tflite"))}]) {
  try { new NativeEnginePort(new SimResource(path), "bias:layers=-1", 65536); out("OPENED"); } catch (e) { out("ERR " + e.message); }
}
try { new NativeEnginePort(new ArrayBuffer(64), "bias:layers=-1", 65536); out("OPENED"); } catch (e) { out("ERR " + e.message); }
try { new NativeEnginePort(new SimResource(${JSON.stringify(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite"))}), "lora:rank=0", 65536); out("OPENED"); } catch (e) { out("ERR " + e.message); }
try { new NativeEnginePort(new SimResource(${JSON.stringify(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite"))}), "bias:layers=-1", 100); out("OPENED"); } catch (e) { out("ERR " + e.message); }
`);
    const r = fx.run(["--board", "boards/sim.json", "--", fx.path("errors.js")]);
    assert.equal(r.status, 0, r.stderr);
    const errs = r.stdout.split("\n").filter((l) => l.startsWith("ERR ") || l === "OPENED");
    assert.equal(errs.length, 4, r.stdout);
    assert.match(errs[0]!, /^ERR engine: model: EP_ERR_MODEL: .+/);
    assert.match(errs[1]!, /^ERR engine: the model must stay in place/);
    assert.match(errs[2]!, /^ERR engine: spec: EP_ERR_ARG: bad value( for lora:rank)?: 0$/);
    assert.match(errs[3]!, /^ERR engine: session: EP_ERR_ARENA/);
  });

  it("export/import round trip: a trained adapter restores the same predictions and bytes", () => {
    const data = join(repoRoot, "data", "demo");
    fx.write("roundtrip.js", `${HEADER}
import { SampleSet } from "${js("firmware/app/sample-set.js")}";
const model = new SimResource(${JSON.stringify(join(data, "digits_mlp_int8.tflite"))});
const e = new NativeEnginePort(model, "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.002+seed:3", 65536);
const pool = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(data, "user_pool.bin"))})), 64);
const test = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(data, "user_test.bin"))})), 64);
const base = test.accuracy(e);
for (let k = 0; k < 10; k++) for (let i = 0; i < 200; i += 40) e.trainStep(pool.batch(i, 40));
const trained = test.accuracy(e);
const a = new Uint8Array(e.exportAdapter());
e.resetAdapter();
const reset = test.accuracy(e);
e.importAdapter(a.buffer);
const again = test.accuracy(e);
const b = new Uint8Array(e.exportAdapter());
let same = a.length === b.length; for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
out("RT " + JSON.stringify({ base, trained, reset, again, same, bytes: a.length, adapterBytes: e.info.adapterBytes }));
let caught = ""; try { e.importAdapter(a.slice(0, 10).buffer); } catch (x) { caught = x.message; }
out("BAD " + caught);
`);
    const r = fx.run(["--board", "boards/sim.json", "--", fx.path("roundtrip.js")]);
    assert.equal(r.status, 0, r.stderr);
    const rt = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("RT "))!.slice(3)) as Record<string, number | boolean>;
    assert.notEqual(rt["trained"], rt["base"], "training changed nothing, the round trip would prove nothing");
    assert.equal(rt["reset"], rt["base"]);
    assert.equal(rt["again"], rt["trained"]);
    assert.equal(rt["same"], true);
    assert.equal(rt["bytes"], rt["adapterBytes"]);
    assert.match(r.stdout.split("\n").find((l) => l.startsWith("BAD "))!, /^BAD engine: importAdapter: EP_ERR_/);
  });

  it("model identity: a CLI-trained adapter imports when the session has the model's SHA-256, also with none given (the simulator hashes the model), and is refused by name under the zero identity", () => {
    const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
    const spec = "bias:layers=0..-1";
    const adapter = fx.path("a.epad");
    const t = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["train", model, "--data", join(repoRoot, "data", "demo", "user_pool.bin"),
      "--adapter", spec, "--steps", "5", "--seed", "1", "--out", adapter], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    const sha = createHash("sha256").update(readFileSync(model)).digest("hex");
    fx.write("id.js", `${HEADER}
const sha = new Uint8Array(${JSON.stringify(sha)}.match(/../g).map((h) => parseInt(h, 16)));
const bytes = new Uint8Array(new SimResource(${JSON.stringify(adapter)})).slice().buffer;
const withId = new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536, sha);
withId.importAdapter(bytes);
out("IMPORTED " + withId.exportAdapter().byteLength);
withId.close();
const platform = new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536);
platform.importAdapter(bytes);
out("PLATFORM " + platform.exportAdapter().byteLength);
platform.close();
const zero = new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536, new Uint8Array(32));
try { zero.importAdapter(bytes); out("ZERO accepted"); } catch (e) { out("ZERO " + e.message); }
zero.close();
try { new NativeEnginePort(new SimResource(${JSON.stringify(model)}), ${JSON.stringify(spec)}, 65536, sha.subarray(0, 31)); } catch (e) { out("SHORT " + e.message); }
`);
    const r = fx.run(["--board", "boards/sim.json", "--", fx.path("id.js")]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`IMPORTED ${readFileSync(adapter).length}`));
    // without a digest the simulator gives the session its model's SHA-256 (mbedTLS), as the CLI does
    assert.match(r.stdout, new RegExp(`PLATFORM ${readFileSync(adapter).length}`));
    assert.match(r.stdout, new RegExp(`^ZERO engine: importAdapter: EP_ERR_ARG: adapter: made for another model \\(base SHA-256 ${sha.slice(0, 8)}\\.\\.\\., session's 00000000\\.\\.\\.\\)$`, "m"));
    assert.match(r.stdout, /SHORT engine: modelSha256 is 31 bytes, must be 32/);
  });
});
