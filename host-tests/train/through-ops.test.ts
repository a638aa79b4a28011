// Training through what users put before their head (issue 11): Keras GlobalAveragePooling2D
// (MEAN over H and W) and activations as their own operators (TANH, LOGISTIC, RELU, RELU6,
// LEAKY_RELU, HARD_SWISH) between an adapted 1x1 CONV_2D and an adapted Dense head
// (tools/oracle/trainnets.py). Oracles: the TFLite Micro interpreter (with zero adapters the
// trainer's forward gives TFLM's bytes) and the numpy float reference (tools/float_ref/ref.py:
// gradient cosine every step, overall and on the conv's bias, whose gradient is the one
// through the operator alone).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { datasets, floatRef, py, tmp, train } from './helpers.js';

const SPEC = 'lora:rank=2,alpha=4,layers=-2..-1+bias:layers=-2..-1';
const INPUT = 48; // [1, 4, 4, 3]

interface GradCos { step: number; cosine: number; per_tensor: number[]; loss: number; saturated: boolean }

export function throughOps(kinds: string[]): void {
  const dir = tmp();
  const models = JSON.parse(execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'trainnets.py'), dir],
    { encoding: 'utf8' })) as Record<string, string>;
  const data = join(dir, 'd.bin');
  execFileSync(python, [datasets, data, '--size', String(INPUT), '--classes', '4', '-n', '64', '--seed', '3',
    '--proto-seed', '7']);
  const recs = readFileSync(data);
  const n = recs.length / (INPUT + 1);
  const inputs = Buffer.alloc(n * INPUT);
  for (let r = 0; r < n; r++) recs.copy(inputs, r * INPUT, r * (INPUT + 1) + 1, (r + 1) * (INPUT + 1));
  writeFileSync(join(dir, 'in.bin'), inputs);

  for (const kind of kinds) {
    const model = models[kind];
    describe(`training through ${kind}`, function () {
      this.timeout(300_000);
      assert.ok(model !== undefined, kind);

      it('with zero adapters the trainer\'s forward equals TFLite Micro byte for byte', () => {
        const d = tmp();
        train([model, '--data', data, '--adapter', SPEC, '--steps', '0', '--out', join(d, 'a.bin'),
          '--eval-data', data, '--outputs', join(d, 'ours.bin')]);
        execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), model, '--input',
          join(dir, 'in.bin'), '--output', join(d, 'tflm.bin')]);
        const ours = readFileSync(join(d, 'ours.bin'));
        assert.equal(ours.length, n * 4);
        assert.ok(ours.equals(readFileSync(join(d, 'tflm.bin'))));
      });

      it('gradients into the conv below it: cosine >= 0.99 vs the float reference every step', () => {
        const d = tmp();
        train([model, '--data', data, '--adapter', SPEC, '--steps', '16', '--seed', '3', '--lr', '0.01',
          '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'), '--latents-out', join(d, 'lat.bin')]);
        const cos = py<GradCos[]>([floatRef, 'grads', model, '--dump', join(d, 'g.jsonl'), '--latents',
          join(d, 'lat.bin')]);
        assert.equal(cos.length, 16);
        const live = cos.filter((c) => !c.saturated);
        assert.ok(live.length >= 12, `${live.length} comparable steps`);
        for (const c of live) {
          assert.ok(c.cosine >= 0.99, `step ${c.step}: cosine ${c.cosine} ${c.per_tensor.join(' ')}`);
          // the conv's bias (the dump lists the head's B, A, bias, then the conv's) is the
          // gradient through the op itself, alone: a zero or wrong one gives a cosine near 0
          assert.ok((c.per_tensor[5] ?? 0) >= 0.99, `step ${c.step}: ${c.per_tensor.join(' ')}`);
        }
      });

      if (!['relu', 'relu6', 'leaky_relu'].includes(kind)) {
        // (the kinked ones differ by design: without kept accumulator signs the step at 0
        // takes the mean slope, prepare.c)
        it('recomputing activations gives the adapter that keeping them gives', () => {
          const d = tmp();
          const sha = ['', '+recompute:on'].map((rc) => train([model, '--data', data, '--adapter', SPEC + rc,
            '--steps', '50', '--seed', '5', '--lr', '0.1', '--out', join(d, `a${rc}.bin`)]).sha256);
          assert.equal(sha[0], sha[1]);
        });
      }

      it('trains: the new classes are learnt from chance', () => {
        const d = tmp();
        // the activation models' softmax runs at beta 0.25 (trainnets.py): a larger rate
        const j = train([model, '--data', data, '--adapter', SPEC, '--steps', '200', '--seed', '5',
          '--lr', kind === 'mean' ? '0.05' : '0.2', '--out', join(d, 'a.bin')]);
        assert.ok(j.train_accuracy_before <= 0.5, `before ${j.train_accuracy_before}`);
        assert.ok(j.train_accuracy_after > 0.9, `after ${j.train_accuracy_after}`);
        assert.ok(j.train_accuracy_after - j.train_accuracy_before >= 0.4, 'gain');
      });
    });
  }
}

throughOps(['mean', 'tanh', 'logistic', 'relu', 'relu6', 'leaky_relu', 'hard_swish']);
