/* Prepare for UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights with an int16 cell,
 * or the 16x8 form: int16 input, hidden state and output with int64 gate biases (TFLM
 * UnidirectionalSequenceLstmPrepare: ValidateTensorStatus / ValidateTensorSize and
 * PrepareGateParametersInteger; the same multipliers for both). 24 inputs: 0 input
 * [batch, time, n] (or time-major), 1-4 input weights and 5-8 recurrent weights of the gates
 * input, forget, cell, output, 12-15 the gate biases, 18 the hidden (output) state and 19
 * the cell state, both variable; peepholes (9-11), projection (16-17) and layer norm (20-23)
 * must be absent, as in TFLM. */
#include <math.h>

#include "prep_util.h"

enum { IN = 0, W_IN = 1, W_REC = 5, BIAS = 12, HIDDEN = 18, CELL = 19 };

/* s_a * s_b in float32, then / s_out in double: TFLM's FC multiplier (the gate FCs). */
static ep_status fc_mult(ctx_t *c, const ep_tensor_info *a, const ep_tensor_info *w, double out,
                         ep_per_tensor_quant_params *q)
{
    const float prod = ep_tensor_scale(a, 0) * ep_tensor_scale(w, 0);
    if (ep_quantize_multiplier((double)prod / out, &q->multiplier, &q->shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): bad weight "
                    "scales", c->index);
    }
    return EP_OK;
}

/* double(s1) * double(s2) / double(s_out): TFLM's CreateInterGateMulParams. */
static ep_status mul_mult(ctx_t *c, float s1, float s2, float so, ep_per_tensor_quant_params *q)
{
    if (ep_quantize_multiplier((double)s1 * (double)s2 / (double)so, &q->multiplier,
                               &q->shift) != EP_OK) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): bad state "
                    "scales", c->index);
    }
    return EP_OK;
}

ep_status ep_op_prepare_lstm(ep_prep *pp, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t cx = {pp, index, op};
    ctx_t *c = &cx;
    ep_tensor_info in, h, cell, out, w, b;
    if (op->input_count != 24) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): %d inputs, "
                    "want 24", index, op->input_count);
    }
    for (int32_t k = 9; k < 24; ++k) {
        if ((k < 12 || (k >= 16 && k < 18) || k >= 20) && op->inputs[k] >= 0) {
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): "
                        "input %d (peephole, projection or layer norm) not supported", index, k);
        }
    }
    TRY(pu_tensor(c, op->inputs[IN], &in, "input"));
    TRY(pu_tensor(c, op->inputs[HIDDEN], &h, "output state"));
    TRY(pu_tensor(c, op->inputs[CELL], &cell, "cell state"));
    TRY(pu_tensor(c, op->outputs[0], &out, "output"));
    const bool wide = in.type == EP_TYPE_INT16; /* 16x8 */
    const int32_t act = wide ? EP_TYPE_INT16 : EP_TYPE_INT8;
    TRY(pu_want_type(c, &in, act, "input"));
    TRY(pu_want_type(c, &h, act, "output state"));
    TRY(pu_want_type(c, &cell, EP_TYPE_INT16, "cell state"));
    TRY(pu_want_type(c, &out, act, "output"));
    TRY(pu_want_quant(c, &in, "input"));
    TRY(pu_want_quant(c, &h, "output state"));
    TRY(pu_want_quant(c, &cell, "cell state"));
    const bool tm = op->options.time_major;
    if (!h.is_variable || !cell.is_variable || in.rank != 3 || h.rank != 2 || out.rank != 3) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): want a 3-D "
                    "input and output and 2-D variable states", index);
    }
    const int32_t batch = in.dims[tm ? 1 : 0], time = in.dims[tm ? 0 : 1], n = in.dims[2];
    const int32_t units = h.dims[1];
    if ((int64_t)batch * units != h.elements || (int64_t)batch * units != cell.elements ||
        out.dims[0] != in.dims[0] || out.dims[1] != in.dims[1] || out.dims[2] != units ||
        units <= 0 || n <= 0 || (int64_t)batch * units * 8 > INT32_MAX) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): state or "
                    "output shape does not match", index);
    }
    if (op->options.activation != 4) { /* TANH: the only cell gate activation TFLM evaluates */
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): cell "
                    "gate activation %d, want TANH", index, op->options.activation);
    }
    ep_lstm_rt r;
    ep_lstm_params *p = &r.p;
    __builtin_memset(&r, 0, sizeof r);
    const double gate_scale = 1.0 / 4096.0; /* the gate FCs' output, Q3.12 */
    for (int32_t g = 0; g < 4; ++g) {
        for (int32_t rec = 0; rec < 2; ++rec) {
            const int32_t t = op->inputs[(rec ? W_REC : W_IN) + g];
            TRY(pu_tensor(c, t, &w, "weights"));
            TRY(pu_want_quant(c, &w, "weights"));
            if (w.data == NULL || w.type != EP_TYPE_INT8 || w.rank != 2 || w.dims[0] != units ||
                w.dims[1] != (rec ? units : n) || w.scale_count != 1 ||
                ep_tensor_zero_point(&w, 0) != 0) {
                return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): "
                            "input %d must be constant int8 [%d, %d], one scale, zero point 0",
                            index, (rec ? W_REC : W_IN) + g, units, rec ? units : n);
            }
            TRY(fc_mult(c, rec ? &h : &in, &w, gate_scale, rec ? &p->gate_rec[g] : &p->gate_in[g]));
            if (rec) {
                r.w_rec[g] = (int16_t)t;
            } else {
                r.w_in[g] = (int16_t)t;
            }
        }
        TRY(pu_tensor(c, op->inputs[BIAS + g], &b, "gate bias"));
        if (b.data == NULL || b.type != (wide ? EP_TYPE_INT64 : EP_TYPE_INT32) || b.rank != 1 ||
            b.elements != units) {
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): gate "
                        "bias %d must be constant %s [%d]", index, BIAS + g,
                        wide ? "int64" : "int32", units);
        }
        r.bias[g] = (int16_t)op->inputs[BIAS + g];
    }
    const float q15 = 1.0f / 32768.0f, cs = ep_tensor_scale(&cell, 0);
    TRY(mul_mult(c, q15, cs, cs, &p->forget_mul));
    TRY(mul_mult(c, q15, q15, cs, &p->input_mul));
    TRY(mul_mult(c, q15, q15, ep_tensor_scale(&h, 0), &p->output_mul));
    p->batch = batch;
    p->time = time;
    p->input_size = n;
    p->units = units;
    p->time_major = tm;
    p->input_offset = -ep_tensor_zero_point(&in, 0);
    p->hidden_offset = -ep_tensor_zero_point(&h, 0);
    p->hidden_zp = ep_tensor_zero_point(&h, 0);
    p->cell_gate_tanh = 1;
    /* TFLM CreateLstmCellStateInfo: the clip in cell units, truncated into int16 */
    const double qc = (double)op->options.cell_clip / (double)cs;
    p->clip = op->options.cell_clip > 0.0f;
    p->cell_clip = (int32_t)(int16_t)(qc < -32768.0 ? -32768.0 : (qc > 32767.0 ? 32767.0 : qc));
    /* TFLM CheckedLog2 (float), then Tanh's input scaling for that power of two */
    const int32_t pow2 = (int32_t)roundf(logf(cs) * (1.0f / logf(2.0f)));
    const int32_t left = 15 + pow2 - 3;
    if (left > 14) { /* a cell scale above 4: 3 << left times an int16 would leave int32 */
        return FAIL(c, EP_ERR_QUANT, "operator %d (UNIDIRECTIONAL_SEQUENCE_LSTM): cell state "
                    "scale %g too large", index, (double)cs);
    }
    p->tanh_multiplier = left < 0 ? 3 : 3 << left;
    p->tanh_shift = left < 0 ? -left : 0;
    r.wide = wide;
    r.hidden = (int16_t)op->inputs[HIDDEN];
    r.cell = (int16_t)op->inputs[CELL];
    ep_lstm_rt *blk = (ep_lstm_rt *)ep_prep_alloc(c->p, sizeof r);
    if (blk != NULL) {
        *blk = r;
    }
    rt->kind = EP_K_LSTM;
    rt->u.ext.params = blk;
    rt->scratch.size = (uint32_t)ep_lstm_s8_get_buffer_size(p);
    return EP_OK;
}
