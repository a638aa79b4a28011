// Activation recomputation (spec term recompute:on|off|auto): byte-identical adapters with
// and without it (same seed, data, steps; the forward is exact integer arithmetic, so the
// recomputed activations and ReLU masks are the stored ones), and a strictly smaller training
// arena where several layers are trained (digits MLP with LoRA on both layers, person_detect's
// last two pointwise convs through the average pool).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, run, tmp, train } from './helpers.js';

interface Plan { training_arena_bytes: number; training_arena_keep_bytes: number; training_arena_recompute_bytes: number; recompute: number }
const plan = (model: string, spec: string): Plan => JSON.parse(run(['plan', model, '--adapter', spec, '--json'])) as Plan;
const person = join(modelsDir, 'person_detect.tflite');

describe('trainer: activation recomputation', function () {
  it('digits MLP: byte-identical adapters with and without recomputation (LoRA both layers, momentum, prompt, DP)', function () {
    const d = tmp();
    for (const spec of ['lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1',
      'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0,len=16+sgd:momentum=0.5',
      'lora:rank=2,alpha=4,layers=0..1+dp:clip=1,sigma=0.5']) {
      const args = [digits, '--data', demo('user_pool.bin'), '--steps', '150', '--seed', '5', '--eval-data', demo('user_test.bin')];
      const off = train([...args, '--adapter', `${spec}+recompute:off`, '--out', join(d, 'off.bin')]);
      const on = train([...args, '--adapter', `${spec}+recompute:on`, '--out', join(d, 'on.bin')]);
      assert.equal(on.sha256, off.sha256, spec);
      assert.deepEqual(on.steps.map((s) => s.loss), off.steps.map((s) => s.loss), spec);
      assert.ok(off.train_accuracy_after !== off.train_accuracy_before, `${spec}: training moved the adapter`);
    }
  });

  it('person_detect last two 1x1 convs: byte-identical adapters with and without recomputation', function () {
    const d = tmp();
    execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), join(d, 's.bin'), '-n', '6', '--seed', '4',
      '--gain', '0.4', '--offset', '140', '--noise', '4']);
    const spec = 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1+sgd:lr=0.01';
    const args = [person, '--data', join(d, 's.bin'), '--steps', '12', '--seed', '3'];
    const off = train([...args, '--adapter', `${spec}+recompute:off`, '--out', join(d, 'off.bin')]);
    const on = train([...args, '--adapter', `${spec}+recompute:on`, '--out', join(d, 'on.bin')]);
    assert.equal(on.sha256, off.sha256);
    assert.deepEqual(on.steps.map((s) => s.loss), off.steps.map((s) => s.loss));
  });

  it('plan reports both arenas; recomputation is strictly smaller where several layers train, auto picks it', function () {
    // scratch:separate: with the per-step scratch in the engine's dead memory (the default)
    // person_detect's activations cost no arena either way (scratch.test.ts), so the trainer's
    // own accounting is compared where it still decides the size
    for (const [model, spec] of [[digits, 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+scratch:separate'],
      [person, 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1+scratch:separate']] as const) {
      const off = plan(model, `${spec}+recompute:off`);
      const on = plan(model, `${spec}+recompute:on`);
      const auto = plan(model, `${spec}+recompute:auto`);
      assert.equal(off.training_arena_bytes, off.training_arena_keep_bytes, spec);
      assert.equal(on.training_arena_bytes, on.training_arena_recompute_bytes, spec);
      assert.equal(on.training_arena_keep_bytes, off.training_arena_keep_bytes, spec);
      assert.ok(on.training_arena_bytes < off.training_arena_bytes, `${spec}: ${on.training_arena_bytes} < ${off.training_arena_bytes}`);
      assert.equal(auto.recompute, 1, spec);
      assert.equal(auto.training_arena_bytes, on.training_arena_bytes, spec);
      assert.equal(plan(model, spec).recompute, 0, `${spec}: off by default`);
    }
  });

  it('rejects an unknown recompute value', function () {
    assert.throws(() => run(['plan', digits, '--adapter', 'bias:layers=0+recompute:maybe']), /recompute must be on, off or auto/);
  });
});
