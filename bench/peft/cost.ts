// bench/peft: what a training step costs besides instructions. callgrind's cache simulation
// counts data reads and writes (Dr / Dw, x86-64 gcc -O2: an estimate of the target's, not the
// target's); the MACs come from the layer dimensions (an analytic count of the algorithm's
// multiply-accumulates, not counted in the code).
import { spawnSync } from 'node:child_process';

export interface Counts { ir: number; dr: number; dw: number }

// One callgrind run; with cache the events are Ir Dr Dw I1mr ... (Dr/Dw NaN without it).
export function callgrind(bin: string, args: string[], out: string, opts: { toggle?: string; cache?: boolean } = {}): Counts {
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, ...(opts.cache ? ['--cache-sim=yes'] : []),
    ...(opts.toggle ? [`--toggle-collect=${opts.toggle}`] : []), bin, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /Collected : ([\d ]+)/.exec(r.stderr);
  const n = m ? m[1]!.trim().split(/\s+/).map(Number) : [];
  return { ir: n[0] ?? NaN, dr: opts.cache ? (n[1] ?? NaN) : NaN, dw: opts.cache ? (n[2] ?? NaN) : NaN };
}

export interface PlanOp { macs: number }
export interface TrainLayer { op: number; in: number; out: number }

// MACs of one training step (batch 1): the forward of the whole model plus the adapter's side
// path, the input gradient back through every operator above the lowest trained layer (the
// base path only; a prompt also needs it through its own layer), and each layer's parameter
// gradients. Per trained layer with P positions (1 for FC, H x W for a 1x1 conv), in, out:
//   LoRA rank r:     forward + P r (in + out); gradients of B and A and B^T g: P r (in + 2 out)
//   adapter width w: forward + 2 P w out; gradients of U, D and both input gradients: 4 P w out
//   full:            gradient of W: P in out
//   bias, prompt:    no multiply-accumulate beyond the input gradient
export function stepMacs(spec: string, ops: PlanOp[], layers: TrainLayer[]): number {
  const kind = spec.split(':')[0]!;
  const num = (key: string, dflt: number): number => Number(new RegExp(`${key}=(\\d+)`).exec(spec)?.[1] ?? dflt);
  const r = num('rank', 4), w = num('width', 8);
  const lowest = Math.min(...layers.map((l) => l.op));
  let macs = ops.reduce((a, o) => a + o.macs, 0);
  ops.forEach((o, i) => { if (i > lowest || (kind === 'prompt' && i === lowest)) macs += o.macs; });
  for (const l of layers) {
    const p = Math.max(1, Math.round(ops[l.op]!.macs / (l.in * l.out)));
    if (kind === 'lora') macs += p * r * (l.in + l.out) + p * r * (l.in + 2 * l.out);
    else if (kind === 'adapter') macs += 2 * p * w * l.out + 4 * p * w * l.out;
    else if (kind === 'full') macs += p * l.in * l.out;
  }
  return macs;
}
