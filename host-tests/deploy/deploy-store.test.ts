// The device's deploy slots on NOR flash (firmware/deploy/deploy-store.ts, provisioning.ts):
// the download -> verified -> trial -> confirm / revert cycle, the slot a delta may write, and
// every refusal leaving the active adapter and the boot state as they were.
import assert from "node:assert/strict";
import { CodedError } from "../../firmware/coded-error.js";
import type { DeltaErrorCode } from "../../firmware/deploy/delta-format.js";
import { DeployTag } from "../../firmware/deploy/deploy-layout.js";
import { provision, readProvisioning } from "../../firmware/deploy/provisioning.js";
import { SlotStore } from "../../firmware/storage/slot-store.js";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { CAPACITY, checksum, crypto, deliver, delta, device, fleet, identity, payloadOf, slotBytes, spec, type Device } from "./device.js";
import { newKey, keyFromRaw, nodeVerify } from "./keys.js";
import { refDelta, sha256 } from "./reference-delta.js";

const codeOf = (fn: () => unknown): string => {
  try { fn(); } catch (e: unknown) { if (e instanceof CodedError) return e.code; throw e; }
  assert.fail("expected a refusal");
};

/** Boots, delivers and confirms `payload` as `sequence`. */
function install(dev: Device, sequence: number, payload: Uint8Array): Uint8Array {
  const d = delta(sequence, payload);
  deliver(dev.store, d);
  dev.store.beginTrial();
  dev.store.confirm();
  return d;
}

describe("deploy: provisioning record", () => {
  const region = () => ({ firstSector: 0, sectorsPerSlot: 1, tag: DeployTag.provisioning });

  it("is written once, read back after a reboot, and signs what node:crypto verifies", () => {
    const flash = new NorFlash(8, 256);
    const dev = newKey();
    provision(new SlotStore(flash, checksum, region()), crypto, fleet.pub, dev.priv, "dev-0042");
    const p = readProvisioning(new SlotStore(new NorFlash(8, 256, flash.image), checksum, region()));
    assert.ok(p);
    assert.deepEqual(p.fleetKey, fleet.pub);
    assert.deepEqual(p.devicePrivateKey, dev.priv);
    assert.deepEqual(p.devicePublicKey, dev.pub, "the stored public key is OpenSSL's for that scalar");
    assert.equal(p.deviceId, "dev-0042");
    const frame = new TextEncoder().encode("status v2 confirmed");
    assert.equal(nodeVerify(keyFromRaw(p.devicePrivateKey, p.devicePublicKey), frame, crypto.signP256(p.devicePrivateKey, sha256(frame))), true);
  });

  it("refuses a second provisioning, bad keys and bad ids, keeping what is stored", () => {
    const flash = new NorFlash(8, 256);
    const store = new SlotStore(flash, checksum, region());
    assert.equal(codeOf(() => provision(store, crypto, fleet.pub.subarray(0, 64), newKey().priv, "d")), "bad-key");
    assert.equal(codeOf(() => provision(store, crypto, fleet.pub, new Uint8Array(32), "d")), "bad-key"); // scalar 0
    assert.equal(codeOf(() => provision(store, crypto, fleet.pub, newKey().priv, "")), "bad-device-id");
    assert.equal(codeOf(() => provision(store, crypto, fleet.pub, newKey().priv, "a b")), "bad-device-id");
    assert.equal(readProvisioning(store), undefined, "nothing was written by the refusals");
    const first = newKey();
    provision(store, crypto, fleet.pub, first.priv, "dev-1");
    const before = flash.image.slice();
    assert.equal(codeOf(() => provision(store, crypto, newKey().pub, newKey().priv, "dev-2")), "already-provisioned");
    assert.deepEqual(flash.image, before);
    assert.deepEqual(readProvisioning(store)?.devicePrivateKey, first.priv);
  });

  it("a power cut at every unit of provisioning leaves no record or the whole record", () => {
    const dev = newKey();
    const total = (() => { const f = new NorFlash(8, 256); provision(new SlotStore(f, checksum, region()), crypto, fleet.pub, dev.priv, "dev-7"); return f.units; })();
    for (let n = 0; n < total; n++) {
      const flash = new NorFlash(8, 256);
      flash.cutPowerAfter(n);
      assert.throws(() => provision(new SlotStore(flash, checksum, region()), crypto, fleet.pub, dev.priv, "dev-7"), PowerCut);
      const p = readProvisioning(new SlotStore(new NorFlash(8, 256, flash.image), checksum, region()));
      assert.equal(p, undefined, `cut at ${n} of ${total}: a partial record must not read`);
    }
  });
});

describe("deploy: A/B slots and boot state", () => {
  it("a fresh device boots the base model with counter 0", () => {
    const r = device().store.boot();
    assert.equal(r.active, undefined);
    assert.equal(r.payload, undefined);
    assert.equal(r.state.counter, 0);
  });

  it("download -> verified -> trial -> confirm; reboots in between keep or revert as specified", () => {
    const dev = device();
    dev.store.boot();
    const v1 = payloadOf(700);
    deliver(dev.store, delta(1, v1));
    assert.equal(dev.store.state.state, "verified");
    let r = device(dev.flash.image).store.boot();
    assert.equal(r.payload, undefined, "a verified candidate is not active");
    assert.equal(r.state.state, "verified", "and survives a reboot as a candidate");

    dev.store.beginTrial();
    const reboot = device(dev.flash.image);
    r = reboot.store.boot();
    assert.equal(r.reverted, true, "a reboot during the trial reverts");
    assert.equal(r.payload, undefined);
    assert.equal(r.state.state, "idle");
    assert.equal(r.state.counter, 0);

    assert.equal(r.state.refused, 1, "the sequence on trial at the reboot is refused from now on");
    assert.equal(codeOf(() => deliver(reboot.store, delta(1, v1))), "stale-sequence");

    deliver(reboot.store, delta(2, v1));
    reboot.store.beginTrial();
    reboot.store.confirm();
    r = device(reboot.flash.image).store.boot();
    assert.deepEqual(r.payload, v1);
    assert.equal(r.active?.sequence, 2);
    assert.equal(r.state.counter, 2);
    assert.equal(r.state.refused, 1);
    assert.equal(r.state.active, 0);
  });

  it("a sequence whose trial reverted is refused after a reboot too; a higher one installs; a dropped verified candidate is not refused", () => {
    const dev = device();
    dev.store.boot();
    install(dev, 3, payloadOf(100));
    deliver(dev.store, delta(5, payloadOf(200)));
    dev.store.revert(); // verified, never tried: nothing learnt, not refused
    assert.equal(dev.store.state.refused, 0);
    assert.equal(dev.store.highestSeen, 3);
    deliver(dev.store, delta(5, payloadOf(200)));
    dev.store.beginTrial();
    dev.store.revert();
    assert.equal(dev.store.state.refused, 5);
    assert.equal(dev.store.state.counter, 3, "the counter stays the highest confirmed");
    const after = device(dev.flash.image);
    const r = after.store.boot();
    assert.equal(r.active?.sequence, 3);
    assert.equal(r.state.refused, 5);
    assert.equal(after.store.highestSeen, 5);
    assert.equal(codeOf(() => deliver(after.store, delta(5, payloadOf(200)))), "stale-sequence");
    assert.equal(codeOf(() => deliver(after.store, delta(4, payloadOf(200)))), "stale-sequence");
    const v6 = payloadOf(300);
    deliver(after.store, delta(6, v6));
    after.store.beginTrial();
    after.store.confirm();
    const last = device(after.flash.image).store.boot();
    assert.deepEqual(last.payload, v6);
    assert.equal(last.state.counter, 6);
    assert.equal(last.state.refused, 5);
  });

  it("reads the previous firmware's version-1 boot state (48 bytes, no refused field): slots and counter kept", () => {
    const dev = device();
    dev.store.boot();
    const p400 = payloadOf(400);
    install(dev, 7, p400);
    const info = dev.store.state.slots[0]!;
    // The version-1 layout written byte by byte from its description, not by the encoder.
    const v1 = new Uint8Array(48);
    const v = new DataView(v1.buffer);
    v1[0] = 1; v1[1] = 0; v1[2] = 0; v1[3] = 0xff;
    v.setUint32(4, 7, true);
    [info.sequence, info.adapterVersion, info.parentVersion, info.payloadBytes, info.payloadCrc].forEach((x, i) => v.setUint32(8 + 4 * i, x, true));
    new SlotStore(dev.flash, checksum, dev.layout.bootState).save(v1);
    const r = device(dev.flash.image).store.boot();
    assert.equal(r.problem, undefined);
    assert.equal(r.active?.sequence, 7);
    assert.equal(r.state.counter, 7);
    assert.equal(r.state.refused, 0);
    assert.deepEqual(r.payload, p400);
    // a 48-byte record that claims version 2 is refused by name, nothing erased
    v1[0] = 2;
    new SlotStore(dev.flash, checksum, dev.layout.bootState).save(v1);
    const bad = device(dev.flash.image).store.boot();
    assert.match(bad.problem ?? "", /bad-boot-state: version 2 record of 48 bytes, 52 expected/);
  });

  it("a delta is written into the inactive slot, never over the active one", () => {
    const dev = device();
    dev.store.boot();
    install(dev, 1, payloadOf(900));
    assert.equal(dev.store.state.active, 0);
    const active = slotBytes(dev, 0);
    const v2 = payloadOf(1200);
    deliver(dev.store, delta(2, v2), 1);
    assert.deepEqual(slotBytes(dev, 0), active);
    assert.equal(dev.store.state.candidate, 1);
    dev.store.beginTrial();
    dev.store.confirm();
    assert.equal(dev.store.state.active, 1);
    const now = slotBytes(dev, 1);
    deliver(dev.store, delta(3, payloadOf(50)));
    assert.deepEqual(slotBytes(dev, 1), now);
    assert.equal(dev.store.state.candidate, 0);
    assert.deepEqual(device(dev.flash.image).store.boot().payload, v2);
  });

  it("a >4 KB payload streams into flash in 1-byte and 100-byte chunks and boots whole", () => {
    for (const chunk of [1, 100]) {
      const dev = device();
      dev.store.boot();
      const big = payloadOf(5000);
      deliver(dev.store, delta(1, big), chunk);
      dev.store.beginTrial();
      dev.store.confirm();
      assert.deepEqual(device(dev.flash.image).store.boot().payload, big);
    }
  });

  it("a newer verified delta replaces a verified candidate; a revert keeps the counter", () => {
    const dev = device();
    dev.store.boot();
    install(dev, 3, payloadOf(100));
    deliver(dev.store, delta(5, payloadOf(100)));
    const v6 = payloadOf(300);
    deliver(dev.store, delta(6, v6));
    assert.equal(dev.store.state.slots[1]?.sequence, 6);
    assert.deepEqual(dev.store.readPayload(1), v6);
    dev.store.beginTrial();
    dev.store.revert();
    assert.equal(dev.store.state.counter, 3);
    assert.equal(dev.store.state.state, "idle");
    assert.equal(dev.store.state.slots[1], undefined);
  });

  it("transitions out of order are refused by name", () => {
    const dev = device();
    assert.throws(() => dev.store.beginDownload(crypto, identity), /boot\(\) must read the state/);
    dev.store.boot();
    assert.equal(codeOf(() => dev.store.beginTrial()), "no-candidate");
    assert.equal(codeOf(() => dev.store.confirm()), "not-on-trial");
    assert.equal(codeOf(() => dev.store.revert()), "not-on-trial");
    const d = dev.store.beginDownload(crypto, identity);
    assert.equal(codeOf(() => dev.store.beginDownload(crypto, identity)), "busy");
    d.push(delta(1, payloadOf(10)));
    d.finish();
    dev.store.beginTrial();
    assert.equal(codeOf(() => dev.store.beginDownload(crypto, identity)), "busy");
    assert.equal(codeOf(() => dev.store.beginTrial()), "no-candidate");
  });

  describe("refused deltas leave the active adapter, its slot and the boot state untouched", () => {
    const stranger = newKey();
    const good = payloadOf(800);
    let installed: Uint8Array = new Uint8Array(0);
    const cases: [string, DeltaErrorCode, () => Uint8Array][] = [
      ["bad signature (one payload bit)", "bad-signature", () => { const d = delta(9, good); d[200]! ^= 4; return d; }],
      ["signed by another key", "bad-signature", () => refDelta(stranger, { baseSha: identity.modelSha256, sequence: 9, spec }, good)],
      ["for another base model", "other-model", () => delta(9, good, { baseModelSha256: sha256(Uint8Array.of(1)) })],
      ["replayed (the active delta's exact bytes again)", "stale-sequence", () => installed],
      ["older sequence", "stale-sequence", () => delta(2, good)],
      ["oversized", "oversized", () => delta(9, payloadOf(CAPACITY + 1))],
      ["truncated", "truncated", () => delta(9, good).subarray(0, 500)],
      ["trailing bytes", "trailing-bytes", () => { const d = delta(9, good); const l = new Uint8Array(d.length + 3); l.set(d); return l; }],
      ["another spec", "spec-mismatch", () => delta(9, good, { spec: spec.replace("rank=2", "rank=3") })],
      ["reserved bits set", "reserved-nonzero", () => refDelta(fleet, { baseSha: identity.modelSha256, sequence: 9, spec, flags: 1 }, good)],
    ];
    const headerLevel = new Set<DeltaErrorCode>(["other-model", "stale-sequence", "oversized", "spec-mismatch", "reserved-nonzero"]);
    for (const [name, code, make] of cases) {
      it(`${name}: ${code}`, () => {
        const dev = device();
        dev.store.boot();
        const v4 = payloadOf(600);
        installed = install(dev, 4, v4);
        const v5 = payloadOf(64);
        deliver(dev.store, delta(5, v5)); // a verified candidate is there too
        const state = dev.store.state;
        const active = slotBytes(dev, 0);
        assert.equal(codeOf(() => deliver(dev.store, make(), 64)), code);
        assert.equal(dev.store.state.active, state.active);
        assert.equal(dev.store.state.counter, 4);
        assert.deepEqual(slotBytes(dev, 0), active, "the active slot's bytes");
        if (headerLevel.has(code)) {
          assert.equal(dev.store.state.state, "verified", "refused by its header: the candidate's slot was not touched");
          assert.deepEqual(dev.store.readPayload(1), v5);
        } else {
          assert.equal(dev.store.state.state, "idle", "the candidate's slot was being overwritten: it is dropped");
        }
        const r = device(dev.flash.image).store.boot();
        assert.deepEqual(r.payload, v4, "boots the previous adapter");
        assert.equal(r.state.counter, 4);
        deliver(dev.store, delta(9, good)); // and the device still takes a good delta afterwards
        assert.deepEqual(dev.store.readPayload(1), good);
      });
    }
  });

  it("a delta written by node:crypto with a payload of exactly the slot capacity is accepted", () => {
    const dev = device();
    dev.store.boot();
    install(dev, 4, payloadOf(600));
    const signed = refDelta(fleet, { baseSha: identity.modelSha256, sequence: 9, spec }, payloadOf(CAPACITY));
    deliver(dev.store, signed, 1000);
    assert.equal(dev.store.state.slots[1]?.payloadBytes, CAPACITY);
  });
});
