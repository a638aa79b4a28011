/* Prepare for the TFLite Micro Signal library's audio front end (custom operators
 * SignalWindow, SignalFftAutoScale, SignalRfft, SignalEnergy, SignalFilterBank,
 * SignalFilterBankSquareRoot, SignalFilterBankSpectralSubtraction, SignalPCAN,
 * SignalFilterBankLog) and the builtins its graph runs between them on non-int8 types: CAST
 * (int8 / int16 / int32 / uint32) and int32 ADD, MUL, DIV, MINIMUM, MAXIMUM. Checks are
 * TFLM's (types, ranks, input / output counts) plus the ranges TFLM leaves unchecked (filter
 * bank offsets, table sizes, FFT and energy lengths), so a corrupt model is refused here
 * instead of read out of bounds. Arguments live in a persistent block allocated only for
 * these operators, with the RFFT's twiddle tables and the spectral subtraction's noise state
 * (zeroed by ep_session_reset_state, as TFLM's Reset does). This file: recognition, the shared
 * checks (prep_signal.h), CAST and int32 arithmetic; the custom operators' prepares are in
 * op_prepare_signal_fe.c. */
#include <string.h>

#include "prep_signal.h"

static const char *const signal_ops[] = {
    "SignalWindow", "SignalFftAutoScale", "SignalRfft", "SignalEnergy", "SignalFilterBank",
    "SignalFilterBankSquareRoot", "SignalFilterBankSpectralSubtraction", "SignalPCAN",
    "SignalFilterBankLog"};

static int32_t signal_code_kind(const char *custom_code)
{
    for (int32_t k = 0; k < SIG_COUNT; ++k) {
        if (strcmp(custom_code, signal_ops[k]) == 0) {
            return k;
        }
    }
    return -1;
}

static int32_t signal_kind(const ep_op_info *op)
{
    if (op->opcode != EP_OP_CUSTOM || op->custom_code == NULL) {
        return -1;
    }
    return signal_code_kind(op->custom_code);
}

bool ep_signal_custom_supported(const char *custom_code)
{
    return signal_code_kind(custom_code) >= 0;
}

static bool i32_input(const ep_prep *p, const ep_op_info *op)
{
    ep_tensor_info t;
    return op->input_count >= 1 && op->inputs[0] >= 0 &&
           ep_model_tensor(p->model, op->inputs[0], &t) == EP_OK && t.type == EP_TYPE_INT32;
}

bool ep_op_is_signal(const ep_prep *p, const ep_op_info *op)
{
    switch (op->opcode) {
    case EP_OP_CUSTOM: return signal_kind(op) >= 0;
    case EP_OP_CAST: case EP_OP_DIV: return true;
    case EP_OP_ADD: case EP_OP_MUL: case EP_OP_MINIMUM: case EP_OP_MAXIMUM:
        return i32_input(p, op);
    default: return false;
    }
}

bool ep_signal_supported(const ep_op_info *op)
{
    return signal_kind(op) >= 0 || op->opcode == EP_OP_CAST || op->opcode == EP_OP_DIV;
}

ep_status sig_io_counts(ctx_t *c, int32_t ins, int32_t outs)
{
    if (c->op->input_count != ins || c->op->output_count != outs) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %d inputs / %d outputs, want %d / %d",
                    c->index, ep_op_name(c->op), c->op->input_count, c->op->output_count, ins,
                    outs);
    }
    for (int32_t i = 0; i < ins; ++i) {
        if (c->op->inputs[i] < 0) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): input %d missing", c->index,
                        ep_op_name(c->op), i);
        }
    }
    return EP_OK;
}

/* An integer option of the flexbuffer map, within [lo, hi]. */
ep_status sig_opt(ctx_t *c, const char *key, int64_t lo, int64_t hi, int32_t *out)
{
    int64_t v = 0;
    const ep_status st = ep_flex_map_int(c->op->custom_options, c->op->custom_options_size,
                                         key, &v);
    if (st == EP_ERR_MODEL) {
        return FAIL(c, EP_ERR_MODEL, "operator %d (%s): malformed custom options", c->index,
                    ep_op_name(c->op));
    }
    if (st != EP_OK) {
        return FAIL(c, EP_ERR_MODEL, "operator %d (%s): custom option '%s' missing", c->index,
                    ep_op_name(c->op), key);
    }
    if (v < lo || v > hi) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): option '%s' = %d out of range "
                    "[%d, %d]", c->index, ep_op_name(c->op), key, (int32_t)v, (int32_t)lo,
                    (int32_t)hi);
    }
    *out = (int32_t)v;
    return EP_OK;
}

ep_status sig_want(ctx_t *c, int32_t t, ep_tensor_info *info, int32_t type, int32_t rank,
                      const char *role)
{
    TRY(pu_tensor(c, t, info, role));
    TRY(pu_want_type(c, info, type, role));
    if (rank >= 0 && info->rank != rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %s has rank %d, want %d", c->index,
                    ep_op_name(c->op), role, info->rank, rank);
    }
    return EP_OK;
}

void *sig_block(ctx_t *c, ep_op_rt *rt, int32_t kind, uint32_t bytes)
{
    void *b = ep_prep_alloc(c->p, bytes);
    if (b != NULL) {
        memset(b, 0, bytes);
    }
    rt->kind = (int16_t)kind;
    rt->u.ext.params = b;
    return b;
}

static bool cast_type(int32_t t)
{
    return t == EP_TYPE_INT8 || t == EP_TYPE_INT16 || t == EP_TYPE_INT32 || t == EP_TYPE_UINT32;
}

static ep_status prep_cast(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(sig_io_counts(c, 1, 1));
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    if (!cast_type(in.type) || !cast_type(out.type)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (CAST): %s -> %s (int8, int16, int32, "
                    "uint32 only)", c->index, ep_type_name(in.type), ep_type_name(out.type));
    }
    if (in.elements != out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (CAST): %d elements -> %d", c->index,
                    in.elements, out.elements);
    }
    rt->kind = EP_K_CAST;
    rt->u.quant.in_type = in.type;
    rt->u.quant.out_type = out.type;
    rt->u.quant.count = in.elements;
    return EP_OK;
}

/* int32 ADD / MUL / DIV / MINIMUM / MAXIMUM: TFLM's reference kernels on raw int32 values. */
static ep_status prep_i32(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info a, b, out;
    TRY(sig_io_counts(c, 2, 1));
    TRY(sig_want(c, op->inputs[0], &a, EP_TYPE_INT32, -1, "input 1"));
    TRY(sig_want(c, op->inputs[1], &b, EP_TYPE_INT32, -1, "input 2"));
    TRY(sig_want(c, op->outputs[0], &out, EP_TYPE_INT32, -1, "output"));
    if (op->opcode == EP_OP_DIV && (a.scale_count > 0 || b.scale_count > 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (DIV): int32 inputs must not be quantised",
                    c->index);
    }
    ep_broadcast_dims bd;
    TRY(pu_broadcast(c, &a, &b, &out, &bd));
    ep_i32_params p = {EP_I32_ADD, INT32_MIN, INT32_MAX};
    switch (op->opcode) {
    case EP_OP_ADD: break;   /* TFLM's int32 ADD ignores the fused activation */
    case EP_OP_MUL: p.op = EP_I32_MUL; break;
    case EP_OP_DIV: p.op = EP_I32_DIV; break;
    case EP_OP_MINIMUM: p.op = EP_I32_MIN; break;
    default: p.op = EP_I32_MAX; break;
    }
    if (p.op == EP_I32_MUL || p.op == EP_I32_DIV) {
        /* CalculateActivationRange on int32 */
        switch (op->options.activation) {
        case EP_ACT_NONE: break;
        case EP_ACT_RELU: p.act_min = 0; break;
        case EP_ACT_RELU6: p.act_min = 0; p.act_max = 6; break;
        case EP_ACT_RELU_N1_TO_1: p.act_min = -1; p.act_max = 1; break;
        default:
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): fused activation %d",
                        c->index, ep_op_name(op), op->options.activation);
        }
    }
    if (p.op == EP_I32_DIV && b.data != NULL) {
        for (int32_t i = 0; i < b.elements; ++i) {
            int32_t d;
            memcpy(&d, (const uint8_t *)b.data + 4 * i, 4);
            if (d == 0) {
                return FAIL(c, EP_ERR_ARG, "operator %d (DIV): constant divisor 0", c->index);
            }
        }
    }
    ep_sig_i32_rt *blk = (ep_sig_i32_rt *)sig_block(c, rt, EP_K_I32, sizeof *blk);
    if (blk != NULL) {
        blk->dims = bd;
        blk->p = p;
    }
    return EP_OK;
}

ep_status ep_op_prepare_signal(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    switch (op->opcode) {
    case EP_OP_CAST: return prep_cast(&c, rt);
    case EP_OP_CUSTOM: break;
    default: return prep_i32(&c, rt);
    }
    return sig_prep_frontend(&c, signal_kind(op), rt);
}
