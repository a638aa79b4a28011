// Full fine-tune baseline (`full:layers=I..J`): every weight and bias of the chosen layers
// trained as int16 masters. Oracles: TFLite Micro (untrained = the frozen model), the numpy
// float reference (gradients, convergence), and the outputs at the end of training against a
// fresh session that imported the exported bytes.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../support/paths.js';
import { demo, digits, runStatus, speechSet, tmp, train } from './helpers.js';
import { checkCosines, convergence, gradCosines, importEqualsTrained, resumeExact, untrainedEqualsTflm } from './peft-helpers.js';

const speech = join(modelsDir, 'micro_speech_quantized.tflite');

describe('full fine-tune baseline', function () {
  it('untrained (view == W, bias delta 0): eval outputs equal TFLite Micro byte for byte', function () {
    untrainedEqualsTflm('full:layers=0..1');
  });

  it('gradients: cosine >= 0.99 vs float on both digits layers and on the micro_speech head', function () {
    checkCosines(gradCosines(digits, demo('user_pool.bin'), 'full:layers=0..1', 24, '0.0003'));
    const d = tmp();
    speechSet(join(d, 's.bin'), 1, 32);
    checkCosines(gradCosines(speech, join(d, 's.bin'), 'full:layers=-1', 24, '0.0005'));
  });

  it('digits new user: int gain >= 95% of the float reference gain (same init, data, steps, lr)', function () {
    const { gi, gf, ref } = convergence('full:layers=0..1', 1200, '0.0003');
    assert.ok(gf > 0.2, `float reference should adapt: ${JSON.stringify(ref)}`);
    assert.ok(gi >= 0.95 * gf, `int gain ${gi} vs float ${gf}`);
  });

  it('export / import: a fresh session with the adapter reproduces the trained outputs; header and refusals', function () {
    for (const spec of ['full:layers=0..1', 'full:layers=1+bias:layers=0+prompt:layers=0,len=16']) {
      const bytes = importEqualsTrained(spec);
      assert.equal(bytes.readUInt16LE(6), 88); // the extended header of the newer kinds
      assert.equal(bytes.readUInt32LE(8) & 8, 8);
    }
    const d = tmp();
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

  it('checkpoint (EPCK): 60 steps + resume 40 == 100 uninterrupted, byte for byte', function () {
    resumeExact('full:layers=0..1');
  });
});
