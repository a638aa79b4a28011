// A Flower deployment for a test or the fleet demo, on loopback only and insecure (no TLS between processes of
// one machine): a SuperLink, SuperNodes with their node config, and `flwr run` of an app
// directory, all from the repo's venv with FLWR_HOME in a temp dir; stop() ends every process
// started here, including the SuperExec helpers Flower detaches into their own sessions.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { freePort } from "./local-broker.js";

// build/js/tools/fleet/ -> the repository
const repoRoot = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..");

const bin = join(repoRoot, ".venv", "bin");

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => (c.destroy(), resolve(true)));
    c.once("error", () => resolve(false));
  });
}

interface Proc {
  readonly name: string;
  readonly p: ChildProcess;
  out: string;
}

export class Flower {
  readonly home: string;
  port = 0;
  readonly #procs: Proc[] = [];
  readonly #ports: number[] = [];

  constructor(home: string) {
    this.home = home;
    mkdirSync(home, { recursive: true });
  }

  #env(): NodeJS.ProcessEnv {
    // flower-superlink starts flower-superexec by name: the venv's bin must be on PATH.
    return { ...process.env, FLWR_HOME: this.home, PATH: `${bin}:${process.env["PATH"] ?? ""}` };
  }

  #spawn(name: string, args: string[]): Proc {
    const p = spawn(join(bin, args[0]!), args.slice(1), { env: this.#env(), cwd: this.home, stdio: ["ignore", "pipe", "pipe"] });
    const proc: Proc = { name, p, out: "" };
    p.stdout!.on("data", (d: Buffer) => (proc.out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (proc.out += d.toString()));
    this.#procs.push(proc);
    return proc;
  }

  async #until(port: number, proc: Proc): Promise<void> {
    for (let i = 0; i < 300; i++) {
      if (proc.p.exitCode !== null) throw new Error(`${proc.name} exited (${proc.p.exitCode}): ${proc.out}`);
      if (await accepts(port)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${proc.name} did not listen on ${port}: ${proc.out}`);
  }

  async startSuperLink(): Promise<void> {
    this.port = await freePort();
    this.#ports.push(this.port);
    writeFileSync(join(this.home, "config.toml"), `[superlink]\ndefault = "test"\n\n[superlink.test]\naddress = "127.0.0.1:${this.port}"\ninsecure = true\n`);
    const p = this.#spawn("superlink", ["flower-superlink", "--insecure", "--host", "127.0.0.1", "--port", String(this.port), "--disable-runtime-dependency-installation"]);
    await this.#until(this.port, p);
  }

  /** nodeConfig as flower-supernode takes it: 'cohort=0 broker="127.0.0.1:1883"'. */
  async startSuperNode(name: string, nodeConfig: string): Promise<void> {
    const port = await freePort();
    this.#ports.push(port);
    const p = this.#spawn(name, ["flower-supernode", "--insecure", "--superlink", `127.0.0.1:${this.port}`, "--host", "127.0.0.1", "--port", String(port), "--node-config", nodeConfig]);
    await this.#until(port, p);
  }

  /** `flwr run APP test --stream` with run-config overrides; resolves with its exit status and output. */
  run(app: string, runConfig: Record<string, string | number>, timeoutMs: number): Promise<{ status: number | null; out: string }> {
    const toml = Object.entries(runConfig).map(([k, v]) => `${JSON.stringify(k)} = ${typeof v === "string" ? JSON.stringify(v) : String(v)}`).join("\n");
    const file = join(this.home, "run-config.toml");
    writeFileSync(file, toml + "\n");
    const proc = this.#spawn("flwr run", ["flwr", "run", app, "test", "--stream", "--run-config", file]);
    return new Promise((resolve) => {
      const timer = setTimeout(() => proc.p.kill("SIGTERM"), timeoutMs);
      proc.p.on("exit", (status) => {
        clearTimeout(timer);
        resolve({ status, out: proc.out });
      });
    });
  }

  output(name: string): string {
    return this.#procs.filter((p) => p.name === name).map((p) => p.out).join("");
  }

  /** Processes whose command line names one of our ports (Flower's detached helpers among them). */
  #helpers(): number[] {
    const mine = this.#ports.map((p) => `127.0.0.1:${p}`);
    const out: number[] = [];
    for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      } catch {
        continue;
      }
      if (mine.some((m) => cmd.includes(m))) out.push(Number(pid));
    }
    return out;
  }

  async stop(): Promise<void> {
    for (const { p } of this.#procs) if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
    await Promise.all(this.#procs.map(({ p }) => p.exitCode !== null || p.signalCode !== null ? undefined
      : new Promise<void>((r) => { const t = setTimeout(() => (p.kill("SIGKILL"), r()), 10000); p.once("exit", () => (clearTimeout(t), r())); })));
    // SuperExec helpers watch their parent and exit by themselves; whatever still runs is ended here.
    for (let i = 0; i < 50 && this.#helpers().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of this.#helpers()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}
