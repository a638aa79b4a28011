import type { EntropySource } from "./key-agreement.js";

/**
 * Random bytes from ESP32's hardware RNG through XS: on the esp platform XS defines c_rand() as
 * 0x7fffffff & esp_random() (xs/platforms/esp/xsHost.h) and Math.random() returns c_rand() /
 * C_RAND_MAX (INT32_MAX), redrawing INT32_MAX. The SDK gives JS no other door to esp_random
 * (its crypt rng is RC4 over c_rand). Math.round(x * C_RAND_MAX) gives c_rand()'s value back
 * exactly (two roundings of at most 2^-53 relative each: under 2^-21 absolute, far below 0.5),
 * uniform on 0..2^31 - 2; its low 24 bits are uniform to within 2^-31 per draw.
 * ESP-IDF: esp_random is a true random source while Wi-Fi or Bluetooth runs (or after
 * bootloader_random_enable()); without them it is only pseudo-random. Only the ESP32 targets
 * may use this: on lin and nrf52 c_rand is libc rand(). Portable (Math.random only), so the host
 * tests check the recovery; the Moddable target picks it for ESP32 boards.
 */
export const espRandomEntropy: EntropySource = (length) => bytesFromCRand(Math.random, length);

/** `length` bytes, three from each draw of `random` (a c_rand() / INT32_MAX source). */
export function bytesFromCRand(random: () => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += 3) {
    const r = Math.round(random() * C_RAND_MAX);
    if (!(r >= 0 && r < C_RAND_MAX)) throw new Error(`entropy: c_rand draw ${r} outside 0..2^31-2`);
    out[i] = r & 0xff;
    if (i + 1 < length) out[i + 1] = (r >>> 8) & 0xff;
    if (i + 2 < length) out[i + 2] = (r >>> 16) & 0xff;
  }
  return out;
}

const C_RAND_MAX = 0x7fffffff;
