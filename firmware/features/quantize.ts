// Real values -> the model's int8 input, exactly as TFLite's QUANTIZE computes it:
// q = round_half_away_from_zero(x / scale) + zeroPoint, saturated to [-128, 127].
// (JavaScript's Math.round rounds halves toward +Infinity, which differs on negative ties.)

export interface InputQuantization {
  readonly scale: number;
  readonly zeroPoint: number;
}

export function roundHalfAwayFromZero(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

export function quantizeToInt8(
  values: ArrayLike<number>,
  quant: InputQuantization,
  out: Int8Array = new Int8Array(values.length),
): Int8Array {
  if (out.length < values.length) throw new RangeError(`quantize: output ${out.length} < ${values.length}`);
  if (!(quant.scale > 0)) throw new RangeError(`quantize: scale must be > 0, got ${quant.scale}`);
  for (let i = 0; i < values.length; i++) {
    const q = roundHalfAwayFromZero(values[i] / quant.scale) + quant.zeroPoint;
    out[i] = q < -128 ? -128 : q > 127 ? 127 : q;
  }
  return out;
}

export function dequantizeInt8(q: ArrayLike<number>, quant: InputQuantization): Float64Array {
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = (q[i] - quant.zeroPoint) * quant.scale;
  return out;
}
