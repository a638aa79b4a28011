/* SOFTMAX int8 -> int8 / int16 (TFLM reference_ops::Softmax over gemmlowp
 * fixed point, fixedpoint.c). Written from the description in int8-semantics.md section 5:
 * differences in Q5.26, exp via Taylor series plus barrel shifter (Q0.31),
 * sum in Q12.19, reciprocal by Newton-Raphson. */
#include <math.h>

#include "kernels.h"

enum { SCALED_DIFF_BITS = 5, ACCUM_BITS = 12 };

static int32_t clz32(uint32_t v)
{
    int32_t n = 0;
    if (v == 0) {
        return 32;
    }
    while ((v & 0x80000000u) == 0) {
        v <<= 1;
        ++n;
    }
    return n;
}

ep_status ep_softmax_prepare(double beta, double input_scale, ep_softmax_params *out)
{
    int32_t mult, shift;
    if (out == NULL) {
        return EP_ERR_ARG;
    }
    double real = beta * input_scale * (double)(1 << (31 - SCALED_DIFF_BITS));
    if (real > 2147483647.0) {
        real = 2147483647.0;
    }
    const ep_status st = ep_quantize_multiplier(real, &mult, &shift);
    if (st != EP_OK || shift < 0) {
        return EP_ERR_QUANT;
    }
    out->input_multiplier = mult;
    out->input_left_shift = shift;
    /* CalculateInputRadius(5, shift): floor(31 * 2^26 / 2^shift) */
    const double radius = 31.0 * (double)(1u << 26) / ldexp(1.0, shift);
    out->diff_min = -(int32_t)floor(radius);
    return EP_OK;
}

/* Shared row loop; out_bits 8 or 16. */
static void softmax_rows(const int8_t *input, int32_t rows, int32_t n,
                         const ep_softmax_params *p, void *output, int32_t out_bits)
{
    const int32_t qmin = out_bits == 8 ? -128 : -32768;
    const int32_t qmax = out_bits == 8 ? 127 : 32767;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *x = input + (size_t)r * (size_t)n;
        int32_t mx = -128;
        for (int32_t i = 0; i < n; ++i) {
            mx = x[i] > mx ? x[i] : mx;
        }
        uint32_t sum = 0; /* unsigned: very long rows wrap instead of UB */
        for (int32_t i = 0; i < n; ++i) {
            const int32_t d = x[i] - mx;
            if (d >= p->diff_min) {
                const int32_t scaled = ep_requantize(d, p->input_multiplier, p->input_left_shift);
                const int32_t e = ep_fx_exp_on_negative(scaled, SCALED_DIFF_BITS);
                sum += (uint32_t)ep_rounding_divide_by_pot(e, ACCUM_BITS);
            }
        }
        const int32_t headroom = clz32(sum);
        const int32_t bits_over_unit = ACCUM_BITS - headroom;
        const int32_t shifted = (int32_t)((sum << (headroom & 31)) - 0x80000000u);
        const int32_t recip = ep_fx_one_over_one_plus_x(shifted);
        const int32_t out_shift = bits_over_unit + 31 - out_bits;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t d = x[i] - mx;
            int32_t v = qmin;
            if (d >= p->diff_min) {
                const int32_t scaled = ep_requantize(d, p->input_multiplier, p->input_left_shift);
                const int32_t e = ep_fx_exp_on_negative(scaled, SCALED_DIFF_BITS);
                const int32_t prod = ep_srdhm(recip, e);
                v = out_shift >= 0 && out_shift < 32 ? ep_rounding_divide_by_pot(prod, out_shift)
                                                     : 0;
                v = ep_clamp(v + qmin, qmin, qmax);
            }
            if (out_bits == 8) {
                ((int8_t *)output)[(size_t)r * (size_t)n + (size_t)i] = (int8_t)v;
            } else {
                ((int16_t *)output)[(size_t)r * (size_t)n + (size_t)i] = (int16_t)v;
            }
        }
    }
}

ep_status ep_softmax_s8(const int8_t *input, int32_t num_rows, int32_t row_size,
                        const ep_softmax_params *params, int8_t *output)
{
    if (input == NULL || params == NULL || output == NULL || num_rows < 0 || row_size < 0) {
        return EP_ERR_ARG;
    }
    softmax_rows(input, num_rows, row_size, params, output, 8);
    return EP_OK;
}

ep_status ep_softmax_s8_s16(const int8_t *input, int32_t num_rows, int32_t row_size,
                            const ep_softmax_params *params, int16_t *output)
{
    if (input == NULL || params == NULL || output == NULL || num_rows < 0 || row_size < 0) {
        return EP_ERR_ARG;
    }
    softmax_rows(input, num_rows, row_size, params, output, 16);
    return EP_OK;
}
