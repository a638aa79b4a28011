import type I2C from "embedded:io/i2c";
import { readRegisters, writeRegister, type ImuDriver } from "./imu-driver.js";

// Register map and scales from the MPU-6000/6050 register map (rev 4.2).
const PWR_MGMT_1 = 0x6b;
const SMPLRT_DIV = 0x19;
const CONFIG = 0x1a;
const ACCEL_XOUT_H = 0x3b;
const ACCEL_LSB_PER_G = 16384; // +-2 g full scale
const GYRO_LSB_PER_DPS = 131; // +-250 deg/s full scale

/** MPU-6050: accelerometer x/y/z in g, then gyroscope x/y/z in deg/s (6 channels). */
export class Mpu6050 implements ImuDriver {
  readonly channels = 6;

  start(i2c: I2C, rateHz: number): void {
    writeRegister(i2c, PWR_MGMT_1, 0x01); // wake, PLL on gyro X clock
    writeRegister(i2c, CONFIG, 0x03); // DLPF 44 Hz: gyro output rate 1 kHz
    writeRegister(i2c, SMPLRT_DIV, Math.max(0, Math.min(255, Math.round(1000 / rateHz) - 1)));
  }

  read(i2c: I2C, into: Float32Array): void {
    const b = readRegisters(i2c, ACCEL_XOUT_H, 14);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength); // big-endian words
    for (let i = 0; i < 3; i++) into[i] = v.getInt16(i * 2, false) / ACCEL_LSB_PER_G;
    for (let i = 0; i < 3; i++) into[3 + i] = v.getInt16(8 + i * 2, false) / GYRO_LSB_PER_DPS;
  }

  stop(i2c: I2C): void {
    writeRegister(i2c, PWR_MGMT_1, 0x40); // sleep
  }
}
