// Guards of the xsmc bindings (native/xs/**) under the simulator: outputs must be writable
// (a Resource is flash on a board) and clear of the inputs and the model; every host function
// checks its argument count before reading xsArg (release builds do not bounds check); trainer
// refusals reach JS with the field they refused. Oracles: the model's bytes on disk, the
// predictions of the same session before the refused calls, and the adapter bytes we corrupt.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Fixture, face, simBinary } from "./harness.js";
import { repoRoot } from "../support/paths.js";

const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
const resource = join(repoRoot, "build", "js", "firmware", "platform", "sim", "sim-engine-resource.js");
const HEADER = `import { NativeEngine } from ${JSON.stringify(face("engine"))};
import { SimResource } from ${JSON.stringify(resource)};
const out = (s) => trace(s + "\\n");
const attempt = (name, f) => { try { f(); out(name + " OK"); } catch (x) { out(name + " " + x.name + ": " + x.message); } };
`;

function run(fx: Fixture, body: string): Map<string, string> {
  const main = fx.write("main.js", HEADER + body);
  const r = fx.run(["--board", "boards/sim.json", "--", main]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const lines = new Map<string, string>();
  for (const l of r.stdout.split("\n")) {
    const at = l.indexOf(" ");
    if (at > 0) lines.set(l.slice(0, at), l.slice(at + 1));
  }
  return lines;
}

describe("native/xs binding guards (simulator)", function () {
  this.timeout(60000);
  let fx: Fixture;
  before(function () {
    if (!existsSync(simBinary)) throw new Error(`${simBinary} missing: run make first`);
  });
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("a Resource view as output throws TypeError, an output overlapping the input is refused, the session still works", () => {
    const got = run(fx, `
const res = new SimResource(${JSON.stringify(model)});
const e = new NativeEngine(res, "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+ewc:lambda=100", 65536);
const input = new Int8Array(e.info.inputBytes); for (let i = 0; i < input.length; i++) input[i] = (i * 37) % 251 - 120;
const probs = new Int8Array(e.info.classes);
const before = e.infer(input, false, probs); const p0 = Array.from(probs).join(",");
attempt("inferRes", () => e.infer(input, false, new Int8Array(res, 0, 10)));
attempt("latentRes", () => e.latent(input, new Int8Array(res, 0, e.info.latentBytes)));
attempt("exportRes", () => e.exportInto(new Uint8Array(res)));
attempt("exportEwcRes", () => e.exportEwcInto(new Uint8Array(res)));
const lat = new Int8Array(e.info.latentBytes); e.latent(input, lat);
attempt("inferOverlap", () => e.infer(lat, true, new Int8Array(lat.buffer, 0, e.info.classes)));
attempt("latentOverlap", () => { const b = new Int8Array(e.info.inputBytes + e.info.latentBytes); e.latent(b.subarray(0, e.info.inputBytes), b.subarray(4, 4 + e.info.latentBytes)); });
const after = e.infer(input, false, probs);
out("SAME " + (before === after && Array.from(probs).join(",") === p0));
const a = new Uint8Array(e.info.adapterBytes); out("EXPORTED " + e.exportInto(a));
e.close();
`);
    for (const k of ["inferRes", "latentRes", "exportRes", "exportEwcRes"]) assert.match(got.get(k)!, /^TypeError: .*read-only buffer/, k);
    assert.match(got.get("inferOverlap")!, /^TypeError: engine: infer: the output overlaps the input/);
    assert.match(got.get("latentOverlap")!, /^TypeError: engine: latent: the output overlaps the input/);
    assert.equal(got.get("SAME"), "true");
    assert.match(got.get("EXPORTED")!, /^\d+$/);
  });

  it("host functions called with too few arguments throw TypeError naming the call", () => {
    const got = run(fx, `
const e = new NativeEngine(new SimResource(${JSON.stringify(model)}), "bias:layers=-1", 65536);
const N = (name) => native(name);
attempt("infer", () => N("xs_engine_infer").call(e, new Int8Array(64)));
attempt("latent", () => N("xs_engine_latent").call(e));
attempt("train", () => N("xs_engine_train").call(e, new Int8Array(64)));
attempt("import", () => N("xs_engine_import").call(e));
attempt("setRates", () => N("xs_engine_setRates").call(e, 5));
attempt("importEwc", () => N("xs_engine_importEwc").call(e));
attempt("dot", () => N("xs_dot_s8")(new Int8Array(4)));
attempt("measure", () => N("xs_dot_measure")());
e.close();
`);
    assert.match(got.get("infer")!, /^TypeError: engine: infer\(input, latent, output\) needs 3 arguments, got 1/);
    assert.match(got.get("latent")!, /^TypeError: engine: latent\(input, output\) needs 2 arguments, got 0/);
    assert.match(got.get("train")!, /^TypeError: engine: .* needs 3 arguments, got 1/);
    assert.match(got.get("import")!, /^TypeError: engine: importAdapter\(bytes\) needs 1 argument, got 0/);
    assert.match(got.get("setRates")!, /^TypeError: engine: setRates\(lrMicro, lambdaMilli\) needs 2 arguments, got 1/);
    assert.match(got.get("importEwc")!, /^TypeError: engine: importEwc\(bytes\) needs 1 argument/);
    assert.match(got.get("dot")!, /^TypeError: dot: dotS8\(a, b\) needs 2 arguments, got 1/);
    assert.match(got.get("measure")!, /^TypeError: dot: measure\(fn\) needs 1 argument/);
  });

  it("flash host functions check their argument count", () => {
    const got = run(fx, `
import { Flash } from ${JSON.stringify(face("flash"))};
const f = new Flash("storage");
attempt("write", () => native("xs_flash_write").call(f, 0, 4));
attempt("read", () => native("xs_flash_read").call(f, 0));
attempt("erase", () => native("xs_flash_erase").call(f));
`);
    assert.match(got.get("write")!, /^TypeError: flash: write\(offset, byteLength, buffer\) needs 3 arguments, got 2/);
    assert.match(got.get("read")!, /^TypeError: flash: read\(offset, byteLength\) needs 2 arguments, got 1/);
    assert.match(got.get("erase")!, /^TypeError: flash: erase\(sector\) needs 1 argument, got 0/);
  });

  it("importAdapter / importEwc refusals name the field (rank, CRC, truncation, sh_h)", () => {
    const got = run(fx, `
const res = new SimResource(${JSON.stringify(model)});
const e4 = new NativeEngine(res, "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+ewc:lambda=100", 65536);
const a = new Uint8Array(e4.info.adapterBytes); e4.exportInto(a);
const w = new Uint8Array(e4.info.ewcBytes); e4.exportEwcInto(w);
out("SIZES " + a.length + "," + w.length);
attempt("trunc", () => e4.importAdapter(a.slice(0, 520)));
const flip = a.slice(); flip[60] ^= 1; attempt("crc", () => e4.importAdapter(flip));
attempt("ewcTrunc", () => e4.importEwc(w.slice(0, 40)));
const wflip = w.slice(); wflip[20] ^= 1; attempt("ewcCrc", () => e4.importEwc(wflip));
e4.close();
const e2 = new NativeEngine(res, "lora:rank=2,alpha=4,layers=0+bias:layers=0..-1", 65536);
attempt("rank", () => e2.importAdapter(a));
e2.close();
`);
    const [adapterBytes] = got.get("SIZES")!.split(",").map(Number);
    assert.equal(got.get("trunc"), `Error: engine: importAdapter: EP_ERR_MODEL: adapter: truncated: 520 < ${adapterBytes} bytes`);
    assert.equal(got.get("crc"), "Error: engine: importAdapter: EP_ERR_MODEL: adapter: CRC-32 mismatch");
    assert.match(got.get("ewcTrunc")!, /^Error: engine: importEwc: EP_ERR_MODEL: ewc: truncated: 40 < \d+ bytes$/);
    assert.equal(got.get("ewcCrc"), "Error: engine: importEwc: EP_ERR_MODEL: ewc: CRC-32 mismatch");
    assert.equal(got.get("rank"), "Error: engine: importAdapter: EP_ERR_ARG: adapter: rank 4 alpha 4, session has rank 2 alpha 4");
  });
});
