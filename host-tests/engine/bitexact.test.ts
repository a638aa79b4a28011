// Our engine (build/bin/edge-peft infer) against the TFLite Micro interpreter from PyPI
// (tools/oracle/oracle.py): byte-for-byte equal outputs on every fixture model, its example
// inputs and >= 200 seeded random inputs each; one CLI call and one oracle call per batch.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bmpInput, csvInt16, editModel, firstDifference, fixtureModels, modelOperators, modelPath,
  randomInputs, retargetOutput, runCli, runEngine, runOracle, scratchDir, type OracleReport,
} from './harness.js';

const RANDOM_INPUTS = 200;

/** Example inputs per model, from ../shared/models/inputs. */
function examples(name: string): { label: string; data: Buffer }[] {
  switch (name) {
    case 'hello_world_int8': {
      // The input domain has 256 values: all of them.
      const all = Buffer.alloc(256);
      for (let i = 0; i < 256; i++) all.writeInt8(i - 128, i);
      return [{ label: 'all 256 int8 inputs', data: all }];
    }
    case 'person_detect':
      return [
        { label: 'person.bmp', data: bmpInput('person.bmp') },
        { label: 'no_person.bmp', data: bmpInput('no_person.bmp') },
      ];
    case 'conv20':
      return [{ label: 'conv20_input0_int16.csv', data: csvInt16('conv20_input0_int16.csv') }];
    default:
      return [];
  }
}

function seedOf(name: string): number {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

function assertSame(expected: Buffer, got: Buffer, report: OracleReport, what: string): void {
  const diff = firstDifference(expected, got, report.output);
  assert.equal(diff, undefined, `${what}: ${diff ?? ''}`);
}

describe('engine vs TFLite Micro oracle (byte for byte)', function () {
  this.timeout(180_000);

  for (const name of fixtureModels) {
    describe(name, () => {
      const model = modelPath(name);
      let report: OracleReport;
      let batch: Buffer;
      let exampleCount = 0;
      let expected: Buffer;
      let got: Buffer;
      let scratch: { dir: string; done: () => void };

      before(() => {
        scratch = scratchDir(name);
        report = runOracle(model, undefined, scratch.dir).report;
        const ex = examples(name);
        exampleCount = ex.reduce((n, e) => n + e.data.length / report.input.bytes, 0);
        batch = Buffer.concat([
          ...ex.map((e) => e.data),
          randomInputs(report.input, RANDOM_INPUTS, seedOf(name)),
        ]);
        expected = runOracle(model, batch, scratch.dir).output;
        got = runEngine(model, batch, scratch.dir);
      });
      after(() => scratch.done());

      it(`equals the oracle on ${examples(name).length > 0 ? `${examples(name).map((e) => e.label).join(', ')} and ` : ''}${RANDOM_INPUTS} random inputs`, () => {
        assert.equal(expected.length, (exampleCount + RANDOM_INPUTS) * report.output.bytes);
        assertSame(expected, got, report, name);
      });

      if (name === 'person_detect') {
        it('classifies person.bmp as person and no_person.bmp as no person', () => {
          // Checks the BMP decoding (and so that the comparison above used real images).
          const score = (b: Buffer, k: number, c: number): number => b.readInt8(k * 2 + c);
          assert.ok(score(expected, 0, 1) > score(expected, 0, 0), 'oracle: person.bmp');
          assert.ok(score(expected, 1, 0) > score(expected, 1, 1), 'oracle: no_person.bmp');
          assert.ok(score(got, 0, 1) > score(got, 0, 0), 'engine: person.bmp');
          assert.ok(score(got, 1, 0) > score(got, 1, 1), 'engine: no_person.bmp');
        });
      }

      if (name === 'conv20') {
        it('oracle is within +-1 of the TFLite golden output (input decoding check)', () => {
          const golden = csvInt16('conv20_golden_int16.csv');
          assert.equal(golden.length, report.output.bytes);
          let worst = 0;
          for (let i = 0; i < golden.length; i += 2) {
            worst = Math.max(worst, Math.abs(golden.readInt16LE(i) - expected.readInt16LE(i)));
          }
          assert.ok(worst <= 1, `oracle differs from golden by ${worst}`);
        });
      }
    });
  }
});

describe('engine vs oracle on intermediate activations and model variants', function () {
  this.timeout(180_000);
  let scratch: { dir: string; done: () => void };
  before(() => { scratch = scratchDir('variants'); });
  after(() => scratch.done());

  // keyword_scrambled_8bit's scrambled int32 biases saturate every SVDF/FC: its output is the
  // same for every input, so equal final outputs prove little. Shifting its biases right by
  // 24 bits gives a variant whose outputs depend on the input (stateful SVDF included), and
  // retargeting the output to each operator's result checks every layer on its own.
  const cases: { name: string; biasShift?: number; inputs: number; stream?: boolean }[] = [
    { name: 'keyword_scrambled_8bit', biasShift: 24, inputs: 64 },
    // The same inputs as one stream: SVDF state carries from each inference to the next.
    { name: 'keyword_scrambled_8bit', biasShift: 24, inputs: 32, stream: true },
    { name: 'keyword_scrambled_8bit', inputs: 16 },
    { name: 'micro_speech_quantized', inputs: 32 },
    { name: 'hello_world_int8', inputs: 32 },
    { name: 'person_detect', inputs: 8 },
  ];
  for (const c of cases) {
    const stream = c.stream === true;
    const label = (c.biasShift === undefined ? c.name : `${c.name} (biases >> ${c.biasShift})`) +
      (stream ? ', streamed' : '');
    it(`${label}: every operator's output equals the oracle's`, () => {
      const base = c.biasShift === undefined ? modelPath(c.name)
        : editModel(modelPath(c.name), join(scratch.dir, `${c.name}.b.tflite`), { biasShift: c.biasShift });
      const failures: string[] = [];
      const { outputs_at: outputsAt, ops } = modelOperators(base);
      const info = runOracle(base, undefined, scratch.dir).report;
      const batch = randomInputs(info.input, c.inputs, seedOf(`${c.name}/ops`));
      const { variants } = runOracle(base, batch, scratch.dir, stream, ops.map((o) => o.output));
      let distinct = 0;
      for (const op of ops) {
        const expected = variants.get(op.output);
        if (expected === undefined) throw new Error(`no oracle output for tensor ${op.output}`);
        const outs = new Set<string>();
        for (let k = 0; k < c.inputs; k++) {
          outs.add(expected.output.subarray(k * expected.info.bytes, (k + 1) * expected.info.bytes).toString('hex'));
        }
        distinct = outs.size;
        const variant = retargetOutput(base, outputsAt, op.output, join(scratch.dir, `op${op.index}.tflite`));
        const what = `op ${op.index} (builtin ${op.builtin}) -> tensor ${op.output}`;
        let got: Buffer;
        try {
          got = runEngine(variant, batch, scratch.dir, stream);
        } catch (e) {
          failures.push(`${what}: ${(e as Error).message}`);
          continue;
        }
        const diff = firstDifference(expected.output, got, expected.info);
        if (diff !== undefined) failures.push(`${what}: ${diff}`);
      }
      assert.deepEqual(failures, []);
      if (c.biasShift !== undefined) {
        assert.ok(distinct > 1, 'bias-shifted variant should give input-dependent outputs');
      }
    });
  }
});

describe('unsupported models', () => {
  const signalOps = [
    'SignalWindow', 'SignalFftAutoScale', 'SignalRfft', 'SignalEnergy', 'SignalFilterBank',
    'SignalFilterBankSquareRoot', 'SignalFilterBankSpectralSubtraction', 'SignalPCAN',
    'SignalFilterBankLog',
  ];
  const model = modelPath('audio_preprocessor_int8');

  for (const command of ['plan', 'infer'] as const) {
    it(`${command} rejects audio_preprocessor_int8, naming its custom Signal ops`, () => {
      const scratch = scratchDir('audio');
      try {
        // One frame of 480 int16 samples: the model's real input size.
        const input = join(scratch.dir, 'in.bin');
        writeFileSync(input, Buffer.alloc(960));
        const args = command === 'plan' ? ['plan', model]
          : ['infer', model, '--input', input, '--output', join(scratch.dir, 'out.bin')];
        const r = runCli(args);
        assert.notEqual(r.status, 0, 'exit status');
        assert.notEqual(r.status, null, 'killed by a signal');
        const missing = signalOps.filter((op) => !r.stderr.includes(op));
        assert.deepEqual(missing, [], `stderr was: ${r.stderr.trim()}`);
        if (command === 'plan') {
          // every missing operator at once, each with the TFLite Micro kernel that covers it
          for (const op of signalOps) {
            const file = op.slice('Signal'.length).replace(/PCAN/, 'Pcan').replace(/FftAutoScale/, 'FftAutoScale')
              .replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase().replace(/^fft_auto_scale$/, 'fft_auto_scale_kernel');
            assert.match(r.stderr, new RegExp(`^  ${op}: TFLite Micro kernel signal/micro/kernels/${file}\\.cc$`, 'm'));
          }
          assert.match(r.stderr, /^ {2}CAST: TFLite Micro kernel tensorflow\/lite\/micro\/kernels\/cast\.cc$/m);
          assert.match(r.stderr, /^ {2}DIV: TFLite Micro kernel tensorflow\/lite\/micro\/kernels\/div\.cc$/m);
        }
      } finally {
        scratch.done();
      }
    });
  }
});
