import Resource from "Resource";
import type { Clock } from "../clock.js";
import type { SensorSourceOptions } from "../sensor.js";
import { Epr1Reader } from "../../capture/epr1.js";
import { PlaybackSensor } from "../../capture/playback-sensor.js";

/**
 * A Resource's bytes in place (flash on a board): XS builds DataViews and typed arrays over host
 * buffers, so nothing is copied into the chunk heap. The cast is the typings' gap only (they
 * declare Resource a HostBuffer, which has no ArrayBuffer members); reads work, writes fault.
 */
export function resourceBuffer(name: string): ArrayBuffer {
  return new Resource(name) as unknown as ArrayBuffer;
}

/** A Resource viewed as bytes, in place. */
export function resourceBytes(name: string): Uint8Array {
  return new Uint8Array(resourceBuffer(name));
}

/** A PlaybackSensor over an EPR1 recording shipped as a resource (boards without a sensor, mcsim). */
export function openResourcePlayback(name: string, clock: Clock, options: SensorSourceOptions): PlaybackSensor {
  return new PlaybackSensor(new Epr1Reader(resourceBuffer(name)), clock, options);
}
