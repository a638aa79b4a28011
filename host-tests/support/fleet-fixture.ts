// The fleet tests' common setup (flower-round, fleet-dropout): the fleet key, the round's initial
// global adapter, the simulator board with esp32s3 budgets, per-device provisioning keys, the
// server's registry, and the signed global-0 rolled out to every cohort. Each test still spawns
// its own devices (sizes, ids and flags differ) and makes its own checks.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import { repoRoot } from "./paths.js";

export const cli = join(repoRoot, "tools", "edge-peft.js");
export const native = join(repoRoot, "build", "bin", "edge-peft");
export const sim = join(repoRoot, "build", "bin", "edge-peft-sim");
export const demo = join(repoRoot, "data", "demo");
export const model = join(demo, "digits_mlp_int8.tflite");
export const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

export interface Provisioned {
  id: string;
  /** The device key's raw public point (hex), as the registry lists it. */
  publicKey: string;
  /** The simulator's --provision argument: id, fleet public key and device private key. */
  provision: string;
}

export class FleetFixture {
  readonly keys: { id: string; publicKey: string }[] = [];
  private fleetPubHex = "";

  constructor(readonly dir: string, readonly spec: string) {}

  path(f: string): string {
    return join(this.dir, f);
  }

  exec(args: string[], what: string): string {
    const r = spawnSync(args[0]!, args.slice(1), { cwd: this.dir, encoding: "utf8" });
    assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** fleet.key / fleet.pub, the initial adapter global-0.epad (the engine's seed 1, no steps) and board.json. */
  setUp(): void {
    this.exec([process.execPath, cli, "delta", "keygen", "--out", this.path("fleet")], "keygen");
    this.fleetPubHex = hex(rawPublic(createPublicKey(readFileSync(this.path("fleet.pub")))));
    this.exec([native, "train", model, "--data", join(demo, "user_pool.bin"), "--adapter", this.spec, "--steps", "0", "--seed", "1", "--lr", "0.002",
      "--out", this.path("global-0.epad")], "initial adapter");
    // The fleet mode needs more than the esp32 slot heap (as in rollout-e2e): esp32s3 budgets.
    const board = JSON.parse(readFileSync(join(repoRoot, "boards", "sim.json"), "utf8"));
    board.creation = JSON.parse(readFileSync(join(repoRoot, "boards", "esp32s3.json"), "utf8")).creation;
    writeFileSync(this.path("board.json"), JSON.stringify(board));
  }

  /** A new device key pair, listed for the registry. */
  provision(id: string): Provisioned {
    const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const publicKey = hex(rawPublic(k.publicKey));
    this.keys.push({ id, publicKey });
    return { id, publicKey, provision: `${id}:${this.fleetPubHex}:${hex(rawPrivate(k.privateKey))}` };
  }

  writeRegistry(fleet: string, cohorts: number): void {
    writeFileSync(this.path("devices.json"), JSON.stringify({ fleet, cohorts, devices: this.keys }));
  }

  /** global-0 signed as version 1 / sequence 1 and rolled out to every cohort in parallel (a
   *  device refuses a round that starts from another adapter); each rollout must exit 0. */
  async rollOutGlobal0(brokerUrl: string, cohorts: number, stageTimeout: number): Promise<void> {
    this.exec([process.execPath, cli, "delta", "sign", "--key", this.path("fleet.key"), "--model", model, "--adapter", this.path("global-0.epad"), "--spec", this.spec,
      "--version", "1", "--sequence", "1", "--out", this.path("global-0.epdl")], "sign global-0");
    const rollouts = await Promise.all([...Array(cohorts).keys()].map((c) => new Promise<{ status: number | null; out: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, "fleet", "publish", "--key", this.path("fleet.key"), "--delta", this.path("global-0.epdl"), "--cohort", String(c), "--stages", "100",
        "--stage-timeout", String(stageTimeout), "--broker", brokerUrl, "--registry", this.path("devices.json")], { cwd: this.dir });
      let out = "";
      p.stdout.on("data", (b: Buffer) => (out += b.toString()));
      p.stderr.on("data", (b: Buffer) => (out += b.toString()));
      p.on("exit", (status) => resolve({ status, out }));
    })));
    for (const r of rollouts) assert.equal(r.status, 0, r.out);
  }
}
