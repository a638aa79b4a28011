import { Flash } from "../../../native/xs/flash/flash.js";
import { bytesOf, checkRange, type Storage } from "../storage.js";

/** Storage over the simulator's file-backed NOR partition (native/xs/flash). */
export class SimStorage implements Storage {
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
    return byteLength === 0 ? new ArrayBuffer(0) : this.#flash.read(offset, byteLength);
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void {
    checkRange(offset, byteLength, this.byteLength);
    if (byteLength > 0) this.#flash.write(offset, byteLength, bytesOf(buffer));
  }
}
