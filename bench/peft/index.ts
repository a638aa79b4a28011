// PEFT methods compared on the device (issue 14, items 4-6): per method and task, measured in
// this run: trainable parameters, training arena vs the model and vs TFLite Micro's inference
// arena, callgrind instructions per training step, inference overhead vs the base model, update
// size (EPDL), switching cost (bytes and instructions of ept_import), accuracy after N steps and
// its ratio to the full fine-tune's, integer vs float reference, and energy per step from the
// instruction count with datasheet current figures (labelled as reference figures). Prints and
// writes build/bench/peft.json and docs/peft-table.md; asserts nothing.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, modelsDir, python, repoRoot } from '../../host-tests/support/paths.js';
import { callgrind, stepMacs, type PlanOp, type TrainLayer } from './cost.js';
import { ENERGY_REFS, LITERATURE, literatureNotes, markdown, uj, type InferPath, type Merged, type MergedLayer, type Row } from './table.js';

const cli = join(binDir, 'edge-peft');
const check = join(binDir, 'ept-peft-check');
const floatRef = join(repoRoot, 'tools', 'float_ref', 'ref.py');
const demo = (f: string): string => join(repoRoot, 'data', 'demo', f);
const imu = (f: string): string => join(repoRoot, 'data', 'imu-watch', f);

// k: records per cost run (steps and inferences under callgrind; 4 for person_detect, whose
// frozen prefix makes each step about 10 ms natively and 50x that under callgrind)
// fc: the adapted layers are FULLY_CONNECTED (tools/oracle/merge_error.py then measures each layer's output)
interface Task { name: string; model: string; train: string; test: string; rec: number; steps: number; k: number; lrs: string[]; methods: [string, string][]; fc: boolean }
interface PlanJson {
  model_bytes: number; training_arena_bytes: number; export_bytes: number; params: number;
  adapter_bytes: number; master_bytes: number; grad_bytes: number; optim_bytes: number; layers: TrainLayer[];
}
interface TrainJson { eval_accuracy_before: number; eval_accuracy_after: number; adapter_bytes: number }

function tflmArena(model: string): number {
  const out = execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), model], { encoding: 'utf8' });
  return (JSON.parse(out) as { arena?: { total?: number } }).arena?.total ?? NaN;
}

const json = <T>(args: string[]): T => JSON.parse(execFileSync(cli, args, { encoding: 'utf8', maxBuffer: 1 << 26 })) as T;
const head = (src: string, rec: number, n: number, dst: string): void => writeFileSync(dst, readFileSync(src).subarray(0, rec * n));

// The learning rate of a method: the best eval accuracy of the task's lrs after its steps (the
// same optimistic selection for every method; the useful step differs by two orders of magnitude).
// The best run is the measured one: its JSON and its adapter (d/a.bin) are kept, not re-trained.
const LRS = ['0.0003', '0.003', '0.05'];
function pickLr(t: Task, spec: string, d: string): { lr: string; run: TrainJson } {
  let best: { lr: string; run: TrainJson } | undefined;
  for (const lr of t.lrs) {
    const j = json<TrainJson>(['train', t.model, '--data', t.train, '--adapter', spec, '--steps', String(t.steps), '--seed', '1',
      '--lr', lr, '--out', join(d, 's.bin'), '--eval-data', t.test, '--json']);
    if (!best || j.eval_accuracy_after > best.run.eval_accuracy_after) {
      best = { lr, run: j };
      copyFileSync(join(d, 's.bin'), join(d, 'a.bin'));
    }
  }
  return best!;
}

// Instructions per inference: K records minus 1 (callgrind), of `cmd` over the task's test head.
function inferIr(t: Task, d: string, extra: string[], cmd = 'eval'): number {
  return (callgrind(cli, [cmd, t.model, '--data', join(d, 'ek.bin'), ...extra], join(d, 'ce1')).ir -
    callgrind(cli, [cmd, t.model, '--data', join(d, 'one.bin'), ...extra], join(d, 'ce0')).ir) / (t.k - 1);
}

// inferBase: the task's base inference instructions (the same for every method, measured once)
function measure(t: Task, name: string, spec: string, d: string, tflm: number, inferBase: number): Row {
  const { lr, run: ours } = pickLr(t, spec, d);
  const plan = json<PlanJson>(['train', t.model, '--adapter', spec, '--plan', '--json']);
  const ops = json<{ operators: PlanOp[] }>(['plan', t.model, '--json']).operators;
  const K = t.k;
  head(t.train, t.rec, K, join(d, 'k.bin'));
  // accuracy after N steps (integer trainer) and the trained adapter (d/a.bin): pickLr's best run
  // float reference from the same step-0 adapter, data order, steps and lr
  json(['train', t.model, '--data', t.train, '--adapter', spec, '--steps', '0', '--out', join(d, 'i.bin'), '--latents-out', join(d, 'l.bin'), '--json']);
  json(['train', t.model, '--data', t.test, '--adapter', spec, '--steps', '0', '--out', join(d, 'x.bin'), '--latents-out', join(d, 'e.bin'), '--json']);
  const ref = JSON.parse(execFileSync(python, [floatRef, 'train', t.model, '--init', join(d, 'i.bin'), '--latents', join(d, 'l.bin'),
    '--eval-latents', join(d, 'e.bin'), '--steps', String(t.steps), '--lr', lr], { encoding: 'utf8', maxBuffer: 1 << 26 })) as
    { eval_before: number; eval_after: number };
  // instructions and data reads/writes per step: K steps minus 0 steps (same process setup)
  const base = ['--data', join(d, 'k.bin'), '--adapter', spec, '--seed', '1', '--lr', lr, '--out', join(d, 'c.bin')];
  const cK = callgrind(cli, ['train', t.model, ...base, '--steps', String(K)], join(d, 'cg1'), { cache: true });
  const c0 = callgrind(cli, ['train', t.model, ...base, '--steps', '0'], join(d, 'cg0'), { cache: true });
  const perStep = (cK.ir - c0.ir) / K;
  // inference with the trained adapter (the base's: inferBase)
  const inf = (extra: string[], cmd?: string): number => inferIr(t, d, extra, cmd);
  const inferAd = inf(['--adapter', join(d, 'a.bin')]);
  // switching: ept-peft-check imports 4 times (fresh, swap, swap back, over a live session)
  const imp = callgrind(check, [t.model, join(d, 'k.bin'), join(d, 'ek.bin'), String(Math.min(K, 4)), lr, spec], join(d, 'ci'),
    { toggle: 'ept_import' }).ir / 4;
  const merged = spec.startsWith('lora:') ? mergedRow(t, d, inf) : undefined;
  const epad = readFileSync(join(d, 'a.bin')).length;
  return {
    task: t.name, method: name, spec, lr, steps: t.steps, params: plan.params, model_bytes: plan.model_bytes,
    train_arena_bytes: plan.training_arena_bytes,
    state_bytes: plan.adapter_bytes + plan.master_bytes + plan.grad_bytes + plan.optim_bytes, tflm_arena_bytes: tflm, instr_per_step: Math.round(perStep),
    macs_per_step: stepMacs(spec, ops, plan.layers), dr_per_step: Math.round((cK.dr - c0.dr) / K), dw_per_step: Math.round((cK.dw - c0.dw) / K),
    infer_base_instr: Math.round(inferBase), infer_instr: Math.round(inferAd), epad_bytes: epad,
    epdl_bytes: 68 + spec.length + epad + 64, import_instr: Math.round(imp),
    acc_before: ours.eval_accuracy_before, acc_after: ours.eval_accuracy_after,
    float_before: ref.eval_before, float_after: ref.eval_after, merged,
  };
}

interface ErrStat { max: number; rms: number }
interface ErrJson {
  layers: { op: number; chained: { merged_vs_unmerged: { max_step: number; records_not_equal: number }; merged_vs_real: ErrStat; unmerged_vs_real: ErrStat } }[];
  unmerged_emulation_check: { records_not_equal_to_engine: number };
}

// LoRA folded into requantised RAM copies of its layers (epm_merge): the merged session's
// inference instructions and accuracy, and how its outputs compare with the unmerged path's.
// Rows that needed a new scale run with per-row multipliers (epm_session_apply_rows), on FC and
// 1x1 conv layers alike (host-tests/train/merge-conv.test.ts checks person_detect's against TFLM);
// should the engine refuse a layer, the reason is the figure.
function mergedRow(t: Task, d: string, inf: (extra: string[], cmd?: string) => number): Merged {
  const args = ['--adapter', join(d, 'a.bin'), '--out', join(d, 'm.bin')];
  const r = spawnSync(cli, ['merge', t.model, ...args, '--json'], { encoding: 'utf8' });
  if (r.status !== 0) return { ok: false, reason: `merge refused: ${r.stderr.trim()}` };
  const mj = JSON.parse(r.stdout) as { merged_bytes: number; layers: { fc: number; rescaled_rows: number }[] };
  const layers = mj.layers;
  const run = spawnSync(cli, ['merge', t.model, ...args, '--data', t.test, '--outputs', join(d, 'm.out')], { encoding: 'utf8' });
  const acc = /merged accuracy ([\d.]+)/.exec(run.stdout);
  if (run.status !== 0 || !acc) {
    const rows = layers.map((l) => `fc ${l.fc}: ${l.rescaled_rows} rows rescaled`).join(', ');
    return { ok: false, reason: `merged session refused (${run.stderr.trim().replace(/^edge-peft: /, '')}; ${rows})` };
  }
  execFileSync(cli, ['eval', t.model, '--data', t.test, '--adapter', join(d, 'a.bin'), '--outputs', join(d, 'u.out')]);
  const u = readFileSync(join(d, 'u.out')), m = readFileSync(join(d, 'm.out'));
  const n = Math.round(readFileSync(t.test).length / t.rec), w = u.length / n;
  let recDiff = 0, maxStep = 0;
  for (let i = 0; i < n; i++) {
    let diff = false;
    for (let j = 0; j < w; j++) {
      const s = Math.abs(u.readInt8(i * w + j) - m.readInt8(i * w + j));
      diff ||= s !== 0;
      maxStep = Math.max(maxStep, s);
    }
    recDiff += diff ? 1 : 0;
  }
  // each adapted layer's output (numpy, checked against TFLM and the engine by merge_error.py),
  // chained: each path fed its own previous layer; and the real-valued adapter's distance
  let layerFigs: MergedLayer[] | undefined;
  if (t.fc) {
    const e = JSON.parse(execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'merge_error.py'), t.model, join(d, 'a.bin'), join(d, 'm.bin'),
      join(d, 'e.bin'), '--engine-unmerged', join(d, 'u.out'), '--engine-merged', join(d, 'm.out')], { encoding: 'utf8', maxBuffer: 1 << 26 })) as ErrJson;
    if (e.unmerged_emulation_check.records_not_equal_to_engine > 0) console.log(`${t.name}: merge_error.py's unmerged path differs from the engine on ${e.unmerged_emulation_check.records_not_equal_to_engine} records`);
    layerFigs = e.layers.map((l) => ({ op: l.op, max_step: l.chained.merged_vs_unmerged.max_step, records_not_equal: l.chained.merged_vs_unmerged.records_not_equal,
      merged_vs_real: l.chained.merged_vs_real.max, unmerged_vs_real: l.chained.unmerged_vs_real.max, emulation_records_off: e.unmerged_emulation_check.records_not_equal_to_engine }));
  }
  return { ok: true, merged_bytes: mj.merged_bytes, infer_instr: Math.round(inf(args, 'merge')), acc: Number(acc[1]), records_not_equal: recDiff, records: n, max_step: maxStep, layers: layerFigs };
}

// CPU seconds of this process and its waited-for children (Linux /proc: utime, stime, cutime,
// cstime): the bench's cost without the load of a shared machine, which the wall time includes.
function cpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return [11, 12, 13, 14].reduce((a, i) => a + Number(f[i]), 0) / tick;
}

export async function run(): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'ept-peft-'));
  const speech = join(modelsDir, 'micro_speech_quantized.tflite');
  const ds = join(repoRoot, 'tools', 'float_ref', 'datasets.py');
  for (const [f, seed] of [['s1.bin', '1'], ['s2.bin', '2']] as const) {
    execFileSync(python, [ds, join(d, f), '--size', '1960', '--classes', '4', '-n', '64', '--seed', seed, '--proto-seed', '7']);
  }
  const tasks: Task[] = [
    { name: 'digits new user', model: demo('digits_mlp_int8.tflite'), train: demo('user_pool.bin'), test: demo('user_test.bin'), rec: 65, steps: 1200, k: 16, fc: true, lrs: LRS,
      methods: [['LoRA r1', 'lora:rank=1,alpha=8,layers=0..1'], ['LoRA r4', 'lora:rank=4,alpha=8,layers=0..1'],
        ['bottleneck adapter', 'adapter:layers=0..1,width=8'], ['prompt', 'prompt:layers=0'],
        ['bias', 'bias:layers=0..1'], ['full fine-tune', 'full:layers=0..1']] },
    // BasicMotions smart-watch windows, the watch turned 90 degrees about z (data/imu-watch/README.md)
    { name: 'IMU watch rotated', model: imu('imu_mlp_int8.tflite'), train: imu('user_pool.bin'), test: imu('user_test.bin'), rec: 121, steps: 1200, k: 16, fc: true, lrs: LRS,
      methods: [['LoRA r1', 'lora:rank=1,alpha=8,layers=0..1'], ['LoRA r4', 'lora:rank=4,alpha=8,layers=0..1'],
        ['bottleneck adapter', 'adapter:layers=0..1,width=8'], ['prompt', 'prompt:layers=0'],
        ['bias', 'bias:layers=0..1'], ['full fine-tune', 'full:layers=0..1']] },
    { name: 'micro_speech head', model: speech, train: join(d, 's1.bin'), test: join(d, 's2.bin'), rec: 1961, steps: 256, k: 16, fc: true, lrs: LRS,
      methods: [['LoRA r1', 'lora:rank=1,alpha=8,layers=-1'], ['LoRA r4', 'lora:rank=4,alpha=8,layers=-1'],
        ['bottleneck adapter', 'adapter:layers=-1,width=8'], ['prompt', 'prompt:layers=-1'],
        ['bias', 'bias:layers=-1'], ['full fine-tune', 'full:layers=-1']] },
    // "washed-out camera": seeded augmentations of the two real photographs (conv.test.ts), the
    // last two pointwise convs through the global pool; lrs around conv.test's 0.01, and 0.2:
    // the bottleneck adapter's int8 U view (unit 1/(8 m), U = 0 at init) stays at 0-3 units
    // at 0.05, so its forward barely moves (docs/training.md, PEFT methods compared)
    { name: 'person_detect washed-out camera', model: join(modelsDir, 'person_detect.tflite'), train: join(d, 'p1.bin'), test: join(d, 'p2.bin'),
      rec: 9217, steps: 256, k: 4, fc: false, lrs: ['0.001', '0.01', '0.05', '0.2'],
      methods: [['LoRA r1', 'lora:rank=1,alpha=8,layers=-2..-1'], ['LoRA r4', 'lora:rank=4,alpha=8,layers=-2..-1'],
        ['bottleneck adapter', 'adapter:layers=-2..-1,width=8'], ['prompt', 'prompt:layers=-2'],
        ['bias', 'bias:layers=-2..-1'], ['full fine-tune', 'full:layers=-2..-1']] },
  ];
  for (const [f, seed] of [['p1.bin', '1'], ['p2.bin', '2']] as const) {
    execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), join(d, f), '-n', '64', '--seed', seed,
      '--gain', '0.4', '--offset', '140', '--noise', '4']);
  }
  const rows: Row[] = [];
  const paths: InferPath[] = [];
  console.log('\n== PEFT methods (bench/peft) ==');
  const started = Date.now(), cpu0 = cpuSeconds();
  // PEFT_TASKS=imu,digits runs a subset (development); the table is written only from a full run
  const only = process.env['PEFT_TASKS']?.split(',');
  for (const t of tasks.filter((x) => !only || only.some((o) => x.name.toLowerCase().includes(o.toLowerCase())))) {
    const tflm = tflmArena(t.model);
    head(t.test, t.rec, 1, join(d, 'one.bin'));
    head(t.test, t.rec, t.k, join(d, 'ek.bin'));
    // the base: a merged session of a zero bias delta (the task's bias spec at step 0: the base's
    // weights, the plain engine, the same per-record loop as every merged row); and the trainer's
    // forward over the adapted layers at that zero delta (`eval`, outputs equal the base's): the
    // path every unmerged adapter runs before its side path
    const biasSpec = t.methods.find(([n]) => n === 'bias')![1];
    json(['train', t.model, '--adapter', biasSpec, '--steps', '0', '--data', join(d, 'one.bin'), '--out', join(d, 'z.bin'), '--json']);
    const inferBase = inferIr(t, d, ['--adapter', join(d, 'z.bin'), '--out', join(d, 'zm.bin')], 'merge');
    paths.push({ task: t.name, engine: Math.round(inferBase), trainer_zero_bias: Math.round(inferIr(t, d, ['--adapter', join(d, 'z.bin')])), spec: biasSpec });
    for (const [name, spec] of t.methods) {
      const r = measure(t, name, spec, d, tflm, inferBase);
      rows.push(r);
      console.log(`${t.name} | ${name} (${spec}, lr ${r.lr}, ${t.steps} steps): params ${r.params}; trainable state ` +
        `${r.state_bytes} B = ${((100 * r.state_bytes) / r.model_bytes).toFixed(1)}% of the model; training arena ` +
        `${r.train_arena_bytes} B = ${((100 * r.train_arena_bytes) / r.model_bytes).toFixed(1)}% of the model, ` +
        `${(r.train_arena_bytes / r.tflm_arena_bytes).toFixed(2)}x TFLM's arena; ${r.instr_per_step} Ir/step; inference ` +
        `${r.infer_instr} vs base ${r.infer_base_instr} Ir (${(r.infer_instr / r.infer_base_instr).toFixed(2)}x); update ` +
        `${r.epdl_bytes} B EPDL (EPAD ${r.epad_bytes}); switch ${r.epad_bytes} B, ${r.import_instr} Ir; accuracy ` +
        `${r.acc_before.toFixed(3)} -> ${r.acc_after.toFixed(3)} (float ${r.float_before.toFixed(3)} -> ${r.float_after.toFixed(3)}); ` +
        `per step ${r.macs_per_step} MACs (analytic), ${r.dr_per_step} data reads, ${r.dw_per_step} data writes (callgrind); ` +
        ENERGY_REFS.map((e) => `${uj(r.instr_per_step, e).toFixed(1)} uJ ${e.chip}`).join(', '));
      const m = r.merged;
      if (m?.ok) {
        console.log(`${t.name} | ${name} merged: inference ${m.infer_instr} Ir (${(m.infer_instr / r.infer_base_instr).toFixed(2)}x base), ` +
          `accuracy ${m.acc.toFixed(3)} (unmerged ${r.acc_after.toFixed(3)}), ${m.records_not_equal}/${m.records} outputs not byte-equal, max ${m.max_step} steps`);
      } else if (m) console.log(`${t.name} | ${name} merged: n/a, ${m.reason}`);
    }
  }
  for (const p of paths) {
    console.log(`${p.task}: base inference ${p.engine} Ir (engine); the trainer's forward over the adapted layers at a zero bias delta ` +
      `(${p.spec}, step 0, outputs equal the base's) ${p.trainer_zero_bias} Ir (${(p.trainer_zero_bias / p.engine).toFixed(3)}x)`);
  }
  for (const e of ENERGY_REFS) {
    console.log(`energy reference figure (datasheet, not measured here): ${e.chip} ${e.mhz} MHz, ${e.ma} mA at ${e.volts} V ` +
      `(${e.source}); per step = Ir x ${e.ma} mA x ${e.volts} V / ${e.mhz} MHz, assuming 1 instruction per cycle`);
  }
  console.log(`literature rules of thumb (reference figures, ${LITERATURE.source}): ${JSON.stringify(LITERATURE.cells)}`);
  for (const n of literatureNotes(rows)) console.log(`  ${n}`);
  mkdirSync(join(repoRoot, 'build', 'bench'), { recursive: true });
  writeFileSync(join(repoRoot, 'build', 'bench', 'peft.json'), JSON.stringify({ rows, paths, energy: ENERGY_REFS, literature: LITERATURE }, null, 1));
  const secs = Math.round((Date.now() - started) / 1000);
  const cpu = Math.round(cpuSeconds() - cpu0);
  console.log(`bench/peft runtime: ${secs} s wall, ${cpu} s CPU (this process and its children)`);
  if (only) {
    console.log('PEFT_TASKS set: docs/peft-table.md not written (subset)');
    writeFileSync(join(repoRoot, 'build', 'bench', 'peft-subset.md'), markdown(rows, { secs, cpu }, paths));
  } else {
    writeFileSync(join(repoRoot, 'docs', 'peft-table.md'), markdown(rows, { secs, cpu }, paths));
    console.log('written: build/bench/peft.json, docs/peft-table.md');
  }
}
