/* MUL int8 and int16 with broadcasting, as TFLM's reference int8 Mul computes it: the
 * product of the offset inputs is requantised once (double rounding). */
#include "kernels.h"

static inline int32_t mul_one(const ep_mul_params *p, int32_t a, int32_t b)
{
    const int32_t prod = (a + p->input_1_offset) * (b + p->input_2_offset);
    int32_t r = ep_requantize(prod, p->quant.multiplier, p->quant.shift) + p->output_offset;
    r = r < p->activation.min ? p->activation.min : r;
    r = r > p->activation.max ? p->activation.max : r;
    return r;
}

/* Inlined into both entry points with `s16` a constant. An int16 product fits int32. */
static inline ep_status mul(const ep_mul_params *params, const ep_broadcast_dims *dims,
                            const void *input_1, const void *input_2, void *output, bool s16)
{
    if (params == NULL || dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL) {
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
                *y++ = (int16_t)mul_one(params, a[i5 * s1], b[i5 * s2]);
            }
            ep_broadcast_step(dims, &w);
        }
        return EP_OK;
    }
    int8_t *y = (int8_t *)output;
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *a = (const int8_t *)input_1 + w.off_1, *b = (const int8_t *)input_2 + w.off_2;
        for (int32_t i5 = 0; i5 < n; ++i5) {
            *y++ = (int8_t)mul_one(params, a[i5 * s1], b[i5 * s2]);
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}

ep_status ep_elementwise_mul_s8(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output)
{
    return mul(params, dims, input_1, input_2, output, false);
}

ep_status ep_elementwise_mul_s16(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output)
{
    return mul(params, dims, input_1, input_2, output, true);
}
