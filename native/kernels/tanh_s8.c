/* TANH int8 (TFLM reference_integer_ops::Tanh): x - z_in rescaled to Q4.27 (ep_sigmoid_prepare,
 * as LOGISTIC), gemmlowp tanh in fixed point (fixedpoint.c), Q0.31 result rounded to 1/128
 * steps, zero point 0. */
#include "kernels.h"

/* gemmlowp tanh(a) for a Q4.27, result Q0.31: -tanh(n) for n = -|a| from exp(2n), where
 * 2n is the same raw read as Q5.26. */
static int32_t tanh_q4(int32_t a)
{
    if (a == 0) {
        return 0;
    }
    const int32_t n = a < 0 ? a : -a; /* |a| < 15 * 2^27: the radius keeps it in range */
    const int32_t t = ep_fx_one_minus_x_over_one_plus_x(ep_fx_exp_on_negative(n, 5));
    return a < 0 ? (int32_t)(0u - (uint32_t)t) : t;
}

ep_status ep_tanh_s8(const ep_sigmoid_params *params, const int8_t *input, int8_t *output,
                     int32_t count)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t radius = params->input_range_radius;
    for (int32_t i = 0; i < count; ++i) {
        const int32_t x = (int32_t)((uint32_t)input[i] - (uint32_t)params->input_zero_point);
        if (x <= -radius) {
            output[i] = -128;
        } else if (x >= radius) {
            output[i] = 127;
        } else {
            const int32_t a = ep_requantize(x, params->input_multiplier, params->input_left_shift);
            const int32_t v = ep_rounding_divide_by_pot(tanh_q4(a), 31 - 7);
            output[i] = (int8_t)ep_clamp(v, -128, 127);
        }
    }
    return EP_OK;
}
