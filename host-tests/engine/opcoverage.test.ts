// Operator coverage against the TFLite Micro oracle: tools/oracle/opmodels.py writes tiny
// single-operator int8 models (every implemented operator and its variants: padding, stride,
// dilation, fused activations, per-tensor / per-channel weights, depth multiplier, softmax
// beta and int16 output, QUANTIZE type pairs, broadcasting ADD / MUL, PAD, CONCATENATION,
// STRIDED_SLICE, the int8 activations LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH,
// broadcasting SUB / MAXIMUM / MINIMUM, EXPAND_DIMS, SQUEEZE, MEAN, and the 16x8 variants of
// tools/oracle/s16models.py: FULLY_CONNECTED, DEPTHWISE_CONV_2D, pools, ADD, MUL, RESHAPE, MEAN, SUM with
// int64 / int32 / absent biases, some at 4-aligned offsets); each runs on 100 seeded
// inputs in our engine and in the oracle, and the
// outputs must be equal byte for byte. The fixture models never exercise most of these.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import {
  firstDifference, randomInputs, runCli, runEngine, runOracle, scratchDir, type TensorInfo,
} from './harness.js';

const INPUTS = 100;
const generator = join(repoRoot, 'tools', 'oracle', 'opmodels.py');
const oracle = join(repoRoot, 'tools', 'oracle', 'oracle.py');

interface Case {
  name: string;
  op: string;
  file: string;
  inputs: { shape: number[]; dtype: TensorInfo['dtype']; zero_point: number }[];
  /** The engine refuses this model at init with a message containing this text. */
  refused?: string;
  /** ... and so does TFLM (otherwise the engine is stricter: a MEAN output off keep_dims: opmodels.shape_reduce_refused_cases; a non-zero int16 DEPTHWISE_CONV_2D zero point: s16models.refused_cases). */
  tflm_refuses?: boolean;
}

const bytesOf: Record<string, number> = { int8: 1, int16: 2, int32: 4 };

function seedOf(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** INPUTS samples, each all of the model's inputs back to back (the CLI and oracle contract). */
function batchFor(c: Case): Buffer {
  const per = c.inputs.map((t, i) => {
    const info: TensorInfo = {
      shape: t.shape, dtype: t.dtype, scales: [1], zero_points: [t.zero_point],
      bytes: t.shape.reduce((a, b) => a * b, 1) * (bytesOf[t.dtype] ?? 1),
    };
    return { info, data: randomInputs(info, INPUTS, seedOf(`${c.name}/${i}`)) };
  });
  const parts: Buffer[] = [];
  for (let k = 0; k < INPUTS; k++) {
    for (const p of per) parts.push(p.data.subarray(k * p.info.bytes, (k + 1) * p.info.bytes));
  }
  return Buffer.concat(parts);
}

describe('operator coverage: single-op models vs TFLite Micro (byte for byte)', function () {
  this.timeout(300_000);
  const scratch = scratchDir('opcov');
  const cases = JSON.parse(
    execFileSync(python, [generator, scratch.dir], { encoding: 'utf8' }),
  ) as Case[];
  after(() => scratch.done());

  it('covers every implemented operator', () => {
    const ops = new Set(cases.filter((c) => c.refused === undefined).map((c) => c.op));
    for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'AVERAGE_POOL_2D',
      'MAX_POOL_2D', 'SOFTMAX', 'QUANTIZE', 'ADD', 'MUL', 'PAD', 'CONCATENATION',
      'STRIDED_SLICE', 'LOGISTIC', 'TANH', 'RELU', 'RELU6', 'LEAKY_RELU', 'HARD_SWISH',
      // shape / reduce operators
      'SUB', 'MAXIMUM', 'MINIMUM', 'EXPAND_DIMS', 'SQUEEZE', 'MEAN']) {
      assert.ok(ops.has(op), `no model for ${op}`);
    }
  });

  it('covers the 16x8 variants TFLite Micro has (int16 activations)', () => {
    const ops16 = new Set(cases.filter((c) => c.refused === undefined && c.inputs[0]?.dtype === 'int16')
      .map((c) => c.op));
    for (const op of ['CONV_2D', 'FULLY_CONNECTED', 'DEPTHWISE_CONV_2D', 'AVERAGE_POOL_2D',
      'MAX_POOL_2D', 'ADD', 'SUB', 'MUL', 'SOFTMAX', 'LOGISTIC', 'TANH', 'RELU', 'RELU6',
      'LEAKY_RELU', 'MAXIMUM', 'MINIMUM', 'PAD', 'RESHAPE', 'QUANTIZE', 'MEAN', 'SUM']) {
      assert.ok(ops16.has(op), `no int16 model for ${op}`);
    }
  });

  for (const c of cases.filter((k) => k.refused !== undefined)) {
    it(`${c.op}: ${c.name} is refused${c.tflm_refuses === true ? ' (as by TFLM)' : ''}`, () => {
      const batch = batchFor(c);
      const input = join(scratch.dir, 'refused-in.bin');
      writeFileSync(input, batch);
      const r = runCli(['infer', c.file, '--input', input, '--output', join(scratch.dir, 'refused-out.bin')]);
      assert.notEqual(r.status, 0, 'exit status');
      assert.notEqual(r.status, null, 'killed by a signal');
      assert.ok(r.stderr.includes(c.refused ?? ''), `stderr was: ${r.stderr.trim()}`);
      if (c.tflm_refuses === true) {
        const o = spawnSync(python, [oracle, c.file], { encoding: 'utf8' });
        assert.notEqual(o.status, 0, 'TFLM runs it');
        assert.ok(o.stderr.includes('failed to allocate tensors'), o.stderr.trim());
      }
    });
  }

  for (const c of cases.filter((k) => k.refused === undefined)) {
    it(`${c.op}: ${c.name}`, () => {
      const batch = batchFor(c);
      const { report, output } = runOracle(c.file, batch, scratch.dir);
      assert.equal(report.inferences, INPUTS);
      const got = runEngine(c.file, batch, scratch.dir);
      const diff = firstDifference(output, got, report.output);
      assert.equal(diff, undefined, `${c.name}: ${diff ?? ''}`);
    });
  }
});
