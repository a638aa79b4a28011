/* FULLY_CONNECTED 16x8 prepare (TFLM FullyConnectedPrepare / CalculateOpDataFullyConnected
 * with int16 input): int16 output, int8 filter; multipliers as the int8 op forms them
 * (per-channel in double, per-tensor from the float32 scale product); the bias decides
 * the accumulator (int64, or int32 when it is int32 or an absent bias says
 * quantized_bias_type int32, as TFLM's Eval). The other 16x8 variants reuse their int8
 * prepare (op_prepare.c, op_prepare_data.c). Tensors, types and shapes are read and checked
 * once for both FULLY_CONNECTED variants (pu_fc_check, prep_util.c). */
#include "prep_util.h"

ep_status ep_op_prepare_fc16(ctx_t *c, const pu_fc *f, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    const ep_tensor_info *in = &f->in, *w = &f->w, *b = &f->b, *out = &f->out;
    const bool has_bias = f->has_bias;
    const int32_t rows = f->rows, depth = f->depth, batches = f->batches;
    const bool acc32 = has_bias ? b->type == EP_TYPE_INT32
                                : op->options.quantized_bias_type == EP_TYPE_INT32;
    TRY(pu_const_weights(c, w, has_bias ? b : NULL, acc32 ? EP_TYPE_INT32 : EP_TYPE_INT64,
                         rows));
    ep_fc_s16_params *p = &rt->u.fc16.p;
    p->per_channel = w->scale_count > 1;
    p->acc32 = acc32;
    p->fc.input_offset = -ep_tensor_zero_point(in, 0);
    p->fc.filter_offset = p->per_channel ? 0 : -ep_tensor_zero_point(w, 0);
    p->fc.output_offset = ep_tensor_zero_point(out, 0);
    TRY(pu_activation(c, out, op->options.activation, -32768, 32767, &p->fc.activation));
    if (p->per_channel) {
        if (w->scale_count != rows) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (FULLY_CONNECTED): %d filter scales for %d rows",
                        c->index, w->scale_count, rows);
        }
        TRY(pu_channel_multipliers(c, in, w, out, rows, &p->pc));
    } else {
        /* TFLM multiplies the two float scales in float32 first. */
        const float prod = ep_tensor_scale(in, 0) * ep_tensor_scale(w, 0);
        const double real = (double)prod / (double)ep_tensor_scale(out, 0);
        if (ep_quantize_multiplier(real, &p->q.multiplier, &p->q.shift) != EP_OK) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (FULLY_CONNECTED): bad scales", c->index);
        }
    }
    rt->kind = EP_K_FC16;
    rt->u.fc16.in_dims = (ep_dims){batches, 1, 1, depth};
    rt->u.fc16.filt_dims = (ep_dims){depth, 1, 1, rows};
    return EP_OK;
}
