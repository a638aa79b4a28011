// bench/federated: federated LoRA quality on real data and the server's aggregation figures.
// Quality: fleet-server/federated_sim.py (virtual non-IID devices each training with the real
// integer trainer, the devices' encoding and discrete Gaussian noise, the exact secure sum,
// privacy.py's epsilon) against centralised training on the union; accuracy vs round plotted to
// build/bench/federated.svg. Server: fleet-server/server_bench.py (secagg.unmask + decode of real
// SecAgg+ frames per cohort size), plotted to build/bench/secagg-server.svg; and the same rounds
// under Flower's Simulation Engine (fleet-server/flower_sim.py, ./flower-sim.ts). Prints only.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { lineChart } from "../svg.js";
import { fleetSize } from "./fleet-size.js";
import { flowerSim } from "./flower-sim.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const python = join(root, ".venv", "bin", "python");
const out = join(root, "build", "bench");

interface Row { round: number; accuracy: number; epsilon_pld: number; epsilon_rdp: number }
interface Run { rows: Row[]; update_norms: number[]; clip?: number; server_lr?: number; dimension: number; clipped_fraction: number; local_variance: string | null; noise_multiplier?: number; effective_multiplier?: number; min_survivors?: number }
interface Quality {
  config: { devices: number; rounds: number; local_steps: number; lr: number; server_lr: number; server_momentum: number; clip: number; clip_steps: number; sample_cap: number; alpha: number; delta: number; epsilon_max: number };
  samples: number[]; base_accuracy: number; central_accuracy: number; central: { lr: number; steps: number; samples: number };
  no_dp: Run; dp: Run;
}
interface Cohort { devices: number; neighbours: number; threshold: number; dropped: number; dimension: number; seconds: number; per_second: number; measured: boolean }

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function quality(): void {
  const q = JSON.parse(execFileSync(python, [join(root, "fleet-server", "federated_sim.py"), "--dp", "--json"], { encoding: "utf8", maxBuffer: 1 << 26 })) as Quality;
  const c = q.config;
  const gain = (a: number) => (a - q.base_accuracy) / (q.central_accuracy - q.base_accuracy);
  console.log(`\n== federated LoRA (r4 on FC1 + biases, ${q.no_dp.dimension} values) on the digits new user: ${c.devices} virtual devices, every device every round ==`);
  console.log(`   data: user_pool + population sets under the fleet's one-column shift, ${q.central.samples} samples; per device its own pad gain (0.6..1.4) and a Dirichlet(${c.alpha}) label skew: ${Math.min(...q.samples)}..${Math.max(...q.samples)} samples`);
  console.log(`   device: edge-peft train --init global, ${c.local_steps} steps at lr ${c.lr}; update clipped to S = ${c.clip}, grid S/${c.clip_steps}, weight cap ${c.sample_cap}; server: FedAvgM on the unmasked mean, momentum ${c.server_momentum}, step x${c.server_lr}`);
  console.log(`   held-out: user_test.bin (240) under the devices' gains; centralised: the same adapter on the union, best of a grid (lr ${q.central.lr}, ${q.central.steps} steps)`);
  console.log(`   DP: distributed discrete Gaussian, z = ${q.dp.noise_multiplier} (the least within epsilon ${c.epsilon_max} for ${c.rounds} rounds), each device N_Z(0, ${q.dp.local_variance}) steps^2; S = ${q.dp.clip}, server step x${q.dp.server_lr};`
    + ` accounted with ${q.dp.min_survivors} survivors, effective z ${q.dp.effective_multiplier?.toFixed(3)}, delta ${c.delta} (privacy.py, PLD; RDP beside)`);
  console.log(`   round  no-DP acc  DP acc   eps_pld  eps_rdp`);
  for (let r = 0; r < q.no_dp.rows.length; r++) {
    const a = q.no_dp.rows[r]!, b = q.dp.rows[r];
    console.log(`   ${String(r).padStart(5)}  ${pct(a.accuracy).padStart(9)}  ${b ? pct(b.accuracy).padStart(6) : "     -"}  ${b ? b.epsilon_pld.toFixed(3).padStart(7) : ""}  ${b ? b.epsilon_rdp.toFixed(3).padStart(7) : ""}`);
  }
  const last = q.no_dp.rows[q.no_dp.rows.length - 1]!, lastDp = q.dp.rows[q.dp.rows.length - 1]!;
  console.log(`   base ${pct(q.base_accuracy)}, centralised ${pct(q.central_accuracy)}; after ${last.round} rounds: no DP ${pct(last.accuracy)} = ${pct(gain(last.accuracy))} of the centralised gain,`
    + ` DP ${pct(lastDp.accuracy)} = ${pct(gain(lastDp.accuracy))} (goal 95%); total epsilon ${lastDp.epsilon_pld.toFixed(3)} (PLD), ${lastDp.epsilon_rdp.toFixed(3)} (RDP) at delta ${c.delta}`);
  const nq = (r: Run) => r.update_norms.map((v) => v.toFixed(3)).join(" / ");
  console.log(`   updates clipped: ${pct(q.no_dp.clipped_fraction)} (no DP), ${pct(q.dp.clipped_fraction)} (DP); weighted update norm p10 / p50 / p90: ${nq(q.no_dp)} (no DP), ${nq(q.dp)} (DP)`);
  for (const [name, a] of [["no DP", last.accuracy], ["DP", lastDp.accuracy]] as const) {
    if (gain(a) < 0.95) console.log(`   ${name}: short of the 95% goal by ${(100 * (0.95 - gain(a))).toFixed(1)} points of the centralised gain`);
  }
  if (gain(lastDp.accuracy) < 0.95) {
    // the noise in one round's decoded average against its signal (at most S): z S sqrt(d) cap / W, W the round's capped weight
    const w = q.samples.reduce((s, n) => s + Math.min(n, c.sample_cap), 0);
    const ratio = (q.dp.noise_multiplier ?? 0) * Math.sqrt(q.dp.dimension) * c.sample_cap / w;
    console.log(`   why (DP): user-level epsilon ${c.epsilon_max} over ${c.devices} devices: each round's average carries noise of norm ~${ratio.toFixed(2)} S`
      + ` (z S sqrt(d) cap / W, W = ${w}) against a signal of at most S; the noise falls as 1/devices (z stays ~fixed), so ~${Math.ceil(c.devices * ratio / 0.25)} devices`
      + ` of this size would bring it to 0.25 S; the 640 samples cannot be split further without shrinking the signal too`);
  }
  mkdirSync(out, { recursive: true });
  const rounds = q.no_dp.rows.length - 1;
  writeFileSync(join(out, "federated.svg"), lineChart({
    title: `Federated LoRA, ${c.devices} non-IID devices: held-out accuracy vs round`,
    xLabel: "round", yLabel: "accuracy (user_test, devices' gains)",
    xTicks: Array.from({ length: Math.floor(rounds / 5) + 1 }, (_, i) => 5 * i),
    y: { min: 0.3, max: 1, step: 0.1 }, yFormat: (v) => `${Math.round(100 * v)}%`,
    series: [
      { label: "no DP", color: "#1f77b4", points: q.no_dp.rows.map((r) => [r.round, r.accuracy] as const) },
      { label: `DP eps ${lastDp.epsilon_pld.toFixed(1)}`, color: "#d62728", points: q.dp.rows.map((r) => [r.round, r.accuracy] as const) },
      { label: "centralised", color: "#2ca02c", dashed: true, points: [[0, q.central_accuracy], [rounds, q.central_accuracy]] },
      { label: "base", color: "#7f7f7f", dashed: true, points: [[0, q.base_accuracy], [rounds, q.base_accuracy]] },
    ],
  }));
  console.log("   plot: build/bench/federated.svg");
}

function server(): void {
  const rows = JSON.parse(execFileSync(python, [join(root, "fleet-server", "server_bench.py"), "--json"], { encoding: "utf8", maxBuffer: 1 << 26 })) as Cohort[];
  console.log(`\n== secure aggregation server, our Python simulation: secagg.unmask + decode_average of real SecAgg+ frames, one process (one core) ==`);
  console.log("   devices written on cryptography/pycryptodome (fleet-server/tests/test_secagg.py's Fleet); their masking is not timed; 5% drop after sharing (their pairwise masks are rebuilt)");
  console.log("   devices  neighbours  t  dropped  values  round latency  updates/s/core");
  for (const r of rows) {
    console.log(`   ${String(r.devices).padStart(7)}  ${String(r.neighbours).padStart(10)}  ${String(r.threshold).padStart(2)}  ${String(r.dropped).padStart(7)}  ${String(r.dimension).padStart(6)}`
      + `  ${(r.seconds.toFixed(2) + " s").padStart(13)}  ${r.per_second.toFixed(0).padStart(14)}${r.measured ? "" : "  (extrapolated, not measured)"}`);
  }
  writeFileSync(join(out, "secagg-server.svg"), lineChart({
    title: "SecAgg+ server: round latency vs cohort size (unmask + decode, one core)",
    xLabel: "devices in the round", yLabel: "seconds", xLog: true, xTicks: rows.map((r) => r.devices),
    y: { min: 0, max: Math.ceil(Math.max(...rows.map((r) => r.seconds)) / 10) * 10 || 10, step: Math.max(1, Math.ceil(Math.max(...rows.map((r) => r.seconds)) / 50) * 5) },
    series: [
      { label: "measured", color: "#1f77b4", points: rows.filter((r) => r.measured).map((r) => [r.devices, r.seconds] as const) },
      { label: "extrapolated", color: "#ff7f0e", dashed: true, points: rows.filter((r, i) => !r.measured || rows[i + 1]?.measured === false).map((r) => [r.devices, r.seconds] as const) },
    ],
  }));
  console.log("   plot: build/bench/secagg-server.svg");
}

export async function run(): Promise<void> {
  console.log("bench federated: federated quality with DP, and server aggregation figures");
  if (!existsSync(join(root, "build", "bin", "edge-peft"))) return void console.log("  skipped: build/bin/edge-peft missing (run make)");
  quality();
  fleetSize(root, python, out);
  server();
  flowerSim(root, python);
}
