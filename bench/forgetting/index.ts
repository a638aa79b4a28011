// Forgetting on the demo, the IMU watch task and the camera image task (issue 12 items 1 and 3): the agent in the XS
// simulator, one run per training configuration and task, each measured by the agent itself with the router's report
// (firmware/continual): the adapted model alone, and the two routing rules over the base and the
// adapted outputs. Per candidate: the original task's drop vs the base and the new user's gain
// vs plain fine-tuning (the same agent without replay or EWC), against the issue's bound (drop
// <= 2 points at >= the full gain), and why it falls short. Prints only.
// The methods' modules do not fit next to the agent in esp32's 4,096-slot heap, so these runs
// use esp32s3's XS creation block (8,192 slots); the arena and the numerics are the demo's.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { root, runDemo } from '../../tools/demo/run.js';
import { runFloatReference } from './float-ref.js';
import { runSequence } from './sequence.js';
import { floatTwin, type FloatRoute } from '../../tools/demo/float-twin.js';

interface Rule { rule: string; errorRate: number; userAccuracy: number; populationAccuracy: number; userToAdapter: number; populationToAdapter: number; userDecisions: string; populationDecisions: string }
interface Route { tau256: number; baseUser: number; basePopulation: number; adaptedUser: number; adaptedPopulation: number; rules: Rule[] }

interface Config { name: string; args: string[]; why: string }
const CONFIGS: Config[] = [
  { name: 'plain fine-tune (no replay, no EWC)', args: ['--no-replay', '--no-ewc'], why: 'nothing protects the old task' },
  { name: 'replay + EWC (demo default, lambda 1)', args: [], why: 'true-label Fisher ~ 0 where the base is confident' },
  { name: 'replay + EWC lambda 100', args: ['--lambda', '100'], why: 'the same near-zero Fisher, 100x: still little pull' },
  { name: 'replay + EWC, Fisher at T=8 labels, lambda 1', args: ['--fisher-temp', '8'], why: 'the Fisher now binds the adapter: it also blocks the user' },
  { name: 'replay + EWC, Fisher at T=8 labels, lambda 10', args: ['--fisher-temp', '8', '--lambda', '10'], why: 'stronger pull: old task kept, user gain gone' },
  { name: 'replay + EWC, Fisher at T=1 (own distribution)', args: ['--fisher-temp', '1'], why: 'labels drawn from p itself: as small as the true-label Fisher' },
  { name: 'distillation (4 old-task samples/step), no replay, no EWC', args: ['--no-replay', '--no-ewc', '--distill', '4'], why: 'one adapter for both domains: the {replay} distilled samples do not cover the old task' },
  { name: 'replay + EWC + distillation (4/step)', args: ['--distill', '4'], why: 'one adapter for both domains: the {replay} distilled samples do not cover the old task' },
  { name: 'replay + EWC, pseudo-labels checked by the nearest labelled frame', args: ['--pseudo-check', '1'], why: 'fewer wrong pseudo-labels, same shared adapter' },
  { name: 'distillation (4/step) + pseudo-label check, no replay, no EWC', args: ['--no-replay', '--no-ewc', '--distill', '4', '--pseudo-check', '1'], why: 'one adapter for both domains: the {replay} distilled samples do not cover the old task' },
  // calibrated pseudo-labels (pseudo-calibrate.ts): the threshold fitted for 90% precision on held-out labelled frames
  { name: 'replay + EWC, pseudo-labels calibrated for 90% precision', args: ['--pseudo-calibrate', '90', '--threshold', '0.5'], why: 'pseudo-labels as precise as the held-out frames allow, same shared adapter' },
  { name: 'distillation (4/step) + calibrated pseudo-labels (90%), no replay, no EWC', args: ['--no-replay', '--no-ewc', '--distill', '4', '--pseudo-calibrate', '90', '--threshold', '0.5'], why: 'one adapter for both domains: the {replay} distilled samples do not cover the old task' },
];

// A task: the agent's data folder and what it needs besides (the model's file name); the digits
// candidates that met the bound are the ones run again on the IMU task.
// routeChannels: channels per frame of the input, for the router's "stats" rule (digits: the 8 columns over 8 rows)
interface Task { title: string; dir: string; args: string[]; inputBytes: number; configs: Config[]; classes?: string[]; why?: Record<string, string> }
const MET_ON_DIGITS = [6, 7, 8, 9, 10, 11];
const TASKS: Task[] = [
  { title: 'demo data (digits, pad one column right)', dir: 'data/demo', args: ['--route-channels', '8'], inputBytes: 64, configs: CONFIGS },
  { title: 'IMU watch (BasicMotions, watch turned 90 degrees; data/imu-watch)', dir: 'data/imu-watch', args: ['--model', 'imu_mlp_int8.tflite', '--route-channels', '6'], inputBytes: 120,
    configs: [0, 1, ...MET_ON_DIGITS].map((i) => CONFIGS[i]!),
    classes: (JSON.parse(readFileSync(join(root, 'data', 'imu-watch', 'meta.json'), 'utf8')) as { classes: string[] }).classes },
  // the demo's digits and base model through a cheaper camera: defocus, flare, read noise (data/digits-camera)
  { title: 'image: digits through another camera (defocus + flare + read noise; data/digits-camera)', dir: 'data/digits-camera',
    args: ['--model', 'digits_mlp_int8.tflite', '--route-channels', '8'], inputBytes: 64, configs: CONFIGS,
    // where this task's shortfall differs from the digits reason: the old task is kept, the gain is not
    why: { [CONFIGS[6]!.name]: 'the distilled steps pull the one adapter toward the base: here that costs user gain, not the old task (our reading)' } },
];

const bytes = (dir: string, file: string): number => statSync(join(root, dir, file)).size;
const labels = (dir: string, file: string, rec: number): number[] => {
  const b = readFileSync(join(root, dir, file));
  return Array.from({ length: b.length / rec }, (_, i) => b[i * rec]!);
};

const inputs = (dir: string, file: string, n: number): Int8Array[] => {
  const b = readFileSync(join(root, dir, file)), rec = n + 1;
  return Array.from({ length: b.length / rec }, (_, i) => new Int8Array(b.buffer, b.byteOffset + i * rec + 1, n));
};

/**
 * The float counterpart of the router's integer "stats" rule (input-stats.ts: sums and a rounded
 * F x std): per-channel mean and std in doubles, nearest stored sample, from the data files.
 * Returns the held-out inputs (user then population) whose route differs from the agent's.
 */
function floatStatsDiffers(task: Task, channels: number, frames: number, rule: Rule): number {
  const stats = (x: Int8Array): number[] => {
    const f: number[] = [];
    for (let c = 0; c < channels; c++) {
      let m = 0;
      for (let t = 0; t < frames; t++) m += x[t * channels + c]! / frames;
      let v = 0;
      for (let t = 0; t < frames; t++) v += (x[t * channels + c]! - m) ** 2 / frames;
      f.push(m, Math.sqrt(v));
    }
    return f;
  };
  const d = (a: number[], b: number[]) => a.reduce((s, v, k) => s + (v - b[k]!) ** 2, 0);
  const old = inputs(task.dir, 'population_replay.bin', task.inputBytes).map(stats);
  const user = inputs(task.dir, 'user_pool.bin', task.inputBytes).slice(0, 50).map(stats);
  const route = (x: Int8Array): string => {
    const f = stats(x);
    return Math.min(...user.map((u) => d(f, u))) < Math.min(...old.map((o) => d(f, o))) ? '1' : '0';
  };
  const want = inputs(task.dir, 'user_test.bin', task.inputBytes).map(route).join('') + inputs(task.dir, 'population_test.bin', task.inputBytes).map(route).join('');
  const got = rule.userDecisions + rule.populationDecisions;
  let n = 0;
  for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) n++;
  return n;
}

const pt = (v: number): string => `${(100 * v).toFixed(1)}%`;
const pts = (v: number): string => `${v >= 0 ? '+' : ''}${(100 * v).toFixed(1)}`;

const QUANTILE = 0.05;
function runConfig(task: Task, args: string[]): { route: Route; pseudo: string; float: FloatRoute } {
  // --trace 1: the training trace its float twin replays (tools/demo/float-twin.ts)
  const all = [...task.args, ...args, '--route', String(QUANTILE), '--trace', '1'];
  const r = runDemo(all, 'esp32s3', { dir: task.dir });
  const line = r.stdout.split('\n').find((l) => l.startsWith('method-result '));
  if (!line) throw new Error(`no method-result line:\n${r.stdout}`);
  const rep = JSON.parse(line.slice('method-result '.length)) as { route: Route; pseudoCalibrate?: { threshold256: number; calibrationFrames: number; calibrationRight: number } };
  const route = rep.route, cal = rep.pseudoCalibrate;
  // calibrated: the last fitted threshold (257 = none qualifies) and the held-out labelled frames it was fitted on
  const fitted = cal ? `, t ${cal.threshold256}/256 fit on ${cal.calibrationRight}/${cal.calibrationFrames} right` : '';
  return { route, pseudo: `${r.result.pseudo} (${r.result.pseudoWrong})${fitted}`, float: floatTwin(task.dir, all, r.stdout, route.rules, QUANTILE) };
}

function table(task: Task): void {
  console.log(`\n== bench/forgetting: original task vs new user, the agent in the XS simulator: ${task.title}`);
  const rec = task.inputBytes + 1; // SAMPLES.bin: label + input
  const nUser = bytes(task.dir, 'user_test.bin') / rec, nPop = bytes(task.dir, 'population_test.bin') / rec;
  const nReplay = bytes(task.dir, 'population_replay.bin') / rec;
  const popLabels = labels(task.dir, 'population_test.bin', rec), userLabels = labels(task.dir, 'user_test.bin', rec);
  const byClass = (decisions: string, want: string, lab: number[]): string => {
    if (!task.classes) return '';
    const n = task.classes.map(() => 0);
    for (let i = 0; i < decisions.length; i++) if (decisions[i] === want) n[lab[i]!]!++;
    return ` (${task.classes.map((c, k) => `${c} ${n[k]}`).filter((t) => !t.endsWith(' 0')).join(', ')})`;
  };
  const runs = task.configs.map((c) => ({ ...c, why: task.why?.[c.name] ?? c.why, ...runConfig(task, c.args) }));
  const base = runs[0]!.route;
  const plainGain = base.adaptedUser - base.baseUser;
  console.log(`  base model: user ${pt(base.baseUser)}, original task ${pt(base.basePopulation)}; plain fine-tune gain on the user ${pts(plainGain)} points (the gain to match)`);
  console.log('  bound (issue 12): original task within 2 points of the base, user gain >= the plain fine-tune gain');
  const met: string[] = [];
  const fb = runs[0]!.float, floatPlainGain = fb.adaptedUser - fb.baseUser;
  console.log(`  float twin (the same run's trace in float64, tools/demo/float-twin.ts): base user ${pt(fb.baseUser)}, original task ${pt(fb.basePopulation)}; plain gain ${pts(floatPlainGain)} points`);
  const floatMet: string[] = [];
  const rows: string[][] = [['candidate', 'user', 'orig. task', 'drop', 'gain/plain', 'route err', 'pseudo (wrong)', 'bound', 'float: user / orig. (bound)', 'short by / why']];
  for (const r of runs) {
    const v = r.route;
    const f = r.float;
    const cands: { label: string; user: number; pop: number; err?: number; why: string; fUser: number; fPop: number }[] = [
      { label: r.name, user: v.adaptedUser, pop: v.adaptedPopulation, why: r.why.replace('{replay}', String(nReplay)), fUser: f.adaptedUser, fPop: f.adaptedPopulation },
    ];
    for (const u of v.rules) {
      const why = `${u.populationToAdapter}/${nPop} old-task inputs sent to the adapter${byClass(u.populationDecisions, '1', popLabels)}, ${nUser - u.userToAdapter}/${nUser} user inputs kept on the base${byClass(u.userDecisions, '0', userLabels)}`;
      cands.push({ label: `  + routing (${u.rule}${u.rule === 'novelty' ? `, tau ${v.tau256}/256` : u.rule === 'nearest' ? ', 1-NN' : u.rule === 'stats' ? ', 1-NN over channel sum/std' : ''})`, user: u.userAccuracy, pop: u.populationAccuracy, err: u.errorRate, why, fUser: f.rules[u.rule]!.user, fPop: f.rules[u.rule]!.population });
    }
    for (const c of cands) {
      // in tenths of a point, so a drop of exactly 2.0 is not 2.0000001
      const drop = Math.round(1000 * (v.basePopulation - c.pop)) / 10, gain = c.user - v.baseUser;
      const under = Math.round(1000 * (plainGain - gain)) / 10;
      const ok = drop <= 2 && under <= 0;
      const short = ok ? '' : [drop > 2 ? `drop ${(drop - 2).toFixed(1)} pts over` : '', under > 0 ? `gain ${under.toFixed(1)} pts under` : ''].filter(Boolean).join(', ');
      const label = c.label === r.name ? r.name : `${r.name} ${c.label.trim()}`;
      if (ok) met.push(label);
      // the same bound on the float twin, against the float base and the float plain run
      const fOk = Math.round(1000 * (f.basePopulation - c.fPop)) / 10 <= 2 && Math.round(1000 * (floatPlainGain - (c.fUser - f.baseUser))) / 10 <= 0;
      if (fOk) floatMet.push(label);
      rows.push([c.label, pt(c.user), pt(c.pop), drop.toFixed(1), `${(gain / plainGain).toFixed(2)}x`, c.err === undefined ? '-' : pt(c.err), c.label === r.name ? r.pseudo : '', ok ? 'met' : 'missed',
        `${pt(c.fUser)} / ${pt(c.fPop)} (${fOk ? 'met' : 'missed'})`, ok ? '' : `${short}: ${c.why}`]);
    }
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  '));
  console.log(`  bound met by ${met.length} candidate(s)${met.length ? ': ' + met.join('; ') : ''}`);
  const only = (a: string[], b: string[]) => a.filter((x) => !b.includes(x));
  console.log(`  float twin: bound met by ${floatMet.length}; met in integer only: ${only(met, floatMet).join('; ') || 'none'}; in float only: ${only(floatMet, met).join('; ') || 'none'}`);
  const channels = Number(task.args[task.args.indexOf('--route-channels') + 1]);
  const stats = base.rules.find((u) => u.rule === 'stats');
  if (stats) {
    const differs = floatStatsDiffers(task, channels, task.inputBytes / channels, stats);
    console.log(`  stats rule, integer (the agent: sums, rounded F x std) vs its float reference (mean, std in doubles, from the data files):`);
    console.log(`  routes differ on ${differs} of ${stats.userDecisions.length + stats.populationDecisions.length} held-out inputs (the rule's decisions do not depend on the adapter)`);
  }
}

export async function run(): Promise<void> {
  for (const task of TASKS) table(task);
  console.log('  route err: inputs of both held-out sets sent to the model not of their domain (old task -> base, user -> adapter).');
  console.log('  routing rules: confidence = adapter iff its top probability beats the base\'s; novelty = adapter iff the base\'s top');
  console.log('  probability is below its 5% quantile on the shipped old-task samples (population_replay.bin); nearest = adapter iff');
  console.log('  the input\'s nearest stored sample (squared L2 over the int8 input; the shipped old-task samples and the first 50');
  console.log('  labelled user frames) is a user frame (digits: 150 x 64 multiply-adds per input, 4.1x the model\'s 2,368 MACs;');
  console.log('  IMU: 90 x 120, 2.7x its 3,968 MACs); stats = the same 1-NN over per-channel statistics of the input seen as');
  console.log('  [frames][channels] (firmware/continual/input-stats.ts: per channel the sum over the frames and F x the std; IMU 6');
  console.log('  channels x 20 frames -> 12 numbers, digits 8 columns x 8 rows -> 16; 90 x 12 = 1,080 multiply-adds per input on');
  console.log('  the IMU task plus 240 for the statistics, 0.33x the model\'s MACs).');
  console.log('  float twin: each agent run\'s training trace (--trace 1: initial adapter, Fisher batch, every trainer batch with its');
  console.log('  feedback / pseudo / replayed labels, distillation targets, guard snapshots and rollbacks) replayed in float64 by');
  console.log('  tools/float_ref/agent_trace.py (ref.py\'s adapter, softmax cross-entropy, per-example SGD, EWC in float), the');
  console.log('  same routing rules applied to the float models (nearest / stats: the agent\'s input-only decisions). The float');
  console.log('  run takes the integer run\'s pseudo-labels, replay draws and commit / rollback decisions. The methods\'');
  console.log('  training alone, from the CLI, integer beside float, follows.');
  runFloatReference();
  runSequence();
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
