// The workload bench/secagg measures inside the simulator: one stage of one device's SecAgg+
// round with the simulator's ports (mbedTLS). Inputs sit in the flash partition as a device
// holds them (its state, the relayed frames, the adapters; read in place through map()); the
// stage's output (new state, frames to send) is written back to flash, as a device stores its
// state. With `measure` false the app reads the same inputs and builds the same context but
// skips the stage: the baseline index.ts subtracts. Layout: docs in index.ts (writeInputs).
import { adapterDelta } from "../../firmware/fleet/adapter-delta.js";
import { asciiText } from "../../firmware/fleet/ascii.js";
import { maskInput, reveal, shareKeys, startRound, type DeviceContext, type StageOutput } from "../../firmware/fleet/secagg-device.js";
import { encodeUpdate, type EncodingParams } from "../../firmware/fleet/update-encoding.js";
import { NativeChecksum } from "../../firmware/platform/sim/native-checksum.js";
import { NativeCrypto } from "../../firmware/platform/sim/native-crypto.js";
import { NativeKeyAgreement } from "../../firmware/platform/sim/native-key-agreement.js";
import { Flash } from "../../native/xs/flash/flash.js";
import { OUT } from "./layout.js";

export interface BenchParams {
  readonly stage: "keys" | "share" | "mask" | "reveal";
  readonly id: string;
  readonly round: number;
  readonly threshold: number;
  readonly neighbours: readonly string[];
  readonly samples: number;
  readonly params: EncodingParams;
  readonly survivors: readonly string[];
  readonly dropped: readonly string[];
}


function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/** Entries as u32 count, then per entry u32 length and the bytes. */
function entries(b: Uint8Array, at: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = u32(b, at);
  let p = at + 4;
  for (let i = 0; i < n; i++) {
    const len = u32(b, p);
    out.push(b.subarray(p + 4, p + 4 + len));
    p += 4 + len;
  }
  return out;
}

export function run(measure: boolean): void {
  const flash = new Flash("secagg");
  const cells = new Uint8Array(flash.map());
  const [paramBytes, priv, dirBytes, state, frameBytes, base, trained] = entries(cells, 0);
  const input = JSON.parse(asciiText(paramBytes!)) as BenchParams;
  const directory = new Map<string, Uint8Array>();
  for (const e of entries(dirBytes!, 0)) directory.set(asciiText(e.subarray(65)), e.subarray(0, 65));
  const frames = entries(frameBytes!, 0);
  const crypto = new NativeCrypto();
  const ka = new NativeKeyAgreement();
  const ctx: DeviceContext = { ka, crypto, id: input.id, sign: (d) => crypto.signP256(priv!, d), deviceKey: (id) => directory.get(id) };
  if (!measure) {
    console.log(`RESULT ${JSON.stringify({ baseline: frames.length + state!.length })}`);
    return;
  }
  let out: StageOutput;
  let values = 0;
  if (input.stage === "keys") out = startRound(ctx, { round: input.round, threshold: input.threshold, neighbours: input.neighbours });
  else if (input.stage === "share") out = shareKeys(ctx, state!, frames);
  else if (input.stage === "mask") {
    // What the device does with the trainer's output: the delta, its encoding, the masking.
    const delta = adapterDelta(new NativeChecksum(), base!, trained!);
    values = delta.values.length;
    out = maskInput(ctx, state!, frames, encodeUpdate((n) => ka.randomBytes(n), delta.values, input.samples, input.params));
  } else out = reveal(ctx, state!, input.survivors, input.dropped);
  // Store the state and the frames to send, as entries at OUT.
  const parts = [out.state, ...out.frames];
  const total = 4 + parts.reduce((n, p) => n + 4 + p.length, 0);
  const blob = new Uint8Array(total);
  const put = (at: number, x: number) => {
    blob[at] = x & 0xff;
    blob[at + 1] = (x >>> 8) & 0xff;
    blob[at + 2] = (x >>> 16) & 0xff;
    blob[at + 3] = (x >>> 24) & 0xff;
  };
  put(0, parts.length);
  let at = 4;
  for (const p of parts) {
    put(at, p.length);
    blob.set(p, at + 4);
    at += 4 + p.length;
  }
  for (let s = OUT / flash.blockSize; s * flash.blockSize < OUT + total; s++) flash.erase(s);
  flash.write(OUT, total, blob);
  console.log(`RESULT ${JSON.stringify({ values, frames: out.frames.length })}`);
}
