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
import { openResourcePlayback } from "../platform/moddable/resource-playback.js";
import type { Storage } from "../platform/storage.js";
import type { Clock } from "../platform/clock.js";

// Moddable entry. The manifest's per-platform "config" names the board profile (shipped as a
// resource: XS cannot import JSON as a module on every version) and says whether the platform
// has the flash module. Board-only modules (flash, embedded:io/i2c) are imported dynamically so
// a platform without them (mcsim on lin) never loads them.
const boardName = String(config["board"] ?? "esp32");
const ramStorage = config["storage"] === "ram";

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

async function start(): Promise<void> {
  const profile: BoardProfile = parseBoardProfile(
    JSON.parse(String.fromArrayBuffer(new Resource(`${boardName}.json`).slice(0))),
  );
  const clock = new TimerClock();
  const log = new TraceLog();
  const ports: Ports = {
    clock,
    storage: await openStorage(profile),
    checksum: new TableChecksum(),
    log,
    sensor: await sensorFactory(profile, clock),
    exit: (status) => log.info(`exit ${status}`),
  };
  await main(ports, profile);
}

start().catch((error: unknown) => trace(`error: ${String(error)}\n`));
