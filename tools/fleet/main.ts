// edge-peft fleet publish|status|abort: staged rollouts of signed deltas over MQTT.
import { readFileSync } from "node:fs";
import { CodedError } from "../../firmware/coded-error.js";
import { decodeDeltaHeader } from "../../firmware/deploy/delta-format.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { CliError, rawPrivate, rawPublic, readPrivateKey, signedBy } from "../delta/keys.js";
import { Options } from "../delta/options.js";
import type { Bus } from "./bus.js";
import { connectBus } from "./mqtt-bus.js";
import { currentManifest, publishManifest, runRollout, StatusWatch } from "./publisher.js";
import { readRegistry } from "./registry.js";
import { DEFAULT_STAGES, parseStages } from "./rollout.js";
import { abReport, statusTable } from "./table.js";

const USAGE = `usage:
  edge-peft fleet publish --broker URL --registry DEVICES.json --key FLEET.key --delta DELTA.epdl --cohort N
                          [--stages canary,5,25,50,100] [--chunk BYTES] [--stage-timeout SECONDS]
  edge-peft fleet status  --broker URL --registry DEVICES.json [--wait SECONDS]
  edge-peft fleet abort   --broker URL --registry DEVICES.json --key FLEET.key --cohort N`;

const crypto = new NodeCrypto();
const out = (line: string) => process.stdout.write(`${line}\n`);
/** Manifests are signed as a digest (encodeManifest hashes through the port); node:crypto only signs messages. */
const digestSigner = (key: ReturnType<typeof readPrivateKey>) => (digest: Uint8Array) => crypto.signP256(rawPrivate(key), digest);

async function withBus<T>(url: string, name: string, f: (bus: Bus) => Promise<T>): Promise<T> {
  const bus = await connectBus(url, `edge-peft-fleet-${name}-${process.pid}`);
  try {
    return await f(bus);
  } finally {
    await bus.close();
  }
}

async function publish(o: Options): Promise<number> {
  const broker = o.string("broker");
  const registry = readRegistry(o.string("registry"), crypto);
  const key = readPrivateKey(o.string("key"));
  const deltaPath = o.string("delta");
  const cohort = o.uint32("cohort");
  const stages = o.has("stages") ? parseStages(o.string("stages")) : DEFAULT_STAGES;
  const chunkBytes = o.has("chunk") ? o.uint32("chunk") : 1024;
  const stageTimeoutMs = (o.has("stage-timeout") ? o.uint32("stage-timeout") : 120) * 1000;
  o.done();
  if (cohort >= registry.cohorts) throw new CliError(`--cohort ${cohort}: the registry has cohorts 0..${registry.cohorts - 1}`);
  if (chunkBytes < 64) throw new CliError("--chunk must be at least 64 bytes");
  const delta = new Uint8Array(readFileSync(deltaPath));
  const header = decodeDeltaHeader(delta);
  // Refuse to publish what devices would refuse for its signature: a wrong key strands a rollout.
  if (!signedBy(delta, key)) throw new CliError(`${deltaPath}: not signed by ${o.string("key")}`);
  return withBus(broker, "publish", async (bus) => {
    const watch = new StatusWatch(registry, crypto, (l) => out(`warning: ${l}`));
    await watch.start(bus);
    const result = await runRollout(bus, crypto, registry, delta, header, {
      cohort, stages, chunkBytes, stageTimeoutMs, sign: digestSigner(key), fleetKey: rawPublic(key), progress: out,
    }, watch);
    out(statusTable(registry, result.reports));
    out(result.outcome === "complete" ? `rollout of sequence ${header.sequence} to cohort ${cohort}: complete` : `rollout of sequence ${header.sequence} to cohort ${cohort}: aborted: ${result.reason}`);
    return result.outcome === "complete" ? 0 : 3;
  });
}

async function status(o: Options): Promise<number> {
  const broker = o.string("broker");
  const registry = readRegistry(o.string("registry"), crypto);
  const waitMs = (o.has("wait") ? o.uint32("wait") : 2) * 1000;
  o.done();
  return withBus(broker, "status", async (bus) => {
    const watch = new StatusWatch(registry, crypto, (l) => out(`warning: ${l}`));
    await watch.start(bus);
    await watch.until(() => watch.reports.size === registry.devices.length, waitMs);
    out(statusTable(registry, watch.reports));
    out("");
    out(abReport(registry, watch.reports));
    return 0;
  });
}

async function abort(o: Options): Promise<number> {
  const broker = o.string("broker");
  const registry = readRegistry(o.string("registry"), crypto);
  const key = readPrivateKey(o.string("key"));
  const cohort = o.uint32("cohort");
  o.done();
  return withBus(broker, "abort", async (bus) => {
    const m = await currentManifest(bus, crypto, registry.fleet, cohort, rawPublic(key));
    if (!m) throw new CliError(`cohort ${cohort} has no manifest: nothing to abort`);
    if (m.action === "abort") {
      out(`cohort ${cohort}: rollout of sequence ${m.sequence} is already aborted`);
      return 0;
    }
    await publishManifest(bus, crypto, registry.fleet, { ...m, action: "abort", revision: m.revision + 1 }, digestSigner(key));
    out(`cohort ${cohort}: rollout of sequence ${m.sequence} aborted (revision ${m.revision + 1}); devices not yet on it stay where they are`);
    return 0;
  });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commands: Record<string, (o: Options) => Promise<number>> = { publish, status, abort };
  const run = command === undefined ? undefined : commands[command];
  if (!run) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    return await run(new Options(rest));
  } catch (e) {
    if (e instanceof CliError || e instanceof CodedError || e instanceof RangeError || (e instanceof Error && /unreachable/.test(e.message))) {
      process.stderr.write(`edge-peft fleet ${command}: ${e.message}\n`);
      return e instanceof CliError && e.usage ? 2 : 1;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
