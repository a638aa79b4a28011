import { bytesOf, checkRange, type Storage } from "./storage.js";

/** Thrown by a NorFlash whose power was cut; the device is dead until "restarted". */
export class PowerCut extends Error {
  constructor() {
    super("power cut");
    this.name = "PowerCut";
  }
}

/**
 * NOR flash partition over a byte array, with fault injection for power-loss tests.
 *
 * Fault model (cutPowerAfter(n)): every written byte costs one unit and every erase one unit.
 * When the budget runs out inside a write, the bytes before the cut are programmed and the
 * rest are not; inside an erase, the sector is left half erased (first half 0xFF, second
 * half as it was), as an interrupted erase leaves an undefined mix. After a cut every call
 * throws PowerCut; restart by building a new NorFlash over `image` (the flash survives).
 */
export class NorFlash implements Storage {
  readonly byteLength: number;
  readonly blockSize: number;
  /** The cells; shared with a successor instance to model a reboot. */
  readonly image: Uint8Array;
  readonly #onChange: ((image: Uint8Array) => void) | undefined;
  #budget = Infinity;
  #dead = false;
  /** Units (bytes written + erases) spent since construction: sizes fault-injection loops. */
  units = 0;

  /**
   * @param image existing cells (restart) or undefined for a fresh, fully erased partition
   * @param onChange called after each erase/write with the image (e.g. persist to a file)
   */
  constructor(sectors: number, blockSize: number, image?: Uint8Array, onChange?: (image: Uint8Array) => void) {
    if (!(Number.isInteger(sectors) && sectors > 0)) throw new RangeError("sectors must be a positive integer");
    if (!(Number.isInteger(blockSize) && blockSize > 0)) throw new RangeError("blockSize must be a positive integer");
    this.blockSize = blockSize;
    this.byteLength = sectors * blockSize;
    if (image && image.length !== this.byteLength) throw new RangeError("image size differs from partition size");
    this.image = image ?? new Uint8Array(this.byteLength).fill(0xff);
    this.#onChange = onChange;
  }

  /** Arm the fault: power fails once `units` more units have been spent. */
  cutPowerAfter(units: number): void {
    this.#budget = units;
  }

  get dead(): boolean {
    return this.#dead;
  }

  erase(sector: number): void {
    this.#alive();
    if (!Number.isInteger(sector) || sector < 0 || sector * this.blockSize >= this.byteLength) {
      throw new RangeError(`sector ${sector} outside partition of ${this.byteLength / this.blockSize} sectors`);
    }
    const start = sector * this.blockSize;
    if (this.#budget < 1) {
      this.image.fill(0xff, start, start + (this.blockSize >> 1));
      this.#die();
    }
    this.#budget -= 1;
    this.units += 1;
    this.image.fill(0xff, start, start + this.blockSize);
    this.#onChange?.(this.image);
  }

  read(offset: number, byteLength: number): ArrayBuffer {
    this.#alive();
    checkRange(offset, byteLength, this.byteLength);
    return this.image.slice(offset, offset + byteLength).buffer;
  }

  write(offset: number, byteLength: number, buffer: ArrayBuffer | Uint8Array): void {
    this.#alive();
    checkRange(offset, byteLength, this.byteLength);
    const bytes = bytesOf(buffer);
    if (bytes.length < byteLength) throw new RangeError("buffer shorter than byteLength");
    const allowed = Math.min(byteLength, this.#budget);
    for (let i = 0; i < allowed; i++) this.image[offset + i] &= bytes[i]!; // NOR: clear bits only
    this.#budget -= allowed;
    this.units += allowed;
    if (allowed < byteLength) {
      this.#onChange?.(this.image);
      this.#die();
    }
    this.#onChange?.(this.image);
  }

  #alive(): void {
    if (this.#dead) throw new PowerCut();
  }

  #die(): never {
    this.#dead = true;
    throw new PowerCut();
  }
}
