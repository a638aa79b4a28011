import type { Checksum } from "../platform/checksum.js";
import { CodedError } from "../coded-error.js";

/**
 * A device's adapter update for a round, read from what the trainer gives: two EPAD v3 images
 * (docs/formats.md) of the same model and configuration, the round's global adapter and the one
 * trained from it. Every trainable element becomes one real value, (trained - base) x unit, in
 * record order (per layer from the lowest up: A, B, bias, prompt, full W, adapter D and U; each
 * row-major), where unit is
 * the record's "real value of one unit" (for bias the nominal one: rows differ by s_w[row], but
 * every device and the server use the same unit, so the server's average maps back exactly).
 * This vector is what update-encoding.ts clips, weights and rounds.
 */
export interface AdapterTensor {
  readonly kind: number;
  readonly layer: number;
  readonly rows: number;
  readonly cols: number;
  /** 1 (int8: A, prompt), 2 (int16: LoRA B, its master) or 4 (int32: bias). */
  readonly elementBytes: number;
  readonly unit: number;
  /** Where its values start in the delta vector. */
  readonly offset: number;
}

export interface AdapterDelta {
  readonly values: Float64Array;
  readonly tensors: readonly AdapterTensor[];
}

export class AdapterDeltaError extends CodedError {
  constructor(code: string, message: string) {
    super("AdapterDeltaError", code, `adapter delta: ${message}`);
  }
}

const MAGIC = [0x45, 0x50, 0x41, 0x44]; // "EPAD"
const HEAD = 76;
const RECORD = 20;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Checks one image's frame: magic, version, header size (for its kinds), length, CRC; returns the header size. */
function checkImage(checksum: Checksum, b: Uint8Array, what: string): number {
  if (b.length < HEAD + 4) throw new AdapterDeltaError("truncated", `${what} is ${b.length} bytes, shorter than an adapter`);
  if (MAGIC.some((m, i) => b[i] !== m)) throw new AdapterDeltaError("bad-magic", `${what} is not an EPAD adapter`);
  const v = view(b);
  if (v.getUint16(4, true) !== 3) throw new AdapterDeltaError("bad-version", `${what} is not EPAD version 3`);
  // full fine-tune / bottleneck adapter (kind bits 3, 4: 24) add 12 header bytes (formats.md)
  const head = v.getUint16(6, true);
  if (head !== (v.getUint32(8, true) & 24 ? 88 : HEAD)) throw new AdapterDeltaError("bad-header", `${what}: header ${head} bytes`);
  if (v.getUint32(40, true) !== b.length) throw new AdapterDeltaError("bad-length", `${what} is ${b.length} bytes, its header says ${v.getUint32(40, true)}`);
  if (checksum.crc32(b.subarray(0, b.length - 4)) >>> 0 !== v.getUint32(b.length - 4, true)) throw new AdapterDeltaError("bad-crc", `${what}: CRC-32 mismatch`);
  return head;
}

function sameBytes(a: Uint8Array, b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The real-valued update trained - base; refused by name unless both are intact images of one configuration. */
export function adapterDelta(checksum: Checksum, base: Uint8Array, trained: Uint8Array): AdapterDelta {
  const head = checkImage(checksum, base, "the base adapter");
  checkImage(checksum, trained, "the trained adapter");
  // Kinds, rank, alpha, layers, prompt length, record count (8..31), the base model (44..75) and
  // the extension's full / adapter layers and width (76..87) must agree; seed and step count may not.
  if (base.length !== trained.length || !sameBytes(base, trained, 8, 32) || !sameBytes(base, trained, 44, head)) {
    throw new AdapterDeltaError("different-adapter", "the two images are not of the same model and configuration");
  }
  const vb = view(base);
  const vt = view(trained);
  const count = vb.getUint16(30, true);
  const tensors: AdapterTensor[] = [];
  let at = head;
  let total = 0;
  for (let r = 0; r < count; r++) {
    if (at + RECORD > base.length - 4) throw new AdapterDeltaError("truncated", `record ${r} runs past the end`);
    if (!sameBytes(base, trained, at, at + RECORD)) throw new AdapterDeltaError("different-adapter", `record ${r}: shapes or scales differ`);
    const eb = base[at + 2]!;
    const rows = vb.getUint16(at + 4, true);
    const cols = vb.getUint16(at + 6, true);
    const unit = vb.getFloat64(at + 12, true);
    if (eb !== 1 && eb !== 2 && eb !== 4) throw new AdapterDeltaError("bad-record", `record ${r}: element bytes ${eb}`);
    if (!(unit > 0 && unit < Infinity)) throw new AdapterDeltaError("bad-record", `record ${r}: unit ${unit}`);
    const data = (rows * cols * eb + 3) & ~3;
    if (at + RECORD + data > base.length - 4) throw new AdapterDeltaError("truncated", `record ${r} data runs past the end`);
    tensors.push({ kind: base[at]!, layer: base[at + 1]!, rows, cols, elementBytes: eb, unit, offset: total });
    total += rows * cols;
    at += RECORD + data;
  }
  if (at !== base.length - 4) throw new AdapterDeltaError("bad-length", `${base.length - 4 - at} bytes after the last record`);
  const values = new Float64Array(total);
  at = head;
  for (const t of tensors) {
    const n = t.rows * t.cols;
    for (let k = 0; k < n; k++) {
      const o = at + RECORD + t.elementBytes * k;
      const d = t.elementBytes === 1 ? vt.getInt8(o) - vb.getInt8(o)
        : t.elementBytes === 2 ? vt.getInt16(o, true) - vb.getInt16(o, true)
        : vt.getInt32(o, true) - vb.getInt32(o, true);
      values[t.offset + k] = d * t.unit;
    }
    at += RECORD + ((n * t.elementBytes + 3) & ~3);
  }
  return { values, tensors };
}
