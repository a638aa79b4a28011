// JS face of the simulator's crypto binding (native/xs/crypto/crypto.c): SHA-256 and ECDSA
// P-256 from mbedTLS 2.28. Byte formats are the Crypto port's (firmware/platform/crypto.ts);
// wrong lengths throw RangeError in C before mbedTLS sees the bytes.

/** Any byte range the C side can read. */
export type Bytes = ArrayBuffer | Uint8Array;

const start = native("xs_crypto_sha256") as (this: Sha256Native) => void;
const update = native("xs_crypto_sha256_update") as (this: Sha256Native, bytes: Bytes) => void;
const digest = native("xs_crypto_sha256_digest") as (this: Sha256Native) => ArrayBuffer;

/** A streaming SHA-256 whose mbedTLS context lives in the object's host chunk. */
export class Sha256Native extends Native("xs_crypto_sha256_destructor") {
  constructor() {
    super();
    start.call(this);
  }

  update(bytes: Bytes): void {
    update.call(this, bytes);
  }

  /** The 32-byte digest; further calls throw (the context is spent). */
  digest(): ArrayBuffer {
    return digest.call(this);
  }
}

/** True when `signature` (r || s) is a valid ECDSA P-256 signature of `digest` under the key. */
export const verifyP256 = native("xs_crypto_verifyP256") as (publicKey: Bytes, digest: Bytes, signature: Bytes) => boolean;
/** Deterministic ECDSA P-256 (RFC 6979) of a 32-byte digest: 64 bytes r || s. */
export const signP256 = native("xs_crypto_signP256") as (privateKey: Bytes, digest: Bytes) => ArrayBuffer;
/** The 65-byte uncompressed public key of a 32-byte private key. */
export const publicKeyP256 = native("xs_crypto_publicKeyP256") as (privateKey: Bytes) => ArrayBuffer;

// Key agreement and mask expansion for secure aggregation (native/xs/crypto/agree.c).
/** x-coordinate (32 bytes) of the ECDH P-256 shared point. */
export const ecdhP256 = native("xs_crypto_ecdhP256") as (privateKey: Bytes, peerPublicKey: Bytes) => ArrayBuffer;
/** HKDF-SHA256 (RFC 5869): `length` bytes, 1..8160. */
export const hkdfSha256 = native("xs_crypto_hkdfSha256") as (ikm: Bytes, salt: Bytes, info: Bytes, length: number) => ArrayBuffer;
/** input XOR the ChaCha20 keystream (RFC 8439) from block `counter`. */
export const chacha20 = native("xs_crypto_chacha20") as (key: Bytes, nonce: Bytes, counter: number, input: Bytes) => ArrayBuffer;
/** `length` random bytes (1..65536) from mbedTLS CTR_DRBG seeded by the entropy pool. */
export const randomBytes = native("xs_crypto_randomBytes") as (length: number) => ArrayBuffer;
/** ChaCha20-Poly1305 (RFC 8439): ciphertext || 16-byte tag. */
export const aeadSeal = native("xs_crypto_aeadSeal") as (key: Bytes, nonce: Bytes, aad: Bytes, plaintext: Bytes) => ArrayBuffer;
/** The plaintext, or undefined when the tag does not verify. */
export const aeadOpen = native("xs_crypto_aeadOpen") as (key: Bytes, nonce: Bytes, aad: Bytes, sealed: Bytes) => ArrayBuffer | undefined;
