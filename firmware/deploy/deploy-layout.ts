import type { StorageRegion } from "../storage/storage-layout.js";
import { HEADER_BYTES } from "../storage/slot-store.js";
import { BOOT_STATE_BYTES } from "./boot-state.js";
import { PROVISIONING_MAX_BYTES } from "./provisioning.js";

/** SlotStore tags of the deploy records (apart from storage-layout's so the two never collide). */
export const DeployTag = { provisioning: 0x50, bootState: 0x51, round: 0x52 } as const;

/** A raw run of sectors holding one adapter payload (not a SlotStore: it is written as it streams in). */
export interface PayloadRegion {
  readonly firstSector: number;
  readonly sectors: number;
}

export interface DeployLayout {
  readonly provisioning: StorageRegion;
  readonly bootState: StorageRegion;
  readonly slots: readonly [PayloadRegion, PayloadRegion];
  /** Payload bytes each slot holds. */
  readonly slotCapacity: number;
  /** First sector after the deploy area. */
  readonly endSector: number;
}

/**
 * The deploy area from `firstSector`: the provisioning record and the boot state (each an A/B
 * SlotStore), then two payload slots of whole sectors for `payloadCapacity` bytes. Throws when
 * the partition cannot hold it, so a board profile that cannot deploy fails at boot.
 */
export function layoutDeploy(storage: { readonly blockSize: number; readonly byteLength: number },
  firstSector: number, payloadCapacity: number): DeployLayout {
  const sector = storage.blockSize;
  const recordSectors = (bytes: number) => Math.max(1, Math.ceil((bytes + HEADER_BYTES) / sector));
  if (!(Number.isInteger(payloadCapacity) && payloadCapacity > 0)) throw new RangeError("payload capacity must be >= 1 byte");
  let next = firstSector;
  const record = (bytes: number, tag: number): StorageRegion => {
    const sectorsPerSlot = recordSectors(bytes);
    const region = { firstSector: next, sectorsPerSlot, tag };
    next += 2 * sectorsPerSlot;
    return region;
  };
  const provisioning = record(PROVISIONING_MAX_BYTES, DeployTag.provisioning);
  const bootState = record(BOOT_STATE_BYTES, DeployTag.bootState);
  const sectors = Math.ceil(payloadCapacity / sector);
  const a = { firstSector: next, sectors };
  const b = { firstSector: next + sectors, sectors };
  next += 2 * sectors;
  if (next * sector > storage.byteLength) {
    throw new RangeError(`deploy area needs sectors ${firstSector}..${next - 1}, the partition has ${storage.byteLength / sector}`);
  }
  return { provisioning, bootState, slots: [a, b], slotCapacity: sectors * sector, endSector: next };
}
