// Federated rounds end to end (issue 10, item 2): mosquitto, a Flower SuperLink, one gateway
// SuperNode per cohort (2 cohorts), eight simulator devices as separate processes (TypeScript
// round agent and SecAgg+ on XS, C engine, mbedTLS, each with its own flash), and the ServerApp
// run by `flwr run` twice: round 1 with everyone, its global adapter rolled out; round 2 from
// it with one device killed after sharing. The oracle for the aggregate is independent of the
// whole path: each device's update is trained again here by the native CLI (`edge-peft train
// --init`), clipped and weighted here, and averaged here; the server's sums must equal the
// devices' encoded updates exactly and its average the plain weighted average within the
// stochastic rounding.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cohortOf } from "../../firmware/fleet/cohorts.js";
import { encodeRoundRequest, Stage } from "../../firmware/fleet/round-frames.js";
import { sealFrame } from "../../firmware/fleet/secagg-frames.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import type { Bus } from "../../tools/fleet/bus.js";
import { connectBus } from "../../tools/fleet/mqtt-bus.js";
import { Broker } from "../support/broker.js";
import { FleetFixture, demo, model, native, sim } from "../support/fleet-fixture.js";
import { Flower } from "../support/flower.js";
import { repoRoot } from "../support/paths.js";

const crypto = new NodeCrypto();
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
const FLEET = "plant-7";
const CLIP = 0.17;
const STEP = 2 ** -20;
const CAP = 64;
const RECORD = 65; // SAMPLES.bin: label + 64 int8 inputs

/** EPAD v3 elements in file order with their element bytes and units, read here from docs/formats.md (not with the code under test). */
function epad(image: Buffer): { values: number[]; bytes: number[]; units: number[] } {
  const out = { values: [] as number[], bytes: [] as number[], units: [] as number[] };
  let at = 76;
  for (let r = 0; r < image.readUInt16LE(30); r++) {
    const elem = image[at + 2]!;
    const n = image.readUInt16LE(at + 4) * image.readUInt16LE(at + 6);
    const unit = image.readDoubleLE(at + 12);
    for (let i = 0; i < n; i++) {
      out.values.push(elem === 1 ? image.readInt8(at + 20 + i) : elem === 2 ? image.readInt16LE(at + 20 + 2 * i) : image.readInt32LE(at + 20 + 4 * i));
      out.bytes.push(elem);
      out.units.push(unit);
    }
    at += 20 + Math.ceil((n * elem) / 4) * 4;
  }
  assert.equal(at, image.length - 4, "EPAD records end at the CRC");
  return out;
}
const epadElements = (image: Buffer) => epad(image).values;
/** Round half to even. */
function halfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : f % 2 === 0 ? f : f + 1;
}

interface Device {
  id: string;
  cohort: number;
  samples: number;
  proc?: ChildProcess;
  out: string;
}

describe("Flower rounds: SuperLink + 2 gateway SuperNodes + 8 simulator devices over mosquitto", function () {
  this.timeout(240000);
  let dir: string;
  let broker: Broker;
  let flower: Flower;
  let spy: Bus;
  const seen: { topic: string; payload: Buffer }[] = [];
  const devices: Device[] = [];
  let run: { status: number | null; out: string };
  let run2: { status: number | null; out: string };
  let victim: Device;
  let attack: { target: string; forged: string };
  let fixture: FleetFixture;
  const path = (f: string) => join(dir, f);
  const exec = (args: string[], what: string) => {
    const r = spawnSync(args[0]!, args.slice(1), { cwd: dir, encoding: "utf8" });
    assert.equal(r.status, 0, `${what}: ${r.stdout}${r.stderr}`);
    return r.stdout;
  };
  const uploadOf = (d: Device, round = 1): Uint32Array => {
    const m = new RegExp(`round ${round}: upload ([0-9a-f]+)`).exec(d.out);
    assert.ok(m, `${d.id} logged its upload: ${d.out}`);
    const b = Buffer.from(m[1]!, "hex");
    return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "ep-flower-"));
    broker = new Broker();
    await broker.start();
    spy = await connectBus(broker.url, "spy");
    // The spy also plays the dropout of round 2: the victim is killed once its three share frames
    // of round 2 (one per neighbour) are on the broker, so it has shared but never masks (the server must rebuild its
    // mask key from the survivors' shares).
    let victimShares = 0;
    await spy.subscribe("#", (topic, payload) => {
      seen.push({ topic, payload: Buffer.from(payload) });
      if (victim && topic.endsWith(`/reply/${victim.id}`) && payload[6] === 2 && Buffer.from(payload).readUInt32LE(8) === 2 && ++victimShares === 3) victim.proc?.kill("SIGKILL");
    });
    fixture = new FleetFixture(dir, SPEC);
    // The global adapter of round 1: the session's initial adapter (no steps), as every device starts.
    fixture.setUp();
    // Eight devices, four per cohort (every device neighbours the other three, t = 2, so one may drop), each with its own slice of the user's pool and its own size
    // (so FedAvg's weights differ).
    const pool = readFileSync(join(demo, "user_pool.bin"));
    const sizes = [20, 36, 28, 40, 24, 32, 30, 26];
    let offset = 0;
    for (let i = 0; devices.length < 8; i++) {
      const id = `node-${String(i).padStart(2, "0")}`;
      const cohort = cohortOf(crypto, id, 2);
      if (devices.filter((d) => d.cohort === cohort).length >= 4) continue;
      const samples = sizes[devices.length]!;
      writeFileSync(path(`${id}.bin`), pool.subarray(offset * RECORD, (offset + samples) * RECORD));
      offset += samples;
      const { provision } = fixture.provision(id);
      const d: Device = { id, cohort, samples, out: "" };
      devices.push(d);
      d.proc = spawn(sim, ["--realtime", "--board", path("board.json"), "--flash", path(`${id}.flash`), "--", join(repoRoot, "build", "js", "firmware", "targets", "sim.js"),
        "--fleet", demo, "--rounds", "--train-data", path(`${id}.bin`), "--log-upload", "--exit-after-round", "2", "--broker", `127.0.0.1:${broker.port}`, "--client-id", id,
        "--fleet-name", FLEET, "--cohorts", "2", "--provision", provision], { cwd: repoRoot });
      d.proc.stdout!.on("data", (b: Buffer) => (d.out += b.toString()));
      d.proc.stderr!.on("data", (b: Buffer) => (d.out += b.toString()));
    }
    fixture.writeRegistry(FLEET, 2);
    flower = new Flower(path("flwr"));
    await flower.startSuperLink();
    for (const c of [0, 1]) await flower.startSuperNode(`gateway-${c}`, `cohort=${c} fleet="${FLEET}" broker="127.0.0.1:${broker.port}"`);
    for (let i = 0; i < 300 && !devices.every((d) => d.out.includes("listening in cohort")); i++) await new Promise((r) => setTimeout(r, 100));
    for (const d of devices) assert.match(d.out, /round: \S+ listening in cohort/, `${d.id} started: ${d.out}`);
    // The round's global adapter reaches the devices the way every adapter does: a signed delta
    // rolled out per cohort (a device refuses a round that starts from another adapter).
    await fixture.rollOutGlobal0(broker.url, 2, 60);
    const config = {
      registry: path("devices.json"), "fleet-key": path("fleet.key"), clip: CLIP, step: STEP, "sample-cap": CAP, "max-devices": 1000, neighbours: 4,
      threshold: 0, "local-steps": 0, "stage-deadline": 8, "min-devices": 3, broker: `127.0.0.1:${broker.port}`, repo: repoRoot, model, spec: SPEC,
    };
    // Round 1: every device; the new global adapter rolled out to both cohorts.
    run = await flower.run(join(repoRoot, "fleet-server"), { ...config, adapter: path("global-0.epad"), out: path("rounds"), "first-round": 1, rounds: 1,
      publish: "rollout", version: 2, sequence: 2 }, 120000);
    assert.equal(run.status, 0, `flwr run (round 1): ${run.out}\n${flower.output("superlink")}\n${devices.map((d) => `${d.id}: ${d.out}`).join("\n")}`);
    assert.match(run.out, /fleet-server: done/, `flwr run (round 1): ${run.out}`); // flwr run exits 0 when the ServerApp raises
    // An attacker on the broker, between the rounds: a setup request signed by another key, and
    // a genuine one (fleet key) for an adapter the device does not run, to one device; and a
    // retained key frame for round 2 under another device's reply topic, signed by a stranger's
    // key, which reaches that cohort's gateway before any real frame.
    const rogue = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const fleetPriv = rawPrivate(createPrivateKey(readFileSync(path("fleet.key"))));
    const topics = new FleetTopics(FLEET);
    const [target, forged] = [devices.find((d) => d.cohort === 0)!, devices.filter((d) => d.cohort === 0)[1]!];
    const setup = Buffer.alloc(8 + 8 + 16 + 1 + 32 + 1 + 1 + 1 + 6 + 65);
    setup.writeDoubleLE(CLIP, 0);
    setup.writeDoubleLE(STEP, 8);
    setup.writeUInt32LE(CAP, 16);
    setup.writeUInt32LE(1000, 20);
    setup.writeUInt32LE(epadElements(readFileSync(path("global-0.epad"))).length, 28);
    setup[32] = 2;
    setup.fill(0xab, 33, 65); // the SHA-256 of no adapter any device runs
    setup[65] = 0; // no noise
    setup[66] = 1;
    setup[67] = 6;
    setup.write(forged.id, 68, "latin1");
    Buffer.from(rawPublic(rogue.publicKey)).copy(setup, 74);
    const request = (round: number, sign: (d: Uint8Array) => Uint8Array) =>
      encodeRoundRequest(crypto, { stage: Stage.setup, round, cohort: 0, deviceId: target.id, body: setup }, sign);
    await spy.publish(topics.roundTo(0, target.id), request(5, (d) => crypto.signP256(rawPrivate(rogue.privateKey), d)), false);
    await spy.publish(topics.roundTo(0, target.id), request(6, (d) => crypto.signP256(fleetPriv, d)), false);
    await spy.publish(topics.roundReply(0, forged.id), sealFrame(crypto, "keys", 2, forged.id, new Uint8Array(162).fill(4),
      (d) => crypto.signP256(rawPrivate(rogue.privateKey), d)), true);
    for (let i = 0; i < 100 && !/round 6: refused/.test(target.out); i++) await new Promise((r) => setTimeout(r, 50));
    // Round 2, from the global adapter the devices now run: one device of cohort 1 drops out after sharing.
    victim = devices.find((d) => d.cohort === 1)!;
    run2 = await flower.run(join(repoRoot, "fleet-server"), { ...config, adapter: path("rounds/global-1.epad"), out: path("rounds"), "first-round": 2, rounds: 1,
      publish: "sign", version: 3, sequence: 3 }, 120000);
    attack = { target: target.id, forged: forged.id };
    await spy.publish(topics.roundReply(0, forged.id), new Uint8Array(0), true); // the retained forgery removed
    assert.equal(run2.status, 0, `flwr run (round 2): ${run2.out}\n${devices.map((d) => `${d.id}: ${d.out}`).join("\n")}`);
    assert.match(run2.out, /fleet-server: done/, `flwr run (round 2): ${run2.out}`);
  });

  after(async () => {
    // A figure, not a check: the devices' XS memory peaks over provisioning, two rollouts and two
    // rounds (the simulator prints them at exit, --exit-after-round 2); chunks less the key names
    // of parsed code, which a board keeps in flash (docs/simulator.md).
    const peaks = devices.map((d) => /xs-memory: chunks-peak=(\d+) slots-peak=(\d+).* load-key-chunks=(\d+).*chunks-limit=(\d+) slots-limit=(\d+)/.exec(d.out))
      .filter((m) => m !== null);
    if (peaks.length > 0) {
      const max = (f: (m: RegExpExecArray) => number) => Math.max(...peaks.map(f));
      console.log(`      device XS peaks (${peaks.length} devices, app usage): chunks ${max((m) => Number(m[1]) - Number(m[3]))} of ${peaks[0]![4]} bytes, ` +
        `slots ${max((m) => Number(m[2]))} of ${peaks[0]![5]} (esp32s3 budgets)`);
    }
    for (const d of devices) d.proc?.kill("SIGTERM");
    await flower?.stop();
    await spy?.close();
    await broker?.remove();
    if (!process.env["KEEP"]) rmSync(dir, { recursive: true, force: true });
    else {
      for (const d of devices) writeFileSync(path(`${d.id}.log`), d.out);
      writeFileSync(path("flwr-run.log"), (run?.out ?? "") + (run2?.out ?? ""));
      console.log("kept", dir);
    }
  });

  /** Round `round` from `globalFile`: the server's report against the test's own average of the survivors' updates. */
  function checkRound(round: number, globalFile: string, survivors: Device[], dropped: Device[]): void {
    const report = JSON.parse(readFileSync(path(`rounds/round-${round}.json`), "utf8")) as {
      cohorts: Record<string, { survivors: string[]; dropped: string[]; sum: number[] }>; weight: number; average: number[];
    };
    const g0 = epad(readFileSync(path(globalFile)));
    const global = g0.values;
    const n = global.length;
    const weight = survivors.reduce((s, d) => s + Math.min(d.samples, CAP), 0);
    assert.equal(report.weight, weight);
    const weighted = new Array<number>(n).fill(0);
    let clipped = 0;
    for (const d of survivors) {
      // The device's update, trained again by the native CLI from the same global adapter on the
      // same samples in the same order (one pass), then taken to real units, clipped and weighted here.
      exec([native, "train", model, "--data", path(`${d.id}.bin`), "--adapter", SPEC, "--steps", String(d.samples), "--seed", "1", "--lr", "0.002",
        "--init", path(globalFile), "--out", path(`${d.id}-trained-${round}.epad`)], `train ${d.id}`);
      const u = epadElements(readFileSync(path(`${d.id}-trained-${round}.epad`))).map((v, i) => (v - global[i]!) * g0.units[i]!);
      const w = Math.min(d.samples, CAP);
      // Weighted first (w / cap), then clipped: the DP order (docs/fleet.md).
      const norm = (Math.sqrt(u.reduce((s, v) => s + v * v, 0)) * w) / CAP;
      assert.ok(norm > 0, `${d.id} learned something`);
      const c = Math.min(1, CLIP / norm);
      if (c < 1) clipped++;
      const up = uploadOf(d, round);
      assert.equal(up.length, n + 1);
      assert.equal(up[n], w, `${d.id} uploads its weight`);
      for (let i = 0; i < n; i++) {
        const exact = (u[i]! * c * w) / CAP / STEP;
        const word = up[i]! | 0;
        assert.ok(word === Math.floor(exact) || word === Math.ceil(exact), `${d.id}[${i}]: ${word} is not a rounding of ${exact}`);
        weighted[i]! += u[i]! * c * w;
      }
    }
    if (round === 1) assert.ok(clipped >= 1 && clipped < survivors.length, `the clip S=${CLIP} binds for some devices, not all (${clipped})`);
    // Each cohort's unmasked sum is exactly the sum of its devices' encoded updates mod 2^32.
    for (const c of [0, 1]) {
      const members = survivors.filter((d) => d.cohort === c);
      assert.deepEqual(report.cohorts[String(c)]!.survivors, members.map((d) => d.id).sort());
      assert.deepEqual(report.cohorts[String(c)]!.dropped, dropped.filter((d) => d.cohort === c).map((d) => d.id));
      const sum = new Uint32Array(n + 1);
      for (const d of members) uploadOf(d, round).forEach((w, i) => (sum[i] = (sum[i]! + w) >>> 0));
      assert.deepEqual(report.cohorts[String(c)]!.sum, Array.from(sum), `cohort ${c} sum`);
    }
    // FedAvg: within the stochastic rounding (under one step per device) of the plain weighted average.
    const tolerance = (survivors.length * STEP * CAP) / weight;
    for (let i = 0; i < n; i++) {
      const plain = weighted[i]! / weight;
      assert.ok(Math.abs(report.average[i]! - plain) <= tolerance, `average[${i}] ${report.average[i]} vs plain ${plain}`);
    }
    // The new global adapter: old + average / unit rounded half to even, int8 views and int16 B masters saturated.
    const next = epadElements(readFileSync(path(`rounds/global-${round}.epad`)));
    for (let i = 0; i < n; i++) {
      const a = report.average[i]! / g0.units[i]!;
      const v = global[i]! + halfEven(a);
      const sat = g0.bytes[i] === 1 ? Math.max(-128, Math.min(127, v)) : g0.bytes[i] === 2 ? Math.max(-32768, Math.min(32767, v)) : v;
      assert.equal(next[i], sat, `element ${i}`);
    }
    assert.ok(next.some((v, i) => v !== global[i]), "the global adapter moved");
  }

  it("round 1: the server's FedAvg equals the plain sample-weighted average of the devices' clipped updates", () => {
    checkRound(1, "global-0.epad", devices, []);
  });

  it("round 2, from the rolled-out global adapter, with a device dropped after sharing: the average of the survivors", () => {
    assert.match(run2.out, new RegExp(`round 2 cohort 1: 3 survivors unmasked \\(${victim.id} dropped\\)`));
    assert.doesNotMatch(victim.out, /round 2: masked update sent/);
    checkRound(2, "rounds/global-1.epad", devices.filter((d) => d !== victim), [victim]);
  });

  it("the new global adapter is signed by the fleet key as an EPDL delta around the server's image and every device confirms it", () => {
    const delta = readFileSync(path("rounds/global-1.epdl"));
    const image = readFileSync(path("rounds/global-1.epad"));
    const body = delta.subarray(0, delta.length - 64);
    assert.ok(verify("sha256", body, { key: createPublicKey(readFileSync(path("fleet.pub"))), dsaEncoding: "ieee-p1363" }, delta.subarray(delta.length - 64)));
    assert.equal(body.subarray(0, 4).toString("latin1"), "EPDL");
    assert.deepEqual(body.subarray(8, 40), createHash("sha256").update(readFileSync(model)).digest(), "bound to the base model");
    const specBytes = body.readUInt16LE(64);
    assert.equal(body.subarray(68, 68 + specBytes).toString("latin1"), SPEC);
    assert.deepEqual(body.subarray(68 + specBytes), image, "the payload is the server's new adapter");
    assert.match(run.out, /rollout to cohort 0: .*complete/);
    assert.match(run.out, /rollout to cohort 1: .*complete/);
    for (const d of devices) {
      // The device's own trial on its held-out samples (user_test.bin): the round's adapter helps.
      const m = /fleet: sequence 2 confirmed \(held-out ([0-9.]+) -> ([0-9.]+)\)/.exec(d.out);
      assert.ok(m, `${d.id} confirms sequence 2`);
      assert.ok(Number(m[2]) > Number(m[1]), `${d.id}: held-out accuracy ${m[1]} -> ${m[2]}`);
    }
  });

  it("a forged or foreign request is refused by the device, and a forged device frame is dropped by the gateway, without stopping the round", () => {
    const target = devices.find((d) => d.id === attack.target)!;
    assert.match(target.out, /round request: refused \(bad-signature\): round request: request does not verify with the fleet key/);
    assert.match(target.out, /round 6: refused \(other-global\)/);
    assert.doesNotMatch(target.out, /round [56]: keys sent/);
    // The gateway checks the devices' signatures (public keys) and drops the forgery, so the real
    // key frame is the one the server gets; the server's own check stands behind it.
    assert.doesNotMatch(run2.out, new RegExp(`round 2 cohort 0: ${attack.forged}: refused`));
    assert.match(run2.out, /round 2 cohort 0: 4 survivors unmasked \(none dropped\)/);
  });

  it("after a round no request stays retained on the devices' topics (a device booting later finds none)", async () => {
    const late = await connectBus(broker.url, "late");
    const got: string[] = [];
    try {
      await late.subscribe(`edge-peft/${FLEET}/round/#`, (topic, payload) => payload.length > 0 && got.push(topic));
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await late.close();
    }
    assert.deepEqual(got, []);
    assert.ok(seen.some((m) => /\/round\/0\/to\//.test(m.topic) && m.payload.length > 0), "requests were retained during the round");
  });

  it("a subscriber to # sees every masked vector but no unmasked upload, and the server's log holds none", () => {
    const uploads = [...devices.map((d) => uploadOf(d, 1)), ...devices.filter((d) => d !== victim).map((d) => uploadOf(d, 2))]
      .map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
    // Any 8 consecutive words (32 bytes) of a plain upload holding at least 4 distinct values
    // (runs of zeros or small counters occur in any frame), found in a payload or (as hex) in
    // the server's output, counts as a leak.
    const windows = (u: Buffer) => {
      const out: Buffer[] = [];
      for (let i = 0; i + 32 <= u.length - 4; i += 4) {
        const w = u.subarray(i, i + 32);
        if (new Set(Array.from({ length: 8 }, (_, k) => w.readUInt32LE(4 * k))).size >= 4) out.push(w);
      }
      return out;
    };
    const leaks = (hay: Buffer, asHex: boolean) => uploads.some((u) => windows(u).some((w) => (asHex ? hay.includes(w.toString("hex")) : hay.includes(w))));
    // The scan catches an upload when there is one (so the checks below can fail).
    assert.ok(leaks(Buffer.concat([Buffer.from("x"), uploads[2]!]), false));
    assert.ok(leaks(Buffer.from(`log ${uploads[4]!.toString("hex")}`), true));
    const maskReplies = seen.filter((m) => /\/round\/[01]\/reply\//.test(m.topic) && m.payload.subarray(0, 4).toString("latin1") === "EPSA" && m.payload[6] === 3);
    assert.equal(maskReplies.length, 2 * devices.length - 1, "every masked vector of both rounds crossed the broker");
    for (const m of seen) assert.ok(!leaks(m.payload, false), `${m.topic} carries a plain upload`);
    assert.ok(!leaks(Buffer.from(run.out + run2.out + flower.output("superlink") + flower.output("gateway-0") + flower.output("gateway-1")), true), "the server's logs hold a plain upload");
  });
});
