// Oracle checks shared by the full fine-tune and bottleneck adapter tests: gradients and
// convergence against the numpy float reference, untrained outputs against TFLite Micro.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { demo, digits, floatRef, FloatTrain, py, run, tmp, train, TrainJson } from './helpers.js';

export interface GradCos { step: number; cosine: number; per_tensor: number[]; loss: number; saturated: boolean }

export function gradCosines(model: string, data: string, spec: string, steps: number, lr: string): GradCos[] {
  const d = tmp();
  train([model, '--data', data, '--adapter', spec, '--steps', String(steps), '--seed', '3',
    '--lr', lr, '--out', join(d, 'a.bin'), '--grad-dump', join(d, 'g.jsonl'), '--latents-out', join(d, 'lat.bin')]);
  return py<GradCos[]>([floatRef, 'grads', model, '--dump', join(d, 'g.jsonl'), '--latents', join(d, 'lat.bin')]);
}

// as gradients.test.ts: compared where the gradient is above the int8 softmax's resolution
// (float loss >= 0.05) and the frozen logits stay in the int8 range
export function checkCosines(cos: GradCos[]): void {
  const live = cos.filter((c) => c.loss >= 0.05 && !c.saturated);
  assert.ok(live.length >= cos.length / 2, `too few comparable steps: ${live.length}/${cos.length}`);
  for (const c of live) assert.ok(c.cosine >= 0.99, `step ${c.step}: cosine ${c.cosine} loss ${c.loss} ${c.per_tensor}`);
}

// integer trainer and float reference from the same step-0 adapter, same data order, steps, lr
export function convergence(spec: string, steps: number, lr: string): { gi: number; gf: number; ours: TrainJson; ref: FloatTrain } {
  const d = tmp();
  train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '0', '--out', join(d, 'init.bin'),
    '--latents-out', join(d, 'lat.bin')]);
  train([digits, '--data', demo('user_test.bin'), '--adapter', spec, '--steps', '0', '--out', join(d, 'x.bin'),
    '--latents-out', join(d, 'elat.bin')]);
  const ours = train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', String(steps), '--seed', '1',
    '--lr', lr, '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin')]);
  const ref = py<FloatTrain>([floatRef, 'train', digits, '--init', join(d, 'init.bin'), '--latents', join(d, 'lat.bin'),
    '--eval-latents', join(d, 'elat.bin'), '--steps', String(steps), '--lr', lr]);
  return { gi: ours.eval_accuracy_after - ours.eval_accuracy_before, gf: ref.eval_after - ref.eval_before, ours, ref };
}

// eval outputs of the digits test set with the step-0 adapter of `spec`, against TFLite Micro
export function untrainedEqualsTflm(spec: string): void {
  const d = tmp();
  train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '0', '--out', join(d, 'a.bin')]);
  const recs = readFileSync(demo('user_test.bin'));
  const inputs = Buffer.alloc((recs.length / 65) * 64);
  for (let r = 0; r < recs.length / 65; r++) recs.copy(inputs, r * 64, r * 65 + 1, r * 65 + 65);
  writeFileSync(join(d, 'in.bin'), inputs);
  run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(d, 'a.bin'), '--outputs', join(d, 'ours.bin')]);
  execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), digits, '--input', join(d, 'in.bin'),
    '--output', join(d, 'tflm.bin')]);
  const ours = readFileSync(join(d, 'ours.bin'));
  assert.equal(ours.length, 240 * 10);
  assert.ok(ours.equals(readFileSync(join(d, 'tflm.bin'))), spec);
}

// a fresh session that imports the exported adapter reproduces the outputs at the end of training
export function importEqualsTrained(spec: string): Buffer {
  const d = tmp();
  const j = train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '300', '--seed', '2',
    '--momentum', '0.9', '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin'), '--outputs', join(d, 'trained.bin')]);
  run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(d, 'a.bin'), '--outputs', join(d, 'imported.bin')]);
  const a = readFileSync(join(d, 'trained.bin'));
  assert.ok(a.length === 2400 && a.equals(readFileSync(join(d, 'imported.bin'))), spec);
  const bytes = readFileSync(join(d, 'a.bin'));
  assert.equal(bytes.length, j.adapter_bytes);
  return bytes;
}

// EPCK: N steps, checkpoint, resume M steps == N + M uninterrupted (momentum on), byte for byte;
// and M steps from scratch differ (the checkpoint carries the state)
export function resumeExact(spec: string): void {
  const d = tmp();
  const base = ['--data', demo('user_pool.bin'), '--adapter', spec, '--seed', '4', '--lr', '0.003', '--momentum', '0.5'];
  train([digits, ...base, '--steps', '100', '--out', join(d, 'full.bin')]);
  train([digits, ...base, '--steps', '60', '--out', join(d, 'a.bin'), '--checkpoint-out', join(d, 'c.ck')]);
  train([digits, ...base, '--steps', '40', '--resume', join(d, 'c.ck'), '--out', join(d, 'b.bin')]);
  train([digits, ...base, '--steps', '40', '--out', join(d, 'x.bin')]);
  const full = readFileSync(join(d, 'full.bin'));
  assert.ok(full.equals(readFileSync(join(d, 'b.bin'))), `${spec}: resumed run differs`);
  assert.ok(!full.equals(readFileSync(join(d, 'x.bin'))), `${spec}: 40 fresh steps equal 100`);
}
