/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 (or int16: the 16x8 form) activations, int8 weights, int16
 * cell state (TFLM's lstm_eval integer path, as the converter writes a Keras LSTM): per step
 * and gate, a FULLY_CONNECTED of the input (with the gate bias) and one of the hidden state,
 * both onto 2^-12 in int16, added with int16 saturation, then sigmoid (or tanh for the cell
 * gate) into Q0.15; cell = forget * cell + input * cell_gate (int16 multiplies, saturating
 * add, optional clip); hidden = output_gate * tanh(cell), requantised to the hidden
 * quantisation and copied to the output. The int8 and int16 forms differ only in the gate
 * FCs (int32 sum and int32 bias, or int64 sum, int64 bias and the reduced multiplier) and
 * the hidden state's type, so both run the same step with `wide` telling which. */
#include <string.h>

#include "kernels.h"

static int16_t sat16(int32_t v)
{
    return (int16_t)ep_clamp(v, -32768, 32767);
}

/* x -> int16 FULLY_CONNECTED (weights zero point 0, output zero point 0), rows units,
 * accumulated onto out when add (the recurrent half) with int16 saturation. x is int8, or
 * int16 when wide (then the bias is int64, read bytewise: the converter aligns it to 4). */
static void fc16(const void *x, bool wide, int32_t n, int32_t offset, const int8_t *w,
                 const void *bias, const ep_per_tensor_quant_params *q, int32_t units,
                 int16_t *out, bool add)
{
    for (int32_t r = 0; r < units; ++r) {
        const int8_t *wr = w + (size_t)r * (size_t)n;
        int32_t v;
        if (wide) {
            const int16_t *xs = (const int16_t *)x;
            int64_t acc = 0;
            if (bias != NULL) {
                memcpy(&acc, (const uint8_t *)bias + 8U * (uint32_t)r, sizeof acc);
            }
            for (int32_t d = 0; d < n; ++d) {
                acc += ((int64_t)xs[d] + offset) * (int64_t)wr[d];
            }
            v = ep_requantize_s64(acc, q->multiplier, q->shift);
        } else {
            const int8_t *xs = (const int8_t *)x;
            uint32_t acc = 0u; /* int32 wraps as TFLM's */
            if (bias != NULL) {
                int32_t bv;
                memcpy(&bv, (const uint8_t *)bias + 4U * (uint32_t)r, sizeof bv);
                acc = (uint32_t)bv;
            }
            for (int32_t d = 0; d < n; ++d) {
                acc += (uint32_t)(((int32_t)xs[d] + offset) * (int32_t)wr[d]);
            }
            v = ep_requantize((int32_t)acc, q->multiplier, q->shift);
        }
        const int16_t y = sat16(v);
        out[r] = add ? sat16((int32_t)out[r] + y) : y;
    }
}

static int32_t mul16(int16_t a, int16_t b, const ep_per_tensor_quant_params *q)
{
    return ep_requantize((int32_t)a * (int32_t)b, q->multiplier, q->shift);
}

int32_t ep_lstm_s8_get_buffer_size(const ep_lstm_params *p)
{
    return p == NULL ? 0 : 4 * p->batch * p->units * 2;
}

/* One step on `rows` rows (the whole batch time-major, one batch row otherwise); x, h and y
 * are int8, or int16 when wide. */
static void step(const ep_lstm_params *p, const ep_lstm_weights *w, bool wide, const void *x,
                 void *h, int16_t *c, void *y, int32_t rows, int16_t *buf)
{
    const int32_t u = p->units, n = p->input_size;
    const size_t es = wide ? 2u : 1u;
    int16_t *gate[4] = {buf, buf + rows * u, buf + 2 * rows * u, buf + 3 * rows * u};
    /* gates in TFLM's tensor order: input, forget, cell, output */
    for (int32_t g = 0; g < 4; ++g) {
        for (int32_t r = 0; r < rows; ++r) {
            int16_t *o = gate[g] + r * u;
            fc16((const uint8_t *)x + (size_t)r * (size_t)n * es, wide, n, p->input_offset,
                 w->w_in[g], w->bias[g], &p->gate_in[g], u, o, false);
            fc16((const uint8_t *)h + (size_t)r * (size_t)u * es, wide, u, p->hidden_offset,
                 w->w_rec[g], NULL, &p->gate_rec[g], u, o, true);
        }
        for (int32_t i = 0; i < rows * u; ++i) {
            gate[g][i] = g == 2 && p->cell_gate_tanh ? ep_tanh_q15(gate[g][i], 3, 0)
                                                     : ep_sigmoid_q15(gate[g][i], 3, 0);
        }
    }
    const int32_t lo = wide ? -32768 : -128, hi = wide ? 32767 : 127;
    for (int32_t i = 0; i < rows * u; ++i) {
        const int16_t fc = sat16(mul16(gate[1][i], c[i], &p->forget_mul));
        const int16_t ig = sat16(mul16(gate[0][i], gate[2][i], &p->input_mul));
        int16_t cv = sat16((int32_t)fc + ig);
        if (p->clip) {
            cv = (int16_t)ep_clamp(cv, -p->cell_clip, p->cell_clip);
        }
        c[i] = cv;
        const int16_t t = ep_tanh_q15(cv, p->tanh_multiplier, p->tanh_shift);
        const int32_t hv = ep_clamp(mul16(t, gate[3][i], &p->output_mul) + p->hidden_zp, lo, hi);
        if (wide) {
            ((int16_t *)h)[i] = (int16_t)hv;
        } else {
            ((int8_t *)h)[i] = (int8_t)hv;
        }
    }
    memcpy(y, h, (size_t)rows * (size_t)u * es);
}

static ep_status run(const ep_context *ctx, const ep_lstm_params *p, const ep_lstm_weights *w,
                     bool wide, const void *input, void *hidden, int16_t *cell, void *output)
{
    if (ctx == NULL || p == NULL || w == NULL || input == NULL || hidden == NULL ||
        cell == NULL || output == NULL || p->batch <= 0 || p->time < 0 || p->units <= 0 ||
        p->input_size <= 0 || ctx->buf == NULL || ctx->size < ep_lstm_s8_get_buffer_size(p)) {
        return EP_ERR_ARG;
    }
    for (int32_t g = 0; g < 4; ++g) {
        if (w->w_in[g] == NULL || w->w_rec[g] == NULL) {
            return EP_ERR_ARG;
        }
    }
    int16_t *buf = (int16_t *)ctx->buf;
    const size_t es = wide ? 2u : 1u;
    const size_t n = (size_t)p->input_size * es, u = (size_t)p->units, bt = (size_t)p->batch;
    const uint8_t *in = (const uint8_t *)input;
    uint8_t *hid = (uint8_t *)hidden, *out = (uint8_t *)output;
    if (p->time_major) { /* input [time, batch, n]: the batch moves together */
        for (int32_t t = 0; t < p->time; ++t) {
            step(p, w, wide, in + (size_t)t * bt * n, hidden, cell,
                 out + (size_t)t * bt * u * es, p->batch, buf);
        }
        return EP_OK;
    }
    for (int32_t b = 0; b < p->batch; ++b) { /* input [batch, time, n]: one row at a time */
        for (int32_t t = 0; t < p->time; ++t) {
            const size_t at = (size_t)b * (size_t)p->time + (size_t)t;
            step(p, w, wide, in + at * n, hid + (size_t)b * u * es, cell + (size_t)b * u,
                 out + at * u * es, 1, buf);
        }
    }
    return EP_OK;
}

ep_status ep_lstm_s8(const ep_context *ctx, const ep_lstm_params *p, const ep_lstm_weights *w,
                     const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output)
{
    return run(ctx, p, w, false, input, hidden, cell, output);
}

ep_status ep_lstm_s16(const ep_context *ctx, const ep_lstm_params *p, const ep_lstm_weights *w,
                      const int16_t *input, int16_t *hidden, int16_t *cell, int16_t *output)
{
    return run(ctx, p, w, true, input, hidden, cell, output);
}
