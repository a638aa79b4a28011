// Minimal declarations for the Moddable SDK's elliptic-curve modules (modules/crypt/etc/ecdsa.js,
// curve.js, modules/crypt/arith/ecp.js, ec.js at SDK 8.2.3), which ship without typings: only
// what moddable-crypto.ts uses, read from those sources. "crypt" (Digest) has SDK typings of its
// own (typings/crypt.d.ts), so it is not declared here.

declare module "ecp" {
  /** An affine point (z = 1). */
  export default class ECPoint {
    constructor(x: bigint, y: bigint, identity?: boolean);
    get X(): bigint;
    get Y(): bigint;
  }
}

declare module "curve" {
  import type ECPoint from "ecp";
  export default class Curve {
    /** "secp256r1" or "secp384r1"; any other name leaves the object empty. */
    constructor(name: "secp256r1" | "secp384r1");
    readonly G: ECPoint;
    /** Curve y^2 = x^3 + a x + b over the prime field m. */
    readonly ec: { readonly a: bigint; readonly b: bigint; readonly m: bigint };
    /** Group order. */
    readonly n: bigint;
    /** Bytes of a scalar (32 for P-256). */
    readonly orderSize: number;
    /** x * P (x * G when P is absent) as 0x04 || X || Y; undefined when P has the wrong length. */
    dh(x: ArrayBuffer, P?: ArrayBuffer): ArrayBuffer | undefined;
  }
}

declare module "ecdsa" {
  import type Curve from "curve";
  import type ECPoint from "ecp";
  export default class ECDSA {
    /** key: the private scalar to sign, the public point to verify. */
    constructor(key: bigint | ECPoint, curve: Curve, priv?: boolean);
    /** r || s (orderSize bytes each; DER when asn1); k from the SDK's RNG. */
    sign(H: ArrayBuffer, asn1?: boolean): ArrayBuffer;
    verify(H: ArrayBuffer, sig: ArrayBuffer, asn1?: boolean): boolean;
  }
}

// "crypt" (modules/crypt/digest/crypt.js) also holds StreamCipher, which the SDK's typings leave
// out; this block merges with theirs (and with typings/moddable-sdk/crypt.d.ts off the SDK).
declare module "crypt" {
  export class StreamCipher {
    /**
     * "ChaCha": 32-byte key; a 12-byte iv puts iv[0..3] in state word 13 and iv[4..11] in 14..15
     * (RFC 8439's layout) with `counter` in word 12. The C body reads counter as a signed 32-bit
     * integer (xsmcToInteger), so only 0..2^31-1 lands in word 12 as given.
     */
    constructor(cipher: "ChaCha" | "RC4", key: ArrayBuffer, iv?: ArrayBuffer, counter?: number);
    /** data XOR the keystream, into a fresh ArrayBuffer. */
    encrypt(data: ArrayBuffer | ArrayBufferView): ArrayBuffer;
  }
}

declare module "hmac" {
  import type { Digest } from "crypt";
  /** RFC 2104 over a Digest (modules/crypt/etc/hmac.js). */
  export default class HMAC {
    constructor(h: Digest, key: ArrayBuffer, bitlen?: number);
    /** HMAC of the items written in order. */
    process(...items: (ArrayBuffer | ArrayBufferView)[]): ArrayBuffer;
  }
}
