import type { SampleSet } from "../app/sample-set.js";
import type { ContinualHooks } from "./hooks.js";

/**
 * Pseudo-labels cross-checked against the nearest labelled frame (issue 12, in place of a
 * calibration): the agent takes the model's top class as a label when its probability reaches
 * the threshold; here an output whose top class differs from the label of the input's nearest
 * labelled user frame (squared L2 over the int8 input; the enrolment frames the agent was given
 * labels for) is returned with no confidence (every class at the int8 floor), so the agent's
 * pseudo-labeler drops it. Only the agent's own infer calls see this (pseudo-labelling); the
 * router and the other methods read the session directly.
 */
export function pseudoCheck(frames: SampleSet, count: number): ContinualHooks {
  let x: Int8Array | undefined, y: Int8Array | undefined;
  let vetoed = 0;
  return {
    name: "pseudo-check",
    filterOutput: (input, output) => {
      x ??= new Int8Array(input.length);
      y ??= new Int8Array(input.length);
      let best = Infinity, label = -1;
      for (let r = 0; r < Math.min(count, frames.count); r++) {
        frames.input(r, y);
        let d = 0;
        for (let k = 0; k < input.length && d < best; k++) { const e = input[k] - y[k]; d += e * e; }
        if (d < best) { best = d; label = frames.label(r); }
      }
      let top = 0;
      for (let i = 1; i < output.length; i++) if (output[i] > output[top]) top = i;
      if (top === label) return output;
      vetoed++;
      return output.fill(-128);
    },
    report: () => ({ pseudoCheck: { vetoed } }),
  };
}
