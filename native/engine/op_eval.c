/* Operator eval: the hot path; every argument was validated in prepare. */
#include <string.h>

#include "engine_internal.h"

#define TD(s, i) (((ep_tensor_rt *)(s)->tensors)[(i)].data)

ep_status ep_op_eval(ep_session *s, ep_op_rt *rt)
{
    const ep_context ctx = {rt->scratch.size > 0 ? s->activations + rt->scratch.offset : NULL,
                           (int32_t)rt->scratch.size};
    void *out = TD(s, rt->out);
    const void *in = TD(s, rt->in[0]);
    const void *w = rt->in[1] >= 0 ? TD(s, rt->in[1]) : NULL;
    const void *b = rt->in[2] >= 0 ? TD(s, rt->in[2]) : NULL;
    switch (rt->kind) {
    case EP_K_FC: {
        const ep_context sums = {rt->u.fc.sums, rt->u.fc.out_dims.c * 4};
        return ep_fully_connected_s8(&sums, &rt->u.fc.p, &rt->u.fc.q, &rt->u.fc.in_dims, in,
                                     &rt->u.fc.filt_dims, w, NULL, b, &rt->u.fc.out_dims, out);
    }
    case EP_K_FC_PC: {
        const ep_context sums = {rt->u.fc.sums, rt->u.fc.out_dims.c * 4};
        return ep_fully_connected_per_channel_s8(&sums, &rt->u.fc.p, &rt->u.fc.pc,
                                                 &rt->u.fc.in_dims, in, &rt->u.fc.filt_dims, w,
                                                 NULL, b, &rt->u.fc.out_dims, out);
    }
    case EP_K_CONV: {
        return ep_convolve_s8(NULL, &rt->u.conv.p, &rt->u.conv.pc, &rt->u.conv.in_dims, in,
                              &rt->u.conv.filt_dims, w, NULL, b, &rt->u.conv.out_dims, out);
    }
    case EP_K_CONV16:
        return ep_convolve_s16(NULL, &rt->u.conv.p, &rt->u.conv.pc, &rt->u.conv.in_dims, in,
                               &rt->u.conv.filt_dims, w, NULL, b, &rt->u.conv.out_dims, out);
    case EP_K_DW: {
        const ep_conv_params *cp = &rt->u.conv.p;
        const ep_dw_conv_params dw = {cp->input_offset, cp->output_offset, rt->u.conv.ch_mult,
                                      cp->stride, cp->padding, cp->dilation, cp->activation};
        return ep_depthwise_conv_s8(&ctx, &dw, &rt->u.conv.pc, &rt->u.conv.in_dims,
                                    in, &rt->u.conv.filt_dims, NULL, w, b, &rt->u.conv.out_dims,
                                    out);
    }
    case EP_K_AVGPOOL:
        return ep_avgpool_s8(&ctx, &rt->u.pool.p, &rt->u.pool.in_dims, in, &rt->u.pool.filt_dims,
                             &rt->u.pool.out_dims, out);
    case EP_K_MAXPOOL:
        return ep_maxpool_s8(&ctx, &rt->u.pool.p, &rt->u.pool.in_dims, in, &rt->u.pool.filt_dims,
                             &rt->u.pool.out_dims, out);
    case EP_K_SOFTMAX8:
        return ep_softmax_s8(in, rt->u.softmax.rows, rt->u.softmax.row_size, &rt->u.softmax.p,
                             out);
    case EP_K_SOFTMAX16:
        return ep_softmax_s8_s16(in, rt->u.softmax.rows, rt->u.softmax.row_size,
                                 &rt->u.softmax.p, out);
    case EP_K_QUANT:
        return ep_requantize_tensor(in, rt->u.quant.in_type, rt->u.quant.in_zp, out,
                                    rt->u.quant.out_type, rt->u.quant.out_zp, &rt->u.quant.q,
                                    rt->u.quant.count);
    case EP_K_SVDF:
        return ep_svdf_s8(&ctx, &rt->u.svdf.p, rt->u.svdf.batch, rt->u.svdf.input_size, in,
                          rt->u.svdf.num_filters, rt->u.svdf.memory_size, w,
                          (const int8_t *)TD(s, rt->in[2]),
                          rt->in[3] >= 0 ? (const int32_t *)TD(s, rt->in[3]) : NULL,
                          (int8_t *)TD(s, rt->in[4]), rt->u.svdf.num_units, out);
    case EP_K_RESHAPE:
        /* Planned as an alias: nothing to do unless the planner could not share. */
        if (out != in) {
            memmove(out, in, rt->u.copy.bytes);
        }
        return EP_OK;
    case EP_K_ADD:
    case EP_K_MUL: {
        const ep_broadcast_dims *bd = (const ep_broadcast_dims *)rt->u.ext.params;
        const void *p = bd + 1;
        return rt->kind == EP_K_ADD
                   ? ep_elementwise_add_s8((const ep_add_params *)p, bd, in, w, out)
                   : ep_elementwise_mul_s8((const ep_mul_params *)p, bd, in, w, out);
    }
    case EP_K_PAD:
        return ep_pad_s8((const ep_pad_params *)rt->u.ext.params, in, out);
    case EP_K_SSLICE:
        return ep_strided_slice((const ep_strided_slice_params *)rt->u.ext.params, in, out);
    case EP_K_CONCAT: {
        const ep_concat_rt *cr = (const ep_concat_rt *)rt->u.ext.params;
        const uint8_t *ins[EP_MAX_CONCAT_INPUTS];
        for (int32_t i = 0; i < cr->count && i < EP_MAX_CONCAT_INPUTS; ++i) {
            ins[i] = TD(s, cr->in[i]);
        }
        return ep_concatenation(ins, cr->axis_bytes, cr->count, cr->outer, out);
    }
    case EP_K_LOGISTIC:
        return ep_logistic_s8(&rt->u.act.p.sigmoid, in, out, rt->u.act.count);
    case EP_K_TANH:
        return ep_tanh_s8(&rt->u.act.p.sigmoid, in, out, rt->u.act.count);
    case EP_K_RELU:
        return ep_relu_s8(&rt->u.act.p.relu, in, out, rt->u.act.count);
    case EP_K_RELU6:
        return ep_clamp_s8(&rt->u.act.p.clamp, in, out, rt->u.act.count);
    case EP_K_LEAKY_RELU:
        return ep_leaky_relu_s8(&rt->u.act.p.leaky, in, out, rt->u.act.count);
    case EP_K_HARD_SWISH:
        return ep_hard_swish_s8(&rt->u.act.p.hswish, in, out, rt->u.act.count);
    /* shape / reduce operators (EXPAND_DIMS, SQUEEZE: EP_K_RESHAPE above) */
    case EP_K_SUB: {
        const ep_broadcast_dims *bd = (const ep_broadcast_dims *)rt->u.ext.params;
        return ep_elementwise_sub_s8((const ep_sub_params *)(const void *)(bd + 1), bd, in, w,
                                     out);
    }
    case EP_K_MAXIMUM:
        return ep_maximum_s8((const ep_broadcast_dims *)rt->u.ext.params, in, w, out);
    case EP_K_MINIMUM:
        return ep_minimum_s8((const ep_broadcast_dims *)rt->u.ext.params, in, w, out);
    case EP_K_MEAN:
        return ep_mean_s8(&ctx, (const ep_mean_params *)rt->u.ext.params, in, out);
    /* data-layout operators (PACK: EP_K_CONCAT, SUM: EP_K_MEAN) */
    case EP_K_NOP:
        return EP_OK; /* folded at prepare */
    case EP_K_UNPACK: {
        const ep_unpack_rt *ur = (const ep_unpack_rt *)rt->u.ext.params;
        uint8_t *outs[EP_MAX_OP_OUTPUTS];
        for (int32_t i = 0; i < ur->count && i < EP_MAX_OP_OUTPUTS; ++i) {
            outs[i] = TD(s, ur->out[i]);
        }
        return ep_unpack(in, ur->count, ur->outer, ur->copy_bytes, outs);
    }
    case EP_K_GATHER:
        return ep_gather((const ep_gather_params *)rt->u.ext.params, in, w, out);
    case EP_K_S2B:
        return ep_space_to_batch_nd_s8((const ep_space_batch_params *)rt->u.ext.params, in, out);
    case EP_K_B2S:
        return ep_batch_to_space_nd_s8((const ep_space_batch_params *)rt->u.ext.params, in, out);
    case EP_K_TRANSPOSE:
        return ep_transpose((const ep_transpose_params *)rt->u.ext.params, in, out);
    case EP_K_QUANT_F32:
        return ep_quantize_f32(in, rt->u.edge.scale, rt->u.edge.zp, rt->u.edge.type, out,
                               rt->u.edge.count);
    case EP_K_DEQUANT_F32:
        return ep_dequantize_f32(in, rt->u.edge.type, rt->u.edge.scale, rt->u.edge.zp, out,
                                 rt->u.edge.count);
    case EP_K_TCONV: /* inputs: output_shape (unread), filter, input, bias */
        return ep_transpose_conv_s8(&ctx, &rt->u.conv.p, &rt->u.conv.pc, &rt->u.conv.in_dims,
                                    (const int8_t *)TD(s, rt->in[2]), &rt->u.conv.filt_dims, w,
                                    rt->in[3] >= 0 ? (const int32_t *)TD(s, rt->in[3]) : NULL,
                                    &rt->u.conv.out_dims, out);
    case EP_K_TCONV16:
        return ep_transpose_conv_s16(&ctx, &rt->u.conv.p, &rt->u.conv.pc, &rt->u.conv.in_dims,
                                     (const int16_t *)TD(s, rt->in[2]), &rt->u.conv.filt_dims, w,
                                     rt->in[3] >= 0 ? TD(s, rt->in[3]) : NULL,
                                     &rt->u.conv.out_dims, out);
    case EP_K_LSTM: {
        const ep_lstm_rt *lr = (const ep_lstm_rt *)rt->u.ext.params;
        ep_lstm_weights lw;
        for (int32_t g = 0; g < 4; ++g) {
            lw.w_in[g] = (const int8_t *)TD(s, lr->w_in[g]);
            lw.w_rec[g] = (const int8_t *)TD(s, lr->w_rec[g]);
            lw.bias[g] = TD(s, lr->bias[g]);
        }
        if (lr->wide) {
            return ep_lstm_s16(&ctx, &lr->p, &lw, in, (int16_t *)TD(s, lr->hidden),
                               (int16_t *)TD(s, lr->cell), out);
        }
        return ep_lstm_s8(&ctx, &lr->p, &lw, in, (int8_t *)TD(s, lr->hidden),
                          (int16_t *)TD(s, lr->cell), out);
    }
    /* 16x8 variants */
    case EP_K_FC16:
        return ep_fully_connected_s16(&rt->u.fc16.p, &rt->u.fc16.in_dims, in, &rt->u.fc16.filt_dims,
                                      w, b, out);
    case EP_K_DW16: {
        const ep_conv_params *cp = &rt->u.conv.p;
        const ep_dw_conv_params dw = {cp->input_offset, cp->output_offset, rt->u.conv.ch_mult,
                                      cp->stride, cp->padding, cp->dilation, cp->activation};
        return ep_depthwise_conv_s16(&dw, &rt->u.conv.pc, &rt->u.conv.in_dims, in,
                                     &rt->u.conv.filt_dims, w, b, &rt->u.conv.out_dims, out);
    }
    case EP_K_AVGPOOL16:
        return ep_avgpool_s16(&ctx, &rt->u.pool.p, &rt->u.pool.in_dims, in,
                              &rt->u.pool.filt_dims, &rt->u.pool.out_dims, out);
    case EP_K_MAXPOOL16:
        return ep_maxpool_s16(&ctx, &rt->u.pool.p, &rt->u.pool.in_dims, in,
                              &rt->u.pool.filt_dims, &rt->u.pool.out_dims, out);
    case EP_K_LOGISTIC16:
        return ep_logistic_s16(&rt->u.act.p.sigmoid16, in, out, rt->u.act.count);
    case EP_K_TANH16:
        return ep_tanh_s16(&rt->u.act.p.sigmoid16, in, out, rt->u.act.count);
    case EP_K_SUB16: {
        const ep_broadcast_dims *bd = (const ep_broadcast_dims *)rt->u.ext.params;
        return ep_elementwise_sub_s16((const ep_sub_params *)(const void *)(bd + 1), bd, in, w,
                                      out);
    }
    case EP_K_PAD16:
        return ep_pad_s16((const ep_pad_params *)rt->u.ext.params, in, out);
    case EP_K_MEAN16: /* MEAN and SUM */
        return ep_mean_s16(&ctx, (const ep_mean_params *)rt->u.ext.params, in, out);
    case EP_K_MAXIMUM16:
        return ep_maximum_s16((const ep_broadcast_dims *)rt->u.ext.params, in, w, out);
    case EP_K_MINIMUM16:
        return ep_minimum_s16((const ep_broadcast_dims *)rt->u.ext.params, in, w, out);
    case EP_K_RELU16:
        return ep_relu_s16(&rt->u.act.p.relu, in, out, rt->u.act.count);
    case EP_K_RELU6_16:
        return ep_clamp_s16(&rt->u.act.p.clamp, in, out, rt->u.act.count);
    case EP_K_LEAKY16:
        return ep_leaky_relu_s16(&rt->u.act.p.leaky, in, out, rt->u.act.count);
    case EP_K_SOFTMAX_S16:
        return ep_softmax_s16(in, rt->u.softmax.rows, rt->u.softmax.row_size, &rt->u.softmax.p,
                              out);
    case EP_K_ADD16:
    case EP_K_MUL16: {
        const ep_broadcast_dims *bd = (const ep_broadcast_dims *)rt->u.ext.params;
        const void *p = bd + 1;
        return rt->kind == EP_K_ADD16
                   ? ep_elementwise_add_s16((const ep_add_params *)p, bd, in, w, out)
                   : ep_elementwise_mul_s16((const ep_mul_params *)p, bd, in, w, out);
    }
    default:
        return ep_op_eval_signal(s, rt, &ctx);
    }
}
