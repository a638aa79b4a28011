// Runs the KeyAgreement port over given inputs and returns hex outputs; XS-compatible (no Node
// APIs), so the same exercise runs on NodeKeyAgreement and inside the simulator.
import type { KeyAgreement } from "../../firmware/platform/key-agreement.js";

const bytes = (h: string) => {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
};
const hex = (b: Uint8Array) => {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i]! | 256).toString(16).slice(1);
  return s;
};
const attempt = (f: () => unknown) => {
  try {
    f();
    return "accepted";
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
};

export interface KeyAgreementInput {
  readonly hkdf: readonly { ikm: string; salt: string; info: string; length: number }[];
  readonly chacha: readonly { key: string; nonce: string; counter: number; input: string }[];
  /** Pairs of private keys and the other's public key. */
  readonly ecdh: readonly { priv: string; peer: string }[];
  readonly offCurve: string;
  readonly aead: readonly { key: string; nonce: string; aad: string; plaintext: string }[];
  /** RFC 5903 8.1: private keys i and r, public keys g^i and g^r. */
  readonly rfc5903: { readonly i: string; readonly r: string; readonly gi: string; readonly gr: string };
  /** Random ChaCha20 and HKDF inputs (checked against noble). */
  readonly random: readonly { key: string; nonce: string; counter: number; input: string; ikm: string; salt: string; info: string; length: number }[];
}

/** Everything of the port but the AEAD and the generator (what every target's library has). */
export function exerciseCore(ka: KeyAgreement, input: KeyAgreementInput): Record<string, unknown> {
  return {
    hkdf: input.hkdf.map((c) => hex(ka.hkdfSha256(bytes(c.ikm), bytes(c.salt), bytes(c.info), c.length))),
    chacha: input.chacha.map((c) => hex(ka.chacha20(bytes(c.key), bytes(c.nonce), c.counter, bytes(c.input)))),
    // A long keystream produced in one call and as two calls split at a block boundary.
    split: (() => {
      const k = bytes(input.chacha[0]!.key);
      const n = bytes(input.chacha[0]!.nonce);
      const whole = ka.chacha20(k, n, 7, new Uint8Array(640));
      const a = ka.chacha20(k, n, 7, new Uint8Array(320));
      const b = ka.chacha20(k, n, 12, new Uint8Array(320));
      return hex(whole) === hex(a) + hex(b) ? "equal" : "differ";
    })(),
    ecdh: input.ecdh.map((c) => hex(ka.ecdhP256(bytes(c.priv), bytes(c.peer)))),
    offCurve: attempt(() => ka.ecdhP256(bytes(input.ecdh[0]!.priv), bytes(input.offCurve))),
    shortKey: attempt(() => ka.ecdhP256(new Uint8Array(31), bytes(input.ecdh[0]!.peer))),
    zeroKey: attempt(() => ka.ecdhP256(new Uint8Array(32), bytes(input.ecdh[0]!.peer))),
    badNonce: attempt(() => ka.chacha20(new Uint8Array(32), new Uint8Array(8), 0, new Uint8Array(4))),
    hkdfTooLong: attempt(() => ka.hkdfSha256(new Uint8Array(1), new Uint8Array(0), new Uint8Array(0), 8161)),
    ecdhRfc5903: [hex(ka.ecdhP256(bytes(input.rfc5903.i), bytes(input.rfc5903.gr))), hex(ka.ecdhP256(bytes(input.rfc5903.r), bytes(input.rfc5903.gi)))],
    randomChacha: input.random.map((c) => hex(ka.chacha20(bytes(c.key), bytes(c.nonce), c.counter, bytes(c.input)))),
    randomHkdf: input.random.map((c) => hex(ka.hkdfSha256(bytes(c.ikm), bytes(c.salt), bytes(c.info), c.length))),
  };
}

/** The AEAD and the generator. */
export function exerciseSealAndRandom(ka: KeyAgreement, input: KeyAgreementInput): Record<string, unknown> {
  return {
    aeadSealed: input.aead.map((c) => hex(ka.aeadSeal(bytes(c.key), bytes(c.nonce), bytes(c.aad), bytes(c.plaintext)))),
    aeadOpened: input.aead.map((c) => {
      const out = ka.aeadOpen(bytes(c.key), bytes(c.nonce), bytes(c.aad), ka.aeadSeal(bytes(c.key), bytes(c.nonce), bytes(c.aad), bytes(c.plaintext)));
      return out === undefined ? "rejected" : hex(out);
    }),
    // Every single-bit change of the sealed bytes (ciphertext and tag) and of the aad is refused.
    aeadTampered: input.aead.map((c) => {
      const sealed = ka.aeadSeal(bytes(c.key), bytes(c.nonce), bytes(c.aad), bytes(c.plaintext));
      let opened = 0;
      for (let i = 0; i < sealed.length; i++) {
        const t = sealed.slice();
        t[i] ^= 1 << (i % 8);
        if (ka.aeadOpen(bytes(c.key), bytes(c.nonce), bytes(c.aad), t) !== undefined) opened++;
      }
      const aad = bytes(c.aad);
      if (aad.length > 0) {
        aad[0] ^= 1;
        if (ka.aeadOpen(bytes(c.key), bytes(c.nonce), aad, sealed) !== undefined) opened++;
      }
      return opened;
    }),
    aeadShortTag: attempt(() => ka.aeadOpen(new Uint8Array(32), new Uint8Array(12), new Uint8Array(0), new Uint8Array(15))),
    aeadBadKey: attempt(() => ka.aeadSeal(new Uint8Array(16), new Uint8Array(12), new Uint8Array(0), new Uint8Array(1))),
    random: [1, 32, 1000, 5000].map((n) => hex(ka.randomBytes(n))),
    randomAgain: hex(ka.randomBytes(32)),
    randomTooLong: attempt(() => ka.randomBytes(65537)),
    randomZero: attempt(() => ka.randomBytes(0)),
  };
}

export function exercise(ka: KeyAgreement, input: KeyAgreementInput): Record<string, unknown> {
  return { ...exerciseCore(ka, input), ...exerciseSealAndRandom(ka, input) };
}
