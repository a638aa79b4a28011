/* LEAKY_RELU int8 / int16 (TFLM reference_ops::QuantizeLeakyRelu): non-negative x - z_in takes
 * the identity rescale, negative x - z_in the alpha one. A negative alpha gives a negative
 * multiplier: the product is taken with its magnitude and negated, as TFLM does. One body,
 * inlined into the int8 and int16 entry points with the width a constant. */
#include "kernels.h"

static inline ep_status leaky(const ep_leaky_relu_params *params, const void *input,
                              void *output, int32_t count, bool s16)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const bool negative = params->alpha.multiplier < 0;
    const int32_t alpha_mult = negative ? (int32_t)(0u - (uint32_t)params->alpha.multiplier)
                                        : params->alpha.multiplier;
    const int32_t lo = s16 ? -32768 : -128, hi = s16 ? 32767 : 127;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t in = s16 ? ((const int16_t *)input)[i] : ((const int8_t *)input)[i];
        const int32_t x = (int32_t)((uint32_t)in + (uint32_t)params->input_offset);
        int32_t r;
        if (x >= 0) {
            r = ep_requantize(x, params->identity.multiplier, params->identity.shift);
        } else {
            r = ep_requantize(x, alpha_mult, params->alpha.shift);
            r = negative ? (int32_t)(0u - (uint32_t)r) : r;
        }
        const int32_t v = ep_clamp((int32_t)((uint32_t)r + (uint32_t)params->output_offset), lo, hi);
        if (s16) {
            ((int16_t *)output)[i] = (int16_t)v;
        } else {
            ((int8_t *)output)[i] = (int8_t)v;
        }
    }
    return EP_OK;
}

ep_status ep_leaky_relu_s8(const ep_leaky_relu_params *params, const int8_t *input,
                           int8_t *output, int32_t count)
{
    return leaky(params, input, output, count, false);
}

ep_status ep_leaky_relu_s16(const ep_leaky_relu_params *params, const int16_t *input,
                            int16_t *output, int32_t count)
{
    return leaky(params, input, output, count, true);
}
