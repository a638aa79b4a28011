/* TRANSPOSE_CONV int8 and 16x8 (TFLM reference_integer_ops::TransposeConv, what the converter
 * writes for Keras Conv2DTranspose): every input pixel scatters (x + input_offset) * w into the
 * accumulators of the output pixels its filter window covers (taps outside the output are
 * skipped), then each accumulator gets its bias, per-channel requantisation and the clamp.
 * int8: int32 accumulators, the input offset, the double-rounding requantisation and the output
 * zero point. 16x8: symmetric activations (no offsets), int64 accumulators and bias, the
 * reduced-multiplier int64 requantisation. The sum per accumulator is the same set of products
 * in another order; addition wraps (done unsigned), so the order cannot change the bytes. One
 * scatter serves both: it is inlined into each entry point with the width a constant, so each
 * keeps its own inner loop. */
#include <string.h>

#include "kernels.h"

int32_t ep_transpose_conv_s8_get_buffer_size(const ep_dims *out_dims)
{
    return out_dims == NULL ? 0 : out_dims->n * out_dims->h * out_dims->w * out_dims->c * 4;
}

int32_t ep_transpose_conv_s16_get_buffer_size(const ep_dims *out_dims)
{
    return out_dims == NULL ? 0 : out_dims->n * out_dims->h * out_dims->w * out_dims->c * 8;
}

static bool tconv_args_ok(const ep_context *ctx, const ep_conv_params *params,
                          const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                          const void *input, const ep_dims *filt_dims, const int8_t *filter,
                          const ep_dims *out_dims, const void *output, int32_t acc_bytes)
{
    if (ctx == NULL || params == NULL || quant == NULL || in_dims == NULL || input == NULL ||
        filt_dims == NULL || filter == NULL || out_dims == NULL || output == NULL ||
        quant->multiplier == NULL || quant->shift == NULL || in_dims->n != out_dims->n ||
        filt_dims->c != in_dims->c || filt_dims->n != out_dims->c ||
        params->stride.w <= 0 || params->stride.h <= 0) {
        return false;
    }
    const int32_t total = out_dims->n * out_dims->h * out_dims->w * out_dims->c;
    return ctx->buf != NULL && ctx->size >= total * acc_bytes;
}

/* Zeroes the accumulators (uint32 for int8, uint64 for 16x8) and scatters every input pixel. */
static inline void scatter(const ep_conv_params *params, const ep_dims *in_dims,
                           const void *input, const ep_dims *filt_dims, const int8_t *filter,
                           const ep_dims *out_dims, void *acc, bool s16)
{
    const int32_t oc_n = out_dims->c, ic_n = in_dims->c, kh = filt_dims->h, kw = filt_dims->w;
    const size_t total = (size_t)out_dims->n * out_dims->h * out_dims->w * oc_n;
    memset(acc, 0, total * (s16 ? 8u : 4u));
    const int32_t io = params->input_offset;
    for (int32_t b = 0; b < in_dims->n; ++b) {
        for (int32_t iy = 0; iy < in_dims->h; ++iy) {
            const int32_t oy0 = iy * params->stride.h - params->padding.h;
            for (int32_t ix = 0; ix < in_dims->w; ++ix) {
                const int32_t ox0 = ix * params->stride.w - params->padding.w;
                const size_t xi = (((size_t)b * in_dims->h + iy) * in_dims->w + ix) * ic_n;
                for (int32_t fy = 0; fy < kh; ++fy) {
                    const int32_t oy = oy0 + fy;
                    if (oy < 0 || oy >= out_dims->h) {
                        continue;
                    }
                    for (int32_t fx = 0; fx < kw; ++fx) {
                        const int32_t ox = ox0 + fx;
                        if (ox < 0 || ox >= out_dims->w) {
                            continue;
                        }
                        const size_t ai = (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * oc_n;
                        for (int32_t oc = 0; oc < oc_n; ++oc) {
                            const int8_t *w = filter + (((size_t)oc * kh + fy) * kw + fx) * ic_n;
                            if (s16) {
                                const int16_t *x = (const int16_t *)input + xi;
                                uint64_t sum = 0; /* each product is below 2^22 */
                                for (int32_t ic = 0; ic < ic_n; ++ic) {
                                    sum += (uint64_t)(int64_t)((int32_t)x[ic] * (int32_t)w[ic]);
                                }
                                ((uint64_t *)acc)[ai + (size_t)oc] += sum;
                            } else {
                                const int8_t *x = (const int8_t *)input + xi;
                                uint32_t sum = 0;
                                for (int32_t ic = 0; ic < ic_n; ++ic) {
                                    sum += (uint32_t)(((int32_t)x[ic] + io) * (int32_t)w[ic]);
                                }
                                ((uint32_t *)acc)[ai + (size_t)oc] += sum;
                            }
                        }
                    }
                }
            }
        }
    }
}

ep_status ep_transpose_conv_s8(const ep_context *ctx, const ep_conv_params *params,
                               const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                               const int8_t *input, const ep_dims *filt_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *out_dims, int8_t *output)
{
    if (!tconv_args_ok(ctx, params, quant, in_dims, input, filt_dims, filter, out_dims, output, 4)) {
        return EP_ERR_ARG;
    }
    const int32_t oc_n = out_dims->c;
    const int32_t total = ep_transpose_conv_s8_get_buffer_size(out_dims) / 4;
    uint32_t *acc = (uint32_t *)ctx->buf;
    scatter(params, in_dims, input, filt_dims, filter, out_dims, acc, false);
    for (int32_t i = 0; i < total; ++i) {
        const int32_t oc = i % oc_n;
        const uint32_t s = acc[i] + (bias != NULL ? (uint32_t)bias[oc] : 0u);
        const int32_t v = ep_requantize((int32_t)s, quant->multiplier[oc], quant->shift[oc]) +
                          params->output_offset;
        output[i] = (int8_t)ep_clamp(v, params->activation.min, params->activation.max);
    }
    return EP_OK;
}

ep_status ep_transpose_conv_s16(const ep_context *ctx, const ep_conv_params *params,
                                const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                                const int16_t *input, const ep_dims *filt_dims,
                                const int8_t *filter, const uint8_t *bias,
                                const ep_dims *out_dims, int16_t *output)
{
    if (!tconv_args_ok(ctx, params, quant, in_dims, input, filt_dims, filter, out_dims, output, 8)) {
        return EP_ERR_ARG;
    }
    const int32_t oc_n = out_dims->c;
    const int32_t total = ep_transpose_conv_s16_get_buffer_size(out_dims) / 8;
    uint64_t *acc = (uint64_t *)ctx->buf;
    scatter(params, in_dims, input, filt_dims, filter, out_dims, acc, true);
    for (int32_t i = 0; i < total; ++i) {
        const int32_t oc = i % oc_n;
        uint64_t s = acc[i];
        if (bias != NULL) {
            int64_t bv; /* int64 bias only 4-aligned in converter files: read bytewise */
            memcpy(&bv, bias + 8u * (uint32_t)oc, sizeof bv);
            s += (uint64_t)bv;
        }
        const int32_t v = ep_requantize_s64((int64_t)s, quant->multiplier[oc], quant->shift[oc]);
        output[i] = (int16_t)ep_clamp(v, params->activation.min, params->activation.max);
    }
    return EP_OK;
}
