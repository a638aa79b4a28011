// EPRD v2 setup requests: the server's writer (fleet-server/edge_peft_fleet/frames.py) against
// the device's reader (firmware/fleet/round-frames.ts), the noise variance field above all.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { decodeRoundRequest, decodeSetup, RoundFrameError, Stage } from "../../firmware/fleet/round-frames.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { rawPublic } from "../../tools/delta/keys.js";
import { repoRoot } from "../support/paths.js";
import { runPythonJson } from "../support/python.js";

const crypto = new NodeCrypto();
const code = (f: () => unknown) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    if (!(e instanceof RoundFrameError)) throw e;
    return e.code;
  }
};

describe("round requests (EPRD v2): the server's setup as the device reads it", () => {
  const fleet = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pem = fleet.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
  const neighbour = hex(rawPublic(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey));
  const made = runPythonJson<{ requests: Record<string, string>; refused: string[] }>(`
import json, sys
sys.path.insert(0, ${JSON.stringify(`${repoRoot}/fleet-server`)})
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from edge_peft_fleet import frames
a = json.load(sys.stdin)
key = load_pem_private_key(a["pem"].encode(), None)
out = {"requests": {}, "refused": []}
for noise in ["", "39171819727/25", "7"]:
    p = frames.Params(0.17, 0.17 / 131072, 8, 1000, 0, 426, 4, bytes(range(32)), noise)
    out["requests"][noise] = frames.request(frames.SETUP, 3, 1, "dev-001", frames.setup_body(p, [("dev-002", bytes.fromhex(a["key"]))]), key).hex()
for noise in ["1.5", "-3", "1/2/3"]:
    try:
        frames.setup_body(frames.Params(0.17, 1e-6, 8, 1000, 0, 426, 4, bytes(32), noise), [("dev-002", bytes.fromhex(a["key"]))])
    except frames.FrameError as e:
        out["refused"].append(e.code)
print(json.dumps(out))`, JSON.stringify({ pem, key: neighbour }));

  function setupOf(noise: string) {
    const f = decodeRoundRequest(crypto, Buffer.from(made.requests[noise]!, "hex"), rawPublic(fleet.publicKey));
    assert.equal(f.stage, Stage.setup);
    assert.equal(f.round, 3);
    return decodeSetup(f.body, "dev-001");
  }

  it("carries the noise variance as p/q, or none", () => {
    assert.equal(setupOf("").noise, undefined);
    assert.deepEqual(setupOf("39171819727/25").noise, { num: 39171819727n, den: 25n });
    assert.deepEqual(setupOf("7").noise, { num: 7n, den: 1n });
    const s = setupOf("39171819727/25");
    assert.equal(s.clip, 0.17);
    assert.equal(s.clip / s.step, 131072);
    assert.equal(s.threshold, 4);
    assert.equal(s.elements, 426);
    assert.deepEqual([...s.neighbours.keys()], ["dev-002"]);
    assert.equal(hex(s.neighbours.get("dev-002")!), neighbour);
  });

  it("a variance that is not p/q is refused on both sides", () => {
    assert.deepEqual(made.refused, ["bad-noise", "bad-noise", "bad-noise"]);
    const body = Buffer.from(decodeRoundRequest(crypto, Buffer.from(made.requests["7"]!, "hex"), rawPublic(fleet.publicKey)).body);
    const at = 8 + 8 + 16 + 1 + 32; // the noise field's length byte
    assert.equal(body[at], 1);
    for (const bad of [0x41, 0x2f, 0x00]) {
      body[at + 1] = bad; // "A", "/", a control byte
      assert.equal(code(() => decodeSetup(body, "dev-001")), "bad-noise", `byte ${bad}`);
    }
    body[at + 1] = 0x30; // "0": a variance of zero
    assert.equal(code(() => decodeSetup(body, "dev-001")), "bad-noise");
    body[at + 1] = 0x39;
    assert.equal(code(() => decodeSetup(body, "dev-001")), "accepted");
  });
});

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}
