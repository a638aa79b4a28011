// Integer update resolution (issue 12 item 4): from lr 0.0005 to 0.01 the integer trainer's
// held-out gain is >= 95% of the float reference's (tools/float_ref/ref.py, numpy float64, same
// initial adapter, data order, steps and lr) and its seed-to-seed spread within 1.5x of float's.
// Seeds change the LoRA A draw and the stochastic rounding; float starts from the same A.
//
// Rates and alpha: the float reference (per-sample SGD) diverges above lr 0.001 on the speech
// head and above 0.002 on the digits MLP with alpha 8 (the tests' spec), so the higher rates
// run alpha 1, where float is stable; the low rates keep alpha 8. The speech set drives the frozen
// head's logits out of its int8 output range (losses of 27 nats in float, capped at 6.2 in
// int8): the reference the integer trainer is held to is the float run with the logits kept in
// that range (ref.py --int8-range), as every int8 deployment of the model sees them. The plain
// float figures are printed beside it. Figures: docs/training.md, "Numerics".
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir } from '../support/paths.js';
import { demo, digits, floatRef, FloatTrain, py, speechSet, tmp, train } from './helpers.js';

const SEEDS = 24;
const STEPS = 100;

interface Group { spec: string; lrs: string[] }
interface Task { name: string; model: string; data(d: string): { tr: string; te: string }; groups: Group[] }

const tasks: Task[] = [
  {
    name: 'speech head (speechSet, 64 + 64)',
    model: join(modelsDir, 'micro_speech_quantized.tflite'),
    data: (d) => {
      speechSet(join(d, 'tr.bin'), 1);
      speechSet(join(d, 'te.bin'), 2);
      return { tr: join(d, 'tr.bin'), te: join(d, 'te.bin') };
    },
    groups: [
      { spec: 'lora:rank=2,alpha=8,layers=-1+bias:layers=-1', lrs: ['0.0005', '0.001'] },
      { spec: 'lora:rank=2,alpha=1,layers=-1+bias:layers=-1', lrs: ['0.002', '0.005', '0.01'] },
    ],
  },
  {
    name: 'digits MLP, new user (user_pool / user_test)',
    model: digits,
    data: () => ({ tr: demo('user_pool.bin'), te: demo('user_test.bin') }),
    groups: [
      { spec: 'lora:rank=4,alpha=8,layers=0+bias:layers=0..1', lrs: ['0.0005', '0.001', '0.002'] },
      { spec: 'lora:rank=4,alpha=1,layers=0+bias:layers=0..1', lrs: ['0.005', '0.01'] },
    ],
  },
];

interface Point { task: string; spec: string; lr: string; int: number[]; ref: number[]; plain: number[] }

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]): number => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)));

function sweep(t: Task): Point[] {
  const d = tmp();
  const { tr, te } = t.data(d);
  const lat = join(d, 'lat.bin'), elat = join(d, 'elat.bin');
  const points: Point[] = [];
  const jobs: object[] = [];
  t.groups.forEach((g, gi) => {
    for (let s = 1; s <= SEEDS; ++s) {
      // step-0 adapter of this seed (its A draw) for the float run; latents once (same lowest layer)
      const init = join(d, `init${gi}_${s}.bin`);
      train([t.model, '--data', tr, '--adapter', g.spec, '--steps', '0', '--seed', String(s), '--out', init,
        ...(s === 1 && gi === 0 ? ['--latents-out', lat] : [])]);
      if (s === 1 && gi === 0) {
        train([t.model, '--data', te, '--adapter', g.spec, '--steps', '0', '--out', join(d, 'x.bin'), '--latents-out', elat]);
      }
      for (const lr of g.lrs) {
        for (const int8Range of [true, false]) {
          jobs.push({ init, latents: lat, eval_latents: elat, steps: STEPS, lr, int8_range: int8Range });
        }
      }
    }
    for (const lr of g.lrs) {
      const p: Point = { task: t.name, spec: g.spec, lr, int: [], ref: [], plain: [] };
      for (let s = 1; s <= SEEDS; ++s) {
        const o = train([t.model, '--data', tr, '--adapter', g.spec, '--steps', String(STEPS), '--seed', String(s),
          '--lr', lr, '--out', join(d, 'a.bin'), '--eval-data', te]);
        p.int.push(o.eval_accuracy_after - o.eval_accuracy_before);
      }
      points.push(p);
    }
  });
  writeFileSync(join(d, 'jobs.json'), JSON.stringify(jobs));
  const res = py<FloatTrain[]>([floatRef, 'train-many', t.model, '--jobs', join(d, 'jobs.json')]);
  // jobs are ordered group, seed, lr, (int8 range, plain); points group, lr
  let at = 0;
  for (const g of t.groups) {
    const first = points.findIndex((p) => p.spec === g.spec);
    for (let s = 1; s <= SEEDS; ++s) {
      g.lrs.forEach((_, li) => {
        const p = points[first + li]!;
        const [r, f] = [res[at]!, res[at + 1]!];
        at += 2;
        p.ref.push(r.eval_after - r.eval_before);
        p.plain.push(f.eval_after - f.eval_before);
      });
    }
  }
  return points;
}

describe('integer update resolution: lr sweep vs the float reference', function () {
  const all: Point[] = [];
  before(function () {
    for (const t of tasks) all.push(...sweep(t));
    console.log(`      ${SEEDS} seeds x ${STEPS} steps; held-out gain mean ± sd (population)`);
    for (const p of all) {
      console.log(`      ${p.task.split(' (')[0]} ${p.spec.split('+')[0]} lr ${p.lr}: int ${mean(p.int).toFixed(3)}±${sd(p.int).toFixed(3)}` +
        ` | float, int8 range ${mean(p.ref).toFixed(3)}±${sd(p.ref).toFixed(3)} (ratio ${(mean(p.int) / mean(p.ref)).toFixed(3)},` +
        ` spread x${(sd(p.int) / sd(p.ref)).toFixed(2)}) | plain float ${mean(p.plain).toFixed(3)}±${sd(p.plain).toFixed(3)}` +
        ` (ratio ${(mean(p.int) / mean(p.plain)).toFixed(3)}, spread x${(sd(p.int) / sd(p.plain)).toFixed(2)})`);
    }
  });

  for (const t of tasks) {
    for (const g of t.groups) {
      for (const lr of g.lrs) {
        it(`${t.name}, ${g.spec.split('+')[0]}, lr ${lr}: gain >= 95% of float, spread <= 1.5x`, function () {
          const p = all.find((q) => q.task === t.name && q.spec === g.spec && q.lr === lr)!;
          assert.equal(p.int.length, SEEDS);
          assert.equal(p.ref.length, SEEDS);
          assert.ok(mean(p.plain) > 0.1 && mean(p.ref) > 0.1, `float reference should adapt: ${mean(p.plain)} / ${mean(p.ref)}`);
          assert.ok(mean(p.int) >= 0.95 * mean(p.ref), `int gain ${mean(p.int)} vs float ${mean(p.ref)}`);
          assert.ok(sd(p.int) <= 1.5 * sd(p.ref), `int spread ${sd(p.int)} vs float ${sd(p.ref)}`);
        });
      }
    }
  }
});
