import type { Engine } from "../platform/engine.js";
import type { SampleSet } from "../app/sample-set.js";
import type { ContinualHooks, EvaluationSets } from "./hooks.js";
import { top, withBaseModel } from "./base-switch.js";
import { checkChannels, statsNearestUser } from "./input-stats.js";

/**
 * Adapter routing (issue 12): the base model and the adapted model both answer every input
 * (the adapter switched off and on), and a score picks which answer stands, per input, with no
 * label or domain tag. Two rules, reported side by side:
 * - "confidence": the adapted answer when its top probability beats the base's (ties: base);
 * - "novelty": the adapted answer when the base's top probability is below tau, tau being the
 *   `quantile` of the base's top probabilities over the old-task samples the device ships with
 *   (so about that share of old-task inputs is sent to the adapter);
 * - "nearest": a novelty score in input space, the adapted answer when the input's nearest
 *   neighbour (squared L2 over the int8 input) among the stored samples of both domains — the
 *   old task's shipped samples and the new user's labelled enrolment frames, both already in
 *   the replay buffer on a device — is one of the user's (ties: base);
 * - "stats" (with `channels`): the same nearest-sample rule over per-channel input statistics
 *   (input-stats.ts) instead of the whole input.
 * The router's error is a route to the model that does not belong to the input's domain
 * (original task -> base, new user -> adapter), reported over both held-out sets together.
 */
export interface RouteRule {
  readonly rule: string;
  /** Route errors / inputs over user + population test. */
  readonly errorRate: number;
  readonly userAccuracy: number;
  readonly populationAccuracy: number;
  /** Inputs of each set sent to the adapter. */
  readonly userToAdapter: number;
  readonly populationToAdapter: number;
  /** Per input, in file order: "1" = the adapter answered, "0" = the base. */
  readonly userDecisions: string;
  readonly populationDecisions: string;
}

export interface RouteReport {
  readonly tau256: number;
  /** Each model alone on each set (the routes an oracle that knew the domain would take). */
  readonly baseUser: number;
  readonly basePopulation: number;
  readonly adaptedUser: number;
  readonly adaptedPopulation: number;
  readonly rules: readonly RouteRule[];
  readonly matrix: readonly MatrixEntry[];
}

interface Answers { label: Uint8Array; p256: Uint16Array }

function answers(engine: Engine, set: SampleSet, x: Int8Array): Answers {
  const a = { label: new Uint8Array(set.count), p256: new Uint16Array(set.count) };
  for (let i = 0; i < set.count; i++) {
    const t = top(engine.infer(set.input(i, x)));
    a.label[i] = t.label;
    a.p256[i] = t.p256;
  }
  return a;
}

/** Squared L2 distance from x to the nearest of the first `count` records of `refs`. */
function nearest(x: Int8Array, refs: SampleSet, count: number, y: Int8Array): number {
  let best = Infinity;
  for (let r = 0; r < count; r++) {
    refs.input(r, y);
    let d = 0;
    for (let k = 0; k < x.length && d < best; k++) { const e = x[k] - y[k]; d += e * e; }
    if (d < best) best = d;
  }
  return best;
}

/** Per input of `set`: 1 when its nearest stored sample is a user frame (of any user), else 0. */
function nearestUser(set: SampleSet, sets: EvaluationSets, x: Int8Array, y: Int8Array): Uint8Array {
  const out = new Uint8Array(set.count);
  for (let i = 0; i < set.count; i++) {
    set.input(i, x);
    const old = nearest(x, sets.oldTask, sets.oldTask.count, y);
    let user = Infinity;
    for (const f of sets.userFrames) user = Math.min(user, nearest(x, f, Math.min(f.count, sets.userFrameCount), y));
    out[i] = user < old ? 1 : 0;
  }
  return out;
}

/** One more held-out set: the base, the adapted model and the nearest-sample route on it. */
export interface MatrixEntry { readonly name: string; readonly base: number; readonly adapted: number; readonly nearest: number }

function accuracy(set: SampleSet, a: Answers): number {
  let c = 0;
  for (let i = 0; i < set.count; i++) if (a.label[i] === set.label(i)) c++;
  return c / set.count;
}

/** Base top probability below which an input counts as novel: the old task's lower quantile. */
export function noveltyThreshold(p256: Uint16Array, quantile: number): number {
  const sorted = Array.from(p256).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))];
}

export function routeReport(engine: Engine, sets: EvaluationSets, quantile: number, channels?: number): RouteReport {
  if (engine.info.outputScale !== 1 / 256 || engine.info.outputZeroPoint !== -128) {
    throw new RangeError("router: the model's output is not an int8 softmax (scale 1/256, zero point -128)");
  }
  const x = new Int8Array(engine.info.inputBytes);
  const adaptedU = answers(engine, sets.user, x), adaptedP = answers(engine, sets.population, x);
  const snapshot = new Uint8Array(engine.info.checkpointBytes);
  const [baseU, baseP, baseOld] = withBaseModel(engine, snapshot,
    () => [answers(engine, sets.user, x), answers(engine, sets.population, x), answers(engine, sets.oldTask, x)]);
  const tau = noveltyThreshold(baseOld.p256, quantile);
  const y = new Int8Array(engine.info.inputBytes);
  const nearU = nearestUser(sets.user, sets, x, y), nearP = nearestUser(sets.population, sets, x, y);
  if (channels !== undefined) checkChannels(engine.info.inputBytes, channels);
  const [statU, statP] = channels === undefined ? [nearU, nearP] : statsNearestUser([sets.user, sets.population], sets, channels, x);
  const pick = (rule: string) => (b: number, a: number, near: number, stat: number) =>
    rule === "confidence" ? a > b : rule === "novelty" ? b < tau : (rule === "nearest" ? near : stat) === 1;
  const rules = ["confidence", "novelty", "nearest", ...(channels === undefined ? [] : ["stats"])].map((rule): RouteRule => {
    const toAdapter = pick(rule);
    const run = (set: SampleSet, base: Answers, adapted: Answers, near: Uint8Array, stat: Uint8Array) => {
      let d = "", sent = 0, correct = 0;
      for (let i = 0; i < set.count; i++) {
        const use = toAdapter(base.p256[i], adapted.p256[i], near[i], stat[i]);
        d += use ? "1" : "0";
        if (use) sent++;
        if ((use ? adapted.label[i] : base.label[i]) === set.label(i)) correct++;
      }
      return { d, sent, accuracy: correct / set.count };
    };
    const u = run(sets.user, baseU, adaptedU, nearU, statU), p = run(sets.population, baseP, adaptedP, nearP, statP);
    return {
      rule, errorRate: (sets.user.count - u.sent + p.sent) / (sets.user.count + sets.population.count),
      userAccuracy: u.accuracy, populationAccuracy: p.accuracy, userToAdapter: u.sent, populationToAdapter: p.sent,
      userDecisions: u.d, populationDecisions: p.d,
    };
  });
  const matrix = (sets.matrix ?? []).map(({ name, set }): MatrixEntry => {
    const adapted = answers(engine, set, x);
    const base = withBaseModel(engine, snapshot, () => answers(engine, set, x));
    const near = nearestUser(set, sets, x, y);
    let routed = 0;
    for (let i = 0; i < set.count; i++) if ((near[i] ? adapted.label[i] : base.label[i]) === set.label(i)) routed++;
    return { name, base: accuracy(set, base), adapted: accuracy(set, adapted), nearest: routed / set.count };
  });
  return {
    matrix, tau256: tau, baseUser: accuracy(sets.user, baseU), basePopulation: accuracy(sets.population, baseP),
    adaptedUser: accuracy(sets.user, adaptedU), adaptedPopulation: accuracy(sets.population, adaptedP), rules,
  };
}

/** Hex of bytes (the adapter in the report, for the next stage of a sequence). */
function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i] | 256).toString(16).slice(1);
  return s;
}

/**
 * The router as a method: nothing changes in training, the report routes the held-out sets;
 * with `adapters` (earlier users' adapters) it also reports isolation with routing, this run's
 * adapter being the last user's; `dump`: the adapter's bytes as hex in the report; `channels`:
 * the input's channels per frame, for the "stats" rule.
 */
export function routing(quantile: number, adapters: readonly UserAdapter[] = [], current?: string, dump = false, channels?: number): ContinualHooks {
  return {
    name: `route(q=${quantile})`,
    report: (engine, sets) => {
      const bytes = new Uint8Array(engine.exportAdapter());
      const own = current === undefined ? [] : [{ name: current, bytes, frames: sets.userFrames[sets.userFrames.length - 1] }];
      return {
        route: routeReport(engine, sets, quantile, channels),
        ...(current === undefined ? {} : { isolation: isolationReport(engine, sets, [...adapters, ...own]) }),
        ...(dump ? { adapter: hex(bytes) } : {}),
      };
    },
  };
}

/** A per-user adapter (exported bytes) and the labelled frames of its user. */
export interface UserAdapter { readonly name: string; readonly bytes: Uint8Array; readonly frames: SampleSet }

/**
 * Isolation with routing: one adapter per user, never trained further once its user is done,
 * and per input the model of its nearest stored sample's domain answers (the base for the old
 * task's samples, user u's adapter for u's labelled frames), the adapters switched in and out
 * by import. Accuracy on each named held-out set; the session is restored after.
 */
export function isolationReport(engine: Engine, sets: EvaluationSets, adapters: readonly UserAdapter[]): { name: string; accuracy: number; routedToOwn: number }[] {
  const x = new Int8Array(engine.info.inputBytes), y = new Int8Array(engine.info.inputBytes);
  const snapshot = new Uint8Array(engine.info.checkpointBytes);
  const targets = [{ name: "population", set: sets.population }, ...(sets.matrix ?? [])];
  const domain = (set: SampleSet): Uint8Array => {
    // 0: the old task, 1 + k: adapter k's user
    const out = new Uint8Array(set.count);
    for (let i = 0; i < set.count; i++) {
      set.input(i, x);
      let best = nearest(x, sets.oldTask, sets.oldTask.count, y);
      adapters.forEach((a, k) => {
        const d = nearest(x, a.frames, Math.min(a.frames.count, sets.userFrameCount), y);
        if (d < best) { best = d; out[i] = 1 + k; }
      });
    }
    return out;
  };
  const routes = targets.map((t) => domain(t.set));
  engine.exportCheckpointInto(snapshot);
  try {
    const byModel: Answers[][] = [];
    engine.resetAdapter();
    byModel.push(targets.map((t) => answers(engine, t.set, x)));
    for (const a of adapters) {
      engine.resetAdapter();
      engine.importAdapter(a.bytes);
      byModel.push(targets.map((t) => answers(engine, t.set, x)));
    }
    return targets.map((t, j) => {
      let correct = 0, own = 0;
      const ownModel = t.name === "population" ? 0 : 1 + adapters.findIndex((a) => a.name === t.name);
      for (let i = 0; i < t.set.count; i++) {
        const r = routes[j][i];
        if (byModel[r][j].label[i] === t.set.label(i)) correct++;
        if (r === ownModel) own++;
      }
      return { name: t.name, accuracy: correct / t.set.count, routedToOwn: own / t.set.count };
    });
  } finally {
    engine.importCheckpoint(snapshot);
  }
}
