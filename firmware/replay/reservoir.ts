import { Xorshift32 } from "./random.js";

export type EntryMode = "raw" | "latent";

export interface ReservoirOptions {
  readonly capacity: number;
  /** Bytes of one entry: the model input (raw) or the lowest adapted layer's input (latent). */
  readonly entryBytes: number;
  readonly classes: number;
  readonly mode: EntryMode;
  readonly seed: number;
  /** One entry in `heldOutEvery` (by a seeded draw) is kept out of training for validation. */
  readonly heldOutEvery?: number;
}

/**
 * Class-balanced reservoir (CBRS, Chrysakis & Moens, ICML 2020) of int8 entries. Until full,
 * every sample is kept. When full, a sample of a class that is not among the largest in the
 * buffer replaces a random entry of a largest class; a sample of a largest class c replaces a
 * random entry of its own class with probability m_c / n_c (stored / seen of c), so within a
 * class the buffer stays a uniform sample of the stream. Storage is preallocated.
 */
export class Reservoir {
  readonly capacity: number;
  readonly entryBytes: number;
  readonly classes: number;
  readonly mode: EntryMode;
  readonly heldOutEvery: number;
  readonly data: Int8Array;
  readonly labels: Uint8Array;
  /** 1 where the entry is a validation entry. */
  readonly heldOut: Uint8Array;
  /** Samples of each class offered so far (n_c). */
  readonly seen: Uint32Array;
  /** Entries of each class stored (m_c). */
  readonly stored: Uint32Array;
  readonly random: Xorshift32;
  count = 0;

  constructor(options: ReservoirOptions) {
    const { capacity, entryBytes, classes } = options;
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError("capacity must be >= 1");
    if (!(Number.isInteger(entryBytes) && entryBytes > 0)) throw new RangeError("entryBytes must be >= 1");
    if (!(Number.isInteger(classes) && classes > 0 && classes <= 256)) throw new RangeError("classes must be in 1..256");
    this.capacity = capacity;
    this.entryBytes = entryBytes;
    this.classes = classes;
    this.mode = options.mode;
    this.heldOutEvery = options.heldOutEvery ?? 0;
    this.data = new Int8Array(capacity * entryBytes);
    this.labels = new Uint8Array(capacity);
    this.heldOut = new Uint8Array(capacity);
    this.seen = new Uint32Array(classes);
    this.stored = new Uint32Array(classes);
    this.random = new Xorshift32(options.seed);
  }

  /** Offer one sample; returns the index it was stored at, or -1 if not kept. */
  offer(entry: Int8Array, label: number): number {
    if (entry.length !== this.entryBytes) throw new RangeError(`entry of ${entry.length} bytes, expected ${this.entryBytes}`);
    if (!(Number.isInteger(label) && label >= 0 && label < this.classes)) throw new RangeError(`label ${label} outside 0..${this.classes - 1}`);
    this.seen[label]++;
    let index: number;
    if (this.count < this.capacity) {
      index = this.count++;
    } else {
      const largest = this.#largestCount();
      if (this.stored[label] < largest) {
        const victimClass = this.#randomLargestClass(largest);
        index = this.#randomEntryOf(victimClass);
      } else {
        if (!this.random.chance(this.stored[label], this.seen[label])) return -1;
        index = this.#randomEntryOf(label);
      }
      this.stored[this.labels[index]]--;
    }
    this.data.set(entry, index * this.entryBytes);
    this.labels[index] = label;
    this.stored[label]++;
    this.heldOut[index] = this.heldOutEvery > 0 && this.random.below(this.heldOutEvery) === 0 ? 1 : 0;
    return index;
  }

  /** A view (no copy) of entry i. */
  entry(i: number): Int8Array {
    if (!(i >= 0 && i < this.count)) throw new RangeError(`entry ${i} of ${this.count}`);
    return this.data.subarray(i * this.entryBytes, (i + 1) * this.entryBytes);
  }

  /** Indices of training (heldOut = false) or validation (true) entries. */
  indices(heldOut: boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if ((this.heldOut[i] === 1) === heldOut) out.push(i);
    return out;
  }

  /** Copy the given entries into one batch buffer and label array. */
  gather(indices: readonly number[]): { data: Int8Array; labels: Uint8Array } {
    const data = new Int8Array(indices.length * this.entryBytes);
    const labels = new Uint8Array(indices.length);
    indices.forEach((i, k) => {
      data.set(this.entry(i), k * this.entryBytes);
      labels[k] = this.labels[i];
    });
    return { data, labels };
  }

  #largestCount(): number {
    let m = 0;
    for (let c = 0; c < this.classes; c++) if (this.stored[c] > m) m = this.stored[c];
    return m;
  }

  #randomLargestClass(largest: number): number {
    let ties = 0;
    for (let c = 0; c < this.classes; c++) if (this.stored[c] === largest) ties++;
    let pick = this.random.below(ties);
    for (let c = 0; c < this.classes; c++) if (this.stored[c] === largest && pick-- === 0) return c;
    throw new Error("unreachable: no largest class");
  }

  #randomEntryOf(label: number): number {
    let pick = this.random.below(this.stored[label]);
    for (let i = 0; i < this.count; i++) if (this.labels[i] === label && pick-- === 0) return i;
    throw new Error("unreachable: class has no entry");
  }
}
