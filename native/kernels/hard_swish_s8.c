/* HARD_SWISH int8 (TFLM reference_ops::HardSwish, int8 path): x * relu6(x + 3) / 6 in int16
 * fixed point. x - z_in goes to a "hires" scale (input scale / 2^7); one 16-bit multiplier
 * takes it to the output scale (before the final shift), another to the "relu-ish" scale on
 * which 3.0 is 2^15, where it saturates to [-1, 1], is mapped to [0, 1] and multiplies the
 * first. Every step keeps TFLM's int16 types, roundings and saturations. */
#include <math.h>

#include "kernels.h"

/* gemmlowp SaturatingRoundingDoublingHighMul for int16 (sign-dependent nudge, truncating
 * division). */
static int16_t srdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* TFLM SaturatingDoublingHighMul: the same without rounding (truncates toward zero). */
static int16_t sdhm16(int16_t a, int16_t b)
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* TFLM SaturatingLeftShift on int16 (amount 0..30). */
static int16_t sat_shl16(int16_t v, int32_t amount)
{
    const int64_t r = (int64_t)v * ((int64_t)1 << amount);
    return (int16_t)(r > INT16_MAX ? INT16_MAX : r < INT16_MIN ? INT16_MIN : r);
}

/* gemmlowp RoundingDivideByPOT on int16 (exponent 0..31): the mask is formed in 64 bits and
 * narrowed to int16, so exponents past 15 wrap it to all ones, as TFLM's does. */
static int16_t rdbp16(int16_t x, int32_t exponent)
{
    const int16_t mask = (int16_t)(uint16_t)(((uint64_t)1 << exponent) - 1u);
    const int16_t remainder = (int16_t)(x & mask);
    const int16_t threshold = (int16_t)((mask >> 1) + (x < 0 ? 1 : 0));
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

/* TFLM DownScaleInt32ToInt16Multiplier. */
static int32_t downscale16(int32_t m)
{
    if (m >= INT32_MAX - (1 << 15)) {
        return INT16_MAX;
    }
    return (m + (1 << 15)) >> 16;
}

ep_status ep_hard_swish_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                                int32_t output_zero_point, ep_hard_swish_params *out)
{
    int32_t m, e;
    if (out == NULL) {
        return EP_ERR_ARG;
    }
    if (!(input_scale > 0.0f) || !(output_scale > 0.0f) || isinf(input_scale) ||
        isinf(output_scale)) {
        return EP_ERR_QUANT;
    }
    /* TFLM forms both ratios in float32, then widens them */
    const float hires_scale = (1.0f / 128.0f) * input_scale;
    const float reluish_scale = 3.0f / 32768.0f;
    const float out_ratio = hires_scale / output_scale;
    const float reluish_ratio = hires_scale / reluish_scale;
    if (ep_quantize_multiplier((double)out_ratio, &m, &e) != EP_OK || e > 0) {
        return EP_ERR_QUANT; /* TFLM: output_multiplier_exponent <= 0 */
    }
    out->output_multiplier = downscale16(m);
    out->output_exponent = e;
    if (ep_quantize_multiplier((double)reluish_ratio, &m, &e) != EP_OK) {
        return EP_ERR_QUANT; /* exponent > 31: TFLM's left shift would be undefined */
    }
    out->reluish_multiplier = downscale16(m);
    out->reluish_exponent = e;
    /* TFLM keeps the zero points as int16 */
    out->input_zero_point = (int16_t)input_zero_point;
    out->output_zero_point = (int16_t)output_zero_point;
    return EP_OK;
}

ep_status ep_hard_swish_s8(const ep_hard_swish_params *params, const int8_t *input,
                           int8_t *output, int32_t count)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int16_t out_mult = (int16_t)params->output_multiplier;
    const int16_t rel_mult = (int16_t)params->reluish_multiplier;
    const int32_t rel_exp = params->reluish_exponent;
    const int32_t out_exp = params->output_exponent;
    const int16_t in_zp = (int16_t)params->input_zero_point;
    const int16_t out_zp = (int16_t)params->output_zero_point;
    for (int32_t i = 0; i < count; ++i) {
        const int16_t x = (int16_t)(input[i] - in_zp);
        const int16_t hires = (int16_t)(x * (1 << 7));
        const int16_t preshift_out = srdhm16(hires, out_mult);
        int16_t reluish = hires;
        if (rel_exp > 0) {
            reluish = sat_shl16(reluish, rel_exp - 1);
        }
        reluish = srdhm16(reluish, rel_mult);
        if (rel_exp > 0) {
            reluish = sat_shl16(reluish, 1);
        }
        if (rel_exp < 0) {
            reluish = rdbp16(reluish, -rel_exp);
        }
        reluish = (int16_t)((reluish + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */
        const int16_t preshift = sdhm16(reluish, preshift_out);
        int16_t v = rdbp16(preshift, -out_exp);
        v = (int16_t)(v + out_zp); /* int16 like TFLM's, which wraps before the clamp */
        v = v > 127 ? 127 : v;
        v = v < -128 ? -128 : v;
        output[i] = (int8_t)v;
    }
    return EP_OK;
}
