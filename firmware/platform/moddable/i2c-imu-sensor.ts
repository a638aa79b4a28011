import I2C from "embedded:io/i2c";
import type { Clock, TimerHandle } from "../clock.js";
import type { SensorConfiguration, SensorSample, SensorSource, SensorSourceOptions } from "../sensor.js";
import type { ImuDriver } from "./imu-driver.js";

export interface I2cWiring {
  readonly data: number;
  readonly clock: number;
  readonly hz: number;
  readonly address: number;
}

/** Frames kept when the app falls behind; older ones are dropped (a live sensor cannot wait). */
const QUEUE = 8;

/** A SensorSource polling an I2C IMU at rateHz through the Clock port. */
export class I2cImuSensor implements SensorSource {
  readonly channels: number;
  rateHz: number;
  readonly #i2c: I2C;
  readonly #driver: ImuDriver;
  readonly #clock: Clock;
  readonly #options: SensorSourceOptions;
  readonly #queue: SensorSample[] = [];
  #timer: TimerHandle | undefined;

  constructor(driver: ImuDriver, wiring: I2cWiring, rateHz: number, clock: Clock, options: SensorSourceOptions) {
    this.#driver = driver;
    this.#clock = clock;
    this.#options = options;
    this.channels = driver.channels;
    this.rateHz = rateHz;
    this.#i2c = new I2C({ data: wiring.data, clock: wiring.clock, hz: wiring.hz, address: wiring.address });
    driver.start(this.#i2c, rateHz);
    this.#arm();
  }

  configure(options: SensorConfiguration): void {
    if (options.rateHz !== undefined && options.rateHz > 0) {
      this.rateHz = options.rateHz;
      this.#driver.start(this.#i2c, this.rateHz);
    }
  }

  sample(): SensorSample | undefined {
    return this.#queue.shift();
  }

  close(): void {
    if (this.#timer) this.#clock.cancel(this.#timer);
    this.#timer = undefined;
    this.#driver.stop(this.#i2c);
    // ECMA-419 I2C has close(); @moddable/typings 5.6 omits it.
    (this.#i2c as unknown as { close(): void }).close();
  }

  #arm(): void {
    this.#timer = this.#clock.schedule(() => this.#poll(), 1000 / this.rateHz);
  }

  #poll(): void {
    try {
      const values = new Float32Array(this.channels);
      this.#driver.read(this.#i2c, values);
      if (this.#queue.length >= QUEUE) this.#queue.shift();
      this.#queue.push({ timestamp: this.#clock.now(), values });
      this.#options.onSample?.();
    } catch (error) {
      this.#options.onError?.(error instanceof Error ? error : new Error(String(error)));
    }
    this.#arm();
  }
}
