import { createHash } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { spentOnceSha256, type Crypto, type Sha256 } from "../crypto.js";

/**
 * Crypto port for the Node target: SHA-256 from node:crypto (OpenSSL); ECDSA P-256 over a
 * digest from @noble/curves, because node:crypto signs and verifies messages only (it always
 * hashes first) and the port works on streamed digests. Host tools that hold whole messages use
 * node:crypto's sign/verify directly (tools/delta), so the two stay independent cross-checks.
 */
export class NodeCrypto implements Crypto {
  sha256(): Sha256 {
    const h = createHash("sha256");
    return spentOnceSha256((bytes) => h.update(bytes), () => new Uint8Array(h.digest()));
  }

  verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
    checkDigest(digest);
    checkPublicKey(publicKey);
    if (signature.length !== 64) return false;
    try {
      // lowS false: mbedTLS and OpenSSL produce either half of s; both are valid ECDSA.
      return p256.verify(signature, digest, publicKey, { prehash: false, lowS: false });
    } catch {
      return false;
    }
  }

  signP256(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
    checkDigest(digest);
    checkPrivateKey(privateKey);
    return p256.sign(digest, privateKey, { prehash: false, lowS: false });
  }

  publicKeyP256(privateKey: Uint8Array): Uint8Array {
    checkPrivateKey(privateKey);
    return p256.getPublicKey(privateKey, false);
  }
}

function checkDigest(digest: Uint8Array): void {
  if (digest.length !== 32) throw new RangeError(`digest is 32 bytes, got ${digest.length}`);
}

function checkPrivateKey(key: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`P-256 private key is 32 bytes, got ${key.length}`);
  if (!p256.utils.isValidSecretKey(key)) throw new RangeError("P-256 private key outside 1..n-1");
}

function checkPublicKey(key: Uint8Array): void {
  if (key.length !== 65 || key[0] !== 0x04) {
    throw new RangeError(`P-256 public key is 65 bytes starting 0x04 (uncompressed SEC1), got ${key.length} bytes`);
  }
  // Same contract as the simulator's mbedTLS binding: a key off the curve is an error, not a
  // bad signature (it cannot be the fleet's key).
  try {
    p256.Point.fromBytes(key);
  } catch {
    throw new RangeError("P-256 public key is not a point of the curve");
  }
}
