// P-256 key files for the fleet and its devices: PKCS#8 / SPKI PEM as node:crypto (OpenSSL)
// writes them, so `openssl pkey` reads them too; devices take the raw forms (32-byte scalar,
// 65-byte SEC1 point) in their provisioning record.
import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export class CliError extends Error {
  constructor(message: string, readonly usage = false) {
    super(message);
  }
}

export function readPrivateKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path));
  } catch (e) {
    throw new CliError(`${path}: not a private key (${(e as Error).message})`);
  }
  checkP256(key, path);
  return key;
}

export function readPublicKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(readFileSync(path)); // a private key file gives its public half
  } catch (e) {
    throw new CliError(`${path}: not a public key (${(e as Error).message})`);
  }
  checkP256(key, path);
  return key;
}

function checkP256(key: KeyObject, path: string): void {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType !== "ec" || d?.namedCurve !== "prime256v1") {
    throw new CliError(`${path}: a ${key.asymmetricKeyType ?? "?"} ${d?.namedCurve ?? ""} key, edge-peft signs with ECDSA P-256`);
  }
}

/** 65-byte uncompressed point (0x04 || X || Y). */
export function rawPublic(key: KeyObject): Uint8Array {
  const jwk = (key.type === "public" ? key : createPublicKey(key)).export({ format: "jwk" });
  return new Uint8Array(Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? "", "base64url"), Buffer.from(jwk.y ?? "", "base64url")]));
}

/** 32-byte private scalar. */
export function rawPrivate(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).d ?? "", "base64url"));
}

/** Whether the last 64 bytes of `signed` are key's ECDSA P-256 signature (r || s) of the rest. */
export function signedBy(signed: Uint8Array, key: KeyObject): boolean {
  if (signed.length < 64) return false;
  return verify("sha256", signed.subarray(0, signed.length - 64), { key: key.type === "public" ? key : createPublicKey(key), dsaEncoding: "ieee-p1363" },
    signed.subarray(signed.length - 64));
}

/** Writes NAME.key (0600) and NAME.pub; refuses to replace a key unless forced. */
export function generateKeyFiles(name: string, force: boolean): { keyPath: string; pubPath: string; publicKey: Uint8Array } {
  const keyPath = `${name}.key`;
  const pubPath = `${name}.pub`;
  for (const p of [keyPath, pubPath]) {
    if (existsSync(p) && !force) throw new CliError(`${p} exists: a replaced fleet key strands every device provisioned with it (--force to replace)`);
  }
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  writeFileSync(keyPath, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  writeFileSync(pubPath, publicKey.export({ format: "pem", type: "spki" }));
  return { keyPath, pubPath, publicKey: rawPublic(publicKey) };
}
