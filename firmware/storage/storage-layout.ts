import type { StorageProfile } from "../boards/profile.js";

/** Sector ranges of the records sharing the storage partition (each an A/B SlotStore). */
export interface StorageRegion {
  readonly firstSector: number;
  readonly sectorsPerSlot: number;
  readonly tag: number;
}

/** Record tags in the slot header: a store never mistakes another record for its own. */
export const Tag = { replay: 1, ewc: 2, adapterIndex: 3, checkpoint: 4, adapter: 16 } as const;

/**
 * Lay out the partition: replay and EWC get the sizes asked, then one region per adapter slot,
 * then (when asked) the committed adapter's checkpoint: last, so the regions before it keep
 * their sectors and a partition written before checkpoints existed still restores.
 * Throws when the partition is too small, so a board profile that cannot hold its own
 * configuration fails at boot, not at the first save.
 */
export function layoutStorage(
  storage: StorageProfile,
  sizes: { replayBytes: number; ewcBytes: number; adapterBytes: number; adapterSlots: number; checkpointBytes?: number },
  headerBytes = 20,
): { replay: StorageRegion; ewc: StorageRegion; adapters: StorageRegion[]; checkpoint?: StorageRegion } {
  const sectorsFor = (bytes: number) => Math.max(1, Math.ceil((bytes + headerBytes) / storage.sectorBytes));
  let next = 0;
  const take = (bytes: number, tag: number): StorageRegion => {
    const sectorsPerSlot = sectorsFor(bytes);
    const region = { firstSector: next, sectorsPerSlot, tag };
    next += 2 * sectorsPerSlot;
    return region;
  };
  const replay = take(sizes.replayBytes, Tag.replay);
  const ewc = take(sizes.ewcBytes, Tag.ewc);
  const adapters: StorageRegion[] = [];
  for (let s = 0; s < sizes.adapterSlots; s++) adapters.push(take(sizes.adapterBytes, Tag.adapter + s));
  const checkpoint = sizes.checkpointBytes === undefined ? undefined : take(sizes.checkpointBytes, Tag.checkpoint);
  if (next > storage.sectors) {
    throw new RangeError(`storage layout needs ${next} sectors, partition ${storage.partition} has ${storage.sectors}`);
  }
  return checkpoint ? { replay, ewc, adapters, checkpoint } : { replay, ewc, adapters };
}
