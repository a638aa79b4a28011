// bench/peft: the measured row, the reference figures (never measured here, always labelled
// with their source) and the Markdown table of docs/peft-table.md.

export interface Row {
  task: string; method: string; spec: string; lr: string; steps: number;
  params: number; model_bytes: number; train_arena_bytes: number; tflm_arena_bytes: number;
  state_bytes: number; /* views, masters, per-layer gradient constants, momentum: what the adapter itself costs */
  instr_per_step: number; infer_base_instr: number; infer_instr: number;
  epad_bytes: number; epdl_bytes: number; import_instr: number;
  acc_before: number; acc_after: number; float_before: number; float_after: number;
  macs_per_step: number; dr_per_step: number; dw_per_step: number;
  merged?: Merged; /* LoRA rows: the same adapter folded into its layers */
}

// One adapted layer's output, merged vs unmerged (each path fed its own previous layer), in steps
// of that layer's output tensor; and each path's largest distance from the real-valued adapter.
export interface MergedLayer { op: number; max_step: number; records_not_equal: number; merged_vs_real: number; unmerged_vs_real: number; emulation_records_off: number }

// The base on the engine, and the trainer's forward over the adapted layers at a zero bias delta.
export interface InferPath { task: string; engine: number; trainer_zero_bias: number; spec: string }

export type Merged =
  | { ok: true; merged_bytes: number; infer_instr: number; acc: number; records_not_equal: number; records: number; max_step: number; layers?: MergedLayer[] }
  | { ok: false; reason: string };

// Datasheet reference figures (not measured in this run). The energy of a step is estimated
// as instructions x current x voltage / clock, i.e. assuming one instruction per cycle on the
// target (x86-64 callgrind counts stand in for target cycles: an assumption, not a measurement).
export const ENERGY_REFS = [
  { chip: 'nRF52840', mhz: 64, ma: 3.3, volts: 3.0,
    source: 'Nordic nRF52840 Product Specification, "Electrical specification > CPU running": CPU running CoreMark from flash, ' +
      '64 MHz, cache enabled, DC/DC regulator, 3 V (the PS\'s common current-consumption conditions). NOT verified: the ' +
      'searchable corpora hold only that PS\'s page list (the "CPU running" section named, its table absent) and the nRF5340 / ' +
      'nRF52832 PS pages, so the figure and the PS version are not checked against the document; with the LDO regulator ' +
      'the PS gives a higher figure (6.3 mA is quoted elsewhere, also unverified), so the nRF52840 column is the DC/DC case' },
  { chip: 'ESP32-C3', mhz: 160, ma: 23, volts: 3.3,
    source: 'Espressif ESP32-C3 Series Datasheet, section "Power Consumption in Other Modes", as excerpted in the ' +
      'ESP32-C3-MINI-1 & MINI-1U Datasheet v2.2, Table 6-6 "Current Consumption in Modem-sleep Mode": 160 MHz, CPU is ' +
      'running, all peripheral clocks disabled, typ 23 mA (28 mA with all peripheral clocks enabled), 3.3 V, 25 C. Verified ' +
      'in this run against that table. Its note 3: flash access can add current (10 mA for an 80 Mbit/s flash in 2-line SPI mode), not included' },
] as const;

export const uj = (instr: number, e: (typeof ENERGY_REFS)[number]): number => (instr * e.ma * 1e-3 * e.volts) / (e.mhz * 1e6) * 1e6;

// The on-device PEFT literature's rules of thumb, as issue 14 quotes them (reference figures).
export const LITERATURE = {
  source: 'issue 14 (the on-device PEFT survey table it quotes)',
  cells: {
    'LoRA': { memory: '0.1-1% of the base model', inference: 'low (requires merging)', retention: '95-99%' },
    'bottleneck adapter': { memory: '0.5-3%', inference: 'medium', retention: '94-98%' },
    'prompt': { memory: '<0.01%', inference: 'very low', retention: '85-95%' },
  } as Record<string, { memory: string; inference: string; retention: string }>,
};

const gain = (r: Row): number => r.acc_after - r.acc_before;
const fullOf = (rows: Row[], r: Row): Row | undefined => rows.find((x) => x.task === r.task && x.method === 'full fine-tune');
export const retention = (rows: Row[], r: Row): number => {
  const f = fullOf(rows, r);
  return f && gain(f) !== 0 ? gain(r) / gain(f) : NaN;
};
const litKey = (m: string): string | undefined => (m.startsWith('LoRA') ? 'LoRA' : LITERATURE.cells[m] ? m : undefined);
const range = (s: string): [number, number] => {
  const n = [...s.matchAll(/[\d.]+/g)].map((x) => Number(x[0]));
  return s.startsWith('<') ? [0, n[0]!] : [n[0]!, n[1] ?? n[0]!];
};

// Where a measured figure falls outside the literature's range, say so.
export function literatureNotes(rows: Row[]): string[] {
  const notes: string[] = [];
  for (const r of rows) {
    const k = litKey(r.method);
    if (!k) continue;
    const c = LITERATURE.cells[k]!;
    const mem = (100 * r.train_arena_bytes) / r.model_bytes, st = (100 * r.state_bytes) / r.model_bytes;
    const [mlo, mhi] = range(c.memory);
    if (st < mlo || st > mhi) {
      notes.push(`${r.task} / ${r.method}: trainable state ${st.toFixed(2)}% of the model (whole training arena ` +
        `${mem.toFixed(0)}%), literature ${c.memory}`);
    }
    const ret = 100 * retention(rows, r);
    const [rlo, rhi] = range(c.retention);
    if (Number.isFinite(ret) && (ret < rlo || ret > rhi)) {
      notes.push(`${r.task} / ${r.method}: ${ret.toFixed(0)}% of the full fine-tune's gain, literature ${c.retention}`);
    }
    const ov = r.infer_instr / r.infer_base_instr;
    if (k === 'prompt' && ov > 1.05) notes.push(`${r.task} / prompt: inference ${ov.toFixed(2)}x the base, literature "very low"`);
    if (k === 'LoRA' && ov > 1.05) {
      const m = r.merged;
      notes.push(`${r.task} / ${r.method}: inference ${ov.toFixed(2)}x the base unmerged; literature "low (requires merging)": ` +
        (m?.ok ? `merged ${(m.infer_instr / r.infer_base_instr).toFixed(2)}x, accuracy ${m.acc.toFixed(3)} (unmerged ${r.acc_after.toFixed(3)})`
          : `the merge does not run here (${m ? m.reason : 'not tried'})`));
    }
    if (k === 'bottleneck adapter' && ov < 1.05) {
      notes.push(`${r.task} / bottleneck adapter: inference ${ov.toFixed(2)}x the base, literature "medium" (the adapter's side path is small next to the frozen model here)`);
    }
  }
  return notes;
}

export function markdown(rows: Row[], time?: { secs: number; cpu: number }, paths: InferPath[] = []): string {
  const f = (x: number, d = 0): string => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const lines = [
    '# PEFT methods compared on the device (measured)',
    '',
    'Generated by `npm run bench` (bench/peft/index.ts) from the runs it makes; do not edit by hand.' +
      (time ? ` This run took ${time.secs} s wall, ${time.cpu} s CPU (2 shared cores).` : ''),
    'Instructions: callgrind on x86-64 (gcc -O2), per training step (16 steps minus 0) and per inference',
    '(16 records minus 1; person_detect: 4 minus 0 / 4 minus 1). Training arena: `plan` (engine inference arena + trainer, per-step scratch in',
    'dead engine memory), stack not included; trainable state: views, masters, per-layer constants, momentum. Learning rate: the best',
    'eval accuracy of 0.0003 / 0.003 / 0.05 (person_detect: 0.001 / 0.01 / 0.05 / 0.2) after N steps, per method (the same optimistic selection for all). Update: EPDL = 68 + spec + EPAD + 64 bytes. Switch: EPAD',
    'bytes and callgrind instructions inside `ept_import`. Retention: accuracy gain / the full fine-tune\'s gain',
    'on the same task. Int vs float: gain of the integer trainer / gain of the numpy float reference from the',
    'same initial adapter. Energy: instructions x datasheet current x voltage / clock (reference figures below),',
    'assuming one instruction per cycle, code and read-only data from flash through the cache at the datasheet\'s',
    'conditions, and the x86-64 instruction count standing in for the target\'s (Cortex-M4 / rv32 counts differ; the',
    'engine\'s instructions per MAC on Cortex-M4 are in docs/engine.md). MACs per step: analytic from the layer',
    'dimensions (forward of the whole model + adapter side path, input gradient above the lowest trained layer,',
    'parameter gradients; bench/peft/cost.ts). Dr / Dw: data reads / writes per step, callgrind --cache-sim=yes',
    '(K steps minus 0). Merged rows: the LoRA row\'s adapter folded into requantised RAM copies of its layers',
    '(`edge-peft merge`), inference instructions of the merged session and its accuracy on the same test set; outputs',
    'compared with the unmerged adapter\'s record by record, in int8 steps: at the model output (the softmax), and, where',
    'the adapted layers are FULLY_CONNECTED, at each adapted layer\'s output tensor (`op N output`, each path fed its own',
    'previous layer; tools/oracle/merge_error.py, whose merged path equals TFLM\'s and whose unmerged path reproduces the',
    'engine\'s outputs through TFLM\'s softmax), with each path\'s largest distance from the real-valued adapter',
    '(W + (alpha/r) s_A s_B B A unrounded, in steps of that tensor). Inference base: the plain engine, measured as a merged',
    'session of a zero bias delta (the base\'s own weights, the same per-record loop as the merged rows); an unmerged',
    'adapter runs its adapted layers on the trainer\'s forward instead (see "Inference paths" below).',
    '',
    '| task | method | params | trainable state (% model) | train arena (% model, x TFLM) | Ir/step | inference vs base | update B | switch B / Ir | acc after N (before) | retention vs full | int/float gain | MACs / Dr / Dw per step | uJ/step nRF52840 / ESP32-C3 |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const ig = gain(r), fg = r.float_after - r.float_before;
    lines.push(`| ${r.task} | ${r.method} (\`${r.spec}\`, lr ${r.lr}) | ${r.params} | ${r.state_bytes} B (${f((100 * r.state_bytes) / r.model_bytes, 2)}%) | ${r.train_arena_bytes} B ` +
      `(${f((100 * r.train_arena_bytes) / r.model_bytes, 1)}%, ${f(r.train_arena_bytes / r.tflm_arena_bytes, 2)}x) | ${r.instr_per_step} | ` +
      `${f(r.infer_instr / r.infer_base_instr, 2)}x (${r.infer_instr} / ${r.infer_base_instr}) | ${r.epdl_bytes} | ${r.epad_bytes} / ${r.import_instr} | ` +
      `${f(r.acc_after, 3)} after ${r.steps} (${f(r.acc_before, 3)}) | ${f(100 * retention(rows, r))}% | ${fg !== 0 ? f(ig / fg, 2) : `n/a: no float gain (int ${ig.toFixed(3)}, float ${fg.toFixed(3)})`} | ` +
      `${r.macs_per_step} / ${r.dr_per_step} / ${r.dw_per_step} | ` +
      `${f(uj(r.instr_per_step, ENERGY_REFS[0]), 1)} / ${f(uj(r.instr_per_step, ENERGY_REFS[1]), 1)} |`);
    const m = r.merged;
    if (m?.ok) {
      lines.push(`| ${r.task} | ${r.method} merged (same adapter folded in) | ${r.params} | ${m.merged_bytes} B merged layer copies in RAM | - | - | ` +
        `${f(m.infer_instr / r.infer_base_instr, 2)}x (${m.infer_instr} / ${r.infer_base_instr}) | ${r.epdl_bytes} | merge, see below | ` +
        `${f(m.acc, 3)} (unmerged ${f(r.acc_after, 3)}; model output: ${m.records_not_equal}/${m.records} records not byte-equal, max ${m.max_step} steps` +
        (m.layers ? `; ${m.layers.map((l) => `op ${l.op} output: ${l.records_not_equal}/${m.records}, max ${l.max_step} (vs real-valued: merged ${f(l.merged_vs_real, 1)}, unmerged ${f(l.unmerged_vs_real, 1)})`).join('; ')}` : '') + ') | ' +
        `${f(100 * (m.acc - r.acc_before) / ((fullOf(rows, r)?.acc_after ?? NaN) - (fullOf(rows, r)?.acc_before ?? NaN)))}% | - | - | - |`);
    } else if (m) {
      lines.push(`| ${r.task} | ${r.method} merged | ${r.params} | - | - | - | n/a: ${m.reason} | - | - | - | - | - | - | - |`);
    }
  }
  lines.push('', '## Reference figures (not measured here)', '');
  for (const e of ENERGY_REFS) lines.push(`- ${e.chip}: ${e.ma} mA at ${e.volts} V, ${e.mhz} MHz (${e.source}).`);
  lines.push(`- Literature rules of thumb (${LITERATURE.source}):`);
  for (const [k, c] of Object.entries(LITERATURE.cells)) {
    lines.push(`  - ${k}: peak training memory ${c.memory}, inference overhead ${c.inference}, accuracy retention ${c.retention} of a full fine-tune.`);
  }
  lines.push('', '## Where the literature disagrees with the measurement', '');
  const notes = literatureNotes(rows);
  lines.push(...(notes.length ? notes.map((n) => `- ${n}`) : ['- no cell outside the quoted ranges in this run']));
  lines.push('', 'Cells the literature leaves blank, filled here from the measurement: dynamic switching = the "switch B / Ir"',
    'column (bytes and instructions of one import over a live session); quantisation friendliness = the "int/float gain" column',
    '(the integer trainer\'s gain over the float reference\'s from the same start); hardware compatibility = every row ran',
    'integer-only on the engine that host-tests/train checks bit-identical on x86-64, Cortex-M4 and rv32imc (qemu).');
  lines.push('', 'Merged rows: FULLY_CONNECTED and ungrouped 1x1 CONV_2D layers alike (person_detect\'s two pointwise convs);',
    'rows whose merged weights leave int8 at the base scale get their own scale and per-row multipliers',
    '(epm_session_apply_rows). Stock TFLite Micro on the model rebuilt with the merged constants and scales gives the',
    'merged session\'s outputs byte for byte (host-tests/train/merge.test.ts, merge-rescaled.test.ts, merge-conv.test.ts).',
    '');
  if (paths.length) {
    lines.push('Inference paths: the base on the engine vs the trainer\'s forward over the adapted layers at a zero bias delta',
      '(the task\'s bias spec at step 0: outputs equal the base\'s), the path every unmerged adapter runs before its side path.',
      'The trainer widens x - zx to int16 once per position and runs int8 x int16 dot products instead of the engine\'s kernels;',
      'where that path is below 1.000x, unmerged adapters can cost less than the base:', '');
    for (const p of paths) lines.push(`- ${p.task}: engine ${p.engine} Ir, trainer path \`${p.spec}\` at zero delta ${p.trainer_zero_bias} Ir (${f(p.trainer_zero_bias / p.engine, 3)}x)`);
  }
  lines.push('', 'Not measured yet: stack per method; energy on a board (the figures above are instruction counts times',
    'datasheet currents).', '');
  return lines.join('\n');
}
