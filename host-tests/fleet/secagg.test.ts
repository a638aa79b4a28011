// A SecAgg+ round of 16 devices, each device's part run in its own simulator process per stage
// (mbedTLS crypto; the round state kept in each device's own flash file between its processes), with dropouts at every
// stage; the server's half is fleet-server/secagg.py (pycryptodome's Shamir.combine, Python's
// cryptography). The unmasked sum is checked against the sum of the survivors' encoded updates,
// each of which the test checks against its plain update independently (weight, clip, and that
// every word is the floor or the ceiling of the exact value).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import { Fixture } from "../sim/harness.js";
import { python, repoRoot } from "../support/paths.js";
import type { StageInput } from "./secagg-stage.js";

const N = 16;
const D = 64;
const ROUND = 41;
const T = 4;
const PARAMS = { clip: 2.0, step: 1 / 4096, sampleCap: 50, maxDevices: 1000 };
const ids = Array.from({ length: N }, (_, i) => `dev-${String(i).padStart(2, "0")}`);
/** A ring where each device has the 3 nearest on each side (6 neighbours, SecAgg+ style). */
const neighbours = (i: number) => [1, 2, 3].flatMap((k) => [ids[(i + k) % N]!, ids[(i + N - k) % N]!]);
// Dropouts at every stage: before keys, after keys, after shares, after masking (no reveal).
const NO_KEYS = "dev-00";
const AFTER_KEYS = "dev-04";
const AFTER_SHARES = "dev-08";
const AFTER_MASKING = "dev-12";

type Out = { stateBytes?: number; frames?: string[]; encoded?: number[]; error?: string; message?: string };

describe("secure aggregation: a SecAgg+ round with dropouts (devices in the simulator, server on pycryptodome)", function () {
  this.timeout(600000);
  const keys = ids.map(() => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
  const directory = Object.fromEntries(ids.map((id, i) => [id, Buffer.from(rawPublic(keys[i]!)).toString("hex")]));
  const devicePrivate = (id: string) => Buffer.from(rawPrivate(keys[ids.indexOf(id)]!)).toString("hex");
  // Plain updates: a third over the clip (clipped), sample counts on both sides of the cap.
  const updates = ids.map((_, i) => Array.from({ length: D }, (_, k) => Math.sin(7 * i + 3 * k + 1) * (i % 3 === 0 ? 0.9 : 0.15)));
  const samples = ids.map((_, i) => 10 + 7 * i);
  const fx = new Fixture();
  const keyFrames: Record<string, string> = {};
  const shareFrames: { from: string; to: string; frame: string }[] = [];
  const masked: Record<string, string> = {};
  const encoded: Record<string, number[]> = {};
  const reveals: Record<string, string> = {};
  let survivors: string[] = [];
  let dropped: string[] = [];
  let staleKeyFrame = "";
  let runs = 0;

  /** One stage of one device in its own simulator process, on its own flash file (`flash`, default its id). */
  function stage(input: Omit<StageInput, "devicePrivate" | "directory">, flash = input.id): Out {
    const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
    const full: StageInput = { ...input, devicePrivate: devicePrivate(input.id), directory };
    runs++;
    const entry = fx.write(`stage-${runs}.js`, `import { runStage } from ${js("host-tests/fleet/secagg-stage.js")};
import { NativeCrypto } from ${js("firmware/platform/sim/native-crypto.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
import { NativeChecksum } from ${js("firmware/platform/sim/native-checksum.js")};
import { FlashBackedStorage } from ${js("firmware/platform/flash-backed-storage.js")};
import { SlotStore } from ${js("firmware/storage/slot-store.js")};
import { Flash } from ${js("native/xs/flash/flash.js")};
const store = new SlotStore(new FlashBackedStorage(new Flash("secagg")), new NativeChecksum(), { firstSector: 0, sectorsPerSlot: 1, tag: 0x5a });
trace("RESULT " + JSON.stringify(runStage(new NativeCrypto(), new NativeKeyAgreement(), store, ${JSON.stringify(full)})) + "\\n");
`);
    const r = fx.run(["--board", "boards/sim.json", "--flash", fx.path(`${flash}.flash`), "--", entry]);
    assert.equal(r.status, 0, r.stderr);
    const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    assert.ok(line, r.stdout);
    return JSON.parse(line.slice(7)) as Out;
  }

  function ok(o: Out, what: string): Out {
    assert.equal(o.error, undefined, `${what}: ${o.error}: ${o.message}`);
    return o;
  }

  function server(req: Record<string, unknown>): Record<string, unknown> {
    const r = spawnSync(python, [join(repoRoot, "fleet-server", "secagg.py")], {
      input: JSON.stringify({ round: ROUND, threshold: T, device_keys: directory, ...req }), encoding: "utf8", maxBuffer: 1 << 26 });
    assert.ok(r.status === 0 || r.status === 2, r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  before(() => {
    // A key frame the same device made for the previous round: a replay candidate.
    staleKeyFrame = ok(stage({ stage: "keys", id: "dev-05", round: ROUND - 1, threshold: T, neighbours: neighbours(5) }, "dev-05-previous"), "stale keys").frames![0]!;
    for (const [i, id] of ids.entries()) {
      if (id === NO_KEYS) continue;
      keyFrames[id] = ok(stage({ stage: "keys", id, round: ROUND, threshold: T, neighbours: neighbours(i) }), `${id} keys`).frames![0]!;
    }
    for (const [i, id] of ids.entries()) {
      if (id === NO_KEYS || id === AFTER_KEYS) continue;
      const frames = neighbours(i).filter((n) => keyFrames[n] !== undefined).map((n) => keyFrames[n]!);
      const o = ok(stage({ stage: "share", id, frames }), `${id} share`);
      const peers = neighbours(i).filter((n) => keyFrames[n] !== undefined).sort();
      assert.equal(o.frames!.length, peers.length, `${id}: one share frame per neighbour with keys`);
      o.frames!.forEach((frame, k) => shareFrames.push({ from: id, to: peers[k]!, frame }));
    }
    const shared = new Set(shareFrames.map((s) => s.from));
    for (const [i, id] of ids.entries()) {
      if (!shared.has(id) || id === AFTER_SHARES) continue;
      const frames = shareFrames.filter((s) => s.to === id).map((s) => s.frame);
      const o = ok(stage({ stage: "mask", id, frames, update: updates[i], samples: samples[i], params: PARAMS }), `${id} mask`);
      masked[id] = o.frames![0]!;
      encoded[id] = o.encoded!;
    }
    survivors = Object.keys(masked).sort();
    dropped = [...shared].filter((id) => masked[id] === undefined).sort();
    for (const id of survivors) {
      if (id === AFTER_MASKING) continue;
      const o = ok(stage({ stage: "reveal", id, survivors, dropped }), `${id} reveal`);
      reveals[id] = o.frames![0]!;
    }
  });

  after(() => fx.remove());

  it("the stages ran where they should: 13 survivors, one device dropped after sharing", () => {
    assert.deepEqual(dropped, [AFTER_SHARES]);
    assert.equal(survivors.length, N - 3);
    for (const id of [NO_KEYS, AFTER_KEYS, AFTER_SHARES]) assert.ok(!survivors.includes(id), id);
    assert.ok(survivors.includes(AFTER_MASKING));
  });

  it("each encoded update is the clipped, weighted plain update on the grid, stochastically rounded", () => {
    let ups = 0;
    for (const id of survivors) {
      const i = ids.indexOf(id);
      const u = updates[i]!;
      const norm = Math.hypot(...u);
      const w = Math.min(samples[i]!, PARAMS.sampleCap);
      const e = encoded[id]!;
      assert.equal(e.length, D + 1);
      assert.equal(e[D], w, `${id}: the weight word`);
      for (let k = 0; k < D; k++) {
        // Weighted first, then clipped (the DP order): w u scaled down to L2 = S when over it.
        const wu = w / PARAMS.sampleCap;
        const exact = (u[k]! * wu * Math.min(1, PARAMS.clip / (norm * wu))) / PARAMS.step;
        const got = e[k]! | 0; // int32
        assert.ok(got === Math.floor(exact) || got === Math.ceil(exact), `${id}[${k}]: ${got} for ${exact}`);
        if (got !== Math.floor(exact)) ups++;
      }
    }
    // The coin is random, not a fixed rule: both directions occur.
    assert.ok(ups > 50 && ups < survivors.length * D - 50, `${ups} rounded up`);
  });

  it("the server's unmasked sum is the sum of the survivors' encoded updates, exactly", () => {
    const r = server({ keys: Object.values(keyFrames), masked: Object.values(masked), reveals: Object.values(reveals), step: PARAMS.step, sample_cap: PARAMS.sampleCap });
    assert.equal(r["error"], undefined, String(r["message"]));
    assert.deepEqual(r["survivors"], survivors);
    assert.deepEqual(r["dropped"], dropped);
    const truth = new Uint32Array(D + 1);
    for (const id of survivors) encoded[id]!.forEach((w, k) => (truth[k] = (truth[k]! + w) >>> 0));
    assert.deepEqual(r["sum"], Array.from(truth));
    // Decoded, it is the weighted mean of the clipped plain updates, to within the rounding.
    const W = survivors.reduce((s, id) => s + Math.min(samples[ids.indexOf(id)]!, PARAMS.sampleCap), 0);
    assert.equal(r["weight"], W);
    const avg = r["average"] as number[];
    for (let k = 0; k < D; k++) {
      let mean = 0;
      for (const id of survivors) {
        const i = ids.indexOf(id);
        const w = Math.min(samples[i]!, PARAMS.sampleCap);
        mean += updates[i]![k]! * Math.min(1, PARAMS.clip / (Math.hypot(...updates[i]!) * (w / PARAMS.sampleCap))) * w;
      }
      mean /= W;
      assert.ok(Math.abs(avg[k]! - mean) <= (survivors.length * PARAMS.step * PARAMS.sampleCap) / W, `${k}: ${avg[k]} vs ${mean}`);
    }
  });

  it("no masked vector shows its encoded update", () => {
    for (const id of survivors) {
      const words = Buffer.from(masked[id]!, "hex");
      let same = 0;
      for (const w of encoded[id]!.slice(0, D)) {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(w);
        if (words.indexOf(b) >= 0) same++;
      }
      assert.ok(same < 3, `${id}: ${same} words of the update appear in its masked frame`);
    }
  });

  it("a device refuses to reveal both shares of one device, or to answer a changed request, and reveals nothing", () => {
    const holder = "dev-07"; // holds shares of dev-08 (dropped) and dev-06 (survivor)
    const both = stage({ stage: "reveal", id: holder, survivors: [...survivors, AFTER_SHARES], dropped });
    assert.equal(both.error, "both-shares", both.message);
    assert.equal(both.frames, undefined);
    // After answering once, the same request is answered again, a changed one is refused: moving
    // dev-06 to the dropped list would give the server its mask key as well as its self mask.
    const again = ok(stage({ stage: "reveal", id: holder, survivors, dropped }), "same request");
    assert.equal(again.frames!.length, 1);
    const moved = stage({ stage: "reveal", id: holder, survivors: survivors.filter((s) => s !== "dev-06"), dropped: [...dropped, "dev-06"] });
    assert.equal(moved.error, "changed-request", moved.message);
    assert.equal(moved.frames, undefined);
  });

  it("a device refuses to reveal when fewer than t of its neighbours survive (itself not counted: it holds no share of its own secrets)", () => {
    // dev-12 masked and never revealed, so no answered request stands in the way.
    const id = AFTER_MASKING;
    const few = stage({ stage: "reveal", id, survivors: [id, ...neighbours(12).slice(0, T - 1)], dropped: [] });
    assert.equal(few.error, "too-few-survivors", few.message);
    assert.equal(few.frames, undefined);
  });

  it("a forged or replayed key frame is refused by name (device and server)", () => {
    const id = "dev-06";
    const frames = neighbours(6).filter((n) => keyFrames[n] !== undefined).map((n) => keyFrames[n]!);
    // A fresh start of the round on a copy of dev-06 (its own flash file), so the round above is untouched.
    ok(stage({ stage: "keys", id, round: ROUND, threshold: T, neighbours: neighbours(6) }, "dev-06-again"), "fresh keys");
    const at = frames.indexOf(keyFrames["dev-05"]!);
    // A gateway swaps in its own mask key: one byte of S changed, the signature no longer holds.
    const forged = Buffer.from(keyFrames["dev-05"]!, "hex");
    forged[16 + 6 + 65 + 10] ^= 0x40;
    const cases: [string, string][] = [[forged.toString("hex"), "bad-signature"], [staleKeyFrame, "wrong-round"]];
    for (const [bad, code] of cases) {
      const swapped = frames.map((f, k) => (k === at ? bad : f));
      const r = stage({ stage: "share", id, frames: swapped }, "dev-06-again");
      assert.equal(r.error, code, r.message);
      const s = server({ keys: Object.values(keyFrames).map((f) => (f === keyFrames["dev-05"] ? bad : f)), masked: Object.values(masked), reveals: Object.values(reveals) });
      assert.equal(s["error"], code, String(s["message"]));
    }
    // A key frame signed by a device that is not in the fleet's directory.
    const stranger = stage({ stage: "share", id, frames: [...frames.filter((_, k) => k !== at), keyFrames["dev-05"]!.replace(Buffer.from("dev-05").toString("hex"), Buffer.from("dev-5x").toString("hex"))] }, "dev-06-again");
    assert.equal(stranger.error, "unknown-device", stranger.message);
    // The genuine frames still work from the state in flash (the refusals stored nothing).
    ok(stage({ stage: "share", id, frames }, "dev-06-again"), "genuine");
  });

  it("the server refuses with fewer than t shares of a survivor's seed", () => {
    // dev-12 sent no reveal already; without dev-13 and dev-14 too, dev-11's and others' seeds lack shares.
    const some = Object.entries(reveals).filter(([id]) => id !== "dev-13" && id !== "dev-14" && id !== "dev-15").map(([, f]) => f);
    const r = server({ keys: Object.values(keyFrames), masked: Object.values(masked), reveals: some });
    assert.equal(r["error"], "too-few-shares", String(r["message"]));
  });
});
