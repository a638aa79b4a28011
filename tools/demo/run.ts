// Runs the adaptation app in the XS simulator and parses what it prints. Shared by
// tools/demo.ts and host-tests/agent-sim: every figure comes from the XS run itself.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");

export interface CurvePoint { frames: number; labelled: number; userAccuracy: number }
export interface DemoResult {
  mode: string; userBefore: number; userAfter: number; populationBefore: number; populationAfter: number;
  frames: number; feedback: number; pseudo: number; pseudoWrong: number; rounds: number; commits: number;
  steps: number; adapterBytes: number; arenaBytes: number; curve: CurvePoint[];
}
export interface XsMemory { [key: string]: number }
export interface DemoRun { result: DemoResult; memory: XsMemory; status: number | null; stdout: string; stderr: string }

interface Board { creation: { chunk: { initial: number }; heap: { initial: number }; stack: number; keys: { available: number } }; [k: string]: unknown }

/**
 * The board the demo runs on: boards/esp32.json's XS creation block unmodified (chunk, slot,
 * stack and key budgets, all fixed), with the simulator's playback sensor. The key budget
 * applies to keys made at run time: the simulator counts the keys of the code it parses apart,
 * as mcconfig precompiles modules whose keys then live in flash (docs/simulator.md).
 */
export function demoBoard(profile = "esp32"): { path: string; esp32: Board } {
  // profile: the board whose XS creation block the run gets (esp32 for the demo; the
  // continual-learning methods, loaded on demand, need esp32s3's larger slot heap)
  const esp32 = JSON.parse(readFileSync(join(root, "boards", `${profile}.json`), "utf8")) as Board;
  const sim = JSON.parse(readFileSync(join(root, "boards", "sim.json"), "utf8")) as Board;
  const board = { ...sim, name: `${profile}-sim`, creation: esp32.creation,
    arenaBytes: Math.min(Number(esp32["arenaBytes"]), Number(sim["arenaBytes"])), storage: { ...(sim["storage"] as object), partition: `build/demo/flash${profile === "esp32" ? "" : "-" + profile}.bin` } };
  const path = join(root, "build", "demo", profile === "esp32" ? "board.json" : `board-${profile}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(board, null, 2));
  return { path, esp32 };
}

export function runDemo(args: string[] = [], profile = "esp32", options: { dir?: string; flash?: string } = {}): DemoRun {
  // dir: the agent's data folder (data/demo; a sequence user's data/demo/users/<x>); flash: a
  // NOR file kept between runs (the device's state from one stage to the next), else fresh
  const { path } = demoBoard(profile);
  const r = spawnSync(join(root, "build", "bin", "edge-peft-sim"),
    ["--board", path, ...(options.flash ? ["--flash", options.flash] : []), "--", "build/js/firmware/targets/sim.js",
      "--agent", options.dir ?? "data/demo", ...args],
    { cwd: root, encoding: "utf8", timeout: 120000, maxBuffer: 1 << 28 }); // a --trace run prints ~1 MB
  const line = r.stdout.split("\n").find((l) => l.startsWith("demo-result "));
  const mem = r.stderr.split("\n").find((l) => l.startsWith("xs-memory: "));
  if (r.status !== 0 || !line || !mem) throw new Error(`simulator run failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  const memory: XsMemory = {};
  for (const m of mem.matchAll(/([a-z-]+)=(-?\d+)/g)) memory[m[1]!] = Number(m[2]);
  return { result: JSON.parse(line.slice("demo-result ".length)) as DemoResult, memory, status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Hand-written SVG: user accuracy against labelled samples seen, one polyline per run. */
export function accuracySvg(runs: { label: string; color: string; curve: CurvePoint[] }[]): string {
  const W = 560, H = 340, L = 60, R = 20, T = 30, B = 50;
  const maxX = Math.max(1, ...runs.flatMap((r) => r.curve.map((p) => p.labelled)));
  const x = (v: number) => L + ((W - L - R) * v) / maxX;
  const y = (v: number) => T + (H - T - B) * (1 - v);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle">New user's held-out accuracy (user_test.bin) vs labelled samples seen</text>`,
    `<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${L}" y1="${y(0)}" x2="${L}" y2="${y(1)}" stroke="black"/>`];
  for (let a = 0; a <= 1.0001; a += 0.2) {
    parts.push(`<line x1="${L}" y1="${y(a)}" x2="${W - R}" y2="${y(a)}" stroke="#ddd"/>`,
      `<text x="${L - 6}" y="${y(a) + 4}" text-anchor="end">${Math.round(a * 100)}%</text>`);
  }
  for (let v = 0; v <= maxX; v += 50) parts.push(`<text x="${x(v)}" y="${y(0) + 16}" text-anchor="middle">${v}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">labelled samples (feedback + confident pseudo-labels)</text>`);
  runs.forEach((r, i) => {
    const pts = r.curve.map((p) => `${x(p.labelled).toFixed(1)},${y(p.userAccuracy).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${r.color}" stroke-width="2" points="${pts}"/>`,
      `<text x="${W - R - 200}" y="${y(0.2) + 16 * i}" fill="${r.color}">${r.label}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
