import { aeadOpen, aeadSeal, chacha20, ecdhP256, hkdfSha256, randomBytes } from "../../../native/xs/crypto/crypto.js";
import type { KeyAgreement } from "../key-agreement.js";

/** The KeyAgreement port in the simulator: mbedTLS 2.28 through native/xs/crypto/agree.c. */
export class NativeKeyAgreement implements KeyAgreement {
  ecdhP256(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    return new Uint8Array(ecdhP256(privateKey, peerPublicKey));
  }
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    return new Uint8Array(hkdfSha256(ikm, salt, info, length));
  }
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
    return new Uint8Array(chacha20(key, nonce, counter, input));
  }
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    return new Uint8Array(aeadSeal(key, nonce, aad, plaintext));
  }
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    const out = aeadOpen(key, nonce, aad, sealed);
    return out === undefined ? undefined : new Uint8Array(out);
  }
  randomBytes(length: number): Uint8Array {
    return new Uint8Array(randomBytes(length));
  }
}
