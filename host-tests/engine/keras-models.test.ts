// Whole Keras models as TensorFlow's converter writes them (issue 11 item 5): data/keras/*.tflite,
// made by tools/keras/make_models.py with tensorflow-cpu 2.21.0 and the default full-integer
// recipe with a dynamic batch (int8, float32 model edges, 16x8). Each runs through our engine
// byte-identical with the TFLite Micro interpreter on 64 seeded inputs; a model the engine still
// refuses must be refused by `edge-peft plan` with every operator it lacks named (the oracle runs
// it, so the refusal is ours). Which models run is pinned below both ways: a regression fails, and
// so does a model that starts to run without being pinned.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/paths.js';
import {
  firstDifference, floatInputs, randomInputs, runCli, runEngine, runOracle, scratchDir, type TensorInfo,
} from './harness.js';

interface KerasEntry {
  file: string | null; model: string; recipe: 'int8' | 'float' | '16x8';
  batch?: 'dynamic' | 1 | null; converter_errors?: { batch: number | null; converter_error: string }[];
}

const dir = join(repoRoot, 'data', 'keras');
const INPUTS = 64;

// Measured on this revision: every int8, float-edge and 16x8 model the converter wrote but
// two models in each recipe (31 of 37). Refused, with the operator named:
// dilated_same_conv (SPACE_TO_BATCH_ND with a dynamic batch; int16 SPACE_TO_BATCH_ND too) and
// reshape_dense (REDUCE_PROD, which TFLM lacks as well); what TFLM does with each of the six is
// pinned in keras-refused.test.ts.
const mustRun = new Set<string>([
  'activations_float', 'activations_int8', 'concat_functional_float', 'concat_functional_int8',
  'conv1d_float', 'conv1d_int8', 'conv2d_flatten_float', 'conv2d_flatten_int8',
  'conv2d_transpose_float', 'conv2d_transpose_int8', 'dense_flatten_float', 'dense_flatten_int8',
  'depthwise_separable_float', 'depthwise_separable_int8', 'global_avg_pool_float',
  'global_avg_pool_int8', 'lstm_tf_keras_float', 'lstm_tf_keras_int8', 'residual_add_float',
  'residual_add_int8', 'tanh_sigmoid_branch_float', 'tanh_sigmoid_branch_int8',
  // 16x8: FULLY_CONNECTED, SOFTMAX, DEPTHWISE_CONV_2D, ... int16 (ops16), MEAN int16 (the
  // global average pools of global_avg_pool and residual_add)
  'concat_functional_16x8', 'conv1d_16x8', 'conv2d_flatten_16x8', 'conv2d_transpose_16x8',
  'dense_flatten_16x8', 'depthwise_separable_16x8', 'global_avg_pool_16x8', 'residual_add_16x8',
  'tanh_sigmoid_branch_16x8',
]);

describe('Keras models converted by TensorFlow 2.21 (data/keras) vs TFLite Micro', function () {
  this.timeout(300_000);
  const index = JSON.parse(readFileSync(join(dir, 'models.json'), 'utf8')) as {
    tensorflow: string; models: KerasEntry[];
  };
  let scratch: { dir: string; done: () => void };
  before(() => { scratch = scratchDir('keras'); });
  after(() => scratch.done());
  const ran: string[] = [];
  const refused: string[] = [];

  it('were made by tensorflow 2.21.0 for every model and recipe', () => {
    assert.equal(index.tensorflow, '2.21.0');
    assert.ok(index.models.filter((m) => m.file !== null).length >= 37);
  });

  index.models.forEach((m, k) => {
    if (m.file === null) {
      it(`${m.model} ${m.recipe}: not converted (the converter refused it; recorded in models.json)`, () => {
        assert.ok((m.converter_errors ?? []).length > 0);
      });
      return;
    }
    const file = join(dir, m.file);
    const name = m.file.replace(/\.tflite$/, '');
    it(`${name}: byte-identical with TFLite Micro, or refused naming the operators it lacks`, () => {
      const plan = runCli(['plan', file]);
      if (plan.status !== 0) {
        assert.notEqual(plan.status, null, 'killed by a signal');
        assert.ok(!mustRun.has(name), `${name} should run: ${plan.stderr.trim()}`);
        // refused: every missing operator named at once with its TFLM kernel, or the one
        // operator (and why) that prepare refuses
        const list = /unsupported operators: (.*)$/m.exec(plan.stderr);
        if (list !== null && list[1] !== undefined) {
          for (const op of list[1].split(', ')) assert.match(plan.stderr, new RegExp(`^  ${op}: `, 'm'));
        } else {
          assert.match(plan.stderr, /operator \d+ \([A-Z0-9_]+\): /, plan.stderr);
        }
        // the oracle runs it (the refusal is the engine's, not the model's), except where TFLM
        // lacks the same builtin (REDUCE_PROD, which Keras 3's Reshape gives with a dynamic batch)
        try {
          runOracle(file, undefined, scratch.dir);
        } catch (e) {
          assert.ok(list !== null, `the oracle fails too, and the engine names no missing operator: ${(e as Error).message}`);
          refused.push(`${name} (TFLM refuses it too): ${list[0]}`);
          return;
        }
        refused.push(`${name}: ${(list?.[0] ?? /operator \d+ \([A-Z0-9_]+\): .*$/m.exec(plan.stderr)?.[0] ?? '').trim()}`);
        return;
      }
      const info = runOracle(file, undefined, scratch.dir).report;
      const batch = info.input.dtype === 'float32' ? floatInputs(info.input, INPUTS, 7000 + k)
        : randomInputs(info.input, INPUTS, 7000 + k);
      const expected = runOracle(file, batch, scratch.dir).output;
      const got = runEngine(file, batch, scratch.dir);
      const diff = firstDifference(expected, got, info.output);
      assert.equal(diff, undefined, `${name}: ${diff ?? ''}`);
      const outs = new Set<string>();
      for (let i = 0; i < INPUTS; i++) outs.add(expected.subarray(i * info.output.bytes, (i + 1) * info.output.bytes).toString('hex'));
      assert.ok(outs.size > 1, 'outputs do not depend on the input');
      ran.push(name);
      // pinned both ways: a model that starts to run is added above, so the count stays true
      assert.ok(mustRun.has(name), `${name} runs byte-identical now: pin it in mustRun`);
    });
  });

  after(() => {
    // the summary the docs quote (docs/engine.md): which converted models run
    console.log(`      keras models: ${ran.length} byte-identical with TFLite Micro, ${refused.length} refused`);
    for (const r of refused) console.log(`        refused ${r}`);
  });
});
