/// <reference path="./crypt-sdk.d.ts" />
import { Digest } from "crypt";
import * as Crypt from "crypt";
import HMAC from "hmac";
import Curve from "curve";
import type { EntropySource, KeyAgreement } from "../key-agreement.js";
import { bufferOf, checkLength, privateScalar, publicPoint } from "./p256-sdk.js";

/**
 * The KeyAgreement port on boards, over the Moddable SDK's crypt modules (SDK 8.2.3):
 * - ECDH P-256: Curve("secp256r1").dh (JS over the SDK's C EC arithmetic), after the checks it
 *   leaves out (scalar in 1..n-1, the peer's key on the curve: an off-curve key would leak the
 *   private scalar through small-subgroup answers);
 * - HKDF-SHA256: RFC 5869's extract and expand composed from the SDK's HMAC (etc/hmac.js) over
 *   its Digest("SHA256"); the SDK has no HKDF;
 * - ChaCha20: the SDK's StreamCipher("ChaCha") (kcl chacha.c), RFC 8439's state layout with a
 *   12-byte nonce; its C body reads the counter as a signed 32-bit integer, so counters above
 *   2^31 - 1 are refused here (the fleet uses 0 and 1);
 * - ChaCha20-Poly1305: NOT available. modules/crypt has no Poly1305 (nor any AEAD over ChaCha),
 *   and it is not written here: aeadSeal / aeadOpen check their arguments as the other ports
 *   do, then throw AeadUnavailableError;
 * - random bytes: from the EntropySource given (on ESP32 `espRandomEntropy` (../esp-random-entropy.ts), esp_random through
 *   XS's c_rand). Without one, randomBytes throws EntropyUnavailableError rather than fall back
 *   on the SDK's rng (etc/rng.c: RC4 seeded with 16 bytes of c_rand, libc rand() on lin and
 *   nrf52), which must not make round keys or self-mask seeds.
 */
export class ModdableKeyAgreement implements KeyAgreement {
  readonly #curve = new Curve("secp256r1");
  readonly #entropy: EntropySource | undefined;

  constructor(entropy?: EntropySource) {
    this.#entropy = entropy;
  }

  ecdhP256(privateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
    privateScalar(this.#curve, privateKey);
    publicPoint(this.#curve, peerPublicKey);
    // A scalar in 1..n-1 times a point of the prime-order group is never the identity.
    const p = this.#curve.dh(bufferOf(privateKey), bufferOf(peerPublicKey));
    if (p === undefined || p.byteLength !== 65) throw new Error("ecdhP256: the SDK returned no point");
    return new Uint8Array(p.slice(1, 33));
  }

  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
    if (!(Number.isInteger(length) && length >= 1 && length <= 255 * HASH)) throw new RangeError(`HKDF-SHA256 length ${length} outside 1..${255 * HASH}`);
    // RFC 5869 2.2: no salt is HashLen zeros (the same HMAC key once padded to the block).
    const prk = hmacSha256(salt.length > 0 ? salt : new Uint8Array(HASH), [ikm]);
    const okm = new Uint8Array(length);
    let t: Uint8Array = new Uint8Array(0);
    for (let i = 1, at = 0; at < length; i++, at += HASH) {
      t = hmacSha256(prk, [t, info, Uint8Array.of(i)]); // 2.3: T(i) = HMAC(PRK, T(i-1) | info | i)
      okm.set(t.subarray(0, Math.min(HASH, length - at)), at);
    }
    return okm;
  }

  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array {
    checkLength(key, 32, "ChaCha20 key");
    checkLength(nonce, 12, "ChaCha20 nonce");
    if (!(Number.isInteger(counter) && counter >= 0 && counter <= 0xffffffff)) throw new RangeError("ChaCha20 counter must be a uint32");
    if (counter > 0x7fffffff) throw new RangeError(`ChaCha20 counter ${counter} above 2^31 - 1: the SDK's StreamCipher reads it as a signed 32-bit integer`);
    // Past block 2^32 - 1 the SDK would carry into the nonce word; RFC 8439 allows no such stream.
    if (counter + Math.ceil(input.length / 64) > 0x100000000) throw new RangeError("ChaCha20: the input runs past block 2^32 - 1");
    if (input.length === 0) return new Uint8Array(0);
    return new Uint8Array(new StreamCipher("ChaCha", bufferOf(key), bufferOf(nonce), counter).encrypt(input));
  }

  aeadSeal(key: Uint8Array, nonce: Uint8Array, _aad: Uint8Array, _plaintext: Uint8Array): Uint8Array {
    aeadArgs(key, nonce);
    throw new AeadUnavailableError();
  }

  aeadOpen(key: Uint8Array, nonce: Uint8Array, _aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
    aeadArgs(key, nonce);
    if (sealed.length < TAG) throw new RangeError(`ChaCha20-Poly1305 sealed input is at least ${TAG} bytes, got ${sealed.length}`);
    throw new AeadUnavailableError();
  }

  randomBytes(length: number): Uint8Array {
    if (!(Number.isInteger(length) && length >= 1 && length <= 65536)) throw new RangeError(`randomBytes length ${length} outside 1..65536`);
    if (this.#entropy === undefined) throw new EntropyUnavailableError();
    const out = this.#entropy(length);
    if (out.length !== length) throw new Error(`randomBytes: the entropy source gave ${out.length} bytes for ${length}`);
    return out;
  }
}

/** Thrown by aeadSeal / aeadOpen on Moddable builds: the SDK has no Poly1305. */
export class AeadUnavailableError extends Error {
  override readonly name = "AeadUnavailableError";
  constructor() {
    super("ChaCha20-Poly1305: the Moddable SDK's crypt modules have ChaCha20 but no Poly1305");
  }
}

/** Thrown by randomBytes where the target has no cryptographic entropy source. */
export class EntropyUnavailableError extends Error {
  override readonly name = "EntropyUnavailableError";
  constructor() {
    super("randomBytes: no cryptographic entropy source on this target (the SDK's rng is RC4 over c_rand, libc rand() off ESP32)");
  }
}

/**
 * The SDK's StreamCipher (modules/crypt/digest/crypt.js), which its typings/crypt.d.ts leaves out
 * (and an ambient declaration here would hide that file's Digest). "ChaCha": 32-byte key; a
 * 12-byte iv puts iv[0..3] in state word 13 and iv[4..11] in 14..15 (RFC 8439's layout), the
 * counter in word 12, read by the C body as a signed 32-bit integer (xsmcToInteger).
 */
interface StreamCipherClass {
  new (cipher: "ChaCha", key: ArrayBuffer, iv: ArrayBuffer, counter: number): { encrypt(data: Uint8Array): ArrayBuffer };
}
const StreamCipher = (Crypt as unknown as { readonly StreamCipher: StreamCipherClass }).StreamCipher;

const HASH = 32;
const TAG = 16;

function hmacSha256(key: Uint8Array, items: readonly Uint8Array[]): Uint8Array {
  // Empty items are left out: the same HMAC, and no zero-length write reaches the C digest.
  return new Uint8Array(new HMAC(new Digest("SHA256"), bufferOf(key)).process(...items.filter((b) => b.length > 0)));
}

function aeadArgs(key: Uint8Array, nonce: Uint8Array): void {
  checkLength(key, 32, "ChaCha20-Poly1305 key");
  checkLength(nonce, 12, "ChaCha20-Poly1305 nonce");
}
