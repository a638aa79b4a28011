// A device's deploy area on a NorFlash, for the Node tests: layout, store, identity, and a
// delivery helper that streams a delta in fixed-size chunks the way the transport will.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { encodeDelta, signerP256, type DeltaFields, type DeltaHeader } from "../../firmware/deploy/delta-format.js";
import { layoutDeploy, type DeployLayout } from "../../firmware/deploy/deploy-layout.js";
import { DeployStore, type DeviceIdentity } from "../../firmware/deploy/deploy-store.js";
import { NorFlash } from "../../firmware/platform/nor-flash.js";
import { NodeCrypto } from "../../firmware/platform/node/node-crypto.js";
import { ZlibChecksum } from "../../firmware/platform/node/zlib-checksum.js";
import { repoRoot } from "../support/paths.js";
import { newKey } from "./keys.js";
import { sha256 } from "./reference-delta.js";

export const crypto = new NodeCrypto();
export const checksum = new ZlibChecksum();
export const fleet = newKey();
export const SECTOR = 256;
export const SECTORS = 64;
export const CAPACITY = 6144;
export const spec = "bias:layers=1+lora:rank=2,alpha=4,layers=1";
export const modelSha = sha256(readFileSync(join(repoRoot, "data", "demo", "digits_mlp_int8.tflite")));
export const identity: DeviceIdentity = { modelSha256: modelSha, spec, fleetKey: fleet.pub };

export interface Device {
  readonly flash: NorFlash;
  readonly layout: DeployLayout;
  readonly store: DeployStore;
}

/** A device over `image` (a reboot when given) or a fresh, erased flash. Not booted yet. */
export function device(image?: Uint8Array): Device {
  const flash = new NorFlash(SECTORS, SECTOR, image);
  const layout = layoutDeploy(flash, 2, CAPACITY);
  return { flash, layout, store: new DeployStore(flash, checksum, layout) };
}

export function payloadOf(bytes: number): Uint8Array {
  return new Uint8Array(randomBytes(bytes));
}

export function delta(sequence: number, payload: Uint8Array, over: Partial<DeltaFields> = {}): Uint8Array {
  return encodeDelta({ baseModelSha256: modelSha, adapterVersion: sequence, parentVersion: sequence - 1, sequence,
    cohort: 0xffffffff, spec, ...over }, payload, signerP256(crypto, fleet.priv));
}

export function deliver(store: DeployStore, bytes: Uint8Array, chunk = 128): DeltaHeader {
  const d = store.beginDownload(crypto, identity);
  for (let at = 0; at < bytes.length; at += chunk) d.push(bytes.subarray(at, at + chunk));
  return d.finish();
}

/** The flash bytes of a payload slot (to show a download never touched the active one). */
export function slotBytes(dev: Device, slot: 0 | 1): Uint8Array {
  const r = dev.layout.slots[slot];
  return dev.flash.image.slice(r.firstSector * SECTOR, (r.firstSector + r.sectors) * SECTOR);
}
