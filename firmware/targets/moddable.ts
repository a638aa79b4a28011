import config from "mc/config";
import Resource from "Resource";
import { main } from "../main.js";
import { parseBoardProfile, type BoardProfile } from "../boards/profile.js";
import type { Ports } from "../platform/ports.js";
import type { SensorFactory } from "../platform/sensor.js";
import { TableChecksum } from "../platform/table-checksum.js";
import { NorFlash } from "../platform/nor-flash.js";
import { TimerClock } from "../platform/moddable/timer-clock.js";
import { TraceLog } from "../platform/moddable/trace-log.js";
import { openResourcePlayback, resourceBytes } from "../platform/moddable/resource-playback.js";
import type { Storage } from "../platform/storage.js";
import type { Clock } from "../platform/clock.js";
import type { Log } from "../platform/log.js";
import type { Crypto } from "../platform/crypto.js";
import { ModdableCrypto } from "../platform/moddable/moddable-crypto.js";
import { ModdableKeyAgreement } from "../platform/moddable/moddable-key-agreement.js";
import { espRandomEntropy } from "../platform/esp-random-entropy.js";

// Moddable entry. The manifest's per-platform "config" names the board profile (shipped as a
// data file: XS cannot import JSON as a module on every version), says whether the platform has
// the flash module, which app runs and how fast recordings play. Board-only modules (flash,
// embedded:io/i2c) and the agent are imported dynamically, so a platform without them (mcsim on
// lin) never loads them and the capture app does not pay for the agent's modules.
//   config.app: "agent" (default: the on-device learning loop, what a user flashes), "capture"
//     or "audio" (the shipped .wav recordings through the keyword-spotting path)
//   config.speed: playback speed of recordings (1 = real time; 0 = as fast as the CPU allows)
const boardName = String(config["board"] ?? "esp32");
const ramStorage = config["storage"] === "ram";
const app = String(config["app"] ?? "agent");
const speed = Number(config["speed"] ?? 1);

/** The agent's demo data, shipped as resources (manifests/native.json) and read in place. */
const MODEL = "digits_mlp_int8.tflite";
const STREAM = "user_stream.epr";

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

async function openStorage(p: BoardProfile): Promise<Storage> {
  if (ramStorage) return new NorFlash(p.storage.sectors, p.storage.sectorBytes);
  const { FlashStorage } = await import("../platform/moddable/flash-storage.js");
  return new FlashStorage(p.storage.partition);
}

async function sensorFactory(p: BoardProfile, clock: Clock): Promise<SensorFactory> {
  const { sensor } = p;
  if (sensor.kind === "playback") {
    const name = basename(sensor.recording ?? "recording.epr1");
    return (options) => openResourcePlayback(name, clock, options);
  }
  const wiring = sensor.i2c;
  if (!wiring) throw new Error(`board ${p.name}: sensor ${sensor.kind} needs i2c wiring`);
  const { I2cImuSensor } = await import("../platform/moddable/i2c-imu-sensor.js");
  const driver = sensor.driver === "lis3dh"
    ? new (await import("../platform/moddable/lis3dh.js")).Lis3dh()
    : new (await import("../platform/moddable/mpu6050.js")).Mpu6050();
  return (options) => new I2cImuSensor(driver, wiring, sensor.rateHz, clock, options);
}

/**
 * The agent (firmware/app, as targets/sim-agent.ts runs it in the simulator, same defaults):
 * the engine port over the model Resource (zero-copy: the session points into flash), sample
 * sets and labels as views of Resources; ports.sensor plays the user's stream (start()). The
 * stream stands in for the board's IMU: the demo model takes 8x8 digit images, not IMU windows.
 */
async function runAgent(ports: Ports, crypto: Crypto, profile: BoardProfile, log: Log): Promise<void> {
  const { mainAgent } = await import("../app/agent-main.js");
  const { SampleSet } = await import("../app/sample-set.js");
  const { NativeEnginePort } = await import("../platform/native-engine.js");
  const { adapterKey } = await import("../adapters/adapter-store.js");
  const { sha256Of } = await import("../platform/crypto.js");
  const seed = 1;
  const spec = `lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.002+ewc:lambda=1+seed:${seed}`;
  // The model's identity in every adapter, EWC image and checkpoint: its SHA-256 (the SDK's
  // Digest, read in place from flash), as the simulator and bare images write it, so an image
  // made here imports there and into `edge-peft` (the engine has no SHA-256 of its own here).
  const modelSha256 = sha256Of(crypto, resourceBytes(MODEL));
  const engine = new NativeEnginePort(new Resource(MODEL), spec, profile.arenaBytes, modelSha256);
  const set = (name: string, batch?: number) => new SampleSet(resourceBytes(name), engine.info.inputBytes, batch);
  log.info(`agent: spec ${spec} arena=${engine.info.arenaBytes}/${profile.arenaBytes} speed=${speed}`);
  const summary = await mainAgent(ports, profile, {
    adapterKey: adapterKey(ports.checksum, resourceBytes(MODEL), spec),
    data: {
      engine, userTest: set("user_test.bin"), populationTest: set("population_test.bin"),
      populationReplay: set("population_replay.bin", 100), streamLabels: resourceBytes("user_stream_labels.bin"),
    },
    agent: {
      feedbackFrames: 50, pseudoThreshold: 0.9, tickFrames: 10, stepsPerTick: 20, batchSize: 8,
      replay: true, ewc: true, capacity: Math.min(profile.replay.capacity, 200), mode: profile.replay.mode, seed,
    },
    speed,
  });
  // The curve is left out: one trace line of a few KB is more than a serial console wants.
  const { curve, ...figures } = summary;
  log.info(`demo-result ${JSON.stringify(figures)} curve=${curve.length} points`);
  // The committed adapter in hex, as the desktop simulator prints it: a run compares byte for byte.
  const adapter = new Uint8Array(engine.exportAdapter());
  let hex = "";
  for (let i = 0; i < adapter.length; i++) hex += (adapter[i]! < 16 ? "0" : "") + adapter[i]!.toString(16);
  log.info(`demo-adapter ${hex}`);
  engine.close();
}

/** The keyword-spotting path (firmware/app/keyword-audio.ts) on each recording shipped as a resource (manifests/native.json). */
async function runAudio(profile: BoardProfile, log: Log): Promise<void> {
  const { classifyWav, keywordLine } = await import("../app/keyword-audio.js");
  for (const wav of ["yes_1000ms.wav", "no_1000ms.wav"]) {
    const r = classifyWav(resourceBytes(wav), new Resource("audio_preprocessor_int8.tflite"),
      new Resource("micro_speech_quantized.tflite"), profile.arenaBytes);
    log.info(keywordLine(wav, r));
  }
}

async function start(): Promise<void> {
  const profile: BoardProfile = parseBoardProfile(
    JSON.parse(String.fromArrayBuffer(new Resource(`${boardName}.json`).slice(0))),
  );
  const clock = new TimerClock();
  const log = new TraceLog();
  const crypto = new ModdableCrypto();
  const ports: Ports = {
    clock,
    storage: await openStorage(profile),
    checksum: new TableChecksum(),
    log,
    sensor: app === "agent" ? (o) => openResourcePlayback(STREAM, clock, o) : await sensorFactory(profile, clock),
    exit: (status) => log.info(`exit ${status}`),
    // Verify-only (no device signing: ModdableCrypto), and key agreement without the AEAD (no
    // Poly1305 in the SDK); random bytes only where the board has an entropy source (ESP32's
    // esp_random), refused elsewhere (docs/moddable.md). So a secure-aggregation round cannot
    // run here yet (it signs every frame and seals the shares); the pairwise masks can.
    crypto,
    keyAgreement: new ModdableKeyAgreement(boardName.startsWith("esp32") ? espRandomEntropy : undefined),
  };
  if (app === "agent") await runAgent(ports, crypto, profile, log);
  else if (app === "audio") await runAudio(profile, log);
  else await main(ports, profile, { speed });
  ports.exit(0);
}

start().catch((error: unknown) => {
  trace(`error: ${error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error)}\n`);
});
