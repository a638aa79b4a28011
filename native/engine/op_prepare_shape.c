/* Prepare for the shape, reduce and min/max operators (MAXIMUM, MINIMUM,
 * EXPAND_DIMS, SQUEEZE, MEAN, SUM). Like op_prepare_data.c, kernel arguments too
 * large for the op record live in a persistent block allocated only for these
 * operators. EXPAND_DIMS and SQUEEZE are pure reshapes: they become
 * EP_K_RESHAPE, which the session plans as an alias of the input's bytes. */
#include <string.h>

#include "prep_util.h"

static ep_status want_inputs(ctx_t *c, int32_t n)
{
    if (c->op->input_count != n) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): want %d input%s", c->index,
                    ep_op_name(c->op), n, n == 1 ? "" : "s");
    }
    return EP_OK;
}

/* Constant int32 axis tensor with at most max entries: its values into ax. */
static ep_status const_axes(ctx_t *c, const ep_tensor_info *t, int32_t max, int32_t *ax,
                            int32_t *n)
{
    if (t->type != EP_TYPE_INT32) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): axis is %s, want int32", c->index,
                    ep_op_name(c->op), ep_type_name(t->type));
    }
    if (t->data == NULL) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): axis must be constant", c->index,
                    ep_op_name(c->op));
    }
    if (t->elements > max) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): %d axes, at most %d", c->index,
                    ep_op_name(c->op), t->elements, max);
    }
    for (int32_t i = 0; i < t->elements; ++i) {
        memcpy(&ax[i], (const uint8_t *)t->data + 4 * i, 4);
    }
    *n = t->elements;
    return EP_OK;
}

/* MAXIMUM / MINIMUM int8: TFLM has no prepare and compares the raw values. */
static ep_status prep_minmax(ctx_t *c, ep_op_rt *rt, bool maximum)
{
    const ep_op_info *op = c->op;
    ep_tensor_info a, b, out;
    TRY(want_inputs(c, 2));
    TRY(pu_tensor(c, op->inputs[0], &a, "input 1"));
    TRY(pu_tensor(c, op->inputs[1], &b, "input 2"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const bool s16 = a.type == EP_TYPE_INT16; /* int16 as TFLM; int32 / int64 not yet */
    const int32_t type = s16 ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(c, &a, type, "input 1"));
    TRY(pu_want_type(c, &b, type, "input 2"));
    TRY(pu_want_type(c, &out, type, "output"));
    ep_broadcast_dims bd;
    TRY(pu_broadcast(c, &a, &b, &out, &bd));
    ep_broadcast_dims *blk = (ep_broadcast_dims *)ep_prep_alloc(c->p, sizeof bd);
    if (blk != NULL) {
        *blk = bd;
    }
    rt->kind = s16 ? (maximum ? EP_K_MAXIMUM16 : EP_K_MINIMUM16) : (maximum ? EP_K_MAXIMUM : EP_K_MINIMUM);
    rt->u.ext.params = blk;
    return EP_OK;
}

/* A copy into an output of the same bytes and type: planned as an alias. */
static ep_status as_reshape(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                            const ep_tensor_info *out)
{
    if (in->bytes != out->bytes || in->type != out->type || in->is_variable) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %s %u bytes -> %s %u bytes", c->index,
                    ep_op_name(c->op), ep_type_name(in->type), in->bytes,
                    ep_type_name(out->type), out->bytes);
    }
    uint8_t *fold = c->p->tensors[c->op->inputs[0]].constant >= EP_CONST_FOLDED
                        ? pu_fold_output(c, c->op->outputs[0], out, rt) : NULL;
    if (fold != NULL) {
        memcpy(fold, in->data, in->bytes);
        return EP_OK;
    }
    rt->kind = EP_K_RESHAPE;
    rt->u.copy.bytes = in->bytes;
    return EP_OK;
}

/* EXPAND_DIMS: TFLM ExpandDimsPrepare / VerifyTensorDim (int8, int16, float32). */
static ep_status prep_expand_dims(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, ax, out;
    TRY(want_inputs(c, 2));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &ax, "axis"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (in.type != EP_TYPE_INT8 && in.type != EP_TYPE_INT16 && in.type != EP_TYPE_FLOAT32) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (EXPAND_DIMS): input is %s", c->index,
                    ep_type_name(in.type));
    }
    int32_t axis = 0, n = 0;
    if (ax.rank > 1) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (EXPAND_DIMS): axis has rank %d, want <= 1",
                    c->index, ax.rank);
    }
    TRY(const_axes(c, &ax, 1, &axis, &n));
    if (n != 1) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (EXPAND_DIMS): axis has no value", c->index);
    }
    if (axis < 0) {
        axis = axis < -(in.rank + 1) ? -1 : in.rank + 1 + axis;
    }
    if (axis < 0 || axis > in.rank || out.rank != in.rank + 1) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (EXPAND_DIMS): axis %d for rank %d -> %d",
                    c->index, axis, in.rank, out.rank);
    }
    for (int32_t i = 0; i < out.rank; ++i) {
        const int32_t want = i < axis ? in.dims[i] : (i == axis ? 1 : in.dims[i - 1]);
        if (out.dims[i] != want) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (EXPAND_DIMS): output dim %d is %d, want %d",
                        c->index, i, out.dims[i], want);
        }
    }
    return as_reshape(c, rt, &in, &out);
}

/* SQUEEZE: TFLM SqueezePrepare; the output must be the input without the
 * squeezed size-1 dimensions (all of them when squeeze_dims is empty). */
static ep_status prep_squeeze(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    const ep_op_options *o = &op->options;
    ep_tensor_info in, out;
    TRY(want_inputs(c, 1));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (o->squeeze_count > EP_MAX_DIMS) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SQUEEZE): %d squeeze_dims, at most %d",
                    c->index, o->squeeze_count, EP_MAX_DIMS);
    }
    bool squeeze[EP_MAX_DIMS] = {false};
    for (int32_t k = 0; k < in.rank; ++k) {
        squeeze[k] = o->squeeze_count == 0 && in.dims[k] == 1;
    }
    for (int32_t i = 0; i < o->squeeze_count; ++i) {
        const int32_t d = o->squeeze_dims[i] < 0 ? o->squeeze_dims[i] + in.rank
                                                 : o->squeeze_dims[i];
        if (d < 0 || d >= in.rank || in.dims[d] != 1) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (SQUEEZE): squeeze_dims %d is not a size-1 "
                        "dimension of the rank-%d input", c->index, o->squeeze_dims[i], in.rank);
        }
        squeeze[d] = true;
    }
    int32_t j = 0;
    for (int32_t k = 0; k < in.rank; ++k) {
        if (squeeze[k]) {
            continue;
        }
        if (j >= out.rank || out.dims[j] != in.dims[k]) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (SQUEEZE): output shape does not match",
                        c->index);
        }
        ++j;
    }
    if (j != out.rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SQUEEZE): output shape does not match",
                    c->index);
    }
    return as_reshape(c, rt, &in, &out);
}

/* MEAN and SUM int8 and int16 (input and output of one type, as TFLM's template):
 * TFLM PrepareMeanOrSumHelper (s_in / s_out in double, QuantizeMultiplier) and
 * the 1 / count folding QuantizedMeanOrSum does at eval: shift = floor(log2(count)),
 * at most 32 and 31 + shift; multiplier = (M << shift) / count. */
static ep_status prep_mean(ctx_t *c, ep_op_rt *rt, bool sum)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, ax, out;
    TRY(want_inputs(c, 2));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &ax, "axis"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const bool s16 = in.type == EP_TYPE_INT16;
    TRY(pu_want_type(c, &in, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &out, "output"));
    int32_t axes[EP_MAX_DIMS * 2], n = 0;
    TRY(const_axes(c, &ax, EP_MAX_DIMS * 2, axes, &n));
    /* TFLM ResolveAxis: negative axes count from the end, duplicates once. */
    bool reduce[EP_MAX_DIMS] = {false};
    for (int32_t i = 0; i < n && in.rank > 0; ++i) {
        const int32_t d = axes[i] < 0 ? axes[i] + in.rank : axes[i];
        if (d < 0 || d >= in.rank) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): axis %d out of range for rank %d",
                        c->index, ep_op_name(op), axes[i], in.rank);
        }
        reduce[d] = true;
    }
    ep_mean_params p;
    pu_align_dims(&in, p.in_dims);
    int64_t count = 1, out_count = 1;
    int32_t j = 0;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        p.reduce[k] = 0;
    }
    for (int32_t k = 0; k < in.rank; ++k) {
        p.reduce[EP_MAX_DIMS - in.rank + k] = reduce[k];
        if (reduce[k]) {
            count *= in.dims[k];
        } else {
            out_count *= in.dims[k];
        }
        /* The output shape as TF gives it: reduced dims kept as 1 or dropped. */
        if (reduce[k] && !op->options.keep_dims) {
            continue;
        }
        if (j >= out.rank || out.dims[j] != (reduce[k] ? 1 : in.dims[k])) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): output shape does not match "
                        "keep_dims %d", c->index, ep_op_name(op), (int32_t)op->options.keep_dims);
        }
        ++j;
    }
    if (j != out.rank || out_count != out.elements || count > INT32_MAX) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): output shape does not match "
                    "keep_dims %d", c->index, ep_op_name(op), (int32_t)op->options.keep_dims);
    }
    int32_t m, s;
    /* SUM: TFLM's compute_sum skips the 1 / count folding */
    if (ep_mean_multiplier((double)ep_tensor_scale(&in, 0), (double)ep_tensor_scale(&out, 0),
                           count, !sum, &m, &s) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): bad scales", c->index, ep_op_name(op));
    }
    p.count = (int32_t)count;
    p.out_count = out.elements;
    p.input_zp = ep_tensor_zero_point(&in, 0);
    p.output_zp = ep_tensor_zero_point(&out, 0);
    p.multiplier = m;
    p.shift = s;
    ep_mean_params *blk = (ep_mean_params *)ep_prep_alloc(c->p, sizeof p);
    if (blk != NULL) {
        *blk = p;
    }
    rt->kind = s16 ? EP_K_MEAN16 : EP_K_MEAN;
    rt->u.ext.params = blk;
    rt->scratch.size = (uint32_t)(s16 ? ep_mean_s16_get_buffer_size(&p)
                                      : ep_mean_s8_get_buffer_size(&p));
    return EP_OK;
}

ep_status ep_op_prepare_shape(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    switch (op->opcode) {
    case EP_OP_MAXIMUM: return prep_minmax(&c, rt, true);
    case EP_OP_MINIMUM: return prep_minmax(&c, rt, false);
    case EP_OP_EXPAND_DIMS: return prep_expand_dims(&c, rt);
    case EP_OP_SQUEEZE: return prep_squeeze(&c, rt);
    case EP_OP_MEAN: return prep_mean(&c, rt, false);
    case EP_OP_SUM: return prep_mean(&c, rt, true);
    default:
        return ep_op_prepare_layout(p, index, op, rt);
    }
}
