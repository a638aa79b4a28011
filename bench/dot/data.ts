// Inputs of bench/dot, shared by the XS app (app.ts) and the Node check (index.ts).

export const LENGTH = 65536;

/** Deterministic int8 data from a 32-bit LCG. */
export function fill(seed: number, length = LENGTH): Int8Array {
  const out = new Int8Array(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = (state >>> 24) - 128;
  }
  return out;
}
