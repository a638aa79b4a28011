/* TRANSPOSE_CONV int8 (TFLM reference_integer_ops::TransposeConv, what the converter writes
 * for Keras Conv2DTranspose): every input pixel scatters (x + input_offset) * w into the int32
 * accumulators of the output pixels its filter window covers (taps outside the output are
 * skipped), then each accumulator gets its bias, per-channel requantisation, the output zero
 * point and the clamp. The sum per accumulator is the same set of products in another order;
 * int32 addition wraps (done in uint32), so the order cannot change the bytes. */
#include <string.h>

#include "kernels.h"

int32_t ep_transpose_conv_s8_get_buffer_size(const ep_dims *out_dims)
{
    return out_dims == NULL ? 0 : out_dims->n * out_dims->h * out_dims->w * out_dims->c * 4;
}

ep_status ep_transpose_conv_s8(const ep_context *ctx, const ep_conv_params *params,
                               const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                               const int8_t *input, const ep_dims *filt_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *out_dims, int8_t *output)
{
    if (ctx == NULL || params == NULL || quant == NULL || in_dims == NULL || input == NULL ||
        filt_dims == NULL || filter == NULL || out_dims == NULL || output == NULL ||
        quant->multiplier == NULL || quant->shift == NULL || in_dims->n != out_dims->n ||
        filt_dims->c != in_dims->c || filt_dims->n != out_dims->c ||
        params->stride.w <= 0 || params->stride.h <= 0) {
        return EP_ERR_ARG;
    }
    const int32_t oc_n = out_dims->c, ic_n = in_dims->c, kh = filt_dims->h, kw = filt_dims->w;
    const int32_t total = ep_transpose_conv_s8_get_buffer_size(out_dims) / 4;
    if (ctx->buf == NULL || ctx->size < total * 4) {
        return EP_ERR_ARG;
    }
    uint32_t *acc = (uint32_t *)ctx->buf;
    memset(acc, 0, (size_t)total * 4u);
    const int32_t io = params->input_offset;
    for (int32_t b = 0; b < in_dims->n; ++b) {
        for (int32_t iy = 0; iy < in_dims->h; ++iy) {
            const int32_t oy0 = iy * params->stride.h - params->padding.h;
            for (int32_t ix = 0; ix < in_dims->w; ++ix) {
                const int32_t ox0 = ix * params->stride.w - params->padding.w;
                const int8_t *x = input + (((size_t)b * in_dims->h + iy) * in_dims->w + ix) * ic_n;
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
                        uint32_t *a = acc + (((size_t)b * out_dims->h + oy) * out_dims->w + ox) * oc_n;
                        for (int32_t oc = 0; oc < oc_n; ++oc) {
                            const int8_t *w = filter + (((size_t)oc * kh + fy) * kw + fx) * ic_n;
                            uint32_t sum = 0;
                            for (int32_t ic = 0; ic < ic_n; ++ic) {
                                sum += (uint32_t)(((int32_t)x[ic] + io) * (int32_t)w[ic]);
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
        const uint32_t s = acc[i] + (bias != NULL ? (uint32_t)bias[oc] : 0u);
        const int32_t v = ep_requantize((int32_t)s, quant->multiplier[oc], quant->shift[oc]) +
                          params->output_offset;
        output[i] = (int8_t)ep_clamp(v, params->activation.min, params->activation.max);
    }
    return EP_OK;
}
