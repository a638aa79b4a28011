// An EPDL writer for tests, independent of firmware/deploy/delta-format.ts: Node's Buffer
// writers field by field from the table in docs/formats.md, signed by node:crypto. Fields can
// be overridden with values the firmware encoder refuses to write (reserved bits, zero sizes),
// and the result is still validly signed, so a refusal is the field's and not the signature's.
import { createHash } from "node:crypto";
import { nodeSign, type TestKey } from "./keys.js";

export interface RefFields {
  magic?: string;
  version?: number;
  reserved6?: number;
  baseSha: Uint8Array;
  adapterVersion?: number;
  parentVersion?: number;
  sequence: number;
  cohort?: number;
  /** Overrides the payload length field (default: payload.length). */
  payloadField?: number;
  flags?: number;
  /** Overrides the spec length field (default: spec length). */
  specField?: number;
  reserved66?: number;
  spec: string;
}

export function refSigned(f: RefFields, payload: Uint8Array): Buffer {
  const spec = Buffer.from(f.spec, "latin1");
  const head = Buffer.alloc(68);
  head.write(f.magic ?? "EPDL", 0, "latin1");
  head.writeUInt16LE(f.version ?? 1, 4);
  head.writeUInt16LE(f.reserved6 ?? 0, 6);
  Buffer.from(f.baseSha).copy(head, 8);
  head.writeUInt32LE(f.adapterVersion ?? 1, 40);
  head.writeUInt32LE(f.parentVersion ?? 0, 44);
  head.writeUInt32LE(f.sequence, 48);
  head.writeUInt32LE(f.cohort ?? 0xffffffff, 52);
  head.writeUInt32LE(f.payloadField ?? payload.length, 56);
  head.writeUInt32LE(f.flags ?? 0, 60);
  head.writeUInt16LE(f.specField ?? spec.length, 64);
  head.writeUInt16LE(f.reserved66 ?? 0, 66);
  return Buffer.concat([head, spec, payload]);
}

export function refDelta(key: TestKey, f: RefFields, payload: Uint8Array): Uint8Array {
  const signed = refSigned(f, payload);
  return new Uint8Array(Buffer.concat([signed, nodeSign(key, signed)]));
}

export const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());
