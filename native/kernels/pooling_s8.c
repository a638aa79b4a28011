/* AVERAGE_POOL_2D / MAX_POOL_2D int8 and int16 (TFLM reference integer_ops pooling,
 * one arithmetic for both widths): only in-image taps count; the average rounds half
 * away from zero with C's truncating division, as TFLM does. Each body is inlined into
 * its int8 and int16 entry points with the width a constant, so each keeps its loop. */
#include "kernels.h"

int32_t ep_avgpool_s8_get_buffer_size(const ep_dims *output_dims)
{
    if (output_dims == NULL || output_dims->c < 0) {
        return 0;
    }
    return output_dims->c * (int32_t)sizeof(int32_t);
}

static int pool_args_ok(const ep_pool_params *params, const ep_dims *input_dims,
                        const void *input, const ep_dims *filter_dims,
                        const ep_dims *output_dims, const void *output)
{
    return params != NULL && input_dims != NULL && input != NULL && filter_dims != NULL &&
           output_dims != NULL && output != NULL && input_dims->c == output_dims->c;
}

static inline int32_t ld(const void *p, size_t i, bool s16)
{
    return s16 ? ((const int16_t *)p)[i] : ((const int8_t *)p)[i];
}

static inline void st(void *p, size_t i, int32_t v, bool s16)
{
    if (s16) {
        ((int16_t *)p)[i] = (int16_t)v;
    } else {
        ((int8_t *)p)[i] = (int8_t)v;
    }
}

static inline ep_status avgpool(const ep_context *ctx, const ep_pool_params *params,
                                const ep_dims *input_dims, const void *input,
                                const ep_dims *filter_dims, const ep_dims *output_dims,
                                void *output, bool s16)
{
    if (!pool_args_ok(params, input_dims, input, filter_dims, output_dims, output) ||
        ctx == NULL || ctx->buf == NULL || ctx->size < output_dims->c * (int32_t)sizeof(int32_t)) {
        return EP_ERR_ARG;
    }
    int32_t *acc = (int32_t *)ctx->buf;
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    size_t o = 0;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const size_t in_b = (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)ch;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy0, fy1;
            ep_tap_range(iy0, in_h, filter_dims->h, 1, &fy0, &fy1);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx0, fx1;
                ep_tap_range(ix0, in_w, filter_dims->w, 1, &fx0, &fx1);
                const int32_t count = (fy1 - fy0) * (fx1 - fx0);
                for (int32_t c = 0; c < ch; ++c) {
                    acc[c] = 0;
                }
                for (int32_t fy = fy0; fy < fy1; ++fy) {
                    for (int32_t fx = fx0; fx < fx1; ++fx) {
                        const size_t x = in_b + ((size_t)(iy0 + fy) * (size_t)in_w +
                                                 (size_t)(ix0 + fx)) * (size_t)ch;
                        for (int32_t c = 0; c < ch; ++c) {
                            acc[c] += ld(input, x + (size_t)c, s16);
                        }
                    }
                }
                for (int32_t c = 0; c < ch; ++c) {
                    int32_t v = 0;
                    if (count > 0) {
                        v = acc[c] > 0 ? (acc[c] + count / 2) / count
                                       : (acc[c] - count / 2) / count;
                    }
                    st(output, o++, ep_clamp(v, params->activation.min, params->activation.max),
                       s16);
                }
            }
        }
    }
    return EP_OK;
}

static inline ep_status maxpool(const ep_pool_params *params, const ep_dims *input_dims,
                                const void *input, const ep_dims *filter_dims,
                                const ep_dims *output_dims, void *output, bool s16)
{
    if (!pool_args_ok(params, input_dims, input, filter_dims, output_dims, output)) {
        return EP_ERR_ARG;
    }
    const int32_t in_h = input_dims->h, in_w = input_dims->w, ch = input_dims->c;
    size_t o = 0;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const size_t in_b = (size_t)b * (size_t)in_h * (size_t)in_w * (size_t)ch;
        for (int32_t oy = 0; oy < output_dims->h; ++oy) {
            const int32_t iy0 = oy * params->stride.h - params->padding.h;
            int32_t fy0, fy1;
            ep_tap_range(iy0, in_h, filter_dims->h, 1, &fy0, &fy1);
            for (int32_t ox = 0; ox < output_dims->w; ++ox) {
                const int32_t ix0 = ox * params->stride.w - params->padding.w;
                int32_t fx0, fx1;
                ep_tap_range(ix0, in_w, filter_dims->w, 1, &fx0, &fx1);
                for (int32_t c = 0; c < ch; ++c) {
                    int32_t m = s16 ? -32768 : -128;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const int32_t v = ld(input, in_b + ((size_t)(iy0 + fy) * (size_t)in_w +
                                                    (size_t)(ix0 + fx)) * (size_t)ch + (size_t)c, s16);
                            m = v > m ? v : m;
                        }
                    }
                    st(output, o++, ep_clamp(m, params->activation.min, params->activation.max),
                       s16);
                }
            }
        }
    }
    return EP_OK;
}

ep_status ep_avgpool_s8(const ep_context *ctx, const ep_pool_params *params,
                        const ep_dims *input_dims, const int8_t *input,
                        const ep_dims *filter_dims, const ep_dims *output_dims, int8_t *output)
{
    return avgpool(ctx, params, input_dims, input, filter_dims, output_dims, output, false);
}

ep_status ep_avgpool_s16(const ep_context *ctx, const ep_pool_params *params,
                         const ep_dims *input_dims, const int16_t *input,
                         const ep_dims *filter_dims, const ep_dims *output_dims, int16_t *output)
{
    return avgpool(ctx, params, input_dims, input, filter_dims, output_dims, output, true);
}

ep_status ep_maxpool_s8(const ep_context *ctx, const ep_pool_params *params,
                        const ep_dims *input_dims, const int8_t *input,
                        const ep_dims *filter_dims, const ep_dims *output_dims, int8_t *output)
{
    (void)ctx;
    return maxpool(params, input_dims, input, filter_dims, output_dims, output, false);
}

ep_status ep_maxpool_s16(const ep_context *ctx, const ep_pool_params *params,
                         const ep_dims *input_dims, const int16_t *input,
                         const ep_dims *filter_dims, const ep_dims *output_dims, int16_t *output)
{
    (void)ctx;
    return maxpool(params, input_dims, input, filter_dims, output_dims, output, true);
}
