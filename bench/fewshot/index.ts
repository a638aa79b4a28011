// Few-shot curves (issue 12 item 3): the demo's new user (digits pad shifted one column) with
// 1, 5, 10 and 20 labelled samples per class, for LoRA, bias and prompt adapters, each trained
// by the integer trainer (edge-peft train) and by the float reference (tools/float_ref/ref.py)
// from the same initial adapter on the same samples; held-out accuracy on user_test.bin, mean
// over three seeds (each its own draw of the samples). Prints the table and writes the plot to
// build/bench/fewshot.svg. Prints only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, python, repoRoot } from '../../host-tests/support/paths.js';
import { lineChart, type Series } from '../svg.js';

const cli = join(binDir, 'edge-peft');
const floatRef = join(repoRoot, 'tools', 'float_ref', 'ref.py');
const demo = (f: string): string => join(repoRoot, 'data', 'demo', f);
const SHOTS = [1, 5, 10, 20];
const SEEDS = [1, 2, 3];
const STEPS = 400;
const REC = 65;
const METHODS = [
  // learning rates fixed per method (one short sweep on 100 pool samples, the same for every k)
  { name: 'LoRA r4', spec: 'lora:rank=4,alpha=8,layers=0..1', lr: '0.001', color: '#1f77b4' },
  { name: 'bias', spec: 'bias:layers=0..1', lr: '0.05', color: '#2ca02c' },
  { name: 'prompt', spec: 'prompt:layers=0', lr: '0.2', color: '#d62728' },
];

/** k records per class from the pool, drawn by a seeded shuffle (xorshift32: the same on every run). */
function draw(pool: Buffer, k: number, seed: number): Buffer {
  const byClass = new Map<number, Buffer[]>();
  for (let o = 0; o + REC <= pool.length; o += REC) {
    const r = pool.subarray(o, o + REC);
    byClass.set(r[0]!, [...(byClass.get(r[0]!) ?? []), r]);
  }
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s; };
  const picked: Buffer[][] = [];
  for (const cls of [...byClass.keys()].sort((a, b) => a - b)) {
    const recs = [...byClass.get(cls)!];
    for (let i = recs.length - 1; i > 0; i--) { const j = next() % (i + 1); [recs[i], recs[j]] = [recs[j]!, recs[i]!]; }
    picked.push(recs.slice(0, k)); // a class with fewer than k in the pool gives all it has

  }
  // interleave classes so SGD in file order does not see one class at a time
  const out: Buffer[] = [];
  for (let i = 0; i < k; i++) for (const recs of picked) if (i < recs.length) out.push(recs[i]!);
  return Buffer.concat(out);
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

export async function run(): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'ep-bench-fewshot-'));
  try {
    const model = demo('digits_mlp_int8.tflite');
    const pool = readFileSync(demo('user_pool.bin'));
    console.log(`\n== few-shot: digits new user, k labelled samples per class, ${STEPS} SGD steps, held-out user_test.bin (mean +- sd over seeds ${SEEDS.join(', ')}) ==`);
    console.log('   integer trainer (edge-peft train) beside the float reference (tools/float_ref/ref.py) from the same initial adapter and samples');
    console.log('   (user_pool.bin has 18 to 30 samples per class: at k = 20 class 1 gives its 18)');
    console.log(`   learning rates: ${METHODS.map((m) => `${m.name} ${m.lr}`).join(', ')}`);
    console.log('   method     k   int acc         float acc       int gain / float gain');
    const series: Series[] = [];
    let before = NaN;
    for (const m of METHODS) {
      const intPts: [number, number][] = [];
      const floatPts: [number, number][] = [];
      for (const k of SHOTS) {
        const ints: number[] = [], floats: number[] = [], gi: number[] = [], gf: number[] = [];
        for (const seed of SEEDS) {
          const set = join(d, `k${k}s${seed}.bin`);
          writeFileSync(set, draw(pool, k, seed));
          const init = join(d, 'init.bin');
          const base = ['train', model, '--adapter', m.spec, '--seed', String(seed)];
          execFileSync(cli, [...base, '--data', set, '--steps', '0', '--out', init, '--latents-out', join(d, 'lat.bin')]);
          execFileSync(cli, [...base, '--data', demo('user_test.bin'), '--steps', '0', '--out', join(d, 'x.bin'), '--latents-out', join(d, 'elat.bin')]);
          const ours = JSON.parse(execFileSync(cli, [...base, '--data', set, '--steps', String(STEPS), '--lr', m.lr,
            '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin'), '--json'], { encoding: 'utf8' })) as { eval_accuracy_before: number; eval_accuracy_after: number };
          const ref = JSON.parse(execFileSync(python, [floatRef, 'train', model, '--init', init, '--latents', join(d, 'lat.bin'),
            '--eval-latents', join(d, 'elat.bin'), '--steps', String(STEPS), '--lr', m.lr], { encoding: 'utf8' })) as { eval_before: number; eval_after: number };
          before = ours.eval_accuracy_before;
          ints.push(ours.eval_accuracy_after);
          floats.push(ref.eval_after);
          gi.push(ours.eval_accuracy_after - ours.eval_accuracy_before);
          gf.push(ref.eval_after - ref.eval_before);
        }
        intPts.push([k, mean(ints)]);
        floatPts.push([k, mean(floats)]);
        const pct = (v: number[]) => `${(100 * mean(v)).toFixed(1)}% +- ${(100 * sd(v)).toFixed(1)}`;
        console.log(`   ${m.name.padEnd(9)} ${String(k).padStart(2)}   ${pct(ints).padEnd(15)} ${pct(floats).padEnd(15)} ${(mean(gi) / mean(gf)).toFixed(3)}`);
      }
      series.push({ label: `${m.name} (int)`, color: m.color, points: intPts }, { label: `${m.name} (float ref)`, color: m.color, points: floatPts, dashed: true });
    }
    series.push({ label: 'base model', color: '#777', points: [[SHOTS[0]!, before], [SHOTS.at(-1)!, before]], dashed: true });
    const out = join(repoRoot, 'build', 'bench');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'fewshot.svg'), lineChart({
      title: `Few-shot: new user's held-out accuracy vs labelled samples per class (${STEPS} steps)`,
      xLabel: 'labelled samples per class (log scale)', yLabel: 'held-out accuracy', xLog: true, xTicks: SHOTS,
      y: { min: 0, max: 1, step: 0.2 }, yFormat: (v) => `${Math.round(v * 100)}%`, series,
    }));
    console.log(`   base model (no adapter) ${(100 * before).toFixed(1)}%; plot: build/bench/fewshot.svg`);
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
