/* UNPACK for any element type (TFLM UnpackImpl): output i takes slice i along the axis,
 * i.e. rows [o][i] of the input viewed as [outer, count, copy_bytes]. A pure copy. */
#include <string.h>

#include "edge_peft.h"

ep_status ep_unpack(const uint8_t *input, int32_t count, int32_t outer, int32_t copy_bytes,
                    uint8_t *const *outputs)
{
    if (input == NULL || outputs == NULL || count <= 0 || outer < 0 || copy_bytes < 0) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        if (outputs[i] == NULL) {
            return EP_ERR_ARG;
        }
    }
    const size_t n = (size_t)copy_bytes;
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t i = 0; i < count; ++i) {
            memcpy(outputs[i] + (size_t)o * n, input, n);
            input += n;
        }
    }
    return EP_OK;
}
