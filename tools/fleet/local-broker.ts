// A real mosquitto for a test or the fleet demo: its own config, data dir and loopback port, started and stopped
// by the test (stop/start again on the same port models a broker restart; persistence keeps
// retained messages and queued QoS 1 messages across it).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

const MOSQUITTO = "/usr/sbin/mosquitto";

/** A free loopback port (the OS picks it; closed again before mosquitto binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(port, "127.0.0.1");
    c.once("connect", () => {
      c.destroy();
      resolve(true);
    });
    c.once("error", () => resolve(false));
  });
}

export class Broker {
  readonly dir: string;
  port = 0;
  #process: ChildProcess | undefined;
  #log = "";

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "ep-broker-"));
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts, on the same port) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.#process) throw new Error("broker already running");
    if (this.port === 0) this.port = await freePort();
    const conf = join(this.dir, "mosquitto.conf");
    writeFileSync(conf, [
      // Started as root, mosquitto drops to user "mosquitto", which cannot write our 0700 temp
      // dir: persistence (retained and queued QoS 1 across a restart) would silently be lost.
      `user ${userInfo().username}`,
      `listener ${this.port} 127.0.0.1`, "allow_anonymous true", "persistence true",
      `persistence_location ${this.dir}/`, "autosave_interval 1", "max_queued_messages 10000",
      "log_dest stderr", "log_type error", "log_type warning", "",
    ].join("\n"));
    const p = spawn(MOSQUITTO, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
    p.stderr?.on("data", (d: Buffer) => (this.#log += d.toString()));
    this.#process = p;
    const exited = new Promise<never>((_, reject) => p.once("exit", (code) => reject(new Error(`mosquitto exited (${code}): ${this.#log}`))));
    for (let i = 0; i < 100; i++) {
      const ok = await Promise.race([accepts(this.port), exited]);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto on port ${this.port} did not accept connections: ${this.#log}`);
  }

  /** Stops it (SIGTERM: it saves its persistence file first) and waits for the exit. */
  async stop(): Promise<void> {
    const p = this.#process;
    if (!p) return;
    this.#process = undefined;
    if (p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once("exit", () => resolve());
      p.kill("SIGTERM");
    });
  }

  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
