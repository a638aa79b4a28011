import { Sha256Native, publicKeyP256, signP256, verifyP256 } from "../../../native/xs/crypto/crypto.js";
import type { Crypto, Sha256 } from "../crypto.js";

/** The Crypto port in the simulator: mbedTLS 2.28 through the xsmc binding (native/xs/crypto). */
export class NativeCrypto implements Crypto {
  sha256(): Sha256 {
    const h = new Sha256Native();
    return {
      update: (bytes: Uint8Array): void => h.update(bytes),
      digest: (): Uint8Array => new Uint8Array(h.digest()),
    };
  }

  verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
    // The port's contract: a signature of the wrong length is a bad signature, not an error
    // (the binding itself throws RangeError for it).
    if (signature.length !== 64) return false;
    return verifyP256(publicKey, digest, signature);
  }

  signP256(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
    return new Uint8Array(signP256(privateKey, digest));
  }

  publicKeyP256(privateKey: Uint8Array): Uint8Array {
    return new Uint8Array(publicKeyP256(privateKey));
  }
}
