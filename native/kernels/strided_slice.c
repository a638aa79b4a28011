/* STRIDED_SLICE for any element type. Start/stop/stride per dimension were
 * resolved in prepare (masks, negative indices, clamping as TFLM's
 * StartForAxis / StopForAxis), so here only the walk is left. */
#include <string.h>

#include "edge_peft.h"

static inline bool more(int32_t i, int32_t stop, int32_t stride)
{
    return stride > 0 ? i < stop : i > stop;
}

ep_status ep_strided_slice(const ep_strided_slice_params *params, const uint8_t *input,
                           uint8_t *output)
{
    if (params == NULL || input == NULL || output == NULL || params->element_bytes <= 0) {
        return EP_ERR_ARG;
    }
    const int32_t *d = params->in_dims, *b = params->start, *e = params->stop;
    const int32_t *s = params->stride;
    const size_t eb = (size_t)params->element_bytes;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        /* A start outside the dimension is only valid for an empty walk. */
        if (s[k] == 0 || (more(b[k], e[k], s[k]) && (b[k] < 0 || b[k] >= d[k]))) {
            return EP_ERR_ARG;
        }
    }
    for (int32_t i0 = b[0]; more(i0, e[0], s[0]); i0 += s[0]) {
        for (int32_t i1 = b[1]; more(i1, e[1], s[1]); i1 += s[1]) {
            for (int32_t i2 = b[2]; more(i2, e[2], s[2]); i2 += s[2]) {
                for (int32_t i3 = b[3]; more(i3, e[3], s[3]); i3 += s[3]) {
                    for (int32_t i4 = b[4]; more(i4, e[4], s[4]); i4 += s[4]) {
                        const size_t row = ((((size_t)i0 * (size_t)d[1] + (size_t)i1) *
                                             (size_t)d[2] + (size_t)i2) * (size_t)d[3] +
                                            (size_t)i3) * (size_t)d[4] + (size_t)i4;
                        for (int32_t i5 = b[5]; more(i5, e[5], s[5]); i5 += s[5]) {
                            memcpy(output, input + (row * (size_t)d[5] + (size_t)i5) * eb, eb);
                            output += eb;
                        }
                    }
                }
            }
        }
    }
    return EP_OK;
}
