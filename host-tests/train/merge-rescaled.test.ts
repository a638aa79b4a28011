// LoRA merge with rescaled rows (issue 14 item 3): where a merged row no longer fits int8 at the
// base's weight scale, `edge-peft merge` re-derives that row's scale, and the merged session runs
// the layer on the per-channel FC kernel with one multiplier per row (epm_session_apply_rows).
// Oracle: stock TFLite Micro running the same model rebuilt as a per-channel model whose merged
// layers carry the merged weights, biases and row scales (tools/tflite_writer.py) gives
// byte-identical outputs. On the IMU task (data/imu-watch), whose trained LoRA r4 rescales rows.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { run, tmp } from './helpers.js';

const imu = (f: string): string => join(repoRoot, 'data', 'imu-watch', f);
const model = imu('imu_mlp_int8.tflite');
interface MergeJson { merged_bytes: number; layers: { fc: number; op: number; in: number; out: number; rescaled_rows: number }[] }

// Rebuilds MODEL with each merged layer's weights, bias and row scales (per-channel, qdim 0).
const rebuild = `
import json, sys
import numpy as np
sys.path.insert(0, ${JSON.stringify(join(repoRoot, 'tools'))}); sys.path.insert(0, ${JSON.stringify(join(repoRoot, 'tools', 'demo-data'))})
from prepare import write_tflite
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
model_path, merged_path, layers, out_path = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
mb = open(model_path, "rb").read(); mg = open(merged_path, "rb").read()
m = fb.Model.GetRootAsModel(mb, 0); sg = m.Subgraphs(0)
tensors, buffers = [], [b""]
for i in range(sg.TensorsLength()):
    t = sg.Tensors(i); q = t.Quantization(); b = m.Buffers(t.Buffer())
    data = bytes(b.DataAsNumpy().tobytes()) if b.DataLength() else b""
    if data: buffers.append(data)
    sc = [float(x) for x in q.ScaleAsNumpy()]; zp = [int(x) for x in q.ZeroPointAsNumpy()]
    tensors.append(dict(name=t.Name().decode(), shape=t.ShapeAsNumpy().tolist(), type=t.Type(),
                        buffer=len(buffers) - 1 if data else 0, scale=np.float32(sc[0]), zp=zp[0]))
p = 0
for L in layers:
    op = sg.Operators(L["op"]); out_, in_ = L["out"], L["in"]
    w = mg[p:p + out_ * in_]; p += (out_ * in_ + 3) // 4 * 4
    bias = mg[p:p + 4 * out_]; p += 4 * out_
    scale = np.frombuffer(mg[p:p + 4 * out_], "<f4"); p += 4 * out_
    s_in = np.float32(tensors[op.Inputs(0)]["scale"])
    tw, tb = tensors[op.Inputs(1)], tensors[op.Inputs(2)]
    buffers[tw["buffer"]] = w; buffers[tb["buffer"]] = bias
    tw.update(scale=[float(x) for x in scale], zp=[0] * out_, qdim=0)
    tb.update(scale=[float(np.float32(s_in * x)) for x in scale], zp=[0] * out_, qdim=0)
assert p == len(mg)
ops = []
for i in range(sg.OperatorsLength()):
    op = sg.Operators(i); code = m.OperatorCodes(op.OpcodeIndex()).BuiltinCode()
    ins = op.InputsAsNumpy().tolist(); outs = op.OutputsAsNumpy().tolist()
    if code == 9:
        o = fb.FullyConnectedOptions(); t = op.BuiltinOptions(); o.Init(t.Bytes, t.Pos)
        ops.append(dict(opcode=0, inputs=ins, outputs=outs, act=o.FusedActivationFunction()))
    elif code == 25:
        o = fb.SoftmaxOptions(); t = op.BuiltinOptions(); o.Init(t.Bytes, t.Pos)
        ops.append(dict(opcode=1, inputs=ins, outputs=outs, beta=o.Beta()))
    else:
        raise SystemExit("unexpected operator %d" % code)
open(out_path, "wb").write(write_tflite(tensors, ops, buffers, "merged per-channel"))
`;

describe('LoRA merge with rescaled rows against TFLite Micro (IMU task)', function () {
  this.timeout(300000);
  const dir = tmp();
  const adapter = join(dir, 'a.bin'), merged = join(dir, 'm.bin');
  let mj: MergeJson;

  before(() => {
    run(['train', model, '--data', imu('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=8,layers=0..1', '--steps', '1200',
      '--seed', '1', '--lr', '0.0003', '--out', adapter]);
    mj = JSON.parse(run(['merge', model, '--adapter', adapter, '--out', merged, '--json']).split('\n')[0]!) as MergeJson;
  });

  it('the merged session with per-row multipliers equals TFLM on the per-channel merged model, byte for byte', () => {
    assert.ok(mj.layers.some((l) => l.rescaled_rows > 0), `no rescaled row: the test would not reach the new path ${JSON.stringify(mj)}`);
    const text = run(['merge', model, '--adapter', adapter, '--out', join(dir, 'm2.bin'), '--data', imu('user_test.bin'), '--outputs', join(dir, 'mo.bin')]);
    const acc = Number(/merged accuracy ([\d.]+)/.exec(text)?.[1]);
    const patched = join(dir, 'pc.tflite');
    execFileSync(python, ['-c', rebuild, model, merged, JSON.stringify(mj.layers), patched]);
    const samples = readFileSync(imu('user_test.bin'));
    const n = samples.length / 121;
    writeFileSync(join(dir, 'in.bin'), Buffer.concat(Array.from({ length: n }, (_, i) => samples.subarray(i * 121 + 1, (i + 1) * 121))));
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), patched, '--input', join(dir, 'in.bin'), '--output', join(dir, 'tflm.bin')]);
    const tflm = readFileSync(join(dir, 'tflm.bin')), ours = readFileSync(join(dir, 'mo.bin'));
    assert.equal(tflm.length, n * 4);
    assert.ok(tflm.equals(ours), 'TFLM on the per-channel merged model differs from the engine\'s merged session');
    // the merge changed what the base computes, and keeps the adapter's accuracy within a few records
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), model, '--input', join(dir, 'in.bin'), '--output', join(dir, 'base.bin')]);
    assert.ok(!readFileSync(join(dir, 'base.bin')).equals(tflm));
    const ev = JSON.parse(run(['eval', model, '--data', imu('user_test.bin'), '--adapter', adapter, '--json'])) as { accuracy: number };
    assert.ok(Math.abs(acc - ev.accuracy) <= 0.03, `merged ${acc} vs unmerged ${ev.accuracy}`);
  });
});
