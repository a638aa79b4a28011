// EPDL v1 (docs/formats.md): the firmware encoder against an independent writer (Buffer +
// node:crypto), the streaming verifier at every chunk size that matters, and every named refusal
// on deltas that are otherwise valid and validly signed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DeltaError, decodeDeltaHeader, encodeDelta, signerP256, type DeltaErrorCode, type DeltaFields } from "../../firmware/deploy/delta-format.js";
import { DeltaVerifier, type DeltaExpectations, type PayloadSink } from "../../firmware/deploy/delta-verifier.js";
import type { DeltaHeader } from "../../firmware/deploy/delta-format.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { repoRoot } from "../support/paths.js";
import { newKey, nodeVerify } from "./keys.js";
import { refDelta, refSigned, sha256, type RefFields } from "./reference-delta.js";

const crypto = new NodeCrypto();
const fleet = newKey();
const stranger = newKey();
const model = readFileSync(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite"));
const modelSha = sha256(model);
const spec = "bias:layers=1+lora:rank=2,alpha=4,layers=1";
const payload = new Uint8Array(randomBytes(700));

const expect = (over: Partial<DeltaExpectations> = {}): DeltaExpectations =>
  ({ modelSha256: modelSha, spec, counter: 4, maxPayload: 8192, fleetKey: fleet.pub, ...over });
const fields = (over: Partial<RefFields> = {}): RefFields => ({ baseSha: modelSha, sequence: 5, spec, ...over });

/** A sink that assembles the payload and records what it was told. */
class Collect implements PayloadSink {
  begun: DeltaHeader | undefined;
  writes = 0;
  largestWrite = 0;
  bytes: Uint8Array = new Uint8Array(0);
  begin(h: DeltaHeader): void {
    this.begun = h;
    this.bytes = new Uint8Array(h.payloadBytes);
  }
  write(offset: number, b: Uint8Array): void {
    this.writes++;
    this.largestWrite = Math.max(this.largestWrite, b.length);
    this.bytes.set(b, offset);
  }
}

/** Streams `delta` in chunks of `size`, reusing ONE receive buffer (as an MQTT client does). */
function stream(delta: Uint8Array, size: number, ex = expect(), sink = new Collect()): { header: DeltaHeader; sink: Collect } {
  const v = new DeltaVerifier(crypto, ex, sink);
  const rx = new Uint8Array(size);
  for (let at = 0; at < delta.length; at += size) {
    const n = Math.min(size, delta.length - at);
    rx.set(delta.subarray(at, at + n));
    v.push(rx.subarray(0, n));
    rx.fill(0xa5); // the buffer is reused: the verifier must not have kept a reference into it
  }
  return { header: v.finish(), sink };
}

function refusedWith(code: DeltaErrorCode, fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DeltaError, `a DeltaError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

describe("EPDL v1 delta format", () => {
  const f: DeltaFields = { baseModelSha256: modelSha, adapterVersion: 7, parentVersion: 6, sequence: 0x01020304, cohort: 3, spec };

  it("encodeDelta writes exactly the independent writer's bytes, signed over all before the signature", () => {
    const ours = encodeDelta(f, payload, signerP256(crypto, fleet.priv));
    const signed = refSigned({ baseSha: modelSha, adapterVersion: 7, parentVersion: 6, sequence: 0x01020304, cohort: 3, spec }, payload);
    assert.equal(ours.length, 68 + spec.length + payload.length + 64);
    assert.deepEqual(Buffer.from(ours.subarray(0, signed.length)), signed);
    assert.equal(nodeVerify(fleet, signed, ours.subarray(signed.length)), true, "node:crypto verifies the port's signature");
    assert.equal(nodeVerify(stranger, signed, ours.subarray(signed.length)), false);
    const h = decodeDeltaHeader(ours);
    assert.deepEqual({ ...h, baseModelSha256: Buffer.from(h.baseModelSha256).toString("hex") }, {
      baseModelSha256: Buffer.from(modelSha).toString("hex"), adapterVersion: 7, parentVersion: 6, sequence: 0x01020304, cohort: 3,
      payloadBytes: 700, payloadOffset: 68 + spec.length, totalBytes: 68 + spec.length + 700 + 64, spec,
    });
  });

  it("encodeDelta refuses what the format cannot carry", () => {
    const sign = signerP256(crypto, fleet.priv);
    refusedWith("bad-spec", () => encodeDelta({ ...f, spec: "" }, payload, sign));
    refusedWith("bad-spec", () => encodeDelta({ ...f, spec: "x".repeat(256) }, payload, sign));
    refusedWith("bad-spec", () => encodeDelta({ ...f, spec: "bias:layers=1\n" }, payload, sign));
    refusedWith("bad-payload-size", () => encodeDelta(f, new Uint8Array(0), sign));
    assert.throws(() => encodeDelta({ ...f, sequence: 2 ** 32 }, payload, sign), /sequence must be a uint32/);
    assert.throws(() => encodeDelta({ ...f, baseModelSha256: modelSha.subarray(0, 31) }, payload, sign), /32 bytes/);
  });

  for (const size of [1, 2, 3, 7, 64, 67, 68, 69, 68 + spec.length, 500, 1 << 16]) {
    it(`streams a node:crypto-signed delta in ${size}-byte chunks into the sink`, () => {
      const delta = refDelta(fleet, fields({ adapterVersion: 9, parentVersion: 8 }), payload);
      const { header, sink } = stream(delta, size);
      assert.deepEqual(sink.bytes, payload);
      assert.ok(sink.largestWrite <= size, "payload goes to the sink chunk by chunk");
      assert.equal(header.sequence, 5);
      assert.equal(header.adapterVersion, 9);
      assert.equal(header.parentVersion, 8);
      assert.equal(header.spec, spec);
    });
  }

  it("a >4 KB payload streams through in 256-byte chunks; the verifier holds no copy of it", () => {
    const big = new Uint8Array(randomBytes(6000));
    const delta = encodeDelta({ ...f, sequence: 5 }, big, signerP256(crypto, fleet.priv));
    const { sink } = stream(delta, 256);
    assert.deepEqual(sink.bytes, big);
    assert.ok(sink.writes >= 6000 / 256, `${sink.writes} sink writes`);
    assert.ok(sink.largestWrite <= 256);
  });

  describe("refusals, each named", () => {
    const header = (code: DeltaErrorCode, over: Partial<RefFields>, ex = expect()) => () => {
      const sink = new Collect();
      refusedWith(code, () => stream(refDelta(fleet, fields(over), payload), 1, ex, sink));
      assert.equal(sink.begun, undefined, "refused before anything reaches the slot");
      assert.equal(sink.writes, 0);
    };
    it("bad-magic", header("bad-magic", { magic: "EPDK" }));
    it("bad-version", header("bad-version", { version: 2 }));
    it("reserved-nonzero at 6..7", header("reserved-nonzero", { reserved6: 0x100 }));
    it("reserved-nonzero in the flags", header("reserved-nonzero", { flags: 0x80000000 }));
    it("reserved-nonzero at 66..67", header("reserved-nonzero", { reserved66: 1 }));
    it("bad-spec: zero length", header("bad-spec", { specField: 0 }));
    it("bad-spec: a control byte", header("bad-spec", { spec: "bias:layers=1\u0001" }, expect()));
    it("bad-payload-size: zero", header("bad-payload-size", { payloadField: 0 }));
    it("other-model: another base model's SHA-256", header("other-model", { baseSha: sha256(Buffer.concat([model, Buffer.of(0)])) }));
    it("stale-sequence: replayed (= counter)", header("stale-sequence", { sequence: 4 }));
    it("stale-sequence: older (< counter)", header("stale-sequence", { sequence: 1 }));
    it("oversized: payload beyond the slot", header("oversized", {}, expect({ maxPayload: payload.length - 1 })));
    it("spec-mismatch: another alpha", header("spec-mismatch", { spec: spec.replace("alpha=4", "alpha=8") }));
    it("spec-mismatch: a prefix of the device's spec", header("spec-mismatch", { spec: spec.slice(0, -1) }));

    it("the same delta with maxPayload = P, counter = sequence - 1 is accepted (the limits are exact)", () => {
      const { sink } = stream(refDelta(fleet, fields(), payload), 97, expect({ maxPayload: payload.length, counter: 4 }));
      assert.deepEqual(sink.bytes, payload);
    });

    it("truncated: ends in the header, the spec, the payload, the signature", () => {
      const delta = refDelta(fleet, fields(), payload);
      for (const cut of [0, 1, 67, 68, 68 + spec.length - 1, 68 + spec.length + 10, delta.length - 64, delta.length - 1]) {
        refusedWith("truncated", () => stream(delta.subarray(0, cut), 50));
      }
    });

    it("trailing-bytes: one byte after the signature, at every chunk split", () => {
      const delta = refDelta(fleet, fields(), payload);
      const long = new Uint8Array(delta.length + 1);
      long.set(delta);
      for (const size of [1, 64, long.length]) refusedWith("trailing-bytes", () => stream(long, size));
    });

    it("bad-signature: one payload bit, one signature bit, another key, a signature of another delta", () => {
      const delta = refDelta(fleet, fields(), payload);
      const flip = (at: number) => { const d = delta.slice(); d[at]! ^= 1; return d; };
      refusedWith("bad-signature", () => stream(flip(68 + spec.length + 300), 64));
      refusedWith("bad-signature", () => stream(flip(delta.length - 1), 64));
      refusedWith("bad-signature", () => stream(flip(delta.length - 40), 64));
      refusedWith("bad-signature", () => stream(refDelta(stranger, fields(), payload), 64));
      const other = refDelta(fleet, fields({ sequence: 6 }), payload);
      const spliced = delta.slice();
      spliced.set(other.subarray(other.length - 64), delta.length - 64);
      refusedWith("bad-signature", () => stream(spliced, 64));
      // and the untouched delta passes: the refusals above are the flips', not the setup's
      assert.deepEqual(stream(delta, 64).sink.bytes, payload);
    });

    it("an all-zero signature (r = s = 0, outside the group order range) is refused, not thrown through", () => {
      const d = refDelta(fleet, fields(), payload);
      d.fill(0, d.length - 64);
      refusedWith("bad-signature", () => stream(d, 1000));
    });

    it("a refused verifier stays refused", () => {
      const v = new DeltaVerifier(crypto, expect(), new Collect());
      const bad = refDelta(fleet, fields({ version: 3 }), payload);
      refusedWith("bad-version", () => v.push(bad));
      refusedWith("bad-version", () => v.push(bad.subarray(0, 1)));
      refusedWith("bad-version", () => v.finish());
    });
  });
});
