import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { repoPath, ROOT } from "./repo.js";
import { parseBoardProfile } from "../../firmware/boards/profile.js";

type Json = Record<string, unknown>;
const load = (path: string): Json => JSON.parse(readFileSync(path, "utf8")) as Json;

/** modules entries of a manifest and its local includes (paths resolved against each file). */
function moduleEntries(file: string, out = new Map<string, string>()): Map<string, string> {
  const m = load(file);
  const base = dirname(file);
  for (const [name, path] of Object.entries((m["modules"] ?? {}) as Record<string, string | string[]>)) {
    // SDK modules ($(MODDABLE)/...) are named by the SDK, not after our paths: see sdkModules().
    for (const p of Array.isArray(path) ? path : [path]) if (!p.startsWith("$(")) out.set(name, relative(ROOT, resolve(base, p)).split("\\").join("/"));
  }
  for (const inc of (m["include"] ?? []) as string[]) if (!inc.startsWith("$(")) moduleEntries(resolve(base, inc), out);
  return out;
}

/** SDK module names a manifest (and its local includes) maps to $(MODDABLE) paths, and SDK manifests it includes. */
function sdkModules(file: string, out = { names: new Set<string>(), includes: new Set<string>() }): typeof out {
  const m = load(file);
  for (const [name, path] of Object.entries((m["modules"] ?? {}) as Record<string, string | string[]>)) {
    for (const p of Array.isArray(path) ? path : [path]) if (p.startsWith("$(")) out.names.add(name === "*" ? p : name);
  }
  for (const inc of (m["include"] ?? []) as string[]) {
    if (inc.startsWith("$(")) out.includes.add(inc);
    else sdkModules(resolve(dirname(file), inc), out);
  }
  return out;
}

function tsFolders(dir: string, out: string[] = []): string[] {
  const entries = readdirSync(dir);
  if (entries.some((n) => n.endsWith(".ts") && !n.endsWith(".d.ts"))) out.push(relative(ROOT, dir).split("\\").join("/"));
  for (const n of entries) if (statSync(join(dir, n)).isDirectory()) tsFolders(join(dir, n), out);
  return out;
}

// Not part of a Moddable build: Node and desktop-simulator implementations; boot is "main".
const NOT_MODDABLE = new Set(["firmware/platform/node", "firmware/platform/sim", "firmware/boot", "firmware/targets"]);

describe("manifest.json (Moddable)", () => {
  const entries = moduleEntries(repoPath("manifest.json"));

  it("has one wildcard entry per firmware folder, named as its path", () => {
    const missing = tsFolders(repoPath("firmware")).filter((f) => !NOT_MODDABLE.has(f) && entries.get(`${f}/*`) !== `${f}/*`);
    assert.deepEqual(missing, []);
  });

  it("every module name mirrors the file path it maps to (except the start module)", () => {
    const bad = [...entries].filter(([name, path]) => name !== "main" && name !== path);
    assert.deepEqual(bad, []);
    assert.equal(entries.get("main"), "firmware/boot/main");
    assert.equal(entries.get("firmware/targets/moddable"), "firmware/targets/moddable");
  });

  it("every mapped module exists on disk", () => {
    for (const [name, path] of entries) {
      if (path.endsWith("/*")) assert.ok(existsSync(repoPath(path.slice(0, -2))), name);
      // A module is a .ts/.js face, a .c body (compiled and linked by mcconfig), or both.
      else assert.ok([".ts", ".js", ".c"].some((ext) => existsSync(repoPath(`${path}${ext}`))), name);
    }
  });

  it("the SDK crypt modules ModdableCrypto and ModdableKeyAgreement import are in the build (preloaded, as tls_common.json does)", () => {
    const sdk = sdkModules(repoPath("manifest.json"));
    const imported = new Set<string>();
    for (const file of ["moddable-crypto.ts", "moddable-key-agreement.ts", "p256-sdk.ts"]) {
      const source = readFileSync(repoPath(`firmware/platform/moddable/${file}`), "utf8");
      for (const m of source.matchAll(/^import .* from "([a-z]+)";$/gm)) imported.add(m[1]!);
    }
    assert.deepEqual([...imported].sort(), ["crypt", "curve", "ecdsa", "ecp", "hmac"]);
    // crypt comes with the digest manifest, ecp (and ec, mont, modular) with crypt/arith/*,
    // bin (which hmac imports) with the bin manifest.
    assert.ok(sdk.includes.has("$(MODDABLE)/modules/crypt/digest/manifest.json"));
    assert.ok(sdk.includes.has("$(MODDABLE)/modules/crypt/bin/manifest.json"));
    assert.ok(sdk.names.has("$(MODDABLE)/modules/crypt/arith/*"));
    // ecdsa's own imports: rng, pkcs1 (which imports rng, ber), ber, mont (arith).
    for (const name of ["curve", "ecdsa", "hmac", "pkcs1", "rng", "ber"]) assert.ok(sdk.names.has(name), name);
    const platform = load(repoPath("manifests/platform.json"));
    assert.deepEqual((platform["preload"] as string[]).slice().sort(), ["ber", "curve", "ecdsa", "hmac", "pkcs1", "rng"]);
  });

  it("no Node-only folder is in the build", () => {
    for (const path of entries.values()) assert.ok(!path.startsWith("firmware/platform/node") && !path.includes("targets/node"), path);
  });

  // mcconfig refuses .json under "resources" (it treats .json as a module extension); "data"
  // files are copied untransformed and read with new Resource() the same way.
  it("each platform's creation is its board profile's, and its profile ships as data", () => {
    const platforms = load(repoPath("manifest.json"))["platforms"] as Record<string, Json>;
    assert.deepEqual(Object.keys(platforms).sort(), ["esp32", "esp32/esp32c3", "esp32/esp32s3", "lin", "nrf52"]);
    for (const [key, section] of Object.entries(platforms)) {
      const board = (section["config"] as Json)["board"] as string;
      const profile = parseBoardProfile(load(repoPath("boards", `${board}.json`)));
      // config.storage "ram" (mcsim on lin has no flash module): the NOR partition is an
      // ArrayBuffer in the XS chunk heap, so that platform's chunk heap grows by its size.
      const ram = (section["config"] as Json)["storage"] === "ram";
      const partition = ram ? profile.storage.sectors * profile.storage.sectorBytes : 0;
      const creation = { ...profile.creation, chunk: { ...profile.creation.chunk, initial: profile.creation.chunk.initial + partition } };
      assert.deepEqual(section["creation"], creation, key);
      // MODDEF_ENGINE_ARENA sizes native/xs/engine's static arena; the session is given arenaBytes.
      assert.equal(((section["defines"] as Json | undefined)?.["engine"] as Json | undefined)?.["arena"], profile.arenaBytes, `${key}: defines.engine.arena`);
      const files = (kind: "data" | "resources"): string[] =>
        (((section[kind] ?? {}) as Json)["*"] as string[] | undefined ?? []).map((p) => relative(ROOT, resolve(ROOT, p)));
      assert.ok(files("data").includes(`boards/${board}.json`), key);
      assert.ok(!files("resources").some((r) => r.endsWith(".json")), `${key}: .json under resources`);
      for (const r of [...files("data"), ...files("resources")]) assert.ok(existsSync(repoPath(r)), `${key}: ${r}`);
    }
  });
});

describe("board profiles", () => {
  const names = ["esp32", "esp32s3", "esp32c3", "nrf52840", "sim"];
  for (const name of names) {
    it(`${name}: parses and fits its own budgets`, () => {
      const p = parseBoardProfile(load(repoPath("boards", `${name}.json`)));
      assert.equal(p.name, name);
      const slotBytes = p.platform === "sim" ? 32 : 16; // XS slot: 16 bytes on a 32-bit MCU
      const xs = p.creation.chunk.initial + p.creation.heap.initial * slotBytes + p.creation.stack * slotBytes;
      assert.ok(xs + p.arenaBytes + p.adapters.ramBytes < p.ramBytes, `${name}: ${xs} + arena + adapters exceeds RAM`);
      assert.ok(p.storage.sectors * p.storage.sectorBytes <= p.flashBytes / 4, `${name}: storage partition too large`);
      assert.equal(p.storage.sectorBytes, 4096, "ESP32 and nRF52840 erase 4 KB pages");
    });
  }
});
