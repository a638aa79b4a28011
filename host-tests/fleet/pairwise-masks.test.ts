// Pairwise secure-aggregation masks computed by five devices inside the simulator (mbedTLS),
// checked against an independent server-side implementation (fleet-server/pairwise_masks.py on
// Python's cryptography) and against the property that makes them useful: they cancel in the sum.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { join } from "node:path";
import { p256 } from "@noble/curves/nist.js";
import { Fixture } from "../sim/harness.js";
import { python, repoRoot } from "../support/paths.js";

const N = 300;
const ROUND = 7;

describe("secure aggregation: pairwise masks on the device", function () {
  this.timeout(120000);
  const ids = ["dev-00", "dev-01", "dev-02", "dev-03", "dev-04"];
  // A ring of neighbours (each masks with the two next to it), as SecAgg+ picks ~log n of them.
  const neighbours: Record<string, string[]> = Object.fromEntries(ids.map((id, i) => [id, [ids[(i + 1) % 5]!, ids[(i + 4) % 5]!]]));
  const devices = ids.map((id) => {
    const d = Buffer.from(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "jwk" }).d!, "base64url");
    return { id, private: d.toString("hex"), public: Buffer.from(p256.getPublicKey(d, false)).toString("hex"),
      update: Array.from(new Uint32Array(randomBytes(4 * N).buffer)) };
  });
  let simMasked: Record<string, number[]>;

  before(() => {
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      simMasked = {};
      // One simulator run per device, holding only what that device holds: its key, its update
      // and its neighbours' public keys.
      for (const d of devices) {
        const peers = neighbours[d.id]!.map((p) => ({ id: p, public: devices.find((x) => x.id === p)!.public }));
        const r = fx.runResult(`mask-${d.id}.js`, `import { maskUpdate } from ${js("firmware/fleet/pairwise-masks.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
const bytes = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
const peers = ${JSON.stringify(peers)}.map((p) => ({ id: p.id, publicKey: bytes(p.public) }));
const masked = maskUpdate(new NativeKeyAgreement(), Uint32Array.from(${JSON.stringify(d.update)}), bytes(${JSON.stringify(d.private)}), ${JSON.stringify(d.id)}, peers, ${ROUND});
trace("RESULT " + JSON.stringify({ masked: Array.from(masked) }) + "\\n");
`);
        simMasked[d.id] = r["masked"] as number[];
      }
    } finally {
      fx.remove();
    }
  });

  it("every masked vector equals the server's independent derivation (Python cryptography: ECDH, HKDF, ChaCha20)", () => {
    const r = spawnSync(python, [join(repoRoot, "fleet-server", "pairwise_masks.py")], {
      input: JSON.stringify({ round: ROUND, devices, neighbours }), encoding: "utf8", maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr);
    const ref = (JSON.parse(r.stdout) as { masked: Record<string, number[]> }).masked;
    for (const id of ids) assert.deepEqual(simMasked[id], ref[id], id);
  });

  it("masks hide each update and cancel in the sum mod 2^32", () => {
    const sum = new Uint32Array(N);
    const truth = new Uint32Array(N);
    for (const d of devices) {
      const masked = simMasked[d.id]!;
      assert.equal(masked.length, N);
      const same = masked.filter((v, i) => v === d.update[i]).length;
      assert.ok(same < 3, `${d.id}: ${same} of ${N} words unmasked`);
      for (let i = 0; i < N; i++) {
        sum[i] = (sum[i]! + masked[i]!) >>> 0;
        truth[i] = (truth[i]! + d.update[i]!) >>> 0;
      }
    }
    assert.deepEqual(Array.from(sum), Array.from(truth));
  });

  it("another round gives other masks (the round is bound into every seed)", () => {
    const r = spawnSync(python, [join(repoRoot, "fleet-server", "pairwise_masks.py")], {
      input: JSON.stringify({ round: ROUND + 1, devices, neighbours }), encoding: "utf8", maxBuffer: 1 << 24 });
    assert.equal(r.status, 0, r.stderr);
    const next = (JSON.parse(r.stdout) as { masked: Record<string, number[]> }).masked;
    for (const id of ids) assert.ok(next[id]!.filter((v, i) => v === simMasked[id]![i]).length < 3, id);
  });
});
