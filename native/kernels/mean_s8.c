/* MEAN / SUM, int8 and int16 (TFLM reference QuantizedMeanOrSum, one template
 * for both types): every input element is added into the int32 accumulator of
 * its output element (the index with the reduced dimensions dropped), then
 * each sum has z_in * count taken off and is requantised with (multiplier,
 * shift) -- for MEAN the count folded in --, plus z_out, clamped to the output
 * type. The sums wrap like TFLM's. */
#include "kernels.h"

int32_t ep_mean_s8_get_buffer_size(const ep_mean_params *params)
{
    return params == NULL ? 0 : params->out_count * 4;
}

int32_t ep_mean_s16_get_buffer_size(const ep_mean_params *params)
{
    return ep_mean_s8_get_buffer_size(params);
}

/* One input row of n elements (int8 when in8 != NULL, else int16) into acc:
 * all into acc[0] when the innermost dimension is reduced (os == 0). */
static void add_row(uint32_t *acc, int32_t os, const int8_t *in8, const int16_t *in16, int32_t n)
{
    if (os == 0) {
        uint32_t sum = 0;
        if (in8 != NULL) {
            for (int32_t i = 0; i < n; ++i) {
                sum += (uint32_t)(int32_t)in8[i];
            }
        } else {
            for (int32_t i = 0; i < n; ++i) {
                sum += (uint32_t)(int32_t)in16[i];
            }
        }
        acc[0] += sum;
    } else if (in8 != NULL) {
        for (int32_t i = 0; i < n; ++i) {
            acc[i] += (uint32_t)(int32_t)in8[i];
        }
    } else {
        for (int32_t i = 0; i < n; ++i) {
            acc[i] += (uint32_t)(int32_t)in16[i];
        }
    }
}

/* The shared body: exactly one of in8 / in16 and of out8 / out16 is set. */
static ep_status mean_any(const ep_context *ctx, const ep_mean_params *params,
                          const int8_t *in8, const int16_t *in16, int8_t *out8, int16_t *out16)
{
    if (ctx == NULL || params == NULL || (in8 == NULL && in16 == NULL) ||
        (out8 == NULL && out16 == NULL) || params->out_count < 0 || ctx->buf == NULL ||
        ctx->size < params->out_count * 4) {
        return params != NULL && params->out_count == 0 ? EP_OK : EP_ERR_ARG;
    }
    uint32_t *acc = (uint32_t *)ctx->buf;
    for (int32_t i = 0; i < params->out_count; ++i) {
        acc[i] = 0;
        if (out8 != NULL) {
            out8[i] = 0;
        } else {
            out16[i] = 0;
        }
    }
    /* Output strides: the kept dimensions row-major, 0 along reduced ones. */
    int32_t ostride[EP_MAX_DIMS];
    int32_t s = 1;
    int64_t in_count = 1;
    for (int32_t k = EP_MAX_DIMS - 1; k >= 0; --k) {
        ostride[k] = params->reduce[k] ? 0 : s;
        s *= params->reduce[k] ? 1 : params->in_dims[k];
        in_count *= params->in_dims[k];
    }
    if (in_count == 0 || params->count == 0) {
        return EP_OK; /* TFLM: an empty input leaves the zeroed output */
    }
    /* Odometer over the five outer dimensions; the innermost runs linearly. */
    const int32_t n = params->in_dims[EP_MAX_DIMS - 1], os = ostride[EP_MAX_DIMS - 1];
    const int64_t rows = in_count / n;
    int32_t idx[EP_MAX_DIMS - 1] = {0};
    int32_t off = 0;
    for (int64_t r = 0; r < rows; ++r) {
        add_row(acc + off, os, in8, in16, n);
        if (in8 != NULL) {
            in8 += n;
        } else {
            in16 += n;
        }
        for (int32_t k = EP_MAX_DIMS - 2; k >= 0; --k) {
            off += ostride[k];
            if (++idx[k] < params->in_dims[k]) {
                break;
            }
            idx[k] = 0;
            off -= params->in_dims[k] * ostride[k];
        }
    }
    const uint32_t zsum = (uint32_t)((int64_t)params->input_zp * params->count);
    const int32_t lo = out8 != NULL ? -128 : -32768, hi = out8 != NULL ? 127 : 32767;
    for (int32_t i = 0; i < params->out_count; ++i) {
        const int32_t shifted = (int32_t)(acc[i] - zsum);
        const int32_t v = (int32_t)((uint32_t)ep_requantize(shifted, params->multiplier,
                                                            params->shift) +
                                    (uint32_t)params->output_zp);
        if (out8 != NULL) {
            out8[i] = (int8_t)ep_clamp(v, lo, hi);
        } else {
            out16[i] = (int16_t)ep_clamp(v, lo, hi);
        }
    }
    return EP_OK;
}

ep_status ep_mean_s8(const ep_context *ctx, const ep_mean_params *params, const int8_t *input,
                     int8_t *output)
{
    if (input == NULL || output == NULL) {
        return params != NULL && params->out_count == 0 ? EP_OK : EP_ERR_ARG;
    }
    return mean_any(ctx, params, input, NULL, output, NULL);
}

ep_status ep_mean_s16(const ep_context *ctx, const ep_mean_params *params, const int16_t *input,
                      int16_t *output)
{
    if (input == NULL || output == NULL) {
        return params != NULL && params->out_count == 0 ? EP_OK : EP_ERR_ARG;
    }
    return mean_any(ctx, params, NULL, input, NULL, output);
}

ep_status ep_mean_multiplier(double s_in, double s_out, int64_t count, bool fold,
                             int32_t *multiplier, int32_t *shift)
{
    int32_t m, s;
    if (multiplier == NULL || shift == NULL || s_out == 0.0 ||
        ep_quantize_multiplier(s_in / s_out, &m, &s) != EP_OK) {
        return EP_ERR_QUANT;
    }
    if (count > 0 && fold) {
        int32_t sh = 0;
        while (((uint64_t)count >> (sh + 1)) != 0) {
            ++sh;
        }
        sh = sh < 32 ? sh : 32;
        sh = sh < 31 + s ? sh : 31 + s;
        m = (int32_t)(((int64_t)m << sh) / count);
        s -= sh;
    }
    *multiplier = m;
    *shift = s;
    return EP_OK;
}
