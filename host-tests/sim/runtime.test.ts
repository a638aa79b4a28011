// The simulator as a runtime: module loading, timers in virtual time, errors, memory budget.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { Fixture, boardCreation, memoryLine, simBinary } from "./harness.js";

describe("simulator runtime (edge-peft-sim)", function () {
  let fx: Fixture;
  before(function () {
    if (!existsSync(simBinary)) throw new Error(`${simBinary} missing: run make first`);
  });
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(() => fx.remove());

  it("loads ES modules: ./ and ../ specifiers, shared instances, dynamic import(), args", function () {
    fx.write("app/lib/a.js", `import { b } from "../shared/./b.js";\nexport const a = () => "a" + b();\n`);
    fx.write("app/shared/b.js", `export let loads = (globalThis.loads ?? 0) + 1; globalThis.loads = loads;\nexport const b = () => "b";\n`);
    fx.write("app/lib/late.js", `export default "late";\n`);
    const main = fx.write(
      "app/main.js",
      `import { a } from "./lib/a.js";\nimport { b } from "./shared/b.js";\n` +
        `const late = await import("./lib/" + "late.js");\n` +
        `console.log(a(), b(), late.default, globalThis.loads, native("xs_sim_args")().join("|"));\n`,
    );
    const r = fx.run([main, "one", "two words"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "ab b late 1 one|two words\n");
  });

  it("trace prints without a newline, console.log with one", function () {
    const main = fx.write("main.js", `trace("x", 1, true); trace("\\n"); console.log("y", 2);\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "x1true\ny 2\n");
  });

  it("a missing module stops the run with its name", function () {
    const main = fx.write("main.js", `import "./nowhere.js";\n`);
    const r = fx.run([main]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /module "\.\/nowhere\.js" not found/);
  });

  it("a syntax error names the file and line", function () {
    fx.write("bad.js", `export const ok = 1;\nlet x = ;\n`);
    const main = fx.write("main.js", `import "./bad.js";\n`);
    const r = fx.run([main]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /SyntaxError: .*bad\.js:2: /);
  });

  it("fires timers in deadline order on a virtual clock", function () {
    const main = fx.write(
      "main.js",
      `const now = native("xs_clock_now"); const log = [];\n` +
        `setTimeout(() => log.push("t300@" + now()), 300);\n` +
        `setTimeout(() => log.push("t100@" + now()), 100);\n` +
        `const cancelled = setTimeout(() => log.push("never"), 50); clearTimeout(cancelled);\n` +
        `setTimeout(() => log.push("t100b@" + now()), 100);\n` +
        `let n = 0; const iv = setInterval(() => { log.push("i@" + now()); if (++n === 3) clearInterval(iv); }, 70);\n` +
        `const set = native("xs_timer_set"); set((id) => log.push("m" + typeof id + "@" + now()), 250, 0);\n` +
        `setTimeout(() => console.log(log.join(" ")), 1000);\n`,
    );
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), "i@70 t100@100 t100b@100 i@140 i@210 mnumber@250 t300@300");
  });

  it("plays a minute of 50 Hz ticks in well under a second, --realtime waits for real", function () {
    const main = fx.write(
      "main.js",
      `const now = native("xs_clock_now"); let ticks = 0;\n` +
        `const iv = setInterval(() => { if (++ticks === 3000) { clearInterval(iv); console.log(ticks, now()); } }, 20);\n`,
    );
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "3000 60000\n");
    assert.ok(r.ms < 1000, `virtual minute took ${r.ms} ms`);
    const slow = fx.write("slow.js", `setTimeout(() => console.log("done"), 300);\n`);
    const rt = fx.run(["--realtime", slow]);
    assert.equal(rt.stdout, "done\n");
    assert.ok(rt.ms >= 290, `--realtime returned after ${rt.ms} ms`);
  });

  it("stops on chunk-heap exhaustion with the board's limit and a non-zero status", function () {
    const main = fx.write("main.js", `const keep = []; for (;;) keep.push(new ArrayBuffer(1024));\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 3);
    const limit = boardCreation().chunk.initial;
    assert.match(r.stderr, new RegExp(`edge-peft-sim: out of memory: chunk heap \\(limit ${limit} bytes\\)`));
  });

  it("stops on slot-heap exhaustion", function () {
    const main = fx.write("main.js", `const keep = []; for (let i = 0; ; i++) keep.push({ i });\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 3);
    assert.match(r.stderr, new RegExp(`out of memory: slot heap \\(limit ${boardCreation().heap.initial} slots\\)`));
  });

  it("the same app fits when the board allows more memory", function () {
    const board = fx.write(
      "big.json",
      JSON.stringify({ name: "big", creation: { ...boardCreation(), chunk: { initial: 4 << 20, incremental: 0 } } }),
    );
    const main = fx.write("main.js", `const keep = []; for (let i = 0; i < 200; i++) keep.push(new ArrayBuffer(1024)); console.log(keep.length);\n`);
    assert.equal(fx.run([main]).status, 3);
    const r = fx.run(["--board", board, main]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "200\n");
  });

  it("an uncaught exception in a timer stops with the error and its stack", function () {
    const main = fx.write("main.js", `function inner() { throw new TypeError("boom"); }\nsetTimeout(() => inner(), 5);\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /uncaught exception: TypeError: boom\n at inner/);
  });

  it("a throwing entry module and an unhandled rejection stop with a message", function () {
    const main = fx.write("main.js", `function load() { throw new RangeError("at load"); }\nload();\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /entry module failed: RangeError: at load\n at load/);
    const rej = fx.write("rej.js", `Promise.reject(new Error("nobody listens"));\n`);
    const r2 = fx.run([rej]);
    assert.equal(r2.status, 1);
    assert.match(r2.stderr, /unhandled rejection: Error: nobody listens/);
  });

  it("prints XS memory high-water marks against the board's budget", function () {
    const main = fx.write("main.js", `const keep = []; for (let i = 0; i < 40; i++) keep.push(new ArrayBuffer(1000)); console.log(keep.length);\n`);
    const r = fx.run([main]);
    assert.equal(r.status, 0, r.stderr);
    const m = memoryLine(r.stderr);
    assert.ok(m, r.stderr);
    const c = boardCreation();
    assert.equal(m["chunks-limit"], c.chunk.initial);
    assert.equal(m["slots-limit"], c.heap.initial);
    assert.equal(m["stack-limit"], c.stack);
    assert.equal(m["keys-limit"], c.keys.available);
    // 40 buffers of 1000 bytes live at once: at least 40,000 bytes of chunks, less than the budget
    assert.ok((m["chunks-peak"] ?? 0) >= 40000 && (m["chunks-peak"] ?? 0) < c.chunk.initial, r.stderr);
    assert.ok((m["slots-peak"] ?? -1) > 0 && (m["baseline-slots"] ?? 0) > 1000, r.stderr);
    assert.equal(m["slot-bytes"], 32);
  });
  it("counts keys of parsed code apart and holds run-time keys to the board's key budget", function () {
    const limit = boardCreation().keys.available;
    // A module naming 2 x limit distinct properties in its source: on a board these names are
    // precompiled keys in flash, so loading must not use the run-time budget.
    const names = Array.from({ length: 2 * limit }, (_, i) => `p${i}x`);
    const lib = fx.write("lib.js", `export const o = { ${names.map((n, i) => `${n}: ${i}`).join(", ")} };\n`);
    const made = (n: number) => fx.write(`made${n}.js`,
      `import { o } from "./lib.js";\nconst t = {};\nfor (let i = 0; i < ${n}; i++) t["r" + i + "q"] = i;\nconsole.log(o.p0x, Object.keys(t).length);\n`);
    const ok = fx.run([made(limit / 2)]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout, `0 ${limit / 2}\n`);
    const m = memoryLine(ok.stderr)!;
    assert.ok(m["load-keys"]! >= 2 * limit, ok.stderr);
    // the names the app made at run time, plus the few the host or engine makes on the way
    assert.ok(m["keys"]! >= limit / 2 && m["keys"]! < limit / 2 + 16, ok.stderr);
    const over = fx.run([made(limit + 1)]);
    assert.equal(over.status, 3, over.stderr);
    assert.match(over.stderr, new RegExp(`out of memory: keys \\(limit ${limit} keys created at run time\\)`));
  });
});
