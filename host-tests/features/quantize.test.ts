import assert from 'node:assert/strict';
import { quantizeToInt8, roundHalfAwayFromZero } from '../../firmware/features/quantize.js';

describe('features/quantize', () => {
  it('rounds halves away from zero as TFLite (std::round) does, unlike Math.round', () => {
    assert.equal(roundHalfAwayFromZero(2.5), 3);
    assert.equal(roundHalfAwayFromZero(-2.5), -3);
    assert.equal(Math.round(-2.5), -2); // the trap this module avoids
    assert.equal(roundHalfAwayFromZero(-0.4), -0);
  });

  it('quantizes with scale and zero point and saturates to int8', () => {
    // hello_world_int8's input quantisation: s=0.0244801156, zp=-128 (x=0 -> -128).
    const q = quantizeToInt8([0, 0.0244801156 * 10, 6.28, 100, -100], { scale: 0.0244801156, zeroPoint: -128 });
    assert.deepEqual(Array.from(q), [-128, -118, 127, 127, -128]);
    // 6.28 / s = 256.5... -> 257 - 128 = 129 -> saturates at 127.
  });

  it('refuses a non-positive scale and a short output', () => {
    assert.throws(() => quantizeToInt8([1], { scale: 0, zeroPoint: 0 }), RangeError);
    assert.throws(() => quantizeToInt8([1, 2], { scale: 1, zeroPoint: 0 }, new Int8Array(1)), RangeError);
  });
});
