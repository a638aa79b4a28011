import type { Ports } from "../platform/ports.js";
import type { BoardProfile } from "../boards/profile.js";
import { layoutStorage } from "../storage/storage-layout.js";
import { SlotStore } from "../storage/slot-store.js";
import { ReplayStore } from "../replay/replay-store.js";
import { reservoirImageBytes } from "../replay/reservoir-codec.js";
import { EwcStore, nextTask, restoreEwc } from "../ewc/ewc-store.js";
import { ADAPTER_RECORD_HEAD, AdapterStore, restoreCommitted } from "../adapters/adapter-store.js";
import { CheckpointStore } from "../storage/checkpoint-store.js";
import { runAdaptation, type AdaptData, type AdaptSummary } from "./adapt-run.js";
import type { AgentOptions } from "./adapt-agent.js";
// Kept apart from firmware/main.ts so the capture-only pipeline does not load the agent.

/**
 * Size and CRC-32 of an EWC image or checkpoint as logged, so a restart's state can be matched to
 * a save. Both images end in a CRC-32 of what precedes it, and a CRC over data plus its own CRC is
 * the same residue for every image: the CRC is taken over the body only (without the trailer).
 */
function digest(ports: Ports, state: ArrayBuffer | Uint8Array): string {
  const bytes = state instanceof Uint8Array ? state : new Uint8Array(state);
  const body = bytes.subarray(0, Math.max(0, bytes.length - 4));
  return `bytes=${bytes.length} body-crc=${(ports.checksum.crc32(body) >>> 0).toString(16)}`;
}

/** The adaptation app's inputs beyond the ports (engine and data opened by the target). */
export interface AgentMainOptions {
  readonly data: AdaptData;
  readonly agent: AgentOptions;
  readonly speed?: number;
  /**
   * adapterKey(checksum, model bytes, spec) of the engine's session: a committed adapter saved
   * under another key (firmware update: other model or spec) is dropped at boot.
   */
  readonly adapterKey: number;
}

/**
 * Wiring: the storage partition holds the replay buffer, the EWC state and the adapter slots,
 * each an A/B SlotStore record (DESIGN.md section 4). At start the agent restores what is there
 * (committed adapter of slot 0, replay buffer, the engine's EWC image) and continues; with nothing
 * saved it starts the new task. Committed adapters are saved to slot 0 with the replay buffer.
 */
export function mainAgent(ports: Ports, profile: BoardProfile, options: AgentMainOptions): Promise<AdaptSummary> {
  const { engine } = options.data;
  const { info } = engine;
  const { log } = ports;
  const o = options.agent;
  const entryBytes = o.mode === "latent" ? info.latentBytes : info.inputBytes;
  // Which entries this configuration gets (issue 5: latent when the configuration allows it):
  // a latent entry is the input of the lowest adapted layer. When that is as large as the model
  // input (the demo adapts layer 0, whose input IS the model input) latent mode stores what raw
  // mode would, and the log says so rather than implying a saving. The engine's info does not
  // expose its frozen prefix, so the test is on sizes (a same-width frozen prefix reads the same).
  const entryMode = o.mode === "latent" && info.latentBytes === info.inputBytes ? "raw-equivalent" : o.mode;
  log.info(`agent: replay mode=${entryMode} entry=${entryBytes} input=${info.inputBytes} latent=${info.latentBytes}`);
  log.metric("replay.entry-bytes", entryBytes);
  const layout = layoutStorage(profile.storage, {
    replayBytes: reservoirImageBytes(o.capacity, entryBytes, info.classes),
    ewcBytes: EwcStore.payloadBytes(info.ewcBytes), adapterBytes: info.adapterBytes + ADAPTER_RECORD_HEAD,
    adapterSlots: profile.adapters.slots, checkpointBytes: CheckpointStore.payloadBytes(info.checkpointBytes),
  });
  if (!layout.checkpoint) throw new Error("storage layout without a checkpoint region");
  const slot = (region: typeof layout.replay) => new SlotStore(ports.storage, ports.checksum, region);
  const replayStore = new ReplayStore(slot(layout.replay), {
    capacity: o.capacity, entryBytes, classes: info.classes, mode: o.mode, seed: o.seed, heldOutEvery: 5,
  });
  const ewcStore = new EwcStore(slot(layout.ewc));
  const adapters = new AdapterStore(engine, layout.adapters.map(slot), profile.adapters.ramBytes, options.adapterKey);
  const checkpoints = new CheckpointStore(slot(layout.checkpoint), options.adapterKey);

  // Restore: each record is old or new after a power cut, never corrupt. The task boundary
  // saves EWC, then the replay buffer: without the latter it did not complete and is redone
  // (the committed adapter, if any, is still restored).
  const committed = restoreCommitted(adapters, engine, log, 0);
  // Then the trainer's full-precision state of that commit, so training continues as if the
  // device never stopped; without one (cut before it was written) the int8 adapter stands.
  if (committed && checkpoints.restore(engine, committed.version, log)) {
    const back = new Uint8Array(info.checkpointBytes);
    engine.exportCheckpointInto(back);
    log.info(`agent: restored checkpoint v${committed.version} ${digest(ports, back)}`);
  }
  const restored = o.replay ? replayStore.restore() : undefined;
  let boundary = o.replay ? restored !== undefined : o.ewc && ewcStore.sequence > 0;
  const saved = o.ewc ? ewcStore.load() : undefined;
  const task = nextTask(saved, boundary);
  let ewc = boundary ? saved : undefined;
  if (boundary && o.ewc) {
    // The engine's image, imported as saved: the Fisher is not re-estimated on the old task.
    // No usable record (an earlier layout), or an image the engine refuses (another adapter
    // configuration; the engine is left unchanged): the boundary is redone from the old task,
    // as after a boundary cut short, rather than adapting without EWC.
    try {
      if (!ewc) throw new Error("no valid EWC record");
      restoreEwc(engine, ewc);
      log.info(`agent: restored ewc task ${ewc.task} samples=${ewc.samples} ${digest(ports, engine.exportEwc())}`);
    } catch (error: unknown) {
      log.warn(`agent: ewc not restored (${error instanceof Error ? error.message : String(error)}), task boundary redone`);
      ewc = undefined;
      boundary = false;
    }
  }
  const replay = boundary ? restored : undefined;
  if (boundary || committed) {
    log.info(`agent: resumed replay=${replay ? `${replay.count}@${replayStore.sequence}` : "none"} ewc=${ewc ? `task ${ewc.task}@${ewcStore.sequence}` : "none"} adapter=${committed ? `v${committed.version}` : "base"}`);
  }
  return runAdaptation(ports, profile, options.data, o, {
    replay,
    commit: (adapter, checkpoint) => {
      // Adapter first: a cut before the checkpoint is written leaves a version mismatch, which
      // a restart reads as "no checkpoint", never a checkpoint of another adapter.
      const v = adapters.save(0, adapter);
      ports.log.metric("adapters.version", v.version);
      checkpoints.save(v.version, checkpoint);
      log.info(`agent: saved checkpoint v${v.version} ${digest(ports, checkpoint)}`);
    },
    saveReplay: (r) => {
      if (!o.replay) return;
      const seq = replayStore.save(r);
      log.info(`agent: saved replay=${r.count}@${seq}`);
    },
    saveEwc: (state, samples) => {
      const seq = ewcStore.save({ task, samples, state: new Uint8Array(state) });
      log.info(`agent: saved ewc task ${task}@${seq} ${digest(ports, state)}`);
    },
  }, boundary, options.speed ?? 0);
}
