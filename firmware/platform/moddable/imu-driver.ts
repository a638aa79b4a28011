import type I2C from "embedded:io/i2c";

/** One IMU chip's register protocol over an ECMA-419 I2C instance. */
export interface ImuDriver {
  readonly channels: number;
  /** Configure the chip for `rateHz` and take it out of sleep. */
  start(i2c: I2C, rateHz: number): void;
  /** Read one frame, scaled to physical units, into `into`. */
  read(i2c: I2C, into: Float32Array): void;
  stop(i2c: I2C): void;
}

/** Write one register. */
export function writeRegister(i2c: I2C, register: number, value: number): void {
  i2c.write(Uint8Array.of(register, value));
}

/** Read `count` bytes starting at `register` (repeated start between address and data). */
export function readRegisters(i2c: I2C, register: number, count: number): Uint8Array {
  i2c.write(Uint8Array.of(register), false);
  return new Uint8Array(i2c.read(count));
}
