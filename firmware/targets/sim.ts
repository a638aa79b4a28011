import { parseBoardProfile } from "../boards/profile.js";
import type { Ports } from "../platform/ports.js";
import { PlaybackSensor } from "../capture/playback-sensor.js";
import { LoopbackBus, LoopbackTransport } from "../platform/loopback-transport.js";
import { SimClock } from "../platform/sim/sim-clock.js";
import { FlashBackedStorage } from "../platform/flash-backed-storage.js";
import { Flash } from "../../native/xs/flash/flash.js";
import { NativeChecksum } from "../platform/sim/native-checksum.js";
import { TraceLog } from "../platform/sim/trace-log.js";
import { PlaybackReader } from "../platform/sim/playback-reader.js";
import { simArgs, simBoardText, simExit } from "../platform/sim/sim-host.js";


// Simulator entry: build/bin/edge-peft-sim [--board boards/sim.json] -- build/js/firmware/targets/sim.js
//   [--recording FILE] [--speed N] [--crypto]. The board profile comes from the simulator (it sized XS from it).
const args = simArgs();
function option(name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const profile = parseBoardProfile(JSON.parse(simBoardText()));
const recording = option("recording") ?? profile.sensor.recording ?? "data/basicmotions/basicmotions.epr1";
const clock = new SimClock();
const log = new TraceLog();
const ports: Ports = {
  clock,
  // The Storage port straight over the file-backed flash binding: no sim-only subclass (one
  // module and class fewer in the esp32-sized slot heap the demo runs in).
  storage: new FlashBackedStorage(new Flash(profile.storage.partition)),
  checksum: new NativeChecksum(),
  log,
  sensor: (options) => new PlaybackSensor(new PlaybackReader(recording), clock, options),
  transport: new LoopbackTransport(new LoopbackBus()),
  exit: simExit,
};

// --agent DIR: the adaptation app on the demo data in DIR (data/demo). Data files are host
// buffers outside the XS heap, as Resources in flash are on a board.
const agentDir = option("agent");
// Each mode imports only its own app: the capture pipeline's modules (windower, features) would
// otherwise sit in the agent's esp32-sized slot heap, and the agent's in the pipeline's key budget.
const runApp = (ports: Ports): Promise<unknown> => agentDir === undefined
  // The simulator's clock is virtual: real-rate pacing costs no wall time, so speed 1 by default.
  ? import("../main.js").then((m) => m.main(ports, profile, { speed: Number(option("speed") ?? "1") }))
  : import("./sim-agent.js").then((m) => args.some((a) => a === "--route" || a === "--fisher-temp" || a === "--distill" || a === "--pseudo-check" || a === "--pseudo-calibrate")
    // continual-learning methods: their modules are loaded only when named (slot heap)
    ? import("./sim-methods.js").then((c) => m.runAgent(agentDir, { args, option, profile, ports, clock, log,
      methods: c.simMethods(agentDir, option, log) }))
    : m.runAgent(agentDir, { args, option, profile, ports, clock, log }));
// --fleet DIR: a fleet device (targets/sim-fleet.ts) on the model in DIR, over MQTT to
// --broker HOST:PORT with ports.crypto; run the simulator with --realtime (the MQTT poll and the
// chunk timeouts are wall time).
const fleetDir = option("fleet");
// --rounds: it also answers federated rounds (ports.keyAgreement over mbedTLS).
const runFleet = (dir: string): Promise<unknown> => Promise.all([
  import("../platform/sim/native-crypto.js"), import("../platform/sim/mosquitto-transport.js"), import("./sim-fleet.js"),
  args.includes("--rounds") ? import("../platform/sim/native-key-agreement.js") : undefined,
]).then(([c, t, f, k]) => {
  const [host, port] = (option("broker") ?? "127.0.0.1:1883").split(":");
  const id = option("client-id") ?? "edge-peft-device";
  const transport = new t.MosquittoTransport({ host: host ?? "127.0.0.1", port: Number(port), clientId: id, maxPayload: profile.mqtt?.maxPayloadBytes ?? 4096 }, clock, log);
  const keyAgreement = k ? new k.NativeKeyAgreement() : undefined;
  return f.runFleetDevice(dir, { option, flag: (name) => args.includes(`--${name}`), profile, ports: { ...ports, crypto: new c.NativeCrypto(), transport, keyAgreement }, transport, log, keyAgreement })
    .then(() => new Promise<never>(() => {})); // runs until the process is stopped
});
// --crypto: ports.crypto over mbedTLS (native/xs/crypto). Only when asked: its modules hold ~150
// live slots and the agent demo already peaks near the esp32-sized heap's 4,096 (a top-level
// await for it alone tips the demo over).
// --audio FILE.wav [--audio-models DIR]: a recording through capture -> features -> keyword model
// (targets/sim-audio.ts), printing its label.
const audioFile = option("audio");
const runAudio = (file: string): Promise<unknown> => import("./sim-audio.js")
  .then((m) => m.runAudio(file, option("audio-models") ?? "../shared/models", profile, ports));
const run: Promise<unknown> = audioFile !== undefined ? runAudio(audioFile) : fleetDir !== undefined ? runFleet(fleetDir) : args.includes("--crypto")
  ? import("../platform/sim/native-crypto.js").then((m) => runApp({ ...ports, crypto: new m.NativeCrypto() }))
  : runApp(ports);

run.then(
  () => ports.exit(0),
  (error: unknown) => {
    log.error(error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error));
    ports.exit(1);
  },
);
