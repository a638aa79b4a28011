// LoRA merge (issue 14 item 3): `edge-peft merge` folds a trained LoRA + bias adapter into int8
// copies of the adapted layers. Checked against independent oracles:
// - numpy: the merged int8 weights are round(W + (alpha/r) s_A s_B (B A) / s_w) of the model's
//   weights and the adapter file's views, the biases base + delta, the scales the model's;
// - TFLite Micro: the base model with the merged weights and biases written into its buffers
//   runs in stock TFLM byte-identically with the engine's merged session (so a merged adapter
//   deploys to a plain TFLM device);
// - the unmerged adapter: the merged model classifies the held-out set as the adapter does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { demo, digits, py, run, runStatus, tmp } from './helpers.js';

interface MergeJson { merged_bytes: number; layers: { fc: number; op: number; in: number; out: number; rescaled_rows: number }[] }
interface NumpyCheck { weights: number; weight_mismatch: number; ties: number; bias_mismatch: number; scale_mismatch: number; max_abs_change: number }

const numpyMerge = `
import json, struct, sys
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
model_path, adapter_path, merged_path, layers = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
mb = open(model_path, "rb").read(); ad = open(adapter_path, "rb").read(); mg = open(merged_path, "rb").read()
m = fb.Model.GetRootAsModel(mb, 0); sg = m.Subgraphs(0)
def const(op, k):
    t = sg.Tensors(sg.Operators(op).Inputs(k)); b = m.Buffers(t.Buffer())
    return t, bytes(b.DataAsNumpy().tobytes())
assert ad[:4] == b"EPAD"
rank, alpha = struct.unpack_from("<HH", ad, 12); count = struct.unpack_from("<H", ad, 30)[0]
recs, off = {}, 76
for _ in range(count):
    kind, layer, elem, _r, rows, cols, _sh, unit = struct.unpack_from("<BBBBHHid", ad, off)
    n = rows * cols * elem
    data = np.frombuffer(ad[off + 20:off + 20 + n], {1: np.int8, 2: "<i2", 4: "<i4"}[elem]).reshape(rows, cols)
    recs[(kind, layer)] = (data.astype(np.float64), unit)
    off += 20 + (n + 3) // 4 * 4
res = dict(weights=0, weight_mismatch=0, ties=0, bias_mismatch=0, scale_mismatch=0, max_abs_change=0)
p = 0
for L in layers:
    out_, in_ = L["out"], L["in"]
    wt, wraw = const(L["op"], 1); _, braw = const(L["op"], 2)
    W = np.frombuffer(wraw, np.int8).reshape(out_, in_).astype(np.float64)
    bias = np.frombuffer(braw, "<i4").astype(np.int64)
    sw = np.array(wt.Quantization().ScaleAsNumpy(), np.float32).astype(np.float64)
    sw = np.broadcast_to(sw if sw.size > 1 else sw[0], (out_,))
    real = W.copy()
    if (0, L["fc"]) in recs:
        (A, sa), (B, sb) = recs[(0, L["fc"])], recs[(1, L["fc"])]
        real = W + (alpha / rank) * sa * sb * (B @ A) / sw[:, None]
    want = np.clip(np.sign(real) * np.floor(np.abs(real) + 0.5), -128, 127)
    ties = np.abs(np.abs(real - np.trunc(real)) - 0.5) < 1e-9
    wbytes = out_ * in_
    got = np.frombuffer(mg[p:p + wbytes], np.int8).reshape(out_, in_).astype(np.float64)
    p += (wbytes + 3) // 4 * 4
    gbias = np.frombuffer(mg[p:p + 4 * out_], "<i4").astype(np.int64); p += 4 * out_
    gscale = np.frombuffer(mg[p:p + 4 * out_], "<f4"); p += 4 * out_
    delta = recs[(2, L["fc"])][0][:, 0].astype(np.int64) if (2, L["fc"]) in recs else 0
    res["weights"] += wbytes
    res["weight_mismatch"] += int(((got != want) & ~ties).sum())
    res["ties"] += int(ties.sum())
    res["bias_mismatch"] += int((gbias != bias + delta).sum())
    res["scale_mismatch"] += int((gscale != sw.astype(np.float32)).sum())
    res["max_abs_change"] = max(res["max_abs_change"], int(np.abs(got - W).max()))
    open(merged_path + ".w%d" % L["op"], "wb").write(got.astype(np.int8).tobytes())
    open(merged_path + ".b%d" % L["op"], "wb").write(gbias.astype("<i4").tobytes())
assert p == len(mg), (p, len(mg))
json.dump(res, sys.stdout)
`;

describe('LoRA merge (edge-peft merge) against numpy and TFLite Micro', function () {
  this.timeout(300000);
  const dir = tmp();
  const adapter = join(dir, 'a.bin');
  const merged = join(dir, 'm.bin');
  let mj: MergeJson;
  let mergedOut: Buffer;

  before(() => {
    run(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=4,layers=0..-1+bias:layers=0..-1',
      '--steps', '200', '--seed', '1', '--out', adapter]);
    const text = run(['merge', digits, '--adapter', adapter, '--out', merged, '--json', '--data', demo('user_test.bin'),
      '--outputs', join(dir, 'mo.bin')]);
    mj = JSON.parse(text.split('\n')[0]!) as MergeJson;
    mergedOut = readFileSync(join(dir, 'mo.bin'));
  });

  it('merges both adapted layers of the digits MLP, keeping every base scale', () => {
    assert.deepEqual(mj.layers.map((l) => [l.fc, l.in, l.out]), [[0, 64, 32], [1, 32, 10]]);
    assert.ok(mj.layers.every((l) => l.rescaled_rows === 0));
    assert.equal(readFileSync(merged).length, mj.merged_bytes);
  });

  it('merged weights, biases and scales equal numpy\'s fold of the model and the adapter file', () => {
    const r = py<NumpyCheck>(['-c', numpyMerge, digits, adapter, merged, JSON.stringify(mj.layers)]);
    assert.equal(r.weights, 64 * 32 + 32 * 10);
    assert.equal(r.weight_mismatch, 0, JSON.stringify(r));
    console.log("      numpy:", JSON.stringify(r));
    assert.equal(r.bias_mismatch, 0);
    assert.equal(r.scale_mismatch, 0);
    assert.ok(r.max_abs_change >= 1, 'the trained LoRA changed no weight: the test would compare nothing');
  });

  it('stock TFLite Micro runs the base model with the merged constants byte-identically with the engine', () => {
    const patched = join(dir, 'merged.tflite');
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'modeledit.py'), digits,
      ...mj.layers.flatMap((l) => ['--set-const', `${l.op}:1:${merged}.w${l.op}`, '--set-const', `${l.op}:2:${merged}.b${l.op}`]),
      '-o', patched]);
    const samples = readFileSync(demo('user_test.bin'));
    const inBytes = 64;
    const n = samples.length / (1 + inBytes);
    assert.ok(Number.isInteger(n) && n >= 100);
    const inputs = Buffer.concat(Array.from({ length: n }, (_, i) => samples.subarray(i * 65 + 1, (i + 1) * 65)));
    writeFileSync(join(dir, 'in.bin'), inputs);
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), patched, '--input', join(dir, 'in.bin'), '--output', join(dir, 'tflm.bin')]);
    const tflm = readFileSync(join(dir, 'tflm.bin'));
    assert.equal(tflm.length, n * 10);
    assert.ok(tflm.equals(mergedOut), 'TFLM on the merged model differs from the engine\'s merged session');
    // and the merge changed what the base model computes
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), digits, '--input', join(dir, 'in.bin'), '--output', join(dir, 'base.bin')]);
    assert.ok(!readFileSync(join(dir, 'base.bin')).equals(tflm));
  });

  it('classifies the held-out set as the unmerged adapter does', () => {
    run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', adapter, '--outputs', join(dir, 'ao.bin')]);
    const unmerged = readFileSync(join(dir, 'ao.bin'));
    assert.equal(unmerged.length, mergedOut.length);
    const argmax = (b: Buffer, i: number) => { let k = 0; for (let j = 1; j < 10; j++) if (b.readInt8(i * 10 + j) > b.readInt8(i * 10 + k)) k = j; return k; };
    const n = unmerged.length / 10;
    let agree = 0;
    for (let i = 0; i < n; i++) agree += argmax(unmerged, i) === argmax(mergedOut, i) ? 1 : 0;
    assert.ok(agree / n >= 0.95, `argmax agreement ${agree}/${n}`);
    console.log(`      argmax agreement ${agree}/${n}`);
  });

  it('refuses a prompt adapter and a truncated adapter by name, writing nothing', () => {
    const p = join(dir, 'p.bin');
    run(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'prompt:layers=0,len=8', '--steps', '2', '--seed', '1', '--out', p]);
    const r = runStatus(['merge', digits, '--adapter', p, '--out', join(dir, 'pm.bin')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /prompt/);
    assert.ok(!existsSync(join(dir, "pm.bin")));
    writeFileSync(join(dir, 't.bin'), readFileSync(adapter).subarray(0, 100));
    const t = runStatus(['merge', digits, '--adapter', join(dir, 't.bin'), '--out', join(dir, 'tm.bin')]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /adapter/);
    assert.ok(!existsSync(join(dir, "tm.bin")));
  });
});
