import type { Engine } from "../platform/engine.js";

/**
 * Runs `body` with the adapter switched off (the trainer's initial adapter: LoRA B = 0, bias
 * delta 0, so the outputs are the frozen base model's, bit-exact with TFLite Micro) and then
 * puts the trainer back exactly (full-precision checkpoint, not the int8 export). On a device
 * this is the adapter switch of a router; here it also gives distillation its free teacher.
 * `snapshot` is info.checkpointBytes long, allocated once by the caller.
 */
export function withBaseModel<T>(engine: Engine, snapshot: Uint8Array, body: () => T): T {
  engine.exportCheckpointInto(snapshot);
  engine.resetAdapter();
  try {
    return body();
  } finally {
    engine.importCheckpoint(snapshot);
  }
}

/** Top class and its probability in 1/256 units (int8 softmax q + 128) of one output. */
export function top(output: Int8Array): { label: number; p256: number } {
  let best = 0;
  for (let i = 1; i < output.length; i++) if (output[i] > output[best]) best = i;
  return { label: best, p256: output[best] + 128 };
}
