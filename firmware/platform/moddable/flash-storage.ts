import Flash from "flash";
import { bytesOf, checkRange, type Storage } from "../storage.js";

/**
 * Storage over Moddable's `flash` module (a partition of the board's NOR flash). The SDK's
 * esp32 body does not bound-check, so the port's RangeError contract is enforced here.
 */
export class FlashStorage implements Storage {
  readonly byteLength: number;
  readonly blockSize: number;
  readonly #flash: Flash;

  constructor(partition: string) {
    this.#flash = new Flash(partition);
    this.byteLength = this.#flash.byteLength;
    this.blockSize = this.#flash.blockSize;
  }

  erase(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector * this.blockSize >= this.byteLength) {
      throw new RangeError(`sector ${sector} outside partition`);
    }
    this.#flash.erase(sector);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    checkRange(offset, byteLength, this.byteLength);
    if (byteLength === 0) return new ArrayBuffer(0);
    return this.#flash.read(offset, byteLength) as ArrayBuffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void {
    checkRange(offset, byteLength, this.byteLength);
    if (byteLength === 0) return;
    this.#flash.write(offset, byteLength, bytesOf(buffer));
  }
}
