// Corrupt models under AddressSanitizer + UndefinedBehaviorSanitizer (native/fuzz): every
// fixture model truncated at 64 points, 1,000 seeded byte flips, every structural field
// (offsets, vtables, vector lengths) zeroed and set huge. Each case must end in an error
// status or a valid run; a crash or a sanitizer report fails. Then a short libFuzzer run.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
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
      // A model cut before its end is never valid (the root table and vectors lie throughout).
      assert.equal(report.truncate.ran + report.truncate.not_invoked, 0, 'a truncated model was accepted');
      if (name !== 'audio_preprocessor_int8') assert.ok(report.flip.ran > 0, 'no flipped model ran: the driver is not exercising invoke');
      // The pristine model runs in exactly its planned arena (and not in one byte less);
      // the Signal-op model is rejected.
      assert.equal(report.pristine_ok, name !== 'audio_preprocessor_int8', stderr);
    });
  }

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
