// npm run demo:fleet: a federated run on one machine. mosquitto, a Flower SuperLink, one gateway
// SuperNode per cohort, and simulator devices (the TypeScript agent, SecAgg+ and the noise
// sampler on XS, the C engine, each with its own flash) on loopback; the ServerApp runs R rounds
// with distributed DP, rolling each new global adapter out as a signed delta. Prints a table of
// the global adapter's held-out accuracy and epsilon per round.
//   node build/js/tools/demo-fleet.js [--devices N] [--rounds R] [--epsilon E] [--keep]
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, createPublicKey } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cohortOf } from "../firmware/fleet/cohorts.js";
import { NodeCrypto } from "../firmware/platform/node/node-crypto.js";
import { rawPrivate, rawPublic } from "./delta/keys.js";
import { root } from "./demo/run.js";
import { Broker } from "./fleet/local-broker.js";
import { Flower } from "./fleet/local-flower.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a number > 0`);
  return v;
};
const DEVICES = option("devices", 10);
const ROUNDS = option("rounds", 3);
const EPSILON = option("epsilon", 8);
const COHORTS = 2;
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
const CLIP = 0.17;
const CLIP_STEPS = 2 ** 17;
const FLEET = "demo-fleet";
const demo = join(root, "data", "demo");
const model = join(demo, "digits_mlp_int8.tflite");
const cli = join(root, "tools", "edge-peft.js");
const native = join(root, "build", "bin", "edge-peft");
const dir = join(root, "build", "demo", "fleet");
const path = (f: string) => join(dir, f);
const phase = (s: string) => console.log(`== ${s}`);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function exec(cmd: string[]): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}
const accuracy = (adapter: string) => (JSON.parse(exec([native, "eval", model, "--data", join(demo, "user_test.bin"), "--adapter", adapter, "--json"])) as { accuracy: number }).accuracy;

async function main(): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const crypto = new NodeCrypto();
  const broker = new Broker();
  const flower = new Flower(path("flwr"));
  const procs: ChildProcess[] = [];
  try {
    phase(`broker, Flower SuperLink and ${COHORTS} gateway SuperNodes on loopback`);
    await broker.start();
    await flower.startSuperLink();
    for (let c = 0; c < COHORTS; c++) await flower.startSuperNode(`gateway-${c}`, `cohort=${c} fleet="${FLEET}" broker="127.0.0.1:${broker.port}"`);
    exec([process.execPath, cli, "delta", "keygen", "--out", path("fleet")]);
    const fleetPub = hex(rawPublic(createPublicKey(readFileSync(path("fleet.pub")))));
    exec([native, "train", model, "--data", join(demo, "user_pool.bin"), "--adapter", SPEC, "--steps", "0", "--seed", "1", "--lr", "0.002", "--out", path("global-0.epad")]);
    phase(`${DEVICES} simulator devices, each with its own share of the new user's samples (data/demo/user_pool.bin)`);
    const pool = readFileSync(join(demo, "user_pool.bin"));
    const per = Math.floor(pool.length / 65 / DEVICES);
    const board = JSON.parse(readFileSync(join(root, "boards", "sim.json"), "utf8"));
    // The fleet mode with rounds needs more than the esp32 slot heap (docs/fleet.md): esp32s3 budgets.
    board.creation = JSON.parse(readFileSync(join(root, "boards", "esp32s3.json"), "utf8")).creation;
    writeFileSync(path("board.json"), JSON.stringify(board));
    const registry: { id: string; publicKey: string }[] = [];
    const outs: string[] = [];
    for (let i = 0; registry.length < DEVICES; i++) {
      const id = `device-${String(i).padStart(2, "0")}`;
      const cohort = cohortOf(crypto, id, COHORTS);
      if (registry.filter((d) => cohortOf(crypto, d.id, COHORTS) === cohort).length >= Math.ceil(DEVICES / COHORTS)) continue;
      const n = registry.length;
      writeFileSync(path(`${id}.bin`), pool.subarray(n * per * 65, (n + 1) * per * 65));
      const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
      registry.push({ id, publicKey: hex(rawPublic(k.publicKey)) });
      const p = spawn(join(root, "build", "bin", "edge-peft-sim"), ["--realtime", "--board", path("board.json"), "--flash", path(`${id}.flash`), "--",
        join(root, "build", "js", "firmware", "targets", "sim.js"), "--fleet", demo, "--rounds", "--train-data", path(`${id}.bin`), "--broker", `127.0.0.1:${broker.port}`,
        "--client-id", id, "--fleet-name", FLEET, "--cohorts", String(COHORTS), "--provision", `${id}:${fleetPub}:${hex(rawPrivate(k.privateKey))}`], { cwd: root });
      outs.push("");
      p.stdout.on("data", (b: Buffer) => (outs[n] += b.toString()));
      p.stderr.on("data", (b: Buffer) => (outs[n] += b.toString()));
      procs.push(p);
    }
    writeFileSync(path("devices.json"), JSON.stringify({ fleet: FLEET, cohorts: COHORTS, devices: registry }));
    for (let i = 0; i < 600 && !outs.every((o) => o.includes("listening in cohort")); i++) await new Promise((r) => setTimeout(r, 100));
    if (!outs.every((o) => o.includes("listening in cohort"))) throw new Error(`a device did not start:\n${outs.join("\n")}`);
    phase("the round-0 global adapter rolled out as a signed delta");
    exec([process.execPath, cli, "delta", "sign", "--key", path("fleet.key"), "--model", model, "--adapter", path("global-0.epad"), "--spec", SPEC,
      "--version", "1", "--sequence", "1", "--out", path("global-0.epdl")]);
    for (let c = 0; c < COHORTS; c++) {
      exec([process.execPath, cli, "fleet", "publish", "--key", path("fleet.key"), "--delta", path("global-0.epdl"), "--cohort", String(c), "--stages", "100",
        "--stage-timeout", "60", "--broker", broker.url, "--registry", path("devices.json")]);
    }
    phase(`flwr run: ${ROUNDS} rounds, SecAgg+ on the devices, distributed discrete Gaussian noise for epsilon ${EPSILON} at delta 1e-5 over the run`);
    const run = await flower.run(join(root, "fleet-server"), {
      registry: path("devices.json"), "fleet-key": path("fleet.key"), adapter: path("global-0.epad"), out: path("rounds"), "first-round": 1, rounds: ROUNDS,
      clip: CLIP, step: CLIP / CLIP_STEPS, "sample-cap": per, "max-devices": 1000, neighbours: 4, threshold: 0, "local-steps": 0, "stage-deadline": 20, "min-devices": 3,
      broker: `127.0.0.1:${broker.port}`, repo: root, model, spec: SPEC, publish: "rollout", version: 2, sequence: 2, "dp-epsilon": EPSILON, "dp-delta": 1e-5,
    }, 900000);
    for (const l of run.out.split("\n")) if (l.startsWith("fleet-server: ") && !/stage \d:/.test(l)) console.log(`   ${l.slice(14)}`);
    if (run.status !== 0 || !run.out.includes("fleet-server: done")) throw new Error(`the Flower run failed:\n${run.out}`);
    const rows: string[][] = [["round", "held-out accuracy", "epsilon (PLD)", "epsilon (RDP)", "survivors"]];
    rows.push(["0", `${(100 * accuracy(path("global-0.epad"))).toFixed(1)}%`, "0", "0", "-"]);
    for (let r = 1; r <= ROUNDS; r++) {
      const rep = JSON.parse(readFileSync(path(`rounds/round-${r}.json`), "utf8")) as { cohorts: Record<string, { survivors: string[] }>; privacy: { "epsilon-pld": number; "epsilon-rdp": number } };
      rows.push([String(r), `${(100 * accuracy(path(`rounds/global-${r}.epad`))).toFixed(1)}%`, rep.privacy["epsilon-pld"].toFixed(3), rep.privacy["epsilon-rdp"].toFixed(3),
        String(Object.values(rep.cohorts).reduce((s, c) => s + c.survivors.length, 0))]);
    }
    phase(`the global adapter on the new user's held-out samples (data/demo/user_test.bin, 240), ${DEVICES} devices in ${COHORTS} cohorts`);
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) console.log(`   ${r.map((c, i) => c.padStart(widths[i]!)).join("  ")}`);
  } finally {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await flower.stop();
    await broker.remove();
    if (!args.includes("--keep")) rmSync(path("flwr"), { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
