/* DEPTHWISE_CONV_2D int8 per-channel (TFLM reference integer_ops
 * DepthwiseConvPerChannel), output channel = in_c * ch_mult + m.
 * Accumulates a whole output pixel across channels in ctx (int32 per output
 * channel) so the inner loop is unit-stride over channels. */
#include "kernels.h"

int32_t ep_depthwise_conv_s8_get_buffer_size(const ep_dims *output_dims)
{
    if (output_dims == NULL || output_dims->c < 0) {
        return 0;
    }
    return output_dims->c * (int32_t)sizeof(int32_t);
}

ep_status ep_depthwise_conv_s8(const ep_context *ctx, const ep_dw_conv_params *params,
                               const ep_per_channel_quant_params *quant,
                               const ep_dims *input_dims, const int8_t *input,
                               const ep_dims *filter_dims, const ep_dims *bias_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    if (ctx == NULL || ctx->buf == NULL || params == NULL || quant == NULL ||
        input_dims == NULL || input == NULL || filter_dims == NULL || filter == NULL ||
        output_dims == NULL || output == NULL || params->ch_mult <= 0 ||
        output_dims->c != input_dims->c * params->ch_mult || filter_dims->c != output_dims->c ||
        ctx->size < output_dims->c * (int32_t)sizeof(int32_t)) {
        return EP_ERR_ARG;
    }
    int32_t *acc = (int32_t *)ctx->buf;
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w;
    const int32_t out_c = output_dims->c, mult = params->ch_mult;
    const int32_t io = params->input_offset;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy0, fy1;
            ep_tap_range(iy0, in_h, kh, params->dilation.h, &fy0, &fy1);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx0, fx1;
                ep_tap_range(ix0, in_w, kw, params->dilation.w, &fx0, &fx1);
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    acc[oc] = bias != NULL ? bias[oc] : 0;
                }
                for (int32_t fy = fy0; fy < fy1; ++fy) {
                    const int32_t iy = iy0 + fy * params->dilation.h;
                    for (int32_t fx = fx0; fx < fx1; ++fx) {
                        const int32_t ix = ix0 + fx * params->dilation.w;
                        const int8_t *x = in_b + ((size_t)iy * (size_t)in_w + (size_t)ix) *
                                                     (size_t)in_c;
                        const int8_t *w = filter + ((size_t)fy * (size_t)kw + (size_t)fx) *
                                                       (size_t)out_c;
                        if (mult == 1) {
                            for (int32_t c = 0; c < out_c; ++c) {
                                acc[c] = (int32_t)((uint32_t)acc[c] + (uint32_t)((int32_t)w[c] * ((int32_t)x[c] + io)));
                            }
                        } else {
                            for (int32_t ic = 0; ic < in_c; ++ic) {
                                const int32_t xv = (int32_t)x[ic] + io;
                                const int8_t *wm = w + (size_t)ic * (size_t)mult;
                                int32_t *am = acc + (size_t)ic * (size_t)mult;
                                for (int32_t m = 0; m < mult; ++m) {
                                    am[m] = (int32_t)((uint32_t)am[m] + (uint32_t)((int32_t)wm[m] * xv));
                                }
                            }
                        }
                    }
                }
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    *output++ = ep_out_s8(acc[oc], quant->multiplier[oc], quant->shift[oc],
                                          params->output_offset, params->activation.min,
                                          params->activation.max);
                }
            }
        }
    }
    return EP_OK;
}
