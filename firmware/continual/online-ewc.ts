import type { Batch, Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";
import type { ContinualHooks } from "./hooks.js";

/** Adds a batch's Fisher to the engine's and anchors at the current adapter (the engine's consolidateMerge). */
export type MergeFisher = (batch: Batch) => void;

/**
 * Online EWC over several task boundaries (issue 12 item 2). The agent's own boundary takes the
 * Fisher on the old task's shipped samples, anchored at the base; a device that resumes for a
 * new user imports that image unchanged, so EWC keeps pulling towards the base and never
 * protects what the earlier users taught. Here, before the first trainer step of a new user,
 * the Fisher of every earlier user's labelled frames (the first `frameCount` of each, which the
 * device holds) under the current adapter is added to the imported one (sums and sample counts:
 * the merged Fisher is the mean over all consolidated examples) and the anchor moves to the
 * current adapter. Unlike Schwarz et al.'s online EWC, each earlier user's Fisher is taken under
 * the current adapter, not the one at its own boundary (nothing but the flash's image carries
 * over; the agent's image is not rewritten), and there is no decay.
 */
export function onlineEwc(earlier: readonly SampleSet[], frameCount: number, merge: MergeFisher): ContinualHooks {
  let merged = -1;
  return {
    name: "online-ewc",
    beforeTrain: () => {
      if (merged >= 0) return;
      merged = 0;
      for (const set of earlier) {
        const n = Math.min(set.count, frameCount);
        for (let i = 0; i < n; i += 40) {
          const b = set.batch(i, Math.min(40, n - i));
          merge(b);
          merged += b.labels.length;
        }
      }
    },
    report: (_engine: Engine) => ({ onlineEwc: { users: earlier.length, mergedExamples: Math.max(0, merged) } }),
  };
}
