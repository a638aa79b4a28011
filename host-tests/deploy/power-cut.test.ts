// Power cut at every flash unit (each byte written, each erase: NorFlash.cutPowerAfter) during
// download, activation and confirmation, the way MCUboot's simulator injects a reset at every
// flash operation: after each cut the device reboots on the same cells and must run the old or
// the new adapter, byte for byte, never a mix; the counter never goes backwards; a reboot
// during the trial reverts; and the device still installs the next delta.
import assert from "node:assert/strict";
import { PowerCut } from "../../firmware/platform/nor-flash.js";
import type { DeployStore } from "../../firmware/deploy/deploy-store.js";
import { deliver, delta, device, payloadOf } from "./device.js";

const v1 = payloadOf(700);
const v2 = payloadOf(4500); // > 4 KB: person_detect LoRA sized
const v3 = payloadOf(333);

/** The starting image: v1 confirmed in slot 0 (counter 1), optionally a verified candidate in slot 1. */
function start(candidate?: Uint8Array): Uint8Array {
  const dev = device();
  dev.store.boot();
  deliver(dev.store, delta(1, v1));
  dev.store.beginTrial();
  dev.store.confirm();
  if (candidate) deliver(dev.store, delta(5, candidate));
  return dev.flash.image.slice();
}

type Step = (store: DeployStore) => void;

/** Units spent after each step of an uncut run. */
function marks(image: Uint8Array, steps: readonly Step[]): number[] {
  const dev = device(image.slice());
  dev.store.boot();
  const base = dev.flash.units;
  return steps.map((s) => { s(dev.store); return dev.flash.units - base; });
}

interface After { payload: Uint8Array | undefined; counter: number; reverted: boolean; state: string }

/** Cut after n units of the steps, reboot twice; the second boot must agree with the first. */
function cutAt(image: Uint8Array, steps: readonly Step[], n: number, total: number): { image: Uint8Array; after: After } {
  const dev = device(image.slice());
  dev.store.boot();
  dev.flash.cutPowerAfter(n);
  let cut = false;
  try {
    for (const s of steps) s(dev.store);
  } catch (error: unknown) {
    if (!(error instanceof PowerCut)) throw error;
    cut = true;
  }
  assert.equal(cut, n < total, `cut at ${n} of ${total} ${cut ? "fired" : "did not fire"}`);
  const r = device(dev.flash.image).store.boot();
  const again = device(dev.flash.image).store.boot();
  assert.deepEqual(again.payload, r.payload, `cut at ${n}: a second boot runs the same adapter`);
  assert.equal(again.reverted, false, `cut at ${n}: the revert was persisted`);
  assert.equal(r.problem, undefined, `cut at ${n}: ${r.problem}`);
  return { image: dev.flash.image, after: { payload: r.payload, counter: r.state.counter, reverted: r.reverted, state: again.state.state } };
}

const same = (a: Uint8Array | undefined, b: Uint8Array) => a !== undefined && a.length === b.length && Buffer.compare(a, b) === 0;

/** The device after the cut still takes a delta: no state it can be left in blocks the next one. */
function stillInstalls(image: Uint8Array, n: number): void {
  const dev = device(image.slice());
  dev.store.boot();
  deliver(dev.store, delta(9, v3), 512);
  dev.store.beginTrial();
  dev.store.confirm();
  const r = device(dev.flash.image).store.boot();
  assert.ok(same(r.payload, v3), `cut at ${n}: the next delta installs`);
  assert.equal(r.state.counter, 9);
}

describe("deploy: power cut at every flash unit", function () {
  this.timeout(600000);
  const download: Step = (s) => { deliver(s, delta(2, v2), 97); };
  const trial: Step = (s) => { s.beginTrial(); };
  const confirm: Step = (s) => { s.confirm(); };
  const revert: Step = (s) => { s.revert(); };

  it("download -> trial -> confirm: v1 until the confirm's last byte, then v2; a cut during the trial reverts", () => {
    const image = start();
    const steps = [download, trial, confirm];
    const [uDownload, uTrial, uConfirm] = marks(image, steps) as [number, number, number];
    assert.ok(uDownload > v2.length, `the download writes the payload (${uDownload} units)`);
    let reverts = 0;
    for (let n = 0; n <= uConfirm; n++) {
      const { image: after, after: a } = cutAt(image, steps, n, uConfirm);
      if (n === uConfirm) {
        assert.ok(same(a.payload, v2), "uncut: v2");
        assert.equal(a.counter, 2);
      } else {
        assert.ok(same(a.payload, v1), `cut at ${n} of ${uConfirm}: the old adapter, whole`);
        assert.equal(a.counter, 1, `cut at ${n}: the counter stays`);
      }
      assert.equal(a.reverted, n >= uTrial && n < uConfirm, `cut at ${n}: reverted only when the trial had begun (${uTrial}..${uConfirm})`);
      assert.equal(a.state, n >= uDownload && n < uTrial ? "verified" : "idle", `cut at ${n}`);
      if (a.reverted) reverts++;
      stillInstalls(after, n);
    }
    assert.equal(reverts, uConfirm - uTrial);
  });

  it("download -> trial -> revert: v1 at every cut, counter 1", () => {
    const image = start();
    const steps = [download, trial, revert];
    const total = marks(image, steps).at(-1)!;
    for (let n = 0; n <= total; n++) {
      const { after: a } = cutAt(image, steps, n, total);
      assert.ok(same(a.payload, v1), `cut at ${n} of ${total}`);
      assert.equal(a.counter, 1);
    }
  });

  it("a download over a verified candidate (dropped, slot rewritten) -> trial -> confirm", () => {
    const image = start(payloadOf(2000));
    const steps: Step[] = [(s) => { deliver(s, delta(6, v2), 256); }, trial, confirm];
    const total = marks(image, steps).at(-1)!;
    for (let n = 0; n <= total; n++) {
      const { after: a } = cutAt(image, steps, n, total);
      if (n === total) assert.ok(same(a.payload, v2) && a.counter === 6, "uncut: v2 with counter 6");
      else assert.ok(same(a.payload, v1) && a.counter === 1, `cut at ${n} of ${total}`);
    }
  });

  it("a cut during the boot that reverts an interrupted trial: the next boot reverts again", () => {
    const dev = device(start());
    dev.store.boot();
    deliver(dev.store, delta(2, v2));
    dev.store.beginTrial();
    const inTrial = dev.flash.image.slice();
    const probe = device(inTrial.slice());
    probe.store.boot();
    const total = probe.flash.units;
    assert.ok(total > 0, "the reverting boot writes the boot state");
    for (let n = 0; n < total; n++) {
      const d = device(inTrial.slice());
      d.flash.cutPowerAfter(n);
      assert.throws(() => d.store.boot(), PowerCut);
      const r = device(d.flash.image).store.boot();
      assert.ok(same(r.payload, v1), `cut at ${n} of ${total}`);
      assert.equal(r.reverted, true, `cut at ${n}: the trial is still found and reverted`);
      assert.equal(r.state.counter, 1);
    }
  });
});
