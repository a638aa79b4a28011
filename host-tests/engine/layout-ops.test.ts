// Data-layout operators against the TFLite Micro oracle (issue 11): tools/oracle/layoutmodels.py
// writes SHAPE / PACK / UNPACK / GATHER / SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND / TRANSPOSE /
// SUM / TRANSPOSE_CONV / UNIDIRECTIONAL_SEQUENCE_LSTM models and float32 model edges
// (QUANTIZE from, DEQUANTIZE to float32), alone and in the converter's chains (Flatten with a dynamic batch, a dilated
// "same" convolution); each runs on 100 seeded inputs in our engine and in the oracle and the
// outputs must be equal byte for byte (TFLM's SPACE_TO_BATCH_ND padding is an uninitialised
// byte: ours must be the zero point there, and a dilated chain is checked against TFLM's own
// dilated CONV_2D on the same tensors). The shape chain must cost nothing at invoke: it is
// folded at prepare, so the dynamic-batch Flatten plans the activation bytes of the same model
// with a batch-1 RESHAPE.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import {
  firstDifference, randomInputs, Rng, runCli, runEngine, runOracle, scratchDir, type TensorInfo,
} from './harness.js';

const INPUTS = 100;
const generator = join(repoRoot, 'tools', 'oracle', 'layoutmodels.py');
const oracle = join(repoRoot, 'tools', 'oracle', 'oracle.py');

interface Input {
  shape: number[]; dtype: TensorInfo['dtype']; zero_point: number | null; high?: number;
  float_range?: [number, number];
}
interface Case {
  name: string; op: string; file: string; inputs: Input[];
  refused?: string; tflm_refuses?: boolean;
  /** int8 output elements TFLM leaves undefined (SPACE_TO_BATCH_ND padding); ours must be this. */
  undefined_at?: number[]; undefined_value?: number;
  /** A model whose TFLM output is the expected one (a dilated chain's direct CONV_2D). */
  reference?: string;
}

const bytesOf: Record<string, number> = { int8: 1, int16: 2, int32: 4, float32: 4 };

function seedOf(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** int32 positions in [0, high): TFLM does not check them (out of range is undefined there). */
function positions(t: Input, bytes: number, seed: number): Buffer {
  const rng = new Rng(seed);
  const buf = Buffer.alloc(bytes * INPUTS);
  for (let i = 0; i < buf.length / 4; i++) buf.writeInt32LE(rng.int(0, (t.high ?? 1) - 1), i * 4);
  return buf;
}

/** float32 inputs over twice the quantisation range (so some clamp), with zeros, signed
 * zeros and large values mixed in: all with x / scale inside int32, where TFLM's
 * static_cast<int32_t>(round(x / scale)) is defined (beyond, see the saturation test). */
function floats(t: Input, bytes: number, seed: number): Buffer {
  const [lo, hi] = t.float_range ?? [-1, 1];
  const rng = new Rng(seed);
  const special = [0, -0, lo, hi, 1e3 * hi, 1e3 * lo, 2 * hi, 2 * lo];
  const buf = Buffer.alloc(bytes * INPUTS);
  for (let i = 0; i < buf.length / 4; i++) {
    const v = rng.int(0, 15) === 0 ? special[rng.int(0, special.length - 1)]
      : 2 * lo + (rng.next() / 0x100000000) * 2 * (hi - lo);
    buf.writeFloatLE(v, i * 4);
  }
  return buf;
}

function batchFor(c: Case): Buffer {
  const per = c.inputs.map((t, i) => {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * (bytesOf[t.dtype] ?? 1);
    const info: TensorInfo = { shape: t.shape, dtype: t.dtype, scales: [1], zero_points: [t.zero_point ?? 0], bytes };
    const seed = seedOf(`${c.name}/${i}`);
    const data = t.high !== undefined ? positions(t, bytes, seed)
      : t.dtype === 'float32' ? floats(t, bytes, seed) : randomInputs(info, INPUTS, seed);
    return { bytes, data };
  });
  const parts: Buffer[] = [];
  for (let k = 0; k < INPUTS; k++) {
    for (const p of per) parts.push(p.data.subarray(k * p.bytes, (k + 1) * p.bytes));
  }
  return Buffer.concat(parts);
}

interface Plan { arena_bytes: number; persistent_bytes: number; activation_bytes: number }

function plan(model: string): Plan {
  const r = runCli(['plan', model, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.toString('utf8')) as Plan;
}

describe('data-layout operators vs TFLite Micro (byte for byte)', function () {
  this.timeout(300_000);
  const scratch = scratchDir('layout');
  const cases = JSON.parse(execFileSync(python, [generator, scratch.dir], { encoding: 'utf8' })) as Case[];
  after(() => scratch.done());

  it('covers every new operator', () => {
    const ops = new Set(cases.filter((c) => c.refused === undefined).map((c) => c.op));
    for (const op of ['SHAPE', 'STRIDED_SLICE', 'PACK', 'UNPACK', 'GATHER', 'SPACE_TO_BATCH_ND',
      'BATCH_TO_SPACE_ND', 'TRANSPOSE', 'SUM', 'QUANTIZE', 'DEQUANTIZE', 'TRANSPOSE_CONV',
      'UNIDIRECTIONAL_SEQUENCE_LSTM']) {
      assert.ok(ops.has(op), `no model for ${op}`);
    }
  });

  for (const c of cases.filter((k) => k.refused === undefined)) {
    it(`${c.op}: ${c.name}`, () => {
      const batch = batchFor(c);
      const { report, output } = runOracle(c.reference ?? c.file, batch, scratch.dir);
      assert.equal(report.inferences, INPUTS);
      const got = runEngine(c.file, batch, scratch.dir);
      assert.equal(got.length, output.length, 'output bytes');
      const undefinedAt = c.undefined_at ?? [];
      if (undefinedAt.length > 0) {
        // padding: ours is the zero point; TFLM's byte is whatever its arena held, so it
        // takes ours before the comparison of everything else
        const per = report.output.bytes;
        for (let k = 0; k < INPUTS; k++) {
          for (const i of undefinedAt) {
            assert.equal(got.readInt8(k * per + i), c.undefined_value, `padding at ${i}, input #${k}`);
            output[k * per + i] = got[k * per + i];
          }
        }
      }
      const diff = firstDifference(output, got, report.output);
      assert.equal(diff, undefined, `${c.name}: ${diff ?? ''}`);
    });
  }

  for (const c of cases.filter((k) => k.refused !== undefined)) {
    it(`${c.op}: ${c.name} is refused${c.tflm_refuses === true ? ' (as by TFLM)' : ''}`, () => {
      const input = join(scratch.dir, 'refused-in.bin');
      writeFileSync(input, Buffer.alloc(0));
      const r = runCli(['plan', c.file]);
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

  it('every model, corrupted (truncations, byte flips, structural fields), under ASan + UBSan', function () {
    // native/fuzz's driver, as corrupt.test.ts runs it on the fixture models: each case ends
    // in an error status or a valid run; a crash or a sanitizer report fails
    execFileSync('make', ['-s', '-j2', 'fuzz-asan'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    let ran = 0;
    for (const c of cases) {
      const fields = join(scratch.dir, `${c.name}.fields`);
      writeFileSync(fields, execFileSync(python, [join(repoRoot, 'native', 'fuzz', 'fbfields.py'), c.file]));
      const r = spawnSync(join(repoRoot, 'build', 'fuzz', 'fuzz-corrupt'), [c.file, '--truncations', '8',
        '--flips', '200', '--seed', '20261207', '--fields', fields],
      { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      const tail = r.stderr.split('\n').slice(-20).join('\n');
      assert.equal(r.signal, null, `${c.name}: killed by ${String(r.signal)}:\n${tail}`);
      assert.doesNotMatch(r.stderr, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: /, `${c.name}:\n${tail}`);
      assert.equal(r.status, 0, `${c.name}:\n${tail}`);
      const report = JSON.parse(r.stdout) as { pristine_ok: boolean; flip: { ran: number } };
      ran += report.flip.ran;
      // runtime GATHER positions are random in the driver, so out of range: an invoke error
      const runs = c.refused === undefined && c.inputs.every((t) => t.high === undefined);
      assert.equal(report.pristine_ok, runs, `${c.name}: pristine outcome`);
    }
    assert.ok(ran > 100, `only ${ran} corrupted models ran`);
  });

  it('a GATHER position outside the table at invoke is an error, not a read', () => {
    const c = cases.find((k) => k.name === 'gather_embedding_runtime_positions');
    assert.ok(c !== undefined);
    const table = randomInputs({ shape: c.inputs[0].shape, dtype: 'int8', scales: [1], zero_points: [0], bytes: 40 }, 1, 7);
    for (const bad of [10, -1]) {
      const pos = Buffer.alloc(24);
      for (let i = 0; i < 6; i++) pos.writeInt32LE(i === 3 ? bad : i, i * 4);
      const input = join(scratch.dir, 'bad-pos.bin');
      writeFileSync(input, Buffer.concat([table, pos]));
      const r = runCli(['infer', c.file, '--input', input, '--output', join(scratch.dir, 'bad-out.bin')]);
      assert.equal(r.status, 1, `position ${bad}: exit ${String(r.status)} ${r.stderr}`);
      assert.ok(r.stderr.includes('EP_ERR_ARG'), r.stderr.trim());
    }
  });

  it('LSTM state (int8 and 16x8) carries over invokes as in TFLM (100 samples streamed, no reset)', () => {
    for (const name of ['lstm_batch2_t4_clip', 'lstm_time_major_batch3',
      'lstm16x8_batch2_t4_clip_bias_at_4', 'lstm16x8_time_major_batch3']) {
      const c = cases.find((k) => k.name === name);
      assert.ok(c !== undefined);
      const batch = batchFor(c);
      const { report, output } = runOracle(c.file, batch, scratch.dir, true);
      const got = runEngine(c.file, batch, scratch.dir, true);
      assert.equal(firstDifference(output, got, report.output), undefined, name);
      // and the state matters: a reset before each sample gives other bytes
      assert.notDeepEqual(runEngine(c.file, batch, scratch.dir, false), got, `${name}: state unused`);
    }
  });

  it('QUANTIZE from float32 saturates where TFLM\'s int32 cast is undefined', () => {
    const c = cases.find((k) => k.name === 'quantize_f32_int8');
    assert.ok(c !== undefined);
    const n = c.inputs[0].shape.reduce((a, b) => a * b, 1);
    const values = [1e30, -1e30, Infinity, -Infinity, NaN, 3e9, -3e9];
    const want = [127, -128, 127, -128, -128, 127, -128];
    const buf = Buffer.alloc(n * 4);
    for (let i = 0; i < n; i++) buf.writeFloatLE(values[i % values.length], i * 4);
    const got = runEngine(c.file, buf, scratch.dir);
    for (let i = 0; i < n; i++) assert.equal(got.readInt8(i), want[i % values.length], `x = ${values[i % values.length]}`);
  });

  it('the dynamic-batch shape chain is folded: no activation bytes, nothing kept for it', () => {
    const c = cases.find((k) => k.name === 'flatten_dynamic_batch_dense');
    assert.ok(c !== undefined);
    const p = plan(c.file);
    // input 48 + flattened alias + output 6, no bytes for SHAPE / STRIDED_SLICE / PACK outputs
    assert.equal(p.activation_bytes, 56);
    const withOutput = cases.find((k) => k.name === 'shape_slice_pack_as_output');
    assert.ok(withOutput !== undefined);
    // the folded PACK is the model output, so its 16 bytes are kept in persistent memory; the
    // SHAPE and STRIDED_SLICE values it came from are not
    const q = plan(withOutput.file);
    assert.equal(q.activation_bytes, 16); // the input only
    assert.ok(q.persistent_bytes > 0);
    // the same CNN with a batch-1 RESHAPE instead of the chain: the same activation bytes,
    // and both arenas below TFLM's
    execFileSync(python, [generator, '--train', scratch.dir]);
    const [dyn, stat] = ['dynamic', 'static'].map((t) => join(scratch.dir, `train_flatten_${t}.tflite`));
    assert.equal(plan(dyn).activation_bytes, plan(stat).activation_bytes);
    for (const m of [dyn, stat]) {
      const tflm = runOracle(m, undefined, scratch.dir).report.arena.total ?? 0;
      assert.ok(plan(m).arena_bytes < tflm, `${m}: ${plan(m).arena_bytes} >= TFLM ${tflm}`);
    }
  });
});
