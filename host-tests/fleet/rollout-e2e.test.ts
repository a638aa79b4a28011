// Issue 9's "done when": mosquitto and ten simulator devices (separate edge-peft-sim processes,
// each with its own flash file) in two cohorts. v2 rolls out to cohort 0 in stages and every
// device confirms it while cohort 1 runs another adapter (A/B); a forged v3 and a v3 for another
// base model are rejected by every device; a v4 that hurts accuracy is reverted by the canary's
// trial and the rollout aborts by itself; a download survives a broker restart.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeManifest } from "../../firmware/fleet/manifest.js";
import type { StatusReport } from "../../firmware/fleet/status-report.js";
import { cohortOf } from "../../firmware/fleet/cohorts.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import type { Bus } from "../../tools/fleet/bus.js";
import { connectBus } from "../../tools/fleet/mqtt-bus.js";
import { StatusWatch } from "../../tools/fleet/publisher.js";
import { readRegistry, type Registry } from "../../tools/fleet/registry.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import { Broker } from "../support/broker.js";
import { python, repoRoot } from "../support/paths.js";

const crypto = new NodeCrypto();
const cli = join(repoRoot, "tools", "edge-peft.js");
const sim = join(repoRoot, "build", "bin", "edge-peft-sim");
const demo = join(repoRoot, "data", "demo");
const model = join(demo, "digits_mlp_int8.tflite");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
const FLEET = "plant-3";
const topics = new FleetTopics(FLEET);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("fleet rollout end to end: mosquitto + 10 simulator devices", function () {
  this.timeout(300000);
  let dir: string;
  let broker: Broker;
  let bus: Bus;
  let registry: Registry;
  let watch: StatusWatch;
  let fleetPriv: Uint8Array;
  let fleetPub: Uint8Array;
  const devices: { id: string; cohort: number; proc?: ChildProcess; out: string }[] = [];
  const path = (f: string) => join(dir, f);

  const run = (args: string[], what: string) => {
    const r = spawnSync(args[0]!, args.slice(1), { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const train = (data: string, out: string, steps: number, m = model) =>
    run([join(repoRoot, "build", "bin", "edge-peft"), "train", m, "--data", data, "--adapter", SPEC, "--steps", String(steps), "--seed", "1", "--lr", "0.002", "--out", path(out)], `train ${out}`);
  const sign = (adapter: string, version: number, sequence: number, out: string, key = "fleet.key", m = model) =>
    run([process.execPath, cli, "delta", "sign", "--key", path(key), "--model", m, "--adapter", path(adapter), "--spec", SPEC,
      "--version", String(version), "--sequence", String(sequence), "--out", path(out)], `sign ${out}`);
  const fleet = (...args: string[]): Promise<{ status: number | null; stdout: string }> => new Promise((resolve) => {
    const p = spawn(process.execPath, [cli, "fleet", ...args, "--broker", broker.url, "--registry", path("devices.json")], { cwd: dir });
    let stdout = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stdout += d.toString()));
    p.on("exit", (status) => resolve({ status, stdout }));
  });
  /** Publishes a delta the way the operator tool does, but with a manifest for every device at once. */
  async function pushToAll(deltaFile: string, sequence: number, cohort: number, chunkBytes = 256, chunksFirst = true, skipChunk = -1): Promise<() => Promise<void>> {
    const delta = new Uint8Array(readFileSync(path(deltaFile)));
    const chunks = async () => {
      for (let i = 0; i * chunkBytes < delta.length; i++) {
        if (i !== skipChunk) await bus.publish(topics.chunk(sequence, i), delta.subarray(i * chunkBytes, (i + 1) * chunkBytes), true);
      }
    };
    if (chunksFirst) await chunks();
    const manifest = encodeManifest(crypto, { action: "rollout", cohort, sequence, deltaBytes: delta.length, chunkBytes, threshold: 10000, revision: 1,
      deltaSha256: new Uint8Array(createHash("sha256").update(delta).digest()) }, (d) => crypto.signP256(fleetPriv, d));
    await bus.publish(topics.manifest(cohort), manifest, true);
    return chunks;
  }
  const cohortIds = (c: number) => devices.filter((d) => d.cohort === c).map((d) => d.id);
  const until = async (what: string, done: (r: ReadonlyMap<string, StatusReport>) => boolean, ms = 60000) =>
    assert.ok(await watch.until(() => done(watch.reports), ms), `${what}; reports: ${JSON.stringify([...watch.reports.values()])}\n${devices.map((d) => `${d.id}: ${d.out}`).join("\n")}`);
  const report = (id: string) => watch.reports.get(id)!;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-e2e-"));
    broker = new Broker();
    await broker.start();
    run([process.execPath, cli, "delta", "keygen", "--out", path("fleet")], "keygen");
    run([process.execPath, cli, "delta", "keygen", "--out", path("rogue")], "keygen rogue");
    const { createPrivateKey } = await import("node:crypto");
    const fk = createPrivateKey(readFileSync(path("fleet.key")));
    fleetPriv = rawPrivate(fk);
    fleetPub = rawPublic(fk);
    // Adapters: v2 learns the user's shifted pad; v2b (cohort 1, the A/B arm) trains less; v4
    // learns from wrong labels (each label + 1), which costs held-out accuracy.
    train(join(demo, "user_pool.bin"), "v2.epad", 300);
    train(join(demo, "user_pool.bin"), "v2b.epad", 60);
    const pool = Buffer.from(readFileSync(join(demo, "user_pool.bin")));
    for (let at = 0; at < pool.length; at += 65) pool[at] = (pool[at]! + 1) % 10;
    writeFileSync(path("wrong_labels.bin"), pool);
    train(path("wrong_labels.bin"), "v4.epad", 300);
    // Another base model with the same shapes: the first layer's weights negated.
    run([python, join(repoRoot, "tools", "oracle", "modeledit.py"), model, "--negate-first-weights", "-o", path("other.tflite")], "modeledit");
    train(join(demo, "user_pool.bin"), "other.epad", 50, path("other.tflite"));
    sign("v2.epad", 2, 2, "v2.epdl");
    sign("v2b.epad", 2, 3, "v2b.epdl");
    sign("v2.epad", 3, 10, "v3-forged.epdl", "rogue.key");
    sign("other.epad", 3, 11, "v3-other.epdl", "fleet.key", path("other.tflite"));
    sign("v4.epad", 4, 12, "v4.epdl");
    // Ten devices, five per cohort (cohort = SHA-256 of the id, as the devices compute it).
    const board = JSON.parse(readFileSync(join(repoRoot, "boards", "sim.json"), "utf8"));
    // The fleet mode (deploy + crypto + MQTT modules) needs more than the esp32 slot heap: esp32s3 budgets.
    board.creation = JSON.parse(readFileSync(join(repoRoot, "boards", "esp32s3.json"), "utf8")).creation;
    writeFileSync(path("board.json"), JSON.stringify(board));
    const keys: { id: string; pub: string }[] = [];
    for (let i = 0; devices.length < 10; i++) {
      const id = `dev-${String(i).padStart(2, "0")}`;
      const cohort = cohortOf(crypto, id, 2);
      if (cohortIds(cohort).length >= 5) continue;
      const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const d = { id, cohort, out: "" };
      devices.push(d);
      keys.push({ id, pub: hex(rawPublic(k.publicKey)) });
      const p = spawn(sim, ["--realtime", "--board", path("board.json"), "--flash", path(`${id}.flash`), "--", join(repoRoot, "build", "js", "firmware", "targets", "sim.js"),
        "--fleet", demo, "--broker", `127.0.0.1:${broker.port}`, "--client-id", id, "--chunk-timeout", "1500", "--fleet-name", FLEET, "--cohorts", "2",
        "--provision", `${id}:${hex(fleetPub)}:${hex(rawPrivate(k.privateKey))}`], { cwd: repoRoot });
      p.stdout.on("data", (b: Buffer) => (d.out += b.toString()));
      p.stderr.on("data", (b: Buffer) => (d.out += b.toString()));
      Object.assign(d, { proc: p });
    }
    writeFileSync(path("devices.json"), JSON.stringify({ fleet: FLEET, cohorts: 2, devices: keys.map((k) => ({ id: k.id, publicKey: k.pub })) }));
    registry = readRegistry(path("devices.json"), crypto);
    bus = await connectBus(broker.url, "e2e-observer");
    watch = new StatusWatch(registry, crypto, () => {});
    await watch.start(bus);
    await until("every device says hello", (r) => devices.every((d) => r.get(d.id)?.event === "hello"));
  });

  after(async () => {
    for (const d of devices) d.proc?.kill("SIGTERM");
    await bus?.close();
    await broker?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it("v2 rolls out to cohort 0 in stages while cohort 1 takes v2b (A/B); every device confirms; status compares the arms", async () => {
    const [a, b] = await Promise.all([
      fleet("publish", "--key", path("fleet.key"), "--delta", path("v2.epdl"), "--cohort", "0", "--stages", "canary,25,50,100", "--chunk", "256", "--stage-timeout", "60"),
      fleet("publish", "--key", path("fleet.key"), "--delta", path("v2b.epdl"), "--cohort", "1", "--stages", "canary,100", "--chunk", "256", "--stage-timeout", "60"),
    ]);
    assert.equal(a.status, 0, a.stdout);
    assert.equal(b.status, 0, b.stdout);
    assert.match(a.stdout, /stage canary: 1 of 5 devices/);
    assert.match(a.stdout, /stage 100%: all 5 confirmed/);
    for (const id of cohortIds(0)) {
      const r = report(id);
      assert.deepEqual([r.event, r.activeSequence, r.activeVersion], ["confirmed", 2, 2], id);
      assert.ok(r.accuracyAfter > r.accuracyBefore + 1000, `${id}: v2 lifts held-out accuracy by > 10 points (${r.accuracyBefore} -> ${r.accuracyAfter})`);
    }
    for (const id of cohortIds(1)) assert.deepEqual([report(id).event, report(id).activeSequence], ["confirmed", 3], id);
    const s = await fleet("status", "--wait", "3");
    assert.match(s.stdout, /cohort\s+adapter\s+devices\s+trials measured\s+mean held-out accuracy/);
    assert.match(s.stdout, /\n0\s+v2\s+5\s+5\s+\d+\.\d\d%/);
    assert.match(s.stdout, /\n1\s+v2\s+5\s+5\s+\d+\.\d\d%/);
  });

  it("a forged v3 (signed by another key) and a v3 for another base model are rejected by every device", async () => {
    for (const c of [0, 1]) await pushToAll("v3-forged.epdl", 10, c);
    await until("every device rejects the forged delta", (r) => devices.every((d) => r.get(d.id)?.subjectSequence === 10 && r.get(d.id)?.event === "rejected"));
    for (const d of devices) assert.equal(report(d.id).code, "bad-signature", d.id);
    for (const c of [0, 1]) await pushToAll("v3-other.epdl", 11, c);
    await until("every device rejects the other model's delta", (r) => devices.every((d) => r.get(d.id)?.subjectSequence === 11 && r.get(d.id)?.event === "rejected"));
    for (const d of devices) {
      assert.equal(report(d.id).code, "other-model", d.id);
      assert.equal(report(d.id).activeSequence, d.cohort === 0 ? 2 : 3, `${d.id} keeps its adapter`);
    }
  });

  it("a v4 that hurts accuracy is reverted by the canary's trial and the rollout aborts by itself", async () => {
    const r = await fleet("publish", "--key", path("fleet.key"), "--delta", path("v4.epdl"), "--cohort", "0", "--chunk", "256", "--stage-timeout", "60");
    assert.equal(r.status, 3, r.stdout);
    assert.match(r.stdout, /ABORTED: dev-\d+ reverted its trial \(accuracy-drop: held-out accuracy \d+\.\d\d% -> \d+\.\d\d%\)/);
    const reverted = cohortIds(0).filter((id) => report(id).event === "reverted");
    assert.equal(reverted.length, 1, "only the canary tried it");
    const canary = report(reverted[0]!);
    assert.ok(canary.accuracyAfter < canary.accuracyBefore, "the trial measured the drop");
    for (const id of cohortIds(0)) assert.equal(report(id).activeSequence, 2, `${id} still runs v2`);
  });

  it("a missing chunk is asked for again, then the delta is rejected as chunk-missing; a replayed old manifest starts nothing", async () => {
    sign("v2.epad", 6, 14, "v6.epdl");
    await pushToAll("v6.epdl", 14, 0, 256, true, 1);
    await until("cohort 0 rejects the incomplete delta", (r) => cohortIds(0).every((id) => r.get(id)?.subjectSequence === 14 && r.get(id)?.event === "rejected"));
    for (const id of cohortIds(0)) assert.deepEqual([report(id).code, report(id).activeSequence], ["chunk-missing", 2], id);
    // The v2 manifest again, as a replaying broker or attacker would send it (its signature is
    // genuine): v2's sequence is not above the devices' counter, so nothing starts.
    const v2 = new Uint8Array(readFileSync(path("v2.epdl")));
    await bus.publish(topics.manifest(0), encodeManifest(crypto, { action: "rollout", cohort: 0, sequence: 2, deltaBytes: v2.length, chunkBytes: 256,
      threshold: 10000, revision: 99, deltaSha256: new Uint8Array(createHash("sha256").update(v2).digest()) }, (d) => crypto.signP256(fleetPriv, d)), true);
    // Then a good sequence 15: the devices are alive and take it (so the quiet above was a refusal, not a dead device).
    sign("v2.epad", 6, 15, "v6b.epdl");
    await new Promise((r) => setTimeout(r, 1500));
    for (const id of cohortIds(0)) assert.equal(report(id).subjectSequence, 14, `${id} ignored the replayed manifest`);
    await pushToAll("v6b.epdl", 15, 0);
    await until("cohort 0 confirms sequence 15", (r) => cohortIds(0).every((id) => r.get(id)?.event === "confirmed" && r.get(id)?.activeSequence === 15));
  });

  it("a download survives a broker restart: the devices reconnect, resubscribe and finish", async () => {
    sign("v2.epad", 5, 13, "v5.epdl");
    // The manifest goes out first and the chunks only after the restart: every device of cohort 1
    // is mid-download (waiting for chunk 0) when the broker goes away.
    const chunks = await pushToAll("v5.epdl", 13, 1, 128, false);
    await until("cohort 1 starts downloading", (r) => cohortIds(1).every((id) => r.get(id)?.event === "downloading" && r.get(id)?.subjectSequence === 13));
    await bus.close();
    await broker.stop();
    await new Promise((r) => setTimeout(r, 1000));
    await broker.start();
    bus = await connectBus(broker.url, "e2e-observer-2");
    watch = new StatusWatch(registry, crypto, () => {});
    await watch.start(bus);
    await chunks();
    await until("cohort 1 confirms after the restart", (r) => cohortIds(1).every((id) => r.get(id)?.event === "confirmed" && r.get(id)?.activeSequence === 13));
    for (const d of devices.filter((x) => x.cohort === 1)) assert.match(d.out, /mqtt: reconnected/, d.id);
  });
});
