// Training through a dynamic-batch Flatten (issue 11): the converter writes Keras Flatten as
// RESHAPE(x, PACK(SHAPE(x)[0], -1)). The shape chain carries no activation, so gradients pass
// the RESHAPE as for a batch-1 model. The oracle is the same CNN with a plain RESHAPE (the
// path the float-reference tests check): LoRA + bias on the 1x1 conv below the chain and on the
// dense head above it must train to the same adapter bytes, step for step the same losses.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { datasets, runStatus, tmp, train } from './helpers.js';

const generator = join(repoRoot, 'tools', 'oracle', 'layoutmodels.py');
const SPEC = 'lora:rank=2,alpha=4,layers=-2..-1+bias:layers=-2..-1';
// EPAD header bytes 44..75 hold the base model's SHA-256 (docs/formats.md) and the last four
// the CRC over it: the models differ, so only the tensor records are compared.
const HEADER = 76;

describe('training through the dynamic-batch Flatten shape chain', function () {
  this.timeout(300_000);

  it('trains the conv below and the head above to the batch-1 model\'s adapter', () => {
    const dir = tmp();
    execFileSync(python, [generator, '--train', dir]);
    const data = join(dir, 'd.bin');
    execFileSync(python, [datasets, data, '--size', '48', '--classes', '4', '-n', '64', '--seed', '3',
      '--proto-seed', '7']);
    const runs = ['dynamic', 'static'].map((tag) => {
      const out = join(dir, `${tag}.bin`);
      const j = train([join(dir, `train_flatten_${tag}.tflite`), '--data', data, '--adapter', SPEC,
        '--steps', '200', '--seed', '5', '--lr', '0.05', '--out', out]);
      return { j, bytes: readFileSync(out) };
    });
    const [dyn, stat] = runs;
    assert.deepEqual(dyn.j.steps.map((s) => s.loss), stat.j.steps.map((s) => s.loss));
    assert.equal(dyn.bytes.length, stat.bytes.length);
    assert.ok(dyn.bytes.subarray(HEADER, -4).equals(stat.bytes.subarray(HEADER, -4)), 'adapter records differ');
    // and training did something: the new classes are learnt from chance
    assert.ok(stat.j.train_accuracy_before < 0.5, `before ${stat.j.train_accuracy_before}`);
    assert.ok(stat.j.train_accuracy_after > 0.9, `after ${stat.j.train_accuracy_after}`);
  });

  it('a shape-only operator is not mistaken for a layer: the plan names the real layers', () => {
    const dir = tmp();
    execFileSync(python, [generator, '--train', dir]);
    // two adaptable layers in both models (the chain adds none and breaks nothing)
    for (const tag of ['dynamic', 'static']) {
      const r = runStatus(['train', join(dir, `train_flatten_${tag}.tflite`), '--adapter',
        'lora:rank=2,alpha=4,layers=-3..-1', '--plan']);
      assert.notEqual(r.status, 0, tag);
      assert.match(r.stderr, /lora layers out of range/, `${tag}: ${r.stderr}`);
    }
  });
});
