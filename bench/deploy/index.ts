// bench/deploy: what a signed adapter delta costs a device. Bytes on the air (delta vs the model a
// full update would ship), flash for the deploy area (provisioning, boot state, two payload
// slots) on each board profile, and the instructions a device spends verifying a delta as it
// streams in: the whole DeltaVerifier run in the simulator (XS + mbedTLS) minus the same app
// without the verifier, and the part spent inside the mbedTLS binding. Host x86-64 counts under
// callgrind; a board's differ.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { layoutDeploy } from "../../firmware/deploy/deploy-layout.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const js = (p: string) => join(root, "build", "js", p);
const cliBin = join(root, "build", "bin", "edge-peft");
const sim = join(root, "build", "bin", "edge-peft-sim");
const cli = join(root, "tools", "edge-peft.js");
const shared = join(root, "..", "shared", "models");

interface Case { name: string; model: string; spec: string; data: () => Buffer }

function personSamples(): Buffer {
  const rec = (file: string, label: number) => {
    const raw = readFileSync(join(shared, "inputs", file));
    const offset = raw.readUInt32LE(10);
    const out = Buffer.alloc(1 + 96 * 96);
    out[0] = label;
    for (let row = 0; row < 96; row++) for (let c = 0; c < 96; c++) out[1 + row * 96 + c] = (raw[offset + (95 - row) * 96 + c]! - 128) & 0xff;
    return out;
  };
  return Buffer.concat([rec("person.bmp", 1), rec("no_person.bmp", 0)]);
}

const CASES: Case[] = [
  { name: "digits MLP, LoRA r4 + biases", model: join(root, "data", "demo", "digits_mlp_int8.tflite"), spec: "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1",
    data: () => readFileSync(join(root, "data", "demo", "user_pool.bin")) },
  { name: "person_detect, LoRA r8 on the last two 1x1 layers", model: join(shared, "person_detect.tflite"), spec: "lora:rank=8,alpha=8,layers=-2..-1", data: personSamples },
];

function verifyApp(dir: string, delta: string, c: Case, fleetPubHex: string, verify: boolean): string {
  const path = join(dir, `verify-${verify ? "on" : "off"}.js`);
  const sha = createHash("sha256").update(readFileSync(c.model)).digest("hex");
  writeFileSync(path, `import { DeltaVerifier } from "${js("firmware/deploy/delta-verifier.js")}";
import { NativeCrypto } from "${js("firmware/platform/sim/native-crypto.js")}";
import { SimResource } from "${js("firmware/platform/sim/sim-engine-resource.js")}";
const hex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const bytes = new Uint8Array(new SimResource(${JSON.stringify(delta)}));
const v = new DeltaVerifier(new NativeCrypto(), { modelSha256: hex("${sha}"), spec: ${JSON.stringify(c.spec)}, counter: 0,
  maxPayload: 65536, fleetKey: hex("${fleetPubHex}") }, { begin() {}, write() {} });
let n = 0;
for (let at = 0; at < bytes.length; at += 256) { const chunk = bytes.subarray(at, at + 256); n += chunk.length; ${verify ? "v.push(chunk);" : ""} }
${verify ? 'v.finish(); trace("verified " + n + "\\n");' : 'trace("read " + n + "\\n");'}
`);
  return path;
}

function instructions(dir: string, entry: string, tag: string, toggles: string[] = []): number {
  const out = join(dir, `callgrind.${tag}`);
  execFileSync("valgrind", ["--tool=callgrind", `--callgrind-out-file=${out}`, ...toggles.map((f) => `--toggle-collect=${f}`), sim, "--board", "boards/esp32s3.json", entry],
    { cwd: root, stdio: ["ignore", "pipe", "ignore"] });
  const totals = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(out, "utf8"));
  if (!totals?.[1]) throw new Error(`bench/deploy: no totals in ${out}`);
  return Number(totals[1]);
}

export async function run(): Promise<void> {
  console.log("bench deploy: signed adapter deltas (EPDL v1) against full model updates, deploy flash, device verify cost");
  if (!existsSync(cliBin) || !existsSync(sim)) {
    console.log("  skipped: build/bin missing (run make)");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-deploy-"));
  try {
    execFileSync(process.execPath, [cli, "delta", "keygen", "--out", join(dir, "fleet")], { stdio: "ignore" });
    const pubDer = execFileSync("openssl", ["pkey", "-pubin", "-in", join(dir, "fleet.pub"), "-outform", "DER"]);
    const fleetPubHex = Buffer.from(pubDer.subarray(pubDer.length - 65)).toString("hex");
    const valgrind = spawnSync("valgrind", ["--version"]).status === 0;
    for (const [i, c] of CASES.entries()) {
      if (!existsSync(c.model)) {
        console.log(`  ${c.name}: skipped (${c.model} missing)`);
        continue;
      }
      const data = join(dir, `data${i}.bin`);
      writeFileSync(data, c.data());
      const adapter = join(dir, `a${i}.epad`);
      execFileSync(cliBin, ["train", c.model, "--data", data, "--adapter", c.spec, "--steps", "2", "--seed", "1", "--out", adapter], { stdio: "ignore" });
      const delta = join(dir, `d${i}.epdl`);
      execFileSync(process.execPath, [cli, "delta", "sign", "--key", join(dir, "fleet.key"), "--model", c.model, "--adapter", adapter, "--spec", c.spec,
        "--version", "2", "--sequence", "2", "--out", delta], { stdio: "ignore" });
      const modelBytes = readFileSync(c.model).length;
      const deltaBytes = readFileSync(delta).length;
      const adapterBytes = readFileSync(adapter).length;
      console.log(`  ${c.name}: delta ${deltaBytes} B (adapter ${adapterBytes} B + ${deltaBytes - adapterBytes} B header, spec, signature) vs model ${modelBytes} B: ${(100 * deltaBytes / modelBytes).toFixed(2)}% of a full update`);
      if (!valgrind) continue;
      const on = instructions(dir, verifyApp(dir, delta, c, fleetPubHex, true), `on${i}`);
      const off = instructions(dir, verifyApp(dir, delta, c, fleetPubHex, false), `off${i}`);
      const crypto = instructions(dir, verifyApp(dir, delta, c, fleetPubHex, true), `crypto${i}`,
        ["xs_crypto_sha256", "xs_crypto_sha256_update", "xs_crypto_sha256_digest", "xs_crypto_verifyP256"]);
      console.log(`    device verify, streamed in 256 B chunks: ${on - off} instructions in all (XS + mbedTLS), ${crypto} of them in the mbedTLS binding (SHA-256 + one P-256 verify)`);
    }
    console.log("  deploy area flash (provisioning A/B + boot state A/B + two payload slots), slot capacity 8192 B:");
    for (const board of ["esp32", "esp32s3", "nrf52840", "sim"]) {
      const profile = JSON.parse(readFileSync(join(root, "boards", `${board}.json`), "utf8")) as { storage: { sectorBytes: number; sectors: number } };
      const sector = profile.storage.sectorBytes;
      const layout = layoutDeploy({ blockSize: sector, byteLength: 1 << 30 }, 0, 8192);
      console.log(`    ${board}: ${layout.endSector} sectors of ${sector} B = ${layout.endSector * sector} B (${layout.slotCapacity} B per payload slot)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
