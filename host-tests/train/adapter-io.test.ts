// CLI and adapter bytes: spec errors, SHA-256 against Node's crypto, zero adapter equals
// TFLite Micro, imported adapter equals the trained session, cross-target digests.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, python, repoRoot } from '../support/paths.js';
import { demo, digits, run, runStatus, tmp, train } from './helpers.js';

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('trainer CLI and adapter bytes', function () {
  it('rejects bad adapter specs with a message naming the problem', function () {
    for (const [spec, msg] of [['lora:rank=0', 'bad value for lora:rank: 0'], ['lorax:rank=2', 'unknown adapter kind'],
      ['bias:layers=5', 'out of range'], ['lora:rnk=2', 'unknown key'], ['', 'no adapter']] as const) {
      const r = runStatus(['train', digits, '--data', demo('user_pool.bin'), '--adapter', spec,
        '--steps', '1', '--out', join(tmp(), 'a.bin')]);
      assert.notEqual(r.status, 0, spec);
      assert.match(r.stderr, new RegExp(msg), spec);
    }
  });

  it('prints the SHA-256 of the adapter file it writes (checked with node:crypto)', function () {
    const d = tmp();
    const j = train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=2,alpha=4,layers=0+bias:layers=1',
      '--steps', '50', '--seed', '9', '--out', join(d, 'a.bin')]);
    assert.equal(j.sha256, sha(join(d, 'a.bin')));
    assert.equal(j.steps.length, 50);
    // same seed and data: byte-identical adapter; another seed: a different one
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=2,alpha=4,layers=0+bias:layers=1',
      '--steps', '50', '--seed', '9', '--out', join(d, 'b.bin')]);
    assert.equal(sha(join(d, 'b.bin')), j.sha256);
    train([digits, '--data', demo('user_pool.bin'), '--adapter', 'lora:rank=2,alpha=4,layers=0+bias:layers=1',
      '--steps', '50', '--seed', '10', '--out', join(d, 'c.bin')]);
    assert.notEqual(sha(join(d, 'c.bin')), j.sha256);
  });

  it('with no adapter, eval outputs equal the TFLite Micro interpreter byte for byte', function () {
    const d = tmp();
    const recs = readFileSync(demo('user_test.bin'));
    const inputs = Buffer.alloc((recs.length / 65) * 64);
    for (let r = 0; r < recs.length / 65; r++) recs.copy(inputs, r * 64, r * 65 + 1, r * 65 + 65);
    writeFileSync(join(d, 'in.bin'), inputs);
    run(['eval', digits, '--data', demo('user_test.bin'), '--outputs', join(d, 'ours.bin')]);
    execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), digits, '--input', join(d, 'in.bin'),
      '--output', join(d, 'tflm.bin')]);
    assert.ok(readFileSync(join(d, 'ours.bin')).equals(readFileSync(join(d, 'tflm.bin'))));
  });

  it('inference with the imported adapter equals the outputs at the end of training', function () {
    const d = tmp();
    for (const spec of ['lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1', 'prompt:layers=0,len=32+bias:layers=-1']) {
      train([digits, '--data', demo('user_pool.bin'), '--adapter', spec, '--steps', '300', '--seed', '2',
        '--momentum', '0.9', '--out', join(d, 'a.bin'), '--eval-data', demo('user_test.bin'),
        '--outputs', join(d, 'trained.bin')]);
      run(['eval', digits, '--data', demo('user_test.bin'), '--adapter', join(d, 'a.bin'),
        '--outputs', join(d, 'imported.bin')]);
      const a = readFileSync(join(d, 'trained.bin'));
      assert.ok(a.length === 240 * 10 && a.equals(readFileSync(join(d, 'imported.bin'))), spec);
    }
  });

  it('adapter digests are identical on x86-64, Cortex-M4 (qemu) and rv32imc (qemu)', function () {
    // "name: ... bytes N ... adapter HEX" per configuration (arena sizes differ: 32- vs 64-bit
    // pointers); the SHA-256 of the bytes is Node's, so no hash runs on the targets
    const digests = (out: string): string[] =>
      [...out.matchAll(/^([\w+]+): steps .* bytes (\d+) .*adapter ([0-9a-f]+)$/gm)].map((m) => {
        const bytes = Buffer.from(m[3]!, 'hex');
        assert.equal(bytes.length, Number(m[2]), `${m[1]}: adapter hex cut short`);
        return `${m[1]} ${createHash('sha256').update(bytes).digest('hex')}`;
      });
    const host = digests(execFileSync(join(binDir, 'ept-cross-host'), { encoding: 'utf8' }));
    // semihosting console output arrives on qemu's stderr; exit(status) ends qemu
    const qemu = (bin: string, args: string[]): string => {
      const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300000 });
      assert.equal(r.status, 0, `${bin}: ${r.stderr}`);
      return r.stdout + r.stderr;
    };
    const m4out = qemu('qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-semihosting-config',
      'enable=on,target=native', '-kernel', join(repoRoot, 'build', 'cross', 'ept-cross-m4.elf')]);
    const rvout = qemu('qemu-system-riscv32', ['-M', 'virt', '-bios', 'none', '-nographic',
      '-semihosting-config', 'enable=on,target=native', '-kernel', join(repoRoot, 'build', 'cross', 'ept-cross-rv32.elf')]);
    // three micro_speech configs + person_detect 1x1-conv LoRA, kept and recomputed activations,
    // then the full fine-tune and the bottleneck adapter on the micro_speech head
    assert.equal(host.length, 7);
    assert.equal(host[4].split(' ')[1], host[3].split(' ')[1]); // recomputation: same digest
    assert.deepEqual(digests(m4out), host);
    assert.deepEqual(digests(rvout), host);
    assert.match(m4out, /stack peak \d+ bytes/);
    // the Cortex-M4 image links no allocator
    const syms = execFileSync('arm-none-eabi-nm', [join(repoRoot, 'build', 'cross', 'ept-cross-m4.elf')], { encoding: 'utf8' });
    assert.doesNotMatch(syms, / T (malloc|free|calloc|realloc)\n/);
  });
});
