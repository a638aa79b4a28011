// Online EWC's Fisher merge (engine.c xs_engine_consolidateMerge, firmware/continual/online-ewc.ts)
// through the engine binding under the XS simulator. Oracle: the Fisher of the same new batch
// taken alone (reset + add) by an identical session at the same adapter; the merged image must
// hold the sum of that and the old image (sample counts exactly, values within the block
// exponent's truncation), anchored where the fresh consolidate anchors. Control: the fresh
// image alone fails the same check, so the comparison can fail.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";

const js = (p: string) => join(repoRoot, "build", "js", p);
const data = join(repoRoot, "data", "demo");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.002+ewc:lambda=20+seed:3";

const SCRIPT = `import { NativeEnginePort } from "${js("firmware/platform/native-engine.js")}";
import { SimResource } from "${js("firmware/platform/sim/sim-engine-resource.js")}";
import { SampleSet } from "${js("firmware/app/sample-set.js")}";
import { mergeFisher } from "${js("native/xs/engine/online-ewc.js")}";
const model = new SimResource(${JSON.stringify(join(data, "digits_mlp_int8.tflite"))});
const pool = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(data, "user_pool.bin"))})), 64);
const old = new SampleSet(new Uint8Array(new SimResource(${JSON.stringify(join(data, "population_replay.bin"))})), 64, 100);
const hex = (b) => { let s = ""; for (const v of new Uint8Array(b)) s += (v | 256).toString(16).slice(1); return s; };
const train = (e, from, to) => { for (let i = from; i < to; i += 40) e.trainStep(pool.batch(i, 40)); };
// the first boundary (population), then user steps: the state a second boundary meets
const upTo = () => { const e = new NativeEnginePort(model, ${JSON.stringify(SPEC)}, 65536); train(e, 0, 80); e.consolidate(old.batch(0, 100)); train(e, 80, 200); return e; };
let e = upTo();
const first = e.exportEwc();
const b = pool.batch(200, 40);
mergeFisher(e.native, b.data, b.labels, b.latent);
const merged = e.exportEwc();
e.close();
e = upTo();
e.consolidate(pool.batch(200, 40));
const alone = e.exportEwc();
e.close();
trace("RESULT " + JSON.stringify({ first: hex(first), merged: hex(merged), alone: hex(alone) }) + "\\n");
`;

interface Tensor { kind: number; fexp: number; fcount: number; fisher: number[]; anchor: string }
/** docs/formats.md, "EWC state (EPEW)": 48-byte header, per tensor a 16-byte record, u16 Fisher mantissas, anchors (4-byte aligned). */
function parse(h: string): { fisherN: number; tensors: Tensor[] } {
  const b = Buffer.from(h, "hex");
  assert.equal(b.toString("latin1", 0, 4), "EPEW");
  const tensors: Tensor[] = [];
  let at = 48;
  for (let i = 0; i < b[6]!; i++) {
    const kind = b[at]!, eb = b[at + 2]!, size = b.readUInt32LE(at + 4);
    const fexp = b.readInt32LE(at + 8), fcount = b.readUInt32LE(at + 12);
    at += 16;
    const fisher = Array.from({ length: size }, (_, k) => b.readUInt16LE(at + 2 * k));
    at += Math.ceil((2 * size) / 4) * 4;
    const anchor = b.toString("hex", at, at + eb * size);
    at += Math.ceil((eb * size) / 4) * 4;
    tensors.push({ kind, fexp, fcount, fisher, anchor });
  }
  assert.equal(at + 4, b.length);
  return { fisherN: b.readUInt32LE(8), tensors };
}

describe("online EWC: the Fisher merged over a second boundary (XS simulator)", function () {
  this.timeout(120000);
  let fx: Fixture;
  beforeEach(() => { fx = new Fixture(); });
  afterEach(() => fx.remove());

  it("holds the old Fisher plus the new batch's, anchored at the current adapter", () => {
    const r = fx.runResult("online-ewc.js", SCRIPT) as { first: string; merged: string; alone: string };
    const first = parse(r.first), merged = parse(r.merged), alone = parse(r.alone);
    assert.equal(first.fisherN, 100);
    assert.equal(alone.fisherN, 40);
    assert.equal(merged.fisherN, 140);
    let checked = 0, controlFails = 0;
    merged.tensors.forEach((m, i) => {
      const f = first.tensors[i]!, a = alone.tensors[i]!;
      assert.equal(m.fcount, f.fcount + a.fcount, `tensor ${i} sample count`);
      assert.equal(m.anchor, a.anchor, `tensor ${i}: anchor not at the current adapter`);
      assert.notEqual(m.anchor, f.anchor, `tensor ${i}: the anchor did not move (the comparison above would prove nothing)`);
      // each of the 40 new examples is truncated at the merged block exponent, and each
      // halving of the block rounds: up to 40 + 8 units of 2^fexp per parameter
      const unit = 2 ** m.fexp, tol = 48 * unit;
      m.fisher.forEach((v, k) => {
        const want = f.fisher[k]! * 2 ** f.fexp + a.fisher[k]! * 2 ** a.fexp;
        assert.ok(Math.abs(v * unit - want) <= tol, `tensor ${i} [${k}]: ${v * unit} vs ${want}`);
        if (want > 0) checked++;
        if (Math.abs(a.fisher[k]! * 2 ** a.fexp - v * unit) > tol) controlFails++;
      });
    });
    assert.ok(checked > 100, `only ${checked} non-zero Fisher entries compared`);
    assert.ok(controlFails > 0, "the new batch's Fisher alone passes the check: the old task's share is not tested");
  });
});
