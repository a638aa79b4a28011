// `edge-peft plan MODEL --json` against figures computed independently of the engine:
// model bytes = file size, operators and output shapes as the flatbuffer holds them (read
// with tflite-micro's generated schema), MACs of FC / CONV / DW / SVDF from tensor shapes, and
// an arena no smaller than what any single operator needs live at once.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { fixtureModels, modelOperators, modelPath, runCli, type ModelOp } from './harness.js';

interface PlanTensor { tensor: number; type: string; shape: number[] }
interface PlanOp { index: number; op: string; inputs: PlanTensor[]; outputs: PlanTensor[]; macs: number }
interface PlanJson {
  model_bytes: number; macs: number; arena_bytes: number;
  persistent_bytes: number; activation_bytes: number; operators: PlanOp[];
}

// schema BuiltinOperator codes of the fixture models' operators
const builtinNames: Record<number, string> = {
  1: 'AVERAGE_POOL_2D', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D', 9: 'FULLY_CONNECTED',
  22: 'RESHAPE', 25: 'SOFTMAX', 27: 'SVDF', 114: 'QUANTIZE',
};
const typeBytes: Record<string, number> = { int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8, float32: 4 };

describe('edge-peft plan --json against independent figures', function () {
  this.timeout(60_000);

  for (const name of fixtureModels) {
    describe(name, () => {
      let plan: PlanJson;
      let ops: ModelOp[];
      before(() => {
        const r = runCli(['plan', modelPath(name), '--json']);
        assert.equal(r.status, 0, r.stderr);
        plan = JSON.parse(r.stdout.toString('utf8')) as PlanJson;
        ops = modelOperators(modelPath(name)).ops;
      });

      it('model bytes equal the file size', () => {
        assert.equal(plan.model_bytes, statSync(modelPath(name)).size);
      });

      it('lists every operator with its name and output shape', () => {
        assert.equal(plan.operators.length, ops.length);
        for (const op of ops) {
          const p = plan.operators[op.index];
          assert.ok(p, `operator ${op.index} missing`);
          assert.equal(p.op, builtinNames[op.builtin] ?? `builtin ${op.builtin}`, `operator ${op.index}`);
          assert.equal(p.outputs[0]?.tensor, op.output, `operator ${op.index} output tensor`);
          assert.deepEqual(p.outputs[0]?.shape, op.shape, `operator ${op.index} output shape`);
        }
      });

      it('MACs per layer and in total match the tensor shapes', () => {
        let counted = 0;
        for (const op of ops) {
          if (op.macs === null) continue;
          counted++;
          assert.equal(plan.operators[op.index]?.macs, op.macs, `operator ${op.index} (${builtinNames[op.builtin] ?? op.builtin})`);
        }
        assert.ok(counted > 0, 'no MAC-carrying operator found');
        const sum = plan.operators.reduce((n, o) => n + o.macs, 0);
        assert.equal(plan.macs, sum, 'total = sum of layers');
        const independent = ops.reduce((n, o) => n + (o.macs ?? 0), 0);
        assert.equal(plan.macs, independent, 'total = MACs of FC/CONV/DW/SVDF from shapes');
      });

      it('arena holds at least the largest operator working set', () => {
        // An operator's activation input (input 0 in every fixture operator) and its output
        // are live together (RESHAPE may alias, so it is left out).
        const bytes = (t: PlanTensor): number => t.shape.reduce((a, b) => a * b, 1) * (typeBytes[t.type] ?? 1);
        let need = 0;
        for (const o of plan.operators) {
          if (o.op === 'RESHAPE') continue;
          const live = o.outputs.reduce((n, t) => n + bytes(t), 0) +
            (o.inputs[0] === undefined ? 0 : bytes(o.inputs[0]));
          need = Math.max(need, live);
        }
        assert.ok(plan.activation_bytes >= need, `activation ${plan.activation_bytes} < ${need}`);
        assert.ok(plan.arena_bytes >= plan.activation_bytes + plan.persistent_bytes,
          `arena ${plan.arena_bytes} < activation ${plan.activation_bytes} + persistent ${plan.persistent_bytes}`);
      });
    });
  }
});
