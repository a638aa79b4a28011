// Full-precision checkpoints through the CLI (`train --checkpoint-out` / `--resume`): N steps
// and a checkpoint, then M resumed steps, must give the adapter of N + M uninterrupted steps
// byte for byte; resuming from the int8 adapter alone (--init) must not (so the comparison
// can fail); damaged checkpoints are refused with the field named. The C-level checks
// (DP, step 0, every refusal leaving the trainer unchanged) are in state.test.ts.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { demo, digits, runStatus, tmp, train } from './helpers.js';

describe('trainer checkpoints (EPCK) through the CLI', function () {
  const spec = 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+sgd:momentum=0.9';
  const base = [digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--seed', '3', '--lr', '0.001'];

  it('N steps + checkpoint, then M resumed steps == N + M uninterrupted steps (momentum)', function () {
    const d = tmp();
    const full = train([...base, '--steps', '130', '--out', join(d, 'full.bin')]);
    train([...base, '--steps', '50', '--out', join(d, 'half.bin'), '--checkpoint-out', join(d, 'c50.ck')]);
    const resumed = train([...base, '--steps', '80', '--resume', join(d, 'c50.ck'), '--out', join(d, 'res.bin'),
      '--checkpoint-out', join(d, 'c130.ck')]);
    assert.equal(resumed.sha256, full.sha256);
    assert.ok(readFileSync(join(d, 'res.bin')).equals(readFileSync(join(d, 'full.bin'))));
    // the adapter alone (int8 views, no momentum) does not resume exactly
    const init = train([...base, '--steps', '80', '--init', join(d, 'half.bin'), '--out', join(d, 'init.bin')]);
    assert.notEqual(init.sha256, full.sha256);
    // and a second resume from the end point continues the same way as a 150-step run
    const more = train([...base, '--steps', '20', '--resume', join(d, 'c130.ck'), '--out', join(d, 'm.bin')]);
    assert.equal(more.sha256, train([...base, '--steps', '150', '--out', join(d, 'f150.bin')]).sha256);
  });

  it('refuses damaged or foreign checkpoints, naming the problem', function () {
    const d = tmp();
    train([...base, '--steps', '5', '--out', join(d, 'a.bin'), '--checkpoint-out', join(d, 'c.ck')]);
    const ck = readFileSync(join(d, 'c.ck'));
    const flipped = Buffer.from(ck);
    flipped[40] ^= 1;
    writeFileSync(join(d, 'flip.ck'), flipped);
    writeFileSync(join(d, 'short.ck'), ck.subarray(0, ck.length - 8));
    for (const [file, args, msg] of [
      ['flip.ck', base, 'CRC-32'],
      ['short.ck', base, 'truncated'],
      ['c.ck', [...base.slice(0, 5), '--seed', '9'], 'configuration hash'], // another seed
      ['c.ck', [digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1',
        '--seed', '3'], 'momentum'],
    ] as const) {
      const r = runStatus(['train', ...args, '--steps', '1', '--resume', join(d, file), '--out', join(d, 'x.bin')]);
      assert.notEqual(r.status, 0, file);
      assert.match(r.stderr, new RegExp(`--resume: checkpoint: .*${msg}`), file);
    }
  });
});
