// LoRA merge with rescaled rows (issue 14 item 3): where a merged row no longer fits int8 at the
// base's weight scale, `edge-peft merge` re-derives that row's scale, and the merged session runs
// the layer on the per-channel FC kernel with one multiplier per row (epm_session_apply_rows).
// Oracle: stock TFLite Micro running the same model rebuilt as a per-channel model whose merged
// layers carry the merged weights, biases and row scales (tools/oracle/merge_rebuild.py, through
// tools/tflite_writer.py) gives byte-identical outputs. On the IMU task (data/imu-watch), whose
// trained LoRA r4 rescales rows.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { run, tmp } from './helpers.js';

const imu = (f: string): string => join(repoRoot, 'data', 'imu-watch', f);
const model = imu('imu_mlp_int8.tflite');
interface MergeJson { merged_bytes: number; layers: { fc: number; op: number; in: number; out: number; rescaled_rows: number }[] }

describe('LoRA merge with rescaled rows against TFLite Micro (IMU task)', function () {
  this.timeout(300000);
  const dir = tmp();
  const adapter = join(dir, 'a.bin'), merged = join(dir, 'm.bin');
  let mj: MergeJson;

  before(() => {
    run(['train', model, '--data', imu('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=8,layers=0..1', '--steps', '1200',
      '--seed', '1', '--lr', '0.0003', '--out', adapter]);
    mj = JSON.parse(run(['merge', model, '--adapter', adapter, '--out', merged, '--json']).split('\n')[0]!) as MergeJson;
  });

  it('the merged session with per-row multipliers equals TFLM on the per-channel merged model, byte for byte', () => {
    assert.ok(mj.layers.some((l) => l.rescaled_rows > 0), `no rescaled row: the test would not reach the new path ${JSON.stringify(mj)}`);
    const text = run(['merge', model, '--adapter', adapter, '--out', join(dir, 'm2.bin'), '--data', imu('user_test.bin'), '--outputs', join(dir, 'mo.bin')]);
    const acc = Number(/merged accuracy ([\d.]+)/.exec(text)?.[1]);
    const patched = join(dir, 'pc.tflite');
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'merge_rebuild.py'), model, merged, JSON.stringify(mj.layers), patched]);
    const samples = readFileSync(imu('user_test.bin'));
    const n = samples.length / 121;
    writeFileSync(join(dir, 'in.bin'), Buffer.concat(Array.from({ length: n }, (_, i) => samples.subarray(i * 121 + 1, (i + 1) * 121))));
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), patched, '--input', join(dir, 'in.bin'), '--output', join(dir, 'tflm.bin')]);
    const tflm = readFileSync(join(dir, 'tflm.bin')), ours = readFileSync(join(dir, 'mo.bin'));
    assert.equal(tflm.length, n * 4);
    assert.ok(tflm.equals(ours), 'TFLM on the per-channel merged model differs from the engine\'s merged session');
    // the merge changed what the base computes, and keeps the adapter's accuracy within a few records
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), model, '--input', join(dir, 'in.bin'), '--output', join(dir, 'base.bin')]);
    assert.ok(!readFileSync(join(dir, 'base.bin')).equals(tflm));
    const ev = JSON.parse(run(['eval', model, '--data', imu('user_test.bin'), '--adapter', adapter, '--json'])) as { accuracy: number };
    assert.ok(Math.abs(acc - ev.accuracy) <= 0.03, `merged ${acc} vs unmerged ${ev.accuracy}`);
  });
});
