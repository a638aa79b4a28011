// Bare-metal image figures (issue 13, item 4): per image a memory map (.text / .rodata / .data /
// .bss per component, from the linker map), the demo's RAM at its peak (XS heap and stack
// high-water, malloc high-water, painted C stack), RAM left or missing against the board; and
// instructions per inference and per training step on Cortex-M4 (bench/bare/count_main.c under
// qemu -icount shift=0). Prints, never asserts.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, repoRoot } from '../../host-tests/support/paths.js';
import { kinds, readMap, type ComponentSizes } from './linker-map.js';

interface Image {
  readonly name: string;
  readonly isa: string;
  readonly board: string;
  readonly nm: string;
  readonly qemu: readonly string[];
}

const images: readonly Image[] = [
  { name: 'edge-peft-bare-m4', isa: 'Cortex-M4', board: 'nRF52840', nm: 'arm-none-eabi-nm',
    qemu: ['qemu-system-arm', '-M', 'mps2-an386'] },
  { name: 'edge-peft-bare-rv32', isa: 'rv32imc', board: 'ESP32-C3', nm: 'riscv64-unknown-elf-nm',
    qemu: ['qemu-system-riscv32', '-M', 'virt', '-bios', 'none'] },
];
const bare = join(repoRoot, 'build', 'bare');
const kb = (n: number): string => `${(n / 1024).toFixed(1)} KB`;
const pad = (s: string | number, w: number): string => String(s).padStart(w);

/** Linker-script symbols of an image (absolute: budgets, NOR partition, stack reserve). */
function symbols(img: Image, elf: string): Map<string, number> {
  const out = execFileSync(img.nm, [elf], { encoding: 'utf8' });
  return new Map([...out.matchAll(/^([0-9a-f]+) [AaTtDdBbRr] (\S+)$/gm)].map((m) => [m[2]!, parseInt(m[1]!, 16)]));
}

/** key=value fields of the report line starting with `tag:`. */
function fields(out: string, tag: string): Map<string, number> {
  const line = out.split('\n').find((l) => l.startsWith(`${tag}: `)) ?? '';
  return new Map([...line.matchAll(/([\w-]+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

function runImage(img: Image, elf: string, extra: string[] = [], timeout = 600000): { status: number | null; out: string; timedOut: boolean } {
  const [bin, ...machine] = img.qemu;
  const r = spawnSync(bin!, [...machine, ...extra, '-nographic', '-semihosting-config', 'enable=on,target=native',
    '-kernel', elf], { cwd: repoRoot, encoding: 'utf8', timeout });
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? ''), timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
}

function printMap(sizes: ComponentSizes): Record<string, number> {
  const total: Record<string, number> = { text: 0, rodata: 0, data: 0, bss: 0 };
  console.log(`    ${'component'.padEnd(32)}${pad('.text', 9)}${pad('.rodata', 9)}${pad('.data', 7)}${pad('.bss', 8)}`);
  const rows = [...sizes.entries()].sort((a, b) =>
    (b[1].text + b[1].rodata + b[1].data + b[1].bss) - (a[1].text + a[1].rodata + a[1].data + a[1].bss));
  for (const [c, s] of rows) {
    console.log(`    ${c.padEnd(32)}${pad(s.text, 9)}${pad(s.rodata, 9)}${pad(s.data, 7)}${pad(s.bss, 8)}`);
    for (const k of kinds) total[k]! += s[k];
  }
  console.log(`    ${'total'.padEnd(32)}${pad(total.text!, 9)}${pad(total.rodata!, 9)}${pad(total.data!, 7)}${pad(total.bss!, 8)}`);
  return total;
}

function imageFigures(img: Image, trainer: ReadonlySet<string>): void {
  const elf = join(bare, `${img.name}.elf`);
  const sym = symbols(img, elf);
  const boardRam = sym.get('__board_ram_size') ?? NaN;
  const boardFlash = sym.get('__board_flash_size') ?? NaN;
  const nor = sym.get('__bare_nor_size') ?? NaN;
  const stackReserve = sym.get('__stack_size') ?? NaN;
  console.log(`\n  ${img.name}.elf (${img.isa}, ${img.board} budget: ${kb(boardRam)} RAM, ${kb(boardFlash)} flash)`);
  console.log(`    static sections by component, bytes (build/bare/${img.name}.map):`);
  const map = readMap(join(bare, `${img.name}.map`), trainer);
  const t = printMap(map);
  // cross-check with the ELF's section headers: the map's sum misses only alignment fill
  const sec = new Map([...execFileSync(img.nm.replace(/nm$/, 'size'), ['-A', elf], { encoding: 'utf8' })
    .matchAll(/^(\.[\w.]+)\s+(\d+)\s/gm)].map((m) => [m[1]!, Number(m[2])]));
  const hdr = (n: string): number => sec.get(n) ?? 0;
  console.log(`    section headers (size -A): .init+.text ${hdr('.init') + hdr('.text')} (map ${t.text! + t.rodata!}),` +
    ` .data+.tdata ${hdr('.data') + hdr('.tdata')} (map ${t.data!}), .bss+.tbss ${hdr('.bss') + hdr('.tbss')} (map ${t.bss!}); the rest is alignment fill`);
  const flashUsed = hdr('.init') + hdr('.text') + hdr('.data') + hdr('.tdata');
  console.log(`    flash: ${flashUsed} bytes (.init + .text incl. .rodata + .data load, section headers) of ${boardFlash - nor} (board flash less the ` +
    `${kb(nor)} NOR storage partition): ${boardFlash - nor - flashUsed} bytes free`);
  console.log('    replay buffer and adapters have no static bytes: they live in the XS heap (ArrayBuffers) and the NOR partition');

  // RAM at the demo's peak, in the budget image itself (the demo takes ~5-17 s in qemu; an image
  // that has not exited after 120 s is stuck, e.g. in a trap loop)
  const run = runImage(img, elf, [], 120000);
  if (run.timedOut || run.status !== 0) {
    const why = /out of memory[^\n]*|memory full[^\n]*|[^\n]*heap overflow/.exec(run.out)?.[0] ?? (run.timedOut ? 'no exit within 120 s' : 'stops');
    console.log(`    budget image ${img.name}.elf does not complete the demo: exit ${run.status}, ${why}`);
  }
  const bm = fields(run.out, 'bare-memory');
  const xm = fields(run.out, 'xs-memory');
  const slot = xm.get('slot-bytes') ?? NaN;
  const g = (m: Map<string, number>, k: string): number => m.get(k) ?? NaN;
  console.log(`    RAM at the demo's peak (${img.name}.elf under qemu, exit ${run.status}; bare-memory / xs-memory lines):`);
  console.log(`      .data + .bss            ${pad(g(bm, 'data') + g(bm, 'bss'), 8)}  (engine arena + state ${map.get('engine arena + binding state')?.bss ?? 0})`);
  console.log(`      malloc heap high-water  ${pad(g(bm, 'heap-peak'), 8)}  (XS chunk heap peak ${g(xm, 'chunks-peak')} of ${g(xm, 'chunks-limit')} + baseline ${g(xm, 'baseline-chunks')};` +
    ` slot heap peak ${g(xm, 'slots-peak')} of ${g(xm, 'slots-limit')} slots + baseline ${g(xm, 'baseline-slots')}, x ${slot} bytes = ${(g(xm, 'slots-limit') + g(xm, 'baseline-slots')) * slot} allocated;` +
    ` bytecode ${g(xm, 'code-bytes')}; the rest key tables, malloc overhead)`);
  console.log(`      XS stack high-water     ${pad(g(xm, 'stack-peak') * slot, 8)}  (${g(xm, 'stack-peak')} of ${g(xm, 'stack-limit')} slots, app; + baseline ${g(xm, 'baseline-stack')})`);
  console.log(`      C stack high-water      ${pad(g(bm, 'stack-peak'), 8)}  (painted; reserve ${stackReserve})`);
  const peak = g(bm, 'ram-peak');
  const left = boardRam - peak;
  console.log(`      RAM peak                ${pad(peak, 8)}  of ${boardRam} board RAM: ${left >= 0 ? `${left} bytes free for the user's code` : `over by ${-left} bytes (${kb(-left)})`}`);

}

function counts(): void {
  const elf = join(repoRoot, 'build', 'bench-bare', 'count-m4.elf');
  const r = runImage(images[0]!, elf, ['-icount', 'shift=0']);
  console.log('\n  Cortex-M4 instructions of the demo\'s engine calls (bench/bare/count_main.c: the demo model, spec and 32 KB arena,');
  console.log('  the libedgepeft.a of the M4 image; qemu mps2-an386 -icount shift=0, one instruction = 1 virtual ns, read from');
  console.log('  CMSDK timer 0 and calibrated on a loop of known length; Debian\'s qemu 7.2 ships no TCG plugin; XS call overhead excluded):');
  if (r.status !== 0) {
    console.log(`    count image failed (exit ${r.status}): ${r.out.slice(-400)}`);
    return;
  }
  for (const l of r.out.split('\n').filter((x) => x.startsWith('count: ') && !x.endsWith('done'))) console.log(`    ${l.slice(7)}`);
  const macs = /total MACs (\d+)/.exec(execFileSync(join(binDir, 'edge-peft'), ['plan', join(repoRoot, 'data', 'demo', 'digits_mlp_int8.tflite')], { encoding: 'utf8' }));
  const inf = /inference (\d+) instructions/.exec(r.out);
  if (macs && inf) console.log(`    base model ${macs[1]} MACs per inference (edge-peft plan): ${(Number(inf[1]) / Number(macs[1])).toFixed(1)} instructions per MAC incl. the LoRA path`);
}

export async function run(): Promise<void> {
  console.log('== bare-metal images (issue 13): memory map per image, RAM at the demo\'s peak, Cortex-M4 instruction counts ==');
  const missing = ['arm-none-eabi-gcc', 'riscv64-unknown-elf-gcc', 'qemu-system-arm', 'qemu-system-riscv32']
    .filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  if (missing.length > 0) {
    console.log(`  skipped: ${missing.join(', ')} not installed (setup.sh installs them)`);
    return;
  }
  const make = spawnSync('make', ['-j2', 'bare', 'bare-bench'], { cwd: repoRoot, encoding: 'utf8' });
  if (make.status !== 0) {
    console.log(`  make bare bare-bench failed:\n${make.stderr.slice(-1500)}`);
    return;
  }
  const trainer = new Set(readdirSync(join(repoRoot, 'native', 'train')).filter((f) => f.endsWith('.c')).map((f) => f.replace(/\.c$/, '.o')));
  for (const img of images) imageFigures(img, trainer);
  counts();
  await Promise.resolve();
}

// `node build/js/bench/bare/index.js` alone
if (process.argv[1]?.endsWith('bare/index.js')) await run();
