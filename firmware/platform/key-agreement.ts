/**
 * Key agreement and mask expansion for secure aggregation (issue 10), a port of its own so a
 * target without it (a board whose SDK lacks HKDF / ChaCha20) still has signed deltas:
 * - ECDH P-256: 32-byte private key, 65-byte SEC1 uncompressed peer key -> the 32-byte
 *   x-coordinate of the shared point (SEC 1, as TLS uses it);
 * - HKDF-SHA256 (RFC 5869);
 * - ChaCha20 (RFC 8439): 32-byte key, 12-byte nonce, 32-bit block counter.
 * Every target takes these from a library (mbedTLS in the simulator, node:crypto on hosts).
 */
export interface KeyAgreement {
  ecdhP256(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array;
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** input XOR the keystream from block `counter` (zeros in: the keystream). */
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array;
}
