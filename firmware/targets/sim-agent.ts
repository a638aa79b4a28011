import { mainAgent } from "../app/agent-main.js";
import type { BoardProfile } from "../boards/profile.js";
import type { Ports } from "../platform/ports.js";
import type { Log } from "../platform/log.js";
import type { SimClock } from "../platform/sim/sim-clock.js";
import { PlaybackSensor } from "../capture/playback-sensor.js";
import { PlaybackReader } from "../platform/sim/playback-reader.js";
import { NativeEnginePort } from "../platform/native-engine.js";
import { SimResource } from "../platform/sim/sim-engine-resource.js";
import { SampleSet } from "../app/sample-set.js";
import { adapterKey } from "../adapters/adapter-store.js";
import type { MethodEngine } from "../continual/method-engine.js";

// Data files are host buffers outside the XS heap, as Resources in flash are on a board.
export interface SimAgentContext {
  readonly args: readonly string[];
  readonly option: (name: string) => string | undefined;
  readonly profile: BoardProfile;
  readonly ports: Ports;
  readonly clock: SimClock;
  readonly log: Log;
  /** Continual-learning methods (firmware/continual/select.ts), when some are named. */
  readonly methods?: (engine: NativeEnginePort) => MethodEngine;
}

/** The simulator's agent mode (targets/sim.ts --agent DIR). */
export function runAgent(dir: string, ctx: SimAgentContext): Promise<unknown> {
  const { args, option, profile, ports, clock, log } = ctx;
  const noReplay = args.includes("--no-replay");
  const ewc = !args.includes("--no-ewc");
  const seed = Number(option("seed") ?? "1");
  const lr = option("lr") ?? "0.002";
  // --spec: the adapters alone (e.g. "bias:layers=-1"), to run the agent on another layer set
  // (adapting only the last layer exercises latent replay: the frozen layer 0 is below it);
  // optimiser, EWC and seed are appended as for the default.
  const adapters = option("spec") ?? `lora:rank=${option("rank") ?? "4"},alpha=${option("alpha") ?? "4"},layers=0+bias:layers=0..-1`;
  const spec = `${adapters}+sgd:lr=${lr}` +
    `${ewc ? `+ewc:lambda=${option("lambda") ?? "1"}` : ""}+seed:${seed}`;
  const model = new SimResource(`${dir}/${option("model") ?? "digits_mlp_int8.tflite"}`); // --model: data/imu-watch's imu_mlp_int8.tflite
  const engine = new NativeEnginePort(model, spec, profile.arenaBytes);
  const methods = ctx.methods?.(engine);
  const set = (name: string, batch?: number) =>
    new SampleSet(new Uint8Array(new SimResource(`${dir}/${name}`) as ArrayBuffer), engine.info.inputBytes, batch);
  const replaySet = set("population_replay.bin", 100);
  const stream = `${dir}/user_stream.epr`;
  const agentPorts: Ports = { ...ports, sensor: (o) => new PlaybackSensor(new PlaybackReader(stream), clock, o) };
  log.info(`agent: spec ${spec}`);
  return mainAgent(agentPorts, profile, {
    adapterKey: adapterKey(ports.checksum, new Uint8Array(model as ArrayBuffer), spec),
    data: {
      engine: methods ?? engine, userTest: set("user_test.bin"), populationTest: set("population_test.bin"), populationReplay: replaySet,
      streamLabels: new Uint8Array(new SimResource(`${dir}/user_stream_labels.bin`) as ArrayBuffer),
    },
    agent: {
      feedbackFrames: Number(option("feedback") ?? "50"), pseudoThreshold: Number(option("threshold") ?? "0.9"),
      tickFrames: Number(option("tick") ?? "10"), stepsPerTick: Number(option("steps") ?? "20"),
      batchSize: Number(option("batch") ?? "8"), replay: !noReplay, ewc,
      capacity: Math.min(profile.replay.capacity, Number(option("capacity") ?? "200")), mode: profile.replay.mode, seed,
    },
  }).then((summary) => {
    // Old-task examples the engine ran through its Fisher in this boot: the boundary's count on
    // a fresh start, 0 after a restart that imported the saved EWC state.
    log.metric("engine.fisher-examples", engine.native.fisherExamples);
    log.info(`demo-result ${JSON.stringify(summary)}`);
    // The committed adapter (a rollback restores it, so it is the engine's current one) in hex:
    // the image has no SHA-256 (no cryptography written here), so hosts hash these bytes to
    // compare a run with the desktop's (host-tests/bare).
    const adapter = new Uint8Array(engine.exportAdapter());
    let hex = "";
    for (let i = 0; i < adapter.length; i++) hex += (adapter[i]! < 16 ? "0" : "") + adapter[i]!.toString(16);
    log.info(`demo-adapter ${hex}`);
    (methods ?? engine).close(); // the methods' wrapper reports before it closes the session
  });
}

