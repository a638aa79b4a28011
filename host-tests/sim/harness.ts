// Runs build/bin/edge-peft-sim on small JS apps written to a temporary directory.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { binDir, repoRoot } from "../support/paths.js";

export const simBinary = join(binDir, "edge-peft-sim");

/** Absolute path of a compiled native/xs face, for fixture imports. */
export function face(module: string): string {
  return join(repoRoot, "build", "js", "native", "xs", module, `${module}.js`);
}

export interface SimRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The board's creation block, read independently of the simulator. */
export function boardCreation(): { chunk: { initial: number }; heap: { initial: number }; stack: number; keys: { available: number } } {
  const board = JSON.parse(readFileSync(join(repoRoot, "boards", "sim.json"), "utf8")) as {
    creation: { chunk: { initial: number }; heap: { initial: number }; stack: number; keys: { available: number } };
  };
  return board.creation;
}

/** A scratch directory holding fixture files; remove() deletes it. */
export class Fixture {
  readonly dir = mkdtempSync(join(tmpdir(), "edge-peft-sim-"));

  write(name: string, text: string | Uint8Array): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Runs the simulator with `args` (options then entry), working directory = repo root. */
  run(args: string[]): SimRun {
    const start = Date.now();
    const r = spawnSync(simBinary, args, { cwd: repoRoot, encoding: "utf8", timeout: 60000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
  }

  /**
   * Writes an app, runs it on boards/sim.json, asserts a clean exit and returns the JSON the app
   * printed on its `RESULT ` line (the convention of the agent-sim tests).
   */
  runResult(name: string, text: string): Record<string, unknown> {
    this.write(name, text);
    const r = this.run(["--board", "boards/sim.json", "--", this.path(name)]);
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, r.stdout);
    return JSON.parse(line.slice(7)) as Record<string, unknown>;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface MemoryLine {
  [key: string]: number;
}

/** Parses "xs-memory: key=value ..." from stderr, or undefined when absent. */
export function memoryLine(stderr: string): MemoryLine | undefined {
  const line = stderr.split("\n").find((l) => l.startsWith("xs-memory: "));
  if (!line) return undefined;
  const out: MemoryLine = {};
  for (const m of line.matchAll(/([a-z-]+)=(-?\d+)/g)) out[m[1] as string] = Number(m[2]);
  return out;
}
