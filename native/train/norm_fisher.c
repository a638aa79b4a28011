/* Block-float helpers of the parameter visits (update.c): the DP-SGD gradient norm and
 * clip factor, and the EWC Fisher accumulation with its per-tensor block exponent. */
#include "train_internal.h"

static int32_t bitlen64(uint64_t v)
{
    int32_t b = 0;
    while (v != 0) {
        ++b;
        v >>= 1;
    }
    return b;
}

static void bf_shrink(uint64_t *m, int32_t *e, int32_t bits)
{
    while (*m >= ((uint64_t)1 << bits)) {
        *m >>= 1;
        ++*e;
    }
}

/* Adds grad_c^2/C^2 * Su * Sv * 2^(2X) to the running block-float sum. */
void ept_norm_add(ept_visit_ctx *c, const ept_tensor *T, uint64_t su, uint64_t sv, int32_t X)
{
    int32_t eu = 0, ev = 0, e;
    uint64_t m;
    if (su == 0 || sv == 0 || T->k_dp.m == 0) return;
    bf_shrink(&su, &eu, 31);
    bf_shrink(&sv, &ev, 31);
    m = su * sv;
    e = eu + ev + 2 * X;
    bf_shrink(&m, &e, 31);
    m *= (uint64_t)T->k_dp.m;
    e += T->k_dp.s - 31;
    bf_shrink(&m, &e, 61);
    if (c->nm == 0) {
        c->nm = m;
        c->ne = e;
        return;
    }
    /* align the smaller exponent, sum stays below 2^62 */
    if (e > c->ne) {
        c->nm = (e - c->ne) >= 63 ? 0 : c->nm >> (e - c->ne);
        c->ne = e;
    } else {
        m = (c->ne - e) >= 63 ? 0 : m >> (c->ne - e);
    }
    c->nm += m;
    bf_shrink(&c->nm, &c->ne, 61);
}

/* Clip factor min(1, C / ||g||) in Q30 from the block-float R = ||g||^2 / C^2 = m 2^e. */
int32_t ept_clip_factor(uint64_t m, int32_t e)
{
    uint32_t s;
    uint64_t q;
    int32_t sh;
    if (m == 0) return 1 << 30;
    while (m < ((uint64_t)1 << 60)) {
        m <<= 1;
        --e;
    }
    if ((e & 1) != 0) {
        m <<= 1; /* m < 2^63 still, e even so sqrt(2^e) is exact */
        --e;
    }
    if (e < 0 && (-e >= 64 || m <= ((uint64_t)1 << -e))) return 1 << 30; /* R <= 1 */
    s = ept_isqrt64(m);
    q = ((uint64_t)1 << 62) / (s == 0 ? 1U : s);  /* 2^62 / sqrt(m) */
    sh = 32 + e / 2;                                /* 2^30 / sqrt(m 2^e) */
    if (sh <= 0) return 1 << 30;
    if (sh >= 64) return 0;
    q >>= sh;
    return q >= ((uint64_t)1 << 30) ? 1 << 30 : (int32_t)q;
}

void ept_fisher_prepare(ept_tensor *T, uint64_t maxp2, int32_t X)
{
    int32_t d;
    if (maxp2 == 0) return;
    if (T->fmax == 0) {
        T->fexp = 2 * X + bitlen64(maxp2) - 15;
    }
    for (;;) {
        uint64_t add;
        d = 2 * X - T->fexp;
        add = d >= 0 ? (d >= 40 ? ((uint64_t)1 << 40) : maxp2 << d) : (-d >= 64 ? 0 : maxp2 >> -d);
        if ((uint64_t)T->fmax + add <= 65535U) break;
        /* block exponent up: halve every accumulated F (rounding) */
        uint16_t *f = T->fisher;
        int32_t mx = 0;
        for (int32_t i = 0; i < T->size; ++i) {
            f[i] = (uint16_t)((f[i] + 1U) >> 1);
            mx = f[i] > mx ? f[i] : mx;
        }
        T->fmax = mx;
        ++T->fexp;
    }
}

void ept_fisher_param(ept_tensor *T, int32_t idx, int64_t p, int32_t d)
{
    const uint64_t p2 = (uint64_t)(p * p);
    const uint64_t add = d >= 0 ? (d >= 40 ? 65535U : p2 << d) : (-d >= 64 ? 0 : p2 >> -d);
    const uint64_t f = (uint64_t)T->fisher[idx] + add;
    T->fisher[idx] = (uint16_t)(f > 65535U ? 65535U : f);
    T->fmax = T->fisher[idx] > T->fmax ? T->fisher[idx] : T->fmax;
}
