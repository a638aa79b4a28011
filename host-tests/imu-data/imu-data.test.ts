// The committed IMU task (data/imu-watch/, made by tools/imu-data/prepare.py from BasicMotions)
// means what its README says: the int8 base model runs in TFLite Micro, is good on the
// population and clearly worse on the rotated watch, the float weights agree with it, and the
// user's windows are the population's windows turned by the documented rotation (checked with
// an independent numpy rotation of the dequantised population test, which holds the same cases).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths.js';
import { runPythonJson } from '../support/python.js';

const dataDir = join(repoRoot, 'data', 'imu-watch');
const INPUTS = 120; // 20 frames x 6 channels, frame-major
const RECORD = 1 + INPUTS;
// Floors, not the measured figures (population 0.961, user 0.372).
const POPULATION_FLOOR = 0.9;
const MIN_USER_DROP = 0.25;

interface Report {
  identifier: string;
  input: { scale: number; zeroPoint: number; shape: number[] };
  output: { scale: number; zeroPoint: number; shape: number[] };
  counts: Record<string, number>;
  labels: Record<string, number[]>;
  int8: { population: number; user: number };
  float: { population: number; user: number };
  rotation: { within1: number; exact: number; unrotatedMeanAbs: number; n: number };
}

const checkScript = `
import json
import numpy as np
from tflite_micro.python.tflite_micro import runtime
d = ${JSON.stringify(dataDir)}
meta = json.load(open(d + '/meta.json'))
model = open(d + '/imu_mlp_int8.tflite', 'rb').read()
it = runtime.Interpreter.from_bytes(model)
inp, out = it.get_input_details(0), it.get_output_details(0)
s_in = float(inp['quantization_parameters']['scales'][0])
zp_in = int(inp['quantization_parameters']['zero_points'][0])
def load(name):
    r = np.frombuffer(open(d + '/' + name + '.bin', 'rb').read(), np.uint8).reshape(-1, ${RECORD})
    return r[:, 1:].view(np.int8), r[:, 0].astype(np.int64)
def int8_acc(x, y):
    hits = 0
    for row, label in zip(x, y):
        it.set_input(row.reshape(1, ${INPUTS}), 0); it.invoke()
        hits += int(np.argmax(it.get_output(0)) == label)
    return hits / len(y)
z = np.load(d + '/mlp_float.npz')
def float_acc(x, y):
    real = (x.astype(np.float64) - zp_in) * s_in
    h = np.maximum(real @ z['w1'].astype(np.float64).T + z['b1'], 0)
    return float(((h @ z['w2'].astype(np.float64).T + z['b2']).argmax(1) == y).mean())
sets = {n: load(n) for n in ('population_test', 'population_replay', 'user_pool', 'user_test')}
# the rotation, independently: dequantise the population test (the user-test cases, unrotated),
# turn x/y of both sensors by the documented angle, requantise (round half away, saturate)
a = np.deg2rad(meta['shift']['degrees'])
pop = (sets['population_test'][0].astype(np.float64) - zp_in) * s_in
f = pop.reshape(len(pop), -1, 6).copy()
for b in (0, 3):
    x, y = f[:, :, b].copy(), f[:, :, b + 1].copy()
    f[:, :, b], f[:, :, b + 1] = np.cos(a) * x + np.sin(a) * y, -np.sin(a) * x + np.cos(a) * y
v = f.reshape(len(pop), -1) / s_in
q = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + zp_in, -128, 127)
user = sets['user_test'][0].astype(np.float64)
diff = np.abs(q - user)
print(json.dumps({
  'identifier': model[4:8].decode('latin1'),
  'input': {'scale': s_in, 'zeroPoint': zp_in, 'shape': inp['shape'].tolist()},
  'output': {'scale': float(out['quantization_parameters']['scales'][0]),
             'zeroPoint': int(out['quantization_parameters']['zero_points'][0]), 'shape': out['shape'].tolist()},
  'counts': {n: int(len(v[1])) for n, v in sets.items()},
  'labels': {n: np.bincount(v[1], minlength=4).tolist() for n, v in sets.items()},
  'int8': {'population': int8_acc(*sets['population_test']), 'user': int8_acc(*sets['user_test'])},
  'float': {'population': float_acc(*sets['population_test']), 'user': float_acc(*sets['user_test'])},
  'rotation': {'within1': float((diff <= 1).mean()), 'exact': float((diff == 0).mean()),
               'unrotatedMeanAbs': float(np.abs(sets['population_test'][0].astype(np.float64) - user).mean()), 'n': int(diff.size)},
}))
`;

describe('imu-data (data/imu-watch, BasicMotions with a rotated watch)', function () {
  this.timeout(120_000);
  let report: Report;

  before(() => {
    report = runPythonJson<Report>(checkScript);
  });

  it('holds a fully int8 120-in, 4-class model with the int8 softmax output convention', () => {
    assert.equal(report.identifier, 'TFL3');
    assert.deepEqual(report.input.shape, [1, INPUTS]);
    assert.deepEqual(report.output.shape, [1, 4]);
    assert.equal(report.output.scale, 1 / 256);
    assert.equal(report.output.zeroPoint, -128);
  });

  it('is accurate on the population and clearly worse on the rotated watch (TFLite Micro)', () => {
    const { int8, float } = report;
    assert.ok(int8.population >= POPULATION_FLOOR, `int8 population accuracy ${int8.population}`);
    assert.ok(Math.abs(float.population - int8.population) <= 0.03, `int8 ${int8.population} vs float ${float.population}`);
    assert.ok(int8.population - int8.user >= MIN_USER_DROP, `user ${int8.user} vs population ${int8.population}`);
  });

  it('has SAMPLES.bin files of the documented sizes with balanced labels', () => {
    assert.deepEqual(report.counts, { population_test: 180, population_replay: 40, user_pool: 340, user_test: 180 });
    assert.deepEqual(report.labels, { population_test: [45, 45, 45, 45], population_replay: [10, 10, 10, 10],
      user_pool: [85, 85, 85, 85], user_test: [45, 45, 45, 45] });
    for (const name of ['population_test', 'population_replay', 'user_pool', 'user_test']) {
      assert.equal(readFileSync(join(dataDir, `${name}.bin`)).length % RECORD, 0, name);
    }
    const meta = JSON.parse(readFileSync(join(dataDir, 'meta.json'), 'utf8')) as { input: { scale: number; zeroPoint: number } };
    assert.ok(Math.abs(meta.input.scale - report.input.scale) < 1e-9 && meta.input.zeroPoint === report.input.zeroPoint);
  });

  it('holds user windows that are the population windows turned by the documented rotation', () => {
    const r = report.rotation;
    assert.equal(r.n, 180 * INPUTS);
    // each side is rounded once from the same real value: at most one step apart, except
    // where the rotated value saturates
    assert.ok(r.within1 >= 0.995, `only ${r.within1} of samples within one step`);
    // and the two sets really differ (the shift is there): mean distance unrotated in steps
    assert.ok(r.unrotatedMeanAbs > 5, `user test vs unrotated population test: ${r.unrotatedMeanAbs} steps`);
  });
});
