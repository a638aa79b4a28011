/* TRANSPOSE for any element type (TFLM reference Transpose): the output is walked in order
 * and each element read from the input at the permuted strides. Odometer over the five
 * outer dimensions, the innermost dimension as a strided run. */
#include <string.h>

#include "edge_peft.h"

ep_status ep_transpose(const ep_transpose_params *p, const uint8_t *input, uint8_t *output)
{
    if (p == NULL || input == NULL || output == NULL ||
        (p->element_bytes != 1 && p->element_bytes != 2 && p->element_bytes != 4)) {
        return EP_ERR_ARG;
    }
    int64_t total = 1;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        if (p->out_dims[k] < 0 || p->in_stride[k] < 0) {
            return EP_ERR_ARG;
        }
        total *= p->out_dims[k];
    }
    if (total == 0) {
        return EP_OK;
    }
    const size_t eb = (size_t)p->element_bytes;
    const int32_t n = p->out_dims[EP_MAX_DIMS - 1];
    const size_t step = (size_t)p->in_stride[EP_MAX_DIMS - 1] * eb;
    const int64_t rows = total / n;
    int32_t idx[EP_MAX_DIMS - 1] = {0};
    size_t at = 0; /* input byte offset of the current row's first element */
    for (int64_t r = 0; r < rows; ++r) {
        const uint8_t *src = input + at;
        if (eb == 1) {
            for (int32_t i = 0; i < n; ++i) {
                output[i] = src[(size_t)i * step];
            }
        } else {
            for (int32_t i = 0; i < n; ++i) {
                memcpy(output + (size_t)i * eb, src + (size_t)i * step, eb);
            }
        }
        output += (size_t)n * eb;
        for (int32_t k = EP_MAX_DIMS - 2; k >= 0; --k) {
            at += (size_t)p->in_stride[k] * eb;
            if (++idx[k] < p->out_dims[k]) {
                break;
            }
            idx[k] = 0;
            at -= (size_t)p->out_dims[k] * (size_t)p->in_stride[k] * eb;
        }
    }
    return EP_OK;
}
