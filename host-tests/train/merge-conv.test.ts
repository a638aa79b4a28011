// LoRA merged into 1x1 CONV_2Ds (issue 14 item 3): person_detect's last two pointwise convs
// (ops 26, over a 3x3x256 input, and 28), the layers bench/peft adapts. epm_session_apply points
// an ungrouped 1x1 conv at the merged filter and bias (its [out, 1, 1, in] filter is the FC's
// out x in matrix); epm_session_apply_rows also hands it per-row multipliers for rows whose scale
// was re-derived. Two adapters, each reaching one path:
// - plain (no rescaled row: short training, LoRA + bias): the merged filters, biases and scales
//   equal numpy's fold of the model and the adapter file, and stock TFLite Micro running the base
//   model with those constants written in (modeledit.py --set-const) gives the engine's merged
//   outputs byte for byte;
// - rescaled (bench/peft's LoRA r4 at lr 0.01, 256 steps): TFLM running the model with the merged
//   constants and each layer's merged per-channel scales written in (--set-scale, filter and bias)
//   gives the engine's merged outputs byte for byte.
// Both on real records (augmentations of the two photographs, tools/float_ref/person_data.py);
// how often the merged outputs differ from the unmerged adapter's, and by how many steps, is
// printed: the unmerged path requantises h = A x to int8, the merge does not; on the plain path
// the largest difference must stay within one step of the softmax output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { py, run, tmp } from './helpers.js';
import { numpyMerge, type NumpyCheck } from './merge-fold.js';

const person = join(modelsDir, 'person_detect.tflite');
const oracle = join(repoRoot, 'tools', 'oracle', 'oracle.py');
const modeledit = join(repoRoot, 'tools', 'oracle', 'modeledit.py');
const REC = 9217, IN = 9216, OUT = 2;
interface Layer { fc: number; op: number; in: number; out: number; rescaled_rows: number }
interface MergeJson { merged_bytes: number; layers: Layer[] }

// The bias scales of a merged layer, s_in x s_row per row (the converter's rule), float32 LE.
const biasScales = `
import sys
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
model_path, op, scale_path, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = fb.Model.GetRootAsModel(open(model_path, "rb").read(), 0); sg = m.Subgraphs(0)
s_in = float(sg.Tensors(sg.Operators(op).Inputs(0)).Quantization().ScaleAsNumpy()[0])
rows = np.frombuffer(open(scale_path, "rb").read(), "<f4").astype(np.float64)
open(out_path, "wb").write((s_in * rows).astype("<f4").tobytes())
`;

function personSet(path: string, seed: number, n: number): void {
  execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), path, '-n', String(n), '--seed', String(seed),
    '--gain', '0.4', '--offset', '140', '--noise', '4']);
}

// edge-peft merge's file, per layer: weights out x in int8 (padded to 4), bias int32, scale float32.
function splitMerged(buf: Buffer, layers: Layer[]): { w: Buffer; b: Buffer; s: Buffer }[] {
  let p = 0;
  const parts = layers.map((l) => {
    const w = buf.subarray(p, p + l.out * l.in); p += Math.ceil((l.out * l.in) / 4) * 4;
    const b = buf.subarray(p, p + 4 * l.out); p += 4 * l.out;
    const s = buf.subarray(p, p + 4 * l.out); p += 4 * l.out;
    return { w, b, s };
  });
  assert.equal(p, buf.length);
  return parts;
}

// Records where two output streams differ, and the largest difference in int8 steps.
function compare(a: Buffer, b: Buffer): { differ: number; records: number; maxStep: number } {
  assert.equal(a.length, b.length);
  const records = a.length / OUT;
  let differ = 0, maxStep = 0;
  for (let i = 0; i < records; i++) {
    let d = false;
    for (let j = 0; j < OUT; j++) {
      const s = Math.abs(a.readInt8(i * OUT + j) - b.readInt8(i * OUT + j));
      d ||= s !== 0;
      maxStep = Math.max(maxStep, s);
    }
    differ += d ? 1 : 0;
  }
  return { differ, records, maxStep };
}

describe('LoRA merged into 1x1 CONV_2D (person_detect) against numpy and TFLite Micro', function () {
  this.timeout(300000);
  const dir = tmp();
  const trainSet = join(dir, 'p1.bin'), testSet = join(dir, 'p2.bin'), inputs = join(dir, 'in.bin');
  let baseOut: Buffer;

  before(() => {
    personSet(trainSet, 1, 32);
    personSet(testSet, 2, 48);
    const recs = readFileSync(testSet);
    const n = recs.length / REC;
    assert.ok(Number.isInteger(n) && n === 48);
    writeFileSync(inputs, Buffer.concat(Array.from({ length: n }, (_, i) => recs.subarray(i * REC + 1, (i + 1) * REC))));
    assert.equal(readFileSync(inputs).length, n * IN);
    execFileSync(python, [oracle, person, '--input', inputs, '--output', join(dir, 'base.bin')]);
    baseOut = readFileSync(join(dir, 'base.bin'));
    assert.equal(baseOut.length, n * OUT);
  });

  const cases = [
    { name: 'plain path (no rescaled row)', spec: 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1', lr: '0.003', steps: '64', rescaled: false, maxStep: 1 },
    { name: 'rescaled rows (bench/peft\'s LoRA r4)', spec: 'lora:rank=4,alpha=8,layers=-2..-1', lr: '0.01', steps: '256', rescaled: true, maxStep: undefined },
  ];
  for (const c of cases) {
    it(`${c.name}: the merged session equals TFLM on the rebuilt model, byte for byte`, () => {
      const d = join(dir, c.rescaled ? 'r' : 'p');
      const adapter = `${d}.a.bin`, merged = `${d}.m.bin`;
      run(['train', person, '--data', trainSet, '--adapter', c.spec, '--steps', c.steps, '--seed', '1', '--lr', c.lr, '--out', adapter]);
      const mj = JSON.parse(run(['merge', person, '--adapter', adapter, '--out', merged, '--json']).split('\n')[0]!) as MergeJson;
      assert.deepEqual(mj.layers.map((l) => [l.fc, l.op, l.in, l.out]), [[12, 26, 256, 256], [13, 28, 256, 2]]);
      const rescaled = mj.layers.reduce((a, l) => a + l.rescaled_rows, 0);
      if (c.rescaled) assert.ok(rescaled > 0, `no rescaled row: the test would not reach epm_session_apply_rows ${JSON.stringify(mj)}`);
      else assert.equal(rescaled, 0, `rescaled rows: the test would not reach epm_session_apply ${JSON.stringify(mj)}`);
      const text = run(['merge', person, '--adapter', adapter, '--out', `${d}.m2.bin`, '--data', testSet, '--outputs', `${d}.mo.bin`]);
      const mergedAcc = Number(/merged accuracy ([\d.]+)/.exec(text)?.[1]);
      const ours = readFileSync(`${d}.mo.bin`);
      assert.equal(ours.length, baseOut.length);

      const parts = splitMerged(readFileSync(merged), mj.layers);
      const edits: string[] = [];
      if (!c.rescaled) {
        // the fold itself, against numpy; it also writes the constants modeledit takes
        const r = py<NumpyCheck>(['-c', numpyMerge, person, adapter, merged, JSON.stringify(mj.layers)]);
        assert.equal(r.weights, 256 * 256 + 2 * 256);
        assert.equal(r.weight_mismatch, 0, JSON.stringify(r));
        assert.equal(r.bias_mismatch, 0, JSON.stringify(r));
        assert.equal(r.scale_mismatch, 0, JSON.stringify(r));
        assert.ok(r.max_abs_change >= 1, 'the trained LoRA changed no weight: the test would compare nothing');
        console.log(`      numpy: ${JSON.stringify(r)}`);
        for (const l of mj.layers) edits.push('--set-const', `${l.op}:1:${merged}.w${l.op}`, '--set-const', `${l.op}:2:${merged}.b${l.op}`);
      } else {
        mj.layers.forEach((l, i) => {
          const p = parts[i]!, f = `${d}.L${l.op}`;
          writeFileSync(`${f}.w`, p.w); writeFileSync(`${f}.b`, p.b); writeFileSync(`${f}.s`, p.s);
          execFileSync(python, ['-c', biasScales, person, String(l.op), `${f}.s`, `${f}.bs`]);
          edits.push('--set-const', `${l.op}:1:${f}.w`, '--set-const', `${l.op}:2:${f}.b`,
            '--set-scale', `${l.op}:1:${f}.s`, '--set-scale', `${l.op}:2:${f}.bs`);
        });
        // the rescaled rows' scales differ from the model's: --set-scale is not a no-op here
        const s0 = parts[0]!.s;
        const baseScales = py<number[]>(['-c', `import sys, json
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as fb
m = fb.Model.GetRootAsModel(open(sys.argv[1], "rb").read(), 0); sg = m.Subgraphs(0)
print(json.dumps([float(x) for x in sg.Tensors(sg.Operators(26).Inputs(1)).Quantization().ScaleAsNumpy()]))`, person]);
        let changed = 0;
        for (let i = 0; i < 256; i++) changed += Math.fround(baseScales[i]!) !== s0.readFloatLE(4 * i) ? 1 : 0;
        assert.equal(changed, mj.layers[0]!.rescaled_rows);
      }
      const patched = `${d}.tflite`;
      execFileSync(python, [modeledit, person, ...edits, '-o', patched]);
      execFileSync(python, [oracle, patched, '--input', inputs, '--output', `${d}.tflm.bin`]);
      const tflm = readFileSync(`${d}.tflm.bin`);
      assert.equal(tflm.length, baseOut.length);
      assert.ok(tflm.equals(ours), `TFLM on the rebuilt model differs from the engine's merged session: ${JSON.stringify(compare(tflm, ours))}`);
      // the merge changed what the base computes
      assert.ok(!baseOut.equals(tflm), 'merged outputs equal the base model\'s: the test would compare nothing');

      // against the unmerged adapter: how often not byte-equal, by how many steps, and accuracy
      const ev = JSON.parse(run(['eval', person, '--data', testSet, '--adapter', adapter, '--json', '--outputs', `${d}.u.bin`])) as { accuracy: number };
      const u = readFileSync(`${d}.u.bin`);
      const cmp = compare(u, ours);
      const n = cmp.records;
      const argmax = (b: Buffer, i: number): number => (b.readInt8(i * OUT + 1) > b.readInt8(i * OUT) ? 1 : 0);
      let agree = 0;
      for (let i = 0; i < n; i++) agree += argmax(u, i) === argmax(ours, i) ? 1 : 0;
      console.log(`      ${c.name}: ${rescaled} rows rescaled; merged vs unmerged: ${cmp.differ}/${n} records not byte-equal, ` +
        `max ${cmp.maxStep} steps, argmax agreement ${agree}/${n}; accuracy merged ${mergedAcc} unmerged ${ev.accuracy} ` +
        `(base ${compare(baseOut, ours).differ}/${n} records changed)`);
      assert.ok(Math.abs(mergedAcc - ev.accuracy) <= 1 / n + 1e-9, `merged ${mergedAcc} vs unmerged ${ev.accuracy}`);
      assert.ok(agree >= n - 1, `argmax agreement ${agree}/${n}`);
      // issue 14's one-step bound at the model output, where it holds (docs/training.md): the plain
      // path; the rescaled one reaches 2 steps (printed, not bounded)
      if (c.maxStep !== undefined) assert.ok(cmp.maxStep <= c.maxStep, `merged vs unmerged: max ${cmp.maxStep} steps`);
    });
  }
});
