/* Backward pass and parameter visits. Every adapter gradient of one example is an outer
 * product u (x) v (B: delta (x) h, A: g_h (x) x, bias: delta, prompt: delta_x), so nothing
 * per-parameter is stored: the visit computes P = u_i v_j and applies the update (SGD,
 * momentum, EWC penalty, DP clip + noise), accumulates Fisher, or reports P.
 * Real gradient = grad_c * P * 2^X with X the integer exponent carried by normalisation. */
#include "train_internal.h"

typedef struct {
    int32_t mode;
    int32_t *mant;
    uint32_t mant_count;
    uint32_t mant_at;
    ept_grad_layout *lay;
    int32_t clip_q30;
    int32_t dp;                  /* 1: add noise */
    /* DP norm pass: sum of (grad / C)^2 as m * 2^e */
    int32_t norm_only;
    uint64_t nm;
    int32_t ne;
} visit_ctx;

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
static void norm_add(visit_ctx *c, const ept_tensor *T, uint64_t su, uint64_t sv, int32_t X)
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
static int32_t clip_factor(uint64_t m, int32_t e)
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

static void fisher_prepare(ept_tensor *T, uint64_t maxp2, int32_t X)
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

/* One parameter's update from its gradient mantissa p (real gradient grad_c p 2^X):
 * SGD step, DP noise, EWC pull, stochastic rounding, momentum, master and view. */
static void update_param(ept_trainer *t, const visit_ctx *c, ept_tensor *T, int32_t ti,
                         int32_t idx, int32_t p, ept_mult k, int32_t X, int32_t row)
{
    const int bias = T->kind == EPT_T_BIAS;
    const uint32_t pidx = ((uint32_t)ti << 24) + (uint32_t)idx;
    int64_t q = ept_scale_q16(p, k, X);
    int32_t m = bias ? ((int32_t *)T->master)[idx] : ((int16_t *)T->master)[idx];
    int32_t d;
    if (c->dp) {
        const int32_t z = ept_normal_q16(t->cfg.seed ^ 0x5EEDD9U, t->step, pidx);
        const int64_t zp = ept_scale_q16(z, T->k_noise, -EPT_UPD_FRAC);
        q += ept_scale_q16(zp, bias ? T->k_rows[row] : T->k_upd, -EPT_UPD_FRAC);
    }
    if (t->ewc_on && T->fisher != NULL) {
        const int32_t a = bias ? ((int32_t *)T->anchor)[idx] : ((int16_t *)T->anchor)[idx];
        /* the penalty alone never steps past the anchor: explicit SGD on
         * lambda F (theta - theta*)^2 / 2 would oscillate once lr lambda F > 1 */
        const int64_t lim = (int64_t)(m - a) * ((int64_t)1 << EPT_UPD_FRAC);
        int64_t pen = ept_scale_q16((int64_t)T->fisher[idx] * (int64_t)(m - a), T->k_ewc, T->fexp);
        if ((lim >= 0 && pen > lim) || (lim < 0 && pen < lim)) pen = lim;
        q += pen;
    }
    d = ept_stoch_round(q, ept_rand(t->cfg.seed, t->step, pidx));
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
        ((int32_t *)T->view)[idx] = ept_rdiv(((int32_t *)T->master)[idx], EPT_MASTER_FRAC);
    } else {
        const int16_t nm = ept_sat16(m - d);
        ((int16_t *)T->master)[idx] = nm;
        ((int8_t *)T->view)[idx] = ept_sat8(ept_rdiv(nm, EPT_MASTER_FRAC));
    }
}

static void fisher_param(ept_tensor *T, int32_t idx, int64_t p, int32_t d)
{
    const uint64_t p2 = (uint64_t)(p * p);
    const uint64_t add = d >= 0 ? (d >= 40 ? 65535U : p2 << d) : (-d >= 64 ? 0 : p2 >> -d);
    const uint64_t f = (uint64_t)T->fisher[idx] + add;
    T->fisher[idx] = (uint16_t)(f > 65535U ? 65535U : f);
    T->fmax = T->fisher[idx] > T->fmax ? T->fisher[idx] : T->fmax;
}

static void layout_add(ept_trainer *t, visit_ctx *c, const ept_tensor *T, int32_t X)
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

static ept_mult row_mult(const ept_tensor *T, const visit_ctx *c, int32_t i)
{
    ept_mult k = T->kind == EPT_T_BIAS ? T->k_rows[i] : T->k_upd;
    if (c->clip_q30 != (1 << 30)) k.m = (int32_t)(((int64_t)k.m * c->clip_q30) >> 30);
    return k;
}

/* Multi-position tensors (1x1 conv): the gradient is a sum of np outer products, formed
 * per parameter as a mantissa with sh more exponent bits, then the same visits. */
static void visit_pos(ept_trainer *t, visit_ctx *c, int32_t ti, const int16_t *u, int32_t nu,
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
            norm_add(c, T, row, 1, Xs);
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
        fisher_prepare(T, mx * mx, Xs);
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                fisher_param(T, i * nv + j, pos_prod(u, nu, v, nv, voff, np, sh, i, j), 2 * Xs - T->fexp);
            }
        }
        T->fcount += 1;
        return;
    }
    for (int32_t i = 0; i < nu; ++i) {
        const ept_mult k = row_mult(T, c, i);
        for (int32_t j = 0; j < nv; ++j) {
            update_param(t, c, T, ti, i * nv + j, pos_prod(u, nu, v, nv, voff, np, sh, i, j), k, Xs, i);
        }
    }
}

static void visit(ept_trainer *t, visit_ctx *c, int32_t ti, const int16_t *u, int32_t nu,
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
        norm_add(c, T, su, sv, X);
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
        fisher_prepare(T, (uint64_t)umax * (uint64_t)umax * (uint64_t)vmax * (uint64_t)vmax, X);
        const int32_t d = 2 * X - T->fexp;
        for (int32_t i = 0; i < nu; ++i) {
            for (int32_t j = 0; j < nv; ++j) {
                fisher_param(T, i * nv + j, (int64_t)u[i] * (v != NULL ? (int32_t)v[j] + voff : 1), d);
            }
        }
        T->fcount += 1;
        return;
    }
    /* EPT_VISIT_UPDATE */
    for (int32_t i = 0; i < nu; ++i) {
        const ept_mult k = row_mult(T, c, i);
        for (int32_t j = 0; j < nv; ++j) {
            update_param(t, c, T, ti, i * nv + j, (int32_t)u[i] * (v != NULL ? (int32_t)v[j] + voff : 1), k, X, i);
        }
    }
}

/* STE through requantisation: the gradient passes the rounding unchanged; at a fused
 * activation's clamp (ReLU zero, ReLU6 top) the slope is zero; at plain int8 saturation
 * only the component that would push further out is dropped. */
static void mask_output(const ept_layer *L, int32_t *d)
{
    for (int32_t i = 0; i < L->out * L->pos; ++i) {
        const int32_t y = L->y[i];
        /* ReLU: the float slope is zero for a pre-activation <= 0; taking it from the int32
         * accumulator, not the rounded output, keeps units that round to zero alive */
        if (L->relu == EP_ACT_RELU || L->relu == EP_ACT_RELU6) {
            if (L->neg[i]) d[i] = 0;
        } else if (y <= L->act_min && (L->relu != EP_ACT_NONE || d[i] > 0)) {
            d[i] = 0;
        }
        if (y >= L->act_max && ((L->relu != EP_ACT_NONE && L->act_max < 127) || d[i] < 0)) d[i] = 0;
    }
}

/* dx = W^T d (+ LoRA A^T g_h rescaled to W's scale) at every position, into dacc; d16 and
 * gh16 hold the inputs, computed from the pre-update adapters. */
static void input_grad(const ept_trainer *t, const ept_layer *L, int32_t eg, int32_t *dacc)
{
    const int32_t in = L->in, out = L->out;
    for (int32_t p = 0; p < L->pos; ++p) {
        int32_t *dx = dacc + (size_t)p * (size_t)in;
        const int16_t *dp = t->d16 + (size_t)p * (size_t)out;
        for (int32_t k = 0; k < in; ++k) dx[k] = 0;
        if (L->ta >= 0) {
            const int8_t *A = (const int8_t *)t->T[L->ta].view;
            ept_mult kx = L->lora_dx;
            kx.s += eg;
            for (int32_t j = 0; j < L->rank; ++j) {
                ept_axpy_s8(dx, A + (size_t)j * (size_t)in, t->gh16[p * L->rank + j], in);
            }
            for (int32_t k = 0; k < in; ++k) dx[k] = ept_mbqm(dx[k], kx);
        }
        for (int32_t i = 0; i < out; ++i) {
            const int32_t di = L->wratio != NULL ? ept_mbqm(dp[i], L->wratio[i]) : dp[i];
            if (di != 0) ept_axpy_s8(dx, L->w + (size_t)i * (size_t)in, di, in);
        }
    }
}

/* One backward sweep; with c->norm_only it only measures the gradient norm. */
static void sweep(ept_trainer *t, int32_t label, visit_ctx *c)
{
    int32_t E = 0;
    int32_t *dacc = t->dacc;
    const ept_layer *top = &t->L[t->nl - 1];
    for (int32_t i = 0; i < top->out; ++i) {
        dacc[i] = ((int32_t)t->probs[i] + 128) - (i == label ? 256 : 0);
    }
    for (int32_t l = t->nl - 1; l >= 0; --l) {
        ept_layer *L = &t->L[l];
        const int32_t in = L->in, out = L->out, np = L->pos;
        int32_t eg = 0, ex = 0;
        const int need_dx = l > 0 || L->tp >= 0;
        if (L->type == EPT_LAYER_AVGPOOL) {
            /* d x[p][c] = d y[c] / count; the 1/count lives in the next layer's s_delta.
             * Backwards so position 0 (the source) is overwritten last, by itself. */
            for (int32_t p = np - 1; p > 0; --p) {
                for (int32_t ch = 0; ch < out; ++ch) dacc[(size_t)p * (size_t)out + (size_t)ch] = dacc[ch];
            }
            continue;
        }
        mask_output(L, dacc);
        E += ept_normalise16(dacc, t->d16, out * np);
        if (L->ta >= 0) {
            const int8_t *B = (const int8_t *)t->T[L->tb].view;
            for (int32_t p = 0; p < np; ++p) {
                const int16_t *dp = t->d16 + (size_t)p * (size_t)out;
                for (int32_t j = 0; j < L->rank; ++j) {
                    const int32_t hj = L->h8[p * L->rank + j];
                    int32_t g = 0;
                    for (int32_t i = 0; i < out; ++i) g += (int32_t)B[i * L->rank + j] * dp[i];
                    /* at h's int8 clamp only the component pushing further out is dropped */
                    if ((hj == 127 && g < 0) || (hj == -128 && g > 0)) g = 0;
                    L->hacc[p * L->rank + j] = g; /* forward's h accumulators are no longer needed */
                }
            }
            eg = ept_normalise16(L->hacc, t->gh16, L->rank * np);
        }
        if (need_dx) input_grad(t, L, eg, dacc);
        if (L->tp >= 0) {
            /* prompt: gradient at x' = x + p, zero where the saturating add clipped */
            ex = ept_normalise16(dacc, t->dx16, L->plen);
            for (int32_t k = 0; k < L->plen; ++k) {
                const int32_t s = L->x[k];
                if ((s == 127 && t->dx16[k] < 0) || (s == -128 && t->dx16[k] > 0)) t->dx16[k] = 0;
            }
        }
        if (L->ta >= 0) {
            visit(t, c, L->tb, t->d16, out, L->h8, L->rank, 0, E + L->sh_h, np);
            visit(t, c, L->ta, t->gh16, L->rank, L->x, in, -L->in_zp, E + eg, np);
        }
        if (L->tbias >= 0) visit(t, c, L->tbias, t->d16, out, NULL, 1, 0, E, np);
        if (L->tp >= 0) visit(t, c, L->tp, t->dx16, L->plen, NULL, 1, 0, E + ex, 1);
        if (l == 0) break;
    }
}

ep_status ept_bwd(ept_trainer *t, int32_t label, int32_t mode, int32_t *mant, uint32_t mant_count,
                  ept_grad_layout *lay)
{
    visit_ctx c = {0};
    if (label < 0 || label >= t->classes) {
        return EP_ERR_ARG;
    }
    c.mode = mode;
    c.mant = mant;
    c.mant_count = mant_count;
    c.lay = lay;
    c.clip_q30 = 1 << 30;
    if (lay != NULL) lay->count = 0;
    if (mode == EPT_VISIT_UPDATE && t->cfg.dp_clip_u != 0) {
        /* DP-SGD: a measuring sweep first (nothing stored per parameter), then the update */
        c.norm_only = 1;
        sweep(t, label, &c);
        c.norm_only = 0;
        c.clip_q30 = clip_factor(c.nm, c.ne);
        c.dp = t->cfg.dp_sigma_u != 0;
    }
    sweep(t, label, &c);
    t->last_clip_q30 = c.clip_q30;
    if (mode == EPT_VISIT_UPDATE) ++t->step;
    if (mode == EPT_VISIT_FISHER) ++t->fisher_n;
    return mode == EPT_VISIT_GRAD && c.mant_at > mant_count ? EP_ERR_SIZE : EP_OK;
}
