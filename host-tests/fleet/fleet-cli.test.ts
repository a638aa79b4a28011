// `edge-peft fleet publish|status|abort` against a real mosquitto. The devices here are scripted
// (signed EPST reports from test code) to drive the operator tool through every branch; the
// simulator devices' end-to-end rollout is host-tests/fleet/rollout-e2e.test.ts.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeManifest, type Manifest } from "../../firmware/fleet/manifest.js";
import { encodeStatus, type StatusEvent } from "../../firmware/fleet/status-report.js";
import { bucketOf, cohortOf } from "../../firmware/fleet/cohorts.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { connectBus } from "../../tools/fleet/mqtt-bus.js";
import type { Bus } from "../../tools/fleet/bus.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import { Broker } from "../support/broker.js";
import { repoRoot } from "../support/paths.js";

const crypto = new NodeCrypto();
const cli = join(repoRoot, "tools", "edge-peft.js");
const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
const SPEC = "bias:layers=0..-1";

interface Scripted { id: string; priv: Uint8Array; pub: Uint8Array; cohort: number; bucket: number }

describe("edge-peft fleet (operator CLI over mosquitto)", function () {
  this.timeout(120000);
  let dir: string;
  let broker: Broker;
  let bus: Bus;
  let devices: Scripted[];
  const topics = new FleetTopics("plant-3");

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-fleet-"));
    broker = new Broker();
    await broker.start();
    bus = await connectBus(broker.url, "scripted-devices");
    assert.equal(spawnSync(process.execPath, [cli, "delta", "keygen", "--out", join(dir, "fleet")]).status, 0);
    const t = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["train", model, "--data", join(repoRoot, "data", "demo", "user_pool.bin"),
      "--adapter", SPEC, "--steps", "5", "--seed", "1", "--out", join(dir, "a.epad")], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    for (const seq of [2, 4]) {
      const s = spawnSync(process.execPath, [cli, "delta", "sign", "--key", join(dir, "fleet.key"), "--model", model, "--adapter", join(dir, "a.epad"),
        "--spec", SPEC, "--version", String(seq), "--sequence", String(seq), "--out", join(dir, `v${seq}.epdl`)], { encoding: "utf8" });
      assert.equal(s.status, 0, s.stderr);
    }
    devices = [];
    for (let i = 0; devices.filter((d) => d.cohort === 0).length < 4; i++) {
      const k = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const id = `dev-${String(i).padStart(2, "0")}`;
      devices.push({ id, priv: rawPrivate(k.privateKey), pub: rawPublic(k.publicKey), cohort: cohortOf(crypto, id, 2), bucket: bucketOf(crypto, id) });
    }
    writeFileSync(join(dir, "devices.json"), JSON.stringify({ fleet: "plant-3", cohorts: 2, devices: devices.map((d) => ({ id: d.id, publicKey: Buffer.from(d.pub).toString("hex") })) }));
  });
  after(async () => {
    await bus.close();
    await broker.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const report = (bus: Bus, d: Scripted, event: StatusEvent, subject: number, active: number, code = "", before = -1, after = -1) =>
    bus.publish(topics.status(d.id), encodeStatus(crypto, { deviceId: d.id, event, activeSequence: active, activeVersion: active, subjectSequence: subject,
      accuracyBefore: before, accuracyAfter: after, counter: 1, code }, (g) => crypto.signP256(d.priv, g)), true);

  /** Scripted devices of cohort 0: on each manifest, those in the rollout fetch every chunk and answer via `answer`. */
  /** Each test follows on a connection of its own (closed by the test), so no earlier script answers. */
  async function followCohort0(sequence: number, answer: (d: Scripted, m: Manifest, delta: Uint8Array) => Promise<void>): Promise<{ manifests: Manifest[]; fetched: Map<string, Uint8Array>; bus: Bus }> {
    const bus = await connectBus(broker.url, `scripted-${Date.now()}`);
    const manifests: Manifest[] = [];
    const fetched = new Map<string, Uint8Array>();
    const fleetPub = new Uint8Array(Buffer.from(spawnSync("openssl", ["pkey", "-pubin", "-in", join(dir, "fleet.pub"), "-outform", "DER"]).stdout).subarray(-65));
    const whole = new Map<number, Promise<Uint8Array>>();
    /** Every chunk of a sequence, gathered once (one subscription per sequence). */
    const gather = (m: Manifest) => {
      let p = whole.get(m.sequence);
      if (!p) {
        p = new Promise<Uint8Array>((resolve) => {
          const chunks: Uint8Array[] = [];
          let got = 0;
          const n = Math.ceil(m.deltaBytes / m.chunkBytes);
          void bus.subscribe(topics.chunks(m.sequence), (topic, bytes) => {
            const i = topics.chunkIndex(m.sequence, topic);
            if (i < 0 || chunks[i]) return;
            chunks[i] = bytes;
            if (++got === n) resolve(new Uint8Array(Buffer.concat(chunks)));
          });
        });
        whole.set(m.sequence, p);
      }
      return p;
    };
    await bus.subscribe(topics.manifest(0), (_t, payload) => {
      if (payload.length === 0) return;
      const m = decodeManifest(crypto, payload, fleetPub);
      manifests.push(m);
      if (m.action !== "rollout" || m.sequence !== sequence) return;
      void gather(m).then((delta) => {
        for (const d of devices.filter((x) => x.cohort === 0 && x.bucket < m.threshold && !fetched.has(`${x.id}/${m.sequence}`))) {
          fetched.set(`${d.id}/${m.sequence}`, delta);
          void answer(d, m, delta);
        }
      });
    });
    return { manifests, fetched, bus };
  }

  function fleet(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [cli, "fleet", ...args, "--broker", broker.url, "--registry", join(dir, "devices.json")], { cwd: dir });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      p.on("exit", (status) => resolve({ status, stdout, stderr }));
    });
  }

  it("rolls sequence 2 out in stages: canary first, every chunk byte-equal to the signed delta, complete when all confirm", async () => {
    const seen = await followCohort0(2, (d, m) => report(seen.bus, d, "confirmed", m.sequence, m.sequence, "", 4100, 8000));
    const r = await fleet("publish", "--key", join(dir, "fleet.key"), "--delta", join(dir, "v2.epdl"), "--cohort", "0", "--stages", "canary,50,100", "--chunk", "256", "--stage-timeout", "20");
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const delta = new Uint8Array(readFileSync(join(dir, "v2.epdl")));
    const cohort0 = devices.filter((d) => d.cohort === 0).sort((a, b) => a.bucket - b.bucket);
    assert.match(r.stdout, new RegExp(`stage canary: 1 of ${cohort0.length} devices \\(bucket < ${cohort0[0]!.bucket + 1}\\)`));
    assert.match(r.stdout, /rollout of sequence 2 to cohort 0: complete/);
    const rollouts = seen.manifests.filter((m) => m.sequence === 2 && m.action === "rollout");
    assert.deepEqual(rollouts.map((m) => m.threshold), [cohort0[0]!.bucket + 1, 5000, 10000]);
    assert.deepEqual(rollouts.map((m) => m.revision), [1, 2, 3]);
    assert.deepEqual(Buffer.from(rollouts[0]!.deltaSha256), createHash("sha256").update(delta).digest());
    for (const d of cohort0) assert.deepEqual(seen.fetched.get(`${d.id}/2`), delta, d.id);
    for (const d of devices.filter((x) => x.cohort !== 0)) assert.equal(seen.fetched.has(`${d.id}/2`), false, "other cohort untouched");
    const s = await fleet("status", "--wait", "2");
    assert.equal(s.status, 0, s.stderr);
    for (const d of cohort0) assert.match(s.stdout, new RegExp(`${d.id}\\s+0\\s+${d.bucket}\\s+2\\s+v2\\s+confirmed\\s+2\\s+41\\.00%\\s+80\\.00%`));
    assert.match(s.stdout, new RegExp(`0\\s+v2\\s+${cohort0.length}\\s+${cohort0.length}\\s+80\\.00%`));
    await seen.bus.close();
  });

  it("aborts by itself when the canary's trial regresses, and publishes a signed abort", async () => {
    const seen = await followCohort0(4, (d, m) => report(seen.bus, d, "reverted", m.sequence, 2, "accuracy-drop", 8000, 3000));
    const r = await fleet("publish", "--key", join(dir, "fleet.key"), "--delta", join(dir, "v4.epdl"), "--cohort", "0", "--chunk", "256", "--stage-timeout", "20");
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /ABORTED: dev-\d+ reverted its trial \(accuracy-drop: held-out accuracy 80\.00% -> 30\.00%\)/);
    const v4 = seen.manifests.filter((m) => m.sequence === 4);
    assert.deepEqual(v4.map((m) => m.action), ["rollout", "abort"], "stopped at the canary");
    assert.equal(seen.fetched.size, 1, "only the canary fetched v4");
    const again = await fleet("abort", "--key", join(dir, "fleet.key"), "--cohort", "0");
    assert.match(again.stdout, /already aborted/);
    await seen.bus.close();
  });

  it("refuses a delta signed by another key, an unknown cohort, and an unreachable broker, each by name", async () => {
    assert.equal(spawnSync(process.execPath, [cli, "delta", "keygen", "--out", join(dir, "rogue")]).status, 0);
    const rogue = await fleet("publish", "--key", join(dir, "rogue.key"), "--delta", join(dir, "v2.epdl"), "--cohort", "0");
    assert.equal(rogue.status, 1);
    assert.match(rogue.stderr, /v2\.epdl: not signed by .*rogue\.key/);
    const cohort = await fleet("publish", "--key", join(dir, "fleet.key"), "--delta", join(dir, "v2.epdl"), "--cohort", "7");
    assert.match(cohort.stderr, /--cohort 7: the registry has cohorts 0\.\.1/);
    const p = spawnSync(process.execPath, [cli, "fleet", "status", "--broker", "mqtt://127.0.0.1:1", "--registry", join(dir, "devices.json")], { encoding: "utf8" });
    assert.equal(p.status, 1);
    assert.match(p.stderr, /MQTT broker mqtt:\/\/127\.0\.0\.1:1 unreachable/);
  });
});
