// P-256 key pairs from node:crypto (OpenSSL), exported to the port's raw byte formats through
// JWK, and node:crypto's own sign/verify over whole messages: an implementation independent of
// the port's @noble/curves ECDSA, so each side checks the other.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";

export interface TestKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** 32-byte big-endian scalar. */
  readonly priv: Uint8Array;
  /** 65-byte SEC1 uncompressed. */
  readonly pub: Uint8Array;
}

const b64 = (s: string | undefined) => new Uint8Array(Buffer.from(s ?? "", "base64url"));

export function newKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" });
  const pub = new Uint8Array(65);
  pub[0] = 0x04;
  pub.set(b64(jwk.x), 1);
  pub.set(b64(jwk.y), 33);
  return { privateKey, publicKey, priv: b64(jwk.d), pub };
}

/** A KeyObject over a raw 32-byte private key (the provisioned one), for node:crypto checks. */
export function keyFromRaw(priv: Uint8Array, pub: Uint8Array): TestKey {
  const jwk = { kty: "EC", crv: "P-256", d: Buffer.from(priv).toString("base64url"),
    x: Buffer.from(pub.subarray(1, 33)).toString("base64url"), y: Buffer.from(pub.subarray(33)).toString("base64url") };
  return { privateKey: createPrivateKey({ key: jwk, format: "jwk" }), publicKey: createPublicKey({ key: jwk, format: "jwk" }), priv, pub };
}

/** ECDSA P-256 over SHA-256(message), r || s: node:crypto, not the port. */
export function nodeSign(key: TestKey, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign("sha256", message, { key: key.privateKey, dsaEncoding: "ieee-p1363" }));
}

export function nodeVerify(key: TestKey, message: Uint8Array, signature: Uint8Array): boolean {
  return verify("sha256", message, { key: key.publicKey, dsaEncoding: "ieee-p1363" }, signature);
}
