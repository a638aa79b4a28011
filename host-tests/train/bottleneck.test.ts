// Bottleneck adapter layers (`adapter:layers=I..J,width=M`): y' = y + U relu(D y) on a
// layer's int8 output. Oracles: TFLite Micro (U = 0 at init), the numpy float reference
// (gradients, convergence), and a fresh session that imported the exported bytes.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { modelsDir } from '../support/paths.js';
import { demo, digits, runStatus, speechSet, tmp } from './helpers.js';
import { checkCosines, convergence, gradCosines, importEqualsTrained, resumeExact, untrainedEqualsTflm } from './peft-helpers.js';

const speech = join(modelsDir, 'micro_speech_quantized.tflite');

describe('bottleneck adapter layers', function () {
  it('untrained (U = 0): eval outputs equal TFLite Micro byte for byte', function () {
    untrainedEqualsTflm('adapter:layers=0..1,width=8');
  });

  it('gradients: cosine >= 0.99 vs float (digits, after the ReLU layer and the logits; micro_speech head)', function () {
    checkCosines(gradCosines(digits, demo('user_pool.bin'), 'adapter:layers=0..1,width=8', 24, '0.003'));
    checkCosines(gradCosines(digits, demo('user_pool.bin'), 'adapter:layers=0,width=4+bias:layers=1', 24, '0.003'));
    const d = tmp();
    speechSet(join(d, 's.bin'), 1, 32);
    checkCosines(gradCosines(speech, join(d, 's.bin'), 'adapter:layers=-1,width=4', 24, '0.003'));
  });

  it('digits new user: int gain >= 95% of the float reference gain (same init, data, steps, lr)', function () {
    const { gi, gf, ref } = convergence('adapter:layers=0..1,width=8', 1200, '0.003');
    assert.ok(gf > 0.2, `float reference should adapt: ${JSON.stringify(ref)}`);
    assert.ok(gi >= 0.95 * gf, `int gain ${gi} vs float ${gf}`);
  });

  it('export / import reproduce the trained outputs; header fields; refusals', function () {
    const b = importEqualsTrained('adapter:layers=0..1,width=8');
    assert.equal(b.readUInt16LE(6), 88);
    assert.equal(b.readUInt32LE(8), 16);
    assert.deepEqual([b.readInt16LE(80), b.readInt16LE(82), b.readUInt16LE(84)], [0, 1, 8]);
    // records: layer 0 D (8 x 32, its h shift), U (32 x 8), then layer 1's
    assert.deepEqual([b[88], b[89], b.readUInt16LE(92), b.readUInt16LE(94)], [5, 0, 8, 32]);
    assert.ok(b.readInt32LE(96) >= 0 && b.readInt32LE(96) <= 31);
    importEqualsTrained('adapter:layers=1,width=4+lora:rank=2,alpha=4,layers=0+prompt:layers=0,len=8');
    const d = tmp();
    const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'adapter:layers=0,width=8+recompute:on',
      '--steps', '1', '--out', join(d, 'x.bin')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /recompute:off/);
    const w = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'adapter:layers=0,width=65',
      '--steps', '1', '--out', join(d, 'x.bin')]);
    assert.match(w.stderr, /bad value for adapter:width: 65/);
  });

  it('checkpoint (EPCK): 60 steps + resume 40 == 100 uninterrupted, byte for byte', function () {
    resumeExact('adapter:layers=0..1,width=8');
  });
});
