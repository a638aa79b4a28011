// The device's round stages on Node's ports (node:crypto): every refusal by name,
// and that a refused stage leaves the stored state as it was (the next good call succeeds).
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { maskInput, reveal, shareKeys, startRound, type DeviceContext } from "../../firmware/fleet/secagg-device.js";
import { decodeState, encodeState } from "../../firmware/fleet/secagg-state.js";
import { SecAggError } from "../../firmware/fleet/secagg-frames.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";

const crypto = new NodeCrypto();
const ka = new NodeKeyAgreement();
const ids = ["a", "b", "c", "d"];
const keys = new Map(ids.map((id) => [id, generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey]));
const ctx = (id: string): DeviceContext => {
  const priv = rawPrivate(keys.get(id)!);
  return { ka, crypto, id, sign: (d) => crypto.signP256(priv, d), deviceKey: (x) => (keys.has(x) ? rawPublic(keys.get(x)!) : undefined) };
};
const others = (id: string) => ids.filter((x) => x !== id);
const code = (f: () => unknown): string => {
  try {
    f();
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof SecAggError, String(e));
    return e.code;
  }
};

describe("secure aggregation: device stages refuse by name (Node ports)", () => {
  // A complete round of 4 (3 neighbours each, t = 2).
  const st = new Map<string, Uint8Array>();
  const keyFrames = new Map<string, Uint8Array>();
  const shares = new Map<string, Uint8Array[]>();
  const to = (id: string, f: Uint8Array) => f[16 + f[7]!] === id.length && Buffer.from(f.subarray(17 + f[7]!, 17 + f[7]! + id.length)).toString() === id;
  before(() => {
    for (const id of ids) {
      const o = startRound(ctx(id), { round: 3, threshold: 2, neighbours: others(id) });
      st.set(id, o.state);
      keyFrames.set(id, o.frames[0]!);
    }
    for (const id of ids) {
      const o = shareKeys(ctx(id), st.get(id)!, others(id).map((x) => keyFrames.get(x)!));
      st.set(id, o.state);
      shares.set(id, [...o.frames]);
    }
  });
  const inbox = (id: string) => others(id).map((x) => shares.get(x)!.find((f) => to(id, f))!);

  it("setup: threshold not over half, duplicates, itself as neighbour", () => {
    assert.equal(code(() => startRound(ctx("a"), { round: 1, threshold: 1, neighbours: ["b", "c"] })), "threshold-too-low");
    assert.equal(code(() => startRound(ctx("a"), { round: 1, threshold: 4, neighbours: ["b", "c", "d"] })), "threshold-too-low");
    assert.equal(code(() => startRound(ctx("a"), { round: 1, threshold: 2, neighbours: ["b", "b", "c"] })), "bad-setup");
    assert.equal(code(() => startRound(ctx("a"), { round: 1, threshold: 2, neighbours: ["a", "b", "c"] })), "bad-setup");
  });

  it("stages out of order, damaged state, another device's state", () => {
    const fresh = startRound(ctx("a"), { round: 9, threshold: 2, neighbours: others("a") }).state;
    assert.equal(code(() => maskInput(ctx("a"), fresh, [], new Uint32Array(4))), "wrong-stage");
    assert.equal(code(() => reveal(ctx("a"), fresh, ids, [])), "wrong-stage");
    assert.equal(code(() => shareKeys(ctx("a"), fresh.subarray(0, fresh.length - 1), [])), "bad-state");
    const v2 = fresh.slice();
    v2[0] = 2;
    assert.equal(code(() => shareKeys(ctx("a"), v2, [])), "bad-state");
    assert.equal(code(() => shareKeys(ctx("b"), fresh, [])), "bad-state");
    // The state survives its own encoding exactly.
    assert.deepEqual(encodeState(decodeState(st.get("a")!)), st.get("a"));
  });

  it("key frames: a non-neighbour's, twice the same, too few, a frame of another kind", () => {
    const fresh = startRound(ctx("a"), { round: 3, threshold: 2, neighbours: ["b", "c"] }).state;
    assert.equal(code(() => shareKeys(ctx("a"), fresh, [keyFrames.get("b")!, keyFrames.get("d")!])), "not-a-neighbour");
    assert.equal(code(() => shareKeys(ctx("a"), fresh, [keyFrames.get("b")!, keyFrames.get("b")!])), "duplicate-device");
    assert.equal(code(() => shareKeys(ctx("a"), fresh, [keyFrames.get("b")!])), "too-few-neighbours");
    assert.equal(code(() => shareKeys(ctx("a"), fresh, [keyFrames.get("b")!, shares.get("c")![0]!])), "wrong-kind");
    assert.equal(code(() => shareKeys(ctx("a"), fresh, [keyFrames.get("b")!, keyFrames.get("c")!])), "accepted");
  });

  it("share frames: tampered, a bad share re-signed by its sender, for someone else, from no peer, twice, bad update lengths", () => {
    const mine = inbox("a");
    const tampered = mine[0]!.slice();
    tampered[16 + 1 + 2 + 10] ^= 1; // inside the sealed share: the signature breaks first
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, [tampered, ...mine.slice(1)], new Uint32Array(4))), "bad-signature");
    // A well-signed frame whose sealed bytes do not open: the sender re-signs a damaged share.
    const opened = mine[0]!;
    const n = opened[7]!;
    const body = opened.slice(16 + n, opened.length - 64);
    body[body.length - 1] ^= 1;
    const resealed = resign(opened, body);
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, [resealed, ...mine.slice(1)], new Uint32Array(4))), "bad-share");
    // c's share for b in place of c's share for a; a's own share for b (a took no keys from itself).
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, [mine[0]!, inbox("b")[1]!, mine[2]!], new Uint32Array(4))), "wrong-recipient");
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, [...mine, inbox("b")[0]!], new Uint32Array(4))), "not-a-neighbour");
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, [mine[0]!, mine[0]!], new Uint32Array(4))), "duplicate-device");
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, mine, new Uint32Array(0))), "bad-update");
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, mine, new Uint32Array((1 << 18) + 1))), "bad-update");
    // After all the refusals the stored state still masks.
    assert.equal(code(() => maskInput(ctx("a"), st.get("a")!, mine, new Uint32Array(4))), "accepted");
  });

  it("reveal: itself dropped; the lists answered, then the same again", () => {
    const m = maskInput(ctx("a"), st.get("a")!, inbox("a"), new Uint32Array(4)).state;
    assert.equal(code(() => reveal(ctx("a"), m, ["b", "c"], ["a"])), "self-dropped");
    assert.equal(code(() => reveal(ctx("a"), m, ["a", "b"], ["b"])), "both-shares");
    assert.equal(code(() => reveal(ctx("a"), m, ["a"], [])), "too-few-survivors");
    // Itself and one neighbour: t = 2 counts, but only b holds a share of a's self mask.
    assert.equal(code(() => reveal(ctx("a"), m, ["a", "b"], [])), "too-few-survivors");
    const r = reveal(ctx("a"), m, ["a", "b", "c"], ["d"]);
    assert.equal(code(() => reveal(ctx("a"), r.state, ["a", "b", "c"], ["d"])), "accepted");
    assert.equal(code(() => reveal(ctx("a"), r.state, ["a", "b", "d"], ["c"])), "changed-request");
    assert.equal(code(() => reveal(ctx("a"), r.state, ["a", "b", "c", "d"], [])), "changed-request");
  });

  /** The frame re-signed by its sender over a new body (what only the sender could do). */
  function resign(frame: Uint8Array, body: Uint8Array): Uint8Array {
    const n = frame[7]!;
    const sender = Buffer.from(frame.subarray(16, 16 + n)).toString();
    const head = frame.slice(0, 16 + n);
    const signed = new Uint8Array(head.length + body.length);
    signed.set(head, 0);
    signed.set(body, head.length);
    const h = crypto.sha256();
    h.update(signed);
    const sig = crypto.signP256(rawPrivate(keys.get(sender)!), h.digest());
    const out = new Uint8Array(signed.length + 64);
    out.set(signed, 0);
    out.set(sig, signed.length);
    return out;
  }
});
