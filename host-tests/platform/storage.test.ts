import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NorFlash, PowerCut } from "../../firmware/platform/nor-flash.js";
import { openFileFlash } from "../../firmware/platform/node/file-flash.js";

const bytes = (...v: number[]) => Uint8Array.from(v);
const read = (f: NorFlash, offset: number, n: number) => Array.from(new Uint8Array(f.read(offset, n)));

describe("NorFlash (Storage port, NOR rules)", () => {
  it("reports its geometry and starts erased (all 0xFF)", () => {
    const f = new NorFlash(4, 256);
    assert.equal(f.byteLength, 1024);
    assert.equal(f.blockSize, 256);
    assert.deepEqual(read(f, 0, 1024), new Array(1024).fill(0xff));
  });

  it("write can only clear bits: stored = old AND new", () => {
    const f = new NorFlash(1, 64);
    f.write(10, 3, bytes(0xf0, 0x0f, 0xaa));
    assert.deepEqual(read(f, 10, 3), [0xf0, 0x0f, 0xaa]);
    f.write(10, 3, bytes(0x3c, 0xff, 0x55));
    assert.deepEqual(read(f, 10, 3), [0x30, 0x0f, 0x00]);
    assert.deepEqual(read(f, 9, 1), [0xff]);
    assert.deepEqual(read(f, 13, 1), [0xff]);
  });

  it("writes only byteLength bytes of a longer buffer, from an ArrayBuffer too", () => {
    const f = new NorFlash(1, 16);
    f.write(0, 2, bytes(1, 2, 3, 4).buffer);
    assert.deepEqual(read(f, 0, 4), [1, 2, 0xff, 0xff]);
  });

  it("erase restores exactly one sector to 0xFF", () => {
    const f = new NorFlash(3, 16);
    f.write(0, 48, new Uint8Array(48));
    f.erase(1);
    assert.deepEqual(read(f, 0, 16), new Array(16).fill(0));
    assert.deepEqual(read(f, 16, 16), new Array(16).fill(0xff));
    assert.deepEqual(read(f, 32, 16), new Array(16).fill(0));
  });

  it("read returns a copy, not a window on the cells", () => {
    const f = new NorFlash(1, 16);
    new Uint8Array(f.read(0, 4)).fill(0);
    assert.deepEqual(read(f, 0, 4), [0xff, 0xff, 0xff, 0xff]);
  });

  it("throws RangeError outside the partition", () => {
    const f = new NorFlash(2, 16);
    assert.throws(() => f.read(-1, 1), RangeError);
    assert.throws(() => f.read(31, 2), RangeError);
    assert.throws(() => f.read(32, 1), RangeError);
    assert.throws(() => f.read(1.5, 1), RangeError);
    assert.throws(() => f.write(30, 3, new Uint8Array(3)), RangeError);
    assert.throws(() => f.write(-2, 1, new Uint8Array(1)), RangeError);
    assert.throws(() => f.erase(2), RangeError);
    assert.throws(() => f.erase(-1), RangeError);
    assert.deepEqual(read(f, 0, 32), new Array(32).fill(0xff), "a refused write changes nothing");
    assert.deepEqual(read(f, 31, 1), [0xff]);
    assert.equal(f.read(32, 0).byteLength, 0, "an empty read at the end is in range");
  });

  it("persists to a file and reopens with the same cells", () => {
    const dir = mkdtempSync(join(tmpdir(), "nor-"));
    try {
      const path = join(dir, "flash.bin");
      const a = openFileFlash(path, 2, 32);
      a.write(33, 2, bytes(0x12, 0x34));
      const file = readFileSync(path);
      assert.equal(file.length, 64);
      assert.deepEqual([file[32], file[33], file[34]], [0xff, 0x12, 0x34]);
      const b = openFileFlash(path, 2, 32);
      assert.deepEqual(read(b, 33, 2), [0x12, 0x34]);
      assert.throws(() => openFileFlash(path, 4, 32), RangeError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("NorFlash fault injection (power cut after N units)", () => {
  it("a write cut after n bytes programs exactly the first n bytes", () => {
    const data = Uint8Array.from({ length: 16 }, (_, i) => i);
    for (let n = 0; n < 16; n++) {
      const f = new NorFlash(1, 32);
      f.cutPowerAfter(n);
      assert.throws(() => f.write(8, 16, data), PowerCut);
      const after = new NorFlash(1, 32, f.image); // reboot over the same cells
      const expected = new Array(32).fill(0xff);
      for (let i = 0; i < n; i++) expected[8 + i] = i;
      assert.deepEqual(read(after, 0, 32), expected, `cut after ${n}`);
    }
  });

  it("a dead device refuses every call until rebuilt", () => {
    const f = new NorFlash(1, 16);
    f.cutPowerAfter(0);
    assert.throws(() => f.write(0, 1, bytes(0)), PowerCut);
    assert.equal(f.dead, true);
    assert.throws(() => f.read(0, 1), PowerCut);
    assert.throws(() => f.erase(0), PowerCut);
  });

  it("an interrupted erase leaves the sector half erased", () => {
    const f = new NorFlash(2, 16);
    f.write(0, 32, new Uint8Array(32));
    f.cutPowerAfter(0);
    assert.throws(() => f.erase(1), PowerCut);
    const after = new NorFlash(2, 16, f.image);
    assert.deepEqual(read(after, 16, 16), [...new Array(8).fill(0xff), ...new Array(8).fill(0)]);
    assert.deepEqual(read(after, 0, 16), new Array(16).fill(0));
  });

  it("counts units: bytes written plus one per erase", () => {
    const f = new NorFlash(2, 16);
    f.erase(0);
    f.write(0, 5, new Uint8Array(5));
    assert.equal(f.units, 6);
  });
});
