// NOR flash partition with the JS API of Moddable's `flash` module: new Flash(partition),
// erase(sector), write(offset, byteLength, buffer), read(offset, byteLength), byteLength,
// blockSize. On boards the C body is Moddable's own (same xs_flash_* names); the simulator's
// body (sim/flash.c) keeps the partition in a file.

const open = native("xs_flash") as (this: Flash, partition: string) => void;
const erase = native("xs_flash_erase") as (this: Flash, sector: number) => void;
const read = native("xs_flash_read") as (this: Flash, offset: number, byteLength: number) => ArrayBuffer;
const write = native("xs_flash_write") as (
  this: Flash,
  offset: number,
  byteLength: number,
  buffer: ArrayBuffer | Uint8Array,
) => void;
const map = native("xs_flash_map") as (this: Flash) => ArrayBuffer;
const byteLength = native("xs_flash_byteLength") as (this: Flash) => number;
const blockSize = native("xs_flash_blockSize") as (this: Flash) => number;

export interface FlashOptions {
  partition: string;
}

export class Flash extends Native("xs_flash_destructor") {
  constructor(partition: string | FlashOptions) {
    super();
    open.call(this, typeof partition === "string" ? partition : partition.partition);
  }

  /** Sets every byte of sector `sector` to 0xFF. */
  erase(sector: number): void {
    erase.call(this, sector);
  }

  /** Programs `byteLength` bytes of `buffer` at `offset`: each cell becomes old & new. */
  write(offset: number, byteLength: number, buffer: ArrayBuffer | ArrayBufferView): void {
    const bytes =
      buffer instanceof ArrayBuffer ? buffer : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    write.call(this, offset, byteLength, bytes);
  }

  /** A copy of `byteLength` bytes at `offset`. */
  read(offset: number, byteLength: number): ArrayBuffer {
    return read.call(this, offset, byteLength);
  }

  /** The whole partition in place, read-only (a host buffer: view it, never write it). */
  map(): ArrayBuffer {
    return map.call(this);
  }

  get byteLength(): number {
    return byteLength.call(this);
  }

  get blockSize(): number {
    return blockSize.call(this);
  }
}
