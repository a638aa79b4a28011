/* FULLY_CONNECTED int8, per-tensor and per-channel (TFLM reference
 * integer_ops FullyConnected / FullyConnectedPerChannel).
 *
 * TFLM accumulates sum((w + fo) * (x + io)) + bias. Expanding it,
 *   sum(w*x) + io*sum(w) + fo*sum(x) + K*fo*io + bias,
 * every term except sum(w*x) and fo*sum(x) depends only on constants, so
 * prepare folds them into one int32 per output row ("kernel sums") and the
 * hot loop is a bare int8 dot product. Int32 arithmetic wraps identically
 * in both orders, so the result is bit-exact. */
#include "kernels.h"

int32_t ep_fully_connected_s8_get_buffer_size(const ep_dims *filter_dims)
{
    if (filter_dims == NULL || filter_dims->c < 0) {
        return 0;
    }
    return filter_dims->c * (int32_t)sizeof(int32_t);
}

ep_status ep_fully_connected_s8_prepare(const ep_fc_params *params, const ep_dims *filter_dims,
                                        const int8_t *filter, const int32_t *bias,
                                        int32_t *kernel_sums)
{
    if (params == NULL || filter_dims == NULL || filter == NULL || kernel_sums == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t depth = filter_dims->n;
    const int32_t rows = filter_dims->c;
    const uint32_t k_fo_io = (uint32_t)depth * (uint32_t)params->filter_offset *
                             (uint32_t)params->input_offset;
    for (int32_t o = 0; o < rows; ++o) {
        const uint32_t wsum = (uint32_t)ep_sum_s8(filter + (size_t)o * (size_t)depth, depth);
        /* unsigned: wraps like TFLM's int32 accumulator instead of being UB */
        uint32_t s = (uint32_t)params->input_offset * wsum + k_fo_io;
        if (bias != NULL) {
            s += (uint32_t)bias[o];
        }
        kernel_sums[o] = (int32_t)s;
    }
    return EP_OK;
}

/* Shared body: quant is per-tensor when per_channel is NULL. */
static ep_status fc_eval(const ep_context *ctx, const ep_fc_params *params, int32_t mult0,
                         int32_t shift0, const ep_per_channel_quant_params *per_channel,
                         const ep_dims *input_dims, const int8_t *input,
                         const ep_dims *filter_dims, const int8_t *filter, const int32_t *bias,
                         int8_t *output)
{
    const int32_t depth = filter_dims->n;
    const int32_t rows = filter_dims->c;
    const int32_t batches = input_dims->n;
    const int32_t out_offset = params->output_offset;
    const int32_t act_min = params->activation.min;
    const int32_t act_max = params->activation.max;
    const int32_t *sums = NULL;
    if (ctx != NULL && ctx->buf != NULL && ctx->size >= rows * (int32_t)sizeof(int32_t)) {
        sums = (const int32_t *)ctx->buf;
    }
    for (int32_t b = 0; b < batches; ++b) {
        const int8_t *x = input + (size_t)b * (size_t)depth;
        int8_t *y = output + (size_t)b * (size_t)rows;
        uint32_t batch_term = 0;
        if (params->filter_offset != 0) {
            batch_term = (uint32_t)params->filter_offset * (uint32_t)ep_sum_s8(x, depth);
        }
        int32_t o = 0;
        if (sums != NULL) {
            /* Four rows per pass over x: each input byte is loaded (and widened)
             * once for four dot products. */
            for (; o + 4 <= rows; o += 4) {
                const int8_t *w0 = filter + (size_t)o * (size_t)depth;
                const int8_t *w1 = w0 + depth, *w2 = w1 + depth, *w3 = w2 + depth;
                int32_t d0 = 0, d1 = 0, d2 = 0, d3 = 0;
                for (int32_t i = 0; i < depth; ++i) {
                    const int32_t xv = x[i];
                    d0 += w0[i] * xv;
                    d1 += w1[i] * xv;
                    d2 += w2[i] * xv;
                    d3 += w3[i] * xv;
                }
                const int32_t d[4] = {d0, d1, d2, d3};
                for (int32_t r = 0; r < 4; ++r) {
                    const uint32_t acc = (uint32_t)d[r] + batch_term + (uint32_t)sums[o + r];
                    const int32_t m = per_channel != NULL ? per_channel->multiplier[o + r] : mult0;
                    const int32_t s = per_channel != NULL ? per_channel->shift[o + r] : shift0;
                    y[o + r] = ep_out_s8((int32_t)acc, m, s, out_offset, act_min, act_max);
                }
            }
        }
        for (; o < rows; ++o) {
            const int8_t *w = filter + (size_t)o * (size_t)depth;
            uint32_t acc = (uint32_t)ep_dot_s8(w, x, depth) + batch_term;
            if (sums != NULL) {
                acc += (uint32_t)sums[o];
            } else {
                acc += (uint32_t)params->input_offset * (uint32_t)ep_sum_s8(w, depth) +
                       (uint32_t)depth * (uint32_t)params->filter_offset *
                           (uint32_t)params->input_offset;
                if (bias != NULL) {
                    acc += (uint32_t)bias[o];
                }
            }
            const int32_t m = per_channel != NULL ? per_channel->multiplier[o] : mult0;
            const int32_t s = per_channel != NULL ? per_channel->shift[o] : shift0;
            y[o] = ep_out_s8((int32_t)acc, m, s, out_offset, act_min, act_max);
        }
    }
    return EP_OK;
}

static int fc_args_ok(const ep_fc_params *params, const ep_dims *input_dims, const int8_t *input,
                      const ep_dims *filter_dims, const int8_t *filter, const int8_t *output)
{
    return params != NULL && input_dims != NULL && input != NULL && filter_dims != NULL &&
           filter != NULL && output != NULL && filter_dims->n > 0 && filter_dims->c > 0 &&
           input_dims->n >= 0;
}

ep_status ep_fully_connected_s8(const ep_context *ctx, const ep_fc_params *params,
                                const ep_per_tensor_quant_params *quant,
                                const ep_dims *input_dims, const int8_t *input,
                                const ep_dims *filter_dims, const int8_t *filter,
                                const ep_dims *bias_dims, const int32_t *bias,
                                const ep_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    (void)output_dims;
    if (quant == NULL || !fc_args_ok(params, input_dims, input, filter_dims, filter, output)) {
        return EP_ERR_ARG;
    }
    return fc_eval(ctx, params, quant->multiplier, quant->shift, NULL, input_dims, input,
                   filter_dims, filter, bias, output);
}

ep_status ep_fully_connected_per_channel_s8(const ep_context *ctx, const ep_fc_params *params,
                                            const ep_per_channel_quant_params *quant,
                                            const ep_dims *input_dims, const int8_t *input,
                                            const ep_dims *filter_dims, const int8_t *filter,
                                            const ep_dims *bias_dims, const int32_t *bias,
                                            const ep_dims *output_dims, int8_t *output)
{
    (void)bias_dims;
    (void)output_dims;
    if (quant == NULL || quant->multiplier == NULL || quant->shift == NULL ||
        !fc_args_ok(params, input_dims, input, filter_dims, filter, output)) {
        return EP_ERR_ARG;
    }
    return fc_eval(ctx, params, 0, 0, quant, input_dims, input, filter_dims, filter, bias,
                   output);
}
