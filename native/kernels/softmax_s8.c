/* SOFTMAX int8 -> int8 / int16 (TFLM reference_ops::Softmax over gemmlowp
 * fixed point). Written from the description in int8-semantics.md section 5:
 * differences in Q5.26, exp via Taylor series plus barrel shifter (Q0.31),
 * sum in Q12.19, reciprocal by Newton-Raphson. */
#include <math.h>

#include "kernels.h"

enum { SCALED_DIFF_BITS = 5, ACCUM_BITS = 12 };

/* gemmlowp SaturatingRoundingMultiplyByPOT for a positive exponent. */
static int32_t sat_shl(int32_t x, int32_t e)
{
    const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), a and result Q0.31. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28); /* a + 1/8: Taylor expansion point */
    const int32_t x2 = ep_srdhm(x, x);
    const int32_t x3 = ep_srdhm(x2, x);
    const int32_t x4 = ep_srdhm(x2, x2);
    const int32_t x4_over_4 = ep_rounding_divide_by_pot(x4, 2);
    const int32_t poly = ep_rounding_divide_by_pot(ep_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + ep_srdhm(exp_minus_one_eighth, x + poly);
}

/* gemmlowp exp_on_negative_values for Q5.26 input, Q0.31 output. */
static int32_t exp_negative(int32_t a)
{
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};
    const int32_t quarter = 1 << 24;
    const int32_t a_mod = (a & (quarter - 1)) - quarter;
    int32_t result = exp_quarter(sat_shl(a_mod, SCALED_DIFF_BITS));
    const int32_t remainder = a_mod - a;
    for (int32_t k = 0; k < 7; ++k) {
        /* bit 24 + k of the remainder selects exp(-2^(k-2)) */
        if ((remainder & (1 << (24 + k))) != 0) {
            result = ep_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) for x in [0, 1), Q0.31 in and out (Newton-Raphson, Q2.29). */
static int32_t one_over_one_plus_x(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810;
    const int32_t cneg32_17 = -1010580540;
    int32_t x = c48_17 + ep_srdhm(half_denominator, cneg32_17);
    for (int i = 0; i < 3; ++i) {
        const int32_t hdx = ep_srdhm(half_denominator, x);
        const int32_t one_minus = (1 << 29) - hdx;
        x = x + sat_shl(ep_srdhm(x, one_minus), 2);
    }
    return sat_shl(x, 1);
}

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
                const int32_t e = exp_negative(ep_requantize(d, p->input_multiplier,
                                                             p->input_left_shift));
                sum += (uint32_t)ep_rounding_divide_by_pot(e, ACCUM_BITS);
            }
        }
        const int32_t headroom = clz32(sum);
        const int32_t bits_over_unit = ACCUM_BITS - headroom;
        const int32_t shifted = (int32_t)((sum << (headroom & 31)) - 0x80000000u);
        const int32_t recip = one_over_one_plus_x(shifted);
        const int32_t out_shift = bits_over_unit + 31 - out_bits;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t d = x[i] - mx;
            int32_t v = qmin;
            if (d >= p->diff_min) {
                const int32_t e = exp_negative(ep_requantize(d, p->input_multiplier,
                                                             p->input_left_shift));
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
