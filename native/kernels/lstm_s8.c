/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights, int16 cell state (TFLM's
 * lstm_eval integer path, as the converter writes a Keras LSTM): per step and gate, an
 * int8 -> int16 FULLY_CONNECTED of the input (with the gate bias) and one of the hidden
 * state, both onto 2^-12, added with int16 saturation, then sigmoid (or tanh for the cell
 * gate) into Q0.15; cell = forget * cell + input * cell_gate (int16 multiplies, saturating
 * add, optional clip); hidden = output_gate * tanh(cell), requantised to the hidden int8
 * quantisation and copied to the output. */
#include <string.h>

#include "kernels.h"

/* sigmoid(i / 24) in 0.16 fixed point, the table TFLM's int16 logistic and tanh interpolate
 * (tensorflow/lite/kernels/internal/common.h, Apache-2.0): its entries are not a plain
 * rounding of the function (44 sit one above round(65536 * sigmoid)), so bit-exactness needs
 * these values. */
static const uint16_t sigmoid_lut[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498,
    40149, 40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255,
    46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865,
    52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174,
    56503, 56823, 57133, 57433, 57724, 58007, 58280, 58544, 58800, 59048, 59288,
    59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110, 61279, 61441,
    61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886,
    62990, 63090, 63186, 63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835,
    63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308, 64357, 64405, 64450,
    64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845,
    64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097,
    65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360,
    65367, 65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425,
    65429, 65433, 65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465,
    65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508,
    65509, 65510, 65511, 65512, 65513, 65514, 65515, 65516, 65517, 65517, 65518,
    65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524, 65525,
    65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529,
    65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531, 65531, 65531, 65531,
    65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533, 65533, 65533,
    65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65535};

/* TFLM reference_integer_ops::Logistic for int16 with multiplier 3, shift 0 (the LSTM's
 * gates are Q3.12): |3x| indexes the table in steps of 2^9 with linear interpolation. */
static int16_t sigmoid_q15(int16_t x)
{
    const int32_t v = (int32_t)x * 3;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 9;
    uint32_t r;
    if (uh >= 255u) {
        r = 0x7FFFu << 10;
    } else {
        const uint32_t ua = sigmoid_lut[uh], ub = sigmoid_lut[uh + 1u];
        r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    return (int16_t)(r >> 10);
}

/* TFLM reference_integer_ops::Tanh for int16: x * multiplier, rounded right by shift, then
 * the same table in steps of 2^8 (tanh(x) = 2 sigmoid(2x) - 1). */
static int16_t tanh_q15(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
    const int32_t v = ((int32_t)x * multiplier + round) >> shift;
    const uint32_t a = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = a >> 8;
    int32_t r;
    if (uh >= 255u) {
        r = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t ua = sigmoid_lut[uh], ub = sigmoid_lut[uh + 1u];
        r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
    }
    r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(r >> 8);
}

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
            gate[g][i] = g == 2 && p->cell_gate_tanh ? tanh_q15(gate[g][i], 3, 0)
                                                     : sigmoid_q15(gate[g][i]);
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
        const int16_t t = tanh_q15(cv, p->tanh_multiplier, p->tanh_shift);
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
