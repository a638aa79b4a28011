import type { FrameReader } from "./frame-reader.js";

/**
 * EPR1 recording format (shared with native/xs/playback): a 16-byte little-endian header
 *   0 magic "EPR1" | 4 uint16 channels | 6 uint16 sampleType | 8 uint32 rateHz | 12 uint32 frameCount
 * then frameCount frames of `channels` interleaved samples of sampleType.
 */
export const EPR1_HEADER_BYTES = 16;

export const SampleType = { int8: 1, int16: 2, uint8: 3, float32: 4 } as const;
export type SampleTypeCode = (typeof SampleType)[keyof typeof SampleType];

const SAMPLE_BYTES: Readonly<Record<number, number>> = { 1: 1, 2: 2, 3: 1, 4: 4 };

export interface Epr1Header {
  readonly channels: number;
  readonly sampleType: SampleTypeCode;
  readonly rateHz: number;
  readonly frameCount: number;
}

export function sampleBytes(sampleType: number): number {
  const n = SAMPLE_BYTES[sampleType];
  if (n === undefined) throw new RangeError(`EPR1: unknown sample type ${sampleType}`);
  return n;
}

/** Parse and validate a header; throws on bad magic, zero channels or a short body. */
export function parseEpr1Header(buffer: ArrayBuffer): Epr1Header {
  if (buffer.byteLength < EPR1_HEADER_BYTES) throw new RangeError("EPR1: shorter than its header");
  const view = new DataView(buffer);
  if (view.getUint32(0, false) !== 0x45505231) throw new TypeError("EPR1: bad magic"); // "EPR1"
  const channels = view.getUint16(4, true);
  const sampleType = view.getUint16(6, true);
  const rateHz = view.getUint32(8, true);
  const frameCount = view.getUint32(12, true);
  if (channels === 0) throw new RangeError("EPR1: zero channels");
  if (rateHz === 0) throw new RangeError("EPR1: zero rate");
  const need = EPR1_HEADER_BYTES + frameCount * channels * sampleBytes(sampleType);
  if (buffer.byteLength < need) {
    throw new RangeError(`EPR1: body holds ${buffer.byteLength} bytes, header needs ${need}`);
  }
  return { channels, sampleType: sampleType as SampleTypeCode, rateHz, frameCount };
}

/** Encode a header (the write side, for tools and tests). */
export function encodeEpr1Header(header: Epr1Header): ArrayBuffer {
  const buffer = new ArrayBuffer(EPR1_HEADER_BYTES);
  const view = new DataView(buffer);
  view.setUint32(0, 0x45505231, false);
  view.setUint16(4, header.channels, true);
  view.setUint16(6, header.sampleType, true);
  view.setUint32(8, header.rateHz, true);
  view.setUint32(12, header.frameCount, true);
  return buffer;
}

/** FrameReader over a whole EPR1 image in memory (a file read by Node, a Resource). */
export class Epr1Reader implements FrameReader {
  readonly channels: number;
  readonly rateHz: number;
  readonly frameCount: number;
  readonly sampleType: SampleTypeCode;
  readonly #view: DataView;
  readonly #frameBytes: number;
  readonly #sampleBytes: number;

  constructor(buffer: ArrayBuffer) {
    const header = parseEpr1Header(buffer);
    this.channels = header.channels;
    this.rateHz = header.rateHz;
    this.frameCount = header.frameCount;
    this.sampleType = header.sampleType;
    this.#sampleBytes = sampleBytes(header.sampleType);
    this.#frameBytes = this.channels * this.#sampleBytes;
    this.#view = new DataView(buffer, EPR1_HEADER_BYTES, this.frameCount * this.#frameBytes);
  }

  read(index: number, into: Float32Array): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.frameCount) {
      throw new RangeError(`EPR1: frame ${index} of ${this.frameCount}`);
    }
    const view = this.#view;
    let at = index * this.#frameBytes;
    for (let c = 0; c < this.channels; c++, at += this.#sampleBytes) {
      switch (this.sampleType) {
        case SampleType.int8: into[c] = view.getInt8(at); break;
        case SampleType.int16: into[c] = view.getInt16(at, true); break;
        case SampleType.uint8: into[c] = view.getUint8(at); break;
        case SampleType.float32: into[c] = view.getFloat32(at, true); break;
      }
    }
  }
}
