// Inputs of bench/crypto, shared by the XS app (app.ts) and the Node check (index.ts).

/** Bytes of the demo's exported adapter (docs/moddable.md: "the adapter 712"). */
export const ADAPTER_BYTES = 712;

/** Adapter-sized bytes with a fixed pattern (SHA-256's cost does not depend on the values). */
export function adapterBytes(): Uint8Array {
  const bytes = new Uint8Array(ADAPTER_BYTES);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
}
