// The Moddable SDK's "crypt" module (modules/crypt/digest/crypt.js), only the Digest class the
// firmware uses, with the signatures of the SDK's own typings/crypt.d.ts (SDK 8.2.3). Needed
// only by tsconfig.moddable.json: @moddable/typings 5.6.0 on npm predates that file, and a real
// mcconfig build takes the SDK's (this file is in no manifest, so the two never meet).
declare module "crypt" {
  type DigestType = "MD5" | "SHA1" | "SHA224" | "SHA256" | "SHA384" | "SHA512";
  export class Digest {
    constructor(type: DigestType);
    write(message: string | ArrayBuffer): void;
    close(): ArrayBuffer;
    reset(): void;
    get blockSize(): number;
    get outputSize(): number;
    update(message: string | ArrayBuffer): void;
  }
}
