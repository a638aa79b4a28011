/**
 * The provisioning record: the fleet's public key (checks deltas) and this device's P-256 key
 * pair and id (signs its frames), written once at the factory into a power-safe SlotStore and
 * read at every boot. Record, version 1:
 *   0 u8 version | 1 fleet public key (65, SEC1 uncompressed) | 66 device private key (32)
 *   | 98 device public key (65, derived at provisioning so boot needs no scalar multiply)
 *   | 163 u8 id length N (1..64) | 164 id, printable ASCII
 */
import type { Crypto } from "../platform/crypto.js";
import type { SlotStore } from "../storage/slot-store.js";
import { CodedError } from "../coded-error.js";

const VERSION = 1;
const ID_MAX = 64;
export const PROVISIONING_MAX_BYTES = 164 + ID_MAX;

export type ProvisioningErrorCode = "already-provisioned" | "bad-key" | "bad-device-id" | "bad-record";

export class ProvisioningError extends CodedError<ProvisioningErrorCode> {
  constructor(code: ProvisioningErrorCode, message: string) {
    super("ProvisioningError", code, `provisioning: ${code}: ${message}`);
  }
}

export interface Provisioning {
  readonly fleetKey: Uint8Array;
  readonly devicePrivateKey: Uint8Array;
  readonly devicePublicKey: Uint8Array;
  readonly deviceId: string;
}

function checkId(id: string): void {
  if (id.length < 1 || id.length > ID_MAX) throw new ProvisioningError("bad-device-id", `device id of ${id.length} characters, 1..${ID_MAX}`);
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new ProvisioningError("bad-device-id", `device id character ${i} is not printable ASCII`);
  }
}

function checkPublic(key: Uint8Array, what: string): void {
  if (key.length !== 65 || key[0] !== 0x04) throw new ProvisioningError("bad-key", `${what} is not a 65-byte uncompressed P-256 key`);
}

/**
 * Writes the record; refuses when one is already stored (a device is provisioned once: a second
 * call must not replace the fleet key), a private key the port refuses, or a fleet key not in
 * uncompressed form (whether its point is on the curve the port cannot say: a bad one makes
 * every delta fail as bad-signature).
 */
export function provision(store: SlotStore, crypto: Crypto, fleetKey: Uint8Array, devicePrivateKey: Uint8Array, deviceId: string): Provisioning {
  if (store.load()) throw new ProvisioningError("already-provisioned", "this device already holds a provisioning record");
  checkPublic(fleetKey, "fleet key");
  checkId(deviceId);
  let devicePublicKey: Uint8Array;
  try {
    devicePublicKey = crypto.publicKeyP256(devicePrivateKey);
  } catch (error: unknown) {
    throw new ProvisioningError("bad-key", `device private key refused (${error instanceof Error ? error.message : String(error)})`);
  }
  const out = new Uint8Array(164 + deviceId.length);
  out[0] = VERSION;
  out.set(fleetKey, 1);
  out.set(devicePrivateKey, 66);
  out.set(devicePublicKey, 98);
  out[163] = deviceId.length;
  for (let i = 0; i < deviceId.length; i++) out[164 + i] = deviceId.charCodeAt(i);
  store.save(out);
  return { fleetKey: fleetKey.slice(), devicePrivateKey: devicePrivateKey.slice(), devicePublicKey, deviceId };
}

/** The stored record, undefined when the device is not provisioned; a malformed one is refused by name. */
export function readProvisioning(store: SlotStore): Provisioning | undefined {
  const record = store.load();
  if (!record) return undefined;
  const b = record.payload;
  if (b.length < 165 || b[0] !== VERSION) throw new ProvisioningError("bad-record", `record of ${b.length} bytes, version ${b[0]}`);
  const n = b[163]!;
  if (b.length !== 164 + n) throw new ProvisioningError("bad-record", `id length ${n} does not match the record's ${b.length} bytes`);
  let deviceId = "";
  for (let i = 0; i < n; i++) deviceId += String.fromCharCode(b[164 + i]!);
  checkId(deviceId);
  const fleetKey = b.slice(1, 66);
  const devicePublicKey = b.slice(98, 163);
  checkPublic(fleetKey, "stored fleet key");
  checkPublic(devicePublicKey, "stored device key");
  return { fleetKey, devicePrivateKey: b.slice(66, 98), devicePublicKey, deviceId };
}
