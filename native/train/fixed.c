/* Fixed-point helpers of the trainer: requantisation, normalisation, counter-based PRNG,
 * integer log2 / sqrt, and the update rounding. Integer only (except ept_mult_from,
 * called at prepare time). Arithmetic right shifts of negative values are assumed
 * (gcc/clang on x86-64, Arm and RISC-V all do this). */
#include "train_internal.h"

ep_status ept_mult_from(double real, ept_mult *out)
{
    int32_t m = 0, s = 0;
    ep_status st;
    if (real < 0.0) {
        return EP_ERR_QUANT;
    }
    /* ep_quantize_multiplier refuses exponents above 31; scale down and carry. */
    int32_t extra = 0;
    while (real >= 1073741824.0) {
        real *= (1.0 / 1073741824.0);
        extra += 30;
    }
    /* and refuses to flush tiny ones (squared gradient scales reach 1e-12): scale up.
     * Powers of two are exact, so the mantissa is the one TFLM would compute. */
    while (real > 0.0 && real < (1.0 / 1073741824.0) && extra > -300) {
        real *= 1073741824.0;
        extra -= 30;
    }
    st = ep_quantize_multiplier(real, &m, &s);
    if (st != EP_OK) {
        return st;
    }
    out->m = m;
    out->s = s + extra;
    return EP_OK;
}

uint32_t ept_rand(uint32_t seed, uint32_t stream, uint32_t counter)
{
    return ept_hash(ept_hash(seed ^ 0x9e3779b9U) ^ ept_hash(stream * 0x85ebca6bU + 0x165667b1U) ^
                    (counter * 0xc2b2ae35U));
}

/* ept_normal_q16 (the DP noise sampler) lives in gauss.c with its quantile table. */

/* Scales an int32 vector into int16 with a shared power-of-two exponent (>= 0), so
 * products with int8 activations fit int32. Returns the exponent. */
int32_t ept_normalise16(const int32_t *v, int16_t *out, int32_t n)
{
    uint32_t mx = 0;
    int32_t e = 0;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t a = v[i] < 0 ? (uint32_t)0 - (uint32_t)v[i] : (uint32_t)v[i];
        mx = a > mx ? a : mx;
    }
    while ((mx >> e) > 16383U) {
        ++e;
    }
    for (int32_t i = 0; i < n; ++i) {
        out[i] = ept_sat16(ept_rdiv(v[i], e));
    }
    return e;
}

/* log2(x) in Q16.16 for x >= 1: integer part from the leading bit, fraction by repeated
 * squaring of the normalised mantissa (one bit per squaring). */
int32_t ept_log2_q16(uint32_t x)
{
    int32_t ip = 0;
    uint64_t m;
    int32_t frac = 0;
    if (x == 0) {
        return INT32_MIN;
    }
    while ((x >> ip) > 1U) {
        ++ip;
    }
    m = ((uint64_t)x << 30) >> ip; /* Q30 in [1, 2) */
    for (int32_t b = 15; b >= 0; --b) {
        m = (m * m) >> 30;
        if (m >= ((uint64_t)2 << 30)) {
            m >>= 1;
            frac |= 1 << b;
        }
    }
    return (ip << 16) | frac;
}

uint32_t ept_isqrt64(uint64_t x)
{
    uint64_t r = 0;
    uint64_t bit = (uint64_t)1 << 62;
    while (bit > x) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (x >= r + bit) {
            x -= r + bit;
            r = (r >> 1) + bit;
        } else {
            r >>= 1;
        }
        bit >>= 2;
    }
    return (uint32_t)r;
}

/* p * k * 2^extra_exp in Q16 (EPT_UPD_FRAC), saturated to +-2^47. */
int64_t ept_scale_q16(int64_t p, ept_mult k, int32_t extra_exp)
{
    const int64_t lim = (int64_t)1 << 47;
    int64_t t;
    int32_t rs;
    if (p == 0 || k.m == 0) {
        return 0;
    }
    if (p > (int64_t)INT32_MAX || p < -(int64_t)INT32_MAX) {
        /* keep p*m inside 63 bits */
        const int32_t pre = 16;
        p >>= pre;
        extra_exp += pre;
    }
    t = p * (int64_t)k.m;
    rs = 31 - k.s - extra_exp - EPT_UPD_FRAC;
    if (rs >= 63) {
        return t < 0 ? -1 : 0;
    }
    if (rs >= 0) {
        t >>= rs;
    } else {
        if (rs < -16) {
            return t > 0 ? lim : -lim;
        }
        if (t > (lim >> -rs) || t < -(lim >> -rs)) {
            return t > 0 ? lim : -lim;
        }
        t = t * ((int64_t)1 << -rs);
    }
    return t > lim ? lim : (t < -lim ? -lim : t);
}

/* Unbiased stochastic rounding of a Q16 value with 16 random bits. */
int32_t ept_stoch_round(int64_t q16, uint32_t rnd)
{
    const int64_t r = (q16 + (int64_t)(rnd & 0xFFFFU)) >> EPT_UPD_FRAC;
    return r > INT32_MAX ? INT32_MAX : (r < INT32_MIN ? INT32_MIN : (int32_t)r);
}

void ept_err(char *err, size_t n, const char *a, const char *b)
{
    size_t i = 0;
    if (err == NULL || n == 0) {
        return;
    }
    for (const char *s = a; s != NULL && *s != '\0' && i + 1 < n; ++s) {
        err[i++] = *s;
    }
    for (const char *s = b; s != NULL && *s != '\0' && i + 1 < n; ++s) {
        err[i++] = *s;
    }
    err[i] = '\0';
}
