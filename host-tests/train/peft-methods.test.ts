// Every PEFT method the bench compares (LoRA r1 / r4, bottleneck adapter, prompt, bias, full
// fine-tune) trains, exports, imports and hot-swaps: build/bin/ept-peft-check trains two
// adapters per method (seeds 1 and 2, other data order), imports the first into a fresh session
// and swaps the second in and the first back, and swaps the second into the first session over
// its live trained state; each time every eval output must equal the trained session's own.
// On the two MLP tasks (FULLY_CONNECTED layers) and on person_detect's last two 1x1 CONV_2Ds
// through its global pool (augmented photographs, tools/float_ref/person_data.py, 64 steps).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir, modelsDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, tmp } from './helpers.js';

// per-method learning rates: each kind's useful step differs by two orders of magnitude
interface Lrs { lora: string; lora4?: string; adapter: string; prompt: string; bias: string; full: string }
const method = (lr: Lrs, layers = '0..1', promptLayer = '0'): readonly [string, string][] => [
  ['LoRA r1', `lora:rank=1,alpha=8,layers=${layers}+sgd:lr=${lr.lora}`],
  ['LoRA r4', `lora:rank=4,alpha=8,layers=${layers}+sgd:lr=${lr.lora4 ?? lr.lora}`],
  ['bottleneck adapter', `adapter:layers=${layers},width=8+sgd:lr=${lr.adapter}`],
  ['prompt', `prompt:layers=${promptLayer}+sgd:lr=${lr.prompt}`],
  ['bias', `bias:layers=${layers}+sgd:lr=${lr.bias}`],
  ['full fine-tune', `full:layers=${layers}+sgd:lr=${lr.full}`],
];
const imu = (f: string): string => join(repoRoot, 'data', 'imu-watch', f);
const TASKS = [
  { name: 'digits new user', model: digits, train: demo('user_pool.bin'), test: demo('user_test.bin'),
    methods: method({ lora: '0.0003', adapter: '0.003', prompt: '0.05', bias: '0.05', full: '0.0003' }) },
  // the IMU task (data/imu-watch): the rates bench/peft picks for it
  { name: 'IMU watch rotated', model: imu('imu_mlp_int8.tflite'), train: imu('user_pool.bin'), test: imu('user_test.bin'),
    methods: method({ lora: '0.0003', adapter: '0.003', prompt: '0.003', bias: '0.003', full: '0.0003' }) },
  // person_detect, the washed-out camera of bench/peft (its rates), made in before()
  { name: 'person_detect washed-out camera', model: join(modelsDir, 'person_detect.tflite'), train: '', test: '', steps: '64',
    methods: method({ lora: '0.01', lora4: '0.05', adapter: '0.2', prompt: '0.2', bias: '0.2', full: '0.01' }, '-2..-1', '-2') },
];

for (const task of TASKS) {
  describe(`PEFT methods: train, export, import, swap (${task.name})`, function () {
    let out = '';
    before(function () {
      if (!task.train) {
        const d = tmp();
        for (const [f, seed, n] of [['p1.bin', '1', '32'], ['p2.bin', '2', '32']] as const) {
          execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), join(d, f), '-n', n, '--seed', seed,
            '--gain', '0.4', '--offset', '140', '--noise', '4']);
        }
        task.train = join(d, 'p1.bin');
        task.test = join(d, 'p2.bin');
      }
      // exit status 1 when any check fails: keep the output to name it
      try {
        out = execFileSync(join(binDir, 'ept-peft-check'), [task.model, task.train, task.test, task.steps ?? '1200',
          '0.0003', ...task.methods.map((m) => m[1])], { encoding: 'utf8' });
      } catch (e) {
        out = String((e as { stdout?: string }).stdout ?? e);
      }
    });
    for (const [name, spec] of task.methods) {
      it(`${name} (${spec})`, function () {
        const line = out.split('\n').find((l) => l.startsWith(`${spec}:`));
        assert.ok(line !== undefined, `no result for ${spec}:\n${out}`);
        const m = /before ([\d.]+) after ([\d.]+) bytes (\d+) params (\d+) .*trains (\w+) import (\w+) swap (\w+) differ (\w+)/.exec(line);
        assert.ok(m !== null, line);
        assert.ok(Number(m[2]) > Number(m[1]), `no accuracy gain: ${line}`);
        assert.ok(Number(m[3]) > 80 && Number(m[4]) > 0, line);
        assert.deepEqual([m[5], m[6], m[7], m[8]], ['ok', 'ok', 'ok', 'ok'], line);
      });
    }
  });
}
