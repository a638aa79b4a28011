// The three-user sequence A -> B -> C on the digits model (issue 12 item 2): user A's pad one
// column right (data/demo), B's one row down, C's one column left (data/demo/users/b, c; made
// by tools/demo-data/prepare.py from the same pool and test digits). Every stage is one agent
// run in the XS simulator; the forgetting matrix is each stage's own report (firmware/continual):
// accuracy on the population and on A, B and C after each stage.
// - sequential: one device meets A, then B, then C; its flash (committed adapter, replay
//   buffer, EWC) carries over, so one adapter keeps training; shown alone and with the
//   nearest-sample router (base vs that adapter; user frames of every user met so far);
// - isolation: one adapter per user, each trained from the base on its own user (a fresh
//   flash), frozen afterwards; after stage k the router sends each input to the base or to the
//   adapter of its nearest stored sample's user, the adapters switched by import.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, runDemo } from '../../tools/demo/run.js';

const USERS = [['a', 'data/demo'], ['b', 'data/demo/users/b'], ['c', 'data/demo/users/c']] as const;
const COLS = ['population', 'a', 'b', 'c'];

interface Entry { name: string; base: number; adapted: number; nearest: number }
interface Report { onlineEwc?: { users: number; mergedExamples: number }; route: { adaptedPopulation: number; basePopulation: number; rules: { rule: string; populationAccuracy: number }[]; matrix: Entry[] };
  isolation?: { name: string; accuracy: number; routedToOwn: number }[]; adapter?: string }

function stage(args: string[], dir: string, flash: string | undefined): Report {
  const r = runDemo([...args, '--route', '0.05', '--users-root', 'data/demo', '--matrix', 'a,b,c'], 'esp32s3', { dir, flash });
  const line = r.stdout.split('\n').find((l) => l.startsWith('method-result '));
  if (!line) throw new Error(`no method-result line:\n${r.stdout}`);
  return JSON.parse(line.slice('method-result '.length)) as Report;
}

const pt = (v: number): string => `${(100 * v).toFixed(1)}%`;

function printMatrix(title: string, rows: number[][]): void {
  console.log(`  ${title}`);
  console.log(`    after stage   ${COLS.map((c) => c.padEnd(10)).join(' ')}`);
  rows.forEach((r, i) => console.log(`    ${(i === 0 ? 'base' : USERS[i - 1]![0].toUpperCase()).padEnd(13)} ${r.map((v) => pt(v).padEnd(10)).join(' ')}`));
}

export function runSequence(): void {
  console.log('\n== bench/forgetting: three users A -> B -> C (pad one column right, one row down, one column left)');
  const tmp = join(root, 'build', 'bench', 'forgetting');
  mkdirSync(tmp, { recursive: true });
  const configs: [string, string[]][] = [
    ['plain fine-tune', ['--no-replay', '--no-ewc']],
    ['replay + EWC', []],
    ['replay + EWC + distillation (4/step)', ['--distill', '4']],
    ['replay + online EWC (Fisher merged at each boundary)', ['--online-ewc', '1']],
    ['replay + online EWC, lambda 100', ['--online-ewc', '1', '--lambda', '100']],
    ['replay + online EWC + distillation (4/step)', ['--online-ewc', '1', '--distill', '4']],
  ];
  let baseRow: number[] | undefined;
  for (const [name, args] of configs) {
    const flash = join(tmp, 'sequence.bin');
    rmSync(flash, { force: true });
    const alone: number[][] = [], routed: number[][] = [], merged: number[] = [];
    USERS.forEach(([, dir], k) => {
      const seen = USERS.slice(0, k + 1).map((u) => u[0]).join(',');
      const rep = stage([...args, '--seen', seen], dir, flash);
      const m = rep.route.matrix;
      if (rep.onlineEwc) merged.push(rep.onlineEwc.mergedExamples);
      baseRow ??= [rep.route.basePopulation, ...m.map((e) => e.base)];
      alone.push([rep.route.adaptedPopulation, ...m.map((e) => e.adapted)]);
      routed.push([rep.route.rules.find((r) => r.rule === 'nearest')!.populationAccuracy, ...m.map((e) => e.nearest)]);
    });
    printMatrix(`sequential, ${name}: one adapter carried A -> B -> C`, [baseRow!, ...alone]);
    if (merged.length) console.log(`    earlier users' labelled frames merged into the Fisher at stages A, B, C: ${merged.join(', ')}`);
    printMatrix(`sequential, ${name} + nearest-sample routing (base vs the adapter)`, [baseRow!, ...routed]);
  }
  console.log('  online EWC (firmware/continual/online-ewc.ts): before the first trainer step of user k, the Fisher of users');
  console.log('  1..k-1\'s 50 labelled frames under the current adapter is added to the flash\'s (the population\'s, taken at A\'s');
  console.log('  boundary) and the anchor moves to the current adapter; plain EWC keeps the anchor at the base for B and C.');
  for (const [name, args] of [configs[0]!, configs[2]!]) {
    const rows: number[][] = [baseRow!];
    const prior: string[] = [];
    const own: number[] = [];
    USERS.forEach(([u, dir], k) => {
      const seen = USERS.slice(0, k + 1).map((x) => x[0]).join(',');
      const rep = stage([...args, '--seen', seen, '--user-name', u, '--dump-adapter', '1', ...(prior.length ? ['--prior', prior.join(',')] : [])], dir, undefined);
      const file = join(tmp, `isolation-${u}.epad`);
      writeFileSync(file, Buffer.from(rep.adapter!, 'hex'));
      prior.push(`${u}=${file}`);
      const iso = rep.isolation!;
      rows.push(COLS.map((c) => iso.find((e) => e.name === c)!.accuracy));
      own.push(iso.find((e) => e.name === 'population')!.routedToOwn);
    });
    printMatrix(`isolation, ${name}: one adapter per user + nearest-sample routing among the base and the adapters`, rows);
    console.log(`    old-task inputs answered by the base after each stage: ${own.map(pt).join(', ')}`);
  }
  console.log('  base row: the frozen model; users not yet met keep the base only where the router sends them to it.');
}
