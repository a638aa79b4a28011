// LoRA merge figures (issue 14 item 3): callgrind instructions per inference for the base
// model, the unmerged adapter (the trainer's forward with the A/B side path) and the merged
// layers (a plain engine session), each as (K samples - 1 sample) / (K - 1) so start-up cancels;
// and how far merged outputs are from the unmerged path's: the share of records and of
// output bytes not byte-equal and the largest difference in quantisation steps. Prints only.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, repoRoot } from '../../host-tests/support/paths.js';

const cli = join(binDir, 'edge-peft');
const demo = (f: string): string => join(repoRoot, 'data', 'demo', f);
const K = 41;

function collected(args: string[], out: string): number {
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, cli, ...args], { encoding: 'utf8' });
  const m = /Collected : (\d+)/.exec(r.stderr);
  return m ? Number(m[1]) : NaN;
}

export async function run(): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'ep-bench-merge-'));
  try {
    const model = demo('digits_mlp_int8.tflite');
    const spec = 'lora:rank=4,alpha=4,layers=0..-1+bias:layers=0..-1';
    const adapter = join(d, 'a.bin');
    execFileSync(cli, ['train', model, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '200', '--seed', '1', '--out', adapter]);
    const test = readFileSync(demo('user_test.bin'));
    const rec = 65;
    writeFileSync(join(d, 'one.bin'), test.subarray(0, rec));
    writeFileSync(join(d, 'k.bin'), test.subarray(0, K * rec));
    const per = (args: (data: string) => string[]): number =>
      (collected(args(join(d, 'k.bin')), join(d, 'cgk')) - collected(args(join(d, 'one.bin')), join(d, 'cg1'))) / (K - 1);
    const base = per((data) => ['eval', model, '--data', data]);
    const unmerged = per((data) => ['eval', model, '--data', data, '--adapter', adapter]);
    const merged = per((data) => ['merge', model, '--adapter', adapter, '--out', join(d, 'm.bin'), '--data', data]);
    execFileSync(cli, ['eval', model, '--data', demo('user_test.bin'), '--adapter', adapter, '--outputs', join(d, 'u.out')]);
    execFileSync(cli, ['merge', model, '--adapter', adapter, '--out', join(d, 'm.bin'), '--data', demo('user_test.bin'), '--outputs', join(d, 'm.out')]);
    const u = readFileSync(join(d, 'u.out'));
    const m = readFileSync(join(d, 'm.out'));
    const n = u.length / 10;
    let recDiff = 0, byteDiff = 0, maxStep = 0, within1 = 0;
    for (let i = 0; i < n; i++) {
      let diff = false, worst = 0;
      for (let j = 0; j < 10; j++) {
        const s = Math.abs(u.readInt8(i * 10 + j) - m.readInt8(i * 10 + j));
        if (s !== 0) { diff = true; byteDiff++; }
        worst = Math.max(worst, s);
      }
      recDiff += diff ? 1 : 0;
      within1 += worst <= 1 ? 1 : 0;
      maxStep = Math.max(maxStep, worst);
    }
    console.log('\n== merge: LoRA folded into the layer vs the unmerged A/B path (digits MLP, LoRA r4 both layers + bias; callgrind Ir per inference, x86-64) ==');
    console.log(`   base model            ${base.toFixed(0).padStart(8)} Ir`);
    console.log(`   unmerged adapter      ${unmerged.toFixed(0).padStart(8)} Ir  (${(unmerged / base).toFixed(3)}x base)`);
    console.log(`   merged layers         ${merged.toFixed(0).padStart(8)} Ir  (${(merged / base).toFixed(3)}x base)`);
    console.log(`   outputs (int8 softmax, ${n} held-out records): ${recDiff} records (${(100 * recDiff / n).toFixed(1)}%) and ${byteDiff} of ${u.length} bytes not byte-equal;`);
    console.log(`   ${within1} records (${(100 * within1 / n).toFixed(1)}%) within one quantisation step, largest difference ${maxStep} steps`);
    console.log('   (the unmerged path requantises h = A x to int8 before B; the merge folds B A in doubles.');
    console.log('   Ir include each command\'s per-record loop: eval for base and unmerged, merge --data for merged)');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
