// The round agent's record in flash (firmware/fleet/round-record.ts) on Node's ports and the
// NOR-flash model: a device rebooted mid-round answers with the frames it sent before, never new
// round keys, and a power cut at any byte of saving a new round leaves either the old record or
// the new one, with nothing sent before the cut.
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync } from "node:crypto";
import { encodeRoundRequest, Stage } from "../../firmware/fleet/round-frames.js";
import { RoundAgent, type UpdateSource } from "../../firmware/fleet/round-agent.js";
import { loadRoundRecord } from "../../firmware/fleet/round-record.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";
import { LoopbackBus, LoopbackTransport } from "../../firmware/platform/loopback-transport.js";
import { ConsoleLog } from "../../firmware/platform/node/console-log.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { NodeKeyAgreement } from "../../firmware/platform/node/node-key-agreement.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { SlotStore } from "../../firmware/storage/slot-store.js";
import { rawPrivate, rawPublic } from "../../tools/delta/keys.js";

const crypto = new NodeCrypto();
const fleet = generateKeyPairSync("ec", { namedCurve: "P-256" });
const device = generateKeyPairSync("ec", { namedCurve: "P-256" });
const topics = new FleetTopics("plant-1");
const globalSha = createHash("sha256").update("the global adapter").digest();
const source: UpdateSource = {
  startsFrom: () => new Uint8Array(globalSha),
  update: () => {
    throw new Error("no training in these tests");
  },
};

/** A setup body laid out from docs/formats.md (EPRD v2): two neighbours, t = 2, no noise. */
function setupBody(): Uint8Array {
  const ids = ["b", "c"];
  const b = Buffer.alloc(8 + 8 + 16 + 1 + 32 + 1 + 1 + ids.length * (1 + 1 + 65));
  b.writeDoubleLE(0.1, 0);
  b.writeDoubleLE(0.1 / 1024, 8);
  b.writeUInt32LE(10, 16);
  b.writeUInt32LE(100, 20);
  b.writeUInt32LE(0, 24);
  b.writeUInt32LE(4, 28);
  b[32] = 2;
  globalSha.copy(b, 33);
  b[65] = 0;
  b[66] = ids.length;
  let at = 67;
  for (const id of ids) {
    b[at] = 1;
    b.write(id, at + 1, "latin1");
    Buffer.from(rawPublic(generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey)).copy(b, at + 2);
    at += 67;
  }
  return b;
}
const body = setupBody();
const setup = (round: number) => encodeRoundRequest(crypto, { stage: Stage.setup, round, cohort: 0, deviceId: "a", body },
  (d) => crypto.signP256(rawPrivate(fleet.privateKey), d));

/** One boot of device "a" on `flash`: requests in, the frames it sends and its log out. */
function boot(flash: NorFlash) {
  const bus = new LoopbackBus();
  const server = new LoopbackTransport(bus);
  const sent: Buffer[] = [];
  const log: string[] = [];
  server.subscribe(topics.roundReply(0, "a"), (_t, p) => sent.push(Buffer.from(p)));
  const store = new SlotStore(flash, new ZlibChecksum(), { firstSector: 0, sectorsPerSlot: 1, tag: 0x52 });
  new RoundAgent({ deviceId: "a", devicePrivateKey: rawPrivate(device.privateKey), fleetKey: rawPublic(fleet.publicKey), fleet: "plant-1", cohort: 0, store },
    { crypto, keyAgreement: new NodeKeyAgreement(), checksum: new ZlibChecksum(), transport: new LoopbackTransport(bus), log: new ConsoleLog({ sink: (l) => log.push(l), quiet: true }) },
    source).start();
  return { sent, log, store, ask: (req: Uint8Array) => server.publish(topics.roundTo(0, "a"), req.slice().buffer as ArrayBuffer) };
}
const reboot = (flash: NorFlash) => new NorFlash(flash.image.length / flash.blockSize, flash.blockSize, flash.image.slice());

describe("round agent: the round record in flash across reboots and power cuts", () => {
  it("a rebooted device answers the same setup with the same key frame, never new keys; an older round is ignored", () => {
    const flash = new NorFlash(2, 4096);
    const first = boot(flash);
    first.ask(setup(5));
    assert.equal(first.sent.length, 1);
    const again = boot(reboot(flash));
    assert.ok(again.log.some((l) => /round 5: resumed from flash after stage 1/.test(l)), again.log.join("\n"));
    again.ask(setup(5));
    assert.equal(again.sent.length, 1);
    assert.deepEqual(again.sent[0], first.sent[0]);
    // Without the record the same request makes fresh keys: the comparison above can fail.
    const fresh = boot(new NorFlash(2, 4096));
    fresh.ask(setup(5));
    assert.notDeepEqual(fresh.sent[0], first.sent[0]);
    again.ask(setup(4));
    assert.equal(again.sent.length, 1, "an older round's request is not answered");
  });

  it("a power cut at any byte of saving the next round leaves the old record or the new one, and nothing was sent before it", () => {
    const base = new NorFlash(2, 4096);
    boot(base).ask(setup(5));
    const measure = reboot(base);
    const before = measure.units;
    boot(measure).ask(setup(6));
    const cost = measure.units - before;
    assert.ok(cost > 300, `a save costs ${cost} units`);
    const seen = new Set<number>();
    for (let u = 0; u <= cost; u++) {
      const flash = reboot(base);
      const dev = boot(flash);
      flash.cutPowerAfter(u);
      let cut = false;
      try {
        dev.ask(setup(6));
      } catch (e) {
        if (!(e instanceof PowerCut)) throw e;
        cut = true;
      }
      assert.equal(cut, u < cost, `cut at ${u} of ${cost}`);
      assert.equal(dev.sent.length, cut ? 0 : 1, `sent before the cut at ${u}`);
      const after = reboot(flash);
      const record = loadRoundRecord(new SlotStore(after, new ZlibChecksum(), { firstSector: 0, sectorsPerSlot: 1, tag: 0x52 }));
      assert.ok(record && (record.round === 5 || record.round === 6), `cut at ${u}: a whole record (${record?.round})`);
      if (!cut) assert.equal(record.round, 6);
      seen.add(record.round);
      if (u % 64 === 0 || !cut) {
        // The device goes on: round 6 answered, then the same frame after another reboot.
        const one = boot(after);
        one.ask(setup(6));
        assert.equal(one.sent.length, 1);
        if (!cut) assert.deepEqual(one.sent[0], dev.sent[0], "the frame sent before the reboot");
        const two = boot(reboot(after));
        two.ask(setup(6));
        assert.deepEqual(two.sent[0], one.sent[0]);
      }
    }
    assert.ok(seen.has(5) && seen.has(6), "cuts before and after the commit point were both tried");
  });
});
