// The workload bench/crypto measures inside the simulator: one SHA-256 over the demo adapter's
// size and one ECDSA P-256 verify, through the mbedTLS binding. Entry files written by index.ts
// call run(); what is counted is chosen by index.ts (callgrind --toggle-collect).
import { Sha256Native, publicKeyP256, signP256, verifyP256 } from "../../native/xs/crypto/crypto.js";
import { adapterBytes } from "./data.js";

const toHex = (b: ArrayBuffer): string => Array.from(new Uint8Array(b), (x) => (x | 256).toString(16).slice(1)).join("");

export function run(mode: "sha" | "verify"): void {
  const bytes = adapterBytes();
  const h = new Sha256Native();
  h.update(bytes);
  const digest = h.digest();
  if (mode === "sha") {
    console.log(`sha256 ${toHex(digest)}`);
    return;
  }
  // Key pair and signature are made before the counted call (RFC 6979 A.2.5's private key).
  const key = new Uint8Array(32);
  const hex = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
  for (let i = 0; i < 32; i++) key[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  const pub = publicKeyP256(key);
  const sig = signP256(key, digest);
  console.log(`verify ${String(verifyP256(pub, digest, sig))} ${toHex(pub)} ${toHex(sig)}`);
}
