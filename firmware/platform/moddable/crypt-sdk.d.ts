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

declare module "hmac" {
  import type { Digest } from "crypt";
  /** RFC 2104 over a Digest (modules/crypt/etc/hmac.js). */
  export default class HMAC {
    constructor(h: Digest, key: ArrayBuffer, bitlen?: number);
    /** HMAC of the items written in order. */
    process(...items: (ArrayBuffer | ArrayBufferView)[]): ArrayBuffer;
  }
}
