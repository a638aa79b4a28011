/* LEAKY_RELU int8 (TFLM reference_ops::QuantizeLeakyRelu): non-negative x - z_in takes the
 * identity rescale, negative x - z_in the alpha one. A negative alpha gives a negative
 * multiplier: the product is taken with its magnitude and negated, as TFLM does. */
#include "kernels.h"

ep_status ep_leaky_relu_s8(const ep_leaky_relu_params *params, const int8_t *input,
                           int8_t *output, int32_t count)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const bool negative = params->alpha.multiplier < 0;
    const int32_t alpha_mult = negative ? (int32_t)(0u - (uint32_t)params->alpha.multiplier)
                                        : params->alpha.multiplier;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t x = (int32_t)((uint32_t)input[i] + (uint32_t)params->input_offset);
        int32_t r;
        if (x >= 0) {
            r = ep_requantize(x, params->identity.multiplier, params->identity.shift);
        } else {
            r = ep_requantize(x, alpha_mult, params->alpha.shift);
            r = negative ? (int32_t)(0u - (uint32_t)r) : r;
        }
        const int32_t v = (int32_t)((uint32_t)r + (uint32_t)params->output_offset);
        output[i] = (int8_t)ep_clamp(v, -128, 127);
    }
    return EP_OK;
}
