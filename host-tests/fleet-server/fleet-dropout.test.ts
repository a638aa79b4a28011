// A Flower round of 50 simulator devices with distributed DP noise and 20% dropping out at
// random stages (issue 10, item 4): mosquitto, a SuperLink and two gateway SuperNodes on loopback,
// 50 devices as separate simulator processes (TypeScript round agent, SecAgg+ and discrete
// Gaussian sampler on XS, C engine, mbedTLS, each with its own flash), the ServerApp calibrating
// the noise to epsilon 8 at delta 1e-5. Ten devices, chosen at random (seed printed), are killed
// at a random stage: after their key frame, after their shares, after their masked vector, or
// when their reveal request arrives. Oracles: the devices' own plain and noised updates, printed on
// their consoles (--log-upload, never sent); dp-accounting called here, not through privacy.py.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cohortOf } from "../../firmware/fleet/cohorts.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import type { Bus } from "../../tools/fleet/bus.js";
import { connectBus } from "../../tools/fleet/mqtt-bus.js";
import { Broker } from "../support/broker.js";
import { FleetFixture, demo, model, sim } from "../support/fleet-fixture.js";
import { Flower } from "../support/flower.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";
import { Rng } from "../engine/harness.js";

const crypto = new NodeCrypto();
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
const FLEET = "plant-50";
const DEVICES = 50;
const COHORTS = 2;
const K = 6; // neighbours; t = K/2 + 1 = 4
const T = K / 2 + 1;
const CLIP = 0.17;
const CLIP_STEPS = 2 ** 17; // S / gamma a whole number of steps, as DP needs
const STEP = CLIP / CLIP_STEPS;
const CAP = 8;
const EPSILON = 8;
const DELTA = 1e-5;
const DEADLINE = 25; // s per stage: a killed device costs one full deadline at the next stage
const RECORD = 65;
const STAGES = ["keys", "shares", "masked", "reveal-request"] as const;
type Stage = (typeof STAGES)[number];
const MOD = 2 ** 32;

interface Device {
  id: string;
  cohort: number;
  samples: Buffer;
  proc?: ChildProcess;
  out: string;
  kill?: Stage;
  /** Rebooted (killed and started again on its flash) once its frames of this stage are out. */
  reboot?: "keys" | "shares";
  rebooted?: boolean;
  start?: () => void;
  shares: number;
}

describe(`Flower round with DP: ${DEVICES} simulator devices over mosquitto, 20% dropping out at random stages`, function () {
  this.timeout(600000);
  let dir: string;
  let broker: Broker;
  let flower: Flower;
  let spy: Bus;
  const seen: { topic: string; payload: Buffer }[] = [];
  const devices: Device[] = [];
  let run: { status: number | null; out: string };
  let replay: { from: string; onto: string } | undefined;
  let fixture: FleetFixture;
  const seed = Number(process.env["FLEET_SEED"] ?? Date.now() % 1000000);
  const path = (f: string) => join(dir, f);
  const words = (d: Device, what: "upload" | "noised"): Uint32Array => {
    const m = new RegExp(`round 1: ${what} ([0-9a-f]+)`).exec(d.out);
    assert.ok(m, `${d.id} logged its ${what}: ${d.out.slice(-2000)}`);
    const b = Buffer.from(m[1]!, "hex");
    return new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  };
  let report: {
    cohorts: Record<string, { survivors: string[]; dropped: string[]; sum: number[] }>;
    privacy: { "noise-multiplier": number; delta: number; "clip-steps": number; variance: Record<string, string>; threshold: Record<string, number>; "epsilon-pld": number; "epsilon-rdp": number };
  };

  before(async () => {
    console.log(`      victims seeded with FLEET_SEED=${seed}`);
    dir = mkdtempSync(join(tmpdir(), "ep-fleet50-"));
    broker = new Broker();
    await broker.start();
    spy = await connectBus(broker.url, "spy");
    const byId = new Map<string, Device>();
    await spy.subscribe("#", (topic, payload) => {
      const p = Buffer.from(payload);
      seen.push({ topic, payload: p });
      const id = topic.slice(topic.lastIndexOf("/") + 1);
      const d = byId.get(id);
      if (!d || p.length < 8) return;
      const magic = p.subarray(0, 4).toString("latin1");
      const reply = topic.includes("/reply/") && magic === "EPSA";
      // The kill: once the stage's frames are on the broker (or, for the last, its reveal request).
      if (d.reboot && !d.rebooted && reply && ((d.reboot === "keys" && p[6] === 1) || (d.reboot === "shares" && p[6] === 2 && ++d.shares === K))) {
        d.rebooted = true;
        d.proc!.once("exit", () => d.start!());
        d.proc!.kill("SIGKILL");
      }
      if (d.kill && d.proc && d.proc.exitCode === null) {
        if (reply && p[6] === 2) d.shares++;
        if ((d.kill === "keys" && reply && p[6] === 1) || (d.kill === "shares" && reply && p[6] === 2 && d.shares === K)
          || (d.kill === "masked" && reply && p[6] === 3) || (d.kill === "reveal-request" && topic.includes("/to/") && magic === "EPRD" && p[6] === 4)) {
          d.proc.kill("SIGKILL");
        }
      }
      // A replay: the first live device's masked vector, published again under the topic of a
      // device that dropped after sharing; it must not stand in for that device.
      if (!replay && reply && p[6] === 3 && !d.kill) {
        const onto = devices.find((v) => v.kill === "shares" && v.cohort === d.cohort);
        if (onto) {
          replay = { from: d.id, onto: onto.id };
          void spy.publish(topic.replace(/\/reply\/[^/]+$/, `/reply/${onto.id}`), p, false);
        }
      }
    });
    fixture = new FleetFixture(dir, SPEC);
    // The round's global adapter: the initial adapter every fresh device runs (the engine's seed 1).
    fixture.setUp();
    const pool = readFileSync(join(demo, "user_pool.bin"));
    let offset = 0;
    for (let i = 0; devices.length < DEVICES; i++) {
      const id = `dev-${String(i).padStart(3, "0")}`;
      const cohort = cohortOf(crypto, id, COHORTS);
      if (devices.filter((d) => d.cohort === cohort).length >= DEVICES / COHORTS) continue;
      const n = 3 + (devices.length % 3); // 3..5 samples: FedAvg's weights differ
      const samples = pool.subarray(offset * RECORD, (offset + n) * RECORD);
      offset += n;
      writeFileSync(path(`${id}.bin`), samples);
      const { provision } = fixture.provision(id);
      const d: Device = { id, cohort, samples, out: "", shares: 0 };
      devices.push(d);
      byId.set(id, d);
      d.start = () => {
      d.proc = spawn(sim, ["--realtime", "--board", path("board.json"), "--flash", path(`${id}.flash`), "--", join(repoRoot, "build", "js", "firmware", "targets", "sim.js"),
        "--fleet", demo, "--rounds", "--train-data", path(`${id}.bin`), "--log-upload", "--exit-after-round", "1", "--broker", `127.0.0.1:${broker.port}`, "--client-id", id,
        "--fleet-name", FLEET, "--cohorts", String(COHORTS), "--provision", provision], { cwd: repoRoot });
      d.proc.stdout!.on("data", (b: Buffer) => (d.out += b.toString()));
      d.proc.stderr!.on("data", (b: Buffer) => (d.out += b.toString()));
      };
      d.start();
    }
    fixture.writeRegistry(FLEET, COHORTS);
    // Victims: 20% of each cohort at random stages (every stage at least once over the fleet),
    // drawn again until every device keeps t neighbours that stay, so the round must complete
    // for all who stay (the graph is the server's for round 1, secagg.neighbour_graph).
    const graphs = runPythonJson<Record<string, Record<string, string[]>>>(
      `import json,sys; sys.path.insert(0, ${JSON.stringify(join(repoRoot, "fleet-server"))}); import secagg
ids = json.load(sys.stdin)
print(json.dumps({c: secagg.neighbour_graph(v, ${K}, 1) for c, v in ids.items()}))`,
      JSON.stringify(Object.fromEntries([...Array(COHORTS).keys()].map((c) => [c, devices.filter((d) => d.cohort === c).map((d) => d.id)]))));
    const rng = new Rng(seed); // the engine tests' seeded xorshift32
    for (;;) {
      const stages = [...STAGES, ...Array.from({ length: DEVICES / 5 - STAGES.length }, () => STAGES[rng.int(0, STAGES.length - 1)]!)];
      const victims = new Map<string, Stage>();
      for (let c = 0; c < COHORTS; c++) {
        const pool = devices.filter((d) => d.cohort === c);
        while (victims.size < (DEVICES / 5 / COHORTS) * (c + 1)) {
          const id = pool[rng.int(0, pool.length - 1)]!.id;
          if (!victims.has(id)) victims.set(id, stages[victims.size]!);
        }
      }
      const ok = Object.values(graphs).every((g) => Object.entries(g).every(([, nb]) => nb.filter((j) => !victims.has(j)).length >= T));
      if (!ok) continue;
      for (const d of devices) d.kill = victims.get(d.id);
      break;
    }
    // Two devices that stay are rebooted mid-round, one after its key frame, one after its shares.
    for (let c = 0; c < COHORTS; c++) devices.find((d) => d.cohort === c && !d.kill)!.reboot = c === 0 ? "keys" : "shares";
    console.log(`      victims: ${devices.filter((d) => d.kill).map((d) => `${d.id} (cohort ${d.cohort}) after ${d.kill}`).join(", ")}`);
    flower = new Flower(path("flwr"));
    await flower.startSuperLink();
    for (let c = 0; c < COHORTS; c++) await flower.startSuperNode(`gateway-${c}`, `cohort=${c} fleet="${FLEET}" broker="127.0.0.1:${broker.port}"`);
    for (let i = 0; i < 1200 && !devices.every((d) => d.out.includes("listening in cohort")); i++) await new Promise((r) => setTimeout(r, 100));
    for (const d of devices) assert.match(d.out, /round: \S+ listening in cohort/, `${d.id} started: ${d.out}`);
    // The round's global adapter reaches the devices as every adapter does: a signed delta rolled
    // out per cohort (a device refuses a round that starts from another adapter).
    const r0 = Date.now();
    await fixture.rollOutGlobal0(broker.url, COHORTS, 120);
    console.log(`      rollout of the global adapter to ${DEVICES} devices: ${((Date.now() - r0) / 1000).toFixed(0)} s`);
    const t0 = Date.now();
    run = await flower.run(join(repoRoot, "fleet-server"), {
      registry: path("devices.json"), "fleet-key": path("fleet.key"), adapter: path("global-0.epad"), out: path("rounds"), "first-round": 1, rounds: 1,
      clip: CLIP, step: STEP, "sample-cap": CAP, "max-devices": 1000, neighbours: K, threshold: 0, "local-steps": 0, "stage-deadline": DEADLINE, "min-devices": 3,
      broker: `127.0.0.1:${broker.port}`, repo: repoRoot, model, spec: SPEC, publish: "none", version: 2, sequence: 2, "dp-epsilon": EPSILON, "dp-delta": DELTA,
    }, 480000);
    console.log(`      the round took ${((Date.now() - t0) / 1000).toFixed(0)} s (${DEVICES} devices, stage deadline ${DEADLINE} s)`);
    assert.equal(run.status, 0, `flwr run: ${run.out}\n${flower.output("superlink")}`);
    assert.match(run.out, /fleet-server: done/, run.out); // flwr run exits 0 when the ServerApp fails
    report = JSON.parse(readFileSync(path("rounds/round-1.json"), "utf8"));
  });

  after(async () => {
    for (const d of devices) if (d.proc?.exitCode === null) d.proc.kill("SIGTERM");
    await flower?.stop();
    await spy?.close();
    await broker?.remove();
    if (!process.env["KEEP"]) rmSync(dir, { recursive: true, force: true });
    else {
      for (const d of devices) writeFileSync(path(`${d.id}.log`), d.out);
      writeFileSync(path("flwr-run.log"), run?.out ?? "");
      console.log("kept", dir);
    }
  });

  /** Survivors the server must name: every device but those killed before their masked vector. */
  const expectedSurvivors = (c: number) => devices.filter((d) => d.cohort === c && d.kill !== "keys" && d.kill !== "shares").map((d) => d.id).sort();

  it("every device that stays is a survivor; those killed after sharing are the dropped; a replayed frame stands in for none", () => {
    assert.ok(replay, "a masked vector was replayed under a dropped device's topic");
    for (let c = 0; c < COHORTS; c++) {
      const r = report.cohorts[String(c)]!;
      assert.deepEqual([...r.survivors].sort(), expectedSurvivors(c), `cohort ${c} survivors`);
      assert.deepEqual([...r.dropped].sort(), devices.filter((d) => d.cohort === c && d.kill === "shares").map((d) => d.id).sort(), `cohort ${c} dropped`);
    }
    const victims = devices.filter((d) => d.kill);
    assert.equal(victims.length, DEVICES / 5);
    for (const s of STAGES) assert.ok(victims.some((d) => d.kill === s), `a device dropped at ${s}`);
    for (const d of victims) assert.notEqual(d.proc!.signalCode, null, `${d.id} was killed`);
    for (const d of victims.filter((v) => v.kill === "keys" || v.kill === "shares")) assert.doesNotMatch(d.out, /round 1: masked update sent/);
  });

  it("a device rebooted mid-round resumes from its round record in flash: no second key frame, and it survives", () => {
    const rebooted = devices.filter((d) => d.reboot);
    assert.equal(rebooted.length, COHORTS);
    for (const d of rebooted) {
      assert.ok(d.rebooted, `${d.id} was rebooted`);
      assert.match(d.out, new RegExp(`round 1: resumed from flash after stage ${d.reboot === "keys" ? 1 : 2}`), d.out.slice(-3000));
      const keyFrames = new Set(seen.filter((m) => m.topic.endsWith(`/reply/${d.id}`) && m.payload[6] === 1).map((m) => m.payload.toString("hex")));
      assert.equal(keyFrames.size, 1, `${d.id} sent one key frame`);
      const shareFrames = seen.filter((m) => m.topic.endsWith(`/reply/${d.id}`) && m.payload[6] === 2).map((m) => m.payload.toString("hex"));
      assert.equal(new Set(shareFrames).size, K, `${d.id} made one share per neighbour, once`);
      assert.ok(report.cohorts[String(d.cohort)]!.survivors.includes(d.id), `${d.id} survives`);
    }
  });

  it("each cohort's unmasked sum equals the sum of its survivors' noised updates exactly", () => {
    for (let c = 0; c < COHORTS; c++) {
      const sum = report.cohorts[String(c)]!.sum;
      const survivors = devices.filter((d) => expectedSurvivors(c).includes(d.id));
      const noised = survivors.map((d) => words(d, "noised"));
      assert.equal(sum.length, noised[0]!.length);
      for (let i = 0; i < sum.length; i++) assert.equal(sum[i], noised.reduce((s, w) => (s + w[i]!) % MOD, 0), `cohort ${c} word ${i}`);
    }
  });

  it("the sum minus the survivors' plain updates is integer noise of the calibrated variance (survivors x the devices' share)", () => {
    let n = 0;
    let sum1 = 0;
    let sum2 = 0;
    for (let c = 0; c < COHORTS; c++) {
      const total = report.cohorts[String(c)]!.sum;
      const survivors = devices.filter((d) => expectedSurvivors(c).includes(d.id));
      const plain = survivors.map((d) => words(d, "upload"));
      const [p, q] = report.privacy.variance[String(c)]!.split("/").map(Number) as [number, number];
      const variance = (survivors.length * p) / q;
      const d = total.length - 1;
      // The weight word carries no noise.
      assert.equal(total[d], plain.reduce((s, w) => s + w[d]!, 0));
      for (let i = 0; i < d; i++) {
        let x = (total[i]! - plain.reduce((s, w) => s + w[i]!, 0)) % MOD;
        if (x < 0) x += MOD;
        if (x >= MOD / 2) x -= MOD;
        assert.ok(Number.isInteger(x));
        const z = x / Math.sqrt(variance);
        n++;
        sum1 += z;
        sum2 += z * z;
      }
    }
    const mean = sum1 / n;
    const ratio = sum2 / n - mean * mean;
    console.log(`      noise variance / calibrated: ${ratio.toFixed(3)} over ${n} coordinates (4 standard errors: ${(4 * Math.sqrt(2 / n)).toFixed(3)})`);
    // Var of a sample variance of n normals: 2/n; 4 standard errors. Missing noise gives 0,
    // noise split over t instead of n devices 25/4, a stddev taken for a variance far off.
    assert.ok(Math.abs(ratio - 1) < 4 * Math.sqrt(2 / n), `noise variance / calibrated ${ratio.toFixed(4)} over ${n} coordinates`);
    assert.ok(Math.abs(mean) < 4 / Math.sqrt(n), `noise mean ${mean.toFixed(4)} stddevs`);
  });

  it("the noise is calibrated to epsilon 8 and the printed epsilon is dp-accounting's for the noise the devices were sent", () => {
    const p = report.privacy;
    assert.equal(p["clip-steps"], CLIP_STEPS);
    const m = /privacy: round 1: epsilon=([0-9.]+) \(PLD\) ([0-9.]+) \(RDP\) at delta=1e-05 after 1 rounds/.exec(run.out);
    assert.ok(m, run.out);
    assert.match(run.out, /privacy: total after 1 rounds: epsilon=/);
    const sizes = Object.fromEntries([...Array(COHORTS).keys()].map((c) => [c, devices.filter((d) => d.cohort === c).length]));
    // Independently of privacy.py: the multiplier of a t-survivor sum of the variance the devices
    // were sent, over the rounded update's L2 bound c + sqrt(d) (the discrete correction's tau
    // terms vanish at this noise), composed by dp_accounting's own accountants.
    const got = runPythonJson<{ pld: number; rdp: number; pldBelow: number; ceilOk: boolean }>(`
import json, math, sys
from fractions import Fraction
import dp_accounting
from dp_accounting.pld import pld_privacy_accountant
from dp_accounting.rdp import rdp_privacy_accountant
a = json.load(sys.stdin)
def eps(mult):
    r = rdp_privacy_accountant.RdpAccountant(); r.compose(dp_accounting.GaussianDpEvent(mult))
    p = pld_privacy_accountant.PLDAccountant(); p.compose(dp_accounting.GaussianDpEvent(mult))
    return p.get_epsilon(a["delta"]), r.get_epsilon(a["delta"])
c, d = a["c"], a["d"]
out = {"pld": 0, "rdp": 0, "pldBelow": 0, "ceilOk": True}
for k, v in a["variance"].items():
    v, n, t, z = Fraction(v), a["sizes"][k], a["threshold"][k], Fraction(a["z"])
    out["ceilOk"] &= v * n == math.ceil((z * c) ** 2)
    pld, rdp = eps(math.sqrt(t * v) / (c + math.sqrt(d)))
    below, _ = eps(float(z - Fraction(1, 100)) * c * math.sqrt(t / n) / (c + math.sqrt(d)))
    out["pld"], out["rdp"], out["pldBelow"] = max(out["pld"], pld), max(out["rdp"], rdp), max(out["pldBelow"], below)
print(json.dumps(out))`, JSON.stringify({ delta: DELTA, c: CLIP_STEPS, d: report.cohorts["0"]!.sum.length - 1, variance: p.variance, sizes, threshold: p.threshold, z: p["noise-multiplier"] }));
    assert.ok(got.ceilOk, "each device's variance is ceil((z c)^2) / n");
    for (const c of Object.keys(p.threshold)) assert.equal(p.threshold[c], T);
    const [pld, rdp] = [Number(m[1]), Number(m[2])];
    assert.ok(Math.abs(pld - got.pld) <= 2e-3 * got.pld, `PLD epsilon printed ${pld}, dp-accounting ${got.pld}`);
    assert.ok(Math.abs(rdp - got.rdp) <= 1e-5 * got.rdp, `RDP epsilon printed ${rdp}, dp-accounting ${got.rdp}`);
    assert.ok(pld <= EPSILON, `within the target: ${pld}`);
    assert.ok(got.pldBelow > EPSILON, `the least multiplier: z - 0.01 gives ${got.pldBelow} > ${EPSILON}`);
  });

  it("a subscriber to # and the server's logs hold no raw sample and no plain or noised update", () => {
    const updates = devices.filter((d) => /round 1: upload/.test(d.out)).flatMap((d) => [words(d, "upload"), ...(/round 1: noised/.test(d.out) ? [words(d, "noised")] : [])])
      .map((u) => Buffer.from(u.buffer, u.byteOffset, u.byteLength));
    const inputs = devices.flatMap((d) => Array.from({ length: d.samples.length / RECORD }, (_, i) => d.samples.subarray(i * RECORD + 1, (i + 1) * RECORD)));
    // Any 8 consecutive words of an update holding at least 4 distinct values, or a whole 64-byte sample.
    const windows = (u: Buffer) => {
      const out: Buffer[] = [];
      for (let i = 0; i + 32 <= u.length - 4; i += 4) {
        const w = u.subarray(i, i + 32);
        if (new Set(Array.from({ length: 8 }, (_, k) => w.readUInt32LE(4 * k))).size >= 4) out.push(w);
      }
      return out;
    };
    const needles = [...updates.flatMap(windows), ...inputs];
    const leaks = (hay: Buffer, asHex: boolean) => needles.some((w) => (asHex ? hay.includes(w.toString("hex")) : hay.includes(w)));
    assert.ok(needles.length > 1000);
    assert.ok(leaks(Buffer.concat([Buffer.from("x"), inputs[7]!]), false), "the scan finds a sample");
    assert.ok(leaks(Buffer.from(`log ${updates[3]!.toString("hex")}`), true), "the scan finds an update");
    for (const m of seen) assert.ok(!leaks(m.payload, false), `${m.topic} carries a plain sample or update`);
    const logs = Buffer.from(run.out + flower.output("superlink") + [...Array(COHORTS).keys()].map((c) => flower.output(`gateway-${c}`)).join(""));
    assert.ok(!leaks(logs, true), "the server's logs hold a sample or an update");
  });
});
