// Issue 12 item 6 for the agent's own runs: the float twin of one agent run (npm run demo,
// bench/forgetting).
// The run is made with --trace 1 (firmware/continual/trace-engine.ts: every call that changed the
// integer trainer, with its bytes); tools/float_ref/agent_trace.py replays that trace through the
// float reference's adapter (float64, the same loss, per-example SGD, EWC in float), so the float
// model is the same method on the same data (the integer run's pseudo-labels, replay draws,
// distillation targets and commit / rollback decisions). The same routing rules are then applied
// in float: confidence and novelty on the float models' probabilities, nearest and stats on the
// agent's own decisions (they read only the input and the stored samples, not the models).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root as repoRoot } from './run.js';

const python = join(repoRoot, '.venv', 'bin', 'python');

interface Answers { labels: number[]; top: number[]; prob: number[] }
interface TwinJson { counts: { steps: number; soft: number; fisher: number; loads: number }; sets: Record<string, { adapted: Answers; base: Answers }> }

/** Float figures of one run, shaped as the agent's route report's. */
export interface FloatRoute {
  baseUser: number; basePopulation: number; adaptedUser: number; adaptedPopulation: number;
  rules: Record<string, { user: number; population: number }>;
  steps: number; soft: number;
}

export interface AgentDecisions { rule: string; userDecisions: string; populationDecisions: string }

const value = (args: readonly string[], name: string): string | undefined => {
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
};

/**
 * dir: the task's data folder; args: the agent's command line (lr, EWC lambda, model); stdout:
 * the traced run's output; rules: the agent's route rules with their per-input decisions;
 * quantile: the novelty rule's.
 */
export function floatTwin(dir: string, args: readonly string[], stdout: string, rules: readonly AgentDecisions[], quantile: number): FloatRoute {
  const d = mkdtempSync(join(tmpdir(), 'agent-float-'));
  try {
    const trace = join(d, 'run.txt');
    writeFileSync(trace, stdout);
    const lr = value(args, '--lr') ?? '0.002'; // firmware/targets/sim-agent.ts's defaults
    const lambda = args.includes('--no-ewc') ? '0' : value(args, '--lambda') ?? '1';
    const data = (f: string) => join(repoRoot, dir, f);
    const out = JSON.parse(execFileSync(python, [join(repoRoot, 'tools', 'float_ref', 'agent_trace.py'),
      data(value(args, '--model') ?? 'digits_mlp_int8.tflite'), '--trace', trace, '--lr', lr, '--ewc-lambda', lambda,
      '--eval', `user=${data('user_test.bin')}`, '--eval', `population=${data('population_test.bin')}`,
      '--eval', `old=${data('population_replay.bin')}`], { encoding: 'utf8', maxBuffer: 1 << 26 })) as TwinJson;
    const u = out.sets['user']!, p = out.sets['population']!, old = out.sets['old']!;
    const acc = (a: Answers) => a.top.filter((t, i) => t === a.labels[i]).length / a.labels.length;
    // novelty: the float base's top probability below its quantile on the shipped old-task samples
    const sorted = [...old.base.prob].sort((x, y) => x - y);
    const tau = sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))]!;
    const routed = (s: { adapted: Answers; base: Answers }, pick: (i: number) => boolean) =>
      s.base.labels.filter((l, i) => (pick(i) ? s.adapted.top[i] : s.base.top[i]) === l).length / s.base.labels.length;
    const res: FloatRoute['rules'] = {};
    for (const r of rules) {
      const pick = (s: { adapted: Answers; base: Answers }, decisions: string) => (i: number) =>
        r.rule === 'confidence' ? s.adapted.prob[i]! > s.base.prob[i]! : r.rule === 'novelty' ? s.base.prob[i]! < tau : decisions[i] === '1';
      res[r.rule] = { user: routed(u, pick(u, r.userDecisions)), population: routed(p, pick(p, r.populationDecisions)) };
    }
    return { baseUser: acc(u.base), basePopulation: acc(p.base), adaptedUser: acc(u.adapted), adaptedPopulation: acc(p.adapted),
      rules: res, steps: out.counts.steps, soft: out.counts.soft };
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}
