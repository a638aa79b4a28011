import type { Batch, Engine } from "../platform/engine.js";

/** Bytes of one SAMPLES.bin record: uint8 label + the model's int8 input (data/demo/README.md). */
export function recordBytes(inputBytes: number): number {
  return 1 + inputBytes;
}

/**
 * A labelled sample file (SAMPLES.bin) viewed in place: on a board a Resource in flash, in the
 * simulator a host buffer, so the set costs no JS heap. Batches are copied into one buffer
 * allocated here, once.
 */
export class SampleSet {
  readonly count: number;
  readonly inputBytes: number;
  readonly #bytes: Uint8Array;
  readonly #data: Int8Array;
  readonly #labels: Uint8Array;

  constructor(bytes: Uint8Array, inputBytes: number, batchSize = 40) {
    const rec = recordBytes(inputBytes);
    if (bytes.length % rec !== 0) throw new RangeError(`sample file of ${bytes.length} bytes is not ${rec}-byte records`);
    this.#bytes = bytes;
    this.inputBytes = inputBytes;
    this.count = bytes.length / rec;
    this.#data = new Int8Array(batchSize * inputBytes);
    this.#labels = new Uint8Array(batchSize);
  }

  label(i: number): number {
    return this.#bytes[i * recordBytes(this.inputBytes)];
  }

  /** Copies record i's input into `into`. */
  input(i: number, into: Int8Array): Int8Array {
    const at = i * recordBytes(this.inputBytes) + 1;
    for (let k = 0; k < this.inputBytes; k++) into[k] = (this.#bytes[at + k] << 24) >> 24;
    return into;
  }

  /** Records [start, start + n) as a batch in the shared buffers (valid until the next call). */
  batch(start: number, n: number): Batch {
    const size = this.#labels.length;
    if (n > size) throw new RangeError(`batch of ${n} > ${size}`);
    for (let j = 0; j < n; j++) {
      this.input(start + j, this.#data.subarray(j * this.inputBytes, (j + 1) * this.inputBytes));
      this.#labels[j] = this.label(start + j);
    }
    return { data: this.#data.subarray(0, n * this.inputBytes), labels: this.#labels.subarray(0, n), latent: false };
  }

  /** Accuracy of the engine's current adapter over the whole set, through engine.evaluate. */
  accuracy(engine: Engine): number {
    let correct = 0;
    const size = this.#labels.length;
    for (let i = 0; i < this.count; i += size) correct += engine.evaluate(this.batch(i, Math.min(size, this.count - i))).correct;
    return correct / this.count;
  }
}
