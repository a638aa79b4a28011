/* SUB int8 with broadcasting, as TFLM's reference int8 Sub computes it: both
 * inputs offset and scaled up by 2^left_shift, requantised to the common
 * scale, subtracted, and the difference requantised to the output. */
#include "kernels.h"

static inline int8_t sub_one(const ep_sub_params *p, int32_t a, int32_t b)
{
    const int32_t sa = (a + p->input_1_offset) * (1 << p->left_shift);
    const int32_t sb = (b + p->input_2_offset) * (1 << p->left_shift);
    const int32_t diff = ep_requantize(sa, p->input_1_mult, p->input_1_shift) -
                         ep_requantize(sb, p->input_2_mult, p->input_2_shift);
    int32_t r = ep_requantize(diff, p->output_mult, p->output_shift) + p->output_offset;
    r = r < p->activation.min ? p->activation.min : r;
    r = r > p->activation.max ? p->activation.max : r;
    return (int8_t)r;
}

ep_status ep_elementwise_sub_s8(const ep_sub_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output)
{
    if (params == NULL || dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL ||
        params->left_shift < 0 || params->left_shift > 24) {
        return EP_ERR_ARG;
    }
    /* Same 6-D broadcast walk as ADD: the innermost dimension has its own strides. */
    const int32_t rows = ep_broadcast_rows(dims), n = dims->dims[5];
    const int32_t s1 = dims->stride_1[5], s2 = dims->stride_2[5];
    ep_broadcast_walk w = {{0, 0, 0, 0, 0}, 0, 0};
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *a = input_1 + w.off_1, *b = input_2 + w.off_2;
        for (int32_t i5 = 0; i5 < n; ++i5) {
            *output++ = sub_one(params, a[i5 * s1], b[i5 * s2]);
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}
