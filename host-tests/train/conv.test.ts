// LoRA on 1x1 CONV_2D (person_detect's last pointwise convs, through its global average
// pool, the final 1x1 conv, RESHAPE and SOFTMAX), against independent oracles: the numpy
// float reference (gradients, convergence) and the TFLite Micro interpreter (zero adapter).
// Data: only two real photographs exist (person.bmp, no_person.bmp); the sets are seeded
// augmentations of them (flip, +-4 px shift) through a "washed-out camera" shift (gain 0.4,
// offset +140, sensor noise sigma 4), on which the frozen model is near chance
// (tools/float_ref/person_data.py).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { floatRef, FloatTrain, py, run, tmp, train } from './helpers.js';

const person = join(modelsDir, 'person_detect.tflite');
const personData = join(repoRoot, 'tools', 'float_ref', 'person_data.py');
const SPEC = 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1';

function personSet(path: string, seed: number, n: number): void {
  execFileSync(python, [personData, path, '-n', String(n), '--seed', String(seed), '--gain', '0.4',
    '--offset', '140', '--noise', '4']);
}

interface GradCos { step: number; cosine: number; per_tensor: number[]; loss: number; saturated: boolean }

describe('trainer: LoRA on 1x1 CONV_2D (person_detect)', function () {
  it('plan lists the two pointwise convs and the frozen average pool between them', function () {
    const out = run(['plan', person, '--adapter', SPEC]);
    assert.match(out, /^12\s+26\s+256\s+256/m);
    assert.match(out, /^-1\s+27\s+256\s+256\s+0\s+0/m);   // AVERAGE_POOL_2D: no adapter
    assert.match(out, /^13\s+28\s+256\s+2\s/m);
  });

  it('with zero adapters the trained suffix equals the TFLite Micro interpreter byte for byte', function () {
    const d = tmp();
    personSet(join(d, 's.bin'), 5, 8);
    train([person, '--data', join(d, 's.bin'), '--adapter', SPEC, '--steps', '0', '--out', join(d, 'a.bin'),
      '--eval-data', join(d, 's.bin'), '--outputs', join(d, 'ours.bin')]);
    const recs = readFileSync(join(d, 's.bin'));
    const n = recs.length / 9217;
    const inputs = Buffer.alloc(n * 9216);
    for (let r = 0; r < n; r++) recs.copy(inputs, r * 9216, r * 9217 + 1, r * 9217 + 9217);
    writeFileSync(join(d, 'in.bin'), inputs);
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), person, '--input', join(d, 'in.bin'),
      '--output', join(d, 'tflm.bin')]);
    const ours = readFileSync(join(d, 'ours.bin'));
    assert.equal(ours.length, n * 2);
    assert.ok(ours.equals(readFileSync(join(d, 'tflm.bin'))));
  });

  it('gradients through pool / final conv / softmax: cosine >= 0.99 vs float every step', function () {
    const d = tmp();
    personSet(join(d, 's.bin'), 1, 16);
    train([person, '--data', join(d, 's.bin'), '--adapter', SPEC, '--steps', '16', '--seed', '3', '--lr', '0.002',
      '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'), '--latents-out', join(d, 'lat.bin')]);
    const cos = py<GradCos[]>([floatRef, 'grads', person, '--dump', join(d, 'g.jsonl'), '--latents', join(d, 'lat.bin')]);
    assert.equal(cos.length, 16);
    for (const c of cos) {
      if (c.saturated) continue;
      assert.ok(c.cosine >= 0.99, `step ${c.step}: cosine ${c.cosine} ${c.per_tensor}`);
    }
    assert.ok(cos.filter((c) => !c.saturated).length >= 12);
  });

  it('washed-out camera shift: int gain >= 95% of the float reference gain', function () {
    const d = tmp();
    personSet(join(d, 'tr.bin'), 1, 64);
    personSet(join(d, 'te.bin'), 2, 64);
    const base = [person, '--adapter', SPEC, '--seed', '1'];
    train([...base, '--data', join(d, 'tr.bin'), '--steps', '0', '--out', join(d, 'init.bin'), '--latents-out', join(d, 'lat.bin')]);
    train([...base, '--data', join(d, 'te.bin'), '--steps', '0', '--out', join(d, 'x.bin'), '--latents-out', join(d, 'elat.bin')]);
    const ours = train([...base, '--data', join(d, 'tr.bin'), '--steps', '256', '--lr', '0.01', '--out', join(d, 'a.bin'),
      '--eval-data', join(d, 'te.bin'), '--outputs', join(d, 'trained.bin')]);
    const ref = py<FloatTrain>([floatRef, 'train', person, '--init', join(d, 'init.bin'), '--latents', join(d, 'lat.bin'),
      '--eval-latents', join(d, 'elat.bin'), '--steps', '256', '--lr', '0.01']);
    const gainInt = ours.eval_accuracy_after - ours.eval_accuracy_before;
    const gainFloat = ref.eval_after - ref.eval_before;
    assert.ok(gainFloat > 0.25, `float reference should adapt: ${JSON.stringify(ref)}`);
    assert.ok(gainInt >= 0.95 * gainFloat, `int gain ${gainInt} vs float ${gainFloat}`);
    // `infer --adapter` on the raw inputs gives the outputs the trainer saw at the end
    const recs = readFileSync(join(d, 'te.bin'));
    const inputs = Buffer.alloc((recs.length / 9217) * 9216);
    for (let r = 0; r < recs.length / 9217; r++) recs.copy(inputs, r * 9216, r * 9217 + 1, r * 9217 + 9217);
    writeFileSync(join(d, 'in.bin'), inputs);
    run(['infer', person, '--input', join(d, 'in.bin'), '--adapter', join(d, 'a.bin'), '--output', join(d, 'inf.bin')]);
    assert.ok(readFileSync(join(d, 'inf.bin')).equals(readFileSync(join(d, 'trained.bin'))));
  });
});
