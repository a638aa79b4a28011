// Run-time trainer state calls used by the XS agent (ept_set_rates, ept_reset_adapters,
// EWC state export/import, EPCK checkpoints), each checked by build/bin/ept-state-check against a path that
// does not use the call: a fresh ept_init with the target setting, or the uninterrupted run.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir } from '../support/paths.js';
import { demo, digits } from './helpers.js';

describe('trainer run-time state calls', function () {
  // Run in before(), not at describe time: a crash of the binary then fails these tests instead
  // of aborting mocha's collection of every suite.
  let out = '';
  let res = new Map<string | undefined, string | undefined>();
  before(function () {
    out = execFileSync(join(binDir, 'ept-state-check'), [digits, demo('user_pool.bin')], { encoding: 'utf8' });
    res = new Map([...out.matchAll(/^(\w+) (ok|FAIL)/gm)].map((m) => [m[1], m[2]]));
  });
  for (const [name, what] of [
    ['reset_equals_init', 'reset after training gives the fresh-init adapter bytes'],
    ['reset_then_train', 'training after a reset equals training from a fresh init'],
    ['set_rates_equals_init', 'set_rates(lr) equals ept_init with that lr'],
    ['set_rates_state', 'set_rates cannot switch EWC on without its memory'],
    ['ewc_import_status', 'EWC state imports into a fresh trainer'],
    ['ewc_roundtrip', 'exported + imported Fisher/anchor continue exactly like the original'],
    ['ewc_state_matters', 'without the imported EWC state the run differs'],
    ['ewc_crc_checked', 'a corrupted EWC blob is rejected'],
    ['ewc_model_checked', 'an EWC image of another base model (SHA-256 differs, CRC resealed) is refused as such'],
    ['ewc_reserved_checked', 'a nonzero reserved byte (CRC resealed) is refused as "reserved byte 5", not as a version'],
    ['ckpt_resume_exact', 'checkpoint after N steps, import into a fresh trainer, M steps == N+M uninterrupted (momentum, DP)'],
    ['ckpt_adapter_not_enough', 'resuming from the EPAD adapter instead differs (the comparison can fail)'],
    ['ckpt_step0', 'a step-0 checkpoint (h shift uncalibrated) resets a trained trainer exactly'],
    ['ckpt_refuse_truncated', 'a checkpoint one byte short is refused, state unchanged'],
    ['ckpt_refuse_short', 'a 10-byte checkpoint is refused, state unchanged'],
    ['ckpt_refuse_crc', 'a flipped bit is refused by the CRC, state unchanged'],
    ['ckpt_refuse_magic', 'a wrong magic is refused'],
    ['ckpt_refuse_version', 'an unknown version is refused'],
    ['ckpt_refuse_momentum', 'a checkpoint without momentum is refused by a momentum session'],
    ['ckpt_refuse_rank', 'a checkpoint of another rank is refused (parameter count named)'],
    ['ckpt_refuse_model', 'a checkpoint of the same spec and seed for another base model is refused by its SHA-256'],
    ['ckpt_refuse_seed', 'a checkpoint of another seed is refused by the configuration hash'],
    ['ckpt_other_rate_ok', 'another learning rate is not another run: accepted'],
  ] as const) {
    it(what, function () {
      assert.equal(res.get(name), 'ok', out);
    });
  }
});
