/* GATHER with int32 coordinates (TFLM reference Gather): for each batch, outer index and
 * coordinate, one row of inner_bytes is copied from the input's row at that coordinate.
 * TFLM only debug-checks the coordinates; here all are checked first, so a bad one writes
 * nothing and returns EP_ERR_ARG. */
#include <string.h>

#include "edge_peft.h"

ep_status ep_gather(const ep_gather_params *params, const uint8_t *input, const int32_t *coords,
                    uint8_t *output)
{
    if (params == NULL || input == NULL || coords == NULL || output == NULL ||
        params->batch < 0 || params->outer < 0 || params->axis_size < 0 ||
        params->coords < 0 || params->inner_bytes < 0) {
        return EP_ERR_ARG;
    }
    const int64_t total = (int64_t)params->batch * params->coords;
    for (int64_t i = 0; i < total; ++i) {
        int32_t v;
        memcpy(&v, coords + i, 4); /* coordinates may come unaligned from a model buffer */
        if (v < 0 || v >= params->axis_size) {
            return EP_ERR_ARG;
        }
    }
    const size_t row = (size_t)params->inner_bytes;
    for (int32_t b = 0; b < params->batch; ++b) {
        const int32_t *cb = coords + (size_t)b * (size_t)params->coords;
        for (int32_t o = 0; o < params->outer; ++o) {
            const uint8_t *src = input + ((size_t)b * (size_t)params->outer + (size_t)o) *
                                             (size_t)params->axis_size * row;
            for (int32_t k = 0; k < params->coords; ++k) {
                int32_t v;
                memcpy(&v, cb + k, 4);
                memcpy(output, src + (size_t)v * row, row);
                output += row;
            }
        }
    }
    return EP_OK;
}
