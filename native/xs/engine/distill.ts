// Distillation face of the native engine (xs_engine_trainSoft in engine.c), apart from
// engine.ts so its host function exists only when a method that distils is loaded (the demo's
// esp32-sized slot heap has no room to spare).
import type { Bytes, NativeEngine } from "./engine.js";

const trainSoft = native("xs_engine_trainSoft") as (this: NativeEngine, data: Bytes, targets: Uint8Array, latent: boolean) => number;

/**
 * One trainer step per example against its soft target (targets: info.classes bytes per
 * example, probability x 256); returns the examples whose prediction matched the target's top
 * class before their step. engine.lastLoss then holds the mean loss against that class.
 */
export function trainSoftStep(engine: NativeEngine, data: Bytes, targets: Uint8Array, latent: boolean): number {
  return trainSoft.call(engine, data, targets, latent);
}
