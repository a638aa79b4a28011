/**
 * Streaming check of an EPDL delta (delta-format.ts) as it arrives in chunks of any size (MQTT
 * chunks): the header is checked as soon as its 68 bytes and the spec are in, payload bytes go
 * to a sink as they arrive (the inactive flash slot), everything is hashed through the Crypto
 * port, and only the 64 trailing signature bytes are kept. RAM: 68 + 255 + 64 bytes and the
 * hash state, whatever the payload size.
 */
import type { Crypto, Sha256 } from "../platform/crypto.js";
import {
  DELTA_HEADER_BYTES, DELTA_MAX_SPEC_BYTES, DELTA_SIGNATURE_BYTES, DeltaError, decodeFixedHeader, specBytes, specString,
  type DeltaHeader,
} from "./delta-format.js";

/** What this device accepts. */
export interface DeltaExpectations {
  /** SHA-256 of the device's model bytes. */
  readonly modelSha256: Uint8Array;
  /** The device's adapter spec. */
  readonly spec: string;
  /** The persisted anti-rollback counter: a delta's sequence must exceed it. */
  readonly counter: number;
  /** Largest payload the slot holds. */
  readonly maxPayload: number;
  /** The fleet's P-256 public key (65 bytes, uncompressed). */
  readonly fleetKey: Uint8Array;
}

/** Where payload bytes go; begin() comes once, after the header and spec passed every check. */
export interface PayloadSink {
  begin(header: DeltaHeader): void;
  /** `bytes` is a view into the caller's chunk, valid only during the call. */
  write(offset: number, bytes: Uint8Array): void;
}

export class DeltaVerifier {
  readonly #crypto: Crypto;
  readonly #expect: DeltaExpectations;
  readonly #expectSpec: Uint8Array;
  readonly #sink: PayloadSink;
  readonly #head = new Uint8Array(DELTA_HEADER_BYTES + DELTA_MAX_SPEC_BYTES);
  readonly #signature = new Uint8Array(DELTA_SIGNATURE_BYTES);
  #hash: Sha256;
  #header: DeltaHeader | undefined;
  #fixed: ReturnType<typeof decodeFixedHeader> | undefined;
  #at = 0;
  #failed: DeltaError | undefined;
  #done = false;

  constructor(crypto: Crypto, expect: DeltaExpectations, sink: PayloadSink) {
    this.#crypto = crypto;
    this.#expect = expect;
    this.#expectSpec = specBytes(expect.spec);
    this.#sink = sink;
    this.#hash = crypto.sha256();
  }

  /** Bytes accepted so far. */
  get received(): number {
    return this.#at;
  }

  /** The checked header, once its bytes are in. */
  get header(): DeltaHeader | undefined {
    return this.#header;
  }

  /** Feed the next chunk; throws DeltaError at the first byte that makes the delta unacceptable. */
  push(chunk: Uint8Array): void {
    this.#alive();
    try {
      let i = 0;
      while (i < chunk.length) i += this.#take(chunk, i);
    } catch (error: unknown) {
      if (error instanceof DeltaError) this.#failed = error;
      throw error;
    }
  }

  /** All bytes are in: checks the length and the signature; returns the accepted header. */
  finish(): DeltaHeader {
    this.#alive();
    const total = this.#fixed?.totalBytes;
    if (total === undefined || this.#at < total) {
      this.#failed = new DeltaError("truncated", `delta ends after ${this.#at} bytes${total === undefined ? "" : ` of ${total}`}`);
      throw this.#failed;
    }
    this.#done = true;
    const digest = this.#hash.digest();
    if (!this.#crypto.verifyP256(this.#expect.fleetKey, digest, this.#signature)) {
      this.#failed = new DeltaError("bad-signature", "signature does not verify with the fleet key");
      throw this.#failed;
    }
    return this.#header!;
  }

  #alive(): void {
    if (this.#failed) throw this.#failed;
    if (this.#done) throw new Error("delta verifier already finished");
  }

  /** Consumes bytes of chunk from i within one region (header, spec, payload, signature); returns how many. */
  #take(chunk: Uint8Array, i: number): number {
    const at = this.#at;
    const fixed = this.#fixed;
    if (!fixed || at < fixed.payloadOffset) {
      const end = fixed ? fixed.payloadOffset : DELTA_HEADER_BYTES;
      const n = Math.min(end - at, chunk.length - i);
      const part = chunk.subarray(i, i + n);
      this.#head.set(part, at);
      this.#hash.update(part);
      this.#at += n;
      if (!fixed && this.#at === DELTA_HEADER_BYTES) this.#checkFixed();
      else if (fixed && this.#at === fixed.payloadOffset) this.#checkSpec(fixed);
      return n;
    }
    const payloadEnd = fixed.payloadOffset + fixed.payloadBytes;
    if (at < payloadEnd) {
      const n = Math.min(payloadEnd - at, chunk.length - i);
      const part = chunk.subarray(i, i + n);
      this.#hash.update(part);
      this.#sink.write(at - fixed.payloadOffset, part);
      this.#at += n;
      return n;
    }
    if (at < fixed.totalBytes) {
      const n = Math.min(fixed.totalBytes - at, chunk.length - i);
      this.#signature.set(chunk.subarray(i, i + n), at - payloadEnd);
      this.#at += n;
      return n;
    }
    throw new DeltaError("trailing-bytes", `bytes after the signature (delta is ${fixed.totalBytes} bytes)`);
  }

  #checkFixed(): void {
    const fixed = decodeFixedHeader(this.#head.subarray(0, DELTA_HEADER_BYTES));
    const want = this.#expect.modelSha256;
    for (let k = 0; k < 32; k++) {
      if (fixed.baseModelSha256[k] !== want[k]) {
        throw new DeltaError("other-model", `made for base model ${hex(fixed.baseModelSha256)}, this device runs ${hex(want)}`);
      }
    }
    if (fixed.sequence <= this.#expect.counter) {
      throw new DeltaError("stale-sequence", `sequence ${fixed.sequence} is not above this device's counter ${this.#expect.counter}`);
    }
    if (fixed.payloadBytes > this.#expect.maxPayload) {
      throw new DeltaError("oversized", `payload of ${fixed.payloadBytes} bytes, the slot holds ${this.#expect.maxPayload}`);
    }
    this.#fixed = fixed;
  }

  #checkSpec(fixed: ReturnType<typeof decodeFixedHeader>): void {
    const got = this.#head.subarray(DELTA_HEADER_BYTES, fixed.payloadOffset);
    const spec = specString(got);
    const want = this.#expectSpec;
    let same = got.length === want.length;
    for (let k = 0; same && k < got.length; k++) same = got[k] === want[k];
    if (!same) throw new DeltaError("spec-mismatch", `adapter spec "${spec}", this device runs "${this.#expect.spec}"`);
    const { specBytes: _n, ...rest } = fixed;
    this.#header = { ...rest, spec };
    this.#sink.begin(this.#header);
  }
}

function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < 4; i++) s += (b[i]! | 0x100).toString(16).slice(1);
  return `${s}...`;
}
