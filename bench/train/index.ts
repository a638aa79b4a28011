// Trainer figures (issue 4, item 7): per model + adapter configuration, the training arena
// + stack peak against TFLite Micro's inference arena, callgrind instructions per training
// step and per inference, MACs per step, instructions per MAC, adapter vs model bytes, and
// EWC on a two-task sequence. Prints, never asserts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binDir, modelsDir, python, repoRoot } from '../../host-tests/support/paths.js';

const cli = join(binDir, 'edge-peft');
const floatRef = join(repoRoot, 'tools', 'float_ref', 'ref.py');
const demo = (f: string): string => join(repoRoot, 'data', 'demo', f);

interface PlanJson {
  model_bytes: number; inference_arena_bytes: number; training_arena_bytes: number; export_bytes: number; trainer_bytes: number;
  params: number; training_arena_keep_bytes: number; training_arena_recompute_bytes: number; layers: { in: number; out: number; kinds: number; fc: number }[];
}

function callgrindTotal(args: string[], out: string): number {
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, cli, ...args], { encoding: 'utf8' });
  const m = /Collected : (\d+)/.exec(r.stderr);
  return m ? Number(m[1]) : NaN;
}

function tflmArena(model: string): number {
  const out = execFileSync(python, [join(repoRoot, 'tools', 'oracle', 'oracle.py'), model], { encoding: 'utf8' });
  const j = JSON.parse(out) as { arena?: { total?: number } };
  return j.arena?.total ?? NaN;
}

function m4StackPeak(): number {
  const r = spawnSync('qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-semihosting-config',
    'enable=on,target=native', '-kernel', join(repoRoot, 'build', 'cross', 'ept-cross-m4.elf')], { encoding: 'utf8', timeout: 300000 });
  const m = /stack peak (\d+) bytes \(training steps\)/.exec(r.stdout + r.stderr);
  return m ? Number(m[1]) : NaN;
}

// MACs of one training step: engine forward of the frozen prefix + suffix (planned MACs),
// LoRA side path, and the backward down to the lowest adapted layer.
function stepMacs(plan: PlanJson, inferMacs: number, rank: number): number {
  let macs = inferMacs;
  plan.layers.forEach((l, i) => {
    const lora = (l.kinds & 1) !== 0;
    const prompt = (l.kinds & 4) !== 0;
    if (lora) macs += rank * (l.in + l.out) /* fwd */ + 2 * rank * (l.in + l.out) /* dB, dA, g_h */;
    if (i > 0 || prompt) macs += l.in * l.out + (lora ? rank * l.in : 0); /* dx */
  });
  return macs;
}

function planMacs(model: string): number {
  const out = execFileSync(cli, ['plan', model], { encoding: 'utf8' });
  const m = /total MACs (\d+)/.exec(out);
  return m ? Number(m[1]) : NaN;
}

function speechSet(path: string, seed: number, n: number): void {
  execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'datasets.py'), path, '--size', '1960', '--classes', '4',
    '-n', String(n), '--seed', String(seed), '--proto-seed', '7']);
}

function firstRecords(src: string, recBytes: number, n: number, dst: string): void {
  writeFileSync(dst, readFileSync(src).subarray(0, recBytes * n));
}

export async function run(): Promise<void> {
  const d = mkdtempSync(join(tmpdir(), 'ept-bench-'));
  const speech = join(modelsDir, 'micro_speech_quantized.tflite');
  speechSet(join(d, 'speech.bin'), 1, 16);
  // person_detect: augmentations of the two real photographs (tools/float_ref/person_data.py)
  execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'person_data.py'), join(d, 'person.bin'), '-n', '16',
    '--seed', '1', '--gain', '0.4', '--offset', '140', '--noise', '4']);
  const stack = m4StackPeak();
  const cases = [
    { name: 'head', model: speech, data: join(d, 'speech.bin'), rec: 1961, spec: 'bias:layers=-1', rank: 0 },
    { name: 'head', model: speech, data: join(d, 'speech.bin'), rec: 1961, spec: 'lora:rank=1,alpha=2,layers=-1+bias:layers=-1', rank: 1 },
    { name: 'head', model: speech, data: join(d, 'speech.bin'), rec: 1961, spec: 'lora:rank=2,alpha=8,layers=-1+bias:layers=-1', rank: 2 },
    { name: 'mlp', model: demo('digits_mlp_int8.tflite'), data: demo('user_pool.bin'), rec: 65, spec: 'bias:layers=0..1', rank: 0 },
    { name: 'mlp', model: demo('digits_mlp_int8.tflite'), data: demo('user_pool.bin'), rec: 65, spec: 'lora:rank=4,alpha=8,layers=0+bias:layers=0..1', rank: 4 },
    { name: 'mlp', model: demo('digits_mlp_int8.tflite'), data: demo('user_pool.bin'), rec: 65, spec: 'lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0', rank: 4 },
    { name: 'person', model: join(modelsDir, 'person_detect.tflite'), data: join(d, 'person.bin'), rec: 9217, spec: 'lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2..-1', rank: 4 },
  ];
  console.log('\n== trainer (bench/train) ==');
  console.log(`stack high-water mark of a training step on Cortex-M4 (qemu, painted): ${stack} bytes (micro_speech head image)`);
  for (const c of cases) {
    const plan = JSON.parse(execFileSync(cli, ['train', c.model, '--adapter', c.spec, '--plan', '--json'], { encoding: 'utf8' })) as PlanJson;
    const tflm = tflmArena(c.model);
    const K = 16;
    firstRecords(c.data, c.rec, K, join(d, 'k.bin'));
    firstRecords(c.data, c.rec, 1, join(d, 'one.bin'));
    const base = ['--data', join(d, 'k.bin'), '--adapter', c.spec, '--seed', '1', '--out', join(d, 'a.bin')];
    const i0 = callgrindTotal(['train', c.model, ...base, '--steps', '0'], join(d, 'cg0'));
    const iK = callgrindTotal(['train', c.model, ...base, '--steps', String(K)], join(d, 'cgK'));
    const e1 = callgrindTotal(['eval', c.model, '--data', join(d, 'one.bin')], join(d, 'ce1'));
    const eK = callgrindTotal(['eval', c.model, '--data', join(d, 'k.bin')], join(d, 'ceK'));
    const perStep = (iK - i0) / K;
    const perInfer = (eK - e1) / (K - 1);
    const inferMacs = planMacs(c.model);
    const macs = stepMacs(plan, inferMacs, c.rank);
    const peak = plan.training_arena_bytes + stack;
    console.log(`${c.name} ${c.spec}`);
    console.log(`  memory: training arena ${plan.training_arena_bytes} B + stack ${stack} B = ${peak} B; ` +
      `TFLM inference arena ${tflm} B; ratio ${(peak / tflm).toFixed(2)} (ours inference ${plan.inference_arena_bytes} B)`);
    // the same configuration with the trainer's per-step scratch after the inference arena
    // (scratch:separate) instead of in the engine's dead activation memory (the default)
    const sep = JSON.parse(execFileSync(cli, ['train', c.model, '--adapter', `${c.spec}+scratch:separate`, '--plan', '--json'],
      { encoding: 'utf8' })) as PlanJson;
    console.log(`  per-step scratch in dead engine memory: training arena ${plan.training_arena_bytes} B vs ` +
      `${sep.training_arena_bytes} B separate (ratio ${((sep.training_arena_bytes + stack) / tflm).toFixed(2)} -> ` +
      `${(peak / tflm).toFixed(2)})`);
    console.log(`  activation recomputation (recompute:on|off|auto): training arena ${plan.training_arena_keep_bytes} B kept, ` +
      `${plan.training_arena_recompute_bytes} B recomputed (${plan.training_arena_recompute_bytes - plan.training_arena_keep_bytes} B)`);
    console.log(`  instructions: ${Math.round(perStep)} per training step, ${Math.round(perInfer)} per inference ` +
      `(our path), ratio ${(perStep / perInfer).toFixed(2)}`);
    console.log(`  MACs per step ${macs} (inference ${inferMacs}); ${(perStep / macs).toFixed(2)} instructions per MAC`);
    console.log(`  adapter ${plan.export_bytes} B exported (${plan.params} params) vs model ${plan.model_bytes} B ` +
      `(${((100 * plan.export_bytes) / plan.model_bytes).toFixed(1)}%)`);
  }
  // head vs AIfES (DESIGN.md section 8): a step from a latent replay entry (the input of the
  // adapted FC cached, so the frozen layers below are not re-run). Memory: the trainer's
  // arena + one latent entry + the stack (no inference arena needed for such a step).
  const aifesInstr = 2194260;
  const aifesMem = (144 + 64) * 1024;
  for (const c of cases.filter((x) => x.name === 'head')) {
    const plan = JSON.parse(execFileSync(cli, ['train', c.model, '--adapter', c.spec, '--plan', '--json'], { encoding: 'utf8' })) as PlanJson;
    const K = 16;
    firstRecords(c.data, c.rec, K, join(d, 'k.bin'));
    execFileSync(cli, ['train', c.model, '--data', join(d, 'k.bin'), '--adapter', c.spec, '--steps', '0', '--out', join(d, 'a.bin'),
      '--latents-out', join(d, 'lat.bin')]);
    const base = ['--data', join(d, 'k.bin'), '--replay', join(d, 'lat.bin'), '--adapter', c.spec, '--seed', '1', '--out', join(d, 'a.bin')];
    const i0 = callgrindTotal(['train', c.model, ...base, '--steps', '0'], join(d, 'cr0'));
    const iK = callgrindTotal(['train', c.model, ...base, '--steps', String(K)], join(d, 'crK'));
    const perStep = (iK - i0) / K;
    const latent = readFileSync(join(d, 'lat.bin')).length / K - 1;
    const mem = plan.trainer_bytes + latent + stack;
    console.log(`head from latent replay, ${c.spec}: ${Math.round(perStep)} instructions per step ` +
      `(AIfES F32 SGD ${aifesInstr}: ratio ${(perStep / aifesInstr).toFixed(3)}, goal <= 0.1); memory trainer ` +
      `${plan.trainer_bytes} B + latent ${latent} B + stack ${stack} B = ${mem} B (AIfES ${aifesMem} B: ratio ` +
      `${(mem / aifesMem).toFixed(3)}, goal <= 0.125)`);
  }
  // EWC on a two-task sequence (digits): task 1 = pad shifted one column, task 2 = upside down
  const spec = 'lora:rank=4,alpha=8,layers=0+bias:layers=0..1';
  const model = demo('digits_mlp_int8.tflite');
  execFileSync(python, [floatRef, 'mirror', demo('population_test.bin'), join(d, 't2.bin'), join(d, 't2test.bin')]);
  const acc = (a: string, data: string): number =>
    (JSON.parse(execFileSync(cli, ['eval', model, '--data', data, '--adapter', a, '--json'], { encoding: 'utf8' })) as { accuracy: number }).accuracy;
  const tr = (args: string[]) => execFileSync(cli, ['train', model, '--adapter', spec, '--seed', '1', '--lr', '0.0003', ...args], { encoding: 'utf8' });
  tr(['--data', demo('user_pool.bin'), '--steps', '1200', '--out', join(d, 't1.bin')]);
  const t1 = acc(join(d, 't1.bin'), demo('user_test.bin'));
  const t2args = ['--data', join(d, 't2.bin'), '--init', join(d, 't1.bin'), '--steps', '1000'];
  tr([...t2args, '--out', join(d, 'plain.bin')]);
  tr([...t2args, '--ewc', '500', '--ewc-data', demo('user_pool.bin'), '--out', join(d, 'ewc.bin')]);
  console.log(`EWC (digits, ${spec}): task-1 accuracy after task 1 ${t1.toFixed(3)}; after task 2: ` +
    `without EWC ${acc(join(d, 'plain.bin'), demo('user_test.bin')).toFixed(3)}, with EWC (lambda 500) ` +
    `${acc(join(d, 'ewc.bin'), demo('user_test.bin')).toFixed(3)}; task-2 accuracy ` +
    `${acc(join(d, 'plain.bin'), join(d, 't2test.bin')).toFixed(3)} / ${acc(join(d, 'ewc.bin'), join(d, 't2test.bin')).toFixed(3)}`);
}
