import { readFileSync } from "node:fs";
import type { Clock } from "../clock.js";
import type { SensorSourceOptions } from "../sensor.js";
import { Epr1Reader } from "../../capture/epr1.js";
import { PlaybackSensor } from "../../capture/playback-sensor.js";

/** A PlaybackSensor over an EPR1 file read whole into memory. */
export function openFilePlayback(path: string, clock: Clock, options: SensorSourceOptions): PlaybackSensor {
  const bytes = readFileSync(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  return new PlaybackSensor(new Epr1Reader(buffer), clock, options);
}
