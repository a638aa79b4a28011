/* TFLM's int16 LOGISTIC and TANH (reference_integer_ops Logistic / Tanh for int16), shared
 * by the LSTM's gates and the int16 operators: x * multiplier, rounded right by shift, indexes
 * the sigmoid table in steps of 2^9 (logistic) or 2^8 (tanh(x) = 2 sigmoid(2x) - 1) with
 * linear interpolation, into Q0.15. */
#include <math.h>

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

int16_t ep_sigmoid_q15(int16_t x, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
    const int32_t v = ((int32_t)x * multiplier + round) >> shift;
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

int16_t ep_tanh_q15(int16_t x, int32_t multiplier, int32_t shift)
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

/* TFLM CheckedLog2: log2 in float32 (logf / logf(2)), rounded; a power of two within 1e-3. */
static bool checked_log2(float x, int32_t *log2)
{
    const float l = logf(x) * (1.0f / logf(2.0f));
    const float r = roundf(l);
    *log2 = (int32_t)r;
    return fabsf(l - r) < 1e-3f;
}

ep_status ep_sigmoid16_prepare(float input_scale, float output_scale, bool tanh_op,
                               ep_sigmoid16_params *out)
{
    int32_t in_log2, out_log2;
    if (out == NULL || !(input_scale > 0.0f) || !(output_scale > 0.0f)) {
        return EP_ERR_QUANT;
    }
    /* Q3.12 input: the left shift that takes the scale to 2^-12 */
    bool pot = checked_log2(input_scale, &in_log2);
    int32_t shift = 12 + in_log2;
    pot = pot && (shift == 0 || (tanh_op && shift == 1));
    if (pot) {
        out->multiplier = 3 << shift; /* the table's 3/4 range expansion */
        out->shift = 0;
    } else {
        /* onto 1 / (3 * 4096), the multiplier doubled up to 15 bits (TFLM's loop) */
        double m = (double)input_scale * 4096.0 * 3.0;
        shift = 0;
        while (m <= 32767.0 / 2.0 && shift <= 30) {
            ++shift;
            m *= 2.0;
        }
        if (!(m <= 32767.0)) {
            return EP_ERR_QUANT; /* TFLM only debug-checks it; its product would overflow */
        }
        out->multiplier = (int32_t)m;
        out->shift = shift;
    }
    if (!checked_log2(output_scale, &out_log2) || out_log2 != -15) {
        return EP_ERR_QUANT;
    }
    return EP_OK;
}

static ep_status sig16(const ep_sigmoid16_params *p, const int16_t *in, int16_t *out,
                       int32_t count, bool tanh_op)
{
    if (p == NULL || in == NULL || out == NULL || count < 0 || p->shift < 0 || p->shift > 31 ||
        p->multiplier < 0 || p->multiplier > 32767 * 2) {
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < count; ++i) {
        out[i] = tanh_op ? ep_tanh_q15(in[i], p->multiplier, p->shift)
                         : ep_sigmoid_q15(in[i], p->multiplier, p->shift);
    }
    return EP_OK;
}

ep_status ep_logistic_s16(const ep_sigmoid16_params *params, const int16_t *input,
                          int16_t *output, int32_t count)
{
    return sig16(params, input, output, count, false);
}

ep_status ep_tanh_s16(const ep_sigmoid16_params *params, const int16_t *input, int16_t *output,
                      int32_t count)
{
    return sig16(params, input, output, count, true);
}
