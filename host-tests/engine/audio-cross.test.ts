// The audio front end on the boards' ISAs: native/cross/audio_main.c (audio_preprocessor_int8,
// micro_speech_quantized and yes_1000ms.wav embedded) built for Cortex-M4 (qemu mps2-an386,
// soft-float: the FFT twiddles from picolibc's double cos / sin) and rv32imc (qemu virt). Its
// 49 x 40 features must be TFLite Micro's byte for byte (the oracle on the host) and the label
// "yes" (index 2).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelsDir, python, repoRoot } from '../support/paths.js';
import { oracleScript, scratchDir } from './harness.js';

describe('audio front end on Cortex-M4 and rv32imc (qemu) vs TFLite Micro', function () {
  this.timeout(600_000);
  const scratch = scratchDir('audio-cross');
  after(() => scratch.done());
  let expected: Buffer;
  before(() => {
    execFileSync('make', ['-s', '-j2', 'audio-cross'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    const wav = readFileSync(join(modelsDir, 'inputs', 'yes_1000ms.wav'));
    const frames = Buffer.alloc(49 * 960);
    for (let f = 0; f < 49; f++) wav.copy(frames, f * 960, 44 + f * 640, 44 + f * 640 + 960);
    writeFileSync(join(scratch.dir, 'in.bin'), frames);
    execFileSync(python, [oracleScript, join(modelsDir, 'audio_preprocessor_int8.tflite'), '--input',
      join(scratch.dir, 'in.bin'), '--output', join(scratch.dir, 'out.bin'), '--keep-state'], { stdio: ['ignore', 'ignore', 'pipe'] });
    expected = readFileSync(join(scratch.dir, 'out.bin'));
  });

  const targets: [string, string, string[]][] = [
    ['Cortex-M4', 'qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-semihosting-config', 'enable=on,target=native',
      '-kernel', join(repoRoot, 'build', 'cross', 'audio-m4.elf')]],
    ['rv32imc', 'qemu-system-riscv32', ['-M', 'virt', '-bios', 'none', '-nographic', '-semihosting-config', 'enable=on,target=native',
      '-kernel', join(repoRoot, 'build', 'cross', 'audio-rv32.elf')]],
  ];
  for (const [name, bin, args] of targets) {
    it(`${name}: yes_1000ms.wav features byte-identical with TFLite Micro, label yes`, () => {
      // semihosting console output arrives on qemu's stderr; exit(status) ends qemu
      const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 300_000 });
      const out = r.stdout + r.stderr;
      assert.equal(r.status, 0, out.slice(-500));
      const m = /^features ([0-9a-f]+)$/m.exec(out);
      assert.ok(m !== null && m[1] !== undefined, out.slice(-500));
      const got = Buffer.from(m[1], 'hex');
      assert.equal(got.length, 1960);
      assert.ok(got.equals(expected), 'features differ from the oracle');
      assert.match(out, /^scores -?\d+ -?\d+ -?\d+ -?\d+ label 2$/m);
      assert.match(out, /^done 0$/m);
    });
  }
});
