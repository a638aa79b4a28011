import type { Engine } from "../platform/engine.js";
import type { Clock } from "../platform/clock.js";
import type { Log } from "../platform/log.js";
import { Reservoir, type EntryMode } from "../replay/reservoir.js";
import { Xorshift32 } from "../replay/random.js";
import { TickBudget } from "../agent/tick-budget.js";
import { GuardedTrainer } from "../agent/guarded-trainer.js";
import { FeedbackLabels } from "../agent/feedback-labels.js";
import { outputKind, pseudoLabel, type OutputQuant } from "../agent/pseudo-labeler.js";
import type { SampleSet } from "./sample-set.js";

/** Where the agent's state goes and comes from (firmware/app/agent-main.ts wires the stores). */
export interface AgentPersistence {
  /**
   * A committed adapter (after validation) and the trainer's full-precision checkpoint of it
   * (the guarded trainer's buffer: valid during the call only).
   */
  commit(adapter: ArrayBuffer, checkpoint: Uint8Array): void;
  /** The replay buffer, saved with each commit and at the task boundary. */
  saveReplay(replay: Reservoir): void;
  /** EWC at the task boundary: the engine's image (Fisher + theta*) and its example count. */
  saveEwc(state: ArrayBuffer, samples: number): void;
  /** A replay buffer restored from storage, used instead of an empty one. */
  readonly replay?: Reservoir;
}

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
  readonly #persist: AgentPersistence;
  readonly #output: OutputQuant;

  constructor(engine: Engine, clock: Clock, log: Log, userTest: SampleSet, options: AgentOptions,
    persist: AgentPersistence) {
    this.#engine = engine;
    this.#log = log;
    this.#options = options;
    this.#userTest = userTest;
    this.#persist = persist;
    const { info } = engine;
    this.#output = { kind: outputKind(info.outputScale, info.outputZeroPoint), scale: info.outputScale, zeroPoint: info.outputZeroPoint };
    this.#replay = persist.replay ?? new Reservoir({
      capacity: options.capacity, entryBytes: options.mode === "latent" ? info.latentBytes : info.inputBytes,
      classes: info.classes, mode: options.mode, seed: options.seed, heldOutEvery: 5,
    });
    this.#labels = new FeedbackLabels(info.inputBytes, info.classes);
    // Time is not the limit in the simulator (virtual clock): steps are.
    const budget = new TickBudget(clock, options.stepsPerTick, 60000);
    this.#trainer = new GuardedTrainer(engine, this.#replay, budget, new Xorshift32(options.seed ^ 0x5eed), {
      batchSize: options.batchSize, minHeldOut: 8, tolerance: 1,
    }, (adapter, checkpoint) => {
      this.commits++;
      persist.commit(adapter, checkpoint);
      persist.saveReplay(this.#replay);
    });
  }

  /** Entries in the replay buffer. */
  get replayCount(): number {
    return this.#replay.count;
  }

  /** Task boundary: old-task samples into the replay buffer, EWC Fisher + anchor on them. */
  startTask(oldTask: SampleSet): void {
    const x = new Int8Array(this.#engine.info.inputBytes);
    if (this.#options.replay) {
      for (let i = 0; i < oldTask.count; i++) this.#offer(oldTask.input(i, x), oldTask.label(i));
    }
    if (this.#options.ewc) {
      // One batch: the engine's Fisher restarts with each consolidate call. The engine's image
      // (Fisher + anchor) is what a restart imports, so it never re-reads the old task.
      this.#engine.consolidate(oldTask.batch(0, oldTask.count));
      this.#persist.saveEwc(this.#engine.exportEwc(), oldTask.count);
    }
    this.#persist.saveReplay(this.#replay);
    this.#log.info(`agent: task start replay=${this.#replay.count} ewc=${this.#options.ewc ? "fisher+anchor on " + oldTask.count : "off"}`);
    this.#point();
  }

  /** After a restart with saved state: no new task boundary, only the curve's first point. */
  resume(): void {
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
      const p = pseudoLabel(this.#engine.infer(input), this.#output, this.#options.pseudoThreshold);
      if (p.label >= 0) {
        this.pseudo++;
        if (p.label !== truth) this.pseudoWrong++;
        this.#offer(input, p.label);
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
