// Runs one staged rollout of a signed delta to a cohort: chunks first (retained), then one
// signed manifest per stage, waiting for every targeted device's signed report before widening
// and aborting by itself when a trial regresses or a device refuses the delta.
import { createHash } from "node:crypto";
import { EVERY_COHORT, type DeltaHeader } from "../../firmware/deploy/delta-format.js";
import { encodeManifest, decodeManifest, type Manifest } from "../../firmware/fleet/manifest.js";
import { decodeStatus, statusDeviceId, type StatusReport } from "../../firmware/fleet/status-report.js";
import { FleetTopics } from "../../firmware/fleet/topics.js";
import type { Crypto } from "../../firmware/platform/crypto.js";
import type { Bus } from "./bus.js";
import type { Registry } from "./registry.js";
import { judgeStage, targeted, threshold, type Stage } from "./rollout.js";

export interface RolloutOptions {
  readonly cohort: number;
  readonly stages: readonly Stage[];
  readonly chunkBytes: number;
  readonly stageTimeoutMs: number;
  /** Signs a 32-byte digest with the fleet key. */
  readonly sign: (digest: Uint8Array) => Uint8Array;
  readonly fleetKey: Uint8Array;
  readonly progress: (line: string) => void;
}

export interface RolloutResult {
  readonly outcome: "complete" | "aborted";
  readonly reason: string;
  readonly stagesDone: number;
  readonly reports: ReadonlyMap<string, StatusReport>;
}

/** Collects the latest verified report of every registered device from the status topics. */
export class StatusWatch {
  readonly reports = new Map<string, StatusReport>();
  readonly #waiters = new Set<() => void>();
  readonly #registry: Registry;
  readonly #crypto: Crypto;
  readonly #warn: (line: string) => void;

  constructor(registry: Registry, crypto: Crypto, warn: (line: string) => void) {
    this.#registry = registry;
    this.#crypto = crypto;
    this.#warn = warn;
  }

  async start(bus: Bus): Promise<void> {
    await bus.subscribe(new FleetTopics(this.#registry.fleet).allStatus(), (topic, payload) => this.#take(topic, payload));
  }

  #take(topic: string, payload: Uint8Array): void {
    if (payload.length === 0) return; // a cleared retained report
    let id: string;
    try {
      id = statusDeviceId(payload);
    } catch (e) {
      this.#warn(`status on ${topic} refused: ${(e as Error).message}`);
      return;
    }
    const device = this.#registry.devices.find((d) => d.id === id);
    if (!device || !topic.endsWith(`/status/${id}`)) {
      this.#warn(`status on ${topic} claims device ${id}: ${device ? "not its topic" : "not in the registry"}; ignored`);
      return;
    }
    try {
      this.reports.set(id, decodeStatus(this.#crypto, payload, device.publicKey));
    } catch (e) {
      this.#warn(`status of ${id} refused: ${(e as Error).message}`);
      return;
    }
    for (const w of this.#waiters) w();
  }

  /** Resolves when `done()` holds or after timeoutMs (false). */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        resolve(false);
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/** The manifest currently retained for a cohort (undefined when none), verified. */
export async function currentManifest(bus: Bus, crypto: Crypto, fleet: string, cohort: number, fleetKey: Uint8Array, waitMs = 1000): Promise<Manifest | undefined> {
  let found: Manifest | undefined;
  let resolveGot: () => void = () => {};
  const got = new Promise<void>((r) => (resolveGot = r));
  await bus.subscribe(new FleetTopics(fleet).manifest(cohort), (_t, payload) => {
    if (payload.length === 0) return;
    found = decodeManifest(crypto, payload, fleetKey);
    resolveGot();
  });
  await Promise.race([got, new Promise((r) => setTimeout(r, waitMs))]);
  return found;
}

export async function publishManifest(bus: Bus, crypto: Crypto, fleet: string, m: Manifest, sign: (d: Uint8Array) => Uint8Array): Promise<void> {
  await bus.publish(new FleetTopics(fleet).manifest(m.cohort), encodeManifest(crypto, m, sign), true);
}

export async function runRollout(bus: Bus, crypto: Crypto, registry: Registry, delta: Uint8Array, header: DeltaHeader, o: RolloutOptions, watch: StatusWatch): Promise<RolloutResult> {
  if (header.cohort !== EVERY_COHORT && header.cohort !== o.cohort) {
    throw new RangeError(`the delta is signed for cohort ${header.cohort}, not cohort ${o.cohort}`);
  }
  const topics = new FleetTopics(registry.fleet);
  const previous = await currentManifest(bus, crypto, registry.fleet, o.cohort, o.fleetKey);
  let revision = previous && previous.sequence === header.sequence ? previous.revision : 0;
  const chunks = Math.ceil(delta.length / o.chunkBytes);
  for (let i = 0; i < chunks; i++) await bus.publish(topics.chunk(header.sequence, i), delta.subarray(i * o.chunkBytes, (i + 1) * o.chunkBytes), true);
  o.progress(`sequence ${header.sequence} (adapter v${header.adapterVersion}): ${delta.length} bytes in ${chunks} chunks of ${o.chunkBytes} published to cohort ${o.cohort}`);
  const base = { cohort: o.cohort, sequence: header.sequence, deltaBytes: delta.length, chunkBytes: o.chunkBytes, deltaSha256: new Uint8Array(createHash("sha256").update(delta).digest()) };
  const cohortDevices = registry.devices.filter((d) => d.cohort === o.cohort);
  let stagesDone = 0;
  const abort = async (reason: string, t: number): Promise<RolloutResult> => {
    await publishManifest(bus, crypto, registry.fleet, { ...base, action: "abort", threshold: t, revision: ++revision }, o.sign);
    o.progress(`ABORTED: ${reason}`);
    return { outcome: "aborted", reason, stagesDone, reports: watch.reports };
  };
  for (const stage of o.stages) {
    const t = threshold(stage, cohortDevices);
    const targets = targeted(registry.devices, o.cohort, t);
    await publishManifest(bus, crypto, registry.fleet, { ...base, action: "rollout", threshold: t, revision: ++revision }, o.sign);
    const label = stage === "canary" ? "canary" : `${stage}%`;
    o.progress(`stage ${label}: ${targets.length} of ${cohortDevices.length} devices (bucket < ${t})`);
    let verdict = judgeStage(targets, watch.reports, header.sequence);
    await watch.until(() => (verdict = judgeStage(targets, watch.reports, header.sequence)).kind !== "wait", o.stageTimeoutMs);
    if (verdict.kind === "abort") return abort(verdict.reason, t);
    if (verdict.kind === "wait") return abort(`stage ${label} timed out after ${o.stageTimeoutMs} ms waiting for ${verdict.pending.join(", ")}`, t);
    stagesDone++;
    o.progress(`stage ${label}: all ${targets.length} confirmed`);
  }
  return { outcome: "complete", reason: "", stagesDone, reports: watch.reports };
}
