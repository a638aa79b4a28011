import type { Clock } from "./clock.js";
import type { Storage } from "./storage.js";
import type { Checksum } from "./checksum.js";
import type { Log } from "./log.js";
import type { Transport } from "./transport.js";
import type { Crypto } from "./crypto.js";
import type { KeyAgreement } from "./key-agreement.js";
import type { SensorFactory } from "./sensor.js";
import type { EngineFactory } from "./engine.js";

export type { Clock, TimerHandle } from "./clock.js";
export type { Storage } from "./storage.js";
export type { Checksum } from "./checksum.js";
export type { Log } from "./log.js";
export type { Transport, MessageHandler } from "./transport.js";
export type { Crypto, Sha256 } from "./crypto.js";
export type { KeyAgreement } from "./key-agreement.js";
export type { SensorSource, SensorSample, SensorSourceOptions, SensorConfiguration, SensorFactory } from "./sensor.js";
export type { Engine, EngineFactory, AdapterConfig, ModelInfo, Batch } from "./engine.js";

/** Everything a target hands main: the whole boundary between the app and where it runs. */
export interface Ports {
  readonly clock: Clock;
  readonly storage: Storage;
  readonly checksum: Checksum;
  readonly log: Log;
  readonly sensor: SensorFactory;
  readonly transport?: Transport;
  /** SHA-256 and ECDSA P-256 from the target's library (signed deltas, device frames). */
  readonly crypto?: Crypto;
  /** ECDH, HKDF and ChaCha20 for secure aggregation (absent where the SDK lacks them). */
  readonly keyAgreement?: KeyAgreement;
  /** Absent until the target has the native engine. */
  readonly engine?: EngineFactory;
  /** End the process with a status (the simulator and Node exit; a board may restart). */
  exit(status: number): void;
}
