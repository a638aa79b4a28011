/* QUANTIZE between integer types (TFLM reference_ops::Requantize):
 * out = clamp(requant(in - in_zp) + out_zp) to the output type's range. */
#include "kernels.h"

static int32_t load(const void *p, int32_t type, int32_t i)
{
    switch (type) {
    case EP_TYPE_INT8: return ((const int8_t *)p)[i];
    case EP_TYPE_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

ep_status ep_requantize_tensor(const void *input, int32_t in_type, int32_t in_zp,
                               void *output, int32_t out_type, int32_t out_zp,
                               const ep_per_tensor_quant_params *quant, int32_t count)
{
    int32_t lo, hi;
    if (input == NULL || output == NULL || quant == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    switch (out_type) {
    case EP_TYPE_INT8: lo = -128; hi = 127; break;
    case EP_TYPE_INT16: lo = -32768; hi = 32767; break;
    case EP_TYPE_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
    default: return EP_ERR_ARG;
    }
    if (in_type != EP_TYPE_INT8 && in_type != EP_TYPE_INT16 && in_type != EP_TYPE_INT32) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        const int32_t x = (int32_t)((uint32_t)load(input, in_type, i) - (uint32_t)in_zp);
        const int32_t v = (int32_t)((uint32_t)ep_requantize(x, quant->multiplier, quant->shift) +
                                    (uint32_t)out_zp);
        const int32_t c = ep_clamp(v, lo, hi);
        if (out_type == EP_TYPE_INT8) {
            ((int8_t *)output)[i] = (int8_t)c;
        } else if (out_type == EP_TYPE_INT16) {
            ((int16_t *)output)[i] = (int16_t)c;
        } else {
            ((int32_t *)output)[i] = c;
        }
    }
    return EP_OK;
}
