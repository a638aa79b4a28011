// Trainer per-step scratch in the engine's dead activation memory (ept_session_plan,
// docs/training.md "Memory"): the same training with the scratch placed there (default,
// scratch:shared) and after the inference arena (scratch:separate) must give byte-identical
// adapters and checkpoints (so nothing the trainer keeps between steps lives in memory the
// engine's prefix overwrites, and nothing it reads in a step is clobbered), and a strictly
// smaller arena wherever the scratch fits (micro_speech head, person_detect's last two convs;
// the digits MLP's engine arena is too small, so its arena is unchanged).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, run, speechSet, tmp, train } from './helpers.js';

interface Plan { training_arena_bytes: number; trainer_bytes: number; inference_arena_bytes: number }

const speech = join(modelsDir, 'micro_speech_quantized.tflite');
const person = join(modelsDir, 'person_detect.tflite');

const cases: { name: string; model: string; spec: string; data: (dir: string) => string; extra: string[]; smaller: boolean }[] = [
  {
    name: 'head', model: speech, spec: 'lora:rank=2,alpha=8,layers=-1+bias:layers=-1+sgd:momentum=0.9', smaller: true,
    data: (d) => { speechSet(join(d, 's.bin'), 3, 24); return join(d, 's.bin'); }, extra: ['--steps', '40', '--lr', '0.002'],
  },
  {
    name: 'head recompute', model: speech, spec: 'lora:rank=2,alpha=8,layers=-1+bias:layers=-1+recompute:on', smaller: true,
    data: (d) => { speechSet(join(d, 's.bin'), 4, 16); return join(d, 's.bin'); }, extra: ['--steps', '24', '--lr', '0.002'],
  },
  {
    name: 'mlp', model: digits, spec: 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0+sgd:momentum=0.9',
    smaller: false, data: () => demo('user_pool.bin'), extra: ['--steps', '60', '--lr', '0.001'],
  },
  {
    name: 'person', model: person, spec: 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1', smaller: true,
    data: (d) => {
      execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), join(d, 'p.bin'), '-n', '12',
        '--seed', '2', '--gain', '0.4', '--offset', '140', '--noise', '4']);
      return join(d, 'p.bin');
    },
    extra: ['--steps', '24', '--lr', '0.002'],
  },
];

const plan = (model: string, spec: string): Plan =>
  JSON.parse(run(['train', model, '--adapter', spec, '--plan', '--json'])) as Plan;

describe('trainer scratch in dead engine memory (scratch:shared vs scratch:separate)', function () {
  for (const c of cases) {
    it(`${c.name}: byte-identical adapter and checkpoint, ${c.smaller ? 'strictly smaller' : 'same'} arena`, function () {
      const d = tmp();
      const data = c.data(d);
      const outs: Buffer[][] = [];
      for (const [tag, spec] of [['shared', c.spec], ['separate', `${c.spec}+scratch:separate`]] as const) {
        train([c.model, '--data', data, '--adapter', spec, '--seed', '5', ...c.extra,
          '--out', join(d, `${tag}.bin`), '--checkpoint-out', join(d, `${tag}.ck`)]);
        outs.push([readFileSync(join(d, `${tag}.bin`)), readFileSync(join(d, `${tag}.ck`))]);
      }
      assert.ok(outs[0][0].equals(outs[1][0]), 'adapters differ');
      assert.ok(outs[0][1].equals(outs[1][1]), 'checkpoints differ');
      const shared = plan(c.model, c.spec), separate = plan(c.model, `${c.spec}+scratch:separate`);
      assert.equal(shared.inference_arena_bytes, separate.inference_arena_bytes);
      if (c.smaller) {
        assert.ok(shared.training_arena_bytes < separate.training_arena_bytes,
          `${shared.training_arena_bytes} !< ${separate.training_arena_bytes}`);
      } else {
        assert.equal(shared.training_arena_bytes, separate.training_arena_bytes);
      }
    });
  }

  it('person_detect: the last two convs\' per-step scratch (about 19 KB) leaves the training arena', function () {
    const spec = 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1';
    const shared = plan(person, spec), separate = plan(person, `${spec}+scratch:separate`);
    assert.ok(separate.training_arena_bytes - shared.training_arena_bytes >= 18000,
      `${separate.training_arena_bytes} - ${shared.training_arena_bytes}`);
  });
});
