// Distillation's engine step (ept_step_soft / ept_gradient_soft, `edge-peft train
// --soft-targets`): the gradient against a soft target vs the numpy float reference
// (tools/float_ref/ref.py, beta (p - target)), and the identity a teacher equal to the student
// gives: with the frozen base's own outputs as targets every step after the first (which
// calibrates LoRA's h shift) leaves the adapter byte-identical (p - t = 0); labels move it.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demo, digits, floatRef, py, run, runStatus, tmp, train, type FloatTrain } from './helpers.js';

interface GradCos { step: number; cosine: number; per_tensor: number[]; saturated: boolean; tv: number | null }

/** The base model's int8 softmax outputs on every record of a SAMPLES.bin, + 128 (probability x 256). */
function baseTargets(dir: string, samples: string): Buffer {
  const raw = readFileSync(samples), n = raw.length / 65, inputs = Buffer.alloc(n * 64);
  for (let i = 0; i < n; i++) raw.copy(inputs, i * 64, i * 65 + 1, i * 65 + 65);
  writeFileSync(join(dir, 'in.bin'), inputs);
  run(['infer', digits, '--input', join(dir, 'in.bin'), '--output', join(dir, 'out.bin'), '--reset']);
  const out = readFileSync(join(dir, 'out.bin'));
  assert.equal(out.length, n * 10);
  return Buffer.from(out.map((q) => ((q << 24) >> 24) + 128));
}

const SPEC = 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1';

describe('soft-target (distillation) step', function () {
  this.timeout(600000);

  it('gradient against a soft target: cosine >= 0.99 vs the float reference', function () {
    const d = tmp(), pool = demo('user_pool.bin');
    const own = baseTargets(d, pool), n = own.length / 10;
    // a teacher that disagrees with the student: each record gets another record's base output
    const other = Buffer.alloc(own.length);
    for (let i = 0; i < n; i++) own.copy(other, i * 10, ((i + 7) % n) * 10, ((i + 7) % n) * 10 + 10);
    writeFileSync(join(d, 't.bin'), other);
    train([digits, '--data', pool, '--adapter', SPEC, '--steps', '24', '--seed', '3', '--lr', '0.0003',
      '--soft-targets', join(d, 't.bin'), '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'),
      '--latents-out', join(d, 'lat.bin')]);
    const cos = py<GradCos[]>([floatRef, 'grads', digits, '--dump', join(d, 'g.jsonl'), '--latents', join(d, 'lat.bin')]);
    assert.equal(cos.length, 24);
    // compared where p - target is above the int8 softmax's resolution (a few 1/256 quanta)
    const live = cos.filter((c) => c.tv !== null && c.tv >= 0.1 && !c.saturated);
    assert.ok(live.length >= 12, `too few comparable steps: ${live.length}`);
    for (const c of live) assert.ok(c.cosine >= 0.99, `step ${c.step}: cosine ${c.cosine} tv ${c.tv} ${c.per_tensor}`);
  });

  it("the base's own outputs as targets: 60 steps leave the tensors as after the first; labels move them", function () {
    // The first step calibrates LoRA's h shift (stored in the adapter), so the reference is the
    // adapter after one step, not the untrained one; every later step has p - t = 0 exactly.
    const d = tmp(), pool = demo('user_pool.bin');
    writeFileSync(join(d, 'own.bin'), baseTargets(d, pool));
    const soft = (steps: number, out: string) => train([digits, '--data', pool, '--adapter', SPEC, '--steps', String(steps),
      '--seed', '1', '--lr', '0.002', '--soft-targets', join(d, 'own.bin'), '--out', join(d, out)]);
    const one = soft(1, 's1.bin'), many = soft(60, 's60.bin');
    const labels = train([digits, '--data', pool, '--adapter', SPEC, '--steps', '60', '--seed', '1', '--lr', '0.002',
      '--out', join(d, 'l.bin')]);
    assert.equal(many.steps.length, 60);
    // equal but for the header's step count (offset 36, docs/formats.md) and the CRC-32 trailer
    const body = (f: string) => { const b = Buffer.from(readFileSync(join(d, f))); b.writeUInt32LE(0, 36); return b.subarray(0, b.length - 4); };
    assert.equal(readFileSync(join(d, 's60.bin')).readUInt32LE(36), 60);
    assert.deepEqual(body('s60.bin'), body('s1.bin'));
    assert.notDeepEqual(body('l.bin'), body('s1.bin'));
    assert.notEqual(labels.sha256, one.sha256);
    // the student equals the teacher: every pre-update prediction is the target's top class
    assert.ok(many.steps.every((s) => s.correct === 1));
  });

  it("distillation training: the integer trainer's accuracy follows the float reference's (ref.py train --soft-targets)", function () {
    // A teacher that disagrees with the labels (each record gets another record's base output),
    // so training toward the targets and training toward the labels end far apart: a float
    // reference that ignored the targets would land on the label run, not on the integer one.
    const d = tmp(), pool = demo('user_pool.bin');
    const own = baseTargets(d, pool), n = own.length / 10;
    const other = Buffer.alloc(own.length);
    for (let i = 0; i < n; i++) own.copy(other, i * 10, ((i + 7) % n) * 10, ((i + 7) % n) * 10 + 10);
    writeFileSync(join(d, 't.bin'), other);
    const args = [digits, '--data', pool, '--adapter', SPEC, '--seed', '2'];
    run(['train', ...args, '--steps', '0', '--out', join(d, 'init.bin'), '--latents-out', join(d, 'lat.bin')]);
    run(['train', digits, '--data', demo('user_test.bin'), '--adapter', SPEC, '--seed', '2', '--steps', '0', '--out', join(d, 'x.bin'), '--latents-out', join(d, 'e.bin')]);
    const steps = '480', lr = '0.002';
    const ours = train([...args, '--steps', steps, '--lr', lr, '--soft-targets', join(d, 't.bin'), '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin')]);
    const ref = (soft: string[]) => py<FloatTrain>([floatRef, 'train', digits, '--init', join(d, 'init.bin'), '--latents', join(d, 'lat.bin'),
      '--eval-latents', join(d, 'e.bin'), '--steps', steps, '--lr', lr, ...soft]);
    const soft = ref(['--soft-targets', join(d, 't.bin')]), hard = ref([]);
    assert.ok(Math.abs(ours.eval_accuracy_after - soft.eval_after) <= 0.03, `int ${ours.eval_accuracy_after} float ${soft.eval_after}`);
    assert.ok(hard.eval_after - soft.eval_after >= 0.1, `labels ${hard.eval_after} vs targets ${soft.eval_after}`);
  });

  it('refuses a targets file of the wrong size and writes no adapter', function () {
    const d = tmp();
    writeFileSync(join(d, 'short.bin'), Buffer.alloc(239 * 10));
    const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', SPEC, '--steps', '1',
      '--soft-targets', join(d, 'short.bin'), '--out', join(d, 'x.bin')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--soft-targets needs 2400 bytes \(10 per --data record\)/);
    assert.throws(() => readFileSync(join(d, 'x.bin')));
  });
});
