// Where the repository, the shared fixtures and the built tools are, from compiled tests
// (build/js/host-tests/...), in a checkout and in CI alike.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'native'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repo root not found above ${start}`);
    dir = parent;
  }
  return dir;
}

export const repoRoot = findRepoRoot(dirname(fileURLToPath(import.meta.url)));
export const sharedDir = resolve(repoRoot, '..', 'shared');
export const modelsDir = join(sharedDir, 'models');
export const binDir = join(repoRoot, 'build', 'bin');
export const python = join(repoRoot, '.venv', 'bin', 'python');
