import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { NorFlash } from "../nor-flash.js";

/**
 * A NorFlash persisted to a file (the whole image rewritten after each change: partitions are
 * small and this keeps the file consistent with the cells after every call).
 */
export function openFileFlash(path: string, sectors: number, blockSize: number): NorFlash {
  const size = sectors * blockSize;
  let image: Uint8Array | undefined;
  if (existsSync(path)) {
    const bytes = readFileSync(path);
    if (bytes.length !== size) throw new RangeError(`${path}: ${bytes.length} bytes, partition needs ${size}`);
    image = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length).slice();
  }
  const flash = new NorFlash(sectors, blockSize, image, (cells) => writeFileSync(path, cells));
  if (!image) writeFileSync(path, flash.image);
  return flash;
}
