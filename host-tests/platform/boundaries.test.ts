import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, repoPath } from "./repo.js";

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Every module specifier of a compiled ES module: static imports/exports and import("..."). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\bfrom\s*["']([^"']+)["']/g, /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g, /\bimport\s*["']([^"']+)["']/g, /\brequire\s*\(\s*["']([^"']+)["']/g];
  for (const p of patterns) for (const m of source.matchAll(p)) found.push(m[1]!);
  return found;
}

// Module names a Moddable build provides; anything else must be a relative import.
const MODDABLE_MODULES = new Set(["mc/config", "Resource", "flash", "timer", "time"]);
const NODE_ONLY = ["firmware/platform/node/", "firmware/targets/node.js"];

describe("firmware boundaries", () => {
  const built = walk(repoPath("build/js/firmware")).filter((p) => p.endsWith(".js"));

  it("finds the compiled firmware (and this scanner sees imports)", () => {
    assert.ok(built.length >= 10, `only ${built.length} compiled firmware modules`);
    assert.deepEqual(specifiers(`import a from "node:fs"; export { b } from './b.js'; await import("x");`), ["node:fs", "./b.js", "x"]);
  });

  it("no firmware module outside platform/node and targets/node reaches Node", () => {
    const offenders: string[] = [];
    for (const file of built) {
      const rel = relative(repoPath("build/js"), file).split("\\").join("/");
      if (NODE_ONLY.some((p) => rel.startsWith(p))) continue;
      for (const s of specifiers(readFileSync(file, "utf8"))) {
        const ok = s.startsWith("./") || s.startsWith("../") || MODDABLE_MODULES.has(s) || s.startsWith("embedded:");
        if (!ok) offenders.push(`${rel}: ${s}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it("data flows one way: capture and features import no later stage; storage/ only the platform", () => {
    // DESIGN.md section 1: capture -> features -> replay -> engine -> adapters. storage/ is the
    // A/B record store every stage persists through, so it depends on none of them.
    const later: Record<string, readonly string[]> = {
      capture: ["features", "replay", "ewc", "agent", "adapters", "app", "storage"],
      features: ["replay", "ewc", "agent", "adapters", "app", "storage"],
      storage: ["capture", "features", "replay", "ewc", "agent", "adapters", "app", "boards", "targets"],
    };
    const offenders: string[] = [];
    for (const file of built) {
      const rel = relative(repoPath("build/js/firmware"), file).split("\\").join("/");
      const folder = rel.split("/")[0]!;
      const banned = later[folder];
      if (!banned || !rel.includes("/")) continue;
      for (const s of specifiers(readFileSync(file, "utf8"))) {
        const target = relative(repoPath("build/js/firmware"), join(file, "..", s)).split("\\").join("/").split("/")[0]!;
        if (banned.includes(target)) offenders.push(`${rel}: ${s}`);
      }
    }
    assert.deepEqual(offenders, []);
    assert.ok(built.some((f) => f.includes(`${join("firmware", "storage")}`)), "storage/ compiled: the scan covers it");
  });

  it("the Node-only modules are the ones that do import node: (the scan is not vacuous)", () => {
    const nodeUsers = built
      .filter((f) => specifiers(readFileSync(f, "utf8")).some((s) => s.startsWith("node:")))
      .map((f) => relative(repoPath("build/js"), f).split("\\").join("/"));
    assert.ok(nodeUsers.includes("firmware/targets/node.js"));
    assert.ok(nodeUsers.some((f) => f.startsWith("firmware/platform/node/")));
  });
});

describe("Moddable type check (tsconfig.moddable.json)", () => {
  const tsc = repoPath("node_modules/typescript/bin/tsc");

  it("the firmware type-checks against @moddable/typings, strict", () => {
    execFileSync(process.execPath, [tsc, "-p", repoPath("tsconfig.moddable.json")], { cwd: ROOT, stdio: "pipe" });
  });

  it("Node types do not leak into it: a module importing node:fs fails the check", () => {
    const dir = mkdtempSync(join(ROOT, "build", "moddable-leak-"));
    try {
      writeFileSync(join(dir, "leak.ts"), `import { readFileSync } from "node:fs";\nexport const x = readFileSync;\nexport const y: Buffer | undefined = undefined;\n`);
      writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
        extends: "../../tsconfig.moddable.json",
        include: ["leak.ts"],
      }));
      const r = spawnSync(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { cwd: ROOT, encoding: "utf8" });
      assert.notEqual(r.status, 0);
      assert.match(r.stdout, /node:fs|Buffer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
