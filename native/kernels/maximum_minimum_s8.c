/* MAXIMUM / MINIMUM int8 with broadcasting (TFLM reference
 * MaximumMinimumBroadcastSlow): elementwise comparison of the raw values. */
#include "kernels.h"

static ep_status walk(const ep_broadcast_dims *dims, const int8_t *input_1,
                      const int8_t *input_2, int8_t *output, bool maximum)
{
    if (dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t rows = ep_broadcast_rows(dims), n = dims->dims[5];
    const int32_t s1 = dims->stride_1[5], s2 = dims->stride_2[5];
    ep_broadcast_walk w = {{0, 0, 0, 0, 0}, 0, 0};
    for (int32_t r = 0; r < rows; ++r) {
        const int8_t *a = input_1 + w.off_1, *b = input_2 + w.off_2;
        if (maximum) {
            for (int32_t i5 = 0; i5 < n; ++i5) {
                const int8_t x = a[i5 * s1], y = b[i5 * s2];
                *output++ = x > y ? x : y;
            }
        } else {
            for (int32_t i5 = 0; i5 < n; ++i5) {
                const int8_t x = a[i5 * s1], y = b[i5 * s2];
                *output++ = x < y ? x : y;
            }
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}

ep_status ep_maximum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output)
{
    return walk(dims, input_1, input_2, output, true);
}

ep_status ep_minimum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output)
{
    return walk(dims, input_1, input_2, output, false);
}
