import type { Crypto } from "../platform/crypto.js";
import { sha256Of } from "../platform/crypto.js";
import type { Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";
import type { UpdateSource } from "./round-agent.js";

/**
 * A round's local update from the engine: start a fresh trainer from the adapter the engine runs
 * (the fleet's global one), take one optimiser step per local sample in order (`steps` of them,
 * 0 = one pass), and return both images; the engine goes back to the global adapter
 * afterwards, so inference and trials never see the local training.
 */
export class EngineUpdateSource implements UpdateSource {
  readonly #engine: Engine;
  readonly #samples: SampleSet;
  readonly #batch: number;
  readonly #crypto: Crypto;

  constructor(crypto: Crypto, engine: Engine, samples: SampleSet, batch = 40) {
    this.#crypto = crypto;
    this.#engine = engine;
    this.#samples = samples;
    this.#batch = batch;
  }

  /** The engine exports an imported image byte for byte, so this is the hash of the active delta's payload. */
  startsFrom(): Uint8Array {
    return sha256Of(this.#crypto, new Uint8Array(this.#engine.exportAdapter()));
  }

  update(_round: number, localSteps: number): { base: Uint8Array; trained: Uint8Array; samples: number } {
    const e = this.#engine;
    const global = new Uint8Array(e.exportAdapter());
    const steps = localSteps === 0 ? this.#samples.count : localSteps;
    e.resetAdapter();
    e.importAdapter(global);
    try {
      for (let done = 0; done < steps;) {
        const at = done % this.#samples.count;
        const n = Math.min(this.#batch, steps - done, this.#samples.count - at);
        e.trainStep(this.#samples.batch(at, n));
        done += n;
      }
      return { base: global, trained: new Uint8Array(e.exportAdapter()), samples: Math.min(steps, this.#samples.count) };
    } finally {
      e.resetAdapter();
      e.importAdapter(global);
    }
  }
}
