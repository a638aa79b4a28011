import type { Batch } from "../platform/engine.js";
import type { ContinualHooks } from "./hooks.js";
import { Xorshift32 } from "../replay/random.js";

/**
 * The labels the boundary's Fisher is taken under (issue 12). With the true labels (the
 * empirical Fisher) a confident, correct base gives gradients p - onehot of about 1/256 per
 * logit, so the Fisher is about zero exactly where the old task is learnt; the expected Fisher
 * under the model's own distribution is as small (p (1 - p)). Drawing each label from the
 * model's output tempered by T, p^(1/T) renormalised (T = 1: the model's own distribution,
 * large T: uniform), puts weight on the classes the input must NOT become, whose gradients
 * are of order 1 whatever the confidence. Int8 softmax zeros are floored at 1/512, as the
 * trainer's loss floors them.
 */
export function temperedLabels(output: Int8Array, temperature: number, random: Xorshift32): number {
  let sum = 0;
  const w: number[] = [];
  for (let i = 0; i < output.length; i++) {
    const p = Math.max(0.5, output[i] + 128) / 256;
    const v = Math.pow(p, 1 / temperature);
    w.push(v);
    sum += v;
  }
  let u = random.next() / 4294967296 * sum;
  for (let i = 0; i < w.length; i++) {
    u -= w[i];
    if (u < 0) return i;
  }
  return w.length - 1;
}

/** The method: labels of the Fisher batch drawn at temperature T from the current model's output. */
export function sampledFisher(temperature: number, seed: number): ContinualHooks {
  if (!(temperature > 0)) throw new RangeError(`fisher temperature must be > 0, got ${temperature}`);
  const random = new Xorshift32(seed ^ 0xf15e);
  return {
    name: `fisher(T=${temperature})`,
    fisherLabels: (engine, batch: Batch) => {
      const n = batch.labels.length, bytes = batch.data.length / n;
      for (let i = 0; i < n; i++) {
        batch.labels[i] = temperedLabels(engine.infer(batch.data.subarray(i * bytes, (i + 1) * bytes), batch.latent), temperature, random);
      }
    },
  };
}
