/* RELU and RELU6 int8 / int16 as TFLM's micro kernels compute them: RELU requantises onto the
 * output scale and clamps at the output zero point (ReluQuantized); RELU6 clamps on the input's
 * own scale to [z_in, q(6)] (Relu6Quantized), which is right when, as the converter emits it,
 * the output shares the input's quantisation. One body per operator, inlined into its int8 and
 * int16 entry points with the width a constant. */
#include "kernels.h"

static inline ep_status relu(const ep_relu_params *params, const void *input, void *output,
                             int32_t count, bool s16)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t off = params->input_offset;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t in = s16 ? ((const int16_t *)input)[i] : ((const int8_t *)input)[i];
        const int32_t x = (int32_t)((uint32_t)in + (uint32_t)off);
        const int32_t v = (int32_t)((uint32_t)ep_requantize(x, params->quant.multiplier,
                                                            params->quant.shift) +
                                    (uint32_t)params->output_offset);
        const int32_t r = ep_clamp(v, params->activation.min, params->activation.max);
        if (s16) {
            ((int16_t *)output)[i] = (int16_t)r;
        } else {
            ((int8_t *)output)[i] = (int8_t)r;
        }
    }
    return EP_OK;
}

static inline ep_status clamp(const ep_activation *range, const void *input, void *output,
                              int32_t count, bool s16)
{
    if (range == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t lo = range->min, hi = range->max;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = s16 ? ((const int16_t *)input)[i] : ((const int8_t *)input)[i];
        /* TFLM's order: the upper bound wins if the bounds cross */
        const int32_t r = v > hi ? hi : v < lo ? lo : v;
        if (s16) {
            ((int16_t *)output)[i] = (int16_t)r;
        } else {
            ((int8_t *)output)[i] = (int8_t)r;
        }
    }
    return EP_OK;
}

ep_status ep_relu_s8(const ep_relu_params *params, const int8_t *input, int8_t *output,
                     int32_t count)
{
    return relu(params, input, output, count, false);
}

ep_status ep_relu_s16(const ep_relu_params *params, const int16_t *input, int16_t *output,
                      int32_t count)
{
    return relu(params, input, output, count, true);
}

ep_status ep_clamp_s8(const ep_activation *range, const int8_t *input, int8_t *output,
                      int32_t count)
{
    return clamp(range, input, output, count, false);
}

ep_status ep_clamp_s16(const ep_activation *range, const int16_t *input, int16_t *output,
                       int32_t count)
{
    return clamp(range, input, output, count, true);
}
