/**
 * Cryptography as a port: every target takes it from a well-kept library (mbedTLS behind the
 * simulator's xsmc binding, Moddable's crypt modules on boards, node:crypto on hosts); nothing
 * here is written by hand. Byte formats are fixed so all targets interoperate:
 * - P-256 public key: 65 bytes, SEC1 uncompressed (0x04 || X || Y);
 * - P-256 private key: 32 bytes, big-endian scalar;
 * - signature: 64 bytes, r || s, each big-endian, 32 bytes (IEEE P1363, as WebCrypto);
 * - digests: 32 bytes (SHA-256).
 */
export interface Sha256 {
  /** Feed bytes; may be called any number of times (streaming: no copy of the whole input). */
  update(bytes: Uint8Array): void;
  /** The 32-byte digest; the object is spent afterwards (further calls throw). */
  digest(): Uint8Array;
}

export interface Crypto {
  /** A fresh streaming SHA-256. */
  sha256(): Sha256;
  /**
   * ECDSA P-256 check of `signature` over the 32-byte SHA-256 `digest`. False for a wrong or
   * malformed signature (any length, r or s outside 1..n-1); throws RangeError only for a
   * malformed public key (length, not uncompressed, not a point of P-256) or digest length.
   */
  verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean;
  /**
   * ECDSA P-256 signature, deterministic (RFC 6979: no RNG needed); RangeError for wrong
   * lengths or a key outside 1..n-1. Moddable builds throw SigningUnavailableError: the SDK's
   * ECDSA has no RFC 6979 and draws k from a non-cryptographic RNG (moddable-crypto.ts).
   */
  signP256(privateKey: Uint8Array, digest: Uint8Array): Uint8Array;
  /** The public key of a private key. */
  publicKeyP256(privateKey: Uint8Array): Uint8Array;
}

/**
 * A Sha256 over a library's streaming hash, spent once its digest is taken (every port's
 * contract: further calls throw).
 */
export function spentOnceSha256(write: (bytes: Uint8Array) => void, close: () => Uint8Array): Sha256 {
  let done = false;
  const alive = () => {
    if (done) throw new Error("sha256: digest already taken");
  };
  return {
    update(bytes: Uint8Array): void {
      alive();
      write(bytes);
    },
    digest(): Uint8Array {
      alive();
      done = true;
      return close();
    },
  };
}

/** SHA-256 of one buffer through the port. */
export function sha256Of(crypto: Crypto, bytes: Uint8Array): Uint8Array {
  const h = crypto.sha256();
  h.update(bytes);
  return h.digest();
}
