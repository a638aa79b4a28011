// `edge-peft ops` (TFLite Micro's operator list with the engine's supported flag) and the
// missing-operator report of `edge-peft plan`. The flag comes from the engine
// (ep_operator_supported), so it is checked from both sides: every operator marked
// supported has oracle-checked models (the op-coverage and layout generators, the fixture
// models), every operator with such a model is marked supported, and a model holding every
// operator marked unsupported is refused by plan with all of them named once, each with
// its TFLite Micro kernel.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { python, repoRoot } from '../support/paths.js';
import { fixtureModels, modelOperators, modelPath, runCli, scratchDir } from './harness.js';

interface Row { name: string; code: number; supported: boolean; kernel: string }

function opsTable(): Row[] {
  const r = runCli(['ops']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.toString('utf8').trim().split('\n');
  const summary = lines.pop() ?? '';
  const rows = lines.map((l) => {
    const [name, code, yes, kernel] = l.trim().split(/\s+/);
    assert.ok(name !== undefined && code !== undefined && kernel !== undefined, l);
    assert.ok(yes === 'yes' || yes === 'no', l);
    return { name, code: Number(code), supported: yes === 'yes', kernel };
  });
  const m = /^(\d+) of (\d+) TFLite Micro operators supported$/.exec(summary);
  assert.ok(m, summary);
  assert.equal(Number(m[1]), rows.filter((x) => x.supported).length);
  assert.equal(Number(m[2]), rows.length);
  return rows;
}

function generatorOps(script: string, dir: string): Set<string> {
  const cases = JSON.parse(execFileSync(python, [join(repoRoot, 'tools', 'oracle', script), dir],
    { encoding: 'utf8', maxBuffer: 64 << 20 })) as { op: string; refused?: string }[];
  return new Set(cases.filter((c) => c.refused === undefined).map((c) => c.op));
}

describe('edge-peft ops: TFLite Micro operators vs the engine', function () {
  this.timeout(300_000);
  const scratch = scratchDir('opstable');
  after(() => scratch.done());
  const rows = opsTable();

  it('lists each of TFLite Micro\'s operators once, with its kernel source', () => {
    assert.equal(new Set(rows.map((r) => r.name)).size, rows.length);
    assert.ok(rows.length >= 100, `${rows.length} rows`);
    for (const r of rows) {
      const dir = r.name.startsWith('Signal') ? 'signal/micro/kernels/' : 'tensorflow/lite/micro/kernels/';
      assert.ok(r.kernel.startsWith(dir) && r.kernel.endsWith('.cc'), `${r.name}: ${r.kernel}`);
      assert.equal(r.code === 32, r.name.startsWith('Signal'), `${r.name}: code ${r.code}`);
    }
  });

  it('marks supported exactly the operators that have oracle-checked models', () => {
    const tested = new Set([...generatorOps('opmodels.py', join(scratch.dir, 'op')),
      ...generatorOps('layoutmodels.py', join(scratch.dir, 'layout'))]);
    const byCode = new Map(rows.filter((r) => r.code !== 32).map((r) => [r.code, r.name]));
    for (const f of fixtureModels) {
      for (const op of modelOperators(modelPath(f)).ops) tested.add(byCode.get(op.builtin) ?? `builtin ${op.builtin}`);
    }
    // audio_preprocessor_int8, byte-identical with the oracle in signal-ops.test.ts: its builtins
    // (CAST, DIV, int32 binaries) and its custom codes (the Signal operators, stored as strings)
    const audio = modelPath('audio_preprocessor_int8');
    for (const op of modelOperators(audio).ops) if (op.builtin !== 32) tested.add(byCode.get(op.builtin) ?? `builtin ${op.builtin}`);
    for (const m of readFileSync(audio).toString('latin1').matchAll(/Signal[A-Za-z]+/g)) tested.add(m[0]);
    const supported = new Set(rows.filter((r) => r.supported).map((r) => r.name));
    assert.deepEqual([...supported].filter((n) => !tested.has(n)).sort(), [], 'supported without a model');
    assert.deepEqual([...tested].filter((n) => !supported.has(n)).sort(), [], 'tested but marked unsupported');
  });

  it('plan names every unsupported builtin at once, each once, with its kernel', () => {
    const missing = rows.filter((r) => !r.supported && r.code !== 32);
    assert.ok(missing.length > 30, `${missing.length} unsupported builtins`);
    const relu = rows.find((r) => r.name === 'RELU');
    assert.ok(relu?.supported === true);
    const first = missing[0];
    assert.ok(first !== undefined);
    // a supported operator in between and one unsupported operator twice
    const codes = [...missing.map((r) => r.code), relu.code, first.code];
    const model = join(scratch.dir, 'missing.tflite');
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'missingops.py'), model, ...codes.map(String)]);
    const r = runCli(['plan', model]);
    assert.equal(r.status, 1, r.stderr);
    const m = /unsupported operators: (.*)$/m.exec(r.stderr);
    assert.ok(m?.[1] !== undefined, r.stderr);
    assert.deepEqual(m[1].split(', '), missing.map((x) => x.name), 'the message lists each once, in model order');
    const hints = r.stderr.split('\n').filter((l) => l.startsWith('  '));
    assert.deepEqual(hints, missing.map((x) => `  ${x.name}: TFLite Micro kernel ${x.kernel}`));
  });

  it('docs/engine.md\'s operator table is `edge-peft ops --markdown` (first three columns), with its count', () => {
    const r = runCli(['ops', '--markdown']);
    assert.equal(r.status, 0, r.stderr);
    const want = r.stdout.toString('utf8').trim().split('\n');
    const doc = readFileSync(join(repoRoot, 'docs', 'engine.md'), 'utf8');
    const at = doc.indexOf('### Operators vs TFLite Micro');
    assert.ok(at >= 0, 'no operator table in docs/engine.md');
    const section = doc.slice(at).split(/\n#{2,3} /)[0] ?? '';
    const got = section.split('\n').filter((l) => /^\| [A-Z]/.test(l) && !l.startsWith('| Operator'))
      .map((l) => `${l.split('|').slice(0, 4).join('|')}|`);
    assert.deepEqual(got, want, 'regenerate the table: edge-peft ops --markdown');
    const count = /\((\d+) of (\d+) at this revision/.exec(section);
    assert.ok(count, 'no count in the table\'s text');
    assert.deepEqual([Number(count[1]), Number(count[2])], [rows.filter((x) => x.supported).length, rows.length]);
    // a yes row states the engine's types, a no row none
    for (const l of section.split('\n').filter((x) => /^\| [A-Z]/.test(x) && !x.startsWith('| Operator'))) {
      const cells = l.split('|').map((x) => x.trim());
      assert.equal(cells[4] !== '', cells[3] === 'yes', l);
    }
  });
});
