import type { Ports } from "../platform/ports.js";
import type { BoardProfile } from "../boards/profile.js";
import { layoutStorage } from "../replay/storage-layout.js";
import { SlotStore } from "../replay/slot-store.js";
import { AdapterStore } from "../adapters/adapter-store.js";
import { runAdaptation, type AdaptData, type AdaptSummary } from "./adapt-run.js";
import type { AgentOptions } from "./adapt-agent.js";
// Kept apart from firmware/main.ts so the capture-only pipeline does not load the agent.

/** The adaptation app's inputs beyond the ports (engine and data opened by the target). */
export interface AgentMainOptions {
  readonly data: AdaptData;
  readonly agent: AgentOptions;
  readonly speed?: number;
}

/**
 * Wiring only: the agent's adapter store in the storage partition's adapter slots, then the
 * adaptation run (firmware/app) with committed adapters saved to slot 0 and activated.
 */
export function mainAgent(ports: Ports, profile: BoardProfile, options: AgentMainOptions): Promise<AdaptSummary> {
  const { engine } = options.data;
  const replayBytes = options.agent.capacity * (engine.info.latentBytes + 1);
  const layout = layoutStorage(profile.storage, {
    replayBytes, ewcBytes: 8 * engine.info.adapterBytes, adapterBytes: engine.info.adapterBytes + 8,
    adapterSlots: profile.adapters.slots,
  });
  const slots = layout.adapters.map((region) => new SlotStore(ports.storage, ports.checksum, region));
  const store = new AdapterStore(engine, slots, profile.adapters.ramBytes);
  return runAdaptation(ports, profile, options.data, options.agent, (adapter) => {
    const v = store.save(0, adapter);
    ports.log.metric("adapters.version", v.version);
  }, options.speed ?? 0);
}
