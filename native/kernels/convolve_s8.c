/* CONV_2D int8 per-channel (TFLM reference integer_ops ConvPerChannel).
 * Windows fully inside the input take bias + input_offset * sum(w), with the
 * weight sum formed in the same pass as the dot product (or read from the
 * kernel sums of prepare when a caller gives them), so no arena is needed;
 * border windows add the input offset tap by tap, which equals TFLM skipping
 * the out-of-image taps. Int32 wraps alike in either order. */
#include "kernels.h"

int32_t ep_convolve_s8_get_buffer_size(const ep_dims *output_dims)
{
    if (output_dims == NULL || output_dims->c < 0) {
        return 0;
    }
    return output_dims->c * (int32_t)sizeof(int32_t);
}

ep_status ep_convolve_s8_prepare(const ep_conv_params *params, const ep_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias,
                                 int32_t *kernel_sums)
{
    if (params == NULL || filter_dims == NULL || filter == NULL || kernel_sums == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t per_oc = filter_dims->h * filter_dims->w * filter_dims->c;
    for (int32_t oc = 0; oc < filter_dims->n; ++oc) {
        uint32_t s = (uint32_t)params->input_offset *
                     (uint32_t)ep_sum_s8(filter + (size_t)oc * (size_t)per_oc, per_oc);
        if (bias != NULL) {
            s += (uint32_t)bias[oc];
        }
        kernel_sums[oc] = (int32_t)s;
    }
    return EP_OK;
}

/* Four horizontally adjacent output pixels whose windows lie inside the input. */
static void conv_tile4(const ep_conv_params *params, const ep_per_channel_quant_params *quant,
                       const int8_t *in_b, int32_t in_w, int32_t in_c, int32_t iy0,
                       int32_t ix0, const int8_t *filter, int32_t kh, int32_t kw, int32_t cin,
                       int32_t oc_per_group, int32_t out_c, const int32_t *bias, int8_t *output)
{
    const int32_t dh = params->dilation.h, dw = params->dilation.w;
    const size_t px = (size_t)params->stride.w * (size_t)in_c; /* next pixel's window */
    const size_t w_oc = (size_t)kh * (size_t)kw * (size_t)cin;
    for (int32_t oc = 0; oc < out_c; ++oc) {
        const int8_t *w = filter + (size_t)oc * w_oc;
        const int8_t *x0 = in_b + (size_t)(oc / oc_per_group) * (size_t)cin;
        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, ws = 0;
        for (int32_t fy = 0; fy < kh; ++fy) {
            for (int32_t fx = 0; fx < kw; ++fx) {
                const int8_t *x = x0 + ((size_t)(iy0 + fy * dh) * (size_t)in_w +
                                        (size_t)(ix0 + fx * dw)) * (size_t)in_c;
                const int8_t *wt = w + ((size_t)fy * (size_t)kw + (size_t)fx) * (size_t)cin;
                for (int32_t i = 0; i < cin; ++i) {
                    const int32_t wv = wt[i];
                    ws += wv;
                    a0 += wv * x[i];
                    a1 += wv * x[px + (size_t)i];
                    a2 += wv * x[2 * px + (size_t)i];
                    a3 += wv * x[3 * px + (size_t)i];
                }
            }
        }
        const uint32_t base = (uint32_t)params->input_offset * (uint32_t)ws +
                              (bias != NULL ? (uint32_t)bias[oc] : 0u);
        const int32_t acc[4] = {(int32_t)((uint32_t)a0 + base), (int32_t)((uint32_t)a1 + base),
                                (int32_t)((uint32_t)a2 + base), (int32_t)((uint32_t)a3 + base)};
        for (int32_t p = 0; p < 4; ++p) {
            output[(size_t)p * (size_t)out_c + (size_t)oc] =
                ep_out_s8(acc[p], quant->multiplier[oc], quant->shift[oc], params->output_offset,
                          params->activation.min, params->activation.max);
        }
    }
}

/* One output pixel whose window lies inside the input, without kernel sums:
 * the weight sum is taken in the same pass as the dot product, so the input
 * offset costs one multiply per output instead of one add per tap. */
static int32_t conv_px_inside(const int8_t *w, const int8_t *x0, int32_t in_w, int32_t in_c,
                              int32_t iy0, int32_t ix0, int32_t kh, int32_t kw, int32_t cin,
                              int32_t dh, int32_t dw, int32_t io, uint32_t bias)
{
    int32_t acc = 0, ws = 0;
    for (int32_t fy = 0; fy < kh; ++fy) {
        for (int32_t fx = 0; fx < kw; ++fx) {
            const int8_t *x = x0 + ((size_t)(iy0 + fy * dh) * (size_t)in_w +
                                    (size_t)(ix0 + fx * dw)) * (size_t)in_c;
            const int8_t *wt = w + ((size_t)fy * (size_t)kw + (size_t)fx) * (size_t)cin;
            for (int32_t i = 0; i < cin; ++i) {
                ws += wt[i];
                acc += (int32_t)wt[i] * (int32_t)x[i];
            }
        }
    }
    return (int32_t)((uint32_t)acc + (uint32_t)io * (uint32_t)ws + bias);
}

/* 1x1, stride 1, unpadded: input and output pixels are the same contiguous
 * run, so four-pixel tiles may span image rows (a 6x6 or 3x3 map no longer
 * leaves its last columns to the per-pixel path). */
static void conv_1x1(const ep_conv_params *params, const ep_per_channel_quant_params *quant,
                     const int8_t *input, int32_t pixels, int32_t in_c, const int8_t *filter,
                     int32_t cin, int32_t oc_per_group, int32_t out_c, const int32_t *bias,
                     int8_t *output)
{
    int32_t p = 0;
    for (; p + 4 <= pixels; p += 4) {
        conv_tile4(params, quant, input + (size_t)p * (size_t)in_c, 0, in_c, 0, 0, filter, 1, 1,
                   cin, oc_per_group, out_c, bias, output + (size_t)p * (size_t)out_c);
    }
    for (; p < pixels; ++p) {
        const int8_t *x = input + (size_t)p * (size_t)in_c;
        int8_t *out = output + (size_t)p * (size_t)out_c;
        for (int32_t oc = 0; oc < out_c; ++oc) {
            const int32_t acc = conv_px_inside(filter + (size_t)oc * (size_t)cin,
                                               x + (size_t)(oc / oc_per_group) * (size_t)cin, 0,
                                               in_c, 0, 0, 1, 1, cin, 1, 1, params->input_offset,
                                               bias != NULL ? (uint32_t)bias[oc] : 0u);
            out[oc] = ep_out_s8(acc, quant->multiplier[oc], quant->shift[oc],
                                params->output_offset, params->activation.min,
                                params->activation.max);
        }
    }
}

ep_status ep_convolve_s8(const ep_context *ctx, const ep_conv_params *params,
                         const ep_per_channel_quant_params *quant,
                         const ep_dims *input_dims, const int8_t *input,
                         const ep_dims *filter_dims, const int8_t *filter,
                         const ep_dims *bias_dims, const int32_t *bias,
                         const ep_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    if (params == NULL || quant == NULL || input_dims == NULL || input == NULL ||
        filter_dims == NULL || filter == NULL || output_dims == NULL || output == NULL ||
        filter_dims->c <= 0 || input_dims->c % filter_dims->c != 0 || output_dims->c <= 0) {
        return EP_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, in_c = input_dims->c;
    const int32_t kh = filter_dims->h, kw = filter_dims->w, cin = filter_dims->c;
    const int32_t out_h = output_dims->h, out_w = output_dims->w, out_c = output_dims->c;
    const int32_t groups = in_c / cin;
    if (groups <= 0 || out_c % groups != 0) {
        return EP_ERR_ARG;
    }
    const int32_t oc_per_group = out_c / groups;
    const int32_t io = params->input_offset;
    const int32_t dh = params->dilation.h, dw = params->dilation.w;
    const int32_t *sums = NULL;
    if (ctx != NULL && ctx->buf != NULL && ctx->size >= out_c * (int32_t)sizeof(int32_t)) {
        sums = (const int32_t *)ctx->buf;
    }
    const size_t w_oc = (size_t)kh * (size_t)kw * (size_t)cin;
    if (kh == 1 && kw == 1 && params->stride.h == 1 && params->stride.w == 1 &&
        params->padding.h == 0 && params->padding.w == 0 && out_h == in_h && out_w == in_w) {
        conv_1x1(params, quant, input, input_dims->n * in_h * in_w, in_c, filter, cin,
                 oc_per_group, out_c, bias, output);
        return EP_OK;
    }
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int8_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)in_c;
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy0, fy1;
            ep_tap_range(iy0, in_h, kh, dh, &fy0, &fy1);
            const int row_inside = fy0 == 0 && fy1 == kh;
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                /* Four windows fully inside the input: one pass over each filter row
                 * serves four output pixels (a GEMM micro-tile), and the input offset
                 * is applied once per channel as io * sum(w), computed in the same
                 * pass. Int32 wraps alike in either order, so the bytes are TFLM's. */
                const int32_t ix3 = ix0 + 3 * params->stride.w;
                if (row_inside && ox + 4 <= out_w && ix0 >= 0 && ix3 + (kw - 1) * dw < in_w) {
                    conv_tile4(params, quant, in_b, in_w, in_c, iy0, ix0, filter, kh, kw, cin,
                               oc_per_group, out_c, bias, output);
                    output += 4 * (size_t)out_c;
                    ox += 3;
                    continue;
                }
                int32_t fx0, fx1;
                ep_tap_range(ix0, in_w, kw, dw, &fx0, &fx1);
                const int window_inside = fy0 == 0 && fy1 == kh && fx0 == 0 && fx1 == kw;
                const int inside = sums != NULL && window_inside;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *w = filter + (size_t)oc * w_oc;
                    const int8_t *x0 = in_b + (size_t)(oc / oc_per_group) * (size_t)cin;
                    if (window_inside && !inside) {
                        *output++ = ep_out_s8(
                            conv_px_inside(w, x0, in_w, in_c, iy0, ix0, kh, kw, cin, dh, dw, io,
                                           bias != NULL ? (uint32_t)bias[oc] : 0u),
                            quant->multiplier[oc], quant->shift[oc], params->output_offset,
                            params->activation.min, params->activation.max);
                        continue;
                    }
                    uint32_t acc = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        const int32_t iy = iy0 + fy * dh;
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t ix = ix0 + fx * dw;
                            const int8_t *x = x0 + ((size_t)iy * (size_t)in_w + (size_t)ix) *
                                                       (size_t)in_c;
                            const int8_t *wt = w + ((size_t)fy * (size_t)kw + (size_t)fx) *
                                                       (size_t)cin;
                            acc += inside ? (uint32_t)ep_dot_s8(wt, x, cin)
                                          : (uint32_t)ep_dot_off_s8(wt, x, io, cin);
                        }
                    }
                    if (inside) {
                        acc += (uint32_t)sums[oc];
                    } else if (bias != NULL) {
                        acc += (uint32_t)bias[oc];
                    }
                    *output++ = ep_out_s8((int32_t)acc, quant->multiplier[oc], quant->shift[oc],
                                          params->output_offset, params->activation.min,
                                          params->activation.max);
                }
            }
        }
    }
    return EP_OK;
}
