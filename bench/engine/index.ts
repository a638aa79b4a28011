// Inference benchmark of the C engine against TFLite Micro's interpreter (PyPI tflite-micro),
// in the same run: callgrind instructions per inference (only the invoke function of each is
// collected), arena bytes, MACs, instructions per MAC, and the engine's code size for
// Cortex-M4 and RV32. Prints figures; asserts nothing.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cli, fixtureModels, modelPath, oracleScript, randomInputs, runOracle, scratchDir,
} from '../../host-tests/engine/harness.js';
import { python, repoRoot } from '../../host-tests/support/paths.js';

const OUR_INVOKE = 'ep_session_invoke';
const TFLM_INVOKE = 'tflite::micro::MicroInterpreter::Invoke()';

/** Inferences per measurement (person_detect is large; its count is kept small). */
function inferences(name: string): number {
  return name === 'person_detect' ? 2 : 8;
}

/** Instructions collected by callgrind inside `fn` while running `cmd args`. */
function callgrind(fn: string, cmd: string, args: string[], outFile: string): number | string {
  const r = spawnSync('valgrind', [
    '--tool=callgrind', `--callgrind-out-file=${outFile}`, `--toggle-collect=${fn}`, cmd, ...args,
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) return `valgrind failed: ${r.error.message}`;
  if (r.status !== 0) return `exit ${String(r.status)}: ${r.stderr.split('\n').filter((l) => !l.startsWith('==')).join(' ').trim().slice(0, 200)}`;
  const m = /^summary:\s*(\d+)/m.exec(readFileSync(outFile, 'utf8'));
  return m?.[1] !== undefined ? Number(m[1]) : 'no callgrind summary';
}

interface PlanFigures { arena?: number; macs?: number; error?: string }

/** Arena bytes and MACs from `edge-peft plan --json` (field names as the CLI prints them). */
function planFigures(model: string): PlanFigures {
  const r = spawnSync(cli, ['plan', model, '--json'], { encoding: 'utf8' });
  if (r.error) return { error: r.error.message };
  if (r.status !== 0) return { error: r.stderr.trim().slice(0, 200) };
  try {
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    const num = (...keys: string[]): number | undefined => {
      for (const k of keys) if (typeof j[k] === 'number') return j[k];
      return undefined;
    };
    return { arena: num('arena_bytes', 'arena'), macs: num('macs', 'total_macs') };
  } catch (e) {
    return { error: `plan --json: ${(e as Error).message}` };
  }
}

function fmt(n: number | undefined, digits = 0): string {
  return n === undefined || !Number.isFinite(n) ? '-' : n.toLocaleString('en-US', {
    maximumFractionDigits: digits, minimumFractionDigits: digits,
  });
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined || b === 0 ? '-' : (a / b).toFixed(3);
}

function inference(): void {
  console.log('\n== engine: inference vs TFLite Micro interpreter (x86-64, callgrind Ir per inference) ==');
  console.log(`   ours: ${OUR_INVOKE} in build/bin/edge-peft; TFLM: ${TFLM_INVOKE} in the PyPI`);
  console.log('   tflite-micro wheel; arena: ours = plan arena bytes, TFLM = RecordingMicroAllocator total (head = activations)');
  const header = ['model', 'MACs', 'ours Ir', 'TFLM Ir', 'Ir ratio', 'ours Ir/MAC', 'TFLM Ir/MAC',
    'ours arena', 'TFLM arena (head)', 'arena ratio'];
  const rows: string[][] = [];
  const scratch = scratchDir('bench');
  try {
    // the audio front end too (int16 frames of 480 samples; random ones cost what speech does)
    for (const name of [...fixtureModels, 'audio_preprocessor_int8']) {
      const model = modelPath(name);
      const n = inferences(name);
      const { report } = runOracle(model, undefined, scratch.dir);
      const input = join(scratch.dir, `${name}.in`);
      randomInputsTo(input, report.input, n, name);
      const ours = callgrind(OUR_INVOKE, cli,
        ['infer', model, '--input', input, '--output', join(scratch.dir, 'ours.out')],
        join(scratch.dir, 'cg.ours'));
      const tflm = callgrind(TFLM_INVOKE, python,
        [oracleScript, model, '--input', input, '--output', join(scratch.dir, 'tflm.out')],
        join(scratch.dir, 'cg.tflm'));
      const plan = planFigures(model);
      const oursIr = typeof ours === 'number' ? ours / n : undefined;
      const tflmIr = typeof tflm === 'number' ? tflm / n : undefined;
      const tflmArena = report.arena.total;
      rows.push([
        name, fmt(plan.macs), fmt(oursIr), fmt(tflmIr), ratio(oursIr, tflmIr),
        plan.macs ? fmt(oursIr === undefined ? undefined : oursIr / plan.macs, 2) : '-',
        plan.macs ? fmt(tflmIr === undefined ? undefined : tflmIr / plan.macs, 2) : '-',
        fmt(plan.arena), `${fmt(tflmArena)} (${fmt(report.arena.head)})`, ratio(plan.arena, tflmArena),
      ]);
      for (const [who, r] of [['ours', ours], ['TFLM', tflm]] as const) {
        if (typeof r === 'string') console.log(`   ${name}: ${who}: ${r}`);
      }
      if (plan.error !== undefined) console.log(`   ${name}: plan: ${plan.error}`);
    }
  } finally {
    scratch.done();
  }
  printTable(header, rows);
  console.log('   goals: Ir ratio <= 1.0 (DESIGN.md: <= 0.7), arena ratio <= 1.0');
}

function randomInputsTo(file: string, info: Parameters<typeof randomInputs>[0], n: number, name: string): void {
  let seed = 7;
  for (const c of name) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  // Skip the min/max tensors randomInputs puts first: benchmark on typical data.
  const all = randomInputs(info, n + 2, seed);
  writeFileSync(file, all.subarray(2 * info.bytes));
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    '   ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

interface SizeRow { text: number; data: number; bss: number }

/** Sums .text/.data/.bss of the objects in a static library, engine-only and with the trainer. */
function sizes(tool: string, lib: string): { engine: SizeRow; train: SizeRow } | string {
  const r = spawnSync(tool, [lib], { encoding: 'utf8' });
  if (r.error) return r.error.message;
  if (r.status !== 0) return r.stderr.trim();
  const engine: SizeRow = { text: 0, data: 0, bss: 0 };
  const train: SizeRow = { text: 0, data: 0, bss: 0 };
  for (const l of r.stdout.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+(\S+)/.exec(l);
    if (!m) continue;
    // Objects are named after their source file (native/train/x.c -> x.o).
    const into = trainObjects.has(m[4] ?? '') ? train : engine;
    into.text += Number(m[1]); into.data += Number(m[2]); into.bss += Number(m[3]);
  }
  return { engine, train };
}

const trainObjects = new Set<string>();

function codeSize(): void {
  console.log('\n== engine: code size (-Os; objects of native/model, kernels, plan, engine; trainer apart) ==');
  const make = spawnSync('make', ['-s', '-j2', 'engine-arm', 'engine-rv32'], { cwd: repoRoot, encoding: 'utf8' });
  if (make.status !== 0) {
    console.log(`   make engine-arm engine-rv32 failed: ${make.stderr.trim().slice(0, 300)}`);
    return;
  }
  trainObjects.clear();
  const trainDir = join(repoRoot, 'native', 'train');
  for (const f of readdirSync(trainDir)) if (f.endsWith('.c')) trainObjects.add(f.replace(/\.c$/, '.o'));
  for (const [target, tool, lib] of [
    ['Cortex-M4 (arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb)', 'arm-none-eabi-size', 'build/arm/libedgepeft.a'],
    ['RV32 (riscv64-unknown-elf-gcc -march=rv32imc)', 'riscv64-unknown-elf-size', 'build/rv32/libedgepeft.a'],
  ] as const) {
    const s = sizes(tool, join(repoRoot, lib));
    if (typeof s === 'string') { console.log(`   ${target}: ${s}`); continue; }
    const row = (r: SizeRow): string => `.text ${fmt(r.text)}  .data ${fmt(r.data)}  .bss ${fmt(r.bss)}`;
    console.log(`   ${target}`);
    console.log(`     engine : ${row(s.engine)}`);
    if (trainObjects.size > 0) console.log(`     trainer: ${row(s.train)}`);
  }
}

export async function run(): Promise<void> {
  inference();
  codeSize();
  console.log('\n   CMSIS-NN side by side: skipped (CMSIS-NN is not in any installed package or registry here)');
}
