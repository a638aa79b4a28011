import type { SampleSet } from "../app/sample-set.js";
import type { EvaluationSets } from "./hooks.js";

/**
 * The "stats" routing rule's novelty score (issue 12): a context (a watch worn turned, a camera
 * moved) changes an input's per-channel statistics more than its class does, so per input of
 * frame-major [frames][channels] int8 data two integers per channel stand for it: the sum over
 * the frames, S, and F times the standard deviation, round(sqrt(F*Q - S^2)) with Q the sum of
 * squares (both F times the mean / std, in input steps). The route is the domain of the nearest
 * stored sample (squared L2 over these 2C numbers; the old task's shipped samples vs the user's
 * labelled frames, as the "nearest" rule but over 2C numbers instead of the whole input).
 */
export function inputStats(x: Int8Array, channels: number, out: Float64Array, at = 0): void {
  const frames = x.length / channels;
  for (let c = 0; c < channels; c++) {
    let s = 0, q = 0;
    for (let t = 0; t < frames; t++) { const v = x[t * channels + c]; s += v; q += v * v; }
    out[at + 2 * c] = s;
    out[at + 2 * c + 1] = Math.round(Math.sqrt(frames * q - s * s));
  }
}

/** Checks that the model's input splits into whole frames of `channels` channels. */
export function checkChannels(inputBytes: number, channels: number): void {
  if (!(Number.isInteger(channels) && channels > 0 && inputBytes % channels === 0 && inputBytes / channels >= 2)) {
    throw new RangeError(`--route-channels: ${channels} does not split the model's ${inputBytes}-byte input into 2 or more frames`);
  }
}

/** The stats of the first `count` records of `set`, one after the other. */
function table(set: SampleSet, count: number, channels: number, x: Int8Array): Float64Array {
  const t = new Float64Array(count * 2 * channels);
  for (let r = 0; r < count; r++) inputStats(set.input(r, x), channels, t, r * 2 * channels);
  return t;
}

function nearest(f: Float64Array, refs: Float64Array): number {
  let best = Infinity;
  for (let at = 0; at < refs.length; at += f.length) {
    let d = 0;
    for (let k = 0; k < f.length; k++) { const e = f[k] - refs[at + k]; d += e * e; }
    if (d < best) best = d;
  }
  return best;
}

/** Per input of each set: 1 when its nearest stored sample in stats space is a user frame, else 0 (ties: base). */
export function statsNearestUser(targets: readonly SampleSet[], sets: EvaluationSets, channels: number, x: Int8Array): Uint8Array[] {
  const old = table(sets.oldTask, sets.oldTask.count, channels, x);
  const users = sets.userFrames.map((u) => table(u, Math.min(u.count, sets.userFrameCount), channels, x));
  const f = new Float64Array(2 * channels);
  return targets.map((set) => {
    const out = new Uint8Array(set.count);
    for (let i = 0; i < set.count; i++) {
      inputStats(set.input(i, x), channels, f);
      const o = nearest(f, old);
      let u = Infinity;
      for (const t of users) u = Math.min(u, nearest(f, t));
      out[i] = u < o ? 1 : 0;
    }
    return out;
  });
}
