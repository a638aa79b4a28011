// The device's exact discrete Gaussian sampler (firmware/fleet/discrete-gaussian.ts) in the
// simulator (XS, randomness from the KeyAgreement port: mbedTLS CTR_DRBG): histograms of many
// draws against the exact pmf computed with numpy (chi-square and KS against scipy's critical
// values at 0.1%, mean and variance); the same counts against a slightly different sigma are
// rejected, so the test can fail; byte for byte the Python sampler of the virtual devices on a
// replayed stream; and the noise a device puts on its encoded update has the round's variance.
import assert from "node:assert/strict";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";

const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
const SERVER = JSON.stringify(join(repoRoot, "fleet-server"));

interface Fit { chi2: number; chi2Critical: number; df: number; ks: number; ksCritical: number; meanZ: number; varZ: number }

/** Goodness of fit of integer counts to N_Z(0, p/q), computed with numpy/scipy from the exact pmf. */
function fit(counts: Record<string, number>, variance: string): Fit {
  return runPythonJson<Fit>(`
import json, sys
from fractions import Fraction
import numpy as np
from scipy import stats
req = json.load(sys.stdin)
s2 = float(Fraction(req["variance"]))
counts = {int(k): v for k, v in req["counts"].items()}
n = sum(counts.values())
w = int(60 * s2 ** 0.5) + 10
xs = np.arange(-w, w + 1)
logp = -xs.astype(np.float64) ** 2 / (2 * s2)
pmf = np.exp(logp - logp.max()); pmf /= pmf.sum()
assert all(abs(k) <= w for k in counts)
obs = np.array([counts.get(int(x), 0) for x in xs], dtype=np.float64)
exp = pmf * n
# pool the tails until every bin expects >= 5
order = np.argsort(-exp); keep = exp >= 5
o = list(obs[keep]) + [obs[~keep].sum()]; e = list(exp[keep]) + [exp[~keep].sum()]
chi2 = float(sum((a - b) ** 2 / b for a, b in zip(o, e)))
df = len(o) - 1
ks = float(np.max(np.abs(np.cumsum(obs) / n - np.cumsum(pmf))))
mean = float((xs * pmf).sum()); var = float((xs ** 2 * pmf).sum()); mu4 = float((xs ** 4 * pmf).sum())
m = float((xs * obs).sum() / n); v = float((xs ** 2 * obs).sum() / n - m * m)
print(json.dumps({"chi2": chi2, "chi2Critical": float(stats.chi2.ppf(0.999, df)), "df": df, "ks": ks,
  # the continuous-case KS critical value is conservative for a discrete law
  "ksCritical": float(stats.kstwo.ppf(0.999, n)),
  "meanZ": (m - mean) / (var / n) ** 0.5, "varZ": (v - var) / ((mu4 - var * var) / n) ** 0.5}))
`, JSON.stringify({ counts, variance }));
}

describe("discrete Gaussian sampler (CKS 2020) on the device", () => {
  const fx = new Fixture();
  after(() => fx.remove());

  /** Runs an app on the board, its printed lines starting with `tag ` (the board's heap holds no big result). */
  const lines = (name: string, text: string, tag: string): string[] => {
    const r = fx.run(["--board", "boards/sim.json", "--", fx.write(name, text)]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split("\n").filter((l) => l.startsWith(tag + " ")).map((l) => l.slice(tag.length + 1));
  };

  const histograms = (cases: { variance: string; draws: number; bound: number }[]) => {
    const out = lines("hist.js", `import { DiscreteGaussian, RandomStream, parseVariance } from ${js("firmware/fleet/discrete-gaussian.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
const ka = new NativeKeyAgreement();
const rs = new RandomStream((n) => ka.randomBytes(n));
for (const c of ${JSON.stringify(cases)}) {
  const g = new DiscreteGaussian(parseVariance(c.variance));
  // counts of -bound..bound; a draw outside is printed on its own (the fit then fails on it)
  const counts = new Int32Array(2 * c.bound + 1);
  for (let i = 0; i < c.draws; i++) {
    const x = Number(g.sample(rs));
    if (x < -c.bound || x > c.bound) trace("H " + x + ":1\\n"); else counts[x + c.bound]++;
  }
  let line = [];
  for (let k = 0; k < counts.length; k++) {
    if (counts[k]) line.push((k - c.bound) + ":" + counts[k]);
    if (line.length === 200 || (k === counts.length - 1 && line.length)) { trace("H " + line.join(",") + "\\n"); line = []; }
  }
  trace("H END\\n");
}
`, "H");
    const hs: Record<string, number>[] = [{}];
    for (const l of out) {
      if (l === "END") { hs.push({}); continue; }
      for (const kv of l.split(",")) {
        const [k, v] = kv.split(":");
        const h = hs[hs.length - 1]!;
        h[k!] = (h[k!] ?? 0) + Number(v);
      }
    }
    return hs.slice(0, cases.length);
  };

  it("draws in the simulator fit the exact pmf (chi-square, KS, mean, variance); a wrong sigma is rejected", function () {
    this.timeout(300000);
    // sigma 1.5 (the small path), sigma ~ 458 (Laplace scale 458), a variance with a large denominator
    const cases = [{ variance: "9/4", draws: 200000, bound: 100 }, { variance: "1/3", draws: 100000, bound: 100 }, { variance: "4194305/20", draws: 60000, bound: 6000 }];
    const hs = histograms(cases);
    cases.forEach((c, i) => {
      const f = fit(hs[i]!, c.variance);
      assert.ok(f.chi2 < f.chi2Critical, `${c.variance}: chi2 ${f.chi2} (df ${f.df}) >= ${f.chi2Critical}`);
      assert.ok(f.ks < f.ksCritical, `${c.variance}: KS ${f.ks} >= ${f.ksCritical}`);
      assert.ok(Math.abs(f.meanZ) < 4, `${c.variance}: mean off by ${f.meanZ} standard errors`);
      assert.ok(Math.abs(f.varZ) < 4, `${c.variance}: variance off by ${f.varZ} standard errors`);
    });
    // Power: the 200,000 draws at sigma^2 = 2.25 are rejected against sigma^2 = 2.35 (4% off).
    const wrong = fit(hs[0]!, "47/20");
    assert.ok(wrong.chi2 > wrong.chi2Critical, `chi2 ${wrong.chi2} against the wrong variance`);
  });

  it("byte for byte the Python sampler on the same random stream, small and BigInt paths", function () {
    this.timeout(120000);
    const variances = ["9/4", "1/3", "4194305/20", "123456789012345/7", "1"];
    const sim = lines("replay.js", `import { DiscreteGaussian, RandomStream, parseVariance } from ${js("firmware/fleet/discrete-gaussian.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
const ka = new NativeKeyAgreement();
${JSON.stringify(variances)}.forEach((v, i) => {
  // a ChaCha20 keystream of a fixed key, so Python can replay the bytes
  const key = new Uint8Array(32).fill(i + 1);
  let block = 0;
  const random = (n) => { const b = ka.chacha20(key, new Uint8Array(12), block, new Uint8Array(n)); block += n / 64; return b; };
  const rs = new RandomStream(random);
  const g = new DiscreteGaussian(parseVariance(v));
  for (let k = 0; k < 10; k++) trace("S " + Array.from({ length: 200 }, () => String(g.sample(rs))).join(",") + "\\n");
});
`, "S").reduce<string[][]>((acc, l, k) => { if (k % 10 === 0) acc.push([]); acc[acc.length - 1]!.push(...l.split(",")); return acc; }, []);
    const py = runPythonJson<string[][]>(`
import json, sys
sys.path.insert(0, ${SERVER})
from fractions import Fraction
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from discrete_gaussian import DiscreteGaussian, RandomStream
out = []
for i, v in enumerate(json.load(sys.stdin)):
    enc = Cipher(algorithms.ChaCha20(bytes([i + 1]) * 32, bytes(16)), mode=None).encryptor()
    rs = RandomStream(lambda n: enc.update(bytes(n)))
    g = DiscreteGaussian(Fraction(v))
    out.append([str(g.sample(rs)) for _ in range(2000)])
print(json.dumps(out))
`, JSON.stringify(variances));
    assert.deepEqual(sim, py);
    // The large variance really drew large values (the BigInt acceptance path ran).
    assert.ok(sim[3]!.some((x) => Math.abs(Number(x)) > 2 ** 22), "no draw beyond 2^22 at sigma ~ 4.2e6");
  });

  it("noise on an encoded update: the difference from the plain encoding has the round's variance", function () {
    this.timeout(300000);
    // The round: z = 1.3, clip S = 0.5 on the grid gamma = S / 1024, 20 devices.
    const z = 1.3, clipSteps = 1024, devices = 20, d = 20000, parts = 10;
    const variance = runPythonJson<string>(`
import json, sys
sys.path.insert(0, ${SERVER})
from discrete_gaussian import local_variance
print(json.dumps(str(local_variance(${z}, ${clipSteps}, ${devices}))))
`);
    // Ten updates of 2,000 values (each fits the board's heap); rounding coins from a ChaCha20
    // keystream Python replays, noise from the port's generator; the noised words printed in lines.
    const r = fx.run(["--board", "boards/sim.json", "--", fx.write("noised.js", `import { encodeUpdate } from ${js("firmware/fleet/update-encoding.js")};
import { addDiscreteGaussian, parseVariance } from ${js("firmware/fleet/discrete-gaussian.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
const ka = new NativeKeyAgreement();
const variance = parseVariance(${JSON.stringify(variance)});
for (let u = 0; u < ${parts}; u++) {
  const values = new Float64Array(${d / parts});
  for (let k = 0; k < values.length; k++) values[k] = (((k * 7919 + u) % 2001) - 1000) / 1048576;
  const coins = ka.chacha20(new Uint8Array(32).fill(u + 1), new Uint8Array(12), 0, new Uint8Array(4 * values.length));
  const enc = encodeUpdate(() => coins, values, 40, { clip: 0.5, step: 0.5 / ${clipSteps}, sampleCap: 50, maxDevices: 1000 });
  const noised = addDiscreteGaussian((n) => ka.randomBytes(n), enc, variance);
  for (let at = 0; at < noised.length; at += 250) trace("W " + u + " " + noised.subarray(at, at + 250).join(",") + "\\n");
}
`)]);
    assert.equal(r.status, 0, r.stderr);
    const words: number[][] = Array.from({ length: parts }, () => []);
    for (const l of r.stdout.split("\n").filter((x) => x.startsWith("W "))) {
      const [, u, list] = l.split(" ");
      words[Number(u)]!.push(...list!.split(",").map(Number));
    }
    const got = runPythonJson<{ mean: number; var: number; target: number; sd: number; kurt: number; weight: boolean }>(`
import json, sys
sys.path.insert(0, ${SERVER})
from fractions import Fraction
import numpy as np
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms
from update_encoding import encode_update
req = json.load(sys.stdin)
diffs, weight = [], True
for u, noised in enumerate(req["words"]):
    m = len(noised) - 1
    values = [(((k * 7919 + u) % 2001) - 1000) / 1048576 for k in range(m)]
    coins = Cipher(algorithms.ChaCha20(bytes([u + 1]) * 32, bytes(16)), mode=None).encryptor().update(bytes(4 * m))
    plain = encode_update(values, 40, 0.5, 0.5 / ${clipSteps}, 50, coins)
    diffs += [((a - b + (1 << 31)) % (1 << 32)) - (1 << 31) for a, b in zip(noised[:-1], plain[:-1])]
    weight = weight and noised[-1] == plain[-1] == 40
diff = np.array(diffs, dtype=np.float64)
s2 = float(Fraction(req["variance"]))
print(json.dumps({"mean": float(diff.mean()), "var": float(diff.var()), "target": s2,
  "sd": (2 * s2 * s2 / len(diff)) ** 0.5, "kurt": float(((diff - diff.mean()) ** 4).mean() / diff.var() ** 2),
  "weight": weight}))
`, JSON.stringify({ words, variance }));
    assert.ok(got.weight, "the weight word changed");
    // sigma^2 / n = (1.3 * 1024)^2 / 20 = 88,604 steps^2
    assert.ok(Math.abs(got.target - (z * clipSteps) ** 2 / devices) < 1 / devices, String(got.target));
    assert.ok(Math.abs(got.var - got.target) < 4 * got.sd, `variance ${got.var}, expected ${got.target} +- ${got.sd}`);
    assert.ok(Math.abs(got.mean) < 4 * Math.sqrt(got.target / d), `mean ${got.mean}`);
    assert.ok(Math.abs(got.kurt - 3) < 0.2, `kurtosis ${got.kurt}`);
  });
});
