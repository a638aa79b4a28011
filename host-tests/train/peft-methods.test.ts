// Every PEFT method the bench compares (LoRA r1 / r4, bottleneck adapter, prompt, bias, full
// fine-tune) trains, exports, imports and hot-swaps: build/bin/ept-peft-check trains two
// adapters per method (seeds 1 and 2, other data order), imports the first into a fresh session
// and swaps the second in and the first back, and swaps the second into the first session over
// its live trained state; each time every eval output must equal the trained session's own.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir } from '../support/paths.js';
import { demo, digits } from './helpers.js';

// per-method learning rates: each kind's useful step differs by two orders of magnitude
const PEFT_METHODS: readonly [string, string][] = [
  ['LoRA r1', 'lora:rank=1,alpha=8,layers=0..1+sgd:lr=0.0003'],
  ['LoRA r4', 'lora:rank=4,alpha=8,layers=0..1+sgd:lr=0.0003'],
  ['bottleneck adapter', 'adapter:layers=0..1,width=8+sgd:lr=0.003'],
  ['prompt', 'prompt:layers=0+sgd:lr=0.05'],
  ['bias', 'bias:layers=0..1+sgd:lr=0.05'],
  ['full fine-tune', 'full:layers=0..1+sgd:lr=0.0003'],
];

describe('PEFT methods: train, export, import, swap', function () {
  let out = '';
  before(function () {
    // exit status 1 when any check fails: keep the output to name it
    try {
      out = execFileSync(join(binDir, 'ept-peft-check'), [digits, demo('user_pool.bin'), demo('user_test.bin'), '1200',
        '0.0003', ...PEFT_METHODS.map((m) => m[1])], { encoding: 'utf8' });
    } catch (e) {
      out = String((e as { stdout?: string }).stdout ?? e);
    }
  });
  for (const [name, spec] of PEFT_METHODS) {
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
