/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights, int16 cell state (TFLM's
 * lstm_eval integer path, as the converter writes a Keras LSTM): per step and gate, an
 * int8 -> int16 FULLY_CONNECTED of the input (with the gate bias) and one of the hidden
 * state, both onto 2^-12, added with int16 saturation, then sigmoid (or tanh for the cell
 * gate) into Q0.15; cell = forget * cell + input * cell_gate (int16 multiplies, saturating
 * add, optional clip); hidden = output_gate * tanh(cell), requantised to the hidden int8
 * quantisation and copied to the output. */
#include <string.h>

#include "kernels.h"

static int16_t sat16(int32_t v)
{
    return (int16_t)ep_clamp(v, -32768, 32767);
}

/* int8 x int8 -> int16 FULLY_CONNECTED (weights zero point 0, output zero point 0), rows
 * units, accumulated onto out when add (the recurrent half) with int16 saturation. */
static void fc16(const int8_t *x, int32_t n, int32_t offset, const int8_t *w, const int32_t *bias,
                 const ep_per_tensor_quant_params *q, int32_t units, int16_t *out, bool add)
{
    for (int32_t r = 0; r < units; ++r) {
        const int8_t *wr = w + (size_t)r * (size_t)n;
        uint32_t acc = bias != NULL ? (uint32_t)bias[r] : 0u; /* int32 wraps as TFLM's */
        for (int32_t d = 0; d < n; ++d) {
            acc += (uint32_t)(((int32_t)x[d] + offset) * (int32_t)wr[d]);
        }
        const int16_t y = sat16(ep_requantize((int32_t)acc, q->multiplier, q->shift));
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

/* One step on `rows` rows (the whole batch time-major, one batch row otherwise). */
static void step(const ep_lstm_params *p, const ep_lstm_weights *w, const int8_t *x,
                 int8_t *h, int16_t *c, int8_t *y, int32_t rows, int16_t *buf)
{
    const int32_t u = p->units, n = p->input_size;
    int16_t *gate[4] = {buf, buf + rows * u, buf + 2 * rows * u, buf + 3 * rows * u};
    /* gates in TFLM's tensor order: input, forget, cell, output */
    for (int32_t g = 0; g < 4; ++g) {
        for (int32_t r = 0; r < rows; ++r) {
            int16_t *o = gate[g] + r * u;
            fc16(x + (size_t)r * (size_t)n, n, p->input_offset, w->w_in[g], w->bias[g],
                 &p->gate_in[g], u, o, false);
            fc16(h + (size_t)r * (size_t)u, u, p->hidden_offset, w->w_rec[g], NULL,
                 &p->gate_rec[g], u, o, true);
        }
        for (int32_t i = 0; i < rows * u; ++i) {
            gate[g][i] = g == 2 && p->cell_gate_tanh ? ep_tanh_q15(gate[g][i], 3, 0)
                                                     : ep_sigmoid_q15(gate[g][i], 3, 0);
        }
    }
    for (int32_t i = 0; i < rows * u; ++i) {
        const int16_t fc = sat16(mul16(gate[1][i], c[i], &p->forget_mul));
        const int16_t ig = sat16(mul16(gate[0][i], gate[2][i], &p->input_mul));
        int16_t cv = sat16((int32_t)fc + ig);
        if (p->clip) {
            cv = (int16_t)ep_clamp(cv, -p->cell_clip, p->cell_clip);
        }
        c[i] = cv;
        const int16_t t = ep_tanh_q15(cv, p->tanh_multiplier, p->tanh_shift);
        const int32_t hv = mul16(t, gate[3][i], &p->output_mul) + p->hidden_zp;
        h[i] = (int8_t)ep_clamp(hv, -128, 127);
    }
    memcpy(y, h, (size_t)rows * (size_t)u);
}

ep_status ep_lstm_s8(const ep_context *ctx, const ep_lstm_params *p, const ep_lstm_weights *w,
                     const int8_t *input, int8_t *hidden, int16_t *cell, int8_t *output)
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
    const size_t n = (size_t)p->input_size, u = (size_t)p->units, bt = (size_t)p->batch;
    if (p->time_major) { /* input [time, batch, n]: the batch moves together */
        for (int32_t t = 0; t < p->time; ++t) {
            step(p, w, input + (size_t)t * bt * n, hidden, cell, output + (size_t)t * bt * u,
                 p->batch, buf);
        }
        return EP_OK;
    }
    for (int32_t b = 0; b < p->batch; ++b) { /* input [batch, time, n]: one row at a time */
        for (int32_t t = 0; t < p->time; ++t) {
            const size_t at = (size_t)b * (size_t)p->time + (size_t)t;
            step(p, w, input + at * n, hidden + (size_t)b * u, cell + (size_t)b * u,
                 output + at * u, 1, buf);
        }
    }
    return EP_OK;
}
