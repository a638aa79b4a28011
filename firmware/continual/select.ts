import type { ContinualHooks } from "./hooks.js";
import { routing } from "./router.js";
import { sampledFisher } from "./fisher-labels.js";
import { MethodEngine } from "./method-engine.js";
import type { Engine } from "../platform/engine.js";

/** Several methods as one set of hooks: each hook runs in the order given. */
export function combine(methods: readonly ContinualHooks[]): ContinualHooks {
  return {
    name: methods.map((m) => m.name).join("+"),
    fisherLabels: (engine, batch) => { for (const m of methods) m.fisherLabels?.(engine, batch); },
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
 * (router, novelty quantile Q in (0, 1)), `--fisher-temp T` (Fisher under labels drawn at
 * temperature T). Throws when none is.
 */
export function selectMethods(engine: Engine, option: (name: string) => string | undefined, seed: number,
  beforeClose?: (engine: MethodEngine) => void): MethodEngine {
  const methods: ContinualHooks[] = [];
  const t = option("fisher-temp");
  if (t !== undefined) methods.push(sampledFisher(positive("fisher-temp", t), seed));
  const q = option("route");
  if (q !== undefined) {
    const v = positive("route", q);
    if (v >= 1) throw new RangeError(`--route: quantile ${q} must be below 1`);
    methods.push(routing(v));
  }
  if (methods.length === 0) throw new RangeError("no continual-learning method selected");
  return new MethodEngine(engine, methods.length === 1 ? methods[0] : combine(methods), beforeClose);
}
