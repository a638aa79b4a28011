/* Prepare for the data-layout operators TensorFlow emits for ordinary Keras models with a
 * dynamic batch: SHAPE (always folded: its value is the static input shape), PACK (as
 * CONCATENATION), UNPACK, GATHER, SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND (dilated "same"
 * convolutions), TRANSPOSE, and QUANTIZE / DEQUANTIZE at float32 model edges. Each checks what TFLM's Prepare checks, plus the shapes TFLM
 * leaves unchecked (its kernels would read or write out of bounds), with named errors. */
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

static bool copy_type(int32_t t, bool int64_ok)
{
    return t == EP_TYPE_INT8 || t == EP_TYPE_INT16 || t == EP_TYPE_INT32 ||
           (int64_ok && t == EP_TYPE_INT64);
}

/* Product of dims [from, to) of t, or -1 beyond int32 (a zero dim elsewhere can hide it). */
static int32_t span(const ep_tensor_info *t, int32_t from, int32_t to)
{
    int64_t n = 1;
    for (int32_t k = from; k < to; ++k) {
        n *= t->dims[k];
        if (n > INT32_MAX) {
            return -1;
        }
    }
    return (int32_t)n;
}

/* A constant int32 input of `elements` values, copied out (unaligned-safe). */
static ep_status const_i32(ctx_t *c, const ep_tensor_info *t, int32_t elements, int32_t *v,
                           const char *role)
{
    if (t->data == NULL || t->type != EP_TYPE_INT32 || t->elements != elements) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): %s must be constant int32 with "
                    "%d values", c->index, ep_op_name(c->op), role, elements);
    }
    memcpy(v, t->data, (size_t)elements * 4u);
    return EP_OK;
}

static void *store(ctx_t *c, ep_op_rt *rt, int16_t kind, const void *p, uint32_t bytes)
{
    void *blk = ep_prep_alloc(c->p, bytes);
    if (blk != NULL) {
        memcpy(blk, p, bytes);
    }
    rt->kind = kind;
    rt->u.ext.params = blk;
    return blk;
}

/* SHAPE: TFLM writes the input's dims at every invoke (int32 output only); here they are
 * written once, at prepare, and the operator does nothing at invoke. */
static ep_status prep_shape(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(want_inputs(c, 1));
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    TRY(pu_want_type(c, &out, EP_TYPE_INT32, "output"));
    if (out.elements != in.rank || out.rank != 1) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SHAPE): output has %d elements for a rank-%d "
                    "input", c->index, out.elements, in.rank);
    }
    uint8_t *fold = pu_fold_output(c, c->op->outputs[0], &out, rt);
    if (fold == NULL) {
        return FAIL(c, EP_ERR_LIMIT, "operator %d (SHAPE): more than %u bytes of folded shape "
                    "values", c->index, EP_FOLD_POOL_BYTES);
    }
    memcpy(fold, in.dims, (size_t)in.rank * 4u); /* int32 little-endian, as the targets */
    return EP_OK;
}

/* PACK: values_count inputs of one shape stacked along a new axis (TFLM PackImpl, a copy:
 * no requantisation, none checked). The copy is CONCATENATION's with equal row sizes. */
static ep_status prep_pack(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info out, in;
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const int32_t n = op->options.values_count;
    const int32_t axis = op->options.axis < 0 ? op->options.axis + out.rank : op->options.axis;
    if (n != op->input_count || n < 1 || axis < 0 || axis >= out.rank || out.dims[axis] != n) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (PACK): values_count %d, %d inputs, axis %d "
                    "for a rank-%d output", c->index, n, op->input_count, op->options.axis,
                    out.rank);
    }
    if (n > EP_MAX_CONCAT_INPUTS) {
        return FAIL(c, EP_ERR_LIMIT, "operator %d (PACK): %d inputs, at most %d", c->index, n,
                    EP_MAX_CONCAT_INPUTS);
    }
    if (!copy_type(out.type, true)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (PACK): output is %s", c->index,
                    ep_type_name(out.type));
    }
    const int32_t outer = span(&out, 0, axis), inner = span(&out, axis + 1, out.rank);
    if (outer < 0 || inner < 0 || (int64_t)inner * out.element_bytes > INT32_MAX) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (PACK): output too large", c->index);
    }
    ep_concat_rt p;
    p.count = n;
    p.outer = outer;
    for (int32_t i = 0; i < n; ++i) {
        TRY(pu_tensor(c, op->inputs[i], &in, "input"));
        bool ok = in.type == out.type && in.rank == out.rank - 1;
        for (int32_t k = 0; ok && k < in.rank; ++k) {
            ok = in.dims[k] == out.dims[k < axis ? k : k + 1];
        }
        if (!ok) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (PACK): input %d is not the output without "
                        "axis %d", c->index, i, axis);
        }
        p.in[i] = (int16_t)op->inputs[i];
        p.axis_bytes[i] = inner * out.element_bytes;
    }
    return ep_concat_finish(c, rt, &p, &out);
}

/* UNPACK: num outputs, slice i along the axis each (TFLM UnpackImpl, a copy). */
static ep_status prep_unpack(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, out;
    TRY(want_inputs(c, 1));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    const int32_t n = op->options.values_count;
    const int32_t axis = op->options.axis < 0 ? op->options.axis + in.rank : op->options.axis;
    if (n != op->output_count || n < 1 || axis < 0 || axis >= in.rank || in.dims[axis] != n) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (UNPACK): num %d, %d outputs, axis %d for a "
                    "rank-%d input", c->index, n, op->output_count, op->options.axis, in.rank);
    }
    if (!copy_type(in.type, false)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (UNPACK): input is %s", c->index,
                    ep_type_name(in.type));
    }
    ep_unpack_rt p;
    p.count = n;
    p.outer = span(&in, 0, axis);
    const int32_t inner = span(&in, axis + 1, in.rank);
    if (p.outer < 0 || inner < 0 || (int64_t)inner * in.element_bytes > INT32_MAX) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (UNPACK): input too large", c->index);
    }
    p.copy_bytes = inner * in.element_bytes;
    for (int32_t i = 0; i < n; ++i) {
        TRY(pu_tensor(c, op->outputs[i], &out, "output"));
        bool ok = out.type == in.type && out.rank == in.rank - 1;
        for (int32_t k = 0; ok && k < out.rank; ++k) {
            ok = out.dims[k] == in.dims[k < axis ? k : k + 1];
        }
        if (!ok) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (UNPACK): output %d is not the input "
                        "without axis %d", c->index, i, axis);
        }
        p.out[i] = (int16_t)op->outputs[i];
    }
    store(c, rt, EP_K_UNPACK, &p, sizeof p);
    return EP_OK;
}

/* GATHER (TFLM GatherPrepare: int32 coordinates, int8 input here as TFLM has no other
 * integer type; axis and batch_dims resolved and checked as TFLM). TFLM overwrites the
 * output shape; here it must already be that shape. Constant coordinates are range-checked
 * now, others at every invoke. */
static ep_status prep_gather(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, co, out;
    TRY(want_inputs(c, 2));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &co, "positions"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    TRY(pu_want_type(c, &co, EP_TYPE_INT32, "positions"));
    TRY(pu_want_type(c, &in, EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, EP_TYPE_INT8, "output"));
    const int32_t axis = op->options.axis < 0 ? op->options.axis + in.rank : op->options.axis;
    const int32_t bd = op->options.batch_dims < 0 ? op->options.batch_dims + co.rank
                                                  : op->options.batch_dims;
    if (axis < 0 || axis >= in.rank || bd < 0 || bd > axis || bd >= in.rank || bd > co.rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (GATHER): axis %d / batch_dims %d for input "
                    "rank %d, positions rank %d", c->index, op->options.axis,
                    op->options.batch_dims, in.rank, co.rank);
    }
    bool ok = out.rank == in.rank + co.rank - 1 - bd;
    int32_t j = 0;
    for (int32_t k = 0; k < bd; ++k) {
        ok = ok && in.dims[k] == co.dims[k];
    }
    for (int32_t k = 0; ok && k < axis; ++k) {
        ok = out.dims[j++] == in.dims[k];
    }
    for (int32_t k = bd; ok && k < co.rank; ++k) {
        ok = out.dims[j++] == co.dims[k];
    }
    for (int32_t k = axis + 1; ok && k < in.rank; ++k) {
        ok = out.dims[j++] == in.dims[k];
    }
    if (!ok) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (GATHER): output shape does not match", c->index);
    }
    ep_gather_params p = {span(&in, 0, bd), span(&in, bd, axis), in.dims[axis],
                          span(&co, bd, co.rank), span(&in, axis + 1, in.rank)};
    if (p.batch < 0 || p.outer < 0 || p.coords < 0 || p.inner_bytes < 0) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (GATHER): tensors too large", c->index);
    }
    if (co.data != NULL) {
        for (int32_t i = 0; i < co.elements; ++i) {
            int32_t v;
            memcpy(&v, (const uint8_t *)co.data + 4 * i, 4);
            if (v < 0 || v >= p.axis_size) {
                return FAIL(c, EP_ERR_SHAPE, "operator %d (GATHER): position %d is %d, outside "
                            "[0, %d)", c->index, i, v, p.axis_size);
            }
        }
    }
    uint8_t *fold = pu_all_inputs_const(c) ? pu_fold_output(c, op->outputs[0], &out, rt) : NULL;
    if (fold != NULL) {
        return ep_gather(&p, in.data, co.data, fold) == EP_OK
                   ? EP_OK : FAIL(c, EP_ERR_SHAPE, "operator %d (GATHER): cannot fold", c->index);
    }
    store(c, rt, EP_K_GATHER, &p, sizeof p);
    return EP_OK;
}

/* SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND int8, 3-D or 4-D (TFLM's limits); block shape and
 * paddings / crops constant here (TFLM reads them at invoke and checks no shape). */
static ep_status prep_space_batch(ctx_t *c, ep_op_rt *rt, bool to_batch)
{
    const ep_op_info *op = c->op;
    const char *name = to_batch ? "SPACE_TO_BATCH_ND" : "BATCH_TO_SPACE_ND";
    ep_tensor_info in, bs, pc, out;
    TRY(want_inputs(c, 3));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &bs, "block shape"));
    TRY(pu_tensor(c, op->inputs[2], &pc, to_batch ? "paddings" : "crops"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (in.rank < 3 || in.rank > 4 || out.rank != in.rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): input rank %d, output rank %d (want both "
                    "3 or 4)", c->index, name, in.rank, out.rank);
    }
    TRY(pu_want_type(c, &in, EP_TYPE_INT8, "input"));
    TRY(pu_want_type(c, &out, EP_TYPE_INT8, "output"));
    const int32_t m = in.rank - 2;
    int32_t block[2] = {1, 1}, pad[4] = {0, 0, 0, 0};
    TRY(const_i32(c, &bs, m, block, "block shape"));
    TRY(const_i32(c, &pc, 2 * m, pad, to_batch ? "paddings" : "crops"));
    const ep_dims id = {in.dims[0], in.dims[1], m == 2 ? in.dims[2] : 1, in.dims[in.rank - 1]};
    const ep_dims od = {out.dims[0], out.dims[1], m == 2 ? out.dims[2] : 1,
                        out.dims[out.rank - 1]};
    bool ok = block[0] > 0 && block[1] > 0 && pad[0] >= 0 && pad[1] >= 0 && pad[2] >= 0 &&
              pad[3] >= 0 && id.c == od.c;
    /* int64 from the file's values; the kernels' int32 index math reaches the padded
     * (space to batch) or uncropped (batch to space) extent, so that must fit int32 too */
    const int64_t blocks = (int64_t)block[0] * block[1];
    ok = ok && blocks <= INT32_MAX;
    if (ok && to_batch) {
        const int64_t h = (int64_t)id.h + pad[0] + pad[1], w = (int64_t)id.w + pad[2] + pad[3];
        ok = h <= INT32_MAX && w <= INT32_MAX && h % block[0] == 0 && w % block[1] == 0 &&
             od.h == h / block[0] && od.w == w / block[1] && (int64_t)od.n == (int64_t)id.n * blocks;
    } else if (ok) {
        const int64_t uh = (int64_t)id.h * block[0], uw = (int64_t)id.w * block[1];
        ok = uh <= INT32_MAX && uw <= INT32_MAX && id.n % blocks == 0 &&
             (int64_t)od.n * blocks == id.n && od.h == uh - pad[0] - pad[1] &&
             od.w == uw - pad[2] - pad[3];
    }
    if (!ok) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): output shape does not match block shape "
                    "and %s", c->index, name, to_batch ? "paddings" : "crops");
    }
    /* Padding is the output zero point (real 0), as TFLite pads it and as the dilated
     * convolution the converter rewrote needs. TFLM pads with SpaceToBatchParams.output_offset,
     * which its Init never sets: whatever the arena held (the oracle shows different bytes from
     * run to run), so TFLM's padding is undefined and tests check it against the zero point. */
    const ep_space_batch_params p = {id.n, id.h, id.w, od.n, od.h, od.w, id.c,
                                     block[0], block[1], pad[0], pad[2],
                                     to_batch ? ep_tensor_zero_point(&out, 0) : 0};
    store(c, rt, to_batch ? EP_K_S2B : EP_K_B2S, &p, sizeof p);
    return EP_OK;
}

/* TRANSPOSE (TFLM TransposePrepare: rank <= 5, same types, constant int32 perm of the input's
 * rank with values in range; int8 / int16 as its eval). The perm must also be a permutation
 * and the output the permuted input (TFLM trusts both). */
static ep_status prep_transpose(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info in, pt, out;
    TRY(want_inputs(c, 2));
    TRY(pu_tensor(c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, op->inputs[1], &pt, "perm"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    if (in.rank > 5 || in.type != out.type || (in.type != EP_TYPE_INT8 &&
                                               in.type != EP_TYPE_INT16)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (TRANSPOSE): rank %d %s -> %s (want rank "
                    "<= 5, int8 or int16)", c->index, in.rank, ep_type_name(in.type),
                    ep_type_name(out.type));
    }
    int32_t perm[EP_MAX_DIMS];
    if (pt.rank != 1) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE): perm has rank %d", c->index,
                    pt.rank);
    }
    TRY(const_i32(c, &pt, in.rank, perm, "perm"));
    bool seen[EP_MAX_DIMS] = {false};
    bool ok = out.rank == in.rank;
    for (int32_t k = 0; ok && k < in.rank; ++k) {
        ok = perm[k] >= 0 && perm[k] < in.rank && !seen[perm[k]] &&
             out.dims[k] == in.dims[perm[k]];
        seen[ok ? perm[k] : 0] = true;
    }
    if (!ok) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE): perm is not a permutation giving "
                    "the output shape", c->index);
    }
    ep_transpose_params p;
    p.element_bytes = in.element_bytes;
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        p.out_dims[k] = 1;
        p.in_stride[k] = 0;
    }
    for (int32_t k = 0; k < in.rank; ++k) {
        const int32_t s = span(&in, perm[k] + 1, in.rank);
        if (s < 0) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE): input too large", c->index);
        }
        p.out_dims[EP_MAX_DIMS - in.rank + k] = out.dims[k];
        p.in_stride[EP_MAX_DIMS - in.rank + k] = s;
    }
    uint8_t *fold = pu_all_inputs_const(c) ? pu_fold_output(c, op->outputs[0], &out, rt) : NULL;
    if (fold != NULL) {
        return ep_transpose(&p, in.data, fold) == EP_OK
                   ? EP_OK : FAIL(c, EP_ERR_SHAPE, "operator %d (TRANSPOSE): cannot fold",
                                  c->index);
    }
    store(c, rt, EP_K_TRANSPOSE, &p, sizeof p);
    return EP_OK;
}

/* QUANTIZE float32 -> int8 / int16 and DEQUANTIZE int8 / int16 -> float32 (TFLM's Prepare:
 * one input, one output, these types; QUANTIZE's output per-tensor quantised). Only at the
 * model's float edges in practice: the engine has no other float32 operator. */
static ep_status prep_float_edge(ctx_t *c, ep_op_rt *rt, bool quantize)
{
    ep_tensor_info in, out;
    TRY(want_inputs(c, 1));
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    const ep_tensor_info *q = quantize ? &out : &in;
    TRY(pu_want_type(c, quantize ? &in : &out, EP_TYPE_FLOAT32, quantize ? "input" : "output"));
    if (q->type != EP_TYPE_INT8 && q->type != EP_TYPE_INT16) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): %s is %s, want int8 or int16",
                    c->index, ep_op_name(c->op), quantize ? "output" : "input",
                    ep_type_name(q->type));
    }
    TRY(pu_want_quant(c, q, quantize ? "output" : "input"));
    if (quantize && q->scale_count != 1) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (QUANTIZE): %d output scales, want 1",
                    c->index, q->scale_count);
    }
    if (in.elements != out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %d -> %d elements", c->index,
                    ep_op_name(c->op), in.elements, out.elements);
    }
    rt->kind = quantize ? EP_K_QUANT_F32 : EP_K_DEQUANT_F32;
    rt->u.edge.scale = ep_tensor_scale(q, 0);
    rt->u.edge.zp = ep_tensor_zero_point(q, 0);
    rt->u.edge.type = q->type;
    rt->u.edge.count = in.elements;
    return EP_OK;
}

ep_status ep_op_prepare_layout(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    switch (op->opcode) {
    case EP_OP_SHAPE: return prep_shape(&c, rt);
    case EP_OP_PACK: return prep_pack(&c, rt);
    case EP_OP_UNPACK: return prep_unpack(&c, rt);
    case EP_OP_GATHER: return prep_gather(&c, rt);
    case EP_OP_SPACE_TO_BATCH_ND: return prep_space_batch(&c, rt, true);
    case EP_OP_BATCH_TO_SPACE_ND: return prep_space_batch(&c, rt, false);
    case EP_OP_TRANSPOSE: return prep_transpose(&c, rt);
    case EP_OP_QUANTIZE: return prep_float_edge(&c, rt, true);
    case EP_OP_DEQUANTIZE: return prep_float_edge(&c, rt, false);
    case EP_OP_TRANSPOSE_CONV: return ep_op_prepare_tconv(p, index, op, rt);
    case EP_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return ep_op_prepare_lstm(p, index, op, rt);
    default:
        return FAIL(&c, EP_ERR_UNSUPPORTED, "operator %d: unsupported operator %s", index,
                    ep_op_name(op));
    }
}
