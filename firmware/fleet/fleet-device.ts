import type { Clock, TimerHandle } from "../platform/clock.js";
import type { Crypto } from "../platform/crypto.js";
import type { Batch } from "../platform/engine.js";
import type { Log } from "../platform/log.js";
import type { Transport } from "../platform/transport.js";
import type { AdapterTrial } from "../deploy/adapter-trial.js";
import type { DeployStore, DeviceIdentity, Download } from "../deploy/deploy-store.js";
import { DeltaError, EVERY_COHORT } from "../deploy/delta-format.js";
import { bucketOf, cohortOf, inRollout } from "./cohorts.js";
import { chunkCount, decodeManifest, ManifestError, type Manifest } from "./manifest.js";
import { encodeStatus, type StatusEvent } from "./status-report.js";
import { FleetTopics } from "./topics.js";

export interface FleetDeviceOptions {
  readonly deviceId: string;
  readonly devicePrivateKey: Uint8Array;
  readonly identity: DeviceIdentity;
  readonly fleet: string;
  readonly cohorts: number;
  /** Held-out replay entries the trial measures accuracy on. */
  readonly heldOut: Batch;
  /** Accuracy drop (0..1) beyond which a trial reverts. */
  readonly margin: number;
  /** A chunk not arriving within this many ms is asked for again (resubscribed). */
  readonly chunkTimeoutMs: number;
}

interface Pending {
  readonly manifest: Manifest;
  readonly download: Download;
  next: number;
  timer: TimerHandle | undefined;
  retries: number;
}

/**
 * The device's side of a rollout. Follows its cohort's retained manifest; when its bucket is in
 * the rollout it pulls the delta's chunks one at a time in order (subscribe chunk i, write it
 * through the streaming verifier into the inactive slot, then chunk i+1), so a duplicate or
 * reordered chunk is simply not the one asked for, RAM holds one chunk, and a broker restart
 * resumes at the chunk it was on. A verified delta runs as a trial on held-out entries and is
 * confirmed or reverted; every step is reported, signed with the device key.
 */
export class FleetDevice {
  readonly cohort: number;
  readonly bucket: number;
  readonly #o: FleetDeviceOptions;
  readonly #crypto: Crypto;
  readonly #transport: Transport;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #store: DeployStore;
  readonly #trial: AdapterTrial;
  readonly #topics: FleetTopics;
  #pending: Pending | undefined;
  #lastManifest: Manifest | undefined;
  #reports = 0;

  constructor(o: FleetDeviceOptions, ports: { crypto: Crypto; transport: Transport; clock: Clock; log: Log }, store: DeployStore, trial: AdapterTrial) {
    this.#o = o;
    this.#crypto = ports.crypto;
    this.#transport = ports.transport;
    this.#clock = ports.clock;
    this.#log = ports.log;
    this.#store = store;
    this.#trial = trial;
    this.#topics = new FleetTopics(o.fleet);
    this.cohort = cohortOf(this.#crypto, o.deviceId, o.cohorts);
    this.bucket = bucketOf(this.#crypto, o.deviceId);
  }

  /** Boot the adapter slots (an interrupted trial reverts here), report, follow the manifest. */
  start(): void {
    const boot = this.#trial.boot();
    if (boot.problem) this.#log.warn(`fleet: ${boot.problem}`);
    this.#log.info(`fleet: ${this.#o.deviceId} cohort ${this.cohort} bucket ${this.bucket} active sequence ${this.#activeSequence()}${boot.reverted ? " (a trial interrupted by a reboot was reverted)" : ""}`);
    this.#report(boot.reverted ? "reverted" : "hello", boot.reverted ? this.#store.state.counter : 0, boot.reverted ? "reboot-in-trial" : "");
    this.#transport.subscribe(this.#topics.manifest(this.cohort), (_t, payload) => this.#onManifest(new Uint8Array(payload)));
  }

  #activeSequence(): number {
    const a = this.#store.state.active;
    return a === undefined ? 0 : this.#store.state.slots[a]!.sequence;
  }

  #activeVersion(): number {
    const a = this.#store.state.active;
    return a === undefined ? 0 : this.#store.state.slots[a]!.adapterVersion;
  }

  #onManifest(bytes: Uint8Array): void {
    let m: Manifest;
    try {
      m = decodeManifest(this.#crypto, bytes, this.#o.identity.fleetKey);
    } catch (e) {
      if (!(e instanceof ManifestError)) throw e;
      this.#log.warn(`fleet: ${e.message}`);
      return;
    }
    if (this.#lastManifest && m.sequence === this.#lastManifest.sequence && m.revision <= this.#lastManifest.revision) return;
    this.#lastManifest = m;
    if (m.cohort !== this.cohort && m.cohort !== EVERY_COHORT) return;
    if (m.action === "abort") {
      if (this.#pending && this.#pending.manifest.sequence === m.sequence) this.#cancel(`rollout of sequence ${m.sequence} aborted`);
      return;
    }
    // Already have it or newer, or its trial reverted here before (also across reboots).
    if (((m.sequence - this.#store.highestSeen) | 0) <= 0) return;
    if (!inRollout(this.bucket, m.threshold)) return;
    if (this.#pending) {
      if (this.#pending.manifest.sequence === m.sequence) return; // already on it
      this.#cancel(`superseded by sequence ${m.sequence}`);
    }
    let download: Download;
    try {
      download = this.#store.beginDownload(this.#crypto, this.#o.identity);
    } catch (e) {
      this.#log.warn(`fleet: cannot start download: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.#pending = { manifest: m, download, next: 0, timer: undefined, retries: 0 };
    this.#report("downloading", m.sequence, "");
    this.#ask();
  }

  /** Subscribe to the next chunk (and only it). */
  #ask(): void {
    const p = this.#pending!;
    const topic = this.#topics.chunk(p.manifest.sequence, p.next);
    this.#transport.subscribe(topic, (t, payload) => this.#onChunk(t, new Uint8Array(payload)));
    p.timer = this.#clock.schedule(() => this.#timeout(topic), this.#o.chunkTimeoutMs);
  }

  #timeout(topic: string): void {
    const p = this.#pending;
    if (!p) return;
    p.timer = undefined;
    p.retries++;
    if (p.retries > 5) {
      this.#fail("chunk-missing", `chunk ${p.next} of sequence ${p.manifest.sequence} did not arrive after ${p.retries} requests`);
      return;
    }
    this.#transport.unsubscribe(topic); // resubscribing makes the broker send the retained chunk again
    this.#ask();
  }

  #onChunk(topic: string, bytes: Uint8Array): void {
    const p = this.#pending;
    if (!p || this.#topics.chunkIndex(p.manifest.sequence, topic) !== p.next) return; // stale, duplicate or not asked
    if (p.timer) this.#clock.cancel(p.timer);
    p.timer = undefined;
    this.#transport.unsubscribe(topic);
    const m = p.manifest;
    const last = p.next === chunkCount(m) - 1;
    const expected = last ? m.deltaBytes - p.next * m.chunkBytes : m.chunkBytes;
    if (bytes.length !== expected) {
      this.#fail("bad-chunk", `chunk ${p.next} has ${bytes.length} bytes, the manifest says ${expected}`);
      return;
    }
    try {
      p.download.push(bytes);
      if (!last) {
        p.next++;
        p.retries = 0;
        this.#ask();
        return;
      }
      p.download.finish();
    } catch (e) {
      if (e instanceof DeltaError) {
        this.#fail(e.code, e.message);
        return;
      }
      throw e;
    }
    this.#pending = undefined;
    this.#runTrial(m);
  }

  #runTrial(m: Manifest): void {
    this.#report("trial", m.sequence, "");
    const before = this.#activeSequence();
    const outcome = this.#trial.run(this.#o.heldOut, this.#o.margin);
    const bp = (a: number | undefined) => (a === undefined ? -1 : Math.round(a * 10000));
    if (outcome.confirmed) {
      this.#log.info(`fleet: sequence ${m.sequence} confirmed (held-out ${outcome.activeAccuracy.toFixed(4)} -> ${outcome.trialAccuracy?.toFixed(4)}), was ${before}`);
    } else {
      this.#log.warn(`fleet: sequence ${m.sequence} reverted: ${outcome.reason}`);
    }
    this.#report(outcome.confirmed ? "confirmed" : "reverted", m.sequence, outcome.confirmed ? "" : outcome.trialAccuracy === undefined ? "engine-refused" : "accuracy-drop",
      bp(outcome.activeAccuracy), bp(outcome.trialAccuracy));
  }

  #cancel(why: string): void {
    const p = this.#pending!;
    if (p.timer) this.#clock.cancel(p.timer);
    this.#transport.unsubscribe(this.#topics.chunk(p.manifest.sequence, p.next));
    this.#pending = undefined;
    p.download.abandon();
    this.#log.info(`fleet: download of sequence ${p.manifest.sequence} stopped: ${why}`);
  }

  #fail(code: string, message: string): void {
    const p = this.#pending!;
    this.#log.warn(`fleet: sequence ${p.manifest.sequence} rejected: ${message}`);
    this.#cancel(code);
    this.#report("rejected", p.manifest.sequence, code);
  }

  #report(event: StatusEvent, subject: number, code: string, before = -1, after = -1): void {
    const bytes = encodeStatus(this.#crypto, {
      deviceId: this.#o.deviceId, event, activeSequence: this.#activeSequence(), activeVersion: this.#activeVersion(),
      subjectSequence: subject, accuracyBefore: before, accuracyAfter: after, counter: ++this.#reports, code,
    }, (d) => this.#crypto.signP256(this.#o.devicePrivateKey, d));
    this.#transport.publish(this.#topics.status(this.#o.deviceId), bytes.buffer as ArrayBuffer, 1, true);
  }
}
