/* CONV_2D 16x8 (TFLM reference integer_ops ConvPerChannel, int16 input):
 * int16 activations with zero point 0, int8 weights, int64 accumulator and
 * bias, and the reduced-multiplier int64 requantisation. */
#include "kernels.h"

/* sum(w * x) for int8 w and int16 x. One product is at most 2^22 in magnitude,
 * so up to 511 of them sum exactly in int32: chunks of 256 accumulate in int32
 * (which gcc vectorises, e.g. into pmaddwd) and only the chunk sums go to
 * int64. Exact, hence equal to TFLM's int64 accumulation. */
static int64_t dot_s16_s8(const int8_t *w, const int16_t *x, int32_t n)
{
    int64_t acc = 0;
    for (int32_t i0 = 0; i0 < n; i0 += 256) {
        const int32_t i1 = n - i0 < 256 ? n : i0 + 256;
        int32_t part = 0;
        for (int32_t i = i0; i < i1; ++i) {
            part += (int32_t)w[i] * (int32_t)x[i];
        }
        acc += part;
    }
    return acc;
}

ep_status ep_convolve_s16(const ep_context *ctx, const ep_conv_params *params,
                          const ep_per_channel_quant_params *quant,
                          const ep_dims *input_dims, const int16_t *input,
                          const ep_dims *filter_dims, const int8_t *filter,
                          const ep_dims *bias_dims, const int64_t *bias,
                          const ep_dims *output_dims, int16_t *output)
{
    (void)ctx;
    (void)bias_dims;
    if (params == NULL || quant == NULL || input_dims == NULL || input == NULL ||
        filter_dims == NULL || filter == NULL || output_dims == NULL || output == NULL ||
        filter_dims->c <= 0 || input_dims->c % filter_dims->c != 0 || output_dims->c <= 0) {
        return EP_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w, cin = filter_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t groups = in_c / cin;
    if (out_c % groups != 0) {
        return EP_ERR_ARG;
    }
    const int32_t oc_per_group = out_c / groups;
    const size_t w_oc = (size_t)kh * (size_t)kw * (size_t)cin;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int16_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy0, fy1;
            ep_tap_range(iy0, in_h, kh, params->dilation.h, &fy0, &fy1);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx0, fx1;
                ep_tap_range(ix0, in_w, kw, params->dilation.w, &fx0, &fx1);
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *w = filter + (size_t)oc * w_oc;
                    const int16_t *x0 = in_b + (size_t)(oc / oc_per_group) * (size_t)cin;
                    int64_t acc = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int32_t iy = iy0 + fy * params->dilation.h;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t ix = ix0 + fx * params->dilation.w;
                            const int16_t *x = x0 + ((size_t)iy * (size_t)in_w + (size_t)ix) *
                                                        (size_t)in_c;
                            const int8_t *wt = w + ((size_t)fy * (size_t)kw + (size_t)fx) *
                                                       (size_t)cin;
                            acc += dot_s16_s8(wt, x, cin);
                        }
                    }
                    if (bias != NULL) {
                        acc = (int64_t)((uint64_t)acc + (uint64_t)bias[oc]);
                    }
                    const int32_t r = (int32_t)((uint32_t)ep_requantize_s64(
                        acc, quant->multiplier[oc], quant->shift[oc]) + (uint32_t)params->output_offset);
                    *output++ = (int16_t)ep_clamp(r, params->activation.min,
                                                  params->activation.max);
                }
            }
        }
    }
    return EP_OK;
}
