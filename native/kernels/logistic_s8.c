/* LOGISTIC int8 (TFLM reference_integer_ops::Logistic): x - z_in rescaled to Q4.27, gemmlowp
 * logistic in fixed point (fixedpoint.c), Q0.31 result rounded to 1/256 steps, zero point
 * -128. ep_sigmoid_prepare computes the input rescale as TFLM's Prepare does; TANH shares it. */
#include <math.h>

#include "kernels.h"

enum { INPUT_INTEGER_BITS = 4 };

ep_status ep_sigmoid_prepare(float input_scale, int32_t input_zero_point, ep_sigmoid_params *out)
{
    int exponent = 0;
    if (out == NULL) {
        return EP_ERR_ARG;
    }
    if (!(input_scale > 0.0f) || isinf(input_scale)) {
        return EP_ERR_QUANT;
    }
    /* TFLM: double(scale) * 2^(31 - 4), frexp, round(q * 2^31). The product of a float and
     * a power of two is exact, so q has at most 24 significant bits and the rounding never
     * reaches 2^31. */
    const double real = (double)input_scale * (double)(1 << (31 - INPUT_INTEGER_BITS));
    const double q = frexp(real, &exponent);
    /* TFLM shifts 1LL by the exponent: outside [0, 62] its own arithmetic is undefined */
    if (exponent < 0 || exponent > 62) {
        return EP_ERR_QUANT;
    }
    out->input_zero_point = input_zero_point;
    out->input_multiplier = (int32_t)round(q * 2147483648.0);
    out->input_left_shift = exponent;
    /* CalculateInputRadius(4, shift, 31): floor(15 * 2^27 / 2^shift), exact in double; at
     * shift >= 31 it is 0 and every input saturates (the rescale never runs). */
    out->input_range_radius =
        (int32_t)floor(ldexp(15.0 * (double)(1 << (31 - INPUT_INTEGER_BITS)), -exponent));
    return EP_OK;
}

/* gemmlowp logistic(a) for a Q4.27, result Q0.31. */
static int32_t logistic_q4(int32_t a)
{
    if (a == 0) {
        return 1 << 30; /* one half */
    }
    const int32_t abs_a = a > 0 ? a : -a; /* |a| < 15 * 2^27: the radius keeps it in range */
    const int32_t pos = ep_fx_one_over_one_plus_x(ep_fx_exp_on_negative(-abs_a,
                                                                        INPUT_INTEGER_BITS));
    return a > 0 ? pos : INT32_MAX - pos;
}

ep_status ep_logistic_s8(const ep_sigmoid_params *params, const int8_t *input, int8_t *output,
                         int32_t count)
{
    if (params == NULL || input == NULL || output == NULL || count < 0) {
        return EP_ERR_ARG;
    }
    const int32_t radius = params->input_range_radius;
    for (int32_t i = 0; i < count; ++i) {
        /* unsigned: a corrupt zero point cannot overflow */
        const int32_t x = (int32_t)((uint32_t)input[i] - (uint32_t)params->input_zero_point);
        if (x <= -radius) {
            output[i] = -128;
        } else if (x >= radius) {
            output[i] = 127;
        } else {
            const int32_t a = ep_requantize(x, params->input_multiplier, params->input_left_shift);
            /* Q0.31 -> 2^-8 steps, then the output zero point -128 */
            const int32_t v = ep_rounding_divide_by_pot(logistic_q4(a), 31 - 8) - 128;
            output[i] = (int8_t)ep_clamp(v, -128, 127);
        }
    }
    return EP_OK;
}
