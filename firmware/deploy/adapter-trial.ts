/**
 * The engine side of a deploy: put the active slot's adapter in the engine at boot, and run a
 * verified candidate as a trial: accuracy of the active adapter and of the candidate on the
 * same held-out replay entries, then confirm, or revert when the candidate is worse by more
 * than `margin`. In every failure the previously active adapter is back in the engine.
 * Memory: where the storage is memory-mapped (esp32, the simulator) the engine imports straight
 * from a view of the slot, no copy; elsewhere one payload-sized buffer lives for the import.
 */
import type { Batch, Engine } from "../platform/engine.js";
import type { SlotInfo } from "./boot-state.js";
import type { BootResult, DeployStore } from "./deploy-store.js";

export interface TrialOutcome {
  readonly candidate: SlotInfo;
  readonly activeAccuracy: number;
  /** undefined when the engine refused the candidate's bytes. */
  readonly trialAccuracy: number | undefined;
  readonly confirmed: boolean;
  /** Why the trial was reverted ("" when confirmed). */
  readonly reason: string;
}

export class AdapterTrial {
  readonly #store: DeployStore;
  readonly #engine: Engine;

  constructor(store: DeployStore, engine: Engine) {
    this.#store = store;
    this.#engine = engine;
  }

  /** Boot (reverting an interrupted trial) and put the active adapter, or the base model, in the engine. */
  boot(): BootResult {
    const result = this.#store.boot();
    if (result.payload) this.#engine.importAdapter(result.payload);
    else this.#engine.resetAdapter();
    return result;
  }

  /**
   * Trial of the verified candidate on `heldOut` (entries the training never saw). `margin` is
   * in accuracy (0.02 = two points): the candidate is reverted when active - trial > margin.
   */
  run(heldOut: Batch, margin: number): TrialOutcome {
    if (!(margin >= 0 && margin <= 1)) throw new RangeError(`margin ${margin} outside 0..1`);
    if (heldOut.labels.length < 1) throw new RangeError("a trial needs at least one held-out entry");
    const activeAccuracy = this.#accuracy(heldOut);
    const candidate = this.#store.beginTrial();
    const slot = this.#store.state.candidate!;
    try {
      this.#engine.importAdapter(this.#store.readPayload(slot));
    } catch (error: unknown) {
      this.#back();
      return { candidate, activeAccuracy, trialAccuracy: undefined, confirmed: false,
        reason: `engine refused the adapter (${error instanceof Error ? error.message : String(error)})` };
    }
    let trialAccuracy: number;
    try {
      trialAccuracy = this.#accuracy(heldOut);
    } catch (error: unknown) {
      this.#back();
      throw error;
    }
    if (activeAccuracy - trialAccuracy > margin) {
      this.#back();
      return { candidate, activeAccuracy, trialAccuracy, confirmed: false,
        reason: `held-out accuracy ${trialAccuracy.toFixed(4)} is below the active ${activeAccuracy.toFixed(4)} by more than ${margin}` };
    }
    this.#store.confirm();
    return { candidate, activeAccuracy, trialAccuracy, confirmed: true, reason: "" };
  }

  #accuracy(batch: Batch): number {
    const r = this.#engine.evaluate(batch);
    return r.correct / r.count;
  }

  /** Revert in flash first (a reboot now boots the old adapter either way), then in the engine. */
  #back(): void {
    this.#store.revert();
    const active = this.#store.state.active;
    if (active === undefined) this.#engine.resetAdapter();
    else this.#engine.importAdapter(this.#store.readPayload(active));
  }
}
