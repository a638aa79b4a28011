// The xsmc bindings in native/xs as the simulator runs them, against independent oracles:
// zlib's CRC-32, NOR flash semantics as specified (erase -> 0xFF, program = old & new), and
// EPR1 recordings written here field by field.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { crc32 } from "node:zlib";
import { Fixture, face, simBinary } from "./harness.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** JS source that rebuilds a Uint8Array from hex inside XS (no atob/Buffer there), lean on
 * memory: fixtures run within the board's heap budget. */
const bytesJS = (b: Uint8Array): string =>
  `((s) => { const o = new Uint8Array(s.length >> 1); ` +
  `for (let i = 0; i < o.length; i++) o[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16); return o; })("${hex(b)}")`;

describe("simulator natives (native/xs)", function () {
  let fx: Fixture;
  before(function () {
    if (!existsSync(simBinary)) throw new Error(`${simBinary} missing: run make first`);
  });
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(() => fx.remove());

  it("crc32 in C equals zlib.crc32 on random data, whole and chained, any view", function () {
    const lengths = [0, 1, 7, 255, 1000, 4096];
    const data = lengths.map((n) => new Uint8Array(randomBytes(n)));
    const main = fx.write(
      "main.js",
      `import { crc32 } from ${JSON.stringify(face("crc"))};\n` +
        `const data = [${data.map(bytesJS).join(", ")}];\n` +
        `for (const d of data) {\n` +
        `  const half = d.length >> 1;\n` +
        `  const chained = crc32(d.subarray(half), crc32(d.subarray(0, half)));\n` +
        `  const viaBuffer = crc32(d.slice().buffer);\n` +
        `  const viaWords = d.length % 2 ? viaBuffer : crc32(new Uint16Array(d.slice().buffer));\n` +
        `  console.log(crc32(d), chained, viaBuffer, viaWords);\n` +
        `}\n`,
    );
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    const expected = data.map((d) => {
      const c = crc32(d);
      return `${c} ${c} ${c} ${c}`;
    });
    assert.deepEqual(r.stdout.trim().split("\n"), expected);
  });

  it("crc32 rejects a previous value that is not a uint32", function () {
    const main = fx.write(
      "main.js",
      `import { crc32 } from ${JSON.stringify(face("crc"))};\n` +
        `try { crc32(new Uint8Array(1), -1); } catch (e) { console.log(e.name); }\n`,
    );
    assert.equal(fx.run([main]).stdout, "RangeError\n");
  });

  it("flash: erase sets 0xFF, write only clears bits, out-of-range access throws RangeError", function () {
    const first = new Uint8Array(randomBytes(64));
    const second = new Uint8Array(randomBytes(64));
    const flashFile = fx.path("flash.bin");
    const main = fx.write(
      "main.js",
      `import { Flash } from ${JSON.stringify(face("flash"))};\n` +
        `const f = new Flash("storage");\n` +
        `const show = (o, n) => Array.from(new Uint8Array(f.read(o, n)), (x) => x.toString(16).padStart(2, "0")).join("");\n` +
        `console.log(f.byteLength, f.blockSize);\n` +
        `f.write(f.blockSize + 10, 4, new Uint8Array([0, 0, 0, 0]));\n` +
        `f.erase(1);\n` +
        `console.log(show(f.blockSize, 32));\n` +
        `f.write(f.blockSize + 100, 64, ${bytesJS(first)});\n` +
        `f.write(f.blockSize + 100, 64, ${bytesJS(second)});\n` +
        `console.log(show(f.blockSize + 100, 64));\n` +
        `const attempts = [() => f.read(f.byteLength - 4, 8), () => f.read(-1, 1), () => f.write(f.byteLength, 1, new Uint8Array(1)),\n` +
        `  () => f.erase(f.byteLength / f.blockSize), () => f.erase(-1), () => f.write(0, 8, new Uint8Array(4))];\n` +
        `console.log(attempts.map((a) => { try { a(); return "none"; } catch (e) { return e.name; } }).join(","));\n`,
    );
    const r = fx.run(["--flash", flashFile, main]);
    assert.equal(r.status, 0, r.stderr);
    const [sizes, erased, programmed, errors] = r.stdout.trim().split("\n");
    const [size, blockSize] = (sizes ?? "").split(" ").map(Number) as [number, number];
    assert.ok(blockSize > 0 && size >= 2 * blockSize && size % blockSize === 0, sizes);
    assert.equal(erased, "ff".repeat(32));
    const anded = first.map((v, i) => v & (second[i] as number));
    assert.equal(programmed, hex(anded));
    assert.equal(errors, "RangeError,RangeError,RangeError,RangeError,RangeError,RangeError");
    // the file is the partition: same bytes, same size, erased elsewhere
    const image = readFileSync(flashFile);
    assert.equal(image.length, size);
    assert.equal(hex(image.subarray(blockSize + 100, blockSize + 164)), hex(anded));
    assert.ok(image.subarray(blockSize, blockSize + 100).every((b) => b === 0xff));
  });

  it("flash contents persist across runs in the --flash file", function () {
    const flashFile = fx.path("flash.bin");
    const flash = JSON.stringify(face("flash"));
    const write = fx.write(
      "write.js",
      `import { Flash } from ${flash};\nconst f = new Flash({ partition: "storage" });\nf.erase(0);\nf.write(8, 3, new Uint8Array([1, 2, 3]));\n`,
    );
    const read = fx.write(
      "read.js",
      `import { Flash } from ${flash};\nconsole.log(Array.from(new Uint8Array(new Flash("storage").read(6, 6))).join(","));\n`,
    );
    assert.equal(fx.run(["--flash", flashFile, write]).status, 0);
    const r = fx.run(["--flash", flashFile, read]);
    assert.equal(r.stdout, "255,255,1,2,3,255\n");
  });

  it("--flash-cut-after N loses power after N written bytes: exit 75, earlier bytes on disk", function () {
    const flashFile = fx.path("flash.bin");
    const main = fx.write(
      "main.js",
      `import { Flash } from ${JSON.stringify(face("flash"))};\nconst f = new Flash("storage");\nf.erase(0);\n` +
        `for (let i = 0; i < 10; i++) { f.write(i * 10, 10, new Uint8Array(10).fill(i)); console.log("wrote", i); }\n`,
    );
    // the erase of sector 0 spends 4096 bytes of the budget, then 35 written bytes remain
    const r = fx.run(["--flash", flashFile, "--flash-cut-after", String(4096 + 35), main]);
    assert.equal(r.status, 75);
    assert.equal(r.stdout, "wrote 0\nwrote 1\nwrote 2\n");
    assert.match(r.stderr, /power cut/);
    const image = readFileSync(flashFile);
    const expected = Buffer.alloc(100, 0xff);
    for (let i = 0; i < 35; i++) expected[i] = Math.floor(i / 10);
    assert.equal(hex(image.subarray(0, 100)), hex(expected));
  });

  it("--flash-cut-after N counts erased bytes: a cut erase leaves an 0xFF prefix, the rest of the sector as it was", function () {
    // The file is the partition: start from known non-erased bytes and check every byte after
    // the cut against what the cut must leave (a write of 10 bytes, then an erase cut 1000
    // bytes into sector 1; sectors 0 and 2.. unchanged apart from the write).
    const flashFile = fx.path("flash.bin");
    const sector = 4096;
    const size = 64 * sector; // boards/sim.json: 64 sectors of 4 KB
    const before = Buffer.from(randomBytes(size).map((b) => b & 0x7f)); // no byte reads erased
    writeFileSync(flashFile, before);
    const main = fx.write(
      "main.js",
      `import { Flash } from ${JSON.stringify(face("flash"))};\nconst f = new Flash("storage");\n` +
        `f.write(20, 10, new Uint8Array(10)); console.log("wrote");\n` +
        `f.erase(1); console.log("erased 1");\nf.erase(2); console.log("erased 2");\n`,
    );
    const r = fx.run(["--flash", flashFile, "--flash-cut-after", String(10 + 1000), main]);
    assert.equal(r.status, 75, r.stderr);
    assert.equal(r.stdout, "wrote\n");
    assert.match(r.stderr, /power cut \(--flash-cut-after\) during an erase of sector 1/);
    const expected = Buffer.from(before);
    expected.fill(0, 20, 30); // old & 0
    expected.fill(0xff, sector, sector + 1000);
    const image = readFileSync(flashFile);
    assert.equal(image.length, size);
    assert.ok(image.equals(expected), "partition bytes after the cut erase");
  });

  it("--flash-cut-after: an erase that ends exactly at the budget completes, then the power goes", function () {
    const flashFile = fx.path("flash.bin");
    const before = Buffer.alloc(64 * 4096, 0x5a);
    writeFileSync(flashFile, before);
    const main = fx.write(
      "main.js",
      `import { Flash } from ${JSON.stringify(face("flash"))};\nconst f = new Flash("storage");\n` +
        `f.erase(3); console.log("erased 3");\n`,
    );
    const r = fx.run(["--flash", flashFile, "--flash-cut-after", "4096", main]);
    assert.equal(r.status, 75, r.stderr);
    assert.equal(r.stdout, "");
    const expected = Buffer.from(before);
    expected.fill(0xff, 3 * 4096, 4 * 4096);
    assert.ok(readFileSync(flashFile).equals(expected));
  });

  it("playback returns EPR1 frames as typed arrays of the recorded type", function () {
    const frames = [
      [0, -1, 32767],
      [-32768, 5, 6],
      [7, 8, -9],
    ];
    const header = Buffer.alloc(16);
    header.write("EPR1", 0, "ascii");
    header.writeUInt16LE(3, 4);
    header.writeUInt16LE(2, 6);
    header.writeUInt32LE(50, 8);
    header.writeUInt32LE(frames.length, 12);
    const body = Buffer.alloc(frames.length * 3 * 2);
    frames.flat().forEach((v, i) => body.writeInt16LE(v, i * 2));
    const rec = fx.write("rec.epr1", Buffer.concat([header, body]));
    const floats = Buffer.alloc(16 + 8);
    floats.write("EPR1", 0, "ascii");
    floats.writeUInt16LE(2, 4);
    floats.writeUInt16LE(4, 6);
    floats.writeUInt32LE(100, 8);
    floats.writeUInt32LE(1, 12);
    floats.writeFloatLE(1.5, 16);
    floats.writeFloatLE(-0.25, 20);
    const recF = fx.write("f.epr1", floats);
    const trunc = fx.write("t.epr1", Buffer.concat([header, body.subarray(0, 10)]));
    const main = fx.write(
      "main.js",
      `import { Playback } from ${JSON.stringify(face("playback"))};\n` +
        `const p = new Playback(${JSON.stringify(rec)});\n` +
        `console.log(p.channels, p.sampleType, p.rateHz, p.frameCount);\n` +
        `for (let f = p.next(); f; f = p.next()) console.log(f.constructor.name, Array.from(f).join(","));\n` +
        `console.log(Array.from(p.read(1, 99)).join(","));\n` +
        `const q = new Playback(${JSON.stringify(recF)});\n` +
        `const g = q.next(); console.log(g.constructor.name, Array.from(g).join(","));\n` +
        `try { new Playback(${JSON.stringify(trunc)}); } catch (e) { console.log(e.message); }\n`,
    );
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "3 2 50 3",
      ...frames.map((f) => `Int16Array ${f.join(",")}`),
      [...(frames[1] as number[]), ...(frames[2] as number[])].join(","),
      "Float32Array 1.5,-0.25",
      `playback: ${trunc} is truncated`,
    ]);
  });
});
