import type { Transport } from "../platform/transport.js";

export interface LabeledSample {
  readonly input: Int8Array;
  readonly label: number;
  readonly source: "feedback" | "pseudo";
}

/**
 * Explicit labels: a button press or a host message names the class of a recent input. From a
 * transport, a message is [uint8 label][input bytes]; a malformed one is counted and dropped.
 */
export class FeedbackLabels {
  readonly #queue: LabeledSample[] = [];
  readonly #inputBytes: number;
  readonly #classes: number;
  rejected = 0;

  constructor(inputBytes: number, classes: number) {
    this.#inputBytes = inputBytes;
    this.#classes = classes;
  }

  push(input: Int8Array, label: number): boolean {
    if (input.length !== this.#inputBytes || !(Number.isInteger(label) && label >= 0 && label < this.#classes)) {
      this.rejected++;
      return false;
    }
    this.#queue.push({ input: input.slice(), label, source: "feedback" });
    return true;
  }

  /** Take labels from messages on `topic`. */
  attach(transport: Transport, topic: string): void {
    transport.subscribe(topic, (_topic, payload) => {
      const bytes = new Uint8Array(payload);
      if (bytes.length !== 1 + this.#inputBytes) { this.rejected++; return; }
      this.push(new Int8Array(payload, 1), bytes[0]);
    });
  }

  /** Everything received since the last take. */
  take(): LabeledSample[] {
    return this.#queue.splice(0, this.#queue.length);
  }
}
