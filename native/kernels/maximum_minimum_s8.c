/* MAXIMUM / MINIMUM int8 and int16 with broadcasting (TFLM reference
 * MaximumMinimumBroadcastSlow): elementwise comparison of the raw values. One walk, inlined
 * into each entry point with the width a constant. */
#include "kernels.h"

static inline int32_t at(const void *p, int32_t i, bool s16)
{
    return s16 ? ((const int16_t *)p)[i] : ((const int8_t *)p)[i];
}

static inline ep_status walk(const ep_broadcast_dims *dims, const void *input_1,
                             const void *input_2, void *output, bool maximum, bool s16)
{
    if (dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t rows = ep_broadcast_rows(dims), n = dims->dims[5];
    const int32_t s1 = dims->stride_1[5], s2 = dims->stride_2[5];
    ep_broadcast_walk w = {{0, 0, 0, 0, 0}, 0, 0};
    int32_t o = 0;
    for (int32_t r = 0; r < rows; ++r) {
        for (int32_t i5 = 0; i5 < n; ++i5) {
            const int32_t x = at(input_1, w.off_1 + i5 * s1, s16);
            const int32_t y = at(input_2, w.off_2 + i5 * s2, s16);
            const int32_t v = maximum ? (x > y ? x : y) : (x < y ? x : y);
            if (s16) {
                ((int16_t *)output)[o++] = (int16_t)v;
            } else {
                ((int8_t *)output)[o++] = (int8_t)v;
            }
        }
        ep_broadcast_step(dims, &w);
    }
    return EP_OK;
}

ep_status ep_maximum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output)
{
    return walk(dims, input_1, input_2, output, true, false);
}

ep_status ep_maximum_s16(const ep_broadcast_dims *dims, const int16_t *input_1,
                         const int16_t *input_2, int16_t *output)
{
    return walk(dims, input_1, input_2, output, true, true);
}

ep_status ep_minimum_s16(const ep_broadcast_dims *dims, const int16_t *input_1,
                         const int16_t *input_2, int16_t *output)
{
    return walk(dims, input_1, input_2, output, false, true);
}

ep_status ep_minimum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output)
{
    return walk(dims, input_1, input_2, output, false, false);
}
