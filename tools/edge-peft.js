#!/usr/bin/env node
// edge-peft: thin wrapper running the native CLI (build/bin/edge-peft) with
// the same arguments, stdio and exit status.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'build', 'bin', 'edge-peft');
if (!existsSync(bin)) {
  process.stderr.write(`edge-peft: ${bin} not built; run \`make\` in ${root}\n`);
  process.exit(127);
}
const r = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`edge-peft: ${r.error.message}\n`);
  process.exit(127);
}
process.exit(r.status ?? 1);
