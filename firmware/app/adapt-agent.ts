import type { Engine } from "../platform/engine.js";
import type { Clock } from "../platform/clock.js";
import type { Log } from "../platform/log.js";
import { Reservoir, type EntryMode } from "../replay/reservoir.js";
import { Xorshift32 } from "../replay/random.js";
import { TickBudget } from "../agent/tick-budget.js";
import { GuardedTrainer } from "../agent/guarded-trainer.js";
import { FeedbackLabels } from "../agent/feedback-labels.js";
import type { SampleSet } from "./sample-set.js";

export interface AgentOptions {
  /** Frames whose explicit feedback label the agent receives (the enrolment block). */
  readonly feedbackFrames: number;
  /** Top-class probability needed to take the model's own prediction as a label. */
  readonly pseudoThreshold: number;
  /** Run a training tick every this many frames. */
  readonly tickFrames: number;
  readonly stepsPerTick: number;
  readonly batchSize: number;
  /** Seed the replay buffer with the old task's samples and consolidate EWC on them. */
  readonly replay: boolean;
  readonly ewc: boolean;
  readonly capacity: number;
  readonly mode: EntryMode;
  readonly seed: number;
}

export interface CurvePoint {
  readonly frames: number;
  /** Labels (feedback + accepted pseudo-labels) the agent has learned from so far. */
  readonly labelled: number;
  readonly userAccuracy: number;
}

/**
 * The on-device learning loop for one new user: every frame is a model input; the first
 * feedbackFrames come with the user's label, later ones get a confident pseudo-label or none.
 * Labelled entries go to a class-balanced replay buffer (optionally seeded with the old task);
 * every tickFrames frames a guarded round trains within its budget and keeps the candidate
 * adapter only if the buffer's held-out slice does not regress.
 */
export class AdaptAgent {
  readonly curve: CurvePoint[] = [];
  rounds = 0;
  /** Examples trained on (one trainer step each), committed or rolled back. */
  trained = 0;
  frames = 0;
  feedback = 0;
  pseudo = 0;
  pseudoWrong = 0;
  commits = 0;
  readonly #engine: Engine;
  readonly #log: Log;
  readonly #options: AgentOptions;
  readonly #replay: Reservoir;
  readonly #trainer: GuardedTrainer;
  readonly #labels: FeedbackLabels;
  readonly #userTest: SampleSet;
  readonly #onCommit: (adapter: ArrayBuffer) => void;

  constructor(engine: Engine, clock: Clock, log: Log, userTest: SampleSet, options: AgentOptions,
    onCommit: (adapter: ArrayBuffer) => void) {
    this.#engine = engine;
    this.#log = log;
    this.#options = options;
    this.#userTest = userTest;
    this.#onCommit = onCommit;
    const { info } = engine;
    this.#replay = new Reservoir({
      capacity: options.capacity, entryBytes: options.mode === "latent" ? info.latentBytes : info.inputBytes,
      classes: info.classes, mode: options.mode, seed: options.seed, heldOutEvery: 5,
    });
    this.#labels = new FeedbackLabels(info.inputBytes, info.classes);
    // Time is not the limit in the simulator (virtual clock): steps are.
    const budget = new TickBudget(clock, options.stepsPerTick, 60000);
    this.#trainer = new GuardedTrainer(engine, this.#replay, budget, new Xorshift32(options.seed ^ 0x5eed), {
      batchSize: options.batchSize, train: { learningRateShift: 0 }, minHeldOut: 8, tolerance: 1,
    }, (adapter) => { this.commits++; this.#onCommit(adapter); });
  }

  /** Task boundary: old-task samples into the replay buffer, EWC Fisher + anchor on them. */
  startTask(oldTask: SampleSet): void {
    const x = new Int8Array(this.#engine.info.inputBytes);
    if (this.#options.replay) {
      for (let i = 0; i < oldTask.count; i++) this.#offer(oldTask.input(i, x), oldTask.label(i));
    }
    if (this.#options.ewc) {
      // One batch: the engine's Fisher restarts with each consolidate call.
      this.#engine.consolidate(oldTask.batch(0, oldTask.count));
    }
    this.#log.info(`agent: task start replay=${this.#replay.count} ewc=${this.#options.ewc ? "fisher+anchor on " + oldTask.count : "off"}`);
    this.#point();
  }

  /**
   * One frame (model input). `feedback` is the user's label when the user gives one, else -1;
   * `truth` is only for scoring pseudo-labels in the report and never reaches training.
   */
  frame(input: Int8Array, feedback: number, truth: number): void {
    this.frames++;
    if (feedback >= 0) {
      this.#labels.push(input, feedback);
    } else {
      const probs = this.#engine.infer(input);
      const { outputScale, outputZeroPoint } = this.#engine.info;
      let top = 0;
      for (let k = 1; k < probs.length; k++) if (probs[k] > probs[top]) top = k;
      const confidence = (probs[top] - outputZeroPoint) * outputScale;
      if (confidence >= this.#options.pseudoThreshold) {
        this.pseudo++;
        if (top !== truth) this.pseudoWrong++;
        this.#offer(input, top);
      }
    }
    for (const s of this.#labels.take()) { this.feedback++; this.#offer(s.input, s.label); }
    if (this.frames % this.#options.tickFrames === 0) this.tick();
  }

  /** One idle tick: a guarded training round, then the user-accuracy point for the plot. */
  tick(): void {
    const r = this.#trainer.round();
    if (!r) return;
    this.rounds++;
    this.trained += r.steps * this.#options.batchSize;
    const p = this.#point();
    this.#log.info(`agent: tick frames=${this.frames} labelled=${p.labelled} steps=${r.steps} held-out ${r.before.correct}->${r.after.correct}/${r.after.count} ${r.committed ? "commit" : "rollback"} user=${(100 * p.userAccuracy).toFixed(1)}%`);
  }

  get labelled(): number {
    return this.feedback + this.pseudo;
  }

  #offer(input: Int8Array, label: number): void {
    const entry = this.#options.mode === "latent" ? this.#engine.latent(input) : input;
    this.#replay.offer(entry, label);
  }

  #point(): CurvePoint {
    const p = { frames: this.frames, labelled: this.labelled, userAccuracy: this.#userTest.accuracy(this.#engine) };
    this.curve.push(p);
    return p;
  }
}
