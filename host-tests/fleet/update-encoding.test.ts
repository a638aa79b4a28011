// The update encoding (weight, clip, stochastic rounding into Z_2^32): in the simulator with a
// fixed coin stream, word for word against the Python emulation of devices
// (fleet-server/update_encoding.py); with node:crypto's generator, the clip bound, unbiased
// rounding measured over many draws, and bad updates or parameters refused by name.
import assert from "node:assert/strict";
import { encodeUpdate, MAX_VALUES, UpdateError } from "../../firmware/fleet/update-encoding.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { join } from "node:path";
import { Fixture } from "../sim/harness.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";

const ka = new NodeKeyAgreement();
const random = (n: number) => ka.randomBytes(n);
const P = { clip: 1.0, step: 1 / 256, sampleCap: 100, maxDevices: 10000 };
const int32 = (w: Uint32Array) => Array.from(w, (x) => x | 0);

describe("update encoding: clip, weight, stochastic rounding", () => {
  it("in the simulator, word for word the Python emulation's with the same coins", function () {
    this.timeout(60000);
    // Values of every sign and size, over the clip and under it, on and off the grid.
    const cases = [
      { values: Array.from({ length: 300 }, (_, k) => Math.sin(k * 1.7) * (k % 7 === 0 ? 3 : 0.01)), samples: 37, clip: 1.5, step: 1 / 1024, cap: 50 },
      { values: Array.from({ length: 64 }, (_, k) => (k - 32) / 512), samples: 400, clip: 10, step: 1 / 512, cap: 100 },
      { values: [1e-9, -1e-9, 0, 5], samples: 1, clip: 0.5, step: 1e-4, cap: 3 },
    ];
    const fx = new Fixture();
    try {
      const js = (p: string) => JSON.stringify(join(repoRoot, "build", "js", p));
      const r = fx.runResult("enc.js", `import { encodeUpdate } from ${js("firmware/fleet/update-encoding.js")};
import { NativeKeyAgreement } from ${js("firmware/platform/sim/native-key-agreement.js")};
import { hex } from ${js("firmware/fleet/ascii.js")};
const ka = new NativeKeyAgreement();
// The coins: a ChaCha20 keystream of a fixed key, so the host can replay them.
const key = new Uint8Array(32).fill(7);
const out = ${JSON.stringify(cases)}.map((c, i) => {
  const coins = ka.chacha20(key, new Uint8Array(12).fill(i), 0, new Uint8Array(4 * c.values.length));
  let used = 0;
  const random = (n) => { const b = coins.subarray(used, used + n); used += n; return b; };
  return { words: Array.from(encodeUpdate(random, c.values, c.samples, { clip: c.clip, step: c.step, sampleCap: c.cap, maxDevices: 10 })), coins: hex(coins) };
});
trace("RESULT " + JSON.stringify({ out }) + "\\n");
`);
      const sim = r["out"] as { words: number[]; coins: string }[];
      const py = runPythonJson<number[][]>(`
import json, sys
sys.path.insert(0, ${JSON.stringify(join(repoRoot, "fleet-server"))})
from update_encoding import encode_update
req = json.load(sys.stdin)
print(json.dumps([encode_update(c["values"], c["samples"], c["clip"], c["step"], c["cap"], bytes.fromhex(co)) for c, co in zip(req["cases"], req["coins"])]))
`, JSON.stringify({ cases, coins: sim.map((s) => s.coins) }));
      assert.deepEqual(sim.map((s) => s.words), py);
      // Not vacuous: in the first case (clipped: norm > 1.5) the coins sent values both ways.
      const c = cases[0]!;
      const norm = Math.sqrt(c.values.reduce((a, x) => a + x * x, 0)) * (37 / 50); // of the weighted update
      assert.ok(norm > c.clip);
      const exact = c.values.map((x) => (x * (37 / 50) * (c.clip / norm)) / c.step);
      const up = sim[0]!.words.slice(0, 300).filter((x, k) => (x | 0) > Math.floor(exact[k]!)).length;
      assert.ok(up > 30 && up < 270, `${up} of 300 rounded up`);
    } finally {
      fx.remove();
    }
  });

  it("a vector inside the clip on the grid stays exact; its weight word is min(n, cap)", () => {
    const u = [0.5, -0.25, 0, 1 / 256, -3 / 256];
    const e = encodeUpdate(random, u, 250, P);
    assert.deepEqual(int32(e), [128, -64, 0, 1, -3, 100]);
    // 25 samples: weight 1/4, so (32, -16, 0, 0.25, -0.75) steps; the last two are rounded.
    const q = int32(encodeUpdate(random, u, 25, P));
    assert.deepEqual(q.slice(0, 3), [32, -16, 0]);
    assert.ok(q[3] === 0 || q[3] === 1, String(q[3]));
    assert.ok(q[4] === -1 || q[4] === 0, String(q[4]));
    assert.equal(q[5], 25);
  });

  it("an update over the clip is scaled to L2 = S before rounding", () => {
    // (3, 4) has norm 5: clipped to (0.6, 0.8) = (153.6, 204.8) steps.
    for (let n = 0; n < 50; n++) {
      const [a, b] = int32(encodeUpdate(random, [3, 4], 100, P));
      assert.ok(a === 153 || a === 154, String(a));
      assert.ok(b === 204 || b === 205, String(b));
    }
  });

  it("rounding is unbiased: the mean of 20,000 encodings of 0.3 steps is 0.3 (within 4 sigma)", () => {
    const n = 20000;
    const e = encodeUpdate(random, new Array<number>(n).fill(0.3 / 256), 100, P);
    let ones = 0;
    for (let k = 0; k < n; k++) {
      assert.ok(e[k] === 0 || e[k] === 1, String(e[k]));
      ones += e[k]!;
    }
    const sigma = Math.sqrt(n * 0.3 * 0.7);
    assert.ok(Math.abs(ones - 0.3 * n) < 4 * sigma, `${ones} of ${n}`);
    // Negative values round between floor and ceiling too, in two's complement.
    const neg = int32(encodeUpdate(random, new Array<number>(1000).fill(-2.5 / 256), 100, P)).slice(0, 1000);
    assert.ok(neg.every((x) => x === -3 || x === -2) && neg.includes(-3) && neg.includes(-2));
  });

  it("refuses malformed or oversized updates and parameters that could wrap, by name", () => {
    const code = (f: () => unknown) => {
      try {
        f();
        return "accepted";
      } catch (e) {
        assert.ok(e instanceof UpdateError, String(e));
        return e.code;
      }
    };
    assert.equal(code(() => encodeUpdate(random, [], 10, P)), "empty");
    assert.equal(code(() => encodeUpdate(random, new Float64Array(MAX_VALUES + 1), 10, P)), "too-long");
    assert.equal(code(() => encodeUpdate(random, [1, NaN], 10, P)), "not-finite");
    assert.equal(code(() => encodeUpdate(random, [Infinity], 10, P)), "not-finite");
    assert.equal(code(() => encodeUpdate(random, [1e200, 1e200], 10, P)), "not-finite");
    assert.equal(code(() => encodeUpdate(random, [1], 0, P)), "bad-samples");
    assert.equal(code(() => encodeUpdate(random, [1], 2.5, P)), "bad-samples");
    assert.equal(code(() => encodeUpdate(random, [1], 10, { ...P, step: 0 })), "bad-params");
    assert.equal(code(() => encodeUpdate(random, [1], 10, { ...P, sampleCap: 0 })), "bad-params");
    assert.equal(code(() => encodeUpdate(random, [1], 10, { ...P, step: 1e-6, maxDevices: 100000 })), "may-wrap");
    assert.equal(code(() => encodeUpdate(random, new Float64Array(MAX_VALUES), 10, P)), "accepted");
  });
});
