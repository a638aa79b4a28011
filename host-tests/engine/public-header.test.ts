// Review finding 11: native/include/edge_peft.h is the one header a user includes. A program
// that sees only native/include (as the Moddable manifest and the simulator do) must reach the
// engine and the whole trainer API through it, each topic part must stand on its own (so the
// include order inside edge_peft.h cannot hide a missing dependency), and no second public
// trainer header may come back under native/train.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/paths.js';

const include = join(repoRoot, 'native/include');

function compile(dir: string, name: string, source: string): void {
  const file = join(dir, name);
  writeFileSync(file, source);
  execFileSync('cc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-pedantic', `-I${include}`, '-fsyntax-only', file],
    { stdio: 'pipe' });
}

describe('public header (edge_peft.h)', function () {
  it('gives engine and trainer API with only native/include on the path', function () {
    const d = mkdtempSync(join(tmpdir(), 'ep-hdr-'));
    compile(d, 'user.c', `#include "edge_peft.h"
/* one declaration from every part: types, kernels, model/session, trainer */
typedef void (*any_fn)(void);
static const any_fn api[] = {
    (any_fn)ep_status_name, (any_fn)ep_fully_connected_s8,
    (any_fn)ep_model_open, (any_fn)ep_session_init,
    (any_fn)ept_parse_spec, (any_fn)ept_session_init, (any_fn)ept_import,
    (any_fn)ept_adapter_config, (any_fn)ept_ewc_import,
    (any_fn)ept_checkpoint_import, (any_fn)ept_set_rates,
};
int main(void) { ept_session s; ept_config c; (void)s; (void)c; return (int)(sizeof api / sizeof api[0]) - 11; }
`);
  });

  it('every part compiles on its own', function () {
    const d = mkdtempSync(join(tmpdir(), 'ep-hdr-'));
    const parts = readdirSync(include).filter((f) => f.endsWith('.h'));
    assert.ok(parts.includes('edge_peft_train.h'), 'trainer API lives in native/include');
    for (const h of parts) compile(d, `${h}.c`, `#include "${h}"\n#include "${h}"\nint main(void) { return 0; }\n`);
  });

  it('no second public header under native/train', function () {
    assert.equal(existsSync(join(repoRoot, 'native/train/ept_train.h')), false);
  });
});
