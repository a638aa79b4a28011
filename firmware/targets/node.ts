import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { main } from "../main.js";
import { parseBoardProfile } from "../boards/profile.js";
import type { Ports } from "../platform/ports.js";
import { NorFlash } from "../platform/nor-flash.js";
import { LoopbackBus, LoopbackTransport } from "../platform/loopback-transport.js";
import { openFileFlash } from "../platform/node/file-flash.js";
import { TimerClock } from "../platform/node/timer-clock.js";
import { ZlibChecksum } from "../platform/node/zlib-checksum.js";
import { ConsoleLog } from "../platform/node/console-log.js";
import { openFilePlayback } from "../platform/node/file-playback.js";

// Node entry: node build/js/firmware/targets/node.js [--board sim] [--recording f.epr1]
//   [--speed 0] [--flash file]. Paths are relative to the repository root.
const root = fileURLToPath(new URL("../../../../", import.meta.url));
const { values } = parseArgs({
  options: {
    board: { type: "string", default: "sim" },
    recording: { type: "string" },
    speed: { type: "string", default: "0" },
    flash: { type: "string" },
  },
});

const profile = parseBoardProfile(JSON.parse(readFileSync(resolve(root, "boards", `${values.board}.json`), "utf8")));
const recording = resolve(root, values.recording ?? profile.sensor.recording ?? "data/basicmotions/basicmotions.epr1");
const { sectors, sectorBytes } = profile.storage;
const clock = new TimerClock();
const ports: Ports = {
  clock,
  storage: values.flash ? openFileFlash(resolve(root, values.flash), sectors, sectorBytes) : new NorFlash(sectors, sectorBytes),
  checksum: new ZlibChecksum(),
  log: new ConsoleLog(),
  sensor: (options) => openFilePlayback(recording, clock, options),
  transport: new LoopbackTransport(new LoopbackBus()),
  exit: (status) => process.exit(status),
};

main(ports, profile, { speed: Number(values.speed) }).then(
  () => ports.exit(0),
  (error: unknown) => {
    ports.log.error(error instanceof Error ? error.stack ?? error.message : String(error));
    ports.exit(1);
  },
);
