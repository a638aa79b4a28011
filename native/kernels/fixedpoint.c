/* gemmlowp fixed-point functions used by SOFTMAX, LOGISTIC and TANH (the int8 paths of
 * TFLM's reference kernels run them on int32 raws). Qm.n below means m integer bits and
 * n = 31 - m fractional bits; "raw" is the int32 holding the value times 2^n. Written from
 * the description in int8-semantics.md section 5 and gemmlowp's documented behaviour:
 * exp by a Taylor series around -1/8 plus a barrel shifter, division by Newton-Raphson. */
#include "kernels.h"

int32_t ep_fx_sat_shl(int32_t x, int32_t e)
{
    if (e <= 0) {
        return x;
    }
    const int32_t threshold = (int32_t)((1u << (31 - e)) - 1u);
    if (x > threshold) {
        return INT32_MAX;
    }
    if (x < -threshold) {
        return INT32_MIN;
    }
    return (int32_t)((uint32_t)x << e);
}

/* exp(a) for a in [-1/4, 0), a and result Q0.31. */
static int32_t exp_quarter(int32_t a)
{
    const int32_t exp_minus_one_eighth = 1895147668;
    const int32_t one_third = 715827883;
    const int32_t x = a + (1 << 28); /* a + 1/8: Taylor expansion point */
    const int32_t x2 = ep_srdhm(x, x);
    const int32_t x3 = ep_srdhm(x2, x);
    const int32_t x4 = ep_srdhm(x2, x2);
    const int32_t x4_over_4 = ep_rounding_divide_by_pot(x4, 2);
    const int32_t poly = ep_rounding_divide_by_pot(ep_srdhm(x4_over_4 + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + ep_srdhm(exp_minus_one_eighth, x + poly);
}

int32_t ep_fx_exp_on_negative(int32_t a, int32_t integer_bits)
{
    /* Q0.31 exp(-2^k) for k = -2 .. 4 */
    static const int32_t barrel[7] = {1672461947, 1302514674, 790015084, 290630308,
                                      39332535, 720401, 242};
    const int32_t frac = 31 - integer_bits;
    const int32_t quarter = 1 << (frac - 2);
    const int32_t a_mod = (a & (quarter - 1)) - quarter;
    int32_t result = exp_quarter(ep_fx_sat_shl(a_mod, integer_bits));
    const int32_t remainder = (int32_t)((uint32_t)a_mod - (uint32_t)a);
    /* bit frac + k - 2 of the remainder selects exp(-2^(k-2)); the format holds bits up to
     * 2^(integer_bits - 1) */
    for (int32_t k = 0; k < 7 && k - 2 < integer_bits; ++k) {
        if ((remainder & (1 << (frac + k - 2))) != 0) {
            result = ep_srdhm(result, barrel[k]);
        }
    }
    return a == 0 ? INT32_MAX : result;
}

/* Newton-Raphson for 1 / (1 + a), a in [0, 1) Q0.31: the Q2.29 estimate of
 * 1 / half_denominator, seeded with 48/17 - 32/17 * d, three steps. */
static int32_t reciprocal_q2(int32_t a)
{
    const int64_t sum = (int64_t)a + INT32_MAX;
    const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    const int32_t c48_17 = 1515870810;
    const int32_t cneg32_17 = -1010580540;
    int32_t x = c48_17 + ep_srdhm(half_denominator, cneg32_17);
    for (int i = 0; i < 3; ++i) {
        const int32_t hdx = ep_srdhm(half_denominator, x);
        const int32_t one_minus = (1 << 29) - hdx;
        x = x + ep_fx_sat_shl(ep_srdhm(x, one_minus), 2);
    }
    return x;
}

int32_t ep_fx_one_over_one_plus_x(int32_t a)
{
    /* x / 2 as Q1.30 is the raw itself; rescale to Q0.31 */
    return ep_fx_sat_shl(reciprocal_q2(a), 1);
}

int32_t ep_fx_one_minus_x_over_one_plus_x(int32_t a)
{
    /* 2 / (1 + a) - 1 in Q2.29, rescaled to Q0.31 */
    return ep_fx_sat_shl(reciprocal_q2(a) - (1 << 29), 2);
}
