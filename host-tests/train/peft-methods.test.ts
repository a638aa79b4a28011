// Every PEFT method the bench compares (LoRA r1 / r4, bottleneck adapter, prompt, bias, full
// fine-tune) trains, exports, imports and hot-swaps: build/bin/ept-peft-check trains two
// adapters per method (seeds 1 and 2, other data order), imports the first into a fresh session
// and swaps the second in and the first back, and swaps the second into the first session over
// its live trained state; each time every eval output must equal the trained session's own.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir, repoRoot } from '../support/paths.js';
import { demo, digits } from './helpers.js';

// per-method learning rates: each kind's useful step differs by two orders of magnitude
const method = (lr: { lora: string; adapter: string; prompt: string; bias: string; full: string }): readonly [string, string][] => [
  ['LoRA r1', `lora:rank=1,alpha=8,layers=0..1+sgd:lr=${lr.lora}`],
  ['LoRA r4', `lora:rank=4,alpha=8,layers=0..1+sgd:lr=${lr.lora}`],
  ['bottleneck adapter', `adapter:layers=0..1,width=8+sgd:lr=${lr.adapter}`],
  ['prompt', `prompt:layers=0+sgd:lr=${lr.prompt}`],
  ['bias', `bias:layers=0..1+sgd:lr=${lr.bias}`],
  ['full fine-tune', `full:layers=0..1+sgd:lr=${lr.full}`],
];
const imu = (f: string): string => join(repoRoot, 'data', 'imu-watch', f);
const TASKS = [
  { name: 'digits new user', model: digits, train: demo('user_pool.bin'), test: demo('user_test.bin'),
    methods: method({ lora: '0.0003', adapter: '0.003', prompt: '0.05', bias: '0.05', full: '0.0003' }) },
  // the IMU task (data/imu-watch): the rates bench/peft picks for it
  { name: 'IMU watch rotated', model: imu('imu_mlp_int8.tflite'), train: imu('user_pool.bin'), test: imu('user_test.bin'),
    methods: method({ lora: '0.0003', adapter: '0.003', prompt: '0.003', bias: '0.003', full: '0.0003' }) },
];

for (const task of TASKS) {
  describe(`PEFT methods: train, export, import, swap (${task.name})`, function () {
    let out = '';
    before(function () {
      // exit status 1 when any check fails: keep the output to name it
      try {
        out = execFileSync(join(binDir, 'ept-peft-check'), [task.model, task.train, task.test, '1200',
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
