/// <reference path="./crypt-sdk.d.ts" />
import { Digest } from "crypt";
import Curve from "curve";
import ECDSA from "ecdsa";
import { spentOnceSha256, type Crypto, type Sha256 } from "../crypto.js";
import { bigOf, bufferOf, checkLength, privateScalar, publicPoint, scalarInRange } from "./p256-sdk.js";

/**
 * The Crypto port on boards, over the Moddable SDK's crypt modules: Digest("SHA256") (C, kcl
 * fips180) and ECDSA / Curve (JS over the SDK's C bignum and EC arithmetic). Only the byte
 * formats and the checks the SDK leaves out are here: sizes, scalars in 1..n-1, the key on
 * the curve (SEC1 3.2.2.1), so each target refuses the same inputs the same way.
 *
 * signP256 throws SigningUnavailableError: the SDK has no RFC 6979, and its ECDSA draws k from
 * modules/crypt/etc/rng.c, RC4 seeded with 16 bytes of c_rand(), which is libc rand() on nrf52
 * and lin (esp_random() only on ESP32). A predictable or biased k gives the private key away,
 * so the device key must not sign with it.
 */
export class ModdableCrypto implements Crypto {
  // One curve object: its points and constants are built once.
  readonly #curve = new Curve("secp256r1");

  sha256(): Sha256 {
    const d = new Digest("SHA256");
    // The C body (modCrypt.c) reads any buffer with xsmcGetBufferReadable; the SDK's typing
    // says ArrayBuffer only. A view is passed as it is: no copy per chunk.
    return spentOnceSha256((bytes) => d.write(bytes as unknown as ArrayBuffer), () => new Uint8Array(d.close()));
  }

  verifyP256(publicKey: Uint8Array, digest: Uint8Array, signature: Uint8Array): boolean {
    checkLength(digest, 32, "digest");
    const q = publicPoint(this.#curve, publicKey);
    if (signature.length !== 64) return false;
    const r = bigOf(signature.subarray(0, 32));
    const s = bigOf(signature.subarray(32));
    // The SDK's verify inverts s without checking it: out of range is a bad signature here.
    if (!scalarInRange(this.#curve, r) || !scalarInRange(this.#curve, s)) return false;
    return new ECDSA(q, this.#curve).verify(bufferOf(digest), bufferOf(signature));
  }

  signP256(privateKey: Uint8Array, digest: Uint8Array): Uint8Array {
    checkLength(digest, 32, "digest");
    privateScalar(this.#curve, privateKey);
    throw new SigningUnavailableError();
  }

  publicKeyP256(privateKey: Uint8Array): Uint8Array {
    privateScalar(this.#curve, privateKey);
    const pub = this.#curve.dh(bufferOf(privateKey));
    if (pub === undefined || pub.byteLength !== 65) throw new Error("publicKeyP256: the SDK returned no point");
    return new Uint8Array(pub);
  }
}

/** Thrown by signP256 on Moddable builds (see ModdableCrypto). */
export class SigningUnavailableError extends Error {
  override readonly name = "SigningUnavailableError";
  constructor() {
    super("signP256: the Moddable SDK's ECDSA takes k from a non-cryptographic RNG (RC4 over c_rand) and has no RFC 6979");
  }
}
