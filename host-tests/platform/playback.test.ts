import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualClock } from "../../firmware/platform/virtual-clock.js";
import { openFilePlayback } from "../../firmware/platform/node/file-playback.js";
import { Epr1Reader } from "../../firmware/capture/epr1.js";
import type { SensorSample } from "../../firmware/platform/sensor.js";

/** An EPR1 image written field by field from the format's definition (not by the code under test). */
function epr1(channels: number, sampleType: number, rateHz: number, frames: number[][]): Buffer {
  const size = { 1: 1, 2: 2, 3: 1, 4: 4 }[sampleType]!;
  const b = Buffer.alloc(16 + frames.length * channels * size);
  b.write("EPR1", 0, "ascii");
  b.writeUInt16LE(channels, 4);
  b.writeUInt16LE(sampleType, 6);
  b.writeUInt32LE(rateHz, 8);
  b.writeUInt32LE(frames.length, 12);
  let at = 16;
  for (const f of frames) {
    for (const v of f) {
      if (sampleType === 1) b.writeInt8(v, at);
      else if (sampleType === 2) b.writeInt16LE(v, at);
      else if (sampleType === 3) b.writeUInt8(v, at);
      else b.writeFloatLE(v, at);
      at += size;
    }
  }
  return b;
}

describe("EPR1 playback sensor (Node, file)", () => {
  let dir = "";
  before(() => { dir = mkdtempSync(join(tmpdir(), "epr1-")); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, number, number[][]][] = [
    ["int8", 1, [[-128, 127], [0, -1], [5, 6]]],
    ["int16", 2, [[-32768, 32767], [300, -300], [1, 2]]],
    ["uint8", 3, [[0, 255], [128, 7], [9, 10]]],
    ["float32", 4, [[0.5, -1.25], [3.75, 1e-3], [-2, 8]]],
  ];
  for (const [name, type, frames] of cases) {
    it(`delivers every ${name} frame in order with recording timestamps`, () => {
      const path = join(dir, `${name}.epr1`);
      writeFileSync(path, epr1(2, type, 4, frames));
      const clock = new VirtualClock();
      const got: SensorSample[] = [];
      let ended = 0;
      const sensor = openFilePlayback(path, clock, {
        onSample: () => { const s = sensor.sample(); if (s) got.push(s); },
        onEnd: () => { ended++; },
      });
      assert.equal(sensor.channels, 2);
      assert.equal(sensor.rateHz, 4);
      clock.runAll();
      assert.equal(ended, 1);
      assert.deepEqual(got.map((s) => Array.from(s.values)), frames.map((f) => f.map((v) => Math.fround(v))));
      assert.deepEqual(got.map((s) => s.timestamp), [0, 250, 500]);
      assert.equal(sensor.sample(), undefined);
    });
  }

  it("paces frames at rateHz on the clock: a frame is out once its time has come", () => {
    const path = join(dir, "paced.epr1");
    writeFileSync(path, epr1(1, 2, 10, Array.from({ length: 20 }, (_, i) => [i])));
    const clock = new VirtualClock();
    let delivered = 0;
    const sensor = openFilePlayback(path, clock, { onSample: () => { delivered++; sensor.sample(); } });
    sensor.configure({ speed: 1 });
    clock.advance(0);
    assert.equal(delivered, 1); // frame 0 at t=0
    clock.advance(250);
    assert.equal(delivered, 3); // frames at 0, 100, 200 ms
    clock.advance(750);
    assert.equal(delivered, 11); // up to t=1000 ms
    sensor.configure({ speed: 2 }); // twice as fast from here
    clock.advance(200);
    assert.equal(delivered, 15);
    sensor.close();
    clock.runAll();
    assert.equal(delivered, 15, "close stops delivery");
  });

  it("rejects bad magic, unknown sample types and truncated bodies", () => {
    const good = epr1(2, 2, 10, [[1, 2], [3, 4]]);
    const ab = (b: Buffer): ArrayBuffer => new Uint8Array(b).buffer;
    assert.equal(new Epr1Reader(ab(good)).frameCount, 2);
    const badMagic = Buffer.from(good); badMagic.write("EPR2", 0, "ascii");
    assert.throws(() => new Epr1Reader(ab(badMagic)), /magic/);
    const badType = Buffer.from(good); badType.writeUInt16LE(9, 6);
    assert.throws(() => new Epr1Reader(ab(badType)), RangeError);
    assert.throws(() => new Epr1Reader(ab(good.subarray(0, good.length - 1))), RangeError);
    assert.throws(() => new Epr1Reader(ab(good.subarray(0, 10))), RangeError);
    const reader = new Epr1Reader(ab(good));
    assert.throws(() => reader.read(2, new Float32Array(2)), RangeError);
  });
});
