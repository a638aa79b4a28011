// Run-time trainer state calls used by the XS agent (ept_set_rates, ept_reset_adapters,
// EWC state export/import), each checked by build/bin/ept-state-check against a path that
// does not use the call: a fresh ept_init with the target setting, or the uninterrupted run.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { binDir } from '../support/paths.js';
import { demo, digits } from './helpers.js';

describe('trainer run-time state calls', function () {
  const out = execFileSync(join(binDir, 'ept-state-check'), [digits, demo('user_pool.bin')], { encoding: 'utf8' });
  const res = new Map([...out.matchAll(/^(\w+) (ok|FAIL)/gm)].map((m) => [m[1], m[2]]));
  for (const [name, what] of [
    ['reset_equals_init', 'reset after training gives the fresh-init adapter bytes'],
    ['reset_then_train', 'training after a reset equals training from a fresh init'],
    ['set_rates_equals_init', 'set_rates(lr) equals ept_init with that lr'],
    ['set_rates_state', 'set_rates cannot switch EWC on without its memory'],
    ['ewc_import_status', 'EWC state imports into a fresh trainer'],
    ['ewc_roundtrip', 'exported + imported Fisher/anchor continue exactly like the original'],
    ['ewc_state_matters', 'without the imported EWC state the run differs'],
    ['ewc_crc_checked', 'a corrupted EWC blob is rejected'],
  ] as const) {
    it(what, function () {
      assert.equal(res.get(name), 'ok', out);
    });
  }
});
