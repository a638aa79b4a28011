// bench/federated, fleet size: DP-FedAvg (epsilon 8, delta 1e-5, the same discrete noise
// calibration and accountant as the Flower rounds) at 64 and 1,024 devices against 95% of the
// centralised gain, the knobs and the size rule fixed on a validation split, reported on the
// held-out test set (fleet-server/fleet_size.py). Prints, and plots accuracy vs round per size to
// build/bench/fleet-size.svg.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lineChart } from "../svg.js";

interface Row { round: number; validation: number; test: number; epsilon_pld: number; epsilon_rdp: number }
interface SizeRun {
  devices: number; noise_multiplier: number; effective_multiplier: number; min_survivors: number; rows: Row[]; local_variance: string;
  validation_fraction: number; test_fraction: number; epsilon_pld: number; epsilon_rdp: number; dimension: number;
  last_validation_fraction: number; last_test_fraction: number; tail: number;
  tails: { k: number; rounds: number; validation: number; test: number; validation_fraction: number; test_fraction: number }[];
}
interface Sweep {
  config: { rounds: number; local_steps: number; lr: number; clip: number; clip_steps: number; server_lr: number; server_momentum: number; sample_cap: number; alpha: number;
    delta: number; epsilon_max: number; per_device: number; goal: number; margin: number; tails: number[]; sizes: number[]; train_samples: number; validation_samples: number };
  base: { validation: number; test: number }; central: { validation: number; test: number; lr: number; steps: number };
  runs: SizeRun[]; found: number | null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const COLORS = ["#d62728", "#ff7f0e", "#9467bd", "#1f77b4", "#17becf", "#8c564b"];

export function fleetSize(root: string, python: string, out: string): void {
  const t0 = Date.now();
  // 64 and 1,024 devices, each run in full (the whole doubling search, 64..2,048: `fleet_size.py
  // --sizes 64,128,256,512,1024,2048 --all`, ~25 min on this machine: too long for the bench).
  const q = JSON.parse(execFileSync(python, [join(root, "fleet-server", "fleet_size.py"), "--sizes", "64,1024", "--all", "--json"], { encoding: "utf8", maxBuffer: 1 << 26 })) as Sweep;
  const seconds = (Date.now() - t0) / 1000;
  const c = q.config;
  console.log(`\n== federated LoRA with DP: fleet size for ${pct(c.goal)} of the centralised gain at epsilon ${c.epsilon_max}, delta ${c.delta} (fleet-server/fleet_size.py) ==`);
  console.log(`   virtual devices: ${c.per_device} samples each drawn from a ${c.train_samples}-sample training pool (own Dirichlet(${c.alpha}) class mix, own pad gain 0.6..1.4);`
    + ` ${c.rounds} rounds, every device every round, ${c.local_steps} local steps at lr ${c.lr}, S ${c.clip} on ${c.clip_steps} steps, FedAvgM ${c.server_momentum} x${c.server_lr}`);
  console.log(`   z per size: the least within epsilon ${c.epsilon_max} over ${c.rounds} rounds (privacy.py PLD, discrete mechanism, t = 90% survivors), each device its N_Z share`);
  console.log(`   chosen on validation (${c.validation_samples} samples split off the pool): the centralised (lr ${q.central.lr}, ${q.central.steps} steps) and the fleet size; reported on test (user_test.bin, 240)`);
  console.log(`   base ${pct(q.base.test)} test / ${pct(q.base.validation)} validation; centralised ${pct(q.central.test)} test / ${pct(q.central.validation)} validation`);
  console.log(`   rule (fixed on validation before the 1,024 and 2,048 runs): per size the tail k in {${c.tails.join(", ")}} (mean of the last k rounds' global adapters, free under DP) with the best validation accuracy;`
    + ` the fleet size is the first whose validation fraction >= ${pct(c.goal)} + ${pct(c.margin)}`);
  console.log("   devices     z  eff. z     t  eps PLD  eps RDP  last round: val / test of gain  tail k  tail: val / test of gain");
  for (const r of q.runs) {
    console.log(`   ${String(r.devices).padStart(7)}  ${r.noise_multiplier.toFixed(2).padStart(4)}  ${r.effective_multiplier.toFixed(3).padStart(6)}  ${String(r.min_survivors).padStart(4)}`
      + `  ${r.epsilon_pld.toFixed(3).padStart(7)}  ${r.epsilon_rdp.toFixed(3).padStart(7)}  ${pct(r.last_validation_fraction).padStart(17)} / ${pct(r.last_test_fraction).padStart(6)}`
      + `  ${String(r.tail).padStart(6)}  ${pct(r.validation_fraction).padStart(11)} / ${pct(r.test_fraction).padStart(6)}`);
  }
  const at64 = q.runs.find((r) => r.devices === 64);
  if (q.found !== null) {
    const f = q.runs.find((r) => r.devices === q.found)!;
    console.log(`   goal reached (on validation, with the margin) at ${q.found} devices: ${pct(f.test_fraction)} of the centralised gain on test`
      + `${f.test_fraction < c.goal ? ` (short of ${pct(c.goal)} on test)` : ` (>= ${pct(c.goal)} on test)`}; at 64 devices: ${at64 ? pct(at64.test_fraction) : "not run"}`);
  } else {
    console.log(`   goal (with the margin) not reached on validation among ${c.sizes.join(", ")} devices`);
  }
  console.log(`   search time ${seconds.toFixed(0)} s`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "fleet-size.svg"), lineChart({
    title: `Federated LoRA with DP (eps ${c.epsilon_max}): test accuracy vs round per fleet size`,
    xLabel: "round", yLabel: "accuracy (user_test, devices' gains)",
    xTicks: Array.from({ length: Math.floor(c.rounds / 5) + 1 }, (_, i) => 5 * i),
    y: { min: 0.3, max: 1, step: 0.1 }, yFormat: (v) => `${Math.round(100 * v)}%`,
    series: [
      ...q.runs.map((r, i) => ({ label: `${r.devices} devices, z ${r.noise_multiplier}`, color: COLORS[i % COLORS.length]!, points: r.rows.map((w) => [w.round, w.test] as const) })),
      { label: "centralised", color: "#2ca02c", dashed: true, points: [[0, q.central.test], [c.rounds, q.central.test]] },
      { label: "base", color: "#7f7f7f", dashed: true, points: [[0, q.base.test], [c.rounds, q.base.test]] },
    ],
  }));
  console.log("   plot: build/bench/fleet-size.svg");
}
