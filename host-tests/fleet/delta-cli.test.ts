// `edge-peft delta keygen|sign|verify|inspect` as an operator runs it, checked with node:crypto
// and the documented byte offsets (not with the CLI's own reader).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, createPublicKey, verify as nodeVerify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { modelsDir, repoRoot } from "../support/paths.js";

const cli = join(repoRoot, "tools", "edge-peft.js");
const model = join(repoRoot, "data", "demo", "digits_mlp_int8.tflite");
const SPEC = "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1";

describe("edge-peft delta (host CLI)", function () {
  this.timeout(120000);
  let dir: string;
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, "delta", ...args], { cwd: dir, encoding: "utf8" });
  const signV2 = (...extra: string[]) => run("sign", "--key", "fleet.key", "--model", model, "--adapter", "v2.epad", "--spec", SPEC,
    "--version", "2", "--parent", "1", "--sequence", "2", "--cohort", "1", "--out", "v2.epdl", ...extra);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "ep-delta-"));
    const t = spawnSync(join(repoRoot, "build", "bin", "edge-peft"), ["train", model, "--data", join(repoRoot, "data", "demo", "user_pool.bin"),
      "--adapter", SPEC, "--steps", "20", "--seed", "1", "--out", join(dir, "v2.epad")], { encoding: "utf8" });
    assert.equal(t.status, 0, t.stderr);
    for (const k of ["fleet", "other"]) assert.equal(run("keygen", "--out", k).status, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("keygen writes a P-256 key pair OpenSSL reads, private key 0600, and refuses to replace it", () => {
    const pub = createPublicKey(readFileSync(join(dir, "fleet.pub")));
    assert.equal(pub.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.equal(statSync(join(dir, "fleet.key")).mode & 0o777, 0o600);
    const again = run("keygen", "--out", "fleet");
    assert.equal(again.status, 1);
    assert.match(again.stderr, /fleet\.key exists: a replaced fleet key strands every device/);
  });

  it("sign lays out the fields at the documented offsets; node:crypto verifies the signature", () => {
    const r = signV2();
    assert.equal(r.status, 0, r.stderr);
    const d = readFileSync(join(dir, "v2.epdl"));
    const adapter = readFileSync(join(dir, "v2.epad"));
    assert.equal(d.toString("latin1", 0, 4), "EPDL");
    assert.equal(d.readUInt16LE(4), 1);
    assert.deepEqual(d.subarray(8, 40), createHash("sha256").update(readFileSync(model)).digest());
    assert.deepEqual([d.readUInt32LE(40), d.readUInt32LE(44), d.readUInt32LE(48), d.readUInt32LE(52), d.readUInt32LE(56)], [2, 1, 2, 1, adapter.length]);
    assert.equal(d.readUInt16LE(64), SPEC.length);
    assert.equal(d.toString("latin1", 68, 68 + SPEC.length), SPEC);
    assert.deepEqual(d.subarray(68 + SPEC.length, 68 + SPEC.length + adapter.length), adapter);
    assert.equal(d.length, 68 + SPEC.length + adapter.length + 64);
    const body = d.subarray(0, d.length - 64);
    assert.equal(nodeVerify("sha256", body, { key: createPublicKey(readFileSync(join(dir, "fleet.pub"))), dsaEncoding: "ieee-p1363" }, d.subarray(d.length - 64)), true);
    assert.equal(nodeVerify("sha256", body, { key: createPublicKey(readFileSync(join(dir, "other.pub"))), dsaEncoding: "ieee-p1363" }, d.subarray(d.length - 64)), false);
  });

  it("verify accepts it and names each refusal: other key, other model, spec, replayed sequence, truncated", () => {
    assert.equal(signV2().status, 0);
    const ok = run("verify", "v2.epdl", "--pub", "fleet.pub", "--model", model, "--spec", SPEC, "--counter", "1");
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /verified: signature by the fleet key, base model, spec, sequence > 1/);
    const refusals: [string[], RegExp][] = [
      [["--pub", "other.pub"], /bad-signature: signature does not verify with the fleet key/],
      [["--pub", "fleet.pub", "--model", join(modelsDir, "hello_world_int8.tflite")], /other-model: made for base model 38103fbd/],
      [["--pub", "fleet.pub", "--spec", "bias:layers=0"], /spec-mismatch/],
      [["--pub", "fleet.pub", "--counter", "2"], /stale-sequence: sequence 2 is not above this device's counter 2/],
      [["--pub", "fleet.pub", "--max-payload", "100"], /oversized/],
    ];
    for (const [args, message] of refusals) {
      const r = run("verify", "v2.epdl", ...args);
      assert.equal(r.status, 1, args.join(" "));
      assert.match(r.stderr, message);
    }
    const d = readFileSync(join(dir, "v2.epdl"));
    writeFileSync(join(dir, "cut.epdl"), d.subarray(0, d.length - 10));
    assert.match(run("verify", "cut.epdl", "--pub", "fleet.pub").stderr, /truncated/);
    const flipped = Buffer.from(d);
    flipped[200] ^= 1;
    writeFileSync(join(dir, "flip.epdl"), flipped);
    assert.match(run("verify", "flip.epdl", "--pub", "fleet.pub").stderr, /bad-signature/);
  });

  it("refuses to sign an adapter for another model or with a bad option", () => {
    const r = run("sign", "--key", "fleet.key", "--model", join(modelsDir, "hello_world_int8.tflite"), "--adapter", "v2.epad",
      "--spec", SPEC, "--version", "2", "--sequence", "2", "--out", "x.epdl");
    assert.equal(r.status, 1);
    assert.match(r.stderr, /v2\.epad: made for another model/);
    assert.equal(signV2("--sequnce", "3").status, 2, "a typo is an error, not a default");
    assert.match(run("sign", "--key", "fleet.pub", "--from", "v2.epdl", "--sequence", "5", "--out", "y.epdl").stderr, /fleet\.pub: not a private key/);
  });

  it("re-signs an old payload with a higher sequence (downgrade by upgrade), never a lower one", () => {
    assert.equal(signV2().status, 0);
    const r = run("sign", "--key", "fleet.key", "--from", "v2.epdl", "--sequence", "5", "--out", "v5.epdl");
    assert.equal(r.status, 0, r.stderr);
    const a = readFileSync(join(dir, "v2.epdl"));
    const b = readFileSync(join(dir, "v5.epdl"));
    assert.equal(b.readUInt32LE(48), 5);
    assert.equal(b.readUInt32LE(40), 2, "the adapter version stays that of the old payload");
    assert.deepEqual(b.subarray(52, b.length - 64), a.subarray(52, a.length - 64));
    const lower = run("sign", "--key", "fleet.key", "--from", "v5.epdl", "--sequence", "4", "--out", "v4.epdl");
    assert.equal(lower.status, 1);
    assert.match(lower.stderr, /--sequence 4 must exceed the old delta's 5/);
    const inspect = run("inspect", "v5.epdl");
    assert.match(inspect.stdout, /sequence     5\n/);
    assert.match(inspect.stdout, /version      2 \(parent 1\)/);
  });
});
