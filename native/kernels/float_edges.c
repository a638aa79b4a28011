/* QUANTIZE float32 -> int8 / int16 and DEQUANTIZE int8 / int16 -> float32 at the edges of a
 * model whose input / output stay float32 (the converter's inference_input_type float
 * setting). TFLM reference AffineQuantize: round(x / scale) in float32, half away from zero,
 * plus the zero point, clamped; Dequantize: (float)(double(scale) * (q - zp)). The only
 * floating point at invoke in the engine, and only in models that ask for it. */
#include "kernels.h"

/* round-half-away-from-zero of x / scale as an int32 (std::round then the cast TFLM does);
 * beyond int32 saturates, NaN gives INT32_MIN (what the cast gives on x86; TFLM's cast is
 * undefined there). */
static int32_t round_div(float x, float scale)
{
    const float q = x / scale;
    if (!(q == q) || q <= -2147483648.0f) {
        return INT32_MIN;
    }
    if (q >= 2147483648.0f) {
        return INT32_MAX;
    }
    int32_t t = (int32_t)q;          /* truncation, exact: |q| < 2^31 */
    const float f = q - (float)t;    /* exact: below 2^23 q has a fraction, above it none */
    t += f >= 0.5f ? 1 : (f <= -0.5f ? -1 : 0);
    return t;
}

ep_status ep_quantize_f32(const float *input, float scale, int32_t zero_point, int32_t out_type,
                          void *output, int32_t count)
{
    if (input == NULL || output == NULL || count < 0 || !(scale > 0.0f) ||
        (out_type != EP_TYPE_INT8 && out_type != EP_TYPE_INT16)) {
        return EP_ERR_ARG;
    }
    const int32_t lo = out_type == EP_TYPE_INT8 ? -128 : -32768;
    const int32_t hi = out_type == EP_TYPE_INT8 ? 127 : 32767;
    for (int32_t i = 0; i < count; ++i) {
        const int64_t v = (int64_t)round_div(input[i], scale) + zero_point;
        const int32_t c = (int32_t)(v < lo ? lo : (v > hi ? hi : v));
        if (out_type == EP_TYPE_INT8) {
            ((int8_t *)output)[i] = (int8_t)c;
        } else {
            ((int16_t *)output)[i] = (int16_t)c;
        }
    }
    return EP_OK;
}

ep_status ep_dequantize_f32(const void *input, int32_t in_type, float scale, int32_t zero_point,
                            float *output, int32_t count)
{
    if (input == NULL || output == NULL || count < 0 ||
        (in_type != EP_TYPE_INT8 && in_type != EP_TYPE_INT16)) {
        return EP_ERR_ARG;
    }
    const double s = (double)scale;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t q = in_type == EP_TYPE_INT8 ? ((const int8_t *)input)[i]
                                                  : ((const int16_t *)input)[i];
        output[i] = (float)(s * (double)(q - zero_point));
    }
    return EP_OK;
}
