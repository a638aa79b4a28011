import type { Storage } from "../platform/storage.js";
import type { Checksum } from "../platform/checksum.js";

/**
 * A power-loss-safe store for one record (DESIGN.md section 4): two slots (A/B) of whole
 * sectors; a save erases and writes the slot not holding the current record, payload first
 * and header last, and the record becomes current only when its header is complete and its
 * CRC matches. Power lost at any byte leaves the previous record readable.
 *
 * Header, little-endian, 20 bytes:
 *   0 magic "EPSS" | 4 uint16 version | 6 uint16 tag | 8 uint32 length | 12 uint32 sequence
 *   16 uint32 CRC-32 of bytes 0..15 and the payload
 */
export const HEADER_BYTES = 20;
const MAGIC = 0x53535045; // "EPSS" read as little-endian uint32
export const FORMAT_VERSION = 1;

export interface SlotStoreOptions {
  /** First sector of slot A; slot B follows it. */
  readonly firstSector: number;
  readonly sectorsPerSlot: number;
  /** What the record holds (replay, adapter, ewc...): a record of another tag is ignored. */
  readonly tag: number;
}

export interface LoadedRecord {
  readonly payload: Uint8Array;
  readonly sequence: number;
  readonly slot: 0 | 1;
}

export class SlotStore {
  /** Largest payload a slot holds. */
  readonly capacity: number;
  readonly #storage: Storage;
  readonly #checksum: Checksum;
  readonly #options: SlotStoreOptions;
  readonly #slotBytes: number;
  #current: { slot: 0 | 1; sequence: number } | undefined;
  #scanned = false;

  constructor(storage: Storage, checksum: Checksum, options: SlotStoreOptions) {
    const { firstSector, sectorsPerSlot, tag } = options;
    if (!(Number.isInteger(sectorsPerSlot) && sectorsPerSlot > 0)) throw new RangeError("sectorsPerSlot must be >= 1");
    if (!(Number.isInteger(firstSector) && firstSector >= 0)) throw new RangeError("firstSector must be >= 0");
    if ((firstSector + 2 * sectorsPerSlot) * storage.blockSize > storage.byteLength) {
      throw new RangeError("slot store does not fit the partition");
    }
    if (!(Number.isInteger(tag) && tag >= 0 && tag <= 0xffff)) throw new RangeError("tag must be a uint16");
    this.#storage = storage;
    this.#checksum = checksum;
    this.#options = options;
    this.#slotBytes = sectorsPerSlot * storage.blockSize;
    this.capacity = this.#slotBytes - HEADER_BYTES;
  }

  /** The current record, or undefined if neither slot holds a valid one. */
  load(): LoadedRecord | undefined {
    let best: LoadedRecord | undefined;
    for (const slot of [0, 1] as const) {
      const record = this.#read(slot);
      if (record && (!best || newer(record.sequence, best.sequence))) best = record;
    }
    this.#current = best ? { slot: best.slot, sequence: best.sequence } : undefined;
    this.#scanned = true;
    return best;
  }

  /** Write payload as the new current record; returns its sequence number. */
  save(payload: Uint8Array): number {
    return this.saveParts([payload]);
  }

  /**
   * Write the concatenation of parts as one record, without building it in RAM (a replay
   * buffer saves its arrays in place: no copy of kilobytes in a board's heap).
   */
  saveParts(parts: readonly Uint8Array[]): number {
    let length = 0;
    for (const p of parts) length += p.length;
    if (length > this.capacity) throw new RangeError(`record of ${length} bytes exceeds slot capacity ${this.capacity}`);
    if (!this.#scanned) this.load();
    const slot: 0 | 1 = this.#current ? (this.#current.slot === 0 ? 1 : 0) : 0;
    const sequence = this.#current ? (this.#current.sequence + 1) >>> 0 : 1;
    const base = this.#slotOffset(slot);
    const sectors = Math.ceil((HEADER_BYTES + length) / this.#storage.blockSize);
    const first = base / this.#storage.blockSize;
    // Erasing the header's sector first invalidates the old record in this slot before anything else.
    for (let s = 0; s < sectors; s++) this.#storage.erase(first + s);
    const header = new Uint8Array(HEADER_BYTES);
    const view = new DataView(header.buffer);
    view.setUint32(0, MAGIC, true);
    view.setUint16(4, FORMAT_VERSION, true);
    view.setUint16(6, this.#options.tag, true);
    view.setUint32(8, length, true);
    view.setUint32(12, sequence, true);
    let crc = this.#checksum.crc32(header.subarray(0, 16));
    let at = base + HEADER_BYTES;
    for (const p of parts) {
      if (p.length === 0) continue;
      crc = this.#checksum.crc32(p, crc);
      this.#storage.write(at, p.length, p);
      at += p.length;
    }
    view.setUint32(16, crc, true);
    this.#storage.write(base, HEADER_BYTES, header); // the commit point
    this.#current = { slot, sequence };
    return sequence;
  }

  /**
   * Erase both slots' first sector (each holds its slot's header), so neither record is valid.
   * A cut between the two erases leaves at most the record being dropped, never a mixed one.
   */
  clear(): void {
    for (const slot of [0, 1] as const) this.#storage.erase(this.#slotOffset(slot) / this.#storage.blockSize);
    this.#current = undefined;
    this.#scanned = true;
  }

  /** Sequence number of the current record (0: none). */
  get sequence(): number {
    if (!this.#scanned) this.load();
    return this.#current?.sequence ?? 0;
  }

  #slotOffset(slot: 0 | 1): number {
    return (this.#options.firstSector * this.#storage.blockSize) + slot * this.#slotBytes;
  }

  #read(slot: 0 | 1): LoadedRecord | undefined {
    const base = this.#slotOffset(slot);
    const header = new Uint8Array(this.#storage.read(base, HEADER_BYTES));
    const view = new DataView(header.buffer);
    if (view.getUint32(0, true) !== MAGIC) return undefined;
    if (view.getUint16(4, true) !== FORMAT_VERSION) return undefined;
    if (view.getUint16(6, true) !== this.#options.tag) return undefined;
    const length = view.getUint32(8, true);
    if (length > this.capacity) return undefined;
    const payload = new Uint8Array(this.#storage.read(base + HEADER_BYTES, length));
    const crc = this.#checksum.crc32(payload, this.#checksum.crc32(header.subarray(0, 16)));
    if (crc !== view.getUint32(16, true)) return undefined;
    return { payload, sequence: view.getUint32(12, true), slot };
  }
}

/** Serial-number comparison (RFC 1982 style) so a wrapped uint32 sequence still orders. */
function newer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}
