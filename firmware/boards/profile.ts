/**
 * A board profile (boards/<name>.json): the budgets and wiring the app sizes itself from.
 * Validated on load so a bad profile fails at boot with the field's name, not later.
 */

/** XS machine creation parameters, in the Moddable manifest's "creation" format. */
export interface Creation {
  readonly static?: number;
  readonly chunk: { readonly initial: number; readonly incremental: number };
  readonly heap: { readonly initial: number; readonly incremental: number };
  readonly stack: number;
  readonly keys: { readonly available: number; readonly name: number; readonly symbol: number };
  readonly parser?: { readonly buffer: number; readonly table: number };
  readonly main?: string;
}

export interface StorageProfile {
  /** Partition name for Moddable's Flash (e.g. "xs", "storage"); a file name in the simulator. */
  readonly partition: string;
  readonly sectorBytes: number;
  readonly sectors: number;
}

export interface ReplayProfile {
  /** Entries the reservoir holds. */
  readonly capacity: number;
  /** "latent" stores activations at the lowest adapted layer, "raw" the model input. */
  readonly mode: "raw" | "latent";
}

export interface AdapterProfile {
  /** RAM the resident adapters may use together. */
  readonly ramBytes: number;
  readonly slots: number;
}

export interface SensorProfile {
  readonly kind: "imu" | "microphone" | "playback";
  readonly channels: number;
  readonly rateHz: number;
  readonly driver?: string;
  readonly i2c?: { readonly data: number; readonly clock: number; readonly hz: number; readonly address: number };
  readonly pdm?: { readonly data: number; readonly clock: number };
  /** Recording played back by the simulator / Node (path relative to the repository). */
  readonly recording?: string;
}

export interface CaptureProfile {
  readonly windowFrames: number;
  readonly hopFrames: number;
}

export interface MqttProfile {
  /** Largest MQTT message the device holds in RAM: larger publishes are refused, larger
   * incoming messages dropped (docs/mqtt.md). */
  readonly maxPayloadBytes: number;
}

export interface BoardProfile {
  readonly name: string;
  readonly platform: string;
  readonly ramBytes: number;
  readonly flashBytes: number;
  readonly creation: Creation;
  readonly arenaBytes: number;
  readonly storage: StorageProfile;
  readonly replay: ReplayProfile;
  readonly adapters: AdapterProfile;
  readonly sensor: SensorProfile;
  readonly capture: CaptureProfile;
  /** Absent: the board has no network transport. */
  readonly mqtt?: MqttProfile;
}

type Json = { readonly [key: string]: unknown };

function object(value: unknown, path: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new TypeError(`board profile: ${path} must be an object`);
  return value as Json;
}

function count(o: Json, key: string, path: string, min = 1): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new TypeError(`board profile: ${path}.${key} must be an integer >= ${min}`);
  }
  return v;
}

function text(o: Json, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0) throw new TypeError(`board profile: ${path}.${key} must be a non-empty string`);
  return v;
}

/** Check the fields the app relies on; returns the same object typed. */
export function parseBoardProfile(json: unknown): BoardProfile {
  const o = object(json, "profile");
  text(o, "name", "profile");
  text(o, "platform", "profile");
  count(o, "ramBytes", "profile");
  count(o, "flashBytes", "profile");
  count(o, "arenaBytes", "profile");
  const creation = object(o["creation"], "creation");
  const chunk = object(creation["chunk"], "creation.chunk");
  count(chunk, "initial", "creation.chunk");
  count(chunk, "incremental", "creation.chunk", 0);
  const heap = object(creation["heap"], "creation.heap");
  count(heap, "initial", "creation.heap");
  count(heap, "incremental", "creation.heap", 0);
  count(creation, "stack", "creation");
  const keys = object(creation["keys"], "creation.keys");
  count(keys, "available", "creation.keys");
  const storage = object(o["storage"], "storage");
  text(storage, "partition", "storage");
  const sectorBytes = count(storage, "sectorBytes", "storage");
  count(storage, "sectors", "storage", 2);
  if ((sectorBytes & (sectorBytes - 1)) !== 0) throw new TypeError("board profile: storage.sectorBytes must be a power of two");
  const replay = object(o["replay"], "replay");
  count(replay, "capacity", "replay");
  if (replay["mode"] !== "raw" && replay["mode"] !== "latent") throw new TypeError("board profile: replay.mode must be raw or latent");
  const adapters = object(o["adapters"], "adapters");
  count(adapters, "ramBytes", "adapters");
  count(adapters, "slots", "adapters");
  const sensor = object(o["sensor"], "sensor");
  text(sensor, "kind", "sensor");
  count(sensor, "channels", "sensor");
  count(sensor, "rateHz", "sensor");
  const capture = object(o["capture"], "capture");
  count(capture, "windowFrames", "capture");
  count(capture, "hopFrames", "capture");
  if (o["mqtt"] !== undefined) count(object(o["mqtt"], "mqtt"), "maxPayloadBytes", "mqtt");
  return json as BoardProfile;
}
