/* Operator prepare, one function per operator: validates what the TFLM
 * kernel's Prepare validates, then computes multipliers, clamps and kernel
 * sums once, into the arena (measure mode only counts bytes). */
#include <string.h>

#include "prep_util.h"

static ep_status prep_fc(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    pu_fc f;
    TRY(pu_fc_check(c, &f));
    if (f.in.type == EP_TYPE_INT16) {
        return ep_op_prepare_fc16(c, &f, rt);
    }
    const ep_tensor_info *in = &f.in, *w = &f.w, *b = &f.b, *out = &f.out;
    const bool has_bias = f.has_bias;
    const int32_t rows = f.rows, depth = f.depth, batches = f.batches;
    TRY(pu_const_weights(c, w, has_bias ? b : NULL, EP_TYPE_INT32, rows));
    const bool per_channel = w->scale_count > 1;
    ep_fc_params *p = &rt->u.fc.p;
    p->input_offset = -ep_tensor_zero_point(in, 0);
    p->filter_offset = per_channel ? 0 : -ep_tensor_zero_point(w, 0);
    p->output_offset = ep_tensor_zero_point(out, 0);
    TRY(pu_activation(c, out, op->options.activation, -128, 127, &p->activation));
    if (per_channel) {
        rt->kind = EP_K_FC_PC;
        TRY(pu_channel_multipliers(c, in, w, out, rows, &rt->u.fc.pc));
    } else {
        rt->kind = EP_K_FC;
        /* TFLM multiplies the two float scales in float32 first. */
        const float prod = ep_tensor_scale(in, 0) * ep_tensor_scale(w, 0);
        const double real = (double)prod / (double)ep_tensor_scale(out, 0);
        if (ep_quantize_multiplier(real, &rt->u.fc.q.multiplier, &rt->u.fc.q.shift) != EP_OK) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (FULLY_CONNECTED): bad scales", c->index);
        }
    }
    rt->u.fc.in_dims = (ep_dims){batches, 1, 1, depth};
    rt->u.fc.filt_dims = (ep_dims){depth, 1, 1, rows};
    rt->u.fc.out_dims = (ep_dims){batches, 1, 1, rows};
    rt->u.fc.sums = (int32_t *)ep_prep_alloc(c->p, (uint32_t)rows * 4u);
    if (rt->u.fc.sums != NULL) {
        ep_fully_connected_s8_prepare(p, &rt->u.fc.filt_dims, (const int8_t *)w->data,
                                      has_bias ? (const int32_t *)b->data : NULL, rt->u.fc.sums);
    }
    return EP_OK;
}

static ep_status prep_conv(ctx_t *c, ep_op_rt *rt, bool depthwise)
{
    const ep_op_info *op = c->op;
    const ep_op_options *o = &op->options;
    ep_tensor_info in, w, b, out;
    const bool has_bias = op->input_count > 2 && op->inputs[2] >= 0;
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &w, "filter"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (has_bias) {
        TRY(pu_tensor(c, op->inputs[2], &b, "bias"));
    }
    const bool s16 = in.type == EP_TYPE_INT16; /* 16x8: int64 bias, zero points 0 */
    const int32_t act_type = s16 ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(c, &in, act_type, "input"));
    TRY(pu_want_type(c, &out, act_type, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &w, "filter"));
    TRY(pu_want_quant(c, &out, "output"));
    if (in.rank != 4 || w.rank != 4 || out.rank != 4 || o->stride_w <= 0 || o->stride_h <= 0 ||
        o->dilation_w <= 0 || o->dilation_h <= 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): need 4-D tensors and positive strides",
                    c->index, ep_op_name(op));
    }
    const ep_dims id = pu_nhwc(&in), od = pu_nhwc(&out);
    const ep_dims fd = {w.dims[0], w.dims[1], w.dims[2], w.dims[3]};
    const int32_t out_c = od.c;
    const int32_t oh = pu_out_size(o->padding, id.h, fd.h, o->stride_h, o->dilation_h);
    const int32_t ow = pu_out_size(o->padding, id.w, fd.w, o->stride_w, o->dilation_w);
    bool ok = od.h == oh && od.w == ow && od.n == id.n;
    if (depthwise) {
        ok = ok && fd.n == 1 && fd.c == out_c && o->depth_multiplier > 0 &&
             (int64_t)out_c == (int64_t)id.c * o->depth_multiplier;
    } else {
        ok = ok && fd.n == out_c && fd.c > 0 && id.c >= fd.c && id.c % fd.c == 0 && out_c % (id.c / fd.c) == 0;
    }
    if (!ok) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): output/filter shape mismatch", c->index,
                    ep_op_name(op));
    }
    if (!pu_window_fits(id.w, ow, fd.w, o->stride_w, o->dilation_w) ||
        !pu_window_fits(id.h, oh, fd.h, o->stride_h, o->dilation_h)) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): stride/dilation %dx%d/%dx%d too large for "
                    "int32 window indices", c->index, ep_op_name(op), o->stride_w, o->stride_h,
                    o->dilation_w, o->dilation_h);
    }
    TRY(pu_const_weights(c, &w, has_bias ? &b : NULL, s16 ? EP_TYPE_INT64 : EP_TYPE_INT32, out_c));
    if (s16 && (ep_tensor_zero_point(&in, 0) != 0 || ep_tensor_zero_point(&out, 0) != 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): int16 zero points must be 0", c->index,
                    ep_op_name(op));
    }
    ep_conv_params *p = &rt->u.conv.p;
    p->input_offset = -ep_tensor_zero_point(&in, 0);
    p->output_offset = ep_tensor_zero_point(&out, 0);
    p->stride = (ep_tile){o->stride_w, o->stride_h};
    p->dilation = (ep_tile){o->dilation_w, o->dilation_h};
    p->padding = (ep_tile){pu_pad_before(ow, id.w, fd.w, o->stride_w, o->dilation_w),
                           pu_pad_before(oh, id.h, fd.h, o->stride_h, o->dilation_h)};
    TRY(pu_activation(c, &out, o->activation, s16 ? -32768 : -128, s16 ? 32767 : 127,
                      &p->activation));
    TRY(pu_channel_multipliers(c, &in, &w, &out, out_c, &rt->u.conv.pc));
    rt->u.conv.in_dims = id;
    rt->u.conv.filt_dims = fd;
    rt->u.conv.out_dims = od;
    if (depthwise && s16) {
        rt->kind = EP_K_DW16; /* no scratch: one int64 accumulator at a time */
        rt->u.conv.ch_mult = o->depth_multiplier;
    } else if (depthwise) {
        rt->kind = EP_K_DW;
        rt->u.conv.ch_mult = o->depth_multiplier;
        rt->scratch.size = (uint32_t)ep_depthwise_conv_s8_get_buffer_size(&od);
    } else if (s16) {
        rt->kind = EP_K_CONV16;
    } else {
        /* No kernel sums for CONV: they would cost 4 bytes per channel of
         * arena (more than TFLM needs); the kernel adds the offset inline. */
        rt->kind = EP_K_CONV;
    }
    return EP_OK;
}

static ep_status prep_pool(ctx_t *c, ep_op_rt *rt, bool avg)
{
    const ep_op_options *o = &c->op->options;
    ep_tensor_info in, out;
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    const bool s16 = in.type == EP_TYPE_INT16;
    TRY(pu_want_type(c, &in, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "output"));
    if (s16) {
        /* TFLM's pooling Prepare (int8 and int16): one quantisation in and out. The int8
         * path keeps its old leniency (models in use rely on it), int16 is new. */
        TRY(pu_want_quant(c, &in, "input"));
        TRY(pu_want_quant(c, &out, "output"));
        const double d = (double)ep_tensor_scale(&in, 0) - (double)ep_tensor_scale(&out, 0);
        if (d > 1e-6 || d < -1e-6 || ep_tensor_zero_point(&in, 0) != ep_tensor_zero_point(&out, 0)) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (%s): input and output quantisation differ",
                        c->index, ep_op_name(c->op));
        }
    }
    const ep_dims id = pu_nhwc(&in), od = pu_nhwc(&out);
    if (in.rank != 4 || out.rank != 4 || o->stride_w <= 0 || o->stride_h <= 0 ||
        o->filter_w <= 0 || o->filter_h <= 0 || od.c != id.c || od.n != id.n ||
        od.h != pu_out_size(o->padding, id.h, o->filter_h, o->stride_h, 1) ||
        od.w != pu_out_size(o->padding, id.w, o->filter_w, o->stride_w, 1)) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): shape mismatch", c->index,
                    ep_op_name(c->op));
    }
    if (!pu_window_fits(id.w, od.w, o->filter_w, o->stride_w, 1) ||
        !pu_window_fits(id.h, od.h, o->filter_h, o->stride_h, 1)) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): filter/stride too large for int32 window "
                    "indices", c->index, ep_op_name(c->op));
    }
    ep_pool_params *p = &rt->u.pool.p;
    p->stride = (ep_tile){o->stride_w, o->stride_h};
    p->padding = (ep_tile){pu_pad_before(od.w, id.w, o->filter_w, o->stride_w, 1),
                           pu_pad_before(od.h, id.h, o->filter_h, o->stride_h, 1)};
    TRY(pu_activation(c, &out, o->activation, s16 ? -32768 : -128, s16 ? 32767 : 127,
                      &p->activation));
    rt->u.pool.in_dims = id;
    rt->u.pool.out_dims = od;
    rt->u.pool.filt_dims = (ep_dims){1, o->filter_h, o->filter_w, 1};
    rt->kind = s16 ? (avg ? EP_K_AVGPOOL16 : EP_K_MAXPOOL16) : (avg ? EP_K_AVGPOOL : EP_K_MAXPOOL);
    if (avg) {
        rt->scratch.size = (uint32_t)ep_avgpool_s8_get_buffer_size(&od);
    }
    return EP_OK;
}

/* int16 -> int16 (TFLM CalculateSoftmaxParams): zero points 0, output scale 1/32768 within
 * 0.1%; an int8 output from int16 is refused, as by TFLM. */
static ep_status prep_softmax_s16(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                                  const ep_tensor_info *out)
{
    TRY(pu_want_type(c, out, EP_TYPE_INT16, "output"));
    TRY(pu_want_quant(c, in, "input"));
    TRY(pu_want_quant(c, out, "output"));
    if (in->rank < 1 || out->elements != in->elements || in->dims[in->rank - 1] <= 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SOFTMAX): shape mismatch", c->index);
    }
    const float so = ep_tensor_scale(out, 0), want = 1.0f / 32768;
    if (ep_tensor_zero_point(in, 0) != 0 || ep_tensor_zero_point(out, 0) != 0 ||
        !(so - want <= 0.001f * want && want - so <= 0.001f * want)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (SOFTMAX): int16 wants zero points 0 and "
                    "output scale 1/32768", c->index);
    }
    if (ep_softmax_s16_prepare((double)c->op->options.beta, (double)ep_tensor_scale(in, 0),
                               &rt->u.softmax.p) != EP_OK ||
        rt->u.softmax.p.input_left_shift > 30) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (SOFTMAX): bad beta/scale", c->index);
    }
    rt->kind = EP_K_SOFTMAX_S16;
    rt->u.softmax.row_size = in->dims[in->rank - 1];
    rt->u.softmax.rows = in->elements / rt->u.softmax.row_size;
    return EP_OK;
}

static ep_status prep_softmax(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    if (in.type == EP_TYPE_INT16) {
        return prep_softmax_s16(c, rt, &in, &out);
    }
    TRY(pu_want_type(c, &in, EP_TYPE_INT8, "input"));
    TRY(pu_want_quant(c, &in, "input"));
    if (in.rank < 1 || out.elements != in.elements || in.dims[in.rank - 1] <= 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SOFTMAX): shape mismatch", c->index);
    }
    const int32_t zp = ep_tensor_zero_point(&out, 0);
    if (out.type == EP_TYPE_INT8 && zp == -128) {
        rt->kind = EP_K_SOFTMAX8;
    } else if (out.type == EP_TYPE_INT16 && zp == -32768) {
        rt->kind = EP_K_SOFTMAX16;
    } else {
        return FAIL(c, EP_ERR_UNSUPPORTED,
                    "operator %d (SOFTMAX): output %s zero point %d (want int8 -128 or int16 -32768)",
                    c->index, ep_type_name(out.type), zp);
    }
    if (ep_softmax_prepare((double)c->op->options.beta, (double)ep_tensor_scale(&in, 0),
                           &rt->u.softmax.p) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (SOFTMAX): bad beta/scale", c->index);
    }
    rt->u.softmax.row_size = in.dims[in.rank - 1];
    rt->u.softmax.rows = in.elements / rt->u.softmax.row_size;
    return EP_OK;
}

static bool int_type(int32_t t)
{
    return t == EP_TYPE_INT8 || t == EP_TYPE_INT16 || t == EP_TYPE_INT32;
}

static ep_status prep_quantize(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    if (in.type == EP_TYPE_FLOAT32) {
        return ep_op_prepare_layout(c->p, c->index, c->op, rt); /* a float32 model input */
    }
    if (!int_type(in.type) || !int_type(out.type)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (QUANTIZE): %s -> %s not supported",
                    c->index, ep_type_name(in.type), ep_type_name(out.type));
    }
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &out, "output"));
    if (in.elements != out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (QUANTIZE): shape mismatch", c->index);
    }
    const double real = (double)ep_tensor_scale(&in, 0) / (double)ep_tensor_scale(&out, 0);
    if (ep_quantize_multiplier(real, &rt->u.quant.q.multiplier, &rt->u.quant.q.shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (QUANTIZE): bad scales", c->index);
    }
    rt->kind = EP_K_QUANT;
    rt->u.quant.in_type = in.type;
    rt->u.quant.out_type = out.type;
    rt->u.quant.in_zp = ep_tensor_zero_point(&in, 0);
    rt->u.quant.out_zp = ep_tensor_zero_point(&out, 0);
    rt->u.quant.count = in.elements;
    return EP_OK;
}

static ep_status prep_svdf(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, wf, wt, b, st, out;
    const bool has_bias = op->inputs[3] >= 0;
    if (op->input_count != 5) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SVDF): %d inputs, want 5", c->index,
                    op->input_count);
    }
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &wf, "feature weights"));
    TRY(pu_tensor(c, op->inputs[2], &wt, "time weights"));
    TRY(pu_tensor(c, op->inputs[4], &st, "state"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (has_bias) {
        TRY(pu_tensor(c, op->inputs[3], &b, "bias"));
    }
    TRY(pu_want_type(c, &in, EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &wt, EP_TYPE_INT8, "time weights"));
    TRY(pu_want_type(c, &st, EP_TYPE_INT8, "state"));
    TRY(pu_want_type(c, &out, EP_TYPE_INT8, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &wf, "feature weights"));
    TRY(pu_want_quant(c, &wt, "time weights"));
    TRY(pu_want_quant(c, &st, "state"));
    TRY(pu_want_quant(c, &out, "output"));
    const int32_t rank = op->options.rank;
    if (in.rank != 2 || wf.rank != 2 || wt.rank != 2 || st.rank != 2 || out.rank != 2 ||
        rank <= 0 || wf.dims[0] % rank != 0 || wf.dims[1] != in.dims[1] ||
        wt.dims[0] != wf.dims[0] || wt.data == NULL || !st.is_variable ||
        st.dims[0] != in.dims[0] || (int64_t)st.dims[1] != (int64_t)wt.dims[1] * wf.dims[0] ||
        out.dims[0] != in.dims[0] || out.dims[1] != wf.dims[0] / rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SVDF): shape mismatch", c->index);
    }
    TRY(pu_const_weights(c, &wf, has_bias ? &b : NULL, EP_TYPE_INT32, out.dims[1]));
    ep_svdf_params *p = &rt->u.svdf.p;
    p->rank = rank;
    p->input_offset = -ep_tensor_zero_point(&in, 0);
    p->state_zero_point = ep_tensor_zero_point(&st, 0);
    p->output_offset = ep_tensor_zero_point(&out, 0);
    /* TFLM forms both effective scales in float32, then widens. */
    const float s1 = ep_tensor_scale(&in, 0) * ep_tensor_scale(&wf, 0) / ep_tensor_scale(&st, 0);
    const float s2 = ep_tensor_scale(&st, 0) * ep_tensor_scale(&wt, 0) / ep_tensor_scale(&out, 0);
    if (ep_quantize_multiplier((double)s1, &p->in_quant.multiplier, &p->in_quant.shift) != EP_OK ||
        ep_quantize_multiplier((double)s2, &p->out_quant.multiplier, &p->out_quant.shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (SVDF): bad scales", c->index);
    }
    rt->kind = EP_K_SVDF;
    rt->u.svdf.batch = in.dims[0];
    rt->u.svdf.input_size = in.dims[1];
    rt->u.svdf.num_filters = wf.dims[0];
    rt->u.svdf.memory_size = wt.dims[1];
    rt->u.svdf.num_units = out.dims[1];
    rt->scratch.size = (uint32_t)ep_svdf_s8_get_buffer_size(in.dims[0], wf.dims[0], out.dims[1]);
    return EP_OK;
}

static ep_status prep_reshape(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    if (in.bytes != out.bytes || in.type != out.type || in.is_variable) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (RESHAPE): %u bytes -> %u bytes", c->index,
                    in.bytes, out.bytes);
    }
    /* A folded shape chain reshaped again stays folded (a model constant input is shared). */
    uint8_t *fold = c->p->tensors[c->op->inputs[0]].constant >= EP_CONST_FOLDED
                        ? pu_fold_output(c, c->op->outputs[0], &out, rt) : NULL;
    if (fold != NULL) {
        memcpy(fold, in.data, in.bytes);
        return EP_OK;
    }
    rt->kind = EP_K_RESHAPE;
    rt->u.copy.bytes = in.bytes;
    return EP_OK;
}

ep_status ep_op_prepare(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    __builtin_memset(rt, 0, sizeof *rt);
    rt->scratch.first = (int16_t)index;
    rt->scratch.last = (int16_t)index;
    for (int32_t i = 0; i < 5; ++i) {
        rt->in[i] = (int16_t)(i < op->input_count ? op->inputs[i] : -1);
    }
    if ((op->output_count != 1 && op->opcode != EP_OP_UNPACK && op->opcode != EP_OP_CUSTOM) ||
        op->output_count < 1 ||
        op->input_count < 1) {
        return FAIL(&c, EP_ERR_SHAPE, "operator %d (%s): want 1 output", index, ep_op_name(op));
    }
    rt->out = (int16_t)op->outputs[0];
    if (ep_op_is_signal(p, op)) {
        return ep_op_prepare_signal(p, index, op, rt);
    }
    switch (op->opcode) {
    case EP_OP_FULLY_CONNECTED: return prep_fc(&c, rt);
    case EP_OP_CONV_2D: return prep_conv(&c, rt, false);
    case EP_OP_DEPTHWISE_CONV_2D: return prep_conv(&c, rt, true);
    case EP_OP_AVERAGE_POOL_2D: return prep_pool(&c, rt, true);
    case EP_OP_MAX_POOL_2D: return prep_pool(&c, rt, false);
    case EP_OP_SOFTMAX: return prep_softmax(&c, rt);
    case EP_OP_QUANTIZE: return prep_quantize(&c, rt);
    case EP_OP_SVDF: return prep_svdf(&c, rt);
    case EP_OP_RESHAPE: return prep_reshape(&c, rt);
    default:
        return ep_op_prepare_data(p, index, op, rt);
    }
}
