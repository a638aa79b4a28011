// GNU ld map files of the bare-metal images, read into bytes per component and kind
// (.text / .rodata / .data / .bss) from the input sections the linker placed.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

export type Kind = 'text' | 'rodata' | 'data' | 'bss';
export const kinds: readonly Kind[] = ['text', 'rodata', 'data', 'bss'];
export type ComponentSizes = Map<string, Record<Kind, number>>;

// picolibc.ld puts .rodata into the .text output section and .tdata/.tbss (errno) beside
// .data/.bss, so the kind comes from the input section's own name.
function kindOf(output: string, input: string): Kind | undefined {
  if (/^\.(s?rodata|srodata)/.test(input)) return 'rodata';
  if (/^\.(text|init|fini|glue|ARM\.ex|ARM\.extab|vfp11|v4_bx|iplt|plt)/.test(input)) return 'text';
  // in flash, whatever the input's name (the vector table is .data.init.enter in .init)
  if (output === '.text' || output === '.init') return 'rodata';
  if (output === '.data' || output === '.tdata') return 'data';
  if (output === '.bss' || output === '.tbss') return 'bss';
  return undefined;
}

/**
 * Which part of the image an object file belongs to. trainerObjects: the basenames of the
 * trainer's sources (native/train), which sit in the same libedgepeft.a as the engine's.
 */
function componentOf(file: string, input: string, trainerObjects: ReadonlySet<string>): string {
  if (input === '.bss.gEngine') return 'engine arena + binding state';
  const lib = /lib(edgepeft)\.a\((.+)\)$/.exec(file);
  if (lib) return trainerObjects.has(lib[2]!) ? 'trainer (native/train)' : 'engine (model, kernels, plan)';
  if (/\/libc\.a\(|\/libm\.a\(|\/crt0\.o$|picolibc/.test(file)) return 'picolibc';
  if (/libgcc\.a\(/.test(file)) return 'libgcc';
  if (/\/xs\/[^/]+\.o$/.test(file) && !file.includes('/native/')) return 'XS 13.3';
  if (file.endsWith('/gen/bare_app.o')) return 'app (XS bytecode, compiled at build time)';
  if (file.endsWith('/gen/bare_model.o')) return 'model (.tflite)';
  if (file.endsWith('/gen/bare_data.o')) return 'demo data (samples, stream)';
  if (/\/gen\/bare_(board|table)\.o$/.test(file)) return 'board profile + file table';
  if (/\/native\/xs\/engine\//.test(file)) return 'engine binding';
  if (/\/native\/xs\//.test(file)) return 'bindings (crc, flash, playback)';
  if (/\/native\/(bare|sim)\/|\/gen\/natives\.o$/.test(file)) return 'host (native/bare + native/sim)';
  return `other (${basename(file)})`;
}

interface Entry { readonly output: string; readonly input: string; readonly addr: number; readonly size: number; readonly file: string }

/**
 * Bytes per component and kind over every allocated input section of the map. Merged string
 * sections (.str1.1) are listed with their size before merging at overlapping addresses, so an
 * entry counts only up to the next entry's address: the sums are the bytes the image holds.
 */
export function readMap(path: string, trainerObjects: ReadonlySet<string>): ComponentSizes {
  const lines = readFileSync(path, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith('Linker script and memory map'));
  const entries: Entry[] = [];
  let output = '';
  let pending: string | undefined; // an input section name whose address and size wrap to the next line
  for (const line of lines.slice(start + 1)) {
    const out = /^(\.[\w.]+)(\s|$)/.exec(line);
    const one = /^ (\.[^\s]+|COMMON)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    const name = /^ (\.[^\s]+|COMMON)$/.exec(line);
    const rest = /^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$/.exec(line);
    if (out) output = out[1]!;
    else if (one) entries.push({ output, input: one[1]!, addr: parseInt(one[2]!, 16), size: parseInt(one[3]!, 16), file: one[4]!.trim() });
    else if (rest && pending) entries.push({ output, input: pending, addr: parseInt(rest[1]!, 16), size: parseInt(rest[2]!, 16), file: rest[3]!.trim() });
    // alignment padding (*fill*) and symbol lines are not a component's bytes
    pending = name ? name[1] : undefined;
  }
  const sizes: ComponentSizes = new Map();
  const placed = entries.filter((e) => e.size > 0 && kindOf(e.output, e.input));
  for (const sec of new Set(placed.map((e) => e.output))) {
    const list = placed.filter((e) => e.output === sec).sort((a, b) => a.addr - b.addr);
    list.forEach((e, i) => {
      const next = list[i + 1];
      const bytes = next ? Math.min(e.size, next.addr - e.addr) : e.size;
      const c = componentOf(e.file, e.input, trainerObjects);
      const row = sizes.get(c) ?? { text: 0, rodata: 0, data: 0, bss: 0 };
      row[kindOf(e.output, e.input)!] += bytes;
      sizes.set(c, row);
    });
  }
  return sizes;
}
