/* TRANSPOSE_CONV 16x8 (TFLM reference_integer_ops::TransposeConv for int16 input, int8
 * filter, int64 bias): the int8 kernel's scatter without input or output offsets (16x8
 * activations are symmetric), int64 accumulators, bias added, then the reduced-multiplier
 * int64 requantisation and the int16 clamp. int64 addition wraps (done in uint64). */
#include <string.h>

#include "kernels.h"

int32_t ep_transpose_conv_s16_get_buffer_size(const ep_dims *out_dims)
{
    return out_dims == NULL ? 0 : out_dims->n * out_dims->h * out_dims->w * out_dims->c * 8;
}

ep_status ep_transpose_conv_s16(const ep_context *ctx, const ep_conv_params *params,
                                const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                                const int16_t *input, const ep_dims *filt_dims,
                                const int8_t *filter, const uint8_t *bias,
                                const ep_dims *out_dims, int16_t *output)
{
    if (ctx == NULL || params == NULL || quant == NULL || in_dims == NULL || input == NULL ||
        filt_dims == NULL || filter == NULL || out_dims == NULL || output == NULL ||
        quant->multiplier == NULL || quant->shift == NULL || in_dims->n != out_dims->n ||
        filt_dims->c != in_dims->c || filt_dims->n != out_dims->c ||
        params->stride.w <= 0 || params->stride.h <= 0) {
        return EP_ERR_ARG;
    }
    const int32_t oc_n = out_dims->c, ic_n = in_dims->c, kh = filt_dims->h, kw = filt_dims->w;
    const int32_t total = ep_transpose_conv_s16_get_buffer_size(out_dims) / 8;
    if (ctx->buf == NULL || ctx->size < total * 8) {
        return EP_ERR_ARG;
    }
    uint64_t *acc = (uint64_t *)ctx->buf;
    memset(acc, 0, (size_t)total * 8u);
    for (int32_t b = 0; b < in_dims->n; ++b) {
        for (int32_t iy = 0; iy < in_dims->h; ++iy) {
            const int32_t oy0 = iy * params->stride.h - params->padding.h;
            for (int32_t ix = 0; ix < in_dims->w; ++ix) {
                const int32_t ox0 = ix * params->stride.w - params->padding.w;
                const int16_t *x = input + (((size_t)b * in_dims->h + iy) * in_dims->w + ix) * ic_n;
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
                        uint64_t *a = acc + (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * oc_n;
                        for (int32_t oc = 0; oc < oc_n; ++oc) {
                            const int8_t *w = filter + (((size_t)oc * kh + fy) * kw + fx) * ic_n;
                            uint64_t sum = 0; /* each product is below 2^22 */
                            for (int32_t ic = 0; ic < ic_n; ++ic) {
                                sum += (uint64_t)(int64_t)((int32_t)x[ic] * (int32_t)w[ic]);
                            }
                            a[oc] += sum;
                        }
                    }
                }
            }
        }
    }
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
