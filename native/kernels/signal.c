/* The Signal library's audio front-end kernels other than the FFT (signal_fft.c), written
 * from TFLM's signal/src reference code: the same integer widths, shifts and wrap-arounds
 * (uint32 / uint64 modular arithmetic where the C++ relies on it), so the outputs are TFLM's
 * byte for byte. Sizes and table ranges were checked at prepare (op_prepare_signal.c). */
#include <string.h>

#include "kernels.h"

/* Bits needed for x != 0 (its most significant set bit, counted from 1). */
static inline uint32_t bit_length(uint64_t x)
{
#if defined(__GNUC__)
    return 64u - (uint32_t)__builtin_clzll(x);
#else
    uint32_t n = 0;
    while (x != 0) {
        x >>= 1;
        ++n;
    }
    return n;
#endif
}

/* MostSignificantBit32 / 64 as TFLM's GCC build computes them: 0 gives 32 / 64. */
static inline uint32_t msb32(uint32_t x)
{
    return x == 0 ? 32u : bit_length(x);
}

static inline uint32_t msb64(uint64_t x)
{
    return x == 0 ? 64u : bit_length(x);
}

static inline int16_t wrap16(int64_t v)
{
    const uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFu);
    return (int16_t)(u >= 0x8000u ? (int32_t)u - 0x10000 : (int32_t)u);
}

static inline int32_t wrap32(uint32_t u)
{
    return u >= 0x80000000u ? (int32_t)(u - 0x80000000u) + INT32_MIN : (int32_t)u;
}

ep_status ep_signal_window_s16(const int16_t *input, int32_t size, const int16_t *window,
                               int32_t window_size, int32_t shift, int16_t *output)
{
    if (input == NULL || window == NULL || output == NULL || window_size <= 0 ||
        size % window_size != 0 || shift < 0 || shift > 31) {
        return EP_ERR_ARG;
    }
    for (int32_t at = 0; at < size; at += window_size) {
        for (int32_t i = 0; i < window_size; ++i) {
            const int32_t raw = ((int32_t)input[at + i] * window[i]) >> shift;
            output[at + i] = (int16_t)(raw < INT16_MIN ? INT16_MIN : (raw > INT16_MAX ? INT16_MAX : raw));
        }
    }
    return EP_OK;
}

ep_status ep_signal_fft_auto_scale_s16(const int16_t *input, int32_t size, int16_t *output,
                                       int32_t *scale_bits)
{
    if (input == NULL || output == NULL || scale_bits == NULL || size < 0) {
        return EP_ERR_ARG;
    }
    /* TFLM's MaxAbs16 keeps the maximum in int16: -32768 stays -32768 */
    int16_t max = 0;
    for (int32_t i = 0; i < size; ++i) {
        const int32_t v = input[i];
        if (v > max) {
            max = (int16_t)v;
        } else if (-v > max) {
            max = wrap16(-v);
        }
    }
    int32_t bits = 16 - (int32_t)msb32((uint32_t)(int32_t)max) - 1;
    bits = bits <= 0 ? 0 : bits;
    for (int32_t i = 0; i < size; ++i) {
        output[i] = wrap16((int64_t)input[i] * ((int64_t)1 << bits));
    }
    *scale_bits = bits;
    return EP_OK;
}

ep_status ep_signal_energy(const ep_cplx16 *input, int32_t count, int32_t start, int32_t end,
                           uint32_t *output)
{
    if (input == NULL || output == NULL || start < 0 || end > count || start > end) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        if (i < start || i >= end) {
            output[i] = 0;
            continue;
        }
        const int32_t r = input[i].r, im = input[i].i;
        output[i] = (uint32_t)(r * r) + (uint32_t)(im * im);
    }
    return EP_OK;
}

ep_status ep_signal_filter_bank(const ep_filter_bank_params *params, const uint32_t *input,
                                uint64_t *output)
{
    if (params == NULL || input == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    uint64_t weighted = 0, unweighted = 0;
    for (int32_t c = 0; c <= params->channels; ++c) {
        const int32_t f0 = params->freq_starts[c], w0 = params->weight_starts[c];
        for (int32_t j = 0; j < params->widths[c]; ++j) {
            const uint64_t x = input[f0 + j];
            /* int16 weights converted to uint64 as in C++ (negatives wrap) */
            weighted += (uint64_t)(int64_t)params->weights[w0 + j] * x;
            unweighted += (uint64_t)(int64_t)params->unweights[w0 + j] * x;
        }
        if (c > 0) {
            output[c - 1] = weighted;  /* accumulator 0 is dropped, as TFLM copies from 1 */
        }
        weighted = unweighted;
        unweighted = 0;
    }
    return EP_OK;
}

static uint16_t sqrt32(uint32_t num)
{
    if (num == 0) {
        return 0;
    }
    uint32_t res = 0;
    int32_t max_bit = (32 - (int32_t)msb32(num)) | 1;
    uint32_t bit = 1u << (31 - max_bit);
    for (int32_t it = (31 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFu) {
        ++res;
    }
    return (uint16_t)res;
}

static uint32_t sqrt64(uint64_t num)
{
    if ((num >> 32) == 0) {
        return sqrt32((uint32_t)num);
    }
    uint64_t res = 0;
    int32_t max_bit = (64 - (int32_t)msb64(num)) | 1;
    uint64_t bit = (uint64_t)1 << (63 - max_bit);
    for (int32_t it = (63 - max_bit) / 2 + 1; it > 0; --it) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFu) {
        ++res;
    }
    return (uint32_t)res;
}

ep_status ep_signal_filter_bank_sqrt(const uint64_t *input, int32_t count, int32_t scale_bits,
                                     uint32_t *output)
{
    if (input == NULL || output == NULL || count < 0 || scale_bits < 0 || scale_bits > 31) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        output[i] = sqrt64(input[i]) >> scale_bits;
    }
    return EP_OK;
}

ep_status ep_signal_spectral_subtraction(const ep_spectral_subtraction_params *p,
                                         const uint32_t *input, uint32_t *state,
                                         uint32_t *output, uint32_t *out_noise)
{
    if (p == NULL || input == NULL || state == NULL || output == NULL ||
        p->smoothing_bits > 31 || p->spectral_subtraction_bits > 63) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < p->channels; ++i) {
        const bool odd = (i & 1) != 0;  /* the alternate coefficients on odd channels */
        const uint32_t sm = odd ? p->alternate_smoothing : p->smoothing;
        const uint32_t osm = odd ? p->alternate_one_minus_smoothing : p->one_minus_smoothing;
        const uint32_t up = input[i] << p->smoothing_bits;
        state[i] = (uint32_t)(((uint64_t)up * sm + (uint64_t)state[i] * osm) >>
                              p->spectral_subtraction_bits);
        uint32_t est = state[i];
        if (est > up) {
            est = up;
            if (p->clamping) {
                state[i] = est;
            }
        }
        const uint32_t floor_v = (uint32_t)(((uint64_t)input[i] * p->min_signal_remaining) >>
                                            p->spectral_subtraction_bits);
        const uint32_t sub = (up - est) >> p->smoothing_bits;
        output[i] = sub > floor_v ? sub : floor_v;
    }
    if (out_noise != NULL) {
        memcpy(out_noise, state, (size_t)p->channels * 4u);
    }
    return EP_OK;
}

#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6

/* TFLM's WideDynamicFunction: a 4-entry segment of the gain table per octave of x. */
static int16_t wide_dynamic(uint32_t x, const int16_t *lut)
{
    if (x <= 2) {
        return lut[x];
    }
    const int32_t interval = (int32_t)msb32(x);
    lut += 4 * interval - 6;
    const int32_t frac = (int32_t)(((interval < 11) ? (x << (11 - interval))
                                                     : (x >> (interval - 11))) & 0x3FFu);
    /* int32 arithmetic of the C++, with its wrap-around made explicit */
    uint32_t r = (uint32_t)(((int32_t)lut[2] * frac) >> 5);
    r += (uint32_t)lut[1] << 5;
    r *= (uint32_t)frac;
    int32_t s = wrap32(r + (1u << 14)) >> 15;
    s = wrap32((uint32_t)s + (uint32_t)(int32_t)lut[0]);
    return wrap16(s);
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS)) {
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    }
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

ep_status ep_signal_pcan(const uint32_t *input, const uint32_t *noise, const int16_t *gain_lut,
                         int32_t lut_size, int32_t snr_shift, int32_t count, uint32_t *output)
{
    /* the largest index wide_dynamic reads: 4 * 32 - 6 + 2 */
    if (input == NULL || noise == NULL || gain_lut == NULL || output == NULL || lut_size < 125 ||
        snr_shift < 0 || snr_shift > 63) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        const uint32_t gain = (uint32_t)(int32_t)wide_dynamic(noise[i], gain_lut);
        const uint32_t snr = (uint32_t)(((uint64_t)input[i] * gain) >> snr_shift);
        output[i] = pcan_shrink(snr);
    }
    return EP_OK;
}

/* round((log2(1 + i / 128) - i / 128) * 65536) for i = 0..128, then a 0 guard entry; made by
 * python3 -c "import math; print([round((math.log2(1+i/128)-i/128)*65536) for i in range(129)])"
 * and equal to TFLM's kLogLut (host-tests/engine/signal-ops.test.ts checks the formula). */
static const uint16_t log_lut[130] = {
    0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
    2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549,
    4633, 4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444,
    5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626,
    5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203,
    5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264,
    4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875,
    2768, 2659, 2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094,
    963, 830, 695, 559, 421, 282, 142, 0, 0};

static uint32_t log32(uint32_t x, uint32_t out_scale)
{
    const uint32_t integer = msb32(x) - 1;
    int32_t frac = wrap32((uint32_t)(x - ((uint32_t)1 << integer)));
    frac = integer < 16 ? (int32_t)((uint32_t)frac << (16 - integer)) : frac >> (integer - 16);
    const uint32_t seg = (uint32_t)frac >> 9;
    const int32_t c0 = log_lut[seg], c1 = log_lut[seg + 1];
    const int32_t rel = ((c1 - c0) * (frac - (int32_t)(512u * seg))) >> 16;
    const uint32_t fraction = (uint32_t)frac + (uint32_t)c0 + (uint32_t)rel;
    const uint32_t log2v = (integer << 16) + fraction;
    const uint32_t loge = (uint32_t)(((uint64_t)45426 * log2v + 32768u) >> 16);
    return (out_scale * loge + 32768u) >> 16;
}

ep_status ep_signal_filter_bank_log(const uint32_t *input, int32_t count, int32_t output_scale,
                                    int32_t correction_bits, int16_t *output)
{
    if (input == NULL || output == NULL || correction_bits < 0 || correction_bits > 31) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        const uint32_t scaled = input[i] << correction_bits;
        if (scaled > 1) {
            const uint32_t v = log32(scaled, (uint32_t)output_scale);
            output[i] = (int16_t)(v < (uint32_t)INT16_MAX ? v : (uint32_t)INT16_MAX);
        } else {
            output[i] = 0;
        }
    }
    return EP_OK;
}

static inline int8_t wrap8(uint32_t u)
{
    const uint32_t b = u & 0xFFu;
    return (int8_t)(b >= 0x80u ? (int32_t)b - 0x100 : (int32_t)b);
}

static bool cast_type(int32_t t)
{
    return t == EP_TYPE_INT8 || t == EP_TYPE_INT16 || t == EP_TYPE_INT32 || t == EP_TYPE_UINT32;
}

ep_status ep_cast(const void *input, int32_t in_type, void *output, int32_t out_type,
                  int32_t count)
{
    if (input == NULL || output == NULL || !cast_type(in_type) || !cast_type(out_type) ||
        count < 0) {
        return EP_ERR_ARG;
    }
    const bool in32 = in_type == EP_TYPE_INT32 || in_type == EP_TYPE_UINT32;
    const bool out32 = out_type == EP_TYPE_INT32 || out_type == EP_TYPE_UINT32;
    if ((in32 && out32) || in_type == out_type) {
        /* int32 <-> uint32 is modular: the same bytes */
        memmove(output, input, (size_t)count * (in32 ? 4u : (in_type == EP_TYPE_INT16 ? 2u : 1u)));
        return EP_OK;
    }
    for (int32_t i = 0; i < count; ++i) {
        uint32_t u;  /* the value modulo 2^32, as the C++ conversions take it */
        switch (in_type) {
        case EP_TYPE_INT8: u = (uint32_t)(int32_t)((const int8_t *)input)[i]; break;
        case EP_TYPE_INT16: u = (uint32_t)(int32_t)((const int16_t *)input)[i]; break;
        default: u = ((const uint32_t *)input)[i]; break;
        }
        switch (out_type) {
        case EP_TYPE_INT8: ((int8_t *)output)[i] = wrap8(u); break;
        case EP_TYPE_INT16: ((int16_t *)output)[i] = wrap16((int64_t)u); break;
        case EP_TYPE_INT32: ((int32_t *)output)[i] = wrap32(u); break;
        default: ((uint32_t *)output)[i] = u; break;
        }
    }
    return EP_OK;
}

ep_status ep_elementwise_s32(const ep_i32_params *params, const ep_broadcast_dims *dims,
                             const int32_t *input_1, const int32_t *input_2, int32_t *output)
{
    if (params == NULL || dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t rows = ep_broadcast_rows(dims), n = dims->dims[5];
    const int32_t s1 = dims->stride_1[5], s2 = dims->stride_2[5];
    ep_broadcast_walk w = {{0, 0, 0, 0, 0}, 0, 0};
    for (int32_t r = 0; r < rows; ++r) {
        const int32_t *a = input_1 + w.off_1, *b = input_2 + w.off_2;
        for (int32_t i5 = 0; i5 < n; ++i5) {
            const int32_t x = a[i5 * s1], y = b[i5 * s2];
            int32_t v;
            switch (params->op) {
            case EP_I32_ADD: v = wrap32((uint32_t)x + (uint32_t)y); break;
            case EP_I32_MUL: v = wrap32((uint32_t)x * (uint32_t)y); break;
            case EP_I32_DIV:
                if (y == 0 || (x == INT32_MIN && y == -1)) {
                    return EP_ERR_ARG;
                }
                v = x / y;
                break;
            case EP_I32_MIN: v = x < y ? x : y; break;
            default: v = x > y ? x : y; break;
            }
            *output++ = v < params->act_min ? params->act_min
                                            : (v > params->act_max ? params->act_max : v);
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}
