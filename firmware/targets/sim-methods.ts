import type { Engine } from "../platform/engine.js";
import type { Log } from "../platform/log.js";
import { SampleSet } from "../app/sample-set.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { selectMethods } from "../continual/select.js";
import type { MethodEngine } from "../continual/method-engine.js";

/**
 * The simulator's continual-learning methods (targets/sim.ts --agent DIR with --route /
 * --fisher-temp): the session wrapped by the methods named on the command line; when the agent
 * closes it, the methods' figures on DIR's held-out sets go to the log as one
 * `method-result {json}` line. Loaded only when a method is named.
 */
export function simMethods(dir: string, option: (name: string) => string | undefined, log: Log): (engine: Engine) => MethodEngine {
  return (engine) => selectMethods(engine, option, Number(option("seed") ?? "1"), (m) => {
    const set = (name: string) => new SampleSet(new Uint8Array(new SimResource(`${dir}/${name}`) as ArrayBuffer), engine.info.inputBytes);
    const report = m.report({ user: set("user_test.bin"), population: set("population_test.bin"), oldTask: set("population_replay.bin") });
    log.info(`method-result ${JSON.stringify({ method: m.name, ...report })}`);
  });
}
