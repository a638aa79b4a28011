import type { Batch, Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";

/**
 * What a continual-learning method may add to the agent (issue 12). Each hook is optional; the
 * methods live in firmware/continual/ and reach the agent only through MethodEngine (an Engine
 * that wraps the session), loaded only when one is selected: the default demo's esp32-sized slot
 * heap has no room for their code (a few slots more tip it over).
 */
export interface ContinualHooks {
  /** Short name for the log. */
  readonly name: string;
  /** Rewrites the labels of the boundary's Fisher batch in place (the labels the Fisher is taken under). */
  fisherLabels?(engine: Engine, batch: Batch): void;
  /** Before each trainer step of the agent (online EWC's merge at the first one). */
  beforeTrain?(engine: Engine, batch: Batch): void;
  /** After each trainer step of the agent (a method's own extra steps, e.g. distillation). */
  afterTrain?(engine: Engine, batch: Batch): void;
  /** Every evaluation the agent runs (the guard's held-out slice, the held-out sets' accuracy). */
  onEvaluate?(engine: Engine, batch: Batch): void;
  /** The agent's own inference outputs (its pseudo-labels) pass through here (may rewrite in place). */
  filterOutput?(input: Int8Array, output: Int8Array): Int8Array;
  /** At the end of the run: the method's own figures. */
  report?(engine: Engine, sets: EvaluationSets): Record<string, unknown>;
}

/** The held-out sets the report measures on, with the domain each belongs to. */
export interface EvaluationSets {
  /** The new user's held-out set: the adapter should answer these. */
  readonly user: SampleSet;
  /** The original task's held-out set: the base model should answer these. */
  readonly population: SampleSet;
  /** Old-task samples the device ships with (calibration of a novelty threshold). */
  readonly oldTask: SampleSet;
  /** The labelled frames of every new user met so far (the first `userFrameCount` records of each). */
  readonly userFrames: readonly SampleSet[];
  readonly userFrameCount: number;
  /** More held-out sets to report on (the forgetting matrix of a user sequence), by name. */
  readonly matrix?: readonly { readonly name: string; readonly set: SampleSet }[];
}
