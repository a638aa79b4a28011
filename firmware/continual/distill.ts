import type { Batch, Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";
import type { ContinualHooks } from "./hooks.js";
import { withBaseModel } from "./base-switch.js";
import { Xorshift32 } from "../replay/random.js";

/** One trainer step per example against soft targets (the engine's ept_step_soft). */
export type SoftStep = (data: Int8Array, targets: Uint8Array, latent: boolean) => void;

/**
 * Distillation from the frozen base on the old task's shipped samples (issue 12): the base's
 * outputs cost nothing (the adapter switched off), so they are taken once, at the first training
 * step, as soft targets (int8 softmax + 128, 10 bytes per sample); after every trainer step on the
 * replay buffer, `perStep` old-task samples drawn at random are stepped towards them. Unlike
 * replay with hard labels it keeps the base's whole output distribution, its uncertainty included.
 */
export function distillation(oldTask: SampleSet, perStep: number, seed: number, softStep: SoftStep): ContinualHooks {
  if (!(Number.isInteger(perStep) && perStep > 0)) throw new RangeError(`--distill: ${perStep} is not a whole number of samples > 0`);
  const random = new Xorshift32(seed ^ 0xd157);
  let targets: Uint8Array | undefined;
  let data: Int8Array | undefined;
  let batchTargets: Uint8Array | undefined;
  let examples = 0;
  const teacher = (engine: Engine): Uint8Array => {
    const { classes, inputBytes } = engine.info;
    const t = new Uint8Array(oldTask.count * classes), x = new Int8Array(inputBytes);
    withBaseModel(engine, new Uint8Array(engine.info.checkpointBytes), () => {
      for (let i = 0; i < oldTask.count; i++) {
        const out = engine.infer(oldTask.input(i, x));
        for (let k = 0; k < classes; k++) t[i * classes + k] = out[k] + 128;
      }
    });
    return t;
  };
  return {
    name: `distill(${perStep}/step)`,
    afterTrain: (engine: Engine, _batch: Batch) => {
      const { classes, inputBytes } = engine.info;
      targets ??= teacher(engine);
      data ??= new Int8Array(perStep * inputBytes);
      batchTargets ??= new Uint8Array(perStep * classes);
      for (let j = 0; j < perStep; j++) {
        const i = random.below(oldTask.count);
        oldTask.input(i, data.subarray(j * inputBytes, (j + 1) * inputBytes));
        batchTargets.set(targets.subarray(i * classes, (i + 1) * classes), j * classes);
      }
      softStep(data, batchTargets, false);
      examples += perStep;
    },
    report: () => ({ distill: { perStep, examples, teacherSamples: oldTask.count } }),
  };
}
