// Shared helpers for the engine tests: fixture models and inputs, seeded random tensors,
// one batched call of our CLI and of the TFLite Micro oracle (tools/oracle/oracle.py).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, modelsDir, python, repoRoot } from '../support/paths.js';

export const cli = join(binDir, 'edge-peft');
export const oracleScript = join(repoRoot, 'tools', 'oracle', 'oracle.py');
export const modelEditScript = join(repoRoot, 'tools', 'oracle', 'modeledit.py');
export const inputsDir = join(modelsDir, 'inputs');

export const fixtureModels = [
  'hello_world_int8',
  'micro_speech_quantized',
  'person_detect',
  'keyword_scrambled_8bit',
  'conv20',
] as const;
export type FixtureModel = (typeof fixtureModels)[number];

export function modelPath(name: string): string {
  return join(modelsDir, `${name}.tflite`);
}

export interface TensorInfo {
  shape: number[];
  dtype: 'int8' | 'int16' | 'int32' | 'uint8' | 'float32';
  bytes: number;
  scales: number[];
  zero_points: number[];
}

export interface OracleReport {
  model_bytes: number;
  input: TensorInfo;
  output: TensorInfo;
  inferences: number;
  arena: { total?: number; head?: number; tail?: number };
  variants?: Record<string, TensorInfo>;
}

const elementBytes: Record<TensorInfo['dtype'], number> = {
  int8: 1, uint8: 1, int16: 2, int32: 4, float32: 4,
};

export function elementSize(t: TensorInfo): number {
  return elementBytes[t.dtype];
}

/** A scratch directory removed by the returned function. */
export function scratchDir(prefix: string): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `ep-${prefix}-`));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs the oracle on a batch of inputs; returns its report and the raw outputs. */
export function runOracle(
  model: string, input: Uint8Array | undefined, dir: string, keepState = false,
  outputTensors: number[] = [],
): { report: OracleReport; output: Buffer; variants: Map<number, { info: TensorInfo; output: Buffer }> } {
  const args = [oracleScript, model];
  if (outputTensors.length > 0) args.push('--output-tensors', outputTensors.join(','));
  const inFile = join(dir, 'oracle-in.bin');
  const outFile = join(dir, 'oracle-out.bin');
  if (input !== undefined) {
    writeFileSync(inFile, input);
    args.push('--input', inFile, '--output', outFile);
  }
  if (keepState) args.push('--keep-state');
  const text = execFileSync(python, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const report = JSON.parse(text) as OracleReport;
  const variants = new Map<number, { info: TensorInfo; output: Buffer }>();
  for (const t of outputTensors) {
    const info = report.variants?.[String(t)];
    if (info === undefined) throw new Error(`oracle: no variant for tensor ${t}`);
    variants.set(t, { info, output: input === undefined ? Buffer.alloc(0) : readFileSync(`${outFile}.${t}`) });
  }
  return { report, output: input === undefined ? Buffer.alloc(0) : readFileSync(outFile), variants };
}

export interface CliResult { status: number | null; stdout: Buffer; stderr: string }

export function runCli(args: string[]): CliResult {
  const r = spawnSync(cli, args, { maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/**
 * Runs `edge-peft infer` on a batch of inputs; throws with its stderr if it fails. Like the
 * oracle, each input is independent (variable tensors reset) unless `keepState` streams them.
 */
export function runEngine(model: string, input: Uint8Array, dir: string, keepState = false): Buffer {
  const inFile = join(dir, 'engine-in.bin');
  const outFile = join(dir, 'engine-out.bin');
  writeFileSync(inFile, input);
  const args = ['infer', model, '--input', inFile, '--output', outFile];
  if (!keepState) args.push('--reset');
  const r = runCli(args);
  if (r.status !== 0) {
    throw new Error(`edge-peft infer ${model} exited ${String(r.status)}: ${r.stderr.trim()}`);
  }
  return readFileSync(outFile);
}

/**
 * Derives a model variant with tools/oracle/modeledit.py (retargeted output, shifted biases,
 * tensors' static batch dimension set).
 */
export function editModel(
  model: string, out: string,
  edit: { outputTensor?: number; biasShift?: number; batch?: [number, number][] },
): string {
  const args = [modelEditScript, model, '-o', out];
  for (const [t, n] of edit.batch ?? []) args.push('--batch', `${t}:${n}`);
  if (edit.outputTensor !== undefined) args.push('--output-tensor', String(edit.outputTensor));
  if (edit.biasShift !== undefined) args.push('--bias-shift', String(edit.biasShift));
  execFileSync(python, args);
  return out;
}

export interface ModelOp {
  index: number; builtin: number; output: number; shape: number[]; macs: number | null;
}
export interface ModelOps { outputs_at: number; ops: ModelOp[] }

/** Operators of subgraph 0 (from tools/oracle/modeledit.py --ops) and where outputs[0] is. */
export function modelOperators(model: string): ModelOps {
  const text = execFileSync(python, [modelEditScript, model, '--ops'], { encoding: 'utf8' });
  return JSON.parse(text) as ModelOps;
}

/** Writes a copy of `model` whose output 0 is `tensor` (same bytes otherwise). */
export function retargetOutput(model: string, outputsAt: number, tensor: number, out: string): string {
  const bytes = Buffer.from(readFileSync(model));
  bytes.writeInt32LE(tensor, outputsAt);
  writeFileSync(out, bytes);
  return out;
}

/** xorshift32: small, seeded, identical on every run. */
export class Rng {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor((this.next() / 0x100000000) * (hi - lo + 1));
  }
}

function dtypeRange(t: TensorInfo): [number, number] {
  switch (t.dtype) {
    case 'int8': return [-128, 127];
    case 'uint8': return [0, 255];
    case 'int16': return [-32768, 32767];
    case 'int32': return [-2147483648, 2147483647];
    case 'float32': throw new Error('float inputs are not generated');
  }
}

function writeElement(buf: Buffer, t: TensorInfo, i: number, v: number): void {
  switch (t.dtype) {
    case 'int8': buf.writeInt8(v, i); break;
    case 'uint8': buf.writeUInt8(v, i); break;
    case 'int16': buf.writeInt16LE(v, i * 2); break;
    case 'int32': buf.writeInt32LE(v, i * 4); break;
    case 'float32': throw new Error('float inputs are not generated');
  }
}

/**
 * `count` seeded input tensors, back to back. Mostly uniform over the dtype's range, with
 * every eighth tensor drawn from a narrow band around the zero point (realistic
 * activations) and the first two filled with the type's min and max.
 */
export function randomInputs(t: TensorInfo, count: number, seed: number): Buffer {
  const [min, max] = dtypeRange(t);
  const n = t.bytes / elementSize(t);
  const zp = t.zero_points[0] ?? 0;
  const buf = Buffer.alloc(t.bytes * count);
  const rng = new Rng(seed);
  for (let k = 0; k < count; k++) {
    const band = k % 8 === 7 ? rng.int(1, 24) : 0;
    for (let i = 0; i < n; i++) {
      let v: number;
      if (k === 0) v = min;
      else if (k === 1) v = max;
      else if (band > 0) v = Math.min(max, Math.max(min, zp + rng.int(-band, band)));
      else v = rng.int(min, max);
      writeElement(buf, t, k * n + i, v);
    }
  }
  return buf;
}

/** person.bmp / no_person.bmp: 8-bit palettized 96x96, bottom-up rows, bytes are int8. */
export function bmpInput(file: string): Buffer {
  const raw = readFileSync(join(inputsDir, file));
  const offset = raw.readUInt32LE(10);
  const width = raw.readInt32LE(18);
  const height = raw.readInt32LE(22);
  if (width !== 96 || Math.abs(height) !== 96) throw new Error(`${file}: ${width}x${height}`);
  const out = Buffer.alloc(96 * 96);
  for (let row = 0; row < 96; row++) {
    const src = height > 0 ? 95 - row : row;
    raw.copy(out, row * 96, offset + src * 96, offset + (src + 1) * 96);
  }
  return out;
}

/** A one-line CSV of integers as little-endian int16. */
export function csvInt16(file: string): Buffer {
  const values = readFileSync(join(inputsDir, file), 'utf8').trim().split(',').map(Number);
  const buf = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => buf.writeInt16LE(v, i * 2));
  return buf;
}

/** Index and values of the first difference between two output batches, for messages. */
export function firstDifference(
  expected: Buffer, got: Buffer, t: TensorInfo,
): string | undefined {
  if (expected.equals(got)) return undefined;
  if (expected.length !== got.length) {
    return `output length ${got.length} bytes, oracle ${expected.length}`;
  }
  let differing = 0;
  let first = -1;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] !== got[i]) { differing++; if (first < 0) first = i; }
  }
  const es = elementSize(t);
  const k = Math.floor(first / t.bytes);
  const el = Math.floor((first % t.bytes) / es);
  const read = (b: Buffer): number => {
    const at = k * t.bytes + el * es;
    return es === 1 ? (t.dtype === 'uint8' ? b.readUInt8(at) : b.readInt8(at))
      : es === 2 ? b.readInt16LE(at) : b.readInt32LE(at);
  };
  return `${differing} bytes differ; first at input #${k}, element ${el}: ` +
    `engine ${read(got)}, oracle ${read(expected)}`;
}

/** Seeded float32 inputs: mostly in [-3, 3], some far outside (saturating the QUANTIZE). */
export function floatInputs(t: TensorInfo, count: number, seed: number): Buffer {
  const n = t.bytes / 4;
  const rng = new Rng(seed);
  const buf = Buffer.alloc(t.bytes * count);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < n; i++) {
      const u = rng.next() / 0x100000000;
      const v = k === 0 ? 0 : k === 1 ? (i % 2 === 0 ? 1e6 : -1e6) : (u * 6 - 3) * (k % 8 === 7 ? 20 : 1);
      buf.writeFloatLE(v, (k * n + i) * 4);
    }
  }
  return buf;
}
