import type { Log } from "../platform/log.js";
import type { NativeEnginePort } from "../platform/native-engine.js";
import { SampleSet } from "../app/sample-set.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { selectMethods } from "../continual/select.js";
import type { MethodEngine } from "../continual/method-engine.js";
import { trainSoftStep } from "../../native/xs/engine/distill.js";
import { mergeFisher } from "../../native/xs/engine/online-ewc.js";
import { TraceEngine } from "../continual/trace-engine.js";

/**
 * The simulator's continual-learning methods (targets/sim.ts --agent DIR with --route /
 * --fisher-temp / --distill): the session wrapped by the methods named on the command line; when
 * the agent closes it, the methods' figures on DIR's held-out sets go to the log as one
 * `method-result {json}` line. Loaded only when a method is named.
 */
export function simMethods(dir: string, option: (name: string) => string | undefined, log: Log): (engine: NativeEnginePort) => MethodEngine {
  return (engine) => {
    const set = (name: string, from = dir) => new SampleSet(new Uint8Array(new SimResource(`${from}/${name}`) as ArrayBuffer), engine.info.inputBytes);
    // a user sequence (bench/forgetting): --users-root DIR holds user a's files and users/<x>/ the
    // others'; --seen a,b: the users whose labelled frames the device holds; --matrix a,b,c: the
    // users whose held-out sets are reported besides the population's
    const root = option("users-root") ?? dir;
    const userDir = (u: string) => (u === "a" ? root : `${root}/users/${u}`);
    const list = (name: string) => (option(name) ?? "").split(",").filter((u) => u.length > 0);
    const oldTask = set("population_replay.bin");
    // isolation (bench/forgetting): --prior a=FILE,b=FILE are earlier users' adapters, --user-name
    // this run's user; --dump-adapter puts this run's adapter in the report
    const prior = list("prior").map((p) => {
      const [name, file] = p.split("=") as [string, string];
      return { name, bytes: new Uint8Array(new SimResource(file) as ArrayBuffer), frames: set("user_pool.bin", userDir(name)) };
    });
    // --trace 1: the training trace for the float twin (tools/demo/float-twin.ts)
    const trace = option("trace") !== undefined ? new TraceEngine(engine, log) : undefined;
    return selectMethods(trace ?? engine, option, {
      seed: Number(option("seed") ?? "1"), oldTask, priorAdapters: prior,
      userFrames: set("user_pool.bin"), frameCount: Number(option("feedback") ?? "50"), userName: option("user-name"),
      dumpAdapter: option("dump-adapter") !== undefined,
      softStep: (data, targets, latent) => { trace?.soft(data, targets); trainSoftStep(engine.native, data, targets, latent); },
      // online EWC: the users of --seen before this run's (the last), their labelled frames
      earlierUsers: list("seen").slice(0, -1).map((u) => set("user_pool.bin", userDir(u))),
      mergeFisher: (b) => { trace?.merge(); mergeFisher(engine.native, b.data, b.labels, b.latent); },
      beforeClose: (m) => {
        // the user's labelled frames: the stream's first --feedback frames (user_pool.bin's records)
        const seen = list("seen");
        const report = m.report({ user: set("user_test.bin"), population: set("population_test.bin"), oldTask,
          userFrames: seen.length ? seen.map((u) => set("user_pool.bin", userDir(u))) : [set("user_pool.bin")],
          userFrameCount: Number(option("feedback") ?? "50"),
          matrix: list("matrix").map((u) => ({ name: u, set: set("user_test.bin", userDir(u)) })) });
        log.info(`method-result ${JSON.stringify({ method: m.name, ...report })}`);
      },
    });
  };
}
