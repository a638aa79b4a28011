/**
 * A .wav recording's PCM samples, located without copying: RIFF chunks walked (not assumed at
 * 44 bytes), the format checked to be what a keyword-spotting front end takes (PCM, mono,
 * 16-bit; the rate is reported for the caller to check).
 */
export interface WavPcm {
  readonly rateHz: number;
  /** Byte offset of the first sample and number of samples (little-endian int16). */
  readonly dataOffset: number;
  readonly sampleCount: number;
}

function tag(b: Uint8Array, at: number): string {
  return String.fromCharCode(b[at] ?? 0, b[at + 1] ?? 0, b[at + 2] ?? 0, b[at + 3] ?? 0);
}

function u16(b: Uint8Array, at: number): number {
  return (b[at] ?? 0) | ((b[at + 1] ?? 0) << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (u16(b, at) | (u16(b, at + 2) << 16)) >>> 0;
}

/** Throws RangeError naming what is wrong (not RIFF/WAVE, not PCM16 mono, no data chunk). */
export function parseWav(b: Uint8Array): WavPcm {
  if (b.length < 12 || tag(b, 0) !== "RIFF" || tag(b, 8) !== "WAVE") throw new RangeError("wav: not a RIFF/WAVE file");
  let at = 12;
  let rateHz = 0;
  while (at + 8 <= b.length) {
    const id = tag(b, at);
    const size = u32(b, at + 4);
    if (id === "fmt ") {
      if (size < 16 || at + 24 > b.length) throw new RangeError("wav: short fmt chunk");
      if (u16(b, at + 8) !== 1) throw new RangeError("wav: not PCM");
      if (u16(b, at + 10) !== 1) throw new RangeError(`wav: ${u16(b, at + 10)} channels, want mono`);
      if (u16(b, at + 22) !== 16) throw new RangeError(`wav: ${u16(b, at + 22)}-bit samples, want 16`);
      rateHz = u32(b, at + 12);
    } else if (id === "data") {
      if (rateHz === 0) throw new RangeError("wav: data before fmt");
      const bytes = Math.min(size, b.length - (at + 8));
      return { rateHz, dataOffset: at + 8, sampleCount: Math.floor(bytes / 2) };
    }
    at += 8 + size + (size & 1);
  }
  throw new RangeError("wav: no data chunk");
}
