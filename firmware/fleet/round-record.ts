/**
 * The round agent's record in flash (an A/B SlotStore, saved before anything is sent): the round,
 * the last stage answered, the setup body, the secagg state and the frames sent for that stage.
 * A device rebooted mid-round resumes from it and answers a repeated request with the same
 * frames: it never makes new keys, shares or a new masked vector for a round it has spoken in
 * (two different key frames or masked vectors of one device in one round would let a server
 * compare them). Little-endian: u32 round | u8 stage | u32 n + setup body | u32 n + state
 * | u8 count + (u32 n + frame) each.
 */
export interface RoundRecord {
  readonly round: number;
  readonly answered: number;
  readonly setupBody: Uint8Array;
  readonly state: Uint8Array;
  readonly sent: readonly Uint8Array[];
}

/** Where the record lives: SlotStore's load/save (storage/slot-store.ts) fits. */
export interface RoundStore {
  load(): { readonly payload: Uint8Array } | undefined;
  saveParts(parts: readonly Uint8Array[]): number;
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function saveRoundRecord(store: RoundStore, r: RoundRecord): void {
  if (r.sent.length > 255) throw new RangeError("too many frames for a round record");
  const parts: Uint8Array[] = [u32(r.round), new Uint8Array([r.answered]), u32(r.setupBody.length), r.setupBody, u32(r.state.length), r.state, new Uint8Array([r.sent.length])];
  for (const f of r.sent) parts.push(u32(f.length), f);
  store.saveParts(parts);
}

/** The stored record, or undefined when there is none or it does not parse (then the device takes part from the next round on). */
export function loadRoundRecord(store: RoundStore): RoundRecord | undefined {
  const p = store.load()?.payload;
  if (!p) return undefined;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > p.length) throw new RangeError("round record ends early");
    at += n;
    return at - n;
  };
  const bytes = () => {
    const n = v.getUint32(need(4), true);
    return p.slice(need(n), at);
  };
  try {
    const round = v.getUint32(need(4), true);
    const answered = p[need(1)]!;
    const setupBody = bytes();
    const state = bytes();
    const sent: Uint8Array[] = [];
    for (let i = p[need(1)]!; i > 0; i--) sent.push(bytes());
    if (at !== p.length) return undefined;
    return { round, answered, setupBody, state, sent };
  } catch {
    return undefined;
  }
}
