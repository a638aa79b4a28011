/* DEPTHWISE_CONV_2D int8 per-channel (TFLM reference integer_ops
 * DepthwiseConvPerChannel), output channel = in_c * ch_mult + m.
 *
 * Work is split into blocks of B adjacent output channels (B = 16, 8, 4 or 1)
 * and each block sweeps every output pixel, so the block's accumulators stay
 * in a small stack array (no arena scratch) and the inner loop is a fixed-
 * length, unit-stride run that gcc vectorises. Two input layouts feed a block:
 *  - contiguous (ch_mult == 1): channel j reads x[c0 + j];
 *  - broadcast (B divides ch_mult): the whole block reads one input channel
 *    c0 / ch_mult, so the depth multiplier becomes the contiguous dimension.
 * B = 1 handles any other multiplier.
 *
 * Interior pixels (every tap inside the input) start from the per-channel
 * constant bias + input_offset * sum(w), computed once per block, and then
 * need only the raw products w * x; border pixels sum the products and the
 * weights of the taps inside, adding input_offset * sum(w) once (TFLM skips
 * out-of-image taps, so only those count). An int8 x int8 product always fits int16
 * ([-16256, 16384]), so it is formed in 16 bits, which lets SSE2/NEON use a
 * 16-bit multiply. Accumulation is in uint32 so that it wraps like
 * TFLM's int32 accumulator without undefined behaviour: the bytes are TFLM's. */
#include "kernels.h"

int32_t ep_depthwise_conv_s8_get_buffer_size(const ep_dims *output_dims)
{
    (void)output_dims;
    return 0; /* accumulators live on the stack, at most 16 per block */
}

typedef struct {
    const ep_dw_conv_params *p;
    const ep_per_channel_quant_params *q;
    const ep_dims *id, *fd, *od;
    const int8_t *input, *filter;
    const int32_t *bias;
    int8_t *output;
} dw_args;

#define DW_MAX_B 16

/* One block of B output channels starting at c0 over all pixels. XSTEP is 1
 * for the contiguous layout and 0 for the broadcast one. B and XSTEP are
 * literals in each expansion, so the inner loops have constant trip counts. */
#define DW_BLOCK_FN(NAME, B, XSTEP)                                                             \
    static void NAME(const dw_args *a, int32_t c0)                                             \
    {                                                                                           \
        const ep_dw_conv_params *p = a->p;                                                     \
        const int32_t in_h = a->id->h, in_w = a->id->w, in_c = a->id->c;                       \
        const int32_t kh = a->fd->h, kw = a->fd->w, out_c = a->od->c;                          \
        const int32_t dh = p->dilation.h, dwl = p->dilation.w;                                 \
        const uint32_t io = (uint32_t)p->input_offset;                                         \
        const int32_t xc = (XSTEP) ? c0 : c0 / p->ch_mult;                                     \
        const size_t row = (size_t)in_w * (size_t)in_c;                                        \
        uint32_t k0[B], kb[B];                                                                  \
        for (int32_t j = 0; j < (B); ++j) {                                                    \
            kb[j] = a->bias != NULL ? (uint32_t)a->bias[c0 + j] : 0u;                          \
            k0[j] = kb[j];                                                                      \
        }                                                                                       \
        for (int32_t t = 0; t < kh * kw; ++t) {                                                \
            const int8_t *w = a->filter + (size_t)t * (size_t)out_c + (size_t)c0;              \
            for (int32_t j = 0; j < (B); ++j) {                                                \
                k0[j] += io * (uint32_t)(int32_t)w[j];                                         \
            }                                                                                   \
        }                                                                                       \
        int8_t *out = a->output + c0;                                                          \
        for (int32_t b = 0; b < a->id->n; ++b) {                                               \
            const int8_t *in_b = a->input + (size_t)b * (size_t)in_h * row + (size_t)xc;      \
            for (int32_t oy = 0; oy < a->od->h; ++oy) {                                        \
                const int32_t iy0 = oy * p->stride.h - p->padding.h;                           \
                int32_t fy0, fy1;                                                               \
                ep_tap_range(iy0, in_h, kh, dh, &fy0, &fy1);                                    \
                for (int32_t ox = 0; ox < a->od->w; ++ox, out += out_c) {                      \
                    const int32_t ix0 = ox * p->stride.w - p->padding.w;                       \
                    int32_t fx0, fx1;                                                           \
                    ep_tap_range(ix0, in_w, kw, dwl, &fx0, &fx1);                               \
                    uint32_t acc[B];                                                            \
                    if (fy0 == 0 && fy1 == kh && fx0 == 0 && fx1 == kw) {                      \
                        for (int32_t j = 0; j < (B); ++j) {                                    \
                            acc[j] = k0[j];                                                     \
                        }                                                                       \
                        const int8_t *xr = in_b + (size_t)iy0 * row + (size_t)ix0 * (size_t)in_c; \
                        const int8_t *w = a->filter + (size_t)c0;                              \
                        for (int32_t fy = 0; fy < kh; ++fy, xr += (size_t)dh * row) {          \
                            const int8_t *x = xr;                                               \
                            for (int32_t fx = 0; fx < kw; ++fx, w += out_c,                    \
                                         x += (size_t)dwl * (size_t)in_c) {                    \
                                for (int32_t j = 0; j < (B); ++j) {                            \
                                    const int16_t prod =                                        \
                                        (int16_t)((int16_t)w[j] * (int16_t)x[j * (XSTEP)]);     \
                                    acc[j] += (uint32_t)(int32_t)prod;                          \
                                }                                                               \
                            }                                                                   \
                        }                                                                       \
                    } else {                                                                    \
                        uint32_t ws[B]; /* sum of the taps used, times io at the end */       \
                        for (int32_t j = 0; j < (B); ++j) {                                    \
                            acc[j] = kb[j];                                                     \
                            ws[j] = 0u;                                                         \
                        }                                                                       \
                        for (int32_t fy = fy0; fy < fy1; ++fy) {                               \
                            const int32_t iy = iy0 + fy * dh;                                   \
                            for (int32_t fx = fx0; fx < fx1; ++fx) {                           \
                                const int32_t ix = ix0 + fx * dwl;                              \
                                const int8_t *x = in_b + (size_t)iy * row + (size_t)ix * (size_t)in_c; \
                                const int8_t *w = a->filter +                                   \
                                    ((size_t)fy * (size_t)kw + (size_t)fx) * (size_t)out_c + (size_t)c0; \
                                for (int32_t j = 0; j < (B); ++j) {                            \
                                    const int16_t prod =                                        \
                                        (int16_t)((int16_t)w[j] * (int16_t)x[j * (XSTEP)]);     \
                                    acc[j] += (uint32_t)(int32_t)prod;                          \
                                    ws[j] += (uint32_t)(int32_t)w[j];                           \
                                }                                                               \
                            }                                                                   \
                        }                                                                       \
                        for (int32_t j = 0; j < (B); ++j) {                                    \
                            acc[j] += io * ws[j];                                               \
                        }                                                                       \
                    }                                                                           \
                    for (int32_t j = 0; j < (B); ++j) {                                        \
                        out[j] = ep_out_s8((int32_t)acc[j], a->q->multiplier[c0 + j],           \
                                           a->q->shift[c0 + j], p->output_offset,               \
                                           p->activation.min, p->activation.max);               \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

DW_BLOCK_FN(dw_c16, 16, 1)
DW_BLOCK_FN(dw_c8, 8, 1)
DW_BLOCK_FN(dw_c4, 4, 1)
DW_BLOCK_FN(dw_b16, 16, 0)
DW_BLOCK_FN(dw_b8, 8, 0)
DW_BLOCK_FN(dw_b4, 4, 0)
DW_BLOCK_FN(dw_1, 1, 0)

ep_status ep_depthwise_conv_s8(const ep_context *ctx, const ep_dw_conv_params *params,
                               const ep_per_channel_quant_params *quant,
                               const ep_dims *input_dims, const int8_t *input,
                               const ep_dims *filter_dims, const ep_dims *bias_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *output_dims, int8_t *output)
{
    (void)ctx;
    (void)bias_dims;
    if (params == NULL || quant == NULL || input_dims == NULL || input == NULL ||
        filter_dims == NULL || filter == NULL || output_dims == NULL || output == NULL ||
        params->ch_mult <= 0 || output_dims->c != input_dims->c * params->ch_mult ||
        filter_dims->c != output_dims->c) {
        return EP_ERR_ARG;
    }
    const dw_args a = {params, quant, input_dims, filter_dims, output_dims,
                       input, filter, bias, output};
    const int32_t out_c = output_dims->c, mult = params->ch_mult;
    int32_t c0 = 0;
    while (c0 < out_c) {
        const int32_t left = out_c - c0;
        /* A broadcast block must stay inside one input channel's multiplier run. */
        const int32_t m_off = c0 % mult;
        if (mult == 1 && left >= 16) {
            dw_c16(&a, c0);
            c0 += 16;
        } else if (mult == 1 && left >= 8) {
            dw_c8(&a, c0);
            c0 += 8;
        } else if (mult == 1 && left >= 4) {
            dw_c4(&a, c0);
            c0 += 4;
        } else if (mult - m_off >= 16) {
            dw_b16(&a, c0);
            c0 += 16;
        } else if (mult - m_off >= 8) {
            dw_b8(&a, c0);
            c0 += 8;
        } else if (mult - m_off >= 4) {
            dw_b4(&a, c0);
            c0 += 4;
        } else {
            dw_1(&a, c0);
            c0 += 1;
        }
    }
    return EP_OK;
}
