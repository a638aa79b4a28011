#!/usr/bin/env node
// edge-peft: thin wrapper running the native CLI (build/bin/edge-peft) with
// the same arguments, stdio and exit status; the fleet operator's commands (delta, fleet) are
// host TypeScript (build/js/tools/<command>/main.js) on node:crypto.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const hosted = ['delta', 'fleet'].includes(process.argv[2] ?? '');
const bin = hosted ? join(root, 'build', 'js', 'tools', process.argv[2], 'main.js') : join(root, 'build', 'bin', 'edge-peft');
if (!existsSync(bin)) {
  process.stderr.write(`edge-peft: ${bin} not built; run \`npm run build\` in ${root}\n`);
  process.exit(127);
}
const r = hosted
  ? spawnSync(process.execPath, [bin, ...process.argv.slice(3)], { stdio: 'inherit' })
  : spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
if (r.error) {
  process.stderr.write(`edge-peft: ${r.error.message}\n`);
  process.exit(127);
}
process.exit(r.status ?? 1);
