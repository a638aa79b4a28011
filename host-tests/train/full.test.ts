// Full fine-tune baseline (`full:layers=I..J`): every weight and bias of the chosen layers
// trained as int16 masters. Oracles: TFLite Micro (untrained = the frozen model), the numpy
// float reference (gradients, convergence), and the trainer's own outputs at the end of training
// against a fresh session that imported the exported bytes.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, floatRef, FloatTrain, py, run, runStatus, speechSet, tmp, train } from './helpers.js';

const speech = join(modelsDir, 'micro_speech_quantized.tflite');

interface GradCos { step: number; cosine: number; per_tensor: number[]; loss: number; saturated: boolean }

function gradCosines(model: string, data: string, spec: string, steps: number, lr: string): GradCos[] {
  const d = tmp();
  train([model, '--data', data, '--adapter', spec, '--steps', String(steps), '--seed', '3',
    '--lr', lr, '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'), '--latents-out', join(d, 'lat.bin')]);
  return py<GradCos[]>([floatRef, 'grads', model, '--dump', join(d, 'g.jsonl'), '--latents', join(d, 'lat.bin')]);
}

// as gradients.test.ts: compared where the gradient is above the int8 softmax's resolution
function checkCosines(cos: GradCos[]): void {
  const live = cos.filter((c) => c.loss >= 0.05 && !c.saturated);
  assert.ok(live.length >= cos.length / 2, `too few comparable steps: ${live.length}/${cos.length}`);
  for (const c of live) assert.ok(c.cosine >= 0.99, `step ${c.step}: cosine ${c.cosine} loss ${c.loss} ${c.per_tensor}`);
}

describe('full fine-tune baseline', function () {
  it('untrained (view == W, bias delta 0): eval outputs equal TFLite Micro byte for byte', function () {
    const d = tmp();
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'full:layers=0..1', '--steps', '0',
      '--out', join(d, 'a.bin')]);
    const recs = readFileSync(demo('user_test.bin'));
    const inputs = Buffer.alloc((recs.length / 65) * 64);
    for (let r = 0; r < recs.length / 65; r++) recs.copy(inputs, r * 64, r * 65 + 1, r * 65 + 65);
    writeFileSync(join(d, 'in.bin'), inputs);
    run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(d, 'a.bin'), '--outputs', join(d, 'ours.bin')]);
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), digits, '--input', join(d, 'in.bin'),
      '--output', join(d, 'tflm.bin')]);
    const ours = readFileSync(join(d, 'ours.bin'));
    assert.equal(ours.length, 240 * 10);
    assert.ok(ours.equals(readFileSync(join(d, 'tflm.bin'))));
  });

  it('gradients: cosine >= 0.99 vs float on both digits layers and on the micro_speech head', function () {
    checkCosines(gradCosines(digits, demo('user_pool.bin'), 'full:layers=0..1', 24, '0.0003'));
    const d = tmp();
    speechSet(join(d, 's.bin'), 1, 32);
    checkCosines(gradCosines(speech, join(d, 's.bin'), 'full:layers=-1', 24, '0.0005'));
  });

  it('digits new user: int gain >= 95% of the float reference gain (same init, data, steps, lr)', function () {
    const d = tmp();
    const spec = 'full:layers=0..1';
    train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '0', '--out', join(d, 'init.bin'),
      '--latents-out', join(d, 'lat.bin')]);
    train([digits, '--data', demo('user_test.bin'), '--adapter', spec, '--steps', '0', '--out', join(d, 'x.bin'),
      '--latents-out', join(d, 'elat.bin')]);
    const ours = train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '1200', '--seed', '1',
      '--lr', '0.0003', '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin')]);
    const ref = py<FloatTrain>([floatRef, 'train', digits, '--init', join(d, 'init.bin'), '--latents', join(d, 'lat.bin'),
      '--eval-latents', join(d, 'elat.bin'), '--steps', '1200', '--lr', '0.0003']);
    const gi = ours.eval_accuracy_after - ours.eval_accuracy_before, gf = ref.eval_after - ref.eval_before;
    assert.ok(gf > 0.2, `float reference should adapt: ${JSON.stringify(ref)}`);
    assert.ok(gi >= 0.95 * gf, `int gain ${gi} vs float ${gf}`);
  });

  it('export / import: a fresh session with the adapter reproduces the trained outputs; header and refusals', function () {
    const d = tmp();
    for (const spec of ['full:layers=0..1', 'full:layers=1+bias:layers=0+prompt:layers=0,len=16']) {
      const j = train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '300', '--seed', '2',
        '--momentum', '0.9', '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin'), '--outputs', join(d, 'trained.bin')]);
      run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(d, 'a.bin'), '--outputs', join(d, 'imported.bin')]);
      const a = readFileSync(join(d, 'trained.bin'));
      assert.ok(a.length === 2400 && a.equals(readFileSync(join(d, 'imported.bin'))), spec);
      const bytes = readFileSync(join(d, 'a.bin'));
      assert.equal(bytes.length, j.adapter_bytes);
      assert.equal(bytes.readUInt16LE(6), 88); // the extended header of the newer kinds
      assert.equal(bytes.readUInt32LE(8) & 8, 8);
    }
    // the W record moved: trained view vs the untrained one (== the model's W, test 1)
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'full:layers=0..1', '--steps', '0', '--out', join(d, '0.bin')]);
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'full:layers=0..1', '--steps', '300', '--out', join(d, 'a.bin')]);
    const w0 = readFileSync(join(d, '0.bin')), w1 = readFileSync(join(d, 'a.bin'));
    assert.equal(w1[88], 4); // first record: layer 0's full W, 32 x 64 int8
    assert.equal(w1.readUInt16LE(92), 32);
    assert.equal(w1.readUInt16LE(94), 64);
    let moved = 0;
    for (let k = 0; k < 32 * 64; k++) moved += w0[108 + k] !== w1[108 + k] ? 1 : 0;
    assert.ok(moved > 100, `only ${moved} weights moved`);
    // LoRA and full on one layer are refused by name
    const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'full:layers=0+lora:layers=0',
      '--steps', '1', '--out', join(d, 'x.bin')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /full and lora on the same layer/);
    // a full adapter is refused by a LoRA session (kinds differ), not misread
    const e = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=8,layers=0',
      '--init', join(d, 'a.bin'), '--steps', '1', '--out', join(d, 'y.bin')]);
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, /kinds 8, session has kinds 1/);
  });
});
