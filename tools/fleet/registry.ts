// The operator's device registry: which devices exist and their provisioned public keys. Cohort
// and rollout bucket are not stored: both follow from the device id (firmware/fleet/cohorts.ts).
import { readFileSync } from "node:fs";
import { bucketOf, cohortOf } from "../../firmware/fleet/cohorts.js";
import type { Crypto } from "../../firmware/platform/crypto.js";
import { checkName } from "../../firmware/fleet/ascii.js";
import { CliError } from "../delta/keys.js";
import type { FleetDevice } from "./rollout.js";

export interface Registry {
  readonly fleet: string;
  readonly cohorts: number;
  readonly devices: readonly FleetDevice[];
}

/** devices.json: {"fleet": "plant-3", "cohorts": 2, "devices": [{"id": "dev-00", "publicKey": "04ab..."}]} */
export function readRegistry(path: string, crypto: Crypto): Registry {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new CliError(`${path}: ${(e as Error).message}`);
  }
  const d = doc as { fleet?: unknown; cohorts?: unknown; devices?: unknown };
  if (typeof d.fleet !== "string") throw new CliError(`${path}: "fleet" must be a name`);
  checkName("fleet", d.fleet);
  if (!(typeof d.cohorts === "number" && Number.isInteger(d.cohorts) && d.cohorts >= 1)) throw new CliError(`${path}: "cohorts" must be a whole number >= 1`);
  if (!Array.isArray(d.devices)) throw new CliError(`${path}: "devices" must be a list`);
  const seen = new Set<string>();
  const devices = d.devices.map((e: unknown, i: number): FleetDevice => {
    const x = e as { id?: unknown; publicKey?: unknown };
    if (typeof x.id !== "string" || typeof x.publicKey !== "string" || !/^04[0-9a-f]{128}$/.test(x.publicKey)) {
      throw new CliError(`${path}: device ${i} needs "id" and "publicKey" (130 hex digits, SEC1 uncompressed)`);
    }
    if (seen.has(x.id)) throw new CliError(`${path}: device ${x.id} listed twice`);
    seen.add(x.id);
    return {
      id: x.id, cohort: cohortOf(crypto, x.id, d.cohorts as number), bucket: bucketOf(crypto, x.id),
      publicKey: new Uint8Array(Buffer.from(x.publicKey, "hex")),
    };
  });
  return { fleet: d.fleet, cohorts: d.cohorts, devices };
}
