/* RELU and RELU6 int8 as TFLM's micro kernels compute them: RELU requantises onto the output
 * scale and clamps at the output zero point (ReluQuantized); RELU6 clamps on the input's own
 * scale to [z_in, q(6)] (Relu6Quantized), which is right when, as the converter emits it, the
 * output shares the input's quantisation. */
#include "kernels.h"

ep_status ep_relu_s8(const ep_relu_params *params, const int8_t *input, int8_t *output,
                     int32_t count)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t off = params->input_offset;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t x = (int32_t)((uint32_t)input[i] + (uint32_t)off);
        output[i] = ep_out_s8(x, params->quant.multiplier, params->quant.shift,
                              params->output_offset, params->activation.min,
                              params->activation.max);
    }
    return EP_OK;
}

ep_status ep_clamp_s8(const ep_activation *range, const int8_t *input, int8_t *output,
                      int32_t count)
{
    if (range == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t lo = range->min, hi = range->max;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t v = input[i];
        /* TFLM's order: the upper bound wins if the bounds cross */
        output[i] = (int8_t)(v > hi ? hi : v < lo ? lo : v);
    }
    return EP_OK;
}
