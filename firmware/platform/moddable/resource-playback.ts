import Resource from "Resource";
import type { Clock } from "../clock.js";
import type { SensorSourceOptions } from "../sensor.js";
import { Epr1Reader } from "../../capture/epr1.js";
import { PlaybackSensor } from "../../capture/playback-sensor.js";

/** A PlaybackSensor over an EPR1 recording shipped as a resource (boards without a sensor, mcsim). */
export function openResourcePlayback(name: string, clock: Clock, options: SensorSourceOptions): PlaybackSensor {
  const resource = new Resource(name);
  return new PlaybackSensor(new Epr1Reader(resource.slice(0)), clock, options);
}
