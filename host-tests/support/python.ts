// Runs a Python snippet in the project's venv (numpy, tflite-micro) and parses its JSON reply.
import { execFileSync } from 'node:child_process';
import { python } from './paths.js';

export function runPythonJson<T>(code: string, stdin?: string | Uint8Array): T {
  const out = execFileSync(python, ['-c', code], {
    input: stdin,
    maxBuffer: 256 * 1024 * 1024,
    encoding: 'utf8',
  });
  return JSON.parse(out) as T;
}
