// bench/crypto: instructions of one SHA-256 over the demo adapter (712 bytes) and one ECDSA
// P-256 verify in the simulator's mbedTLS binding (native/xs/crypto), counted by callgrind in
// the named functions only: once for the binding's calls (argument checks, copies, curve load),
// once for mbedTLS's own functions. Measured on the host x86-64 build of Debian's mbedTLS 2.28,
// not on a board. Prints figures; node:crypto checks what the simulator computed.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, createPublicKey, verify } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ADAPTER_BYTES, adapterBytes } from "./data.js";

const root = fileURLToPath(new URL("../../../../", import.meta.url));
const sim = join(root, "build/bin/edge-peft-sim");
const app = fileURLToPath(new URL("./app.js", import.meta.url));

// Nested toggles would switch collection off inside each other: one run per list.
const COUNTED = {
  shaBinding: ["xs_crypto_sha256", "xs_crypto_sha256_update", "xs_crypto_sha256_digest"],
  shaLibrary: ["mbedtls_sha256_starts_ret", "mbedtls_sha256_update_ret", "mbedtls_sha256_finish_ret"],
  verifyBinding: ["xs_crypto_verifyP256"],
  verifyLibrary: ["mbedtls_ecdsa_verify"],
} as const;

function count(dir: string, mode: "sha" | "verify", fns: readonly string[], tag: string): { ir: number; printed: string } {
  const entry = join(dir, `entry-${mode}.js`);
  const out = join(dir, `callgrind.${tag}`);
  writeFileSync(entry, `import { run } from ${JSON.stringify(app)};\nrun(${JSON.stringify(mode)});\n`);
  const printed = execFileSync(
    "valgrind",
    ["--tool=callgrind", `--callgrind-out-file=${out}`, ...fns.map((f) => `--toggle-collect=${f}`), sim, "--board", "boards/sim.json", entry],
    { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const totals = /^(?:totals|summary):\s*(\d+)/m.exec(readFileSync(out, "utf8"));
  if (!totals?.[1]) throw new Error(`bench/crypto: no totals in ${out}`);
  return { ir: Number(totals[1]), printed: printed.trim() };
}

/** The simulator's digest and verdict, checked by node:crypto (its own SHA-256 and ECDSA). */
function checked(sha: string, ver: string): string {
  const digest = createHash("sha256").update(adapterBytes()).digest("hex");
  const [, verdict, pubHex, sigHex] = ver.split(" ");
  const pub = Buffer.from(pubHex ?? "", "hex");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: pub.subarray(1, 33).toString("base64url"), y: pub.subarray(33).toString("base64url") },
    format: "jwk",
  });
  const nodeOk = verify("sha256", adapterBytes(), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(sigHex ?? "", "hex"));
  const ok = sha === `sha256 ${digest}` && verdict === "true" && nodeOk;
  return ok ? "digest and verdict agree with node:crypto" : `MISMATCH: ${sha} / ${ver} (node verifies: ${String(nodeOk)})`;
}

export async function run(): Promise<void> {
  console.log(`bench crypto: SHA-256 of ${ADAPTER_BYTES} bytes (the demo adapter) and one ECDSA P-256 verify, mbedTLS 2.28 via xsmc`);
  console.log("  measured on the host x86-64 build of mbedTLS (Debian libmbedcrypto), under callgrind; a board's counts differ");
  if (!existsSync(sim)) {
    console.log("  skipped: build/bin/edge-peft-sim missing (run make)");
    return;
  }
  if (spawnSync("valgrind", ["--version"], { encoding: "utf8" }).status !== 0) {
    console.log("  skipped: valgrind not installed");
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "bench-crypto-"));
  try {
    const shaBinding = count(dir, "sha", COUNTED.shaBinding, "sha-binding");
    const shaLibrary = count(dir, "sha", COUNTED.shaLibrary, "sha-library");
    const verifyBinding = count(dir, "verify", COUNTED.verifyBinding, "verify-binding");
    const verifyLibrary = count(dir, "verify", COUNTED.verifyLibrary, "verify-library");
    console.log(`  ${checked(shaBinding.printed, verifyBinding.printed)}`);
    console.log(`  instructions SHA-256 (${ADAPTER_BYTES} B): ${shaBinding.ir} in the binding's calls, ${shaLibrary.ir} in mbedTLS (${(shaLibrary.ir / ADAPTER_BYTES).toFixed(1)} per byte)`);
    console.log(`  instructions P-256 verify: ${verifyBinding.ir} in the binding's call (curve load, key decode and check, verify), ${verifyLibrary.ir} in mbedtls_ecdsa_verify`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
