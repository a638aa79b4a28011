import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from "node:crypto";
import type { KeyAgreement } from "../key-agreement.js";

/** The KeyAgreement port on Node: node:crypto (OpenSSL). */
export class NodeKeyAgreement implements KeyAgreement {
  ecdhP256(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    if (privateKey.length !== 32) throw new RangeError(`P-256 private key is 32 bytes, got ${privateKey.length}`);
    if (peerPublicKey.length !== 65 || peerPublicKey[0] !== 0x04) throw new RangeError(`P-256 public key is 65 bytes starting 0x04, got ${peerPublicKey.length}`);
    const e = createECDH("prime256v1");
    try {
      e.setPrivateKey(privateKey);
      return new Uint8Array(e.computeSecret(peerPublicKey));
    } catch (error: unknown) {
      throw new RangeError(`ecdhP256: ${(error as Error).message}`);
    }
  }

  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    if (!(Number.isInteger(length) && length >= 1 && length <= 8160)) throw new RangeError(`HKDF-SHA256 length ${length} outside 1..8160`);
    return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
  }

  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
    if (key.length !== 32) throw new RangeError(`ChaCha20 key is 32 bytes, got ${key.length}`);
    if (nonce.length !== 12) throw new RangeError(`ChaCha20 nonce is 12 bytes, got ${nonce.length}`);
    if (!(Number.isInteger(counter) && counter >= 0 && counter <= 0xffffffff)) throw new RangeError("ChaCha20 counter must be a uint32");
    // OpenSSL's 16-byte IV: the 32-bit block counter (little-endian) then the 96-bit nonce.
    const iv = Buffer.alloc(16);
    iv.writeUInt32LE(counter, 0);
    Buffer.from(nonce).copy(iv, 4);
    const c = createCipheriv("chacha20", key, iv);
    return new Uint8Array(Buffer.concat([c.update(input), c.final()]));
  }

  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    aeadArgs(key, nonce);
    const c = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
    c.setAAD(aad, { plaintextLength: plaintext.length });
    return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]));
  }

  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    aeadArgs(key, nonce);
    if (sealed.length < TAG) throw new RangeError(`ChaCha20-Poly1305 sealed input is at least ${TAG} bytes, got ${sealed.length}`);
    const body = sealed.subarray(0, sealed.length - TAG);
    const d = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG });
    d.setAAD(aad, { plaintextLength: body.length });
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    const out = d.update(body);
    try {
      d.final();
    } catch {
      return undefined; // the tag does not verify
    }
    return new Uint8Array(out);
  }

  randomBytes(length: number): Uint8Array {
    if (!(Number.isInteger(length) && length >= 1 && length <= 65536)) throw new RangeError(`randomBytes length ${length} outside 1..65536`);
    return new Uint8Array(randomBytes(length));
  }
}

const TAG = 16;

function aeadArgs(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== 32) throw new RangeError(`ChaCha20-Poly1305 key is 32 bytes, got ${key.length}`);
  if (nonce.length !== 12) throw new RangeError(`ChaCha20-Poly1305 nonce is 12 bytes, got ${nonce.length}`);
}
