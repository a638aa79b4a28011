/**
 * Names on the wire (device ids, fleet names, error codes) are ASCII of a restricted set, so XS
 * needs no TextEncoder and every name is also a valid MQTT topic level.
 */
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Throws RangeError unless `name` is 1..64 characters of A-Z a-z 0-9 _ . - */
export function checkName(what: string, name: string): void {
  if (!NAME.test(name)) throw new RangeError(`${what} "${name}" must be 1..64 characters of A-Z a-z 0-9 _ . -`);
}

export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7e || c < 0x20) throw new RangeError(`not printable ASCII at ${i} in "${text}"`);
    out[i] = c;
  }
  return out;
}

export function asciiText(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c > 0x7e || c < 0x20) throw new RangeError(`byte ${c} at ${i} is not printable ASCII`);
    s += String.fromCharCode(c);
  }
  return s;
}

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += (bytes[i]! < 16 ? "0" : "") + bytes[i]!.toString(16);
  return s;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
