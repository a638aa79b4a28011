import type I2C from "embedded:io/i2c";
import { readRegisters, writeRegister, type ImuDriver } from "./imu-driver.js";

// From the LIS3DH datasheet (DocID17530): normal mode, 10-bit left-justified, 4 mg/digit at +-2 g.
const CTRL_REG1 = 0x20;
const CTRL_REG4 = 0x23;
const OUT_X_L = 0x28;
const AUTO_INCREMENT = 0x80;
const G_PER_DIGIT = 0.004;
const RATES: readonly (readonly [number, number])[] = [[1, 1], [10, 2], [25, 3], [50, 4], [100, 5], [200, 6], [400, 7]];

/** LIS3DH: accelerometer x/y/z in g (3 channels). */
export class Lis3dh implements ImuDriver {
  readonly channels = 3;

  start(i2c: I2C, rateHz: number): void {
    let odr = 7;
    for (const [hz, code] of RATES) if (hz >= rateHz) { odr = code; break; }
    writeRegister(i2c, CTRL_REG1, (odr << 4) | 0x07); // ODR, normal mode, X/Y/Z on
    writeRegister(i2c, CTRL_REG4, 0x80); // block data update, +-2 g
  }

  read(i2c: I2C, into: Float32Array): void {
    const b = readRegisters(i2c, OUT_X_L | AUTO_INCREMENT, 6);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength); // little-endian words
    for (let i = 0; i < 3; i++) into[i] = (v.getInt16(i * 2, true) >> 6) * G_PER_DIGIT;
  }

  stop(i2c: I2C): void {
    writeRegister(i2c, CTRL_REG1, 0x00); // power down
  }
}
