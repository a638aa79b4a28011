// bench/federated, Flower's Simulation Engine: the fleet's ServerApp (its SecAgg+ workflow) under
// `flwr run` on a simulation SuperLink (Ray backend), one virtual gateway SuperNode per cohort of
// ~100 virtual devices running the device protocol in Python, 10% dropping out at random stages;
// every cohort's unmasked sum is checked against the plain sum of its survivors' updates
// (fleet-server/flower_sim.py). Prints round latency and updates aggregated per second per core.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

interface SimRound { round: number; survivors: number; seconds: number; per_second_per_core: number; cohorts: Record<string, { devices: number; survivors?: number; left_out?: string }> }
interface Sim { devices: number; cohorts: number; neighbours: number; dropout: number; elements: number; cpus: number; rounds: SimRound[]; flwr_run_seconds: number; exact: boolean }

// 10,000 devices: measured once on this machine (~8.5 min, too long for the bench), docs/fleet.md.
export const REFERENCE_10K = "reference, measured once (not in this run): 100 cohorts, 8,109 survivors, round 465.8 s, 8.7 updates/s/core, sum exact (docs/fleet.md)";

export function flowerSim(root: string, python: string, sizes: number[] = [100, 1000]): void {
  console.log(`\n== Flower Simulation Engine: the ServerApp under flwr run, virtual gateways of virtual devices (fleet-server/flower_sim.py) ==`);
  console.log("   devices: the SecAgg+ device protocol in Python (cryptography, pycryptodome Shamir.split), every stage a Flower message per gateway; 10% drop out, each at a random stage");
  console.log("   latency: the ServerApp's four stages + unmask + FedAvg of one round (Ray and Flower start-up excluded, in the flwr run time beside); per core: survivors / latency / Ray's CPUs");
  console.log("   devices  cohorts  neighbours  survivors  round latency  updates/s/core  flwr run  sum");
  for (const n of sizes) {
    const cohorts = Math.max(2, Math.round(n / 100));
    let r: Sim;
    try {
      r = JSON.parse(execFileSync(python, [join(root, "fleet-server", "flower_sim.py"), "--devices", String(n), "--cohorts", String(cohorts), "--neighbours", "10",
        "--dropout", "0.1", "--json"], { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"] })) as Sim;
    } catch (e) {
      console.log(`   ${String(n).padStart(7)}  failed: ${String((e as { stderr?: string }).stderr ?? e).trim().split("\n").slice(-3).join(" | ")}`);
      continue;
    }
    const x = r.rounds[0]!;
    const left = Object.values(x.cohorts).filter((c) => c.left_out).length;
    console.log(`   ${String(n).padStart(7)}  ${String(r.cohorts).padStart(7)}  ${String(r.neighbours).padStart(10)}  ${String(x.survivors).padStart(9)}`
      + `  ${(x.seconds.toFixed(2) + " s").padStart(13)}  ${x.per_second_per_core.toFixed(1).padStart(14)}  ${(r.flwr_run_seconds.toFixed(0) + " s").padStart(8)}`
      + `  ${r.exact ? "exact" : "WRONG"}${left ? ` (${left} cohort(s) left out: dropouts past t)` : ""}`);
  }
  console.log(`   10,000 devices: ${REFERENCE_10K}`);
}
