import { bytesOf, checkRange, type Storage } from "./storage.js";

/**
 * What both flash bindings offer: Moddable's `flash` module on boards and mcsim, and the
 * simulator's native/xs/flash (same JS API, file-backed).
 */
export interface FlashLike {
  readonly byteLength: number;
  readonly blockSize: number;
  erase(sector: number): void;
  /** A copy of the bytes (Moddable: an ArrayBuffer unless a host buffer is asked for). */
  read(offset: number, byteLength: number): unknown;
  write(offset: number, byteLength: number, buffer: Uint8Array): void;
  /** The partition in place, read-only, where the flash is memory-mapped (esp32, the simulator). */
  map?(): unknown;
}

/**
 * The Storage port over a flash binding. The bindings do not all bound-check (the SDK's esp32
 * body does not), so the port's RangeError contract is enforced here, once for every target.
 */
export class FlashBackedStorage implements Storage {
  readonly byteLength: number;
  readonly blockSize: number;
  readonly #flash: FlashLike;
  #map: unknown;

  constructor(flash: FlashLike) {
    this.#flash = flash;
    this.byteLength = flash.byteLength;
    this.blockSize = flash.blockSize;
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
    // Both bindings return an ArrayBuffer copy when no host buffer is requested.
    return this.#flash.read(offset, byteLength) as ArrayBuffer;
  }

  /** A read-only view of flash in place (no copy); undefined where the flash cannot be mapped. */
  view(offset: number, byteLength: number): Uint8Array | undefined {
    checkRange(offset, byteLength, this.byteLength);
    if (!this.#flash.map) return undefined;
    this.#map ??= this.#flash.map();
    // A host buffer (Moddable's HostBuffer, the simulator's mapping): XS views it like an ArrayBuffer.
    return new Uint8Array(this.#map as ArrayBuffer, offset, byteLength);
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void {
    checkRange(offset, byteLength, this.byteLength);
    if (byteLength > 0) this.#flash.write(offset, byteLength, bytesOf(buffer));
  }
}
