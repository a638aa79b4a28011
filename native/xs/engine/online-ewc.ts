// Online-EWC face of the native engine (xs_engine_consolidateMerge in engine.c), apart from
// engine.ts so its host function exists only when the method is loaded (the demo's esp32-sized
// slot heap has no room to spare).
import type { Bytes, NativeEngine } from "./engine.js";

const consolidateMerge = native("xs_engine_consolidateMerge") as (this: NativeEngine, data: Bytes, labels: Uint8Array, latent: boolean) => void;

/** Adds the batch's Fisher (under the current adapter) to the one held, then anchors at the current adapter. */
export function mergeFisher(engine: NativeEngine, data: Bytes, labels: Uint8Array, latent: boolean): void {
  consolidateMerge.call(engine, data, labels, latent);
}
