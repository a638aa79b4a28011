import type { Engine } from "../platform/engine.js";

export interface TaskRecord {
  readonly task: number;
  readonly samples: number;
}

const INT32_MAX = 0x7fffffff;

/**
 * EWC bookkeeping across task boundaries (online EWC): one merged diagonal Fisher,
 *   F <- (F >> decayShift) + F_task   (int32 Q16, saturating; old tasks fade geometrically)
 * and the anchor theta* = the adapter image committed at the latest boundary. The engine
 * holds one penalty, lambda * F * (theta - theta*)^2, installed by apply().
 */
export class EwcBook {
  readonly decayShift: number;
  readonly tasks: TaskRecord[] = [];
  fisher: Int32Array | undefined;
  anchor: Uint8Array | undefined;

  constructor(decayShift = 1) {
    if (!(Number.isInteger(decayShift) && decayShift >= 0 && decayShift < 32)) throw new RangeError("decayShift in 0..31");
    this.decayShift = decayShift;
  }

  /** Record a task boundary: merge its Fisher, move the anchor to the adapter now committed. */
  consolidate(task: number, fisher: Int32Array, anchor: ArrayBuffer, samples: number): void {
    if (this.fisher && this.fisher.length !== fisher.length) throw new RangeError("Fisher size changed between tasks");
    const merged = new Int32Array(fisher.length);
    for (let i = 0; i < fisher.length; i++) {
      if (fisher[i] < 0) throw new RangeError("a Fisher diagonal is never negative");
      const old = this.fisher ? this.fisher[i] >> this.decayShift : 0;
      merged[i] = Math.min(INT32_MAX, old + fisher[i]);
    }
    this.fisher = merged;
    this.anchor = new Uint8Array(anchor.slice(0));
    this.tasks.push({ task, samples });
  }

  /** Install the penalty in the engine (lambda 0 or no task yet: none). */
  apply(engine: Engine, lambda: number): void {
    if (!this.fisher || !this.anchor || lambda === 0) return;
    if (!engine.installPenalty) throw new Error("this engine keeps its own Fisher: use engine.consolidate(batch)");
    engine.installPenalty(this.fisher.slice().buffer, this.anchor.slice().buffer, lambda);
  }

  /**
   * Byte image (little-endian): uint8 decayShift | uint8 pad | uint16 tasks | uint32 params |
   * uint32 anchorBytes | tasks x (uint32 task, uint32 samples) | params x int32 | anchor bytes.
   */
  encode(): Uint8Array {
    const params = this.fisher?.length ?? 0;
    const anchorBytes = this.anchor?.length ?? 0;
    const out = new Uint8Array(12 + 8 * this.tasks.length + 4 * params + anchorBytes);
    const v = new DataView(out.buffer);
    v.setUint8(0, this.decayShift);
    v.setUint16(2, this.tasks.length, true);
    v.setUint32(4, params, true);
    v.setUint32(8, anchorBytes, true);
    let at = 12;
    for (const t of this.tasks) { v.setUint32(at, t.task, true); v.setUint32(at + 4, t.samples, true); at += 8; }
    for (let i = 0; i < params; i++, at += 4) v.setInt32(at, this.fisher![i], true);
    if (this.anchor) out.set(this.anchor, at);
    return out;
  }

  static decode(bytes: Uint8Array): EwcBook {
    if (bytes.length < 12) throw new RangeError("EWC image too short");
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const book = new EwcBook(v.getUint8(0));
    const tasks = v.getUint16(2, true);
    const params = v.getUint32(4, true);
    const anchorBytes = v.getUint32(8, true);
    if (bytes.length !== 12 + 8 * tasks + 4 * params + anchorBytes) throw new RangeError("EWC image inconsistent");
    let at = 12;
    for (let t = 0; t < tasks; t++, at += 8) book.tasks.push({ task: v.getUint32(at, true), samples: v.getUint32(at + 4, true) });
    if (tasks > 0) {
      book.fisher = new Int32Array(params);
      for (let i = 0; i < params; i++, at += 4) book.fisher[i] = v.getInt32(at, true);
      book.anchor = bytes.slice(at, at + anchorBytes);
    }
    return book;
  }
}
