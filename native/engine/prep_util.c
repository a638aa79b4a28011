/* Helpers shared by the operator prepare functions (op_prepare.c). */
#include <stdarg.h>

#include "prep_util.h"

void *ep_prep_alloc(ep_prep *p, uint32_t bytes)
{
    const uint32_t at = ep_align_up(p->used);
    p->used = at + ep_align_up(bytes);
    if (p->base == NULL || p->used > p->cap) {
        return NULL;
    }
    return p->base + at;
}

ep_status ep_prep_fail(ep_prep *p, ep_status st, const char *fmt, ...)
{
    if (p->err != NULL && p->err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        ep_format(p->err, p->err_size, fmt, ap);
        va_end(ap);
    }
    return st;
}

bool ep_op_supported(int32_t opcode)
{
    switch (opcode) {
    case EP_OP_FULLY_CONNECTED: case EP_OP_CONV_2D: case EP_OP_DEPTHWISE_CONV_2D:
    case EP_OP_AVERAGE_POOL_2D: case EP_OP_MAX_POOL_2D: case EP_OP_RESHAPE:
    case EP_OP_SOFTMAX: case EP_OP_QUANTIZE: case EP_OP_SVDF: case EP_OP_ADD: case EP_OP_MUL:
    case EP_OP_PAD: case EP_OP_CONCATENATION: case EP_OP_STRIDED_SLICE:
    case EP_OP_LOGISTIC: case EP_OP_TANH: case EP_OP_RELU: case EP_OP_RELU6:
    case EP_OP_LEAKY_RELU: case EP_OP_HARD_SWISH:
        return true;
    /* shape / reduce operators */
    case EP_OP_SUB: case EP_OP_MAXIMUM: case EP_OP_MINIMUM: case EP_OP_EXPAND_DIMS:
    case EP_OP_SQUEEZE: case EP_OP_MEAN:
        return true;
    /* data-layout operators and SUM */
    case EP_OP_SHAPE: case EP_OP_PACK: case EP_OP_UNPACK: case EP_OP_GATHER:
    case EP_OP_SPACE_TO_BATCH_ND: case EP_OP_BATCH_TO_SPACE_ND: case EP_OP_TRANSPOSE:
    case EP_OP_SUM: case EP_OP_DEQUANTIZE: case EP_OP_TRANSPOSE_CONV:
    case EP_OP_UNIDIRECTIONAL_SEQUENCE_LSTM:
        return true;
    default:
        return false;
    }
}

bool ep_operator_supported(int32_t opcode, const char *custom_code)
{
    /* Custom operators by their code: the Signal library's audio front end; CAST and DIV run
     * for the front end's types (op_prepare_signal.c) */
    if (opcode == EP_OP_CUSTOM) {
        return custom_code != NULL && ep_signal_custom_supported(custom_code);
    }
    return ep_op_supported(opcode) || opcode == EP_OP_CAST || opcode == EP_OP_DIV;
}

ep_status pu_tensor(ctx_t *c, int32_t t, ep_tensor_info *out, const char *role)
{
    if (t < 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): missing %s", c->index, ep_op_name(c->op),
                    role);
    }
    const ep_status st = ep_model_tensor(c->p->model, t, out);
    /* tensors NULL: a prepare outside a session build (ep_activation_table), no folding */
    if (st == EP_OK && c->p->tensors != NULL && c->p->tensors[t].constant >= EP_CONST_FOLDED) {
        out->data = c->p->tensors[t].data; /* prepare reads folded values as constants */
    }
    return st;
}

bool pu_all_inputs_const(ctx_t *c)
{
    for (int32_t i = 0; i < c->op->input_count; ++i) {
        const int32_t t = c->op->inputs[i];
        if (t >= 0 && c->p->tensors[t].constant == EP_CONST_NONE) {
            return false;
        }
    }
    return c->op->input_count > 0;
}

const uint8_t *pu_const_data(ctx_t *c, int32_t t)
{
    return t >= 0 && c->p->tensors[t].constant != EP_CONST_NONE ? c->p->tensors[t].data : NULL;
}

uint8_t *pu_fold_output(ctx_t *c, int32_t t, const ep_tensor_info *out, ep_op_rt *rt)
{
    ep_prep *p = c->p;
    const uint32_t size = ep_align_up(out->bytes);
    if (p->fold == NULL || out->bytes > EP_FOLD_MAX_BYTES || out->is_variable ||
        p->fold_used + size > EP_FOLD_POOL_BYTES) {
        return NULL;
    }
    uint8_t *at = p->fold + p->fold_used;
    p->fold_used += size;
    ep_tensor_rt *r = &p->tensors[t];
    r->data = at;
    r->constant = EP_CONST_FOLDED;
    r->buf.size = 0;
    rt->kind = EP_K_NOP;
    return at;
}

ep_status pu_want_type(ctx_t *c, const ep_tensor_info *t, int32_t type, const char *role)
{
    if (t->type != type) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): %s is %s, want %s", c->index,
                    ep_op_name(c->op), role, ep_type_name(t->type), ep_type_name(type));
    }
    return EP_OK;
}

ep_status pu_want_quant(ctx_t *c, const ep_tensor_info *t, const char *role)
{
    if (t->scale_count < 1 || !(ep_tensor_scale(t, 0) > 0.0f)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): %s is not quantised", c->index,
                    ep_op_name(c->op), role);
    }
    return EP_OK;
}

/* NHWC dims from a rank <= 4 shape, leading dims padded with 1. */
ep_dims pu_nhwc(const ep_tensor_info *t)
{
    int32_t d[4] = {1, 1, 1, 1};
    for (int32_t i = 0; i < t->rank && i < 4; ++i) {
        d[4 - t->rank + i] = t->dims[i];
    }
    ep_dims r = {d[0], d[1], d[2], d[3]};
    return r;
}

/* TFLM ComputePaddingHeightWidth / ComputeOutSize for one axis. */
/* Filter extents, strides and dilations come from the file: int64 so a corrupt value cannot
 * overflow; an out size outside int32 becomes -1, which no output shape matches. */
int32_t pu_out_size(int32_t padding, int32_t in, int32_t k, int32_t stride, int32_t dil)
{
    const int64_t eff = ((int64_t)k - 1) * dil + 1;
    const int64_t r = padding == EP_PADDING_SAME ? ((int64_t)in + stride - 1) / stride
                                                 : ((int64_t)in - eff + stride) / stride;
    return r > INT32_MAX || r < INT32_MIN ? -1 : (int32_t)r;
}

bool pu_window_fits(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dil)
{
    /* The kernels index windows in int32: origin = o * stride - pad, origin + 3 * stride (the
     * 4-pixel conv tile, computed for every pixel), origin + (k - 1) * dil, -origin + dil - 1
     * and in - origin + dil - 1 (ep_tap_range). pad <= (out - 1) * stride + eff, so every one
     * of them is bounded in magnitude by (out + 2) * stride + eff + dil + in. A SAME-padded
     * model with a huge dilation keeps a small output and passes the shape checks, so this is
     * the check that keeps its padding out of the index math. Inputs are positive here. */
    const int64_t eff = ((int64_t)k - 1) * dil + 1;
    return ((int64_t)out + 2) * stride + eff + dil + in <= INT32_MAX;
}

int32_t pu_pad_before(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t dil)
{
    const int64_t eff = ((int64_t)k - 1) * dil + 1;
    const int64_t total = ((int64_t)out - 1) * stride + eff - in;
    return total <= 0 ? 0 : (total / 2 > INT32_MAX ? INT32_MAX : (int32_t)(total / 2));
}

ep_status pu_activation(ctx_t *c, const ep_tensor_info *out, int32_t act, int32_t qmin,
                            int32_t qmax, ep_activation *r)
{
    const ep_status st = ep_activation_range(act, ep_tensor_scale(out, 0),
                                             ep_tensor_zero_point(out, 0), qmin, qmax, r);
    if (st != EP_OK) {
        return FAIL(c, st, "operator %d (%s): unsupported fused activation %d", c->index,
                    ep_op_name(c->op), act);
    }
    return EP_OK;
}

/* Per-channel (M, shift) arrays: s_in * s_w[c] / s_out in double. */
ep_status pu_channel_multipliers(ctx_t *c, const ep_tensor_info *in, const ep_tensor_info *w,
                                     const ep_tensor_info *out, int32_t channels,
                                     ep_per_channel_quant_params *pc)
{
    if (w->scale_count != 1 && w->scale_count != channels) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): %d filter scales for %d channels",
                    c->index, ep_op_name(c->op), w->scale_count, channels);
    }
    int32_t *m = (int32_t *)ep_prep_alloc(c->p, (uint32_t)channels * 4u);
    int32_t *s = (int32_t *)ep_prep_alloc(c->p, (uint32_t)channels * 4u);
    pc->multiplier = m;
    pc->shift = s;
    for (int32_t ch = 0; ch < channels; ++ch) {
        const double real = (double)ep_tensor_scale(in, 0) *
                            (double)ep_tensor_scale(w, w->scale_count == 1 ? 0 : ch) /
                            (double)ep_tensor_scale(out, 0);
        int32_t mm, ss;
        if (ep_quantize_multiplier(real, &mm, &ss) != EP_OK) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (%s): bad scale for channel %d", c->index,
                        ep_op_name(c->op), ch);
        }
        if (m != NULL && s != NULL) {
            m[ch] = mm;
            s[ch] = ss;
        }
    }
    return EP_OK;
}

ep_status pu_const_weights(ctx_t *c, const ep_tensor_info *w, const ep_tensor_info *bias,
                               int32_t bias_type, int32_t bias_len)
{
    if (w->data == NULL || w->type != EP_TYPE_INT8) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): filter must be constant int8",
                    c->index, ep_op_name(c->op));
    }
    if (bias != NULL && (bias->data == NULL || bias->type != bias_type ||
                         bias->elements != bias_len)) {
        return FAIL(c, EP_ERR_UNSUPPORTED,
                    "operator %d (%s): bias must be constant %s with %d elements", c->index,
                    ep_op_name(c->op), ep_type_name(bias_type), bias_len);
    }
    return EP_OK;
}

/* Right-aligns a shape to EP_MAX_DIMS. */
void pu_align_dims(const ep_tensor_info *t, int32_t *d)
{
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        d[k] = 1;
    }
    for (int32_t k = 0; k < t->rank; ++k) {
        d[EP_MAX_DIMS - t->rank + k] = t->dims[k];
    }
}

/* Broadcast strides of a and b onto out (each dim equal or 1, as TFLM). */
ep_status pu_broadcast(ctx_t *c, const ep_tensor_info *a, const ep_tensor_info *b,
                       const ep_tensor_info *out, ep_broadcast_dims *bd)
{
    int32_t da[EP_MAX_DIMS], db[EP_MAX_DIMS], dout[EP_MAX_DIMS];
    pu_align_dims(a, da);
    pu_align_dims(b, db);
    pu_align_dims(out, dout);
    int32_t sa = 1, sb = 1;
    for (int32_t k = EP_MAX_DIMS - 1; k >= 0; --k) {
        const int32_t want = da[k] == 1 ? db[k] : da[k];
        if ((da[k] != 1 && db[k] != 1 && da[k] != db[k]) || dout[k] != want) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): shapes do not broadcast", c->index,
                        ep_op_name(c->op));
        }
        bd->dims[k] = want;
        bd->stride_1[k] = da[k] == 1 ? 0 : sa;
        bd->stride_2[k] = db[k] == 1 ? 0 : sb;
        sa *= da[k];
        sb *= db[k];
    }
    return EP_OK;
}

ep_status pu_fc_check(ctx_t *c, pu_fc *f)
{
    const ep_op_info *op = c->op;
    f->has_bias = op->input_count > 2 && op->inputs[2] >= 0;
    TRY(pu_tensor(c, op->inputs[0], &f->in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &f->w, "filter"));
    TRY(pu_tensor(c, op->outputs[0], &f->out, "output"));
    if (f->has_bias) {
        TRY(pu_tensor(c, op->inputs[2], &f->b, "bias"));
    }
    const int32_t act_type = f->in.type == EP_TYPE_INT16 ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(c, &f->in, act_type, "input"));
    TRY(pu_want_type(c, &f->out, act_type, "output"));
    TRY(pu_want_quant(c, &f->in, "input"));
    TRY(pu_want_quant(c, &f->w, "filter"));
    TRY(pu_want_quant(c, &f->out, "output"));
    const ep_tensor_info *w = &f->w;
    if (w->rank != 2 || w->dims[1] <= 0 || w->dims[0] <= 0 || f->in.elements % w->dims[1] != 0 ||
        op->options.weights_format != 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (FULLY_CONNECTED): filter shape", c->index);
    }
    f->rows = w->dims[0];
    f->depth = w->dims[1];
    f->batches = f->in.elements / f->depth;
    /* int64: batches x rows from a corrupt shape can exceed int32 */
    if ((int64_t)f->batches * f->rows != (int64_t)f->out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (FULLY_CONNECTED): output has %d elements, want %d x %d",
                    c->index, f->out.elements, f->batches, f->rows);
    }
    return EP_OK;
}
