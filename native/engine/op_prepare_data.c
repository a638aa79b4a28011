/* Prepare for the elementwise and data-movement operators (ADD, MUL, PAD,
 * CONCATENATION, STRIDED_SLICE; the last two fold when their inputs are constant). Their kernel arguments are larger than the
 * op record's union, so they live in a persistent block allocated only for
 * these operators: models without them keep the same arena size. */
#include <string.h>

#include "prep_util.h"

static ep_status want_same_quant(ctx_t *c, const ep_tensor_info *a, const ep_tensor_info *b)
{
    if (ep_tensor_scale(a, 0) != ep_tensor_scale(b, 0) ||
        ep_tensor_zero_point(a, 0) != ep_tensor_zero_point(b, 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): input and output quantisation differ",
                    c->index, ep_op_name(c->op));
    }
    return EP_OK;
}

/* ADD, SUB (ADD's parameters and the same double math as TFLM CalculateOpDataAdd / Sub:
 * the pinned interpreter forms SUB's multipliers in double too, not in the float32 of the
 * 90b983c tree int8-semantics.md reads) and MUL. */
static ep_status prep_binary(ctx_t *c, ep_op_rt *rt, int16_t kind)
{
    const bool add = kind != EP_K_MUL;
    const ep_op_info *op = c->op;
    ep_tensor_info a, b, out;
    if (op->input_count != 2) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): want 2 inputs", c->index, ep_op_name(op));
    }
    TRY(pu_tensor(c, op->inputs[0], &a, "input 1"));
    TRY(pu_tensor(c, op->inputs[1], &b, "input 2"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    /* int16 ADD, SUB and MUL as TFLM */
    const bool s16 = a.type == EP_TYPE_INT16;
    const int32_t type = s16 ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(c, &a, type, "input 1"));
    TRY(pu_want_type(c, &b, type, "input 2"));
    TRY(pu_want_type(c, &out, type, "output"));
    TRY(pu_want_quant(c, &a, "input 1"));
    TRY(pu_want_quant(c, &b, "input 2"));
    TRY(pu_want_quant(c, &out, "output"));
    if (s16 && !add && (ep_tensor_zero_point(&a, 0) != 0 || ep_tensor_zero_point(&b, 0) != 0 ||
                        ep_tensor_zero_point(&out, 0) != 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (MUL): int16 zero points must be 0", c->index);
    }
    ep_broadcast_dims bd;
    TRY(pu_broadcast(c, &a, &b, &out, &bd));
    ep_activation act;
    TRY(pu_activation(c, &out, op->options.activation, s16 ? -32768 : -128, s16 ? 32767 : 127,
                      &act));
    const int32_t left_shift = s16 ? 15 : 20; /* TFLM: headroom for int16 / int8 */
    const double s1 = (double)ep_tensor_scale(&a, 0), s2 = (double)ep_tensor_scale(&b, 0);
    const double so = (double)ep_tensor_scale(&out, 0);
    const size_t size = add ? sizeof(ep_add_params) : sizeof(ep_mul_params);
    uint8_t *blk = (uint8_t *)ep_prep_alloc(c->p, (uint32_t)(sizeof bd + size));
    rt->kind = !s16 ? kind : (kind == EP_K_ADD ? EP_K_ADD16 : (kind == EP_K_SUB ? EP_K_SUB16 : EP_K_MUL16));
    rt->u.ext.params = blk;
    ep_status st;
    if (add) {
        /* TFLM CalculateOpDataAdd: both inputs onto 2 * max scale, 20 (int16: 15) bits of
         * headroom. */
        ep_add_params p = {-ep_tensor_zero_point(&a, 0), 0, 0, -ep_tensor_zero_point(&b, 0), 0, 0,
                           left_shift, ep_tensor_zero_point(&out, 0), 0, 0, act};
        const double twice_max = 2.0 * (s1 > s2 ? s1 : s2);
        st = ep_quantize_multiplier(s1 / twice_max, &p.input_1_mult, &p.input_1_shift);
        if (st == EP_OK) {
            st = ep_quantize_multiplier(s2 / twice_max, &p.input_2_mult, &p.input_2_shift);
        }
        if (st == EP_OK) {
            st = ep_quantize_multiplier(twice_max / ((double)(1 << left_shift) * so), &p.output_mult,
                                        &p.output_shift);
        }
        if (blk != NULL) {
            memcpy(blk + sizeof bd, &p, sizeof p);
        }
    } else {
        ep_mul_params p = {-ep_tensor_zero_point(&a, 0), -ep_tensor_zero_point(&b, 0),
                           ep_tensor_zero_point(&out, 0), {0, 0}, act};
        st = ep_quantize_multiplier(s1 * s2 / so, &p.quant.multiplier, &p.quant.shift);
        if (blk != NULL) {
            memcpy(blk + sizeof bd, &p, sizeof p);
        }
    }
    if (st != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): bad scales", c->index, ep_op_name(op));
    }
    if (blk != NULL) {
        memcpy(blk, &bd, sizeof bd);
    }
    return EP_OK;
}

static ep_status prep_pad(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, pads, out;
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->input_count > 1 ? op->inputs[1] : -1, &pads, "paddings"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const bool s16 = in.type == EP_TYPE_INT16;
    TRY(pu_want_type(c, &in, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, s16 ? EP_TYPE_INT16 : EP_TYPE_INT8, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &out, "output"));
    TRY(want_same_quant(c, &in, &out));
    if (op->input_count > 2 && op->inputs[2] >= 0) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (PAD): constant_values not supported",
                    c->index);
    }
    if (pads.data == NULL || pads.type != EP_TYPE_INT32 || pads.rank != 2 ||
        pads.dims[0] != in.rank || pads.dims[1] != 2 || out.rank != in.rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (PAD): paddings must be constant int32 [%d, 2]",
                    c->index, in.rank);
    }
    ep_pad_params p;
    pu_align_dims(&in, p.in_dims);
    const uint8_t *pd = (const uint8_t *)pads.data;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        p.before[k] = 0;
        p.after[k] = 0;
    }
    for (int32_t k = 0; k < in.rank; ++k) {
        const int32_t at = EP_MAX_DIMS - in.rank + k;
        memcpy(&p.before[at], pd + 8 * k, 4);
        memcpy(&p.after[at], pd + 8 * k + 4, 4);
        if (p.before[at] < 0 || p.after[at] < 0 || p.before[at] > 65535 || p.after[at] > 65535 ||
            out.dims[k] != in.dims[k] + p.before[at] + p.after[at]) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (PAD): dimension %d does not match", c->index,
                        k);
        }
    }
    /* TFLM pads int8 with the output zero point (real 0) when no constant is given, int16
     * with 0 whatever the zero point (pad.cc) */
    p.pad_value = s16 ? 0 : ep_tensor_zero_point(&out, 0);
    ep_pad_params *blk = (ep_pad_params *)ep_prep_alloc(c->p, sizeof p);
    if (blk != NULL) {
        *blk = p;
    }
    rt->kind = s16 ? EP_K_PAD16 : EP_K_PAD;
    rt->u.ext.params = blk;
    return EP_OK;
}

static ep_status prep_concat(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info out, in;
    ep_concat_rt p;
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const int32_t axis = op->options.axis < 0 ? op->options.axis + out.rank : op->options.axis;
    if (axis < 0 || axis >= out.rank || op->options.activation != EP_ACT_NONE) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (CONCATENATION): axis %d / activation",
                    c->index, op->options.axis);
    }
    /* int64: products of dims from the file; each must fit the int32 fields they feed */
    int64_t outer = 1, inner = out.element_bytes, total = 0;
    for (int32_t k = 0; k < axis; ++k) {
        outer *= out.dims[k];
    }
    for (int32_t k = axis + 1; k < out.rank; ++k) {
        inner *= out.dims[k];
    }
    if (outer * inner * out.dims[axis] > INT32_MAX) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (CONCATENATION): output too large", c->index);
    }
    if (op->input_count > EP_MAX_CONCAT_INPUTS) {
        return FAIL(c, EP_ERR_LIMIT, "operator %d (CONCATENATION): %d inputs, at most %d",
                    c->index, op->input_count, EP_MAX_CONCAT_INPUTS);
    }
    p.count = op->input_count;
    p.outer = (int32_t)outer;
    for (int32_t i = 0; i < op->input_count; ++i) {
        TRY(pu_tensor(c, op->inputs[i], &in, "input"));
        if (in.type != out.type || in.rank != out.rank) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (CONCATENATION): input %d type/rank",
                        c->index, i);
        }
        if (out.type == EP_TYPE_INT8 || out.type == EP_TYPE_INT16) {
            TRY(want_same_quant(c, &in, &out));
        }
        for (int32_t k = 0; k < out.rank; ++k) {
            if (k != axis && in.dims[k] != out.dims[k]) {
                return FAIL(c, EP_ERR_SHAPE, "operator %d (CONCATENATION): input %d dim %d",
                            c->index, i, k);
            }
        }
        total += in.dims[axis];
        if (total > out.dims[axis]) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (CONCATENATION): axis sizes", c->index);
        }
        p.in[i] = (int16_t)op->inputs[i];
        p.axis_bytes[i] = (int32_t)(in.dims[axis] * inner); /* <= out bytes, checked above */
    }
    if (total != out.dims[axis]) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (CONCATENATION): axis sizes", c->index);
    }
    return ep_concat_finish(c, rt, &p, &out);
}

/* CONCATENATION and PACK: folded when every input is constant (a shape chain's PACK of the
 * batch and the fixed sizes), else the arguments go to a persistent block. */
ep_status ep_concat_finish(ctx_t *c, ep_op_rt *rt, const ep_concat_rt *p,
                           const ep_tensor_info *out)
{
    uint8_t *fold = pu_all_inputs_const(c) ? pu_fold_output(c, c->op->outputs[0], out, rt)
                                           : NULL;
    if (fold != NULL) {
        const uint8_t *ins[EP_MAX_CONCAT_INPUTS];
        for (int32_t i = 0; i < p->count && i < EP_MAX_CONCAT_INPUTS; ++i) {
            ins[i] = pu_const_data(c, p->in[i]);
        }
        if (ep_concatenation(ins, p->axis_bytes, p->count, p->outer, fold) != EP_OK) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): cannot fold", c->index,
                        ep_op_name(c->op));
        }
        return EP_OK;
    }
    ep_concat_rt *blk = (ep_concat_rt *)ep_prep_alloc(c->p, sizeof *p);
    if (blk != NULL) {
        *blk = *p;
    }
    rt->kind = EP_K_CONCAT;
    rt->u.ext.params = blk;
    return EP_OK;
}

static int32_t clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static ep_status prep_slice(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    const ep_op_options *o = &op->options;
    ep_tensor_info in, tb, te, ts, out;
    if (op->input_count != 4) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): want 4 inputs", c->index);
    }
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &tb, "begin"));
    TRY(pu_tensor(c, op->inputs[2], &te, "end"));
    TRY(pu_tensor(c, op->inputs[3], &ts, "strides"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (o->ellipsis_mask != 0 || o->new_axis_mask != 0) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (STRIDED_SLICE): ellipsis/new axis masks",
                    c->index);
    }
    const ep_tensor_info *v[3] = {&tb, &te, &ts};
    for (int32_t i = 0; i < 3; ++i) {
        if (v[i]->data == NULL || v[i]->type != EP_TYPE_INT32 || v[i]->elements != in.rank) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): begin/end/strides must be "
                        "constant int32 [%d]", c->index, in.rank);
        }
    }
    if (in.type != out.type) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): input/output types differ",
                    c->index);
    }
    if (in.scale_count > 0 && out.scale_count > 0) {
        TRY(want_same_quant(c, &in, &out)); /* a copy: no requantisation */
    }
    ep_strided_slice_params p;
    pu_align_dims(&in, p.in_dims);
    p.element_bytes = in.element_bytes;
    int64_t count = 1;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        p.start[k] = 0;
        p.stop[k] = p.in_dims[k];
        p.stride[k] = 1;
    }
    for (int32_t k = 0; k < in.rank; ++k) {
        const int32_t at = EP_MAX_DIMS - in.rank + k, size = in.dims[k];
        int32_t b, e, s;
        memcpy(&b, (const uint8_t *)tb.data + 4 * k, 4);
        memcpy(&e, (const uint8_t *)te.data + 4 * k, 4);
        memcpy(&s, (const uint8_t *)ts.data + 4 * k, 4);
        if (s == 0 || s == INT32_MIN || b == INT32_MIN || e == INT32_MIN) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): stride 0 or an INT32_MIN begin/end/stride", c->index);
        }
        if (o->ss_offset) {
            /* int64: begin + offset from the file can leave int32 either way */
            const int64_t sum = (int64_t)b + e;
            e = (int32_t)(sum > INT32_MAX ? INT32_MAX : (sum < -INT32_MAX ? -INT32_MAX : sum));
        }
        /* TFLM StartForAxis / StopForAxis. */
        if (o->begin_mask >> k & 1) {
            b = s > 0 ? 0 : size - 1;
        } else {
            b = b < 0 ? b + size : b;
            b = s > 0 ? clamp(b, 0, size) : clamp(b, -1, size - 1);
        }
        if (o->shrink_axis_mask >> k & 1) {
            e = b + 1;
        } else if (o->end_mask >> k & 1) {
            e = s > 0 ? size : -1;
        } else {
            e = e < 0 ? e + size : e;
            e = s > 0 ? clamp(e, 0, size) : clamp(e, -1, size - 1);
        }
        p.start[at] = b;
        p.stop[at] = e;
        p.stride[at] = s;
        /* int64: e - b + s - 1 overflows int32 for a stride near +-INT32_MAX from the file;
         * n <= size (b and e are clamped to the axis), so the product stays below 2^31 */
        const int64_t n = s > 0 ? (e > b ? ((int64_t)e - b + s - 1) / s : 0)
                                : (b > e ? ((int64_t)b - e - s - 1) / -(int64_t)s : 0);
        count *= n;
    }
    if (count != (int64_t)out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): output has %d elements, want %d",
                    c->index, out.elements, (int32_t)count);
    }
    /* A slice of a constant (the batch size out of SHAPE) is folded. */
    const uint8_t *src = pu_all_inputs_const(c) ? pu_const_data(c, op->inputs[0]) : NULL;
    uint8_t *fold = src != NULL ? pu_fold_output(c, op->outputs[0], &out, rt) : NULL;
    if (fold != NULL) {
        if (ep_strided_slice(&p, src, fold) != EP_OK) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (STRIDED_SLICE): cannot fold", c->index);
        }
        return EP_OK;
    }
    ep_strided_slice_params *blk = (ep_strided_slice_params *)ep_prep_alloc(c->p, sizeof p);
    if (blk != NULL) {
        *blk = p;
    }
    rt->kind = EP_K_SSLICE;
    rt->u.ext.params = blk;
    return EP_OK;
}

ep_status ep_op_prepare_data(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    switch (op->opcode) {
    case EP_OP_ADD: return prep_binary(&c, rt, EP_K_ADD);
    case EP_OP_SUB: return prep_binary(&c, rt, EP_K_SUB);
    case EP_OP_MUL: return prep_binary(&c, rt, EP_K_MUL);
    case EP_OP_PAD: return prep_pad(&c, rt);
    case EP_OP_CONCATENATION: return prep_concat(&c, rt);
    case EP_OP_STRIDED_SLICE: return prep_slice(&c, rt);
    case EP_OP_LOGISTIC: case EP_OP_TANH: case EP_OP_RELU: case EP_OP_RELU6:
    case EP_OP_LEAKY_RELU: case EP_OP_HARD_SWISH:
        return ep_op_prepare_act(p, index, op, rt);
    default:
        return ep_op_prepare_shape(p, index, op, rt);
    }
}
