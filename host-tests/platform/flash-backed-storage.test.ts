// FlashBackedStorage: the one Storage port over Moddable's `flash` and the simulator's flash
// binding. Oracle: the Storage contract (docs in firmware/platform/storage.ts) against a flash
// double that checks nothing, as the SDK's esp32 body does not.
import assert from "node:assert/strict";
import { FlashBackedStorage, type FlashLike } from "../../firmware/platform/flash-backed-storage.js";

class RawFlash implements FlashLike {
  readonly byteLength = 256;
  readonly blockSize = 64;
  readonly cells = new Uint8Array(256).fill(0xff);
  calls: string[] = [];
  erase(sector: number): void { this.calls.push(`erase ${sector}`); this.cells.fill(0xff, sector * 64, sector * 64 + 64); }
  read(offset: number, n: number): ArrayBuffer { this.calls.push(`read ${offset}`); return this.cells.slice(offset, offset + n).buffer; }
  write(offset: number, n: number, b: Uint8Array): void {
    this.calls.push(`write ${offset}`);
    for (let i = 0; i < n; i++) this.cells[offset + i]! &= b[i]!;
  }
}

describe("FlashBackedStorage (Storage port over a flash binding)", () => {
  it("passes in-range calls through with the binding's geometry", () => {
    const flash = new RawFlash();
    const s = new FlashBackedStorage(flash);
    assert.deepEqual([s.byteLength, s.blockSize], [256, 64]);
    s.write(70, 3, Uint8Array.of(1, 2, 3));
    assert.deepEqual(Array.from(new Uint8Array(s.read(69, 5))), [0xff, 1, 2, 3, 0xff]);
    s.erase(1);
    assert.deepEqual(Array.from(new Uint8Array(s.read(70, 3))), [0xff, 0xff, 0xff]);
    assert.equal(s.read(10, 0).byteLength, 0);
  });

  it("refuses out-of-range access with RangeError before the binding sees it", () => {
    const flash = new RawFlash();
    const s = new FlashBackedStorage(flash);
    for (const f of [() => s.erase(4), () => s.erase(-1), () => s.erase(0.5), () => s.read(250, 7), () => s.read(-1, 1),
      () => s.write(255, 2, Uint8Array.of(0, 0))]) assert.throws(f, RangeError);
    assert.deepEqual(flash.calls, []);
  });
});
