// Corrupt models under AddressSanitizer + UndefinedBehaviorSanitizer (native/fuzz): every
// fixture model truncated at 64 points, 1,000 seeded byte flips, every structural field
// (offsets, vtables, vector lengths) zeroed and set huge. Each case must end in an error
// status or a valid run; a crash or a sanitizer report fails. The same for adapter and
// EWC-state import (the trainer's file formats). Then short libFuzzer runs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { fixtureModels, modelPath, scratchDir } from './harness.js';

const fuzzDir = join(repoRoot, 'build', 'fuzz');
const sanitizerReport = /ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: /;

interface Tally {
  cases: number; open_error: number; plan_error: number; arena_over_cap: number;
  init_error: number; not_invoked: number; invoke_error: number; ran: number;
}
interface DriverReport { model: string; pristine_ok: boolean; truncate: Tally; flip: Tally; field: Tally }

describe('corrupt models under ASan + UBSan', function () {
  this.timeout(240_000);
  let scratch: { dir: string; done: () => void };

  before(() => {
    execFileSync('make', ['-s', '-j2', 'fuzz'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    scratch = scratchDir('fuzz');
  });
  after(() => scratch?.done());

  const models: string[] = [...fixtureModels, 'audio_preprocessor_int8'];
  for (const name of models) {
    // person_detect's sanitized inference takes ~60 ms: invoke at most 100 corrupted models
    // per kind of case (the rest stop after session init) and corrupt every third field.
    // docs/testing.md has the full run.
    const big = name === 'person_detect';
    const extra = big ? ['--max-invokes', '100', '--field-stride', '3'] : [];
    it(`${name}: 64 truncations, 1000 byte flips, ${big ? 'every third' : 'every'} offset/length field corrupted`, () => {
      const fields = join(scratch.dir, `${name}.fields`);
      writeFileSync(fields, execFileSync(python, [join(repoRoot, 'native', 'fuzz', 'fbfields.py'), modelPath(name)]));
      const r = spawnSync(join(fuzzDir, 'fuzz-corrupt'), [
        modelPath(name), '--truncations', '64', '--flips', '1000', '--seed', '20240601', '--fields', fields,
        ...extra,
      ], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      const stderr = r.stderr.split('\n').slice(-40).join('\n');
      assert.equal(r.signal, null, `killed by ${String(r.signal)}:\n${stderr}`);
      assert.doesNotMatch(r.stderr, sanitizerReport, stderr);
      assert.equal(r.status, 0, stderr);
      const report = JSON.parse(r.stdout) as DriverReport;
      assert.equal(report.truncate.cases, 64);
      assert.equal(report.flip.cases, 1000);
      assert.ok(report.field.cases > 100, `only ${report.field.cases} field cases`);
      // A model cut before its end is never valid (the root table and vectors lie throughout),
      // except where the cut removes only the alignment padding after the last string's NUL
      // (audio_preprocessor_int8 ends in "SignalWindow" + NUL + 3 bytes of padding).
      const bytes = readFileSync(modelPath(name));
      let zeros = 0;
      while (zeros < bytes.length && bytes[bytes.length - 1 - zeros] === 0) zeros++;
      const padding = Math.max(0, zeros - 1);
      assert.ok(report.truncate.ran + report.truncate.not_invoked <= padding,
        `a truncated model was accepted (${report.truncate.ran + report.truncate.not_invoked} > ${padding} padding bytes)`);
      assert.ok(report.flip.ran > 0, 'no flipped model ran: the driver is not exercising invoke');
      // The pristine model runs in exactly its planned arena (and not in one byte less).
      assert.equal(report.pristine_ok, true, stderr);
    });
  }

  // Review finding 5: well-formed models whose fields are absurd for the operator
  // (native/fuzz/absurdmodels.py: strided-slice strides and begin/end at the int32 extremes,
  // depthwise multipliers that wrap the input depth, dilations and pool windows whose padding
  // would overflow the kernels' int32 index math, FC batches x rows that wraps int32). Each is
  // run uncorrupted through the sanitized driver: refused with a status and a message (the
  // driver aborts on a refusal without one), or, for the few that are valid, run.
  it('absurd operator fields (int64 shape arithmetic): refused with a status, no sanitizer report', () => {
    const dir = join(scratch.dir, 'absurd');
    const cases = JSON.parse(execFileSync(python, [join(repoRoot, 'native', 'fuzz', 'absurdmodels.py'), dir],
      { encoding: 'utf8' })) as { name: string; file: string; expect: 'refused' | 'runs' }[];
    assert.ok(cases.length >= 15 && cases.filter((c) => c.expect === 'refused').length >= 12);
    for (const c of cases) {
      const r = spawnSync(join(fuzzDir, 'fuzz-corrupt'), [c.file, '--truncations', '0', '--flips', '0'],
        { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      const stderr = r.stderr.split('\n').slice(-20).join('\n');
      assert.equal(r.signal, null, `${c.name}: killed by ${String(r.signal)}:\n${stderr}`);
      assert.doesNotMatch(r.stderr, sanitizerReport, `${c.name}:\n${stderr}`);
      assert.equal(r.status, 0, `${c.name}:\n${stderr}`);
      const outcome = (JSON.parse(r.stdout) as { pristine_outcome: string }).pristine_outcome;
      if (c.expect === 'runs') assert.equal(outcome, 'ran', `${c.name}:\n${stderr}`);
      else assert.match(outcome, /^(open|plan|init)_error$/, `${c.name}: ${outcome}`);
    }
  });

  // Adapter (EPAD) and EWC-state (EPEW) import, with the trainer under the sanitizers
  // (native/fuzz/adapter_driver.c): every truncation (raw, and made self-consistent with the
  // length field and CRC-32 patched), seeded byte flips and every header / record-head field at
  // extremes, the CRC fixed up so they reach the field checks. Accepted cases run a forward and
  // a step; refusals must carry a message.
  interface Count { cases: number; accepted: number }
  interface FormatReport { bytes: number; pristine_ok: boolean; fields: number; truncate: Count; truncate_crc_fixed: Count; flip: Count; field: Count }
  const demoModel = join(repoRoot, 'data', 'demo', 'digits_mlp_int8.tflite');
  const adapterSpecs = [
    'lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+ewc:lambda=100',
    'prompt:layers=0,len=8+bias:layers=1+lora:rank=2,alpha=4,layers=1+ewc:lambda=50+sgd:momentum=0.9',
  ];
  for (const spec of adapterSpecs) {
    it(`adapter + EWC + checkpoint import (${spec.split('+').map((t) => t.split(':')[0]).join('+')}): truncations, flips, field extremes`, () => {
      const r = spawnSync(join(fuzzDir, 'fuzz-adapter'), [demoModel, spec, '--flips', '1000', '--seed', '20240601'],
        { encoding: 'utf8', maxBuffer: 16 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      const stderr = r.stderr.split('\n').slice(-40).join('\n');
      assert.equal(r.signal, null, `killed by ${String(r.signal)}:\n${stderr}`);
      assert.doesNotMatch(r.stderr, sanitizerReport, stderr);
      assert.equal(r.status, 0, stderr);
      const report = JSON.parse(r.stdout) as { sh_h_huge_refused: boolean; adapter: FormatReport; ewc: FormatReport; checkpoint: FormatReport };
      // the review's crafted file (LoRA A shift 0x7ffffff0, CRC fixed) is refused, not run
      if (spec.startsWith('lora')) assert.equal(report.sh_h_huge_refused, true);
      for (const f of [report.adapter, report.ewc, report.checkpoint]) {
        assert.equal(f.pristine_ok, true);
        assert.equal(f.truncate.cases, f.bytes);
        assert.equal(f.truncate.accepted, 0, 'a truncated file was accepted');
        assert.equal(f.truncate_crc_fixed.accepted, 0, 'a truncated file with a matching length and CRC was accepted');
        assert.ok(f.field.cases >= 12 * f.fields && f.fields > 20, `only ${f.field.cases} field cases`);
        assert.ok(f.flip.accepted > 0 && f.flip.accepted < f.flip.cases, 'flips never reached (or never failed) the field checks');
      }
    });
  }

  it('libFuzzer adapter harness: short run seeded with exported adapter, EWC and checkpoint files finds nothing', () => {
    const corpus = join(scratch.dir, 'adapter-corpus');
    mkdirSync(corpus, { recursive: true });
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0', EP_FUZZ_MODEL: demoModel, EP_FUZZ_SPEC: adapterSpecs[0] };
    execFileSync(join(fuzzDir, 'fuzz-adapter'), [demoModel, adapterSpecs[0]!, '--flips', '0', '--write-seed', corpus], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const r = spawnSync(join(fuzzDir, 'fuzz-adapter-lf'), [
      '-seed=1', '-max_total_time=8', '-max_len=4096', '-timeout=10', '-rss_limit_mb=1024', `-artifact_prefix=${scratch.dir}/`, corpus,
    ], { encoding: 'utf8', maxBuffer: 64 << 20, env });
    const tail = r.stderr.split('\n').slice(-40).join('\n');
    assert.equal(r.signal, null, tail);
    assert.doesNotMatch(r.stderr, sanitizerReport, tail);
    assert.equal(r.status, 0, tail);
    assert.match(r.stderr, /Done \d+ runs/, tail);
  });

  it('libFuzzer harness: short run seeded with the fixture models finds nothing', () => {
    const corpus = join(scratch.dir, 'corpus');
    mkdirSync(corpus, { recursive: true });
    // Small models only: person_detect (300 KB) makes each execution too slow for CI.
    for (const m of ['hello_world_int8', 'micro_speech_quantized', 'keyword_scrambled_8bit', 'conv20', 'audio_preprocessor_int8']) {
      copyFileSync(modelPath(m), join(corpus, `${m}.tflite`));
    }
    const r = spawnSync(join(fuzzDir, 'fuzz-reader'), [
      '-seed=1', '-max_total_time=30', '-max_len=32768', '-timeout=10', '-rss_limit_mb=1024',
      `-artifact_prefix=${scratch.dir}/`, corpus,
    ], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    const tail = r.stderr.split('\n').slice(-40).join('\n');
    assert.equal(r.signal, null, tail);
    assert.doesNotMatch(r.stderr, sanitizerReport, tail);
    assert.equal(r.status, 0, tail);
    assert.match(r.stderr, /Done \d+ runs/, tail);
  });
});
