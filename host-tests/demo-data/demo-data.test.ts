// The committed demo data (data/demo/, made by tools/demo-data/prepare.py) is consistent and
// means what its README says: the int8 base model runs in TFLite Micro, is good on the
// population and clearly worse on the new user, and the sensor stream turns into exactly the
// user's pool samples through the firmware's own quantiser. Needs only .venv (no scikit-learn).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quantizeToInt8 } from '../../firmware/features/quantize.js';
import { repoRoot } from '../support/paths.js';
import { runPythonJson } from '../support/python.js';

const dataDir = join(repoRoot, 'data', 'demo');
const PIXELS = 64;
const RECORD = 1 + PIXELS; // SAMPLES.bin: uint8 label + 64 int8 inputs

// Floors, not the measured figures (pop 0.97, user 0.41): a regenerated set must stay a
// good base model with a real shift, but need not reproduce the exact numbers.
const POPULATION_FLOOR = 0.9;
const MIN_USER_DROP = 0.25;

interface Report {
  identifier: string;
  input: { scale: number; zeroPoint: number; shape: number[] };
  output: { scale: number; zeroPoint: number; shape: number[] };
  counts: Record<string, number>;
  int8: { population: number; user: number };
  float: { population: number; user: number };
}

// Runs each SAMPLES.bin through the interpreter one record at a time, as the device would.
const checkScript = `
import json
import numpy as np
from tflite_micro.python.tflite_micro import runtime
d = ${JSON.stringify(dataDir)}
model = open(d + '/digits_mlp_int8.tflite', 'rb').read()
it = runtime.Interpreter.from_bytes(model)
inp, out = it.get_input_details(0), it.get_output_details(0)
s_in = float(inp['quantization_parameters']['scales'][0])
zp_in = int(inp['quantization_parameters']['zero_points'][0])
def load(name):
    r = np.frombuffer(open(d + '/' + name, 'rb').read(), np.uint8).reshape(-1, 65)
    return r[:, 1:].view(np.int8), r[:, 0].astype(np.int64)
def int8_acc(x, y):
    hits = 0
    for row, label in zip(x, y):
        it.set_input(row.reshape(1, 64), 0); it.invoke()
        hits += int(np.argmax(it.get_output(0)) == label)
    return hits / len(y)
z = np.load(d + '/mlp_float.npz')
def float_acc(x, y):
    real = (x.astype(np.float64) - zp_in) * s_in
    h = np.maximum(real @ z['w1'].astype(np.float64).T + z['b1'], 0)
    return float(((h @ z['w2'].astype(np.float64).T + z['b2']).argmax(1) == y).mean())
sets = {n: load(n + '.bin') for n in ('population_test', 'population_replay', 'user_pool', 'user_test')}
print(json.dumps({
  'identifier': model[4:8].decode('latin1'),
  'input': {'scale': s_in, 'zeroPoint': zp_in, 'shape': inp['shape'].tolist()},
  'output': {'scale': float(out['quantization_parameters']['scales'][0]),
             'zeroPoint': int(out['quantization_parameters']['zero_points'][0]), 'shape': out['shape'].tolist()},
  'counts': {n: int(len(v[1])) for n, v in sets.items()},
  'int8': {'population': int8_acc(*sets['population_test']), 'user': int8_acc(*sets['user_test'])},
  'float': {'population': float_acc(*sets['population_test']), 'user': float_acc(*sets['user_test'])},
}))
`;

function read(name: string): Buffer {
  return readFileSync(join(dataDir, name));
}

function records(name: string): { labels: Uint8Array; inputs: Int8Array } {
  const b = read(name);
  assert.equal(b.length % RECORD, 0, `${name}: ${b.length} bytes is not whole ${RECORD}-byte records`);
  const n = b.length / RECORD;
  const labels = new Uint8Array(n);
  const inputs = new Int8Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    labels[i] = b[i * RECORD];
    inputs.set(new Int8Array(b.buffer, b.byteOffset + i * RECORD + 1, PIXELS), i * PIXELS);
  }
  return { labels, inputs };
}

describe('demo-data (data/demo)', function () {
  this.timeout(60_000);
  let report: Report;

  before(() => {
    report = runPythonJson<Report>(checkScript);
  });

  it('holds a fully int8 64-in, 10-class model with the int8 softmax output convention', () => {
    assert.equal(report.identifier, 'TFL3');
    assert.deepEqual(report.input.shape, [1, PIXELS]);
    assert.deepEqual(report.output.shape, [1, 10]);
    assert.equal(report.output.scale, 1 / 256);
    assert.equal(report.output.zeroPoint, -128);
    // Raw pad intensities 0..16 map onto the full int8 range.
    assert.ok(Math.abs(report.input.scale - 16 / 255) < 1e-7, `input scale ${report.input.scale}`);
    assert.equal(report.input.zeroPoint, -128);
  });

  it('is accurate on the population and clearly worse on the new user (the shift is real)', () => {
    const { int8, float } = report;
    assert.ok(int8.population >= POPULATION_FLOOR, `int8 population accuracy ${int8.population}`);
    assert.ok(float.population - int8.population <= 0.02, `int8 loses ${float.population - int8.population}`);
    assert.ok(int8.population - int8.user >= MIN_USER_DROP, `user ${int8.user} vs population ${int8.population}`);
  });

  it('has SAMPLES.bin files of the documented sizes with valid labels', () => {
    assert.deepEqual(report.counts, { population_test: 300, population_replay: 100, user_pool: 240, user_test: 240 });
    for (const name of ['population_test.bin', 'population_replay.bin', 'user_pool.bin', 'user_test.bin']) {
      const { labels } = records(name);
      assert.ok(labels.every((l) => l < 10), `${name}: label out of range`);
    }
  });

  it('plays back a user stream whose frames quantise to exactly the user pool', () => {
    const epr = read('user_stream.epr');
    const view = new DataView(epr.buffer, epr.byteOffset, epr.byteLength);
    assert.equal(epr.subarray(0, 4).toString('latin1'), 'EPR1');
    const channels = view.getUint16(4, true);
    const sampleType = view.getUint16(6, true);
    const rateHz = view.getUint32(8, true);
    const frameCount = view.getUint32(12, true);
    assert.deepEqual([channels, sampleType, rateHz, frameCount], [PIXELS, 3, 2, 240]);
    assert.equal(epr.length, 16 + frameCount * channels);

    const labels = read('user_stream_labels.bin');
    assert.equal(labels.length, frameCount);
    const pool = records('user_pool.bin');
    assert.deepEqual(Array.from(labels), Array.from(pool.labels));

    const frames = epr.subarray(16);
    assert.ok(frames.every((v) => v <= 16), 'raw intensities are 0..16');
    const quant = { scale: report.input.scale, zeroPoint: report.input.zeroPoint };
    const q = quantizeToInt8(Array.from(frames), quant);
    assert.deepEqual(q, pool.inputs);
  });

  it('starts the stream with a class-balanced enrolment block (5 of each digit)', () => {
    const counts = new Array<number>(10).fill(0);
    for (const l of read('user_stream_labels.bin').subarray(0, 50)) counts[l]++;
    assert.deepEqual(counts, new Array<number>(10).fill(5));
  });
});
