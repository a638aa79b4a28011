/* Prepare for TRANSPOSE_CONV int8 and 16x8 (TFLM TransposeConvPrepare / CalculateOpData): inputs
 * output_shape, filter [oc, kh, kw, ic], input, optional bias; padding is the forward conv's
 * SAME / VALID padding computed from the output size (TFLM passes the output's height and
 * width as the "input" of ComputePaddingHeightWidth); per-channel multipliers and the fused
 * activation as CONV_2D. TFLM takes the output shape from the output tensor, not from the
 * output_shape input, and so does this (the input is not read at invoke: a folded PACK of the
 * dynamic batch needs no bytes). */
#include "prep_util.h"

ep_status ep_op_prepare_tconv(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t cx = {p, index, op};
    ctx_t *c = &cx;
    const ep_op_options *o = &op->options;
    ep_tensor_info w, in, b, out;
    const bool has_bias = op->input_count == 4 && op->inputs[3] >= 0;
    if (op->input_count != 3 && op->input_count != 4) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE_CONV): %d inputs, want 3 or 4",
                    index, op->input_count);
    }
    TRY(pu_tensor(c, op->inputs[1], &w, "filter"));
    TRY(pu_tensor(c, op->inputs[2], &in, "input"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (has_bias) {
        TRY(pu_tensor(c, op->inputs[3], &b, "bias"));
    }
    const bool s16 = in.type == EP_TYPE_INT16; /* 16x8: int16 activations, int64 bias */
    TRY(pu_want_type(c, &in, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &w, "filter"));
    TRY(pu_want_quant(c, &out, "output"));
    if (in.rank != 4 || w.rank != 4 || out.rank != 4 || o->stride_w <= 0 || o->stride_h <= 0 ||
        in.dims[0] != out.dims[0] || w.dims[3] != in.dims[3] || w.dims[0] != out.dims[3] ||
        w.dims[1] <= 0 || w.dims[2] <= 0 || out.elements > INT32_MAX / 8) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE_CONV): want 4-D input, filter "
                    "[out, h, w, in] and output of one batch, positive strides", index);
    }
    const ep_dims id = pu_nhwc(&in), od = pu_nhwc(&out);
    const ep_dims fd = {w.dims[0], w.dims[1], w.dims[2], w.dims[3]};
    /* the scatter's index math: origin = i * stride - pad, plus the filter extent */
    if (!pu_window_fits(od.w, id.w, fd.w, o->stride_w, 1) ||
        !pu_window_fits(od.h, id.h, fd.h, o->stride_h, 1)) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE_CONV): stride %dx%d too large for "
                    "int32 indices", index, o->stride_w, o->stride_h);
    }
    TRY(pu_const_weights(c, &w, has_bias ? &b : NULL, s16 ? EP_TYPE_INT64 : EP_TYPE_INT32, fd.n));
    if (s16 && (ep_tensor_zero_point(&in, 0) != 0 || ep_tensor_zero_point(&out, 0) != 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (TRANSPOSE_CONV): int16 zero points must be 0",
                    index);
    }
    ep_conv_params *cp = &rt->u.conv.p;
    cp->input_offset = -ep_tensor_zero_point(&in, 0);
    cp->output_offset = ep_tensor_zero_point(&out, 0);
    cp->stride = (ep_tile){o->stride_w, o->stride_h};
    cp->dilation = (ep_tile){1, 1};
    const int32_t uh = pu_out_size(o->padding, od.h, fd.h, o->stride_h, 1);
    const int32_t uw = pu_out_size(o->padding, od.w, fd.w, o->stride_w, 1);
    cp->padding = (ep_tile){pu_pad_before(uw, od.w, fd.w, o->stride_w, 1),
                            pu_pad_before(uh, od.h, fd.h, o->stride_h, 1)};
    TRY(pu_activation(c, &out, o->activation, s16 ? -32768 : -128, s16 ? 32767 : 127,
                      &cp->activation));
    TRY(pu_channel_multipliers(c, &in, &w, &out, fd.n, &rt->u.conv.pc));
    rt->u.conv.in_dims = id;
    rt->u.conv.filt_dims = fd;
    rt->u.conv.out_dims = od;
    rt->kind = s16 ? EP_K_TCONV16 : EP_K_TCONV;
    rt->scratch.size = (uint32_t)(s16 ? ep_transpose_conv_s16_get_buffer_size(&od)
                                      : ep_transpose_conv_s8_get_buffer_size(&od));
    return EP_OK;
}
