/* DEPTHWISE_CONV_2D 16x8 (TFLM reference integer_ops DepthwiseConvPerChannel,
 * int16 input): int8 weights, int64 accumulator and bias, reduced-multiplier
 * requantisation. TFLM's int16 kernel reads no zero point at all (the engine
 * refuses non-zero ones at prepare, as for the 16x8 CONV_2D). Out-of-image taps
 * are skipped. The int64 bias is read by memcpy (4-aligned in converter files). */
#include <string.h>

#include "kernels.h"

ep_status ep_depthwise_conv_s16(const ep_dw_conv_params *params,
                                const ep_per_channel_quant_params *quant,
                                const ep_dims *input_dims, const int16_t *input,
                                const ep_dims *filter_dims, const int8_t *filter,
                                const void *bias, const ep_dims *output_dims, int16_t *output)
{
    if (params == NULL || quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
        input_dims == NULL || input == NULL || filter_dims == NULL || filter == NULL ||
        output_dims == NULL || output == NULL || params->ch_mult <= 0 ||
        output_dims->c != input_dims->c * params->ch_mult || filter_dims->c != output_dims->c) {
        return EP_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w, out_c = output_dims->c;
    const int32_t mult = params->ch_mult;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int16_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t ic = oc / mult;
                    int64_t acc = 0;
                    for (int32_t fy = 0; fy < kh; ++fy) {
                        const int32_t iy = iy0 + fy * params->dilation.h;
                        if (iy < 0 || iy >= in_h) {
                            continue;
                        }
                        for (int32_t fx = 0; fx < kw; ++fx) {
                            const int32_t ix = ix0 + fx * params->dilation.w;
                            if (ix < 0 || ix >= in_w) {
                                continue;
                            }
                            const int32_t xv =
                                in_b[((size_t)iy * (size_t)in_w + (size_t)ix) * (size_t)in_c +
                                     (size_t)ic];
                            const int32_t wv =
                                filter[((size_t)fy * (size_t)kw + (size_t)fx) * (size_t)out_c +
                                       (size_t)oc];
                            acc += (int64_t)(xv * wv);
                        }
                    }
                    if (bias != NULL) {
                        int64_t bv;
                        memcpy(&bv, (const uint8_t *)bias + 8U * (uint32_t)oc, sizeof bv);
                        acc += bv;
                    }
                    const int32_t v = ep_requantize_s64(acc, quant->multiplier[oc], quant->shift[oc]);
                    *output++ = (int16_t)ep_clamp(v, params->activation.min, params->activation.max);
                }
            }
        }
    }
    return EP_OK;
}
