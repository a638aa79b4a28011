// Staged rollout decisions, apart from MQTT so they are testable as plain data: which devices a
// stage targets, when a stage is done, and when the rollout must abort by itself.
import { BUCKETS } from "../../firmware/fleet/manifest.js";
import type { StatusReport } from "../../firmware/fleet/status-report.js";

export interface FleetDevice {
  readonly id: string;
  readonly cohort: number;
  readonly bucket: number;
  /** 65-byte SEC1 public key from provisioning: every status report must verify with it. */
  readonly publicKey: Uint8Array;
}

/** "canary" (the one device with the lowest bucket) or a percentage 1..100. */
export type Stage = "canary" | number;

export const DEFAULT_STAGES: readonly Stage[] = ["canary", 5, 25, 50, 100];

export function parseStages(text: string): Stage[] {
  const stages = text.split(",").map((s): Stage => {
    if (s === "canary") return s;
    const n = Number(s);
    if (!(Number.isInteger(n) && n >= 1 && n <= 100)) throw new RangeError(`stage "${s}" is neither canary nor a percentage 1..100`);
    return n;
  });
  if (stages.indexOf("canary") > 0) throw new RangeError("canary can only be the first stage");
  const percents = stages.filter((s): s is number => s !== "canary");
  for (let i = 1; i < percents.length; i++) {
    if (percents[i]! <= percents[i - 1]!) throw new RangeError(`stages must widen: ${percents[i - 1]}% then ${percents[i]}%`);
  }
  if (stages.length === 0) throw new RangeError("no stages");
  return stages;
}

/** Bucket threshold of a stage for a cohort's devices (a device takes it when bucket < threshold). */
export function threshold(stage: Stage, cohortDevices: readonly FleetDevice[]): number {
  if (stage === "canary") {
    let lowest = BUCKETS - 1;
    for (const d of cohortDevices) lowest = Math.min(lowest, d.bucket);
    return cohortDevices.length === 0 ? 1 : lowest + 1;
  }
  return stage * (BUCKETS / 100);
}

export function targeted(devices: readonly FleetDevice[], cohort: number, t: number): FleetDevice[] {
  return devices.filter((d) => d.cohort === cohort && d.bucket < t);
}

export type Outcome = "confirmed" | "reverted" | "rejected" | "pending";

/** What a device's latest report says about the delta of `sequence`. */
export function outcome(report: StatusReport | undefined, sequence: number): Outcome {
  if (!report) return "pending";
  if (report.event === "confirmed" && report.subjectSequence === sequence && report.activeSequence === sequence) return "confirmed";
  // A device already past this sequence (confirmed a later one) counts as having taken it.
  if (report.activeSequence !== 0 && ((report.activeSequence - sequence) | 0) > 0) return "confirmed";
  if (report.subjectSequence !== sequence) return "pending";
  if (report.event === "reverted") return "reverted";
  if (report.event === "rejected") return "rejected";
  return "pending";
}

export type StageVerdict =
  | { readonly kind: "wait"; readonly pending: readonly string[] }
  | { readonly kind: "done" }
  | { readonly kind: "abort"; readonly reason: string };

/**
 * A stage is done when every targeted device confirmed; it aborts as soon as any trial
 * regressed (reverted) or a device refused the delta (rejected): widening would only spread it.
 */
export function judgeStage(targets: readonly FleetDevice[], reports: ReadonlyMap<string, StatusReport>, sequence: number): StageVerdict {
  const pending: string[] = [];
  for (const d of targets) {
    const r = reports.get(d.id);
    const o = outcome(r, sequence);
    if (o === "reverted") return { kind: "abort", reason: `${d.id} reverted its trial (${r?.code ?? ""}: held-out accuracy ${pct(r?.accuracyBefore)} -> ${pct(r?.accuracyAfter)})` };
    if (o === "rejected") return { kind: "abort", reason: `${d.id} rejected the delta (${r?.code ?? ""})` };
    if (o === "pending") pending.push(d.id);
  }
  return pending.length === 0 ? { kind: "done" } : { kind: "wait", pending };
}

/** Basis points as a percentage with two decimals ("n/a" when not measured). */
export function pct(bp: number | undefined): string {
  return bp === undefined || bp < 0 ? "n/a" : `${(bp / 100).toFixed(2)}%`;
}
