import type { Log } from "../platform/log.js";
import type { NativeEnginePort } from "../platform/native-engine.js";
import { SampleSet } from "../app/sample-set.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { selectMethods } from "../continual/select.js";
import type { MethodEngine } from "../continual/method-engine.js";
import { trainSoftStep } from "../../native/xs/engine/distill.js";

/**
 * The simulator's continual-learning methods (targets/sim.ts --agent DIR with --route /
 * --fisher-temp / --distill): the session wrapped by the methods named on the command line; when
 * the agent closes it, the methods' figures on DIR's held-out sets go to the log as one
 * `method-result {json}` line. Loaded only when a method is named.
 */
export function simMethods(dir: string, option: (name: string) => string | undefined, log: Log): (engine: NativeEnginePort) => MethodEngine {
  return (engine) => {
    const set = (name: string) => new SampleSet(new Uint8Array(new SimResource(`${dir}/${name}`) as ArrayBuffer), engine.info.inputBytes);
    const oldTask = set("population_replay.bin");
    return selectMethods(engine, option, {
      seed: Number(option("seed") ?? "1"), oldTask,
      softStep: (data, targets, latent) => { trainSoftStep(engine.native, data, targets, latent); },
      beforeClose: (m) => {
        // the user's labelled frames: the stream's first --feedback frames (user_pool.bin's records)
        const report = m.report({ user: set("user_test.bin"), population: set("population_test.bin"), oldTask,
          userFrames: set("user_pool.bin"), userFrameCount: Number(option("feedback") ?? "50") });
        log.info(`method-result ${JSON.stringify({ method: m.name, ...report })}`);
      },
    });
  };
}
