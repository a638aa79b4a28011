/**
 * The device's two deploy slots and their boot state, flash only (no engine): a delta streams
 * through the verifier into the slot that is not active; once verified it becomes the
 * candidate; beginTrial() marks it on trial; confirm() makes it active and raises the
 * anti-rollback counter; revert() (or any boot while on trial, MCUboot test-swap semantics)
 * drops it. Each transition is one SlotStore save of the boot state, so a power cut anywhere
 * leaves the previous or the next state, and the active slot is never written.
 */
import type { Checksum } from "../platform/checksum.js";
import type { Crypto } from "../platform/crypto.js";
import type { Storage } from "../platform/storage.js";
import { SlotStore } from "../storage/slot-store.js";
import {
  EMPTY_BOOT_STATE, decodeBootState, encodeBootState, type BootState, type SlotIndex, type SlotInfo,
} from "./boot-state.js";
import type { DeltaHeader } from "./delta-format.js";
import { DeltaVerifier } from "./delta-verifier.js";
import type { DeployLayout } from "./deploy-layout.js";
import { CodedError } from "../coded-error.js";

export type DeployErrorCode = "busy" | "no-candidate" | "not-on-trial" | "flash-mismatch";

export class DeployError extends CodedError<DeployErrorCode> {
  constructor(code: DeployErrorCode, message: string) {
    super("DeployError", code, `deploy: ${code}: ${message}`);
  }
}

/** What this device accepts, besides the counter and the slot size the store knows. */
export interface DeviceIdentity {
  readonly modelSha256: Uint8Array;
  readonly spec: string;
  readonly fleetKey: Uint8Array;
}

export interface BootResult {
  readonly state: BootState;
  /** The active slot's description and payload (undefined: base model). */
  readonly active: SlotInfo | undefined;
  readonly payload: Uint8Array | undefined;
  /** True when this boot found a trial and reverted it. */
  readonly reverted: boolean;
  /** Why the stored state or the active payload could not be used (the device runs the base model). */
  readonly problem: string | undefined;
}

/** A download in progress: feed chunks, then finish(); a refusal leaves the boot state as it was. */
export interface Download {
  push(chunk: Uint8Array): void;
  finish(): DeltaHeader;
  /** Give up (a rollout aborted or superseded, chunks missing): nothing is recorded. */
  abandon(): void;
  readonly received: number;
}

export class DeployStore {
  readonly #storage: Storage;
  readonly #checksum: Checksum;
  readonly #layout: DeployLayout;
  readonly #record: SlotStore;
  #state: BootState = EMPTY_BOOT_STATE;
  #downloading = false;
  #booted = false;

  constructor(storage: Storage, checksum: Checksum, layout: DeployLayout) {
    this.#storage = storage;
    this.#checksum = checksum;
    this.#layout = layout;
    this.#record = new SlotStore(storage, checksum, layout.bootState);
  }

  /** The boot state as last read or saved (boot() reads it). */
  get state(): BootState {
    return this.#state;
  }

  get slotCapacity(): number {
    return this.#layout.slotCapacity;
  }

  /**
   * Reads the boot state; a trial found here was interrupted by a reboot and is reverted (saved
   * back to idle) before the active payload is read and checked against its CRC.
   */
  boot(): BootResult {
    this.#booted = true;
    const record = this.#record.load();
    let problem: string | undefined;
    try {
      this.#state = record ? decodeBootState(record.payload) : EMPTY_BOOT_STATE;
    } catch (error: unknown) {
      // Nothing is erased: the record stays for a firmware that reads it; this one runs the base model.
      this.#state = EMPTY_BOOT_STATE;
      problem = error instanceof Error ? error.message : String(error);
      return { state: this.#state, active: undefined, payload: undefined, reverted: false, problem };
    }
    let reverted = false;
    if (this.#state.state === "trial") {
      this.#drop(true);
      reverted = true;
    }
    const active = this.#state.active;
    if (active === undefined) return { state: this.#state, active: undefined, payload: undefined, reverted, problem };
    const info = this.#state.slots[active]!;
    const payload = this.readPayload(active);
    if ((this.#checksum.crc32(payload) >>> 0) !== info.payloadCrc) {
      problem = `deploy: active slot ${active} (sequence ${info.sequence}) fails its CRC-32`;
      return { state: this.#state, active: undefined, payload: undefined, reverted, problem };
    }
    return { state: this.#state, active: info, payload, reverted, problem };
  }

  /** The slot a download writes: never the active one. */
  get inactiveSlot(): SlotIndex {
    return this.#state.active === 0 ? 1 : 0;
  }

  /**
   * Starts streaming a delta into the inactive slot. A verified candidate already there is
   * dropped once the new header has passed (its bytes are about to be overwritten); a trial
   * must be settled first.
   */
  beginDownload(crypto: Crypto, device: DeviceIdentity): Download {
    this.#needBoot();
    if (this.#downloading) throw new DeployError("busy", "a download is already in progress");
    if (this.#state.state === "trial") throw new DeployError("busy", "a trial is running: confirm or revert it first");
    const slot = this.inactiveSlot;
    const region = this.#layout.slots[slot];
    const base = region.firstSector * this.#storage.blockSize;
    const storage = this.#storage;
    const checksum = this.#checksum;
    let crc = 0;
    const verifier = new DeltaVerifier(crypto, {
      modelSha256: device.modelSha256, spec: device.spec, fleetKey: device.fleetKey,
      counter: Math.max(this.#state.counter, this.#state.refused), maxPayload: this.#layout.slotCapacity,
    }, {
      begin: (header: DeltaHeader): void => {
        // Only now are the slot's bytes about to change: a delta refused by its header keeps the candidate.
        if (this.#state.state === "verified") this.#drop(false);
        const sectors = Math.ceil(header.payloadBytes / storage.blockSize);
        for (let s = 0; s < sectors; s++) storage.erase(region.firstSector + s);
      },
      write: (offset: number, bytes: Uint8Array): void => {
        crc = checksum.crc32(bytes, crc);
        storage.write(base + offset, bytes.length, bytes);
      },
    });
    this.#downloading = true;
    const done = () => { this.#downloading = false; };
    return {
      push: (chunk: Uint8Array) => {
        try { verifier.push(chunk); } catch (error: unknown) { done(); throw error; }
      },
      finish: () => {
        try {
          const header = verifier.finish();
          this.#accept(slot, header, crc >>> 0);
          return header;
        } finally {
          done();
        }
      },
      abandon: done,
      get received() { return verifier.received; },
    };
  }

  /** Marks the candidate as on trial (the engine may now import it); a reboot from here reverts. */
  beginTrial(): SlotInfo {
    this.#needBoot();
    const s = this.#state;
    if (s.state !== "verified" || s.candidate === undefined) throw new DeployError("no-candidate", `state is ${s.state}, a verified delta is needed`);
    this.#save({ ...s, state: "trial" });
    return s.slots[s.candidate]!;
  }

  /** The trial passed: the candidate becomes active and the counter its sequence. */
  confirm(): SlotInfo {
    this.#needBoot();
    const s = this.#state;
    if (s.state !== "trial" || s.candidate === undefined) throw new DeployError("not-on-trial", `state is ${s.state}`);
    const info = s.slots[s.candidate]!;
    const slots: [SlotInfo | undefined, SlotInfo | undefined] = [undefined, undefined];
    slots[s.candidate] = info;
    this.#save({ active: s.candidate, state: "idle", candidate: undefined, counter: Math.max(s.counter, info.sequence), refused: s.refused, slots });
    return info;
  }

  /**
   * The trial failed (or the candidate is not wanted): the active slot stays; the counter is
   * untouched. A candidate that was on trial is recorded as refused, so neither this boot nor
   * the next downloads that sequence again: its delta was signed by the fleet and lost on the
   * device's own data (or crashed it), which another try would not change. A verified candidate
   * dropped before its trial is not: nothing was learnt about it.
   */
  revert(): void {
    this.#needBoot();
    if (this.#state.state === "idle") throw new DeployError("not-on-trial", "nothing to revert");
    this.#drop(this.#state.state === "trial");
  }

  /** Sequences up to this are not downloaded: confirmed (the counter) or refused after a trial. */
  get highestSeen(): number {
    return Math.max(this.#state.counter, this.#state.refused);
  }

  /**
   * A slot's payload: a view of the flash in place where the storage is memory-mapped (esp32,
   * the simulator: no RAM copy to apply a delta), else a copy read into one buffer.
   */
  readPayload(slot: SlotIndex): Uint8Array {
    this.#needBoot();
    const info = this.#state.slots[slot];
    if (!info) throw new DeployError("no-candidate", `slot ${slot} holds nothing`);
    return this.#read(slot, info.payloadBytes);
  }

  #needBoot(): void {
    if (!this.#booted) throw new Error("deploy: boot() must read the state before any transition");
  }

  #read(slot: SlotIndex, bytes: number): Uint8Array {
    const base = this.#layout.slots[slot].firstSector * this.#storage.blockSize;
    return this.#storage.view?.(base, bytes) ?? new Uint8Array(this.#storage.read(base, bytes));
  }

  /** Read-back check, then the candidate is recorded: the commit point of a download. */
  #accept(slot: SlotIndex, header: DeltaHeader, streamedCrc: number): void {
    const info: SlotInfo = { sequence: header.sequence, adapterVersion: header.adapterVersion, parentVersion: header.parentVersion,
      payloadBytes: header.payloadBytes, payloadCrc: streamedCrc };
    const s = this.#state;
    const slots: [SlotInfo | undefined, SlotInfo | undefined] = [s.slots[0], s.slots[1]];
    slots[slot] = info;
    const stored = this.#checksum.crc32(this.#read(slot, info.payloadBytes)) >>> 0;
    if (stored !== streamedCrc) throw new DeployError("flash-mismatch", `slot ${slot} reads back CRC ${stored.toString(16)}, streamed ${streamedCrc.toString(16)}`);
    this.#save({ ...s, slots, candidate: slot, state: "verified" });
  }

  /** Back to idle on the active slot: the candidate's description is forgotten (its sequence kept as refused if asked). */
  #drop(refuse: boolean): void {
    const s = this.#state;
    const slots: [SlotInfo | undefined, SlotInfo | undefined] = [undefined, undefined];
    if (s.active !== undefined) slots[s.active] = s.slots[s.active];
    const candidate = s.candidate === undefined ? 0 : s.slots[s.candidate]!.sequence;
    const refused = refuse ? Math.max(s.refused, candidate) : s.refused;
    this.#save({ active: s.active, state: "idle", candidate: undefined, counter: s.counter, refused, slots });
  }

  /** The state changes in RAM only once it is in flash (a failed save leaves both as they were). */
  #save(next: BootState): void {
    this.#needBoot();
    this.#record.save(encodeBootState(next));
    this.#state = next;
  }
}
