import type { ContinualHooks } from "./hooks.js";
import { routing, type UserAdapter } from "./router.js";
import { sampledFisher } from "./fisher-labels.js";
import { MethodEngine } from "./method-engine.js";
import { distillation, type SoftStep } from "./distill.js";
import { pseudoCheck } from "./pseudo-check.js";
import { pseudoCalibrate } from "./pseudo-calibrate.js";
import { onlineEwc, type MergeFisher } from "./online-ewc.js";
import type { SampleSet } from "../app/sample-set.js";
import type { Engine } from "../platform/engine.js";

/** Several methods as one set of hooks: each hook runs in the order given. */
export function combine(methods: readonly ContinualHooks[]): ContinualHooks {
  return {
    name: methods.map((m) => m.name).join("+"),
    fisherLabels: (engine, batch) => { for (const m of methods) m.fisherLabels?.(engine, batch); },
    beforeTrain: (engine, batch) => { for (const m of methods) m.beforeTrain?.(engine, batch); },
    afterTrain: (engine, batch) => { for (const m of methods) m.afterTrain?.(engine, batch); },
    onEvaluate: (engine, batch) => { for (const m of methods) m.onEvaluate?.(engine, batch); },
    filterOutput: (input, output) => {
      let o = output;
      for (const m of methods) if (m.filterOutput) o = m.filterOutput(input, o);
      return o;
    },
    report: (engine, sets) => {
      const r: Record<string, unknown> = {};
      for (const m of methods) Object.assign(r, m.report?.(engine, sets));
      return r;
    },
  };
}

function positive(name: string, text: string): number {
  const v = Number(text);
  if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`--${name}: ${text} is not a positive number`);
  return v;
}

/**
 * The methods named on the simulator's command line (targets/sim-agent.ts): `--route Q`
 * (router, novelty quantile Q in (0, 1); `--route-channels C` adds its "stats" rule over C
 * channels per frame), `--fisher-temp T` (Fisher under labels drawn at
 * temperature T), `--distill K` (K old-task samples stepped towards the base's outputs after
 * every trainer step), `--pseudo-check 1` (pseudo-labels the nearest labelled frame disagrees
 * with are dropped), `--pseudo-calibrate P` (the pseudo-label threshold fitted for P% precision on
 * held-out labelled frames; pseudo-calibrate.ts), `--online-ewc 1` (the Fisher of the earlier users' labelled frames merged
 * in and the anchor moved before the first step; online-ewc.ts). Throws when none is.
 */
export interface MethodContext {
  readonly seed: number;
  /** The old task's shipped samples (distillation's inputs). */
  readonly oldTask: SampleSet;
  /** The user's labelled frames (the first `frameCount` records; the pseudo-label check). */
  readonly userFrames: SampleSet;
  readonly frameCount: number;
  /** The engine's soft-target step (distillation). */
  readonly softStep: SoftStep;
  /** Isolation: earlier users' adapters, this run's user, and whether to dump the adapter. */
  readonly priorAdapters?: readonly UserAdapter[];
  readonly userName?: string;
  readonly dumpAdapter?: boolean;
  /** Online EWC: the earlier users' labelled frames, and the engine's Fisher merge. */
  readonly earlierUsers?: readonly SampleSet[];
  readonly mergeFisher?: MergeFisher;
  /** Runs when the agent closes the session (the report). */
  readonly beforeClose?: (engine: MethodEngine) => void;
}

export function selectMethods(engine: Engine, option: (name: string) => string | undefined, ctx: MethodContext): MethodEngine {
  const { seed, beforeClose } = ctx;
  const methods: ContinualHooks[] = [];
  if (option("online-ewc") !== undefined) {
    if (!ctx.mergeFisher) throw new RangeError("--online-ewc: this engine has no Fisher merge");
    methods.push(onlineEwc(ctx.earlierUsers ?? [], ctx.frameCount, ctx.mergeFisher));
  }
  if (option("pseudo-check") !== undefined) methods.push(pseudoCheck(ctx.userFrames, ctx.frameCount));
  const cal = option("pseudo-calibrate");
  // the fallback before any calibration frame: the agent's default threshold, 0.9 of 256
  if (cal !== undefined) methods.push(pseudoCalibrate(ctx.userFrames, ctx.frameCount, Number(cal), 231));
  const k = option("distill");
  if (k !== undefined) methods.push(distillation(ctx.oldTask, positive("distill", k), seed, ctx.softStep));
  const t = option("fisher-temp");
  if (t !== undefined) methods.push(sampledFisher(positive("fisher-temp", t), seed));
  const q = option("route");
  if (q !== undefined) {
    const v = positive("route", q);
    if (v >= 1) throw new RangeError(`--route: quantile ${q} must be below 1`);
    const c = option("route-channels");
    methods.push(routing(v, ctx.priorAdapters, ctx.userName, ctx.dumpAdapter, c === undefined ? undefined : positive("route-channels", c)));
  }
  if (methods.length === 0) throw new RangeError("no continual-learning method selected");
  return new MethodEngine(engine, methods.length === 1 ? methods[0] : combine(methods), beforeClose);
}
