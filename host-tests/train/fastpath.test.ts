// Step-cost work (update fast paths, latent replay): the fast plain-SGD update must give
// byte-identical adapters to the per-parameter reference path (the one the float-reference
// gradient and convergence tests exercise), built here with -DEPT_FAST_UPDATE=0; and steps
// on latent replay entries must equal steps that run the frozen prefix.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, repoRoot } from '../support/paths.js';
import { demo, digits, speechSet, tmp, train } from './helpers.js';

function referenceCli(dir: string): string {
  const srcs: string[] = [];
  for (const sub of ['native/model', 'native/kernels', 'native/plan', 'native/train', 'native/engine', 'tools/cli']) {
    for (const f of readdirSync(join(repoRoot, sub))) if (f.endsWith('.c')) srcs.push(join(repoRoot, sub, f));
  }
  const out = join(dir, 'edge-peft-ref');
  const inc = ['native/include', 'native/kernels', 'native/model', 'native/plan', 'native/engine', 'native/train', 'tools/cli']
    .map((p) => `-I${join(repoRoot, p)}`);
  execFileSync('cc', ['-std=c11', '-O1', '-ffp-contract=off', '-DEPT_FAST_UPDATE=0', ...inc, ...srcs, '-o', out, '-lmbedcrypto', '-lm']);
  return out;
}

describe('trainer step cost: fast update and latent replay', function () {
  it('fast plain-SGD update (zero skips, row and column paths) is byte-identical to the per-parameter path', function () {
    const d = tmp();
    const ref = referenceCli(d);
    const specs = [
      'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0',
      'lora:rank=2,alpha=4,layers=1+sgd:lr=0.002',
      'lora:rank=4,alpha=8,layers=0+sgd:lr=0.001,momentum=0.9', // slow path both sides
    ];
    for (const spec of specs) {
      const args = [digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '200', '--seed', '5'];
      const fast = train([...args, '--out', join(d, 'f.bin')]);
      const slow = JSON.parse(execFileSync(ref, ['train', ...args, '--out', join(d, 's.bin'), '--json'],
        { encoding: 'utf8', maxBuffer: 1 << 26 })) as { sha256: string; train_accuracy_after: number };
      assert.equal(fast.sha256, slow.sha256, spec);
      if (!spec.includes('momentum')) assert.ok(fast.train_accuracy_after > fast.train_accuracy_before, `${spec} learns`);
    }
  });

  it('steps on latent replay entries (--replay) equal steps through the frozen prefix', function () {
    const d = tmp();
    const speech = join(modelsDir, 'micro_speech_quantized.tflite');
    speechSet(join(d, 's.bin'), 3, 12);
    const spec = 'lora:rank=1,alpha=2,layers=-1+bias:layers=-1';
    const base = [speech, '--data', join(d, 's.bin'), '--adapter', spec, '--seed', '2'];
    const a = train([...base, '--steps', '30', '--latents-out', join(d, 'lat.bin'), '--out', join(d, 'a.bin')]);
    const b = train([...base, '--steps', '30', '--replay', join(d, 'lat.bin'), '--out', join(d, 'b.bin')]);
    assert.equal(b.sha256, a.sha256);
    assert.deepEqual(b.steps.map((s) => s.loss), a.steps.map((s) => s.loss));
    const c = train([...base, '--steps', '29', '--replay', join(d, 'lat.bin'), '--out', join(d, 'c.bin')]);
    assert.notEqual(c.sha256, a.sha256); // one step fewer: the comparison can tell
  });
});
