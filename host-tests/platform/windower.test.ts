import assert from "node:assert/strict";
import { Windower, type SampleWindow } from "../../firmware/capture/windower.js";
import { windowStats } from "../../firmware/features/window-stats.js";

const frame = (t: number, ...v: number[]) => ({ timestamp: t, values: Float32Array.from(v) });

describe("Windower", () => {
  it("cuts back-to-back windows and drops the incomplete tail", () => {
    const out: SampleWindow[] = [];
    const w = new Windower(2, 3, (x) => out.push(x));
    for (let i = 0; i < 8; i++) w.push(frame(i * 10, i, -i));
    assert.equal(out.length, 2);
    assert.deepEqual(Array.from(out[0]!.data), [0, -0, 1, -1, 2, -2]);
    assert.deepEqual(Array.from(out[1]!.data), [3, -3, 4, -4, 5, -5]);
    assert.deepEqual(out.map((x) => [x.index, x.start]), [[0, 0], [1, 30]]);
  });

  it("overlaps windows with a hop smaller than the window", () => {
    const out: number[][] = [];
    const w = new Windower(1, 4, (x) => out.push(Array.from(x.data)), 2);
    for (let i = 0; i < 9; i++) w.push(frame(i, i));
    assert.deepEqual(out, [[0, 1, 2, 3], [2, 3, 4, 5], [4, 5, 6, 7]]);
  });

  it("hands out copies: a later frame does not change an emitted window", () => {
    const out: SampleWindow[] = [];
    const w = new Windower(1, 2, (x) => out.push(x), 1);
    [1, 2, 3].forEach((v, i) => w.push(frame(i, v)));
    assert.deepEqual(out.map((x) => Array.from(x.data)), [[1, 2], [2, 3]]);
  });

  it("rejects bad sizes and short frames", () => {
    assert.throws(() => new Windower(0, 4, () => {}), RangeError);
    assert.throws(() => new Windower(1, 4, () => {}, 0), RangeError);
    assert.throws(() => new Windower(3, 4, () => {}).push(frame(0, 1, 2)), RangeError);
  });

  it("window statistics (features room) match hand computation", () => {
    const win: SampleWindow = { index: 0, channels: 2, frames: 4, start: 0, data: Float32Array.from([1, 3, 2, -3, 3, 3, 6, -3]) };
    const stats = windowStats(win.data, win.channels);
    assert.deepEqual(Array.from(stats.mean), [3, 0]);
    assert.deepEqual(Array.from(stats.max), [6, 3]);
    assert.deepEqual(Array.from(stats.std), [Math.sqrt(3.5), 3]);
  });
});
