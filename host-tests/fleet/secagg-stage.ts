// One stage of one device's secure-aggregation round, from JSON in to JSON out (hex bytes);
// XS-compatible (no Node APIs): the test runs it inside a simulator process per device and stage,
// with the ports of that target. The round state lives in the device's own flash between stages
// (a power-safe A/B record, SlotStore), loaded before the stage and saved only when it succeeds.
import type { Crypto } from "../../firmware/platform/crypto.js";
import type { KeyAgreement } from "../../firmware/platform/key-agreement.js";
import { hex } from "../../firmware/fleet/ascii.js";
import { maskInput, reveal, shareKeys, startRound, type DeviceContext, type StageOutput } from "../../firmware/fleet/secagg-device.js";
import { encodeUpdate, type EncodingParams } from "../../firmware/fleet/update-encoding.js";
import type { SlotStore } from "../../firmware/storage/slot-store.js";

export interface StageInput {
  readonly stage: "keys" | "share" | "mask" | "reveal";
  readonly id: string;
  readonly devicePrivate: string;
  readonly directory: Record<string, string>;
  readonly round?: number;
  readonly threshold?: number;
  readonly neighbours?: readonly string[];
  readonly frames?: readonly string[];
  readonly update?: readonly number[];
  readonly samples?: number;
  readonly params?: EncodingParams;
  readonly survivors?: readonly string[];
  readonly dropped?: readonly string[];
}

const bytes = (h: string) => {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
};

export function runStage(crypto: Crypto, ka: KeyAgreement, store: SlotStore, input: StageInput): Record<string, unknown> {
  const priv = bytes(input.devicePrivate);
  const ctx: DeviceContext = {
    ka, crypto, id: input.id,
    sign: (d) => crypto.signP256(priv, d),
    deviceKey: (id) => (input.directory[id] === undefined ? undefined : bytes(input.directory[id]!)),
  };
  const state = input.stage === "keys" ? new Uint8Array(0) : store.load()?.payload;
  if (state === undefined) return { error: "no-state", message: "no round state in flash" };
  const frames = (input.frames ?? []).map(bytes);
  let encoded: Uint32Array | undefined;
  let out: StageOutput;
  try {
    if (input.stage === "keys") out = startRound(ctx, { round: input.round!, threshold: input.threshold!, neighbours: input.neighbours! });
    else if (input.stage === "share") out = shareKeys(ctx, state, frames);
    else if (input.stage === "mask") {
      encoded = encodeUpdate((n) => ka.randomBytes(n), input.update!, input.samples!, input.params!);
      out = maskInput(ctx, state, frames, encoded);
    } else out = reveal(ctx, state, input.survivors!, input.dropped!);
  } catch (e) {
    return { error: (e as { code?: string }).code ?? (e as Error).name, message: (e as Error).message };
  }
  store.save(out.state);
  return {
    stateBytes: out.state.length,
    frames: out.frames.map(hex),
    // Test only: the encoded update, for the test's independent check of the rounding. A device
    // never sends it; only the masked frame leaves.
    ...(encoded ? { encoded: Array.from(encoded) } : {}),
  };
}
