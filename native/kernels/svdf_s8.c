/* SVDF int8 with int8 state (TFLM EvalIntegerSvdfReference<int8_t>).
 * A new activation is clamped to int8 and THEN offset by the state zero point, the
 * sum narrowed to int8 with wrap-around: that is what the TFLM interpreter we are
 * bit-exact with (PyPI tflite-micro, pinned in requirements.txt) stores. (Later TFLM
 * moved the zero point before the clamp; a model whose state saturates tells them apart.)
 * The time weights read the state with the zero point subtracted. */
#include <string.h>

#include "kernels.h"

int32_t ep_svdf_s8_get_buffer_size(int32_t batch, int32_t num_filters, int32_t num_units)
{
    if (batch < 0 || num_filters < 0 || num_units < 0) {
        return 0;
    }
    return (batch * num_filters + batch * num_units) * (int32_t)sizeof(int32_t);
}

ep_status ep_svdf_s8(const ep_context *ctx, const ep_svdf_params *params,
                     int32_t batch, int32_t input_size, const int8_t *input,
                     int32_t num_filters, int32_t memory_size,
                     const int8_t *feature_weights, const int8_t *time_weights,
                     const int32_t *bias, int8_t *state, int32_t num_units, int8_t *output)
{
    if (ctx == NULL || ctx->buf == NULL || params == NULL || input == NULL ||
        feature_weights == NULL || time_weights == NULL || state == NULL || output == NULL ||
        params->rank <= 0 || num_units * params->rank != num_filters || memory_size <= 0 ||
        ctx->size < ep_svdf_s8_get_buffer_size(batch, num_filters, num_units)) {
        return EP_ERR_ARG;
    }
    int32_t *scratch = (int32_t *)ctx->buf;
    int32_t *out_acc = scratch + (size_t)batch * (size_t)num_filters;
    const int32_t zs = params->state_zero_point;
    const size_t state_len = (size_t)batch * (size_t)num_filters * (size_t)memory_size;
    /* Shift the whole state one slot left; each filter's newest slot is
     * rewritten below. */
    if (state_len == 0) {
        return EP_ERR_ARG;
    }
    memmove(state, state + 1, state_len - 1);
    for (int32_t b = 0; b < batch; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)input_size;
        int8_t *slot = state + (size_t)b * (size_t)num_filters * (size_t)memory_size +
                       (size_t)(memory_size - 1);
        for (int32_t f = 0; f < num_filters; ++f) {
            const int32_t dot = ep_dot_off16_s8(feature_weights + (size_t)f * (size_t)input_size, x,
                                              params->input_offset, input_size);
            const int32_t v = ep_clamp(ep_requantize(dot, params->in_quant.multiplier,
                                                     params->in_quant.shift), -128, 127) + zs;
            /* Two's-complement narrowing written out: defined behaviour in C. */
            slot[(size_t)f * (size_t)memory_size] = (int8_t)(((v & 0xFF) ^ 0x80) - 0x80);
        }
    }
    for (int32_t b = 0; b < batch; ++b) {
        const int8_t *s = state + (size_t)b * (size_t)num_filters * (size_t)memory_size;
        for (int32_t f = 0; f < num_filters; ++f) {
            scratch[(size_t)b * (size_t)num_filters + (size_t)f] =
                ep_dot_off16_s8(time_weights + (size_t)f * (size_t)memory_size,
                              s + (size_t)f * (size_t)memory_size, -zs, memory_size);
        }
    }
    for (int32_t b = 0; b < batch; ++b) {
        const int32_t *sc = scratch + (size_t)b * (size_t)num_filters;
        for (int32_t u = 0; u < num_units; ++u) {
            uint32_t acc = bias != NULL ? (uint32_t)bias[u] : 0u;
            for (int32_t r = 0; r < params->rank; ++r) {
                acc += (uint32_t)sc[(size_t)u * (size_t)params->rank + (size_t)r];
            }
            out_acc[(size_t)b * (size_t)num_units + (size_t)u] = (int32_t)acc;
        }
    }
    for (int32_t i = 0; i < batch * num_units; ++i) {
        const int32_t v = (int32_t)((uint32_t)ep_requantize(out_acc[i], params->out_quant.multiplier,
                                                            params->out_quant.shift) +
                                    (uint32_t)params->output_offset);
        output[i] = (int8_t)ep_clamp(v, -128, 127);
    }
    return EP_OK;
}
