// Adapter refusals name the field they refused, through the CLI (`eval` / `infer --adapter`,
// `train --init`). Oracle: the bytes we damage here (CRC-32 recomputed with zlib so the damage
// reaches the field checks) and the sizes we cut them to.
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, run, runStatus, speechSet, tmp, train } from './helpers.js';

function withCrc(b: Buffer): Buffer {
  const c = Buffer.from(b);
  c.writeUInt32LE(crc32(c.subarray(0, c.length - 4)) >>> 0, c.length - 4);
  return c;
}

describe('adapter refusals name the field (CLI)', function () {
  let dir = '';
  let good: Buffer;
  before(function () {
    dir = tmp();
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=4,layers=0+bias:layers=0..-1',
      '--steps', '20', '--out', join(dir, 'a.bin')]);
    good = readFileSync(join(dir, 'a.bin'));
  });

  const evalWith = (name: string, bytes: Buffer): string => {
    writeFileSync(join(dir, name), bytes);
    const r = runStatus(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(dir, name)]);
    assert.notEqual(r.status, 0, name);
    return r.stderr;
  };

  it('truncated, bad CRC, huge sh_h, wrong tensor count', function () {
    assert.match(evalWith('t.bin', good.subarray(0, 520)), new RegExp(`adapter: truncated: 520 < ${good.length} bytes`));
    const flipped = Buffer.from(good); flipped[100] = flipped[100]! ^ 1;
    assert.match(evalWith('c.bin', flipped), /adapter: CRC-32 mismatch/);
    // the review's crafted adapter: the first record (LoRA A) shift at byte 52 set huge, CRC fixed
    const sh = Buffer.from(good); sh.writeInt32LE(0x7ffffff0, 76 + 8);
    assert.match(evalWith('s.bin', withCrc(sh)), /adapter: layer 0 LoRA A shift 2147483632 outside -1\.\.31/);
    const count = Buffer.from(good); count.writeUInt16LE(200, 30);
    assert.match(evalWith('n.bin', withCrc(count)), /adapter: 200 tensor records in \d+ bytes/);
  });

  it('an adapter trained for another rank: infer --adapter and train --init say which', function () {
    // rank 2 session from the spec, rank 4 adapter from the file
    const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=2,alpha=4,layers=0+bias:layers=0..-1',
      '--steps', '1', '--init', join(dir, 'a.bin'), '--out', join(dir, 'x.bin')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--init: adapter does not fit this model and spec: adapter: rank 4 alpha 4, session has rank 2 alpha 4/);
    const input = join(dir, 'in.bin');
    writeFileSync(input, Buffer.alloc(64));
    const cut = runStatus(['infer', digits, '--input', input, '--adapter', join(dir, 't.bin')]);
    assert.notEqual(cut.status, 0);
    assert.match(cut.stderr, /adapter: truncated: 520 < \d+ bytes/);
  });

  it('an adapter of another model says so: digits LoRA on micro_speech is not called truncated', function () {
    const data = join(dir, 'speech.bin');
    speechSet(data, 3, 8);
    // same spec shape on both models: one LoRA layer and the last bias (micro_speech has one FC)
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=4,layers=0+bias:layers=-1',
      '--steps', '5', '--out', join(dir, 'one.bin')]);
    const r = runStatus(['eval', join(modelsDir, 'micro_speech_quantized.tflite'), '--data', data, '--adapter', join(dir, 'one.bin')]);
    assert.notEqual(r.status, 0);
    // the identity is checked before any shape (the shapes also differ: 64 vs 4000 inputs)
    assert.match(r.stderr, /adapter: made for another model \(base SHA-256 [0-9a-f]{8}\.\.\., session's [0-9a-f]{8}\.\.\.\)/);
    assert.doesNotMatch(r.stderr, /truncated/);
  });
});

describe('base-model identity (SHA-256 of the model bytes) in adapters and checkpoints', function () {
  let dir = '';
  let neg = '';
  before(function () {
    dir = tmp();
    // same shapes and scales, first-layer weights negated: only the identity can tell them apart
    neg = join(dir, 'negated.tflite');
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'modeledit.py'), digits, '--negate-first-weights', '-o', neg]);
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=4,alpha=4,layers=0+bias:layers=-1',
      '--steps', '5', '--out', join(dir, 'a.bin'), '--checkpoint-out', join(dir, 'a.ck')]);
  });

  it('the adapter records the SHA-256 of its base model (Node crypto as the oracle)', function () {
    const a = readFileSync(join(dir, 'a.bin'));
    assert.equal(a.subarray(0, 4).toString(), 'EPAD');
    assert.equal(a.readUInt16LE(4), 3);
    assert.equal(a.subarray(44, 76).toString('hex'), createHash('sha256').update(readFileSync(digits)).digest('hex'));
    const ck = readFileSync(join(dir, 'a.ck'));
    assert.equal(ck.subarray(32, 64).toString('hex'), createHash('sha256').update(readFileSync(digits)).digest('hex'));
  });

  it('eval, infer and train --init / --resume on another model with the same shapes refuse it by name', function () {
    const want = createHash('sha256').update(readFileSync(digits)).digest('hex').slice(0, 8);
    const have = createHash('sha256').update(readFileSync(neg)).digest('hex').slice(0, 8);
    const msg = new RegExp(`made for another model \\(base SHA-256 ${want}\\.\\.\\., session's ${have}\\.\\.\\.\\)`);
    const e = runStatus(['eval', neg, '--data', demo('user_test.bin'), '--adapter', join(dir, 'a.bin')]);
    assert.notEqual(e.status, 0);
    assert.match(e.stderr, new RegExp('adapter: ' + msg.source));
    const input = join(dir, 'in.bin');
    writeFileSync(input, Buffer.alloc(64));
    const i = runStatus(['infer', neg, '--input', input, '--adapter', join(dir, 'a.bin')]);
    assert.notEqual(i.status, 0);
    assert.match(i.stderr, msg);
    const spec = ['--adapter', 'lora:rank=4,alpha=4,layers=0+bias:layers=-1', '--steps', '1', '--out', join(dir, 'x.bin')];
    const t = runStatus(['train', neg, '--data', demo('user_pool.bin'), ...spec, '--init', join(dir, 'a.bin')]);
    assert.notEqual(t.status, 0);
    assert.match(t.stderr, msg);
    const r = runStatus(['train', neg, '--data', demo('user_pool.bin'), ...spec, '--resume', join(dir, 'a.ck')]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, new RegExp('checkpoint: ' + msg.source));
    // and the same files on their own model are accepted (the refusals above are the identity)
    assert.equal(runStatus(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(dir, 'a.bin')]).status, 0);
    assert.equal(runStatus(['train', digits, '--data', demo('user_pool.bin'), ...spec, '--resume', join(dir, 'a.ck')]).status, 0);
  });
});

describe('train CLI numbers: decimal and exponent forms, ranges named', function () {
  let dir = '';
  before(function () { dir = tmp(); });
  const sha = (lr: string): string => {
    const out = run(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'bias:layers=-1', '--steps', '3',
      '--seed', '1', '--lr', lr, '--out', join(dir, `lr${lr}.bin`)]);
    const m = /sha256 ([0-9a-f]{64})/.exec(out);
    assert.ok(m, out);
    return m[1]!;
  };
  const refused = (opt: string, v: string): string => {
    const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', 'bias:layers=-1', '--steps', '1',
      opt, v, '--out', join(dir, 'x.bin')]);
    assert.notEqual(r.status, 0, `${opt} ${v} accepted`);
    return r.stderr;
  };

  it('1e-3, 1E-3, 0.001 and 10e-4 train the same adapter; 2e-3 another', function () {
    const ref = sha('0.001');
    for (const f of ['1e-3', '1E-3', '10e-4', '0.1e-2', '.001']) assert.equal(sha(f), ref, f);
    assert.notEqual(sha('2e-3'), ref);
  });

  it('out-of-range and malformed values name the allowed range', function () {
    assert.match(refused('--lr', '1e-7'), /--lr: 1e-7 is out of range: allowed 0\.000001 to 1$/m);
    assert.match(refused('--lr', '2'), /--lr: 2 is out of range: allowed 0\.000001 to 1$/m);
    assert.match(refused('--lr', '0'), /--lr: 0 is out of range/);
    assert.match(refused('--lr', '1e'), /--lr: not a non-negative number: 1e \(allowed 0\.000001 to 1\)/);
    assert.match(refused('--lr', '-0.001'), /--lr: not a non-negative number/);
    assert.match(refused('--momentum', '1'), /--momentum: 1 is out of range: allowed 0 to 0\.999999$/m);
    assert.match(refused('--ewc', '1e-4'), /--ewc: 1e-4 is out of range: allowed 0 to 4294967\.295$/m);
  });
});
