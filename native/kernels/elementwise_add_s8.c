/* ADD and SUB int8 and int16 with broadcasting, as TFLM's reference int8 Add / Sub compute them: each
 * input is offset, scaled up by 2^left_shift (headroom for the exact result), requantised to
 * the common scale, summed or subtracted, and requantised to the output. SUB is not ADD with
 * a negated multiplier: the rounding of each requantisation is not symmetric. */
#include "kernels.h"

static inline int32_t add_sub_one(const ep_add_params *p, int32_t a, int32_t b, bool sub)
{
    const int32_t sa = (a + p->input_1_offset) * (1 << p->left_shift);
    const int32_t sb = (b + p->input_2_offset) * (1 << p->left_shift);
    const int32_t ra = ep_requantize(sa, p->input_1_mult, p->input_1_shift);
    const int32_t rb = ep_requantize(sb, p->input_2_mult, p->input_2_shift);
    int32_t r = ep_requantize(sub ? ra - rb : ra + rb, p->output_mult, p->output_shift) + p->output_offset;
    r = r < p->activation.min ? p->activation.min : r;
    r = r > p->activation.max ? p->activation.max : r;
    return r;
}

/* Inlined into every entry point with `sub` and `s16` constants, so each keeps its own
 * loop. int16: the same arithmetic with left_shift 15, as TFLM. */
static inline ep_status add_sub(const ep_add_params *params, const ep_broadcast_dims *dims,
                                const void *input_1, const void *input_2, void *output, bool sub,
                                bool s16)
{
    if (params == NULL || dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL ||
        params->left_shift < 0 || params->left_shift > 24) {
        return EP_ERR_ARG;
    }
    /* TFLM's 6-D broadcast: the innermost dimension has its own strides, so a
     * channel-broadcast input (stride 1) or a scalar (stride 0) both stay linear. */
    const int32_t rows = ep_broadcast_rows(dims), n = dims->dims[5];
    const int32_t s1 = dims->stride_1[5], s2 = dims->stride_2[5];
    ep_broadcast_walk w = {{0, 0, 0, 0, 0}, 0, 0};
    if (s16) {
        int16_t *y = (int16_t *)output;
        for (int32_t r = 0; r < rows; ++r) {
            const int16_t *a = (const int16_t *)input_1 + w.off_1;
            const int16_t *b = (const int16_t *)input_2 + w.off_2;
            for (int32_t i5 = 0; i5 < n; ++i5) {
                *y++ = (int16_t)add_sub_one(params, a[i5 * s1], b[i5 * s2], sub);
            }
            ep_broadcast_step(dims, &w);
        }
        return EP_OK;
    }
    int8_t *y = (int8_t *)output;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *a = (const int8_t *)input_1 + w.off_1, *b = (const int8_t *)input_2 + w.off_2;
        for (int32_t i5 = 0; i5 < n; ++i5) {
            *y++ = (int8_t)add_sub_one(params, a[i5 * s1], b[i5 * s2], sub);
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}

ep_status ep_elementwise_add_s8(const ep_add_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output)
{
    return add_sub(params, dims, input_1, input_2, output, false, false);
}

ep_status ep_elementwise_add_s16(const ep_add_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output)
{
    return add_sub(params, dims, input_1, input_2, output, false, true);
}

ep_status ep_elementwise_sub_s8(const ep_sub_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output)
{
    return add_sub(params, dims, input_1, input_2, output, true, false);
}

ep_status ep_elementwise_sub_s16(const ep_sub_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output)
{
    return add_sub(params, dims, input_1, input_2, output, true, true);
}
