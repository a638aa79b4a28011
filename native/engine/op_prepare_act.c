/* Prepare for the elementwise activations (LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU,
 * HARD_SWISH), int8 in and out. Each computes its kernel constants as the TFLM kernel's
 * Prepare does (the same float / double steps), and refuses what that Prepare refuses. The
 * arguments fit in the op record: no persistent bytes. */
#include <math.h>

#include "prep_util.h"

/* QuantizeMultiplier as TFLM's, which also takes negative values (LEAKY_RELU's alpha):
 * the magnitude's (M, shift) with M negated. From a float the rounding never reaches 2^31,
 * where the two would differ. */
static ep_status signed_multiplier(double real, ep_per_tensor_quant_params *q)
{
    const ep_status st = ep_quantize_multiplier(fabs(real), &q->multiplier, &q->shift);
    if (st == EP_OK && real < 0.0) {
        q->multiplier = -q->multiplier;
    }
    return st;
}

static ep_status prep_sigmoid(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                              const ep_tensor_info *out, bool tanh_op)
{
    /* Same error behaviour as TFLM: it checks only the LOGISTIC output zero point; both
     * kernels write the fixed format (1/256, -128 and 1/128, 0) whatever the output tensor
     * states, and so do ours (docs/engine.md). */
    const int32_t want_zp = tanh_op ? 0 : -128;
    TRY(pu_want_quant(c, out, "output"));
    if (in->type == EP_TYPE_INT16) {
        /* TFLM's int16 Prepare: zero points 0, output scale 2^-15 (it checks both) */
        if (ep_tensor_zero_point(in, 0) != 0 || ep_tensor_zero_point(out, 0) != 0) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (%s): int16 zero points must be 0",
                        c->index, ep_op_name(c->op));
        }
        if (ep_sigmoid16_prepare(ep_tensor_scale(in, 0), ep_tensor_scale(out, 0), tanh_op,
                                 &rt->u.act.p.sigmoid16) != EP_OK) {
            return FAIL(c, EP_ERR_QUANT, "operator %d (%s): int16 output scale must be 2^-15 "
                        "(or the input scale is out of range)", c->index, ep_op_name(c->op));
        }
        rt->kind = tanh_op ? EP_K_TANH16 : EP_K_LOGISTIC16;
        return EP_OK;
    }
    if (!tanh_op && ep_tensor_zero_point(out, 0) != want_zp) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): output must have scale 1/%d and "
                    "zero point %d (zero point is %d)", c->index, ep_op_name(c->op),
                    tanh_op ? 128 : 256, want_zp, ep_tensor_zero_point(out, 0));
    }
    if (ep_sigmoid_prepare(ep_tensor_scale(in, 0), ep_tensor_zero_point(in, 0),
                           &rt->u.act.p.sigmoid) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (%s): input scale out of range", c->index,
                    ep_op_name(c->op));
    }
    rt->kind = tanh_op ? EP_K_TANH : EP_K_LOGISTIC;
    return EP_OK;
}

static ep_status prep_relu(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                           const ep_tensor_info *out)
{
    TRY(pu_want_quant(c, out, "output"));
    ep_relu_params *p = &rt->u.act.p.relu;
    /* TFLM CalculateReluOpData: the ratio in float32, widened; clamp from the output zero
     * point (roundf(0 / scale) is 0) up to 127 */
    const float ratio = ep_tensor_scale(in, 0) / ep_tensor_scale(out, 0);
    if (ep_quantize_multiplier((double)ratio, &p->quant.multiplier, &p->quant.shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (RELU): bad scales", c->index);
    }
    const int32_t zp = ep_tensor_zero_point(out, 0);
    const bool s16 = in->type == EP_TYPE_INT16;
    if (s16 && (ep_tensor_zero_point(in, 0) != 0 || zp != 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (RELU): int16 zero points must be 0", c->index);
    }
    const int32_t qmin = s16 ? -32768 : -128, qmax = s16 ? 32767 : 127;
    p->input_offset = -ep_tensor_zero_point(in, 0);
    p->output_offset = zp;
    /* a zero point above qmax makes TFLM's max-then-min give qmax: keep min <= max */
    p->activation.min = zp < qmin ? qmin : (zp > qmax ? qmax : zp);
    p->activation.max = qmax;
    rt->kind = s16 ? EP_K_RELU16 : EP_K_RELU;
    return EP_OK;
}

static ep_status prep_relu6(ep_op_rt *rt, const ep_tensor_info *in)
{
    /* TFLM Relu6Prepare: on the input's scale, zero = z_in and six = clamp(round(6 / s_in)
     * + z_in) to int8 (the division in float32); the kernel stores both as int8. */
    const int32_t zp = ep_tensor_zero_point(in, 0);
    const bool s16 = in->type == EP_TYPE_INT16;
    const double qmin = s16 ? -32768.0 : -128.0, qmax = s16 ? 32767.0 : 127.0;
    double six = round((double)(6.0f / ep_tensor_scale(in, 0))) + (double)zp;
    six = six < qmin ? qmin : (six > qmax ? qmax : six);
    rt->u.act.p.clamp.min = s16 ? (int32_t)(int16_t)zp : (int32_t)(int8_t)zp;
    rt->u.act.p.clamp.max = (int32_t)six;
    rt->kind = s16 ? EP_K_RELU6_16 : EP_K_RELU6;
    return EP_OK;
}

static ep_status prep_leaky(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                            const ep_tensor_info *out)
{
    TRY(pu_want_quant(c, out, "output"));
    ep_leaky_relu_params *p = &rt->u.act.p.leaky;
    const float s_in = ep_tensor_scale(in, 0), s_out = ep_tensor_scale(out, 0);
    const float alpha = c->op->options.alpha;
    /* TFLM: s_in * alpha / s_out and s_in / s_out in float32, widened to double */
    const float alpha_ratio = s_in * alpha / s_out;
    const float identity_ratio = s_in / s_out;
    if (!isfinite(alpha) || signed_multiplier((double)alpha_ratio, &p->alpha) != EP_OK ||
        ep_quantize_multiplier((double)identity_ratio, &p->identity.multiplier,
                               &p->identity.shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (LEAKY_RELU): bad scales or alpha", c->index);
    }
    p->input_offset = -ep_tensor_zero_point(in, 0);
    p->output_offset = ep_tensor_zero_point(out, 0);
    rt->kind = in->type == EP_TYPE_INT16 ? EP_K_LEAKY16 : EP_K_LEAKY_RELU;
    return EP_OK;
}

static ep_status prep_hard_swish(ctx_t *c, ep_op_rt *rt, const ep_tensor_info *in,
                                 const ep_tensor_info *out)
{
    TRY(pu_want_quant(c, out, "output"));
    if (ep_hard_swish_prepare(ep_tensor_scale(in, 0), ep_tensor_zero_point(in, 0),
                              ep_tensor_scale(out, 0), ep_tensor_zero_point(out, 0),
                              &rt->u.act.p.hswish) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (HARD_SWISH): scales out of range (TFLM needs "
                    "the output scale above input scale / 128)", c->index);
    }
    rt->kind = EP_K_HARD_SWISH;
    return EP_OK;
}

ep_status ep_op_prepare_act(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    ep_tensor_info in, out;
    /* TFLM checks one input for TANH, LEAKY_RELU and HARD_SWISH; LOGISTIC and RELU read the
     * first and ignore the rest */
    const bool one_input = op->opcode == EP_OP_TANH || op->opcode == EP_OP_LEAKY_RELU ||
                           op->opcode == EP_OP_HARD_SWISH;
    if (one_input && op->input_count != 1) {
        return FAIL(&c, EP_ERR_SHAPE, "operator %d (%s): want 1 input", index, ep_op_name(op));
    }
    TRY(pu_tensor(&c, op->inputs[0], &in, "input"));
    TRY(pu_tensor(&c, op->outputs[0], &out, "output"));
    /* int16 as TFLM: all but HARD_SWISH (TFLM's is int8 only) */
    const bool s16_ok = op->opcode != EP_OP_HARD_SWISH;
    const int32_t type = s16_ok && in.type == EP_TYPE_INT16 ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(&c, &in, type, "input"));
    TRY(pu_want_type(&c, &out, type, "output"));
    TRY(pu_want_quant(&c, &in, "input"));
    if (in.elements != out.elements) {
        return FAIL(&c, EP_ERR_SHAPE, "operator %d (%s): output has %d elements, input %d",
                    index, ep_op_name(op), out.elements, in.elements);
    }
    rt->u.act.count = in.elements;
    switch (op->opcode) {
    case EP_OP_LOGISTIC: return prep_sigmoid(&c, rt, &in, &out, false);
    case EP_OP_TANH: return prep_sigmoid(&c, rt, &in, &out, true);
    case EP_OP_RELU: return prep_relu(&c, rt, &in, &out);
    case EP_OP_RELU6: return prep_relu6(rt, &in);
    case EP_OP_LEAKY_RELU: return prep_leaky(&c, rt, &in, &out);
    default: return prep_hard_swish(&c, rt, &in, &out);
    }
}

/* The activation as a 256-entry table (index: the input byte as uint8), for the trainer,
 * which runs activation operators between adapted layers: the operator is prepared as a
 * session prepares it (same checks, same constants) and its kernel run on every int8 value,
 * so the trainer's forward is the engine's by construction. */
ep_status ep_activation_table(const ep_model *model, int32_t op_index, int8_t table[256],
                              char *err, size_t err_size)
{
    ep_op_info op;
    ep_op_rt rt;
    int8_t in[256];
    if (model == NULL || table == NULL) {
        return EP_ERR_ARG;
    }
    ep_status st = ep_model_op(model, op_index, &op);
    if (st != EP_OK) {
        return st;
    }
    if (op.opcode != EP_OP_LOGISTIC && op.opcode != EP_OP_TANH && op.opcode != EP_OP_RELU &&
        op.opcode != EP_OP_RELU6 && op.opcode != EP_OP_LEAKY_RELU && op.opcode != EP_OP_HARD_SWISH) {
        return EP_ERR_ARG;
    }
    ep_prep p = {model, NULL, NULL, 0, 0, NULL, 0, err, err_size};
    __builtin_memset(&rt, 0, sizeof rt);
    st = ep_op_prepare_act(&p, op_index, &op, &rt);
    if (st != EP_OK) {
        return st;
    }
    for (int32_t v = 0; v < 256; ++v) {
        in[v] = (int8_t)(uint8_t)v;
    }
    switch (rt.kind) {
    case EP_K_LOGISTIC: return ep_logistic_s8(&rt.u.act.p.sigmoid, in, table, 256);
    case EP_K_TANH: return ep_tanh_s8(&rt.u.act.p.sigmoid, in, table, 256);
    case EP_K_RELU: return ep_relu_s8(&rt.u.act.p.relu, in, table, 256);
    case EP_K_RELU6: return ep_clamp_s8(&rt.u.act.p.clamp, in, table, 256);
    case EP_K_LEAKY_RELU: return ep_leaky_relu_s8(&rt.u.act.p.leaky, in, table, 256);
    case EP_K_HARD_SWISH: return ep_hard_swish_s8(&rt.u.act.p.hswish, in, table, 256);
    default: return EP_ERR_UNSUPPORTED; /* an int16 operator: the table is int8 */
    }
}
