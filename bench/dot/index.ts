// bench/dot: instructions of the same int8 dot product (65,536 elements) in plain JavaScript on
// XS and in C through an xsmc binding, counted by callgrind inside xs_dot_measure only.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { LENGTH, fill } from "./data.js";

type Mode = "none" | "js" | "c";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const sim = join(root, "build/bin/edge-peft-sim");
const app = fileURLToPath(new URL("./app.js", import.meta.url));

function hasValgrind(): boolean {
  return spawnSync("valgrind", ["--version"], { encoding: "utf8" }).status === 0;
}

interface Board {
  creation: { chunk: { initial: number } };
}

/** boards/sim.json with room for two 64 KB operands: the ESP32 budget (96 KB) holds one. */
function benchBoard(dir: string): string {
  const board = JSON.parse(readFileSync(join(root, "boards/sim.json"), "utf8")) as Board;
  board.creation.chunk.initial = 256 * 1024;
  const path = join(dir, "board.json");
  writeFileSync(path, JSON.stringify(board));
  return path;
}

/** Instructions (Ir) callgrind collected inside xs_dot_measure, and what the app printed. */
function count(dir: string, board: string, mode: Mode): { ir: number; printed: string } {
  const entry = join(dir, `entry-${mode}.js`);
  const out = join(dir, `callgrind.${mode}`);
  writeFileSync(entry, `import { run } from ${JSON.stringify(app)};\nrun(${JSON.stringify(mode)});\n`);
  const printed = execFileSync(
    "valgrind",
    ["--tool=callgrind", `--callgrind-out-file=${out}`, "--toggle-collect=xs_dot_measure", sim, "--board", board, entry],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const totals = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(out, "utf8"));
  if (!totals?.[1]) throw new Error(`bench/dot: no totals in ${out}`);
  return { ir: Number(totals[1]), printed: printed.trim() };
}

export async function run(): Promise<void> {
  console.log(`bench dot: int8 dot product of ${LENGTH} elements, plain JS on XS 13.3 vs C via xsmc`);
  if (!existsSync(sim)) {
    console.log("  skipped: build/bin/edge-peft-sim missing (run make)");
    return;
  }
  if (!hasValgrind()) {
    console.log("  skipped: valgrind not installed");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-dot-"));
  try {
    const board = benchBoard(dir);
    const none = count(dir, board, "none");
    const js = count(dir, board, "js");
    const c = count(dir, board, "c");
    // Node recomputes the product from the same data: an independent check of both runs.
    const a = fill(1);
    const b = fill(2);
    let expected = 0;
    for (let i = 0; i < LENGTH; i++) expected += (a[i] as number) * (b[i] as number);
    const agree = js.printed === `dot js ${expected}` && c.printed === `dot c ${expected}`;
    const jsIr = js.ir - none.ir;
    const cIr = c.ir - none.ir;
    console.log(`  result ${expected} (${agree ? "JS, C and Node agree" : `MISMATCH: ${js.printed} / ${c.printed}`})`);
    console.log(`  instructions JS: ${jsIr} (${(jsIr / LENGTH).toFixed(1)} per element)`);
    console.log(`  instructions C:  ${cIr} (${(cIr / LENGTH).toFixed(2)} per element)`);
    console.log(`  ratio JS/C: ${(jsIr / cIr).toFixed(1)}x  (call overhead ${none.ir} Ir subtracted)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
