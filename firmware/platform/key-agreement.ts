/**
 * Key agreement and mask expansion for secure aggregation (issue 10), a port of its own so a
 * target without it (a board whose SDK lacks HKDF / ChaCha20) still has signed deltas:
 * - ECDH P-256: 32-byte private key, 65-byte SEC1 uncompressed peer key -> the 32-byte
 *   x-coordinate of the shared point (SEC 1, as TLS uses it);
 * - HKDF-SHA256 (RFC 5869);
 * - ChaCha20 (RFC 8439): 32-byte key, 12-byte nonce, 32-bit block counter;
 * - ChaCha20-Poly1305 (RFC 8439): the Shamir shares travel encrypted to their holder;
 * - random bytes from a cryptographic generator (round keys, self-mask seeds, rounding).
 * Every target takes these from a library (mbedTLS in the simulator, node:crypto on hosts).
 */
export interface KeyAgreement {
  ecdhP256(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** input XOR the keystream from block `counter` (zeros in: the keystream). */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array;
  /** ChaCha20-Poly1305 of `plaintext` under a 32-byte key and 12-byte nonce: ciphertext || 16-byte tag. */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /**
   * The plaintext of aeadSeal's output, or undefined when the tag does not verify (wrong key,
   * aad or a changed byte): the caller names that error. Wrong key/nonce lengths throw RangeError.
   */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
  /** `length` (1..65536) bytes from the target's cryptographic random generator. */
  randomBytes(length: number): Uint8Array;
}

/** `length` bytes from a cryptographic source, or a throw (a target's randomBytes draws from one). */
export type EntropySource = (length: number) => Uint8Array;
