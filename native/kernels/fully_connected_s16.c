/* FULLY_CONNECTED 16x8 (TFLM reference integer_ops FullyConnected /
 * FullyConnectedPerChannel with int16 input and output, int8 weights).
 * TFLM picks the accumulator from the bias: int64 bias (the converter's), or
 * no bias, give an int64 sum and the reduced-multiplier requantisation; an
 * int32 bias (or a bias-less op stating quantized_bias_type int32) gives an
 * int32 sum and the ordinary double rounding. Unlike CONV_2D, TFLM applies
 * the zero points here (input, per-tensor filter, output), so we do too. */
#include <string.h>

#include "kernels.h"

/* int64 biases are only 4-aligned in converter files: read by memcpy. */
static int64_t bias64_at(const uint8_t *bias, int32_t i)
{
    int64_t v;
    memcpy(&v, bias + 8U * (uint32_t)i, sizeof v);
    return v;
}

ep_status ep_fully_connected_s16(const ep_fc_s16_params *params,
                                 const ep_dims *input_dims, const int16_t *input,
                                 const ep_dims *filter_dims, const int8_t *filter,
                                 const void *bias, int16_t *output)
{
    if (params == NULL || input_dims == NULL || input == NULL || filter_dims == NULL ||
        filter == NULL || output == NULL || filter_dims->n <= 0 || filter_dims->c <= 0 ||
        input_dims->n < 0 || (params->per_channel && (params->pc.multiplier == NULL ||
                                                      params->pc.shift == NULL))) {
        return EP_ERR_ARG;
    }
    const int32_t depth = filter_dims->n, rows = filter_dims->c;
    const int32_t io = params->fc.input_offset, fo = params->fc.filter_offset;
    const int32_t act_min = params->fc.activation.min, act_max = params->fc.activation.max;
    for (int32_t b = 0; b < input_dims->n; ++b) {
        const int16_t *x = input + (size_t)b * (size_t)depth;
        int16_t *y = output + (size_t)b * (size_t)rows;
        for (int32_t o = 0; o < rows; ++o) {
            const int8_t *w = filter + (size_t)o * (size_t)depth;
            const int32_t m = params->per_channel ? params->pc.multiplier[o] : params->q.multiplier;
            const int32_t s = params->per_channel ? params->pc.shift[o] : params->q.shift;
            int32_t v;
            if (params->acc32) {
                /* uint32: wraps like TFLM's int32 accumulator, without UB */
                uint32_t acc = 0;
                for (int32_t i = 0; i < depth; ++i) {
                    acc += (uint32_t)(((int64_t)w[i] + fo) * ((int64_t)x[i] + io));
                }
                if (bias != NULL) {
                    int32_t bv;
                    memcpy(&bv, (const uint8_t *)bias + 4U * (uint32_t)o, sizeof bv);
                    acc += (uint32_t)bv;
                }
                v = ep_requantize((int32_t)acc, m, s);
            } else {
                int64_t acc = 0;
                for (int32_t i = 0; i < depth; ++i) {
                    acc += ((int64_t)w[i] + fo) * ((int64_t)x[i] + io);
                }
                if (bias != NULL) {
                    acc += bias64_at((const uint8_t *)bias, o);
                }
                v = ep_requantize_s64(acc, m, s);
            }
            v = (int32_t)((uint32_t)v + (uint32_t)params->fc.output_offset);
            y[o] = (int16_t)ep_clamp(v, act_min, act_max);
        }
    }
    return EP_OK;
}
