import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify } from "node:crypto";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { decodeManifest, encodeManifest, MANIFEST_BYTES, type Manifest } from "../../firmware/fleet/manifest.js";
import { decodeStatus, encodeStatus, statusDeviceId, type StatusReport } from "../../firmware/fleet/status-report.js";
import { bucketOf, cohortOf } from "../../firmware/fleet/cohorts.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";

const crypto = new NodeCrypto();

const fleet = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const fleetPub = rawPublic(fleet.publicKey);

/** A manifest laid out by hand from the documented offsets and signed by node:crypto over the message. */
function handManifest(fields: { action: number; cohort: number; sequence: number; deltaBytes: number; chunk: number; threshold: number; revision: number; sha: Buffer }, key = fleet.privateKey): Uint8Array {
  const b = Buffer.alloc(64);
  b.write("EPMF", 0, "latin1");
  b.writeUInt16LE(1, 4);
  b.writeUInt16LE(fields.action, 6);
  b.writeUInt32LE(fields.cohort, 8);
  b.writeUInt32LE(fields.sequence, 12);
  b.writeUInt32LE(fields.deltaBytes, 16);
  b.writeUInt32LE(fields.chunk, 20);
  b.writeUInt32LE(fields.threshold, 24);
  b.writeUInt32LE(fields.revision, 28);
  fields.sha.copy(b, 32);
  const sig = nodeSign("sha256", b, { key, dsaEncoding: "ieee-p1363" });
  return new Uint8Array(Buffer.concat([b, sig]));
}

describe("fleet frames: manifest (EPMF)", () => {
  const sha = createHash("sha256").update("some delta").digest();
  const fields = { action: 1, cohort: 3, sequence: 42, deltaBytes: 4919, chunk: 1024, threshold: 500, revision: 2, sha };

  it("reads a manifest laid out from the documented offsets and signed by node:crypto", () => {
    const m = decodeManifest(crypto, handManifest(fields), fleetPub);
    assert.deepEqual({ ...m, deltaSha256: Buffer.from(m.deltaSha256) }, {
      action: "rollout", cohort: 3, sequence: 42, deltaBytes: 4919, chunkBytes: 1024, threshold: 500, revision: 2, deltaSha256: sha,
    });
  });

  it("writes what node:crypto verifies, byte-identical to the hand layout's body", () => {
    const m: Manifest = { action: "abort", cohort: 3, sequence: 42, deltaBytes: 4919, chunkBytes: 1024, threshold: 500, revision: 3, deltaSha256: sha };
    const bytes = encodeManifest(crypto, m, (d) => crypto.signP256(rawPrivate(fleet.privateKey), d));
    assert.equal(bytes.length, MANIFEST_BYTES);
    const hand = handManifest({ ...fields, action: 2, revision: 3 });
    assert.deepEqual(Buffer.from(bytes.subarray(0, 64)), Buffer.from(hand.subarray(0, 64)));
    assert.equal(nodeVerify("sha256", bytes.subarray(0, 64), { key: fleet.publicKey, dsaEncoding: "ieee-p1363" }, bytes.subarray(64)), true);
  });

  it("refuses a forged, re-keyed, truncated or unknown manifest by name", () => {
    const good = handManifest(fields);
    const code = (bytes: Uint8Array) => {
      try {
        decodeManifest(crypto, bytes, fleetPub);
      } catch (e) {
        return (e as { code?: string }).code;
      }
      return "accepted";
    };
    const flipped = good.slice();
    flipped[24] ^= 0x10; // widen the threshold without the key
    assert.equal(code(flipped), "bad-signature");
    assert.equal(code(handManifest(fields, other.privateKey)), "bad-signature");
    assert.equal(code(good.subarray(0, 127)), "bad-length");
    const magic = good.slice();
    magic[0] = 0x58;
    assert.equal(code(magic), "bad-magic");
    assert.equal(code(handManifest({ ...fields, action: 7 })), "bad-action");
    assert.equal(code(handManifest({ ...fields, threshold: 10001 })), "bad-threshold");
    assert.equal(code(good), "accepted");
  });
});

describe("fleet frames: status report (EPST)", () => {
  const device = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const report: StatusReport = {
    deviceId: "dev-07", event: "reverted", activeSequence: 2, activeVersion: 2, subjectSequence: 4,
    accuracyBefore: 9125, accuracyAfter: 6375, counter: 17, code: "accuracy-drop",
  };
  const bytes = encodeStatus(crypto, report, (d) => crypto.signP256(rawPrivate(device.privateKey), d));

  it("is signed so node:crypto verifies it with the device key, fields at the documented offsets", () => {
    const body = bytes.subarray(0, bytes.length - 64);
    assert.equal(nodeVerify("sha256", body, { key: device.publicKey, dsaEncoding: "ieee-p1363" }, bytes.subarray(bytes.length - 64)), true);
    const b = Buffer.from(body);
    assert.equal(b.toString("latin1", 0, 4), "EPST");
    assert.equal(b.readUInt16LE(6), 5); // reverted
    assert.equal(b.readUInt32LE(16), 4);
    assert.equal(b.readInt32LE(24), 6375);
    assert.equal(b.toString("latin1", 36, 36 + b[32]!), "dev-07");
    assert.equal(b.toString("latin1", 36 + b[32]!), "accuracy-drop");
  });

  it("round-trips and is refused under another device's key or with a flipped bit", () => {
    assert.equal(statusDeviceId(bytes), "dev-07");
    assert.deepEqual(decodeStatus(crypto, bytes, rawPublic(device.publicKey)), report);
    assert.throws(() => decodeStatus(crypto, bytes, fleetPub), /signature does not verify/);
    const f = bytes.slice();
    f[20] ^= 1;
    assert.throws(() => decodeStatus(crypto, f, rawPublic(device.publicKey)), /signature does not verify/);
    assert.throws(() => decodeStatus(crypto, bytes.subarray(0, 90), rawPublic(device.publicKey)), { code: "truncated" });
    assert.throws(() => decodeStatus(crypto, bytes.subarray(0, bytes.length - 1), rawPublic(device.publicKey)), { code: "bad-length" });
  });
});

describe("fleet placement: cohorts and rollout buckets", () => {
  it("follows SHA-256 of the labelled device id (node:crypto as the reference)", () => {
    for (const id of ["dev-00", "dev-01", "sensor.kitchen", "A"]) {
      const c = createHash("sha256").update(`edge-peft/cohort/${id}`).digest().readUInt32BE(0);
      const b = createHash("sha256").update(`edge-peft/bucket/${id}`).digest().readUInt32BE(0);
      assert.equal(cohortOf(crypto, id, 2), c % 2);
      assert.equal(cohortOf(crypto, id, 7), c % 7);
      assert.equal(bucketOf(crypto, id), b % 10000);
    }
    assert.throws(() => cohortOf(crypto, "bad id", 2), /must be 1\.\.64 characters/);
  });

  it("spreads 1000 ids over two cohorts within a few percent", () => {
    let a = 0;
    for (let i = 0; i < 1000; i++) a += cohortOf(crypto, `dev-${i}`, 2) === 0 ? 1 : 0;
    assert.ok(a > 440 && a < 560, `${a} of 1000 in cohort 0`);
  });

  it("names topics per fleet and parses chunk indices strictly", () => {
    const t = new FleetTopics("plant-3");
    assert.equal(t.chunk(9, 12), "edge-peft/plant-3/delta/9/12");
    assert.equal(t.chunkIndex(9, "edge-peft/plant-3/delta/9/12"), 12);
    assert.equal(t.chunkIndex(9, "edge-peft/plant-3/delta/9/012"), -1);
    assert.equal(t.chunkIndex(8, "edge-peft/plant-3/delta/9/1"), -1);
    assert.throws(() => new FleetTopics("a/b"), /fleet/);
  });
});
