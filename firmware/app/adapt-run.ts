import type { Ports } from "../platform/ports.js";
import type { Engine } from "../platform/engine.js";
import type { BoardProfile } from "../boards/profile.js";
import { quantizeToInt8 } from "../features/quantize.js";
import { AdaptAgent, type AgentOptions, type AgentPersistence, type CurvePoint } from "./adapt-agent.js";
import type { SampleSet } from "./sample-set.js";

/** What the adaptation run needs besides the ports: the opened engine and the data in place. */
export interface AdaptData {
  readonly engine: Engine;
  readonly userTest: SampleSet;
  readonly populationTest: SampleSet;
  readonly populationReplay: SampleSet;
  /** Frame i's label; the agent sees it only for the first feedbackFrames frames. */
  readonly streamLabels: Uint8Array;
}

export interface AdaptSummary {
  readonly mode: string;
  readonly userBefore: number;
  readonly userAfter: number;
  readonly populationBefore: number;
  readonly populationAfter: number;
  readonly frames: number;
  readonly feedback: number;
  readonly pseudo: number;
  readonly pseudoWrong: number;
  readonly rounds: number;
  readonly commits: number;
  readonly steps: number;
  readonly adapterBytes: number;
  readonly arenaBytes: number;
  readonly curve: readonly CurvePoint[];
}

/**
 * The demo app: measure the model as it starts, start the new task (replay seed + EWC) unless
 * the state was restored from storage (`resumed`), stream the recording through the agent,
 * commit adapters and state through `persist`, measure again. Each phase logs one line; the
 * summary is returned (and logged as one JSON line by the caller).
 */
export function runAdaptation(ports: Ports, profile: BoardProfile, data: AdaptData, options: AgentOptions,
  persist: AgentPersistence, resumed: boolean, speed = 0): Promise<AdaptSummary> {
  const { log } = ports;
  const { engine } = data;
  const mode = `${options.replay ? "replay" : "no-replay"}+${options.ewc ? "ewc" : "no-ewc"}`;
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const userBefore = data.userTest.accuracy(engine);
  const populationBefore = data.populationTest.accuracy(engine);
  log.info(`phase base: user=${pct(userBefore)} population=${pct(populationBefore)} arena=${engine.info.arenaBytes} board=${profile.name}`);
  const agent = new AdaptAgent(engine, ports.clock, log, data.userTest, options, persist);
  if (resumed) agent.resume();
  else agent.startTask(data.populationReplay);
  log.info(`phase stream: mode=${mode} feedback frames=${options.feedbackFrames} pseudo threshold=${options.pseudoThreshold}`);
  return new Promise<AdaptSummary>((resolve, reject) => {
    const quant = { scale: engine.info.inputScale, zeroPoint: engine.info.inputZeroPoint };
    const input = new Int8Array(engine.info.inputBytes);
    let index = 0;
    const sensor = ports.sensor({
      onSample: () => {
        try {
          for (let s = sensor.sample(); s; s = sensor.sample(), index++) {
            quantizeToInt8(s.values, quant, input);
            const truth = data.streamLabels[index];
            agent.frame(input, index < options.feedbackFrames ? truth : -1, truth);
          }
        } catch (error: unknown) {
          sensor.close();
          reject(error);
        }
      },
      onError: (error) => reject(error),
      onEnd: () => {
        sensor.close();
        try {
          agent.tick(); // the frames after the last full tick
          const userAfter = data.userTest.accuracy(engine);
          const populationAfter = data.populationTest.accuracy(engine);
          log.info(`phase done: user ${pct(userBefore)} -> ${pct(userAfter)} population ${pct(populationBefore)} -> ${pct(populationAfter)} steps=${agent.trained} commits=${agent.commits}/${agent.rounds}`);
          resolve({
            mode, userBefore, userAfter, populationBefore, populationAfter, frames: agent.frames,
            feedback: agent.feedback, pseudo: agent.pseudo, pseudoWrong: agent.pseudoWrong,
            rounds: agent.rounds, commits: agent.commits, steps: agent.trained,
            adapterBytes: engine.info.adapterBytes, arenaBytes: engine.info.arenaBytes, curve: agent.curve,
          });
        } catch (error: unknown) {
          reject(error);
        }
      },
    });
    if (sensor.channels !== engine.info.inputBytes) {
      sensor.close();
      reject(new RangeError(`sensor has ${sensor.channels} channels, the model takes ${engine.info.inputBytes}`));
      return;
    }
    sensor.configure({ speed });
  });
}
