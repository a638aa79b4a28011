// Shared helpers of the trainer tests: run the CLI and the float reference, temp files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, python, repoRoot } from '../support/paths.js';

export const cli = join(binDir, 'edge-peft');
export const floatRef = join(repoRoot, 'tools', 'float_ref', 'ref.py');
export const datasets = join(repoRoot, 'tools', 'float_ref', 'datasets.py');
export const digits = join(repoRoot, 'data', 'demo', 'digits_mlp_int8.tflite');
export const demo = (f: string): string => join(repoRoot, 'data', 'demo', f);

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'ept-'));
}

export function run(args: string[]): string {
  return execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

export function runStatus(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(cli, args, { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

export function train(args: string[]): TrainJson {
  return JSON.parse(run(['train', ...args, '--json'])) as TrainJson;
}

export function py<T>(args: string[]): T {
  return JSON.parse(
    execFileSync(python, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }),
  ) as T;
}

export interface TrainJson {
  steps: { step: number; loss: number; correct: number; accuracy: number; clip: number }[];
  train_accuracy_before: number;
  train_accuracy_after: number;
  eval_accuracy_before: number;
  eval_accuracy_after: number;
  adapter_bytes: number;
  sha256: string;
}

export interface FloatTrain {
  train_before: number;
  train_after: number;
  eval_before: number;
  eval_after: number;
}

// Synthetic "new user" set for micro_speech: class prototypes + noise (datasets.py).
export function speechSet(path: string, seed: number, n = 64): void {
  execFileSync(python, [datasets, path, '--size', '1960', '--classes', '4', '-n', String(n),
    '--seed', String(seed), '--proto-seed', '7']);
}
