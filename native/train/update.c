/* Parameter visits of the backward (see backward.c): each adapter gradient is an outer
 * product u (x) v, so the visit forms P = u_i v_j per parameter and applies the update
 * (SGD, momentum, EWC penalty, DP clip + noise), accumulates Fisher, measures the DP norm,
 * or reports P. Real gradient = grad_c * P * 2^X. */
#include "train_internal.h"

/* 0 builds the per-parameter path only (an equivalence check of the fast path). */
#ifndef EPT_FAST_UPDATE
#define EPT_FAST_UPDATE 1
#endif

/* ceil(log2(n)): the right shift that keeps a sum of n products in the range of one */
static int32_t pos_shift(int32_t n)
{
    int32_t s = 0;
    while (((int32_t)1 << s) < n) ++s;
    return s;
}

/* Gradient mantissa of parameter (i, j) for a layer applied at np positions (1x1 conv):
 * sum_p u[p][i] v[p][j], shifted right by sh = pos_shift(np) (the caller adds sh to the
 * exponent). A single position is the plain outer product. */
static int32_t pos_prod(const int16_t *u, int32_t nu, const int8_t *v, int32_t nv, int32_t voff,
                        int32_t np, int32_t sh, int32_t i, int32_t j)
{
    int64_t s = 0;
    for (int32_t p = 0; p < np; ++p) {
        s += (int64_t)u[(size_t)p * (size_t)nu + (size_t)i] *
             (v != NULL ? (int32_t)v[(size_t)p * (size_t)nv + (size_t)j] + voff : 1);
    }
    return (int32_t)((s + ((int64_t)1 << (sh - 1))) >> sh);
}

/* Stochastic-rounding bits. One 32-bit draw serves a pair of parameters (16 bits each):
 * the hash is the update's largest cost after the multiply. The key is drawn once per
 * tensor and step from (seed, step, tensor); pair k of the tensor's flat index gets
 * hash(key ^ k * golden), a bijection of k, so no two pairs of a step share a word. */
static uint32_t sr_key(const ept_trainer *t, int32_t ti)
{
    return ept_rand(t->cfg.seed, t->step, 0x5EED0000U + (uint32_t)ti);
}

static inline uint32_t sr_word(uint32_t key, uint32_t pair)
{
    return ept_hash(key ^ (pair * 0x9E3779B9U));
}

static inline uint32_t sr_bits(uint32_t key, uint32_t idx)
{
    return (sr_word(key, idx >> 1) >> ((idx & 1U) << 4)) & 0xFFFFU;
}

/* Plain SGD (no momentum, EWC or DP noise): a zero gradient rounds to a zero step whatever
 * the random bits ((0 + r) >> 16 = 0 for r < 2^16), so zero rows and columns are skipped
 * without changing a single bit; and the stream is counter based, so skipping draws
 * shifts nothing else. */
static int plain_sgd(const ept_trainer *t, const ept_visit_ctx *c, const ept_tensor *T)
{
    return !c->dp && T->mom == NULL && !(t->ewc_on && T->fisher != NULL);
}

/* One row of an int16-master tensor under plain SGD, gradient u_i * (v_j + voff) * 2^X:
 * ept_scale_q16 specialised to a row (um = u_i * k.m once; |u_i v_j| < 2^24, so the
 * product u_i k.m v_j is exact in 64 bits and equals ept_scale_q16's p * k.m), then the
 * same rounding and master as update_param (the int8 view is derived from it when read). Returns 0 when the row's shift is out
 * of the fast range (the caller falls back to update_param). */
static int update_row_plain16(ept_tensor *T, int32_t i, int32_t ui, const int8_t *v, int32_t nv,
                              int32_t voff, ept_mult k, int32_t X, uint32_t key)
{
    const int32_t rs = 31 - k.s - X - EPT_UPD_FRAC;
    const int64_t lim = (int64_t)1 << 47;
    const int64_t um = (int64_t)ui * k.m;
    int16_t *ms = (int16_t *)T->master + (size_t)i * (size_t)nv;
    const uint32_t base = (uint32_t)i * (uint32_t)nv;
    uint32_t pair = 0xFFFFFFFFU, word = 0;
    if (rs < 0 || rs >= 63) return 0;
    if ((nv & 1) == 0) {
        /* even rows start on a pair: one draw per pair, drawn only when the pair has a
         * nonzero gradient (a zero one rounds to a zero step whatever the bits). |um| <= 2^46
         * and |a| <= 256, so for rs >= 7 the 2^47 clamp below can never bind. */
        const int clamp = rs < 7 || voff < -128 || voff > 128;
        for (int32_t j = 0; j < nv; j += 2) {
            const int32_t a0 = (int32_t)v[j] + voff, a1 = (int32_t)v[j + 1] + voff;
            int64_t q0, q1, n0, n1;
            uint32_t w;
            if ((a0 | a1) == 0) continue;
            w = sr_word(key, (base + (uint32_t)j) >> 1);
            q0 = (um * a0) >> rs;
            q1 = (um * a1) >> rs;
            if (clamp) {
                q0 = q0 > lim ? lim : (q0 < -lim ? -lim : q0);
                q1 = q1 > lim ? lim : (q1 < -lim ? -lim : q1);
            }
            n0 = (int64_t)ms[j] - ((q0 + (int64_t)(w & 0xFFFFU)) >> EPT_UPD_FRAC);
            n1 = (int64_t)ms[j + 1] - ((q1 + (int64_t)(w >> 16)) >> EPT_UPD_FRAC);
            ms[j] = (int16_t)(n0 < -32768 ? -32768 : (n0 > 32767 ? 32767 : n0));
            ms[j + 1] = (int16_t)(n1 < -32768 ? -32768 : (n1 > 32767 ? 32767 : n1));
        }
        return 1;
    }
    for (int32_t j = 0; j < nv; ++j) {
        const int32_t a = (int32_t)v[j] + voff;
        const uint32_t idx = base + (uint32_t)j;
        int64_t q, nm;
        if (a == 0) continue;
        q = (um * a) >> rs;
        q = q > lim ? lim : (q < -lim ? -lim : q);
        if ((idx >> 1) != pair) {
            pair = idx >> 1;
            word = sr_word(key, pair);
        }
        nm = (int64_t)ms[j] - ((q + (int64_t)((word >> ((idx & 1U) << 4)) & 0xFFFFU)) >> EPT_UPD_FRAC);
        ms[j] = (int16_t)(nm < -32768 ? -32768 : (nm > 32767 ? 32767 : nm));
    }
    return 1;
}

static ept_mult row_mult(const ept_tensor *T, const ept_visit_ctx *c, int32_t i);

/* One parameter's update from its gradient mantissa p (real gradient grad_c p 2^X):
 * SGD step, DP noise, EWC pull, stochastic rounding, momentum, master (and bias view). */
static void update_param(ept_trainer *t, const ept_visit_ctx *c, ept_tensor *T, int32_t ti,
                         int32_t idx, int32_t p, ept_mult k, int32_t X, int32_t row, uint32_t rnd)
{
    const int bias = T->kind == EPT_T_BIAS;
    const uint32_t pidx = ((uint32_t)ti << 24) + (uint32_t)idx; /* DP noise counter */
    int64_t q = ept_scale_q16(p, k, X);
    int32_t m = bias ? ((int32_t *)T->master)[idx] : ((int16_t *)T->master)[idx];
    int32_t d;
    if (c->dp) {
        const int32_t z = ept_normal_q16(t->cfg.seed ^ 0x5EEDD9U, t->step, pidx);
        const int64_t zp = ept_scale_q16(z, T->k_noise, -EPT_UPD_FRAC);
        q += ept_scale_q16(zp, T->k_rows != NULL ? T->k_rows[row] : T->k_upd, -EPT_UPD_FRAC);
    }
    if (t->ewc_on && T->fisher != NULL) {
        const int32_t a = bias ? ((int32_t *)T->anchor)[idx] : ((int16_t *)T->anchor)[idx];
        /* the penalty alone never steps past the anchor: explicit SGD on
         * lambda F (theta - theta*)^2 / 2 would oscillate once lr lambda F > 1 */
        /* int64 difference: an imported bias master can sit at INT32_MIN/MAX (saturated view) */
        const int64_t lim = ((int64_t)m - a) * ((int64_t)1 << EPT_UPD_FRAC);
        int64_t pen = ept_scale_q16((int64_t)T->fisher[idx] * ((int64_t)m - a), T->k_ewc, T->fexp);
        if ((lim >= 0 && pen > lim) || (lim < 0 && pen < lim)) pen = lim;
        q += pen;
    }
    d = ept_stoch_round(q, rnd);
    if (T->mom != NULL) {
        if (bias) {
            int32_t *mv = (int32_t *)T->mom;
            const int64_t vv = (((int64_t)mv[idx] * t->momentum_q15) >> 15) + d;
            mv[idx] = vv > INT32_MAX ? INT32_MAX : (vv < INT32_MIN ? INT32_MIN : (int32_t)vv);
            d = mv[idx];
        } else {
            int16_t *mv = (int16_t *)T->mom;
            mv[idx] = ept_sat16((int32_t)(((int64_t)mv[idx] * t->momentum_q15) >> 15) + d);
            d = mv[idx];
        }
    }
    if (bias) {
        const int64_t nm = (int64_t)m - d;
        ((int32_t *)T->master)[idx] = nm > INT32_MAX ? INT32_MAX : (nm < INT32_MIN ? INT32_MIN : (int32_t)nm);
        T->view[idx] = ept_rdiv(((int32_t *)T->master)[idx], EPT_MASTER_FRAC);
    } else {
        ((int16_t *)T->master)[idx] = ept_sat16(m - d);
    }
}

/* A column tensor (bias: int32 master, per-row rate; prompt: int16 master) under plain SGD,
 * gradient u_i * 2^X: the same arithmetic as update_param with p = u_i, one row per
 * parameter. Rows whose shift leaves the fast range take update_param. */
static void update_col_plain(ept_trainer *t, const ept_visit_ctx *c, ept_tensor *T, int32_t ti,
                             const int16_t *u, int32_t nu, int32_t X, uint32_t key)
{
    const int64_t lim = (int64_t)1 << 47;
    const int bias = T->kind == EPT_T_BIAS;
    for (int32_t i = 0; i < nu; ++i) {
        const ept_mult k = row_mult(T, c, i);
        const int32_t rs = 31 - k.s - X - EPT_UPD_FRAC;
        int64_t q, d;
        if (u[i] == 0 || k.m == 0) continue;
        if (rs < 0 || rs >= 63) {
            update_param(t, c, T, ti, i, u[i], k, X, i, sr_bits(key, (uint32_t)i));
            continue;
        }
        q = ((int64_t)u[i] * k.m) >> rs;
        q = q > lim ? lim : (q < -lim ? -lim : q);
        d = (q + (int64_t)sr_bits(key, (uint32_t)i)) >> EPT_UPD_FRAC;
        if (bias) {
            int32_t *ms = (int32_t *)T->master;
            const int64_t nm = (int64_t)ms[i] - d;
            ms[i] = nm > INT32_MAX ? INT32_MAX : (nm < INT32_MIN ? INT32_MIN : (int32_t)nm);
            T->view[i] = ept_rdiv(ms[i], EPT_MASTER_FRAC);
        } else {
            int16_t *ms = (int16_t *)T->master;
            const int64_t nm = (int64_t)ms[i] - d;
            ms[i] = (int16_t)(nm < -32768 ? -32768 : (nm > 32767 ? 32767 : nm));
        }
    }
}


static void layout_add(ept_trainer *t, ept_visit_ctx *c, const ept_tensor *T, int32_t X)
{
    if (c->lay != NULL && c->lay->count < EPT_MAX_TENSORS) {
        const int32_t k = c->lay->count++;
        c->lay->kind[k] = T->kind;
        c->lay->layer[k] = t->L[T->layer].fc_index;
        c->lay->size[k] = T->size;
        c->lay->exp[k] = X;
        c->lay->scale[k] = T->grad_c;
    }
}

static ept_mult row_mult(const ept_tensor *T, const ept_visit_ctx *c, int32_t i)
{
    ept_mult k = T->k_rows != NULL ? T->k_rows[i] : T->k_upd; /* bias, full W: per row */
    if (c->clip_q30 != (1 << 30)) k.m = (int32_t)(((int64_t)k.m * c->clip_q30) >> 30);
    return k;
}

/* Multi-position tensors (1x1 conv): the gradient is a sum of np outer products, formed
 * per parameter as a mantissa with sh more exponent bits, then the same visits. */
static void visit_pos(ept_trainer *t, ept_visit_ctx *c, int32_t ti, const int16_t *u, int32_t nu,
                      const int8_t *v, int32_t nv, int32_t voff, int32_t X, int32_t np)
{
    ept_tensor *T = &t->T[ti];
    const int32_t sh = pos_shift(np);
    const int32_t Xs = X + sh;
    if (c->norm_only) {
        for (int32_t i = 0; i < nu; ++i) {
            uint64_t row = 0; /* |p| < 2^24, nv <= 65535: < 2^64 */
            for (int32_t j = 0; j < nv; ++j) {
                const int64_t p = pos_prod(u, nu, v, nv, voff, np, sh, i, j);
                row += (uint64_t)(p * p);
            }
            ept_norm_add(c, T, row, 1, Xs);
        }
        return;
    }
    if (c->mode == EPT_VISIT_GRAD) {
        layout_add(t, c, T, Xs);
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                if (c->mant_at < c->mant_count) c->mant[c->mant_at] = pos_prod(u, nu, v, nv, voff, np, sh, i, j);
                ++c->mant_at;
            }
        }
        return;
    }
    if (c->mode == EPT_VISIT_FISHER) {
        uint64_t mx = 0;
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                const int64_t p = pos_prod(u, nu, v, nv, voff, np, sh, i, j);
                const uint64_t a = (uint64_t)(p < 0 ? -p : p);
                mx = a > mx ? a : mx;
            }
        }
        ept_fisher_prepare(T, mx * mx, Xs);
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                ept_fisher_param(T, i * nv + j, pos_prod(u, nu, v, nv, voff, np, sh, i, j), 2 * Xs - T->fexp);
            }
        }
        T->fcount += 1;
        return;
    }
    {
        const uint32_t key = sr_key(t, ti);
        const int plain = EPT_FAST_UPDATE && plain_sgd(t, c, T);
        for (int32_t i = 0; i < nu; ++i) {
            const ept_mult k = row_mult(T, c, i);
            for (int32_t j = 0; j < nv; ++j) {
                const int32_t p = pos_prod(u, nu, v, nv, voff, np, sh, i, j);
                const uint32_t idx = (uint32_t)(i * nv + j);
                if (plain && p == 0) continue;
                update_param(t, c, T, ti, (int32_t)idx, p, k, Xs, i, sr_bits(key, idx));
            }
        }
    }
}

void ept_visit(ept_trainer *t, ept_visit_ctx *c, int32_t ti, const int16_t *u, int32_t nu,
                  const int8_t *v, int32_t nv, int32_t voff, int32_t X, int32_t np)
{
    ept_tensor *T = &t->T[ti];
    if (np > 1) {
        visit_pos(t, c, ti, u, nu, v, nv, voff, X, np);
        return;
    }
    if (c->norm_only) {
        uint64_t su = 0, sv = 0;
        for (int32_t i = 0; i < nu; ++i) su += (uint64_t)((int64_t)u[i] * u[i]);
        if (v == NULL) sv = 1;
        for (int32_t j = 0; v != NULL && j < nv; ++j) {
            const int64_t a = (int64_t)v[j] + voff;
            sv += (uint64_t)(a * a);
        }
        ept_norm_add(c, T, su, sv, X);
        return;
    }
    if (c->mode == EPT_VISIT_GRAD) {
        layout_add(t, c, T, X);
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                const int32_t vj = v != NULL ? (int32_t)v[j] + voff : 1;
                if (c->mant_at < c->mant_count) c->mant[c->mant_at] = (int32_t)u[i] * vj;
                ++c->mant_at;
            }
        }
        return;
    }
    if (c->mode == EPT_VISIT_FISHER) {
        int32_t umax = 0, vmax = v == NULL ? 1 : 0;
        for (int32_t i = 0; i < nu; ++i) umax = u[i] < 0 ? (-u[i] > umax ? -u[i] : umax) : (u[i] > umax ? u[i] : umax);
        for (int32_t j = 0; v != NULL && j < nv; ++j) {
            const int32_t a = (int32_t)v[j] + voff;
            vmax = a < 0 ? (-a > vmax ? -a : vmax) : (a > vmax ? a : vmax);
        }
        ept_fisher_prepare(T, (uint64_t)umax * (uint64_t)umax * (uint64_t)vmax * (uint64_t)vmax, X);
        const int32_t d = 2 * X - T->fexp;
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                ept_fisher_param(T, i * nv + j, (int64_t)u[i] * (v != NULL ? (int32_t)v[j] + voff : 1), d);
            }
        }
        T->fcount += 1;
        return;
    }
    /* EPT_VISIT_UPDATE */
    {
        const uint32_t key = sr_key(t, ti);
        const int plain = EPT_FAST_UPDATE && plain_sgd(t, c, T);
        const int fast = EPT_FAST_UPDATE && plain && v != NULL && T->kind != EPT_T_BIAS;
        if (plain && v == NULL && nv == 1) {
            update_col_plain(t, c, T, ti, u, nu, X, key);
            return;
        }
        for (int32_t i = 0; i < nu; ++i) {
            const ept_mult k = row_mult(T, c, i);
            if (plain && (u[i] == 0 || k.m == 0)) continue;
            if (fast && update_row_plain16(T, i, u[i], v, nv, voff, k, X, key)) continue;
            for (int32_t j = 0; j < nv; ++j) {
                const int32_t p = (int32_t)u[i] * (v != NULL ? (int32_t)v[j] + voff : 1);
                const uint32_t idx = (uint32_t)(i * nv + j);
                if (plain && p == 0) continue;
                update_param(t, c, T, ti, (int32_t)idx, p, k, X, i, sr_bits(key, idx));
            }
        }
    }
}

