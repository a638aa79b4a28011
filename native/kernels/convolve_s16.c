/* CONV_2D 16x8 (TFLM reference integer_ops ConvPerChannel, int16 input):
 * int16 activations with zero point 0, int8 weights, int64 accumulator and
 * bias, and the reduced-multiplier int64 requantisation. */
#include <string.h>
#include "kernels.h"

/* sum(w * x) for int8 w and int16 x. One product is at most 2^22 in magnitude,
 * so up to 511 of them sum exactly in int32: chunks of 256 accumulate in int32
 * and only the chunk sums go to int64. Exact, hence equal to TFLM's int64
 * accumulation. Inside a chunk the work runs in blocks with a constant trip
 * count of 16, the only loops gcc -O2 ("very cheap" cost model) vectorises
 * (into pmaddwd on x86; SMLAD-friendly on Cortex-M). */
/* The converter places int64 bias buffers at 4-byte-aligned offsets (TFLite Micro runs such
 * files): read each value by memcpy, never through an int64_t pointer (Cortex-M0 faults on it,
 * and the pointer itself would be undefined in C). Little-endian, like the flatbuffer. */
static int64_t bias_at(const uint8_t *bias, int32_t i)
{
    int64_t v;
    memcpy(&v, bias + 8U * (uint32_t)i, sizeof v);
    return v;
}

static inline int32_t dot_s16_s8_256(const int8_t *w, const int16_t *x, int32_t n)
{
    int32_t part = 0;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int32_t j = 0; j < 16; ++j) {
            part += (int32_t)(int16_t)w[i + j] * (int32_t)x[i + j];
        }
    }
    for (; i < n; ++i) {
        part += (int32_t)w[i] * (int32_t)x[i];
    }
    return part;
}

static int64_t dot_s16_s8(const int8_t *w, const int16_t *x, int32_t n)
{
    int64_t acc = 0;
    for (int32_t i0 = 0; i0 < n; i0 += 256) {
        const int32_t len = n - i0 < 256 ? n - i0 : 256;
        acc += dot_s16_s8_256(w + i0, x + i0, len);
    }
    return acc;
}

/* ep_requantize_s64 inlined for the 1x1 path, where the call and the
 * multiplier reduction were most of the per-output cost; reduced and
 * total_shift come precomputed per output channel (same arithmetic). */
static inline int32_t requant_s64_inline(int64_t x, int32_t reduced, int32_t total_shift)
{
    const int64_t v = (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced +
                                ((uint64_t)1 << (total_shift - 1)));
    return (int32_t)(v >> total_shift);
}

/* 1x1, unpadded, ungrouped, cin <= 256 (one exact int32 dot per output):
 * every window is one input pixel, so no tap ranges, and the requantisation
 * is inlined (the call and the per-call multiplier reduction were most of
 * the ~200 instructions an output of conv20's 16-deep dot used to cost). */
static void conv1x1_s16(const ep_conv_params *params, const ep_per_channel_quant_params *quant,
                        const ep_dims *input_dims, const int16_t *input, const int8_t *filter,
                        const uint8_t *bias, const ep_dims *output_dims, int16_t *output)
{
    const int32_t in_h = input_dims->h, in_w = input_dims->w, cin = input_dims->c;
    const int32_t out_c = output_dims->c;
    const int32_t lo = params->activation.min, hi = params->activation.max;
    const uint32_t out_off = (uint32_t)params->output_offset;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int16_t *in_b = input + (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)cin;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int16_t *row = in_b + (size_t)(oy * params->stride.h) * (size_t)in_w * (size_t)cin;
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int16_t *x = row + (size_t)(ox * params->stride.w) * (size_t)cin;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    int64_t acc = dot_s16_s8_256(filter + (size_t)oc * (size_t)cin, x, cin);
                    if (bias != NULL) {
                        acc = (int64_t)((uint64_t)acc + (uint64_t)bias_at(bias, oc));
                    }
                    const int32_t m = quant->multiplier[oc];
                    const int32_t ts = 15 - quant->shift[oc];
                    int32_t r = 0;
                    if (ts > 0 && ts <= 62) { /* else 0, as ep_requantize_s64 */
                        r = requant_s64_inline(acc, m < 0x7FFF0000 ? ((m + (1 << 15)) >> 16) : 0x7FFF,
                                               ts);
                    }
                    r = (int32_t)((uint32_t)r + out_off);
                    *output++ = (int16_t)ep_clamp(r, lo, hi);
                }
            }
        }
    }
}

ep_status ep_convolve_s16(const ep_context *ctx, const ep_conv_params *params,
                          const ep_per_channel_quant_params *quant,
                          const ep_dims *input_dims, const int16_t *input,
                          const ep_dims *filter_dims, const int8_t *filter,
                          const ep_dims *bias_dims, const void *bias,
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
    if (kh == 1 && kw == 1 && groups == 1 && cin <= 256 && params->padding.h == 0 &&
        params->padding.w == 0 && params->stride.h > 0 && params->stride.w > 0 &&
        (output_dims->h - 1) * params->stride.h < in_h &&
        (output_dims->w - 1) * params->stride.w < in_w) {
        conv1x1_s16(params, quant, input_dims, input, filter, bias, output_dims, output);
        return EP_OK;
    }
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
                        acc = (int64_t)((uint64_t)acc + (uint64_t)bias_at(bias, oc));
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
