// The audio front end (issue 11 item 4): TFLite Micro's Signal library ops and the int32 /
// unsigned builtins of micro_speech's audio_preprocessor_int8, against the TFLite Micro
// interpreter (whose Python package registers the Signal ops). The real model on the shared
// yes / no recordings (49 frames of 30 ms, 20 ms stride, as TFLM's micro_speech example runs
// it, noise state carried across frames): every operator's output and every feature frame
// byte-identical, then micro_speech labels the features "yes" and "no". Single-op models from
// tools/oracle/signalmodels.py vary what the real model fixes (FFT lengths and radices,
// partial frames, window shifts, filter banks with negative weights, full-range inputs that
// make the fixed-point arithmetic wrap).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, python } from '../support/paths.js';
import {
  inputsDir, modelOperators, modelPath, oracleScript, retargetOutput, runCli, runEngine,
  scratchDir,
} from './harness.js';

const FRAME = 480;   // 30 ms at 16 kHz
const STRIDE = 320;  // 20 ms
const FRAMES = 49;   // micro_speech's 49 x 40 features
const LABELS = ['silence', 'unknown', 'yes', 'no'];

/** The int16 samples of a 16 kHz mono 16-bit PCM .wav (RIFF chunks walked, not assumed). */
export function wavSamples(file: string): Int16Array {
  const b = readFileSync(file);
  assert.equal(b.toString('latin1', 0, 4), 'RIFF');
  assert.equal(b.toString('latin1', 8, 12), 'WAVE');
  let at = 12;
  let fmtOk = false;
  while (at + 8 <= b.length) {
    const id = b.toString('latin1', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    if (id === 'fmt ') {
      assert.equal(b.readUInt16LE(at + 8), 1, 'PCM');
      assert.equal(b.readUInt16LE(at + 10), 1, 'mono');
      assert.equal(b.readUInt32LE(at + 12), 16000, '16 kHz');
      assert.equal(b.readUInt16LE(at + 22), 16, '16-bit');
      fmtOk = true;
    } else if (id === 'data') {
      assert.ok(fmtOk, 'fmt chunk before data');
      const out = new Int16Array(size / 2);
      for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(at + 8 + 2 * i);
      return out;
    }
    at += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/** The 49 overlapping frames, back to back, as the preprocessor's int16 [1, 480] inputs. */
function frames(samples: Int16Array): Buffer {
  const out = Buffer.alloc(FRAMES * FRAME * 2);
  for (let f = 0; f < FRAMES; f++) {
    for (let i = 0; i < FRAME; i++) out.writeInt16LE(samples[f * STRIDE + i] ?? 0, (f * FRAME + i) * 2);
  }
  return out;
}

function oracle(model: string, input: Buffer, dir: string, stream: boolean, tensors: number[] = []): Map<number, Buffer> {
  const inFile = join(dir, 'o-in.bin');
  const outFile = join(dir, 'o-out.bin');
  writeFileSync(inFile, input);
  const args = [oracleScript, model, '--input', inFile, '--output', outFile, '--arena', '65536'];
  if (stream) args.push('--keep-state');
  if (tensors.length > 0) args.push('--output-tensors', tensors.join(','));
  execFileSync(python, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const out = new Map<number, Buffer>([[-1, readFileSync(outFile)]]);
  for (const t of tensors) out.set(t, readFileSync(`${outFile}.${t}`));
  return out;
}

function argmax(scores: Buffer): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores.readInt8(i) > scores.readInt8(best)) best = i;
  return best;
}

describe('audio front end: audio_preprocessor_int8 vs TFLite Micro on the yes / no recordings', function () {
  this.timeout(300_000);
  let scratch: { dir: string; done: () => void };
  before(() => { scratch = scratchDir('audio'); });
  after(() => scratch.done());
  const pre = modelPath('audio_preprocessor_int8');
  const speech = modelPath('micro_speech_quantized');

  for (const word of ['yes', 'no'] as const) {
    it(`${word}_1000ms.wav: every operator's output and all 49 x 40 features equal the oracle's; micro_speech says "${word}"`, () => {
      const input = frames(wavSamples(join(inputsDir, `${word}_1000ms.wav`)));
      const ours = runEngine(pre, input, scratch.dir, true);
      const { outputs_at: outputsAt, ops } = modelOperators(pre);
      // the second outputs of SignalFftAutoScale (scale bits) and of the spectral subtraction
      // (noise estimate) are checked too
      const tensors = [...ops.map((o) => o.output), 22, 32];
      const expected = oracle(pre, input, scratch.dir, true, tensors);
      assert.equal(ours.length, FRAMES * 40);
      assert.ok(ours.equals(expected.get(-1) ?? Buffer.alloc(0)), 'features differ from the oracle');
      const failures: string[] = [];
      for (const t of tensors) {
        const variant = retargetOutput(pre, outputsAt, t, join(scratch.dir, `t${t}.tflite`));
        const got = runEngine(variant, input, scratch.dir, true);
        const want = expected.get(t) ?? Buffer.alloc(0);
        if (got.length !== want.length) { failures.push(`tensor ${t}: ${got.length} vs ${want.length} bytes`); continue; }
        // SignalEnergy (tensor 24, and its CAST 25) writes bins [5, 241) only; TFLM leaves the
        // rest of its arena bytes as they were, so only those bins are compared
        const per = got.length / FRAMES;
        for (let f = 0; f < FRAMES; f++) {
          const [lo, hi] = t === 24 || t === 25 ? [5 * 4, 241 * 4] : [0, per];
          if (!got.subarray(f * per + lo, f * per + hi).equals(want.subarray(f * per + lo, f * per + hi))) {
            failures.push(`tensor ${t}: frame ${f} differs`);
            break;
          }
        }
      }
      assert.deepEqual(failures, []);
      // the features are not degenerate: frames differ from each other
      const distinct = new Set<string>();
      for (let f = 0; f < FRAMES; f++) distinct.add(ours.subarray(f * 40, (f + 1) * 40).toString('hex'));
      assert.ok(distinct.size > 20, `only ${distinct.size} distinct frames`);
      // micro_speech on our features; the same scores as the oracle's model on the oracle's features
      const scores = runEngine(speech, ours, scratch.dir, false);
      const oracleScores = oracle(speech, expected.get(-1) ?? Buffer.alloc(0), scratch.dir, false).get(-1);
      assert.ok(scores.equals(oracleScores ?? Buffer.alloc(0)), 'micro_speech scores differ');
      assert.equal(LABELS[argmax(scores)], word, `scores ${[...scores].map((v) => (v << 24) >> 24).join(' ')}`);
    });
  }

  it('the noise state carries across frames and resets as TFLM resets it', () => {
    const input = frames(wavSamples(join(inputsDir, 'yes_1000ms.wav')));
    const reset = runEngine(pre, input, scratch.dir, false);     // reset before every frame
    const streamed = runEngine(pre, input, scratch.dir, true);
    assert.ok(reset.equals(oracle(pre, input, scratch.dir, false).get(-1) ?? Buffer.alloc(0)),
      'frames after a reset differ from the oracle after interpreter.reset()');
    assert.ok(!reset.equals(streamed), 'the state had no effect: reset and streamed features are equal');
  });
});

interface SignalCase {
  name: string; samples: number; stream: boolean; compare: [number, number] | null;
  element_bytes: number; refuse: string | null;
}

describe('audio front end: single-operator models vs TFLite Micro (tools/oracle/signalmodels.py)', function () {
  this.timeout(300_000);
  const scratch = scratchDir('signalops');
  after(() => scratch.done());
  execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'signalmodels.py'), scratch.dir]);
  const cases = JSON.parse(readFileSync(join(scratch.dir, 'cases.json'), 'utf8')) as SignalCase[];

  it('covers every Signal op, CAST and the int32 builtins', () => {
    const prefixes = ['window', 'auto_scale', 'rfft', 'energy', 'bank', 'sqrt', 'subtract', 'pcan', 'log',
      'cast', 'add', 'mul', 'div', 'min', 'max'];
    for (const p of prefixes) assert.ok(cases.some((c) => c.name.startsWith(`${p}_`) && c.refuse === null), p);
  });

  for (const c of cases) {
    const model = join(scratch.dir, `${c.name}.tflite`);
    const input = () => readFileSync(join(scratch.dir, `${c.name}.in`));
    if (c.refuse !== null) {
      const why = c.refuse;
      it(`${c.name}: refused ("${why}")`, () => {
        const r = runCli(['infer', model, '--input', join(scratch.dir, `${c.name}.in`), '--output', join(scratch.dir, 'x.bin')]);
        assert.notEqual(r.status, 0);
        assert.notEqual(r.status, null, 'killed by a signal');
        assert.match(r.stderr, new RegExp(why));
      });
      continue;
    }
    it(`${c.name}: equals the oracle on ${c.samples} ${c.stream ? 'streamed ' : ''}inputs`, () => {
      const got = runEngine(model, input(), scratch.dir, c.stream);
      const want = oracle(model, input(), scratch.dir, c.stream).get(-1) ?? Buffer.alloc(0);
      assert.equal(got.length, want.length);
      const per = got.length / c.samples;
      const [lo, hi] = c.compare === null ? [0, per] : [c.compare[0] * c.element_bytes, c.compare[1] * c.element_bytes];
      for (let s = 0; s < c.samples; s++) {
        assert.ok(got.subarray(s * per + lo, s * per + hi).equals(want.subarray(s * per + lo, s * per + hi)),
          `sample ${s} differs in bytes [${lo}, ${hi})`);
        // the engine writes the bins outside the energy range as 0
        if (c.compare !== null) {
          assert.ok(got.subarray(s * per, s * per + lo).every((v) => v === 0) &&
            got.subarray(s * per + hi, (s + 1) * per).every((v) => v === 0), 'bins outside [start, end) not 0');
        }
      }
    });
  }

  it('the log table is round((log2(1 + i / 128) - i / 128) * 65536), then a 0 guard entry', () => {
    const src = readFileSync(join(repoRoot, 'native', 'kernels', 'signal.c'), 'utf8');
    const m = /log_lut\[130\] = \{([^}]*)\}/.exec(src);
    assert.ok(m !== null && m[1] !== undefined, 'table not found');
    const table = m[1].split(',').map((v) => Number(v.trim()));
    const want = Array.from({ length: 129 }, (_, i) => Math.round((Math.log2(1 + i / 128) - i / 128) * 65536));
    assert.deepEqual(table, [...want, 0]);
  });
});
