/* The per-operator shape checks of the trained suffix (ept_net_scan, net.c): which layers are
 * adaptable, the trainer's limits on them, the frozen global pools / means it passes through
 * and the shape-only subgraphs it steps over. */
#include <string.h>

#include "train_internal.h"

/* Layers the trainer can adapt: FULLY_CONNECTED, and CONV_2D with a 1x1 filter and stride 1,
 * which is the same matrix applied at every spatial position (person_detect's pointwise
 * convs). Both need int8 input/output and constant int8 symmetric weights [out][..][in].
 * Returns 1 and the shape (features in / out per position, positions) when adaptable. */
int ept_adaptable(const ep_model *m, const ep_op_info *op, int32_t *in, int32_t *out,
                  int32_t *pos)
{
    ep_tensor_info ti, tw, to;
    if ((op->opcode != EP_OP_FULLY_CONNECTED && op->opcode != EP_OP_CONV_2D) ||
        op->input_count < 2 || op->inputs[0] < 0 || op->inputs[1] < 0 || op->outputs[0] < 0 ||
        ep_model_tensor(m, op->inputs[0], &ti) != EP_OK ||
        ep_model_tensor(m, op->inputs[1], &tw) != EP_OK ||
        ep_model_tensor(m, op->outputs[0], &to) != EP_OK || tw.data == NULL) {
        return 0;
    }
    if (op->opcode == EP_OP_FULLY_CONNECTED) {
        if (tw.rank != 2) return 0;
        *out = tw.dims[0];
        *in = tw.dims[1];
        *pos = 1;
    } else {
        /* 1x1, stride 1, same spatial size: padding and dilation cannot matter */
        if (tw.rank != 4 || tw.dims[1] != 1 || tw.dims[2] != 1 || op->options.stride_w != 1 ||
            op->options.stride_h != 1 || ti.rank != 4 || to.rank != 4 ||
            ti.dims[1] != to.dims[1] || ti.dims[2] != to.dims[2] || ti.dims[0] != 1) {
            return 0;
        }
        *out = tw.dims[0];
        *in = tw.dims[3];
        *pos = ti.dims[1] * ti.dims[2];
    }
    return ti.type == EP_TYPE_INT8 && tw.type == EP_TYPE_INT8 && to.type == EP_TYPE_INT8 &&
           *in > 0 && *out > 0;
}

/* The shape checks the trainer needs on top of ept_adaptable(): batch 1 and bounded sizes. */
ep_status ept_fc_shape(const ep_model *m, const ep_op_info *op, int32_t *in, int32_t *out,
                       int32_t *pos, char *err, size_t n)
{
    ep_tensor_info ti, tw, to;
    if (!ept_adaptable(m, op, in, out, pos)) {
        ept_err(err, n, ep_op_name(op), ": trainer needs int8 input/weights/output (CONV_2D: 1x1, stride 1)");
        return EP_ERR_UNSUPPORTED;
    }
    (void)ep_model_tensor(m, op->inputs[0], &ti);
    (void)ep_model_tensor(m, op->inputs[1], &tw);
    (void)ep_model_tensor(m, op->outputs[0], &to);
    if (ti.scale_count < 1 || tw.scale_count < 1 || to.scale_count < 1) {
        ept_err(err, n, ep_op_name(op), ": trainer needs quantised tensors");
        return EP_ERR_UNSUPPORTED;
    }
    if (ti.elements != *in * *pos || to.elements != *out * *pos || *in > 65535 || *out > 65535 ||
        *pos > 4096) {
        ept_err(err, n, ep_op_name(op), ": trainer needs batch 1");
        return EP_ERR_UNSUPPORTED;
    }
    return EP_OK;
}

/* Global AVERAGE_POOL_2D (person_detect: 3x3 -> 1x1): frozen, passed by the backward as
 * d x[p] = d y / count. Same input and output quantisation, as TFLM requires. */
ep_status ept_pool_shape(const ep_model *m, const ep_op_info *op, int32_t *c, int32_t *pos,
                         char *err, size_t n)
{
    ep_tensor_info ti, to;
    if (op->input_count < 1 || ep_model_tensor(m, op->inputs[0], &ti) != EP_OK ||
        ep_model_tensor(m, op->outputs[0], &to) != EP_OK || ti.rank != 4 || to.rank != 4 ||
        ti.type != EP_TYPE_INT8 || to.type != EP_TYPE_INT8 || ti.dims[0] != 1 ||
        to.dims[1] != 1 || to.dims[2] != 1 || op->options.filter_h != ti.dims[1] ||
        op->options.filter_w != ti.dims[2] || ti.scale_count < 1 || to.scale_count < 1 ||
        ep_tensor_scale(&ti, 0) != ep_tensor_scale(&to, 0) ||
        ep_tensor_zero_point(&ti, 0) != ep_tensor_zero_point(&to, 0)) {
        ept_err(err, n, "AVERAGE_POOL_2D above the lowest adapter: only a global int8 pool is trainable", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    *c = ti.dims[3];
    *pos = ti.dims[1] * ti.dims[2];
    return EP_OK;
}

/* MEAN over H and W of a batch-1 4-D int8 map (Keras GlobalAveragePooling2D, keep_dims either
 * way): the global pool with its own output quantisation. Other axes are not trainable. */
ep_status ept_mean_shape(const ep_model *m, const ep_op_info *op, int32_t *c, int32_t *pos,
                         char *err, size_t n)
{
    ep_tensor_info ti, ta, to;
    int hw = 0;
    if (op->input_count == 2 && ep_model_tensor(m, op->inputs[0], &ti) == EP_OK &&
        ep_model_tensor(m, op->inputs[1], &ta) == EP_OK &&
        ep_model_tensor(m, op->outputs[0], &to) == EP_OK && ti.rank == 4 && ti.dims[0] == 1 &&
        ti.type == EP_TYPE_INT8 && to.type == EP_TYPE_INT8 && to.elements == ti.dims[3] &&
        ti.scale_count >= 1 && to.scale_count >= 1 && ta.type == EP_TYPE_INT32 &&
        ta.data != NULL && ta.elements >= 1 && ta.elements <= 8) {
        const uint8_t *ad = (const uint8_t *)ta.data;
        hw = 1;
        int seen = 0;
        for (int32_t k = 0; k < ta.elements; ++k) {
            int32_t a;
            memcpy(&a, ad + 4 * k, 4);
            a = a < 0 ? a + 4 : a;
            if (a != 1 && a != 2) hw = 0;
            else seen |= 1 << a;
        }
        hw = hw && seen == 6;
    }
    if (!hw) {
        ept_err(err, n, "MEAN above the lowest adapter: only an int8 mean over H and W is trainable", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    *c = ti.dims[3];
    *pos = ti.dims[1] * ti.dims[2];
    return EP_OK;
}

int ept_per_channel(const ep_model *m, int32_t op_index)
{
    ep_op_info op;
    ep_tensor_info tw;
    return ep_model_op(m, op_index, &op) == EP_OK && op.input_count > 1 && op.inputs[1] >= 0 &&
           ep_model_tensor(m, op.inputs[1], &tw) == EP_OK && tw.scale_count > 1;
}

/* Operators of a shape-only subgraph (SHAPE, then data-layout operators on constants or on
 * such results: the SHAPE -> STRIDED_SLICE -> PACK that a dynamic-batch Flatten feeds RESHAPE
 * as its unused shape input). They carry no activation, so no gradient: the scan steps over
 * them (the engine folds them at prepare). `known` marks their outputs, EP_MAX_TENSORS bits. */
int ept_shape_only(const ep_model *m, const ep_op_info *op, uint8_t *known)
{
    int ok = op->opcode == EP_OP_SHAPE;
    if (!ok && (op->opcode == EP_OP_STRIDED_SLICE || op->opcode == EP_OP_PACK ||
                op->opcode == EP_OP_CONCATENATION || op->opcode == EP_OP_GATHER ||
                op->opcode == EP_OP_RESHAPE || op->opcode == EP_OP_EXPAND_DIMS ||
                op->opcode == EP_OP_SQUEEZE || op->opcode == EP_OP_TRANSPOSE)) {
        ok = op->input_count > 0;
        for (int32_t k = 0; ok && k < op->input_count; ++k) {
            const int32_t t = op->inputs[k];
            ep_tensor_info ti;
            ok = t < 0 || (known[t >> 3] >> (t & 7) & 1) ||
                 (ep_model_tensor(m, t, &ti) == EP_OK && ti.data != NULL);
        }
    }
    for (int32_t k = 0; ok && k < op->output_count; ++k) {
        known[op->outputs[k] >> 3] |= (uint8_t)(1u << (op->outputs[k] & 7));
    }
    return ok;
}
