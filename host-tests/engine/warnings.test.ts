// Warning-free builds as a test: `make engine-warnings` (native/engine.mk) compiles the
// engine's sources (native/model, kernels, plan, engine) with -Wall -Wextra -Werror by host
// gcc and clang (-O2) and by arm-none-eabi-gcc (-mcpu=cortex-m4 -mthumb -Os) and
// riscv64-unknown-elf-gcc (-march=rv32imc -mabi=ilp32 -Os, picolibc), the engine-arm /
// engine-rv32 flags. Objects go to build/warn/<toolchain>, so the first run compiles
// everything (about 15 s on 2 cores) and later runs only what changed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../support/paths.js';

describe('engine builds warning-free (gcc, clang, Cortex-M4, rv32imc; -Werror)', function () {
  this.timeout(120_000);

  it('make engine-warnings succeeds', () => {
    const r = spawnSync('make', ['-j2', 'engine-warnings'], { cwd: repoRoot, encoding: 'utf8' });
    if (r.error) throw r.error;
    const out = `${r.stdout}\n${r.stderr}`;
    assert.equal(r.status, 0, `make engine-warnings failed:\n${out.slice(-4000)}`);
    assert.doesNotMatch(r.stderr, /warning:/, r.stderr);
  });
});
