import { Reservoir, type EntryMode } from "./reservoir.js";

/**
 * Byte image of a Reservoir for the SlotStore (little-endian):
 *   0 uint16 capacity | 2 uint16 entryBytes | 4 uint16 classes | 6 uint8 mode (0 raw, 1 latent)
 *   7 uint8 heldOutEvery | 8 uint32 count | 12 uint32 PRNG state
 *   16 seen[classes] uint32 | labels[count] | heldOut[count] | data[count * entryBytes]
 * Only stored entries are written, so a young buffer saves fast.
 */
export function encodeReservoir(r: Reservoir): Uint8Array {
  const parts = reservoirParts(r);
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Bytes of a reservoir image with an encoded image's size in bytes. */
export function reservoirImageBytes(capacity: number, entryBytes: number, classes: number): number {
  return 16 + 4 * classes + capacity * (entryBytes + 2);
}

/**
 * encodeReservoir's image as parts: a small header it allocates, then views (no copies) of the
 * stored labels, held-out flags and entries, for SlotStore.saveParts.
 */
export function reservoirParts(r: Reservoir): Uint8Array[] {
  const out = new Uint8Array(16 + 4 * r.classes);
  const view = new DataView(out.buffer);
  view.setUint16(0, r.capacity, true);
  view.setUint16(2, r.entryBytes, true);
  view.setUint16(4, r.classes, true);
  view.setUint8(6, r.mode === "latent" ? 1 : 0);
  view.setUint8(7, r.heldOutEvery);
  view.setUint32(8, r.count, true);
  view.setUint32(12, r.random.state, true);
  let at = 16;
  for (let c = 0; c < r.classes; c++, at += 4) view.setUint32(at, r.seen[c], true);
  return [out, r.labels.subarray(0, r.count), r.heldOut.subarray(0, r.count),
    new Uint8Array(r.data.buffer, r.data.byteOffset, r.count * r.entryBytes)];
}

/** Rebuild a Reservoir from encodeReservoir's image; throws on an inconsistent image. */
export function decodeReservoir(bytes: Uint8Array): Reservoir {
  if (bytes.length < 16) throw new RangeError("reservoir image too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const capacity = view.getUint16(0, true);
  const entryBytes = view.getUint16(2, true);
  const classes = view.getUint16(4, true);
  const mode: EntryMode = view.getUint8(6) === 1 ? "latent" : "raw";
  const heldOutEvery = view.getUint8(7);
  const count = view.getUint32(8, true);
  if (count > capacity || bytes.length !== 16 + 4 * classes + 2 * count + count * entryBytes) {
    throw new RangeError("reservoir image inconsistent");
  }
  const r = new Reservoir({ capacity, entryBytes, classes, mode, heldOutEvery, seed: 1 });
  r.random.state = view.getUint32(12, true);
  let at = 16;
  for (let c = 0; c < classes; c++, at += 4) r.seen[c] = view.getUint32(at, true);
  r.labels.set(bytes.subarray(at, at + count)); at += count;
  r.heldOut.set(bytes.subarray(at, at + count)); at += count;
  r.data.set(new Int8Array(bytes.buffer, bytes.byteOffset + at, count * entryBytes));
  r.count = count;
  for (let i = 0; i < count; i++) {
    if (r.labels[i] >= classes) throw new RangeError("reservoir image: label out of range");
    r.stored[r.labels[i]]++;
  }
  return r;
}
