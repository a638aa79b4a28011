import type { Batch, Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";
import type { ContinualHooks } from "./hooks.js";

/**
 * Calibrated pseudo-labels (issue 12 item 1): the confidence threshold is fitted on labelled
 * user frames the trainer never saw, for a target precision, instead of a fixed 0.9.
 * Calibration set: the user's labelled enrolment frames that the replay buffer holds out for
 * validation (the guard evaluates that slice every round; a frame found there, by its bytes, was
 * never trained on). No test label is read. Whenever the adapter may have changed (a trainer
 * step since the last fit), before the next pseudo-label the current model answers those frames
 * and the threshold becomes the lowest top probability t (int8 softmax units q + 128, of 256)
 * at which the frames answered with p >= t are right often enough: (right + 1) / (n + 2) >=
 * the target (the posterior mean under a uniform prior, so a few lucky frames do not pass a high
 * target). If no t qualifies, no pseudo-label is taken; with no calibration frame yet,
 * `fallback256` (the agent's own threshold) stands. Integers only. An output below the threshold
 * comes back with every class at the int8 floor, which the pseudo-labeler drops; the agent's own
 * --threshold still applies on top (run it low, e.g. 0.5, so the fitted one decides).
 */
/**
 * The lowest top probability t (of 256) among the frames' at which those answered with p >= t
 * are right often enough, (right + 1) / (n + 2) >= targetPercent / 100; 257 when none is.
 */
export function fitThreshold(p256: Uint16Array, ok: Uint8Array, targetPercent: number): number {
  let t = 257;
  for (let c = 0; c < p256.length; c++) {
    let seen = 0, hit = 0;
    for (let i = 0; i < p256.length; i++) if (p256[i] >= p256[c]) { seen++; hit += ok[i]; }
    if (100 * (hit + 1) >= targetPercent * (seen + 2) && p256[c] < t) t = p256[c];
  }
  return t;
}

export function pseudoCalibrate(frames: SampleSet, count: number, targetPercent: number, fallback256: number): ContinualHooks {
  if (!(Number.isInteger(targetPercent) && targetPercent > 0 && targetPercent < 100)) {
    throw new RangeError(`--pseudo-calibrate: ${targetPercent} is not a whole percentage between 1 and 99`);
  }
  const n = Math.min(count, frames.count), bytes = frames.inputBytes;
  let stored: Int8Array | undefined;
  const held = new Uint8Array(n);
  let calibration = 0, right = 0, dirty = true, threshold = fallback256, fits = 0, dropped = 0, lowest = 257, highest = -1;
  let engine: Engine | undefined, saved: Int8Array | undefined;

  const see = (e: Engine, batch: Batch) => {
    engine = e;
    // a latent entry is the lowest adapted layer's input: the model input when that is layer 0
    if (batch.latent && e.info.latentBytes !== e.info.inputBytes) return;
    if (!stored) {
      stored = new Int8Array(n * bytes);
      for (let r = 0; r < n; r++) frames.input(r, stored.subarray(r * bytes, (r + 1) * bytes));
    }
    for (let j = 0; j < batch.labels.length; j++) {
      for (let r = 0; r < n; r++) {
        if (held[r]) continue;
        let k = 0;
        while (k < bytes && stored[r * bytes + k] === batch.data[j * bytes + k]) k++;
        if (k === bytes) { held[r] = 1; calibration++; dirty = true; break; }
      }
    }
  };

  const fit = (e: Engine) => {
    const p = new Uint16Array(calibration), ok = new Uint8Array(calibration), x = new Int8Array(bytes);
    let m = 0;
    for (let r = 0; r < n; r++) {
      if (!held[r]) continue;
      const out = e.infer(frames.input(r, x));
      let top = 0;
      for (let i = 1; i < out.length; i++) if (out[i] > out[top]) top = i;
      p[m] = out[top] + 128;
      ok[m++] = top === frames.label(r) ? 1 : 0;
    }
    right = 0;
    for (let i = 0; i < m; i++) right += ok[i];
    threshold = fitThreshold(p, ok, targetPercent);
    fits++;
    if (threshold < lowest) lowest = threshold;
    if (threshold > highest) highest = threshold;
  };

  return {
    name: `pseudo-calibrate(${targetPercent}%)`,
    afterTrain: (e) => { engine = e; dirty = true; },
    onEvaluate: see,
    filterOutput: (_input, output) => {
      if (dirty && engine && calibration > 0) {
        // the fit's inferences reuse the engine's output buffer: keep this output apart
        saved ??= new Int8Array(output.length);
        saved.set(output);
        fit(engine);
        output.set(saved);
        dirty = false;
      }
      let top = 0;
      for (let i = 1; i < output.length; i++) if (output[i] > output[top]) top = i;
      if (output[top] + 128 >= threshold) return output;
      dropped++;
      return output.fill(-128);
    },
    report: () => ({ pseudoCalibrate: { targetPercent, calibrationFrames: calibration, calibrationRight: right, fits, threshold256: threshold, lowest256: lowest, highest256: highest, dropped } }),
  };
}
