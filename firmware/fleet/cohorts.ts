import type { Crypto } from "../platform/crypto.js";
import { asciiBytes, checkName } from "./ascii.js";
import { BUCKETS } from "./manifest.js";

/**
 * Deterministic placement from a device id alone, so the fleet server and the device agree
 * without a table: cohort = first 4 bytes (big-endian) of SHA-256("edge-peft/cohort/" + id) mod
 * the cohort count; rollout bucket = the same over "edge-peft/bucket/" + id, mod 10000. The two
 * hashes are separate so a cohort's devices spread evenly over the buckets.
 */
function hashU32(crypto: Crypto, label: string, id: string): number {
  checkName("device id", id);
  const h = crypto.sha256();
  h.update(asciiBytes(label + id));
  const d = h.digest();
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
}

export function cohortOf(crypto: Crypto, deviceId: string, cohorts: number): number {
  if (!(Number.isInteger(cohorts) && cohorts >= 1)) throw new RangeError("cohorts must be >= 1");
  return hashU32(crypto, "edge-peft/cohort/", deviceId) % cohorts;
}

export function bucketOf(crypto: Crypto, deviceId: string): number {
  return hashU32(crypto, "edge-peft/bucket/", deviceId) % BUCKETS;
}

/** Whether a device in `bucket` takes a rollout at `threshold`. */
export function inRollout(bucket: number, threshold: number): boolean {
  return bucket < threshold;
}
