// LoRA merge (issue 14 item 3): `edge-peft merge` folds a trained LoRA + bias adapter into int8
// copies of the adapted layers. Checked against independent oracles:
// - numpy: the merged int8 weights are round(W + (alpha/r) s_A s_B (B A) / s_w) of the model's
//   weights and the adapter file's views, the biases base + delta, the scales the model's;
// - TFLite Micro: the base model with the merged weights and biases written into its buffers
//   runs in stock TFLM byte-identically with the engine's merged session (so a merged adapter
//   deploys to a plain TFLM device);
// - the unmerged adapter: the merged model classifies the held-out set as the adapter does.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { demo, digits, py, run, runStatus, tmp } from './helpers.js';
import { numpyMerge, type NumpyCheck } from './merge-fold.js';

interface MergeJson { merged_bytes: number; layers: { fc: number; op: number; in: number; out: number; rescaled_rows: number }[] }

describe('LoRA merge (edge-peft merge) against numpy and TFLite Micro', function () {
  this.timeout(300000);
  const dir = tmp();
  const adapter = join(dir, 'a.bin');
  const merged = join(dir, 'm.bin');
  let mj: MergeJson;
  let mergedOut: Buffer;

  before(() => {
    run(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=4,layers=0..-1+bias:layers=0..-1',
      '--steps', '200', '--seed', '1', '--out', adapter]);
    const text = run(['merge', digits, '--adapter', adapter, '--out', merged, '--json', '--data', demo('user_test.bin'),
      '--outputs', join(dir, 'mo.bin')]);
    mj = JSON.parse(text.split('\n')[0]!) as MergeJson;
    mergedOut = readFileSync(join(dir, 'mo.bin'));
  });

  it('merges both adapted layers of the digits MLP, keeping every base scale', () => {
    assert.deepEqual(mj.layers.map((l) => [l.fc, l.in, l.out]), [[0, 64, 32], [1, 32, 10]]);
    assert.ok(mj.layers.every((l) => l.rescaled_rows === 0));
    assert.equal(readFileSync(merged).length, mj.merged_bytes);
  });

  it('merged weights, biases and scales equal numpy\'s fold of the model and the adapter file', () => {
    const r = py<NumpyCheck>(['-c', numpyMerge, digits, adapter, merged, JSON.stringify(mj.layers)]);
    assert.equal(r.weights, 64 * 32 + 32 * 10);
    assert.equal(r.weight_mismatch, 0, JSON.stringify(r));
    console.log("      numpy:", JSON.stringify(r));
    assert.equal(r.bias_mismatch, 0);
    assert.equal(r.scale_mismatch, 0);
    assert.ok(r.max_abs_change >= 1, 'the trained LoRA changed no weight: the test would compare nothing');
  });

  it('stock TFLite Micro runs the base model with the merged constants byte-identically with the engine', () => {
    const patched = join(dir, 'merged.tflite');
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'modeledit.py'), digits,
      ...mj.layers.flatMap((l) => ['--set-const', `${l.op}:1:${merged}.w${l.op}`, '--set-const', `${l.op}:2:${merged}.b${l.op}`]),
      '-o', patched]);
    const samples = readFileSync(demo('user_test.bin'));
    const inBytes = 64;
    const n = samples.length / (1 + inBytes);
    assert.ok(Number.isInteger(n) && n >= 100);
    const inputs = Buffer.concat(Array.from({ length: n }, (_, i) => samples.subarray(i * 65 + 1, (i + 1) * 65)));
    writeFileSync(join(dir, 'in.bin'), inputs);
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), patched, '--input', join(dir, 'in.bin'), '--output', join(dir, 'tflm.bin')]);
    const tflm = readFileSync(join(dir, 'tflm.bin'));
    assert.equal(tflm.length, n * 10);
    assert.ok(tflm.equals(mergedOut), 'TFLM on the merged model differs from the engine\'s merged session');
    // and the merge changed what the base model computes
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), digits, '--input', join(dir, 'in.bin'), '--output', join(dir, 'base.bin')]);
    assert.ok(!readFileSync(join(dir, 'base.bin')).equals(tflm));
  });

  it('classifies the held-out set as the unmerged adapter does', () => {
    run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', adapter, '--outputs', join(dir, 'ao.bin')]);
    const unmerged = readFileSync(join(dir, 'ao.bin'));
    assert.equal(unmerged.length, mergedOut.length);
    const argmax = (b: Buffer, i: number) => { let k = 0; for (let j = 1; j < 10; j++) if (b.readInt8(i * 10 + j) > b.readInt8(i * 10 + k)) k = j; return k; };
    const n = unmerged.length / 10;
    let agree = 0;
    for (let i = 0; i < n; i++) agree += argmax(unmerged, i) === argmax(mergedOut, i) ? 1 : 0;
    assert.ok(agree / n >= 0.95, `argmax agreement ${agree}/${n}`);
    console.log(`      argmax agreement ${agree}/${n}`);
  });

  it('refuses a prompt adapter and a truncated adapter by name, writing nothing', () => {
    const p = join(dir, 'p.bin');
    run(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'prompt:layers=0,len=8', '--steps', '2', '--seed', '1', '--out', p]);
    const r = runStatus(['merge', digits, '--adapter', p, '--out', join(dir, 'pm.bin')]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /prompt/);
    assert.ok(!existsSync(join(dir, "pm.bin")));
    writeFileSync(join(dir, 't.bin'), readFileSync(adapter).subarray(0, 100));
    const t = runStatus(['merge', digits, '--adapter', join(dir, 't.bin'), '--out', join(dir, 'tm.bin')]);
    assert.equal(t.status, 1);
    assert.match(t.stderr, /adapter/);
    assert.ok(!existsSync(join(dir, "tm.bin")));
  });
});
