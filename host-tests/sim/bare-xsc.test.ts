// ept-bare-xsc, the build-time compiler of the bare-metal images (docs/bare-metal.md): string
// literals made to run in place, key IDs patched into the code, clear errors on bad sources.
// Opcode numbers come from XS's own enum (xsCommon.h), not from the tool.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { binDir, repoRoot } from "../support/paths.js";
import { Fixture } from "./harness.js";

const xsc = join(binDir, "ept-bare-xsc");
const board = join(repoRoot, "boards", "nrf52840.json");

/** XS opcode numbers by name: the first enum of xsCommon.h, from XS_NO_CODE = 0 on. */
function opcodes(): Map<string, number> {
  const text = readFileSync(join(repoRoot, "node_modules/@agoric/xsnap/moddable/xs/sources/xsCommon.h"), "utf8");
  const body = text.slice(text.indexOf("XS_NO_CODE = 0"), text.indexOf("XS_CODE_COUNT"));
  const names = body.split(",").map((s) => s.replace(/\/\/.*$/gm, "").replace("= 0", "").trim()).filter((s) => s.length > 0);
  return new Map(names.map((n, i) => [n, i]));
}

interface Compiled {
  keys: string[];
  keyFirst: number;
  code: Buffer;
}

/** The generated C's key names, first key ID and first module's bytes. */
function parseOutput(c: string): Compiled {
  const keysText = c.slice(c.indexOf("bareKeyNames[] = {"), c.indexOf("bareKeyFirst"));
  const keys = [...keysText.matchAll(/^\t"((?:[^"\\]|\\.)*)",$/gm)].map((m) => m[1]!);
  const keyFirst = Number(/bareKeyFirst = (\d+);/.exec(c)![1]);
  const array = /bare_code_0\[\d+\][^{]*\{([^}]*)\}/.exec(c)![1]!;
  const code = Buffer.from(array.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map(Number));
  return { keys, keyFirst, code };
}

describe("ept-bare-xsc (bare-metal bytecode at build time)", function () {
  let fx: Fixture;
  before(function () {
    if (!existsSync(xsc)) throw new Error(`${xsc} missing: run make first`);
  });
  beforeEach(() => {
    fx = new Fixture();
  });
  afterEach(() => fx.remove());

  it("string literals run in place from the code, identifiers carry their boot-time key IDs", function () {
    const src = fx.write("m.js", `export function zqGreet() { return "hello-aot"; }\nexport const zqTag = zqGreet();\n`);
    const out = fx.path("app.c");
    const r = spawnSync(xsc, ["--board", board, "--out", out, `/app/m.js=${src}`], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const { keys, keyFirst, code } = parseOutput(readFileSync(out, "utf8"));
    const op = opcodes();
    // the literal with its NUL, preceded by its opcode and length byte
    const at = code.indexOf(Buffer.from("hello-aot\0", "latin1"));
    assert.ok(at >= 2, "literal not in the bytecode");
    assert.equal(code[at - 1], 10);
    assert.equal(code[at - 2], op.get("XS_CODE_STRING_ARCHIVE_1"), "literal is not made in place");
    assert.notEqual(op.get("XS_CODE_STRING_1"), op.get("XS_CODE_STRING_ARCHIVE_1"));
    // new keys only (built-in names such as "length" already have IDs), numbered from keyFirst
    assert.ok(keys.includes("zqGreet") && keys.includes("zqTag"), keys.join(","));
    assert.ok(!keys.includes("length"));
    for (const name of ["zqGreet", "zqTag"]) {
      const id = keyFirst + keys.indexOf(name);
      const le = Buffer.from([id & 0xff, id >> 8]);
      assert.ok(code.indexOf(le) >= 0, `${name}'s key ID ${id} is not in the code`);
    }
  });

  it("a syntax error names the module and line and writes nothing", function () {
    const src = fx.write("bad.js", `export const a = 1;\nexport const b = ;\n`);
    const out = fx.path("app.c");
    const r = spawnSync(xsc, ["--board", board, "--out", out, `/app/bad.js=${src}`], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /ept-bare-xsc: \/app\/bad\.js:2: /);
    assert.ok(!existsSync(out));
  });

  it("a missing source or a bad command line stops with a message", function () {
    const r = spawnSync(xsc, ["--board", board, "--out", fx.path("app.c"), `/app/x.js=${fx.path("nowhere.js")}`], { encoding: "utf8" });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /cannot open .*nowhere\.js/);
    const u = spawnSync(xsc, ["--out", fx.path("app.c")], { encoding: "utf8" });
    assert.equal(u.status, 64);
    assert.match(u.stderr, /^usage: ept-bare-xsc /);
  });
});
