// EWC keeps an old task through a second adaptation; DP-SGD clips each example's gradient
// to norm C (checked against the float reference's gradient norm) and adds seeded noise.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { python } from '../support/paths.js';
import { demo, digits, floatRef, py, run, tmp, train } from './helpers.js';

const SPEC = 'lora:rank=4,alpha=8,layers=0+bias:layers=0..1';
const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
const acc = (adapter: string, data: string): number =>
  (JSON.parse(run(['eval', digits, '--data', data, '--adapter', adapter, '--json'])) as { accuracy: number }).accuracy;

describe('EWC', function () {
  it('keeps more of task 1 (shifted pad) while learning task 2 (upside-down pad)', function () {
    const d = tmp();
    execFileSync(python, [floatRef, 'mirror', demo('population_test.bin'), join(d, 't2.bin'), join(d, 't2test.bin')]);
    train([digits, '--data', demo('user_pool.bin'), '--adapter', SPEC, '--steps', '1200', '--seed', '1',
      '--lr', '0.0003', '--out', join(d, 't1.bin')]);
    const t1 = acc(join(d, 't1.bin'), demo('user_test.bin'));
    const common = ['--data', join(d, 't2.bin'), '--adapter', SPEC, '--init', join(d, 't1.bin'), '--steps', '1000',
      '--seed', '1', '--lr', '0.0003'];
    train([digits, ...common, '--out', join(d, 'plain.bin')]);
    train([digits, ...common, '--ewc', '500', '--ewc-data', demo('user_pool.bin'), '--out', join(d, 'ewc.bin')]);
    const keptPlain = acc(join(d, 'plain.bin'), demo('user_test.bin'));
    const keptEwc = acc(join(d, 'ewc.bin'), demo('user_test.bin'));
    assert.ok(keptEwc >= keptPlain + 0.1, `task 1 after task 2: EWC ${keptEwc}, plain ${keptPlain} (after task 1: ${t1})`);
    assert.ok(keptEwc >= t1 - 0.1, `EWC lost task 1: ${keptEwc} vs ${t1}`);
  });
});

describe('DP-SGD', function () {
  it('clip factor equals min(1, C / ||g||): exact for the integer gradient, close to the float one', function () {
    const d = tmp();
    const j = train([digits, '--data', demo('user_pool.bin'), '--adapter', SPEC, '--steps', '40', '--seed', '4',
      '--dp-clip', '0.5', '--dp-sigma', '0', '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'),
      '--latents-out', join(d, 'lat.bin')]);
    const ref = py<{ step: number; norm: number; int_norm: number }[]>([floatRef, 'grads', digits, '--dump', join(d, 'g.jsonl'),
      '--latents', join(d, 'lat.bin')]);
    let clipped = 0;
    for (const r of ref) {
      // the integer block-float norm, sqrt and division vs float64 on the dumped gradient
      const exact = Math.min(1, 0.5 / r.int_norm);
      const want = Math.min(1, 0.5 / r.norm);
      const got = j.steps[r.step].clip;
      clipped += want < 1 ? 1 : 0;
      assert.ok(Math.abs(got - exact) <= 0.005 * exact + 1e-6, `step ${r.step}: clip ${got}, from int gradient ${exact}`);
      assert.ok(Math.abs(got - want) <= 0.08 * want + 1e-6, `step ${r.step}: clip ${got}, float reference ${want}`);
    }
    assert.ok(clipped >= 10, `only ${clipped} clipped steps`);
  });

  it('noise is reproducible from the seed and changes with it', function () {
    const d = tmp();
    const args = (seed: string, out: string, sigma = '1.0') => [digits, '--data', demo('user_pool.bin'), '--adapter', SPEC,
      '--steps', '60', '--seed', seed, '--dp-clip', '1.0', '--dp-sigma', sigma, '--out', join(d, out)];
    train(args('5', 'a.bin'));
    train(args('5', 'b.bin'));
    train(args('6', 'c.bin'));
    train(args('5', 'n.bin', '0'));
    assert.equal(sha(join(d, 'a.bin')), sha(join(d, 'b.bin')));
    assert.notEqual(sha(join(d, 'a.bin')), sha(join(d, 'c.bin')));
    assert.notEqual(sha(join(d, 'a.bin')), sha(join(d, 'n.bin')));
  });
});
