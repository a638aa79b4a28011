/* CONCATENATION for any element type: TFLM's int8 concatenation requires
 * equal scales and zero points (checked in prepare), so it is a pure copy of
 * each input's row of axis_bytes per outer index. */
#include <string.h>

#include "edge_peft.h"

ep_status ep_concatenation(const uint8_t *const *inputs, const int32_t *axis_bytes,
                           int32_t count, int32_t outer, uint8_t *output)
{
    if (inputs == NULL || axis_bytes == NULL || output == NULL || count <= 0 || outer < 0) {
        return EP_ERR_ARG;
    }
    for (int32_t k = 0; k < count; ++k) {
        if (inputs[k] == NULL || axis_bytes[k] < 0) {
            return EP_ERR_ARG;
        }
    }
    for (int32_t o = 0; o < outer; ++o) {
        for (int32_t k = 0; k < count; ++k) {
            const int32_t n = axis_bytes[k];
            memcpy(output, inputs[k] + (size_t)o * (size_t)n, (size_t)n);
            output += n;
        }
    }
    return EP_OK;
}
