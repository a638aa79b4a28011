// bench/secagg: what one SecAgg+ round costs a device. A device with 6 neighbours (t = 4; one
// neighbour drops after sharing, so the reveal holds 5 self-mask shares and 1 mask-key share)
// runs each stage in the simulator (XS + mbedTLS); its neighbours run the same firmware code on
// Node's ports and take its frames (so every frame it sent was accepted). Per stage: instructions
// (the stage's simulator run minus the same app without the stage, callgrind, host x86-64: a
// board's counts differ), the smallest XS heap the stage completes in, above that of the app
// without it (found by lowering the board's budget; the app's parsed code is in the chunk heap
// here, in flash on a board), the state it stores and the bytes it sends. Then bytes sent per
// round against the update's own bytes. The update is the real trainer's: two EPAD images of the
// digits MLP (LoRA r4 + biases), base and trained from it.
import { execFileSync, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { maskInput, reveal, shareKeys, startRound, type DeviceContext } from "../../firmware/fleet/secagg-device.js";
import { encodeUpdate } from "../../firmware/fleet/update-encoding.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import type { BenchParams } from "./app.js";
import { OUT } from "./layout.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const sim = join(root, "build", "bin", "edge-peft-sim");
const app = fileURLToPath(new URL("./app.js", import.meta.url));
const model = join(root, "data", "demo", "digits_mlp_int8.tflite");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";
const ROUND = 1;
const T = 4;
const PARAMS = { clip: 1.0, step: 1 / 65536, sampleCap: 100, maxDevices: 10000 };
const ME = "dev-00";
const PEERS = ["dev-01", "dev-02", "dev-03", "dev-04", "dev-05", "dev-06"];
const LATE = "dev-06"; // drops after sharing

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const raw = (h: string) => new Uint8Array(Buffer.from(h, "hex"));

interface Measured { ir: number; chunks: number; slots: number; values: number; state: Uint8Array; frames: Uint8Array[] }

interface Inputs { params: BenchParams; priv: Uint8Array; directory: Record<string, string>; state: Uint8Array; frames: Uint8Array[]; base: Uint8Array; trained: Uint8Array }

function entries(parts: readonly Uint8Array[]): Buffer {
  const out: Buffer[] = [Buffer.alloc(4)];
  out[0]!.writeUInt32LE(parts.length);
  for (const p of parts) {
    const n = Buffer.alloc(4);
    n.writeUInt32LE(p.length);
    out.push(n, Buffer.from(p));
  }
  return Buffer.concat(out);
}

function readEntries(b: Buffer, at: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = at + 4;
  for (let i = 0; i < b.readUInt32LE(at); i++) {
    const n = b.readUInt32LE(p);
    out.push(new Uint8Array(b.subarray(p + 4, p + 4 + n)));
    p += 4 + n;
  }
  return out;
}

/**
 * The flash file the app reads (app.ts): at 0, entries (u32 count, then u32 length + bytes each):
 * the stage's parameters (JSON), the device private key, the directory (entries of public key 65
 * || id), the state, the relayed frames (entries), the base and the trained EPAD adapter.
 */
function writeInputs(path: string, i: Inputs): void {
  const dir = entries(Object.entries(i.directory).map(([id, h]) => Buffer.concat([Buffer.from(h, "hex"), Buffer.from(id)])));
  const blob = entries([Buffer.from(JSON.stringify(i.params)), i.priv, dir, i.state, entries(i.frames), i.base, i.trained]);
  if (blob.length > OUT) throw new Error(`bench/secagg: inputs of ${blob.length} bytes overrun the output area`);
  const flash = Buffer.alloc(64 * 1024, 0xff);
  blob.copy(flash, 0);
  writeFileSync(path, flash);
}

function simRun(dir: string, i: Inputs, measure: boolean): Measured {
  const tag = `${i.params.stage}-${measure ? "stage" : "base"}`;
  const entry = join(dir, `${tag}.js`);
  const flash = join(dir, `${tag}.flash`);
  writeInputs(flash, i);
  writeFileSync(entry, `import { run } from ${JSON.stringify(app)};\nrun(${String(measure)});\n`);
  const cg = join(dir, `callgrind.${tag}`);
  const r = spawnSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${cg}`, `--log-file=${join(dir, `vg.${tag}`)}`, sim, "--board", "boards/sim.json", "--flash", flash, entry],
    { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench/secagg: ${tag} exited ${r.status}: ${r.stderr}`);
  const totals = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(cg, "utf8"));
  const mem = /chunks-peak=(-?\d+) slots-peak=(-?\d+)/.exec(r.stderr);
  const line = r.stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (!totals?.[1] || !mem || !line) throw new Error(`bench/secagg: ${tag}: no counts (${r.stderr})`);
  const res = JSON.parse(line.slice(7)) as { values?: number };
  const [state, ...frames] = measure ? readEntries(readFileSync(flash), OUT) : [new Uint8Array(0)];
  return { ir: Number(totals[1]), chunks: Number(mem[1]), slots: Number(mem[2]), values: res.values ?? 0, state: state!, frames };
}

/**
 * The smallest chunk heap (bytes, to 256) and slot heap (slots, to 8) the run still completes
 * in, each with the other at the board's figure: peaks under a fixed heap only show the GC's
 * policy (it fills the heap before collecting), the smallest budget shows the need.
 */
function minimalBudget(dir: string, i: Inputs, measure: boolean): { chunks: number; slots: number } {
  const board = JSON.parse(readFileSync(join(root, "boards", "sim.json"), "utf8")) as { creation: { chunk: { initial: number }; heap: { initial: number } } };
  const tag = `${i.params.stage}-${measure ? "stage" : "base"}-min`;
  const entry = join(dir, `${tag}.js`);
  const flash = join(dir, `${tag}.flash`);
  writeFileSync(entry, `import { run } from ${JSON.stringify(app)};\nrun(${String(measure)});\n`);
  const fits = (chunks: number, slots: number) => {
    writeInputs(flash, i); // fresh inputs each run: the stage writes its output into the same file
    const b = join(dir, `${tag}.board.json`);
    writeFileSync(b, JSON.stringify({ ...board, creation: { ...board.creation, chunk: { ...board.creation.chunk, initial: chunks }, heap: { ...board.creation.heap, initial: slots } } }));
    const r = spawnSync(sim, ["--board", b, "--flash", flash, entry], { cwd: root, encoding: "utf8" });
    if (r.status !== 0 && r.status !== 3) throw new Error(`bench/secagg: ${tag} exited ${r.status}: ${r.stderr}`);
    return r.status === 0;
  };
  const search = (lo: number, hi: number, step: number, ok: (x: number) => boolean) => {
    if (!ok(hi)) throw new Error(`bench/secagg: ${tag} does not fit the board's budget`);
    while (hi - lo > step) {
      const mid = Math.floor((lo + hi) / 2 / step) * step;
      if (ok(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  };
  const c0 = board.creation.chunk.initial;
  const s0 = board.creation.heap.initial;
  return { chunks: search(0, c0, 256, (c) => fits(c, s0)), slots: search(0, s0, 8, (x) => fits(c0, x)) };
}

export async function run(): Promise<void> {
  console.log("bench secagg: one device's SecAgg+ round (6 neighbours, t = 4), each stage in the simulator (XS + mbedTLS)");
  console.log("  instructions: stage run minus the same app without the stage, callgrind on host x86-64 (a board's counts differ);");
  console.log("  heap: the smallest chunk / slot budget the stage completes in, minus the app's without the stage (board: boards/sim.json)");
  if (!existsSync(sim)) return void console.log("  skipped: build/bin/edge-peft-sim missing (run make)");
  if (spawnSync("valgrind", ["--version"]).status !== 0) return void console.log("  skipped: valgrind not installed");
  const dir = mkdtempSync(join(tmpdir(), "bench-secagg-"));
  try {
    const train = (out: string, seed: string, ...extra: string[]) => {
      execFileSync(join(root, "build", "bin", "edge-peft"), ["train", model, "--data", join(root, "data", "demo", "user_pool.bin"), "--adapter", SPEC,
        "--steps", "30", "--seed", seed, "--out", join(dir, out), ...extra], { stdio: "ignore" });
      return readFileSync(join(dir, out));
    };
    const base = train("base.epad", "1");
    const trained = train("trained.epad", "2", "--init", join(dir, "base.epad"));
    const ids = [ME, ...PEERS];
    const keys = new Map(ids.map((id) => [id, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey]));
    const directory = Object.fromEntries(ids.map((id) => [id, hex(rawPublic(keys.get(id)!))]));
    const crypto = new NodeCrypto();
    const ka = new NodeKeyAgreement();
    const node = (id: string): DeviceContext => {
      const priv = rawPrivate(keys.get(id)!);
      return { ka, crypto, id, sign: (d) => crypto.signP256(priv, d), deviceKey: (x) => (directory[x] ? raw(directory[x]!) : undefined) };
    };
    // Every peer neighbours ME and the other peers (7 devices, complete graph).
    const setup = (id: string) => ({ round: ROUND, threshold: T, neighbours: ids.filter((x) => x !== id) });
    const peerState = new Map<string, Uint8Array>();
    const peerKeys = new Map<string, Uint8Array>();
    for (const p of PEERS) {
      const o = startRound(node(p), setup(p));
      peerState.set(p, o.state);
      peerKeys.set(p, o.frames[0]!);
    }
    const input = (stage: BenchParams["stage"], state: Uint8Array, frames: Uint8Array[]): Inputs => ({
      params: { stage, id: ME, round: ROUND, threshold: T, neighbours: PEERS, samples: 80, params: PARAMS, survivors: ids.filter((x) => x !== LATE), dropped: [LATE] },
      priv: rawPrivate(keys.get(ME)!), directory, state, frames, base, trained,
    });
    type Budget = { chunks: number; slots: number };
    const rows: { stage: string; m: Measured; b: Measured; mb: Budget; bb: Budget; sent: number }[] = [];
    const measure = (stage: BenchParams["stage"], state: Uint8Array, frames: Uint8Array[]) => {
      const b = simRun(dir, input(stage, state, frames), false);
      const m = simRun(dir, input(stage, state, frames), true);
      const bb = minimalBudget(dir, input(stage, state, frames), false);
      const mb = minimalBudget(dir, input(stage, state, frames), true);
      rows.push({ stage, m, b, mb, bb, sent: m.frames.reduce((n, f) => n + f.length, 0) });
      return m;
    };
    const k = measure("keys", new Uint8Array(0), []);
    const myKey = k.frames[0]!;
    const s = measure("share", k.state, PEERS.map((p) => peerKeys.get(p)!));
    const mine = s.frames;
    // The peers share (ME's key frame among theirs) and mask; LATE shares but never masks.
    const peerShares = new Map<string, Uint8Array[]>();
    for (const p of PEERS) {
      const frames = [myKey, ...PEERS.filter((x) => x !== p).map((x) => peerKeys.get(x)!)];
      const o = shareKeys(node(p), peerState.get(p)!, frames);
      peerState.set(p, o.state);
      peerShares.set(p, [...o.frames]);
    }
    // A share frame's recipient: the name at the start of its body (after the 16-byte head and the sender id).
    const to = (id: string, f: Uint8Array) => Buffer.from(f.subarray(16 + f[7]!, 17 + f[7]! + id.length)).equals(Buffer.concat([Buffer.from([id.length]), Buffer.from(id)]));
    const m = measure("mask", s.state, PEERS.map((p) => peerShares.get(p)!.find((f) => to(ME, f))!));
    const values = m.values;
    for (const p of PEERS.filter((x) => x !== LATE)) {
      const frames = [mine.find((f) => to(p, f))!, ...PEERS.filter((x) => x !== p).map((x) => peerShares.get(x)!.find((f) => to(p, f))!)];
      const o = maskInput(node(p), peerState.get(p)!, frames, encodeUpdate((n) => ka.randomBytes(n), new Float64Array(values), 10, PARAMS));
      peerState.set(p, o.state);
    }
    measure("reveal", m.state, []);
    for (const p of PEERS.filter((x) => x !== LATE)) reveal(node(p), peerState.get(p)!, ids.filter((x) => x !== LATE), [LATE]);
    console.log(`  every frame the device sent was accepted by its neighbours (Node ports); update: ${values} values from a ${base.length}-byte EPAD adapter`);
    for (const r of rows) {
      // 0 extra chunks: the stage stays under the peak of loading the app's modules (parsed code sits in the chunk heap here).
      const chunks = r.mb.chunks > r.bb.chunks ? `+${r.mb.chunks - r.bb.chunks} B chunks` : "no chunks beyond the module load's peak";
      console.log(`  ${r.stage.padEnd(6)}: ${String(r.m.ir - r.b.ir).padStart(11)} instructions; smallest XS heap: ${chunks},`
        + ` +${r.mb.slots - r.bb.slots} slots over the app without the stage (${r.mb.chunks} B / ${r.mb.slots} slots in all); state ${r.m.state.length} B; sent ${r.sent} B in ${r.m.frames.length} frame(s)`);
    }
    const sent = rows.reduce((n, r) => n + r.sent, 0);
    console.log(`  bytes sent per round: ${sent} vs ${4 * values} B of the update as int32 words (${(sent / (4 * values)).toFixed(2)}x), ${base.length} B as an EPAD image`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
