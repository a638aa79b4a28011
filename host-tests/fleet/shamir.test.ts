// The device's Shamir sharing (firmware/fleet/shamir.ts, written here: no library on the device
// has it) against pycryptodome's Crypto.Protocol.SecretSharing.Shamir, the server's library:
// byte-identical shares when both draw the same coefficients, and pycryptodome's combine()
// rebuilds the secret from any t of the shares the device made in the simulator.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { split16, split32 } from "../../firmware/fleet/shamir.js";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** pycryptodome's split with its RNG replaced by `coeffs` (highest degree first, as it draws them). */
function pySplit(secret: string, t: number, n: number, coeffs: string): string[] {
  return runPythonJson<string[]>(`
import json, sys
from Crypto.Protocol import SecretSharing as S
req = json.load(sys.stdin)
stream = bytes.fromhex(req["coeffs"])
pos = [0]
def rng(n):
    out = stream[pos[0]:pos[0] + n]; pos[0] += n
    assert len(out) == n
    return out
S.rng = rng
print(json.dumps([s.hex() for _, s in S.Shamir.split(req["t"], req["n"], bytes.fromhex(req["secret"]))]))
`, JSON.stringify({ secret, t, n, coeffs }));
}

/** pycryptodome's combine over each listed subset of (x, share) pairs. */
function pyCombine(subsets: [number, string][][]): string[] {
  return runPythonJson<string[]>(`
import json, sys
from Crypto.Protocol.SecretSharing import Shamir
print(json.dumps([Shamir.combine([(x, bytes.fromhex(s)) for x, s in sub]).hex() for sub in json.load(sys.stdin)]))
`, JSON.stringify(subsets));
}

describe("Shamir sharing on the device vs pycryptodome", function () {
  this.timeout(120000);

  it("the same coefficients give byte-identical shares (t = 1..6, edge secrets)", () => {
    const secrets = ["00".repeat(16), "ff".repeat(16), "80" + "00".repeat(15), "00".repeat(15) + "01", hex(randomBytes(16))];
    for (const [t, n] of [[1, 1], [2, 3], [3, 5], [4, 6], [6, 6], [5, 200]] as const) {
      for (const secret of secrets) {
        const coeffs = randomBytes(16 * (t - 1));
        let at = 0;
        const fixed = (len: number) => {
          const out = new Uint8Array(coeffs.subarray(at, at + len));
          at += len;
          return out;
        };
        const ours = split16(fixed, Buffer.from(secret, "hex"), t, n).map(hex);
        assert.deepEqual(ours, pySplit(secret, t, n, coeffs.toString("hex")), `t=${t} n=${n} secret=${secret}`);
      }
    }
  });

  it("pycryptodome rebuilds 32-byte secrets from any t of the shares made in the simulator (mbedTLS randomness)", () => {
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const secret = hex(randomBytes(32));
      const r = fx.runResult("shamir.js", `import { split32 } from ${js("firmware/fleet/shamir.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
import { hex } from ${js("firmware/fleet/ascii.js")};
const ka = new NativeKeyAgreement();
const secret = new Uint8Array(${JSON.stringify(secret)}.match(/../g).map((x) => parseInt(x, 16)));
trace("RESULT " + JSON.stringify({ shares: split32((n) => ka.randomBytes(n), secret, 4, 7).map(hex) }) + "\\n");
`);
      const shares = r["shares"] as string[];
      assert.equal(shares.length, 7);
      // Every 4-subset of the 7 shares, each half through pycryptodome.
      const subsets: number[][] = [];
      for (let m = 0; m < 1 << 7; m++) {
        const s = [0, 1, 2, 3, 4, 5, 6].filter((k) => m & (1 << k));
        if (s.length === 4) subsets.push(s);
      }
      for (const half of [0, 1]) {
        const got = pyCombine(subsets.map((s) => s.map((k) => [k + 1, shares[k]!.slice(32 * half, 32 * half + 32)] as [number, string])));
        assert.equal(got.length, 35);
        for (const g of got) assert.equal(g, secret.slice(32 * half, 32 * half + 32));
      }
      // Three shares are not enough: pycryptodome's answer from them is not the secret.
      const three = pyCombine([[1, 2, 3].map((k) => [k, shares[k - 1]!.slice(0, 32)] as [number, string])]);
      assert.notEqual(three[0], secret.slice(0, 32));
    } finally {
      fx.remove();
    }
  });

  it("bad arguments are refused by name", () => {
    const r = (n: number) => new Uint8Array(n);
    assert.throws(() => split16(r, new Uint8Array(15), 2, 3), /16 bytes, got 15/);
    assert.throws(() => split16(r, new Uint8Array(16), 4, 3), /threshold 4 outside 1\.\.3/);
    assert.throws(() => split16(r, new Uint8Array(16), 1, 256), /share count 256 outside 1\.\.255/);
    assert.throws(() => split32(r, new Uint8Array(16), 1, 2), /32-byte secret/);
    assert.throws(() => split16(() => new Uint8Array(3), new Uint8Array(16), 2, 2), /too few bytes/);
  });
});
