// Builds a small app with the real Moddable SDK (`mcconfig -p lin`, then the generated makefile's
// build target, never `-m`: that would kill every mcsim on the machine) and runs it in mcsim
// under xvfb-run, reading its trace line by line. Used where a port's Moddable implementation
// must run for real (docs/moddable.md). Needs $MODDABLE with its tools on PATH and xvfb-run;
// `sdkMissing` says what is absent, so a test can skip and say why.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { repoRoot } from "../support/paths.js";

const have = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
export const sdkMissing: string | undefined = !process.env["MODDABLE"] ? "$MODDABLE is not set"
  : ["mcconfig", "mcsim", "xvfb-run"].find((t) => !have(t));

const env = () => ({ ...process.env, PATH: `${join(repoRoot, "node_modules", ".bin")}:${process.env["PATH"]}` });

/** Repository modules by their manifest name (path without extension), as manifests/ name them. */
export function repoModules(paths: readonly string[]): Record<string, string> {
  return Object.fromEntries(paths.map((p) => [p, join(repoRoot, p)]));
}

export interface McApp { readonly dir: string; readonly so: string; remove(): void }

/** Writes manifest.json and main.js into a fresh folder named `name`, builds, returns mc.so. */
export function buildApp(name: string, manifest: Record<string, unknown>, mainJs: string): McApp {
  const dir = mkdtempSync(join(tmpdir(), "ep-mcsim-"));
  const app = join(dir, name);
  const build = join(dir, "build");
  mkdirSync(app);
  mkdirSync(build);
  writeFileSync(join(app, "manifest.json"), JSON.stringify(manifest, null, 1));
  writeFileSync(join(app, "main.js"), mainJs);
  return { dir, so: configureAndMake(app, build, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** mcconfig -p lin in `cwd` with its output under `out`, then make; the mc.so of the app named `name`. */
function configureAndMake(cwd: string, out: string, name: string): string {
  const cfg = spawnSync("mcconfig", ["-p", "lin", "-o", out], { cwd, env: env(), encoding: "utf8" });
  if (cfg.status !== 0) throw new Error(`mcconfig: ${cfg.stderr}${cfg.stdout}`);
  const make = spawnSync("make", ["-j2", "-C", join(out, "tmp", "lin", "mc", "release", name), "build"],
    { env: env(), encoding: "utf8", maxBuffer: 1 << 26 });
  if (make.status !== 0) throw new Error(`make: ${(make.stderr + make.stdout).slice(-3000)}`);
  const so = join(out, "bin", "lin", "mc", "release", name, "mc.so");
  if (!existsSync(so)) throw new Error(`no ${so}`);
  return so;
}

/** Builds the repository's own manifest.json (the app a board runs) for lin into a fresh folder, returns mc.so. */
export function buildRepoApp(): McApp {
  const dir = mkdtempSync(join(tmpdir(), "ep-mcsim-"));
  const name = basename(repoRoot); // mcconfig names its output folders after the manifest's folder
  return { dir, so: configureAndMake(repoRoot, dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** mcsim running an app: its trace so far, a wait for a line, and stop (it never exits by itself). */
export class McSim {
  #p: ChildProcess;
  #text = "";
  #waiters: { re: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  #exit: string | undefined;

  constructor(so: string) {
    this.#p = spawn("xvfb-run", ["-a", "stdbuf", "-oL", "mcsim", so], { env: env(), detached: true });
    const feed = (d: Buffer) => {
      this.#text += d.toString();
      this.#waiters = this.#waiters.filter((w) => {
        const m = w.re.exec(this.#text);
        if (m) w.resolve(m);
        return !m;
      });
    };
    this.#p.stdout!.on("data", feed);
    this.#p.stderr!.on("data", feed);
    this.#p.on("exit", (code) => { this.#exit = `mcsim exited (${code})`; });
  }

  get text(): string { return this.#text; }

  /** The first match of `re` in the whole trace (from its start), within `ms`. */
  wait(re: RegExp, ms = 120000): Promise<RegExpExecArray> {
    const now = re.exec(this.#text);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.#exit ?? "mcsim"}: no ${re} in ${ms} ms; trace:\n${this.#text.slice(-2000)}`)), ms);
      this.#waiters.push({ re, resolve: (m) => { clearTimeout(timer); resolve(m); } });
    });
  }

  stop(): void {
    try { process.kill(-this.#p.pid!, "SIGKILL"); } catch { /* already gone */ }
  }
}

/** The XS creation block of the apps here: roomy, the budgets are not what these tests check. */
export const CREATION = {
  static: 0, chunk: { initial: 2097152, incremental: 0 }, heap: { initial: 8192, incremental: 0 }, stack: 1024,
  keys: { available: 256, name: 127, symbol: 127 }, parser: { buffer: 1024, table: 17 }, main: "main",
};
