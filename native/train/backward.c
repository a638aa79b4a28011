/* Backward pass (the parameter visits are in update.c). Every adapter gradient of one example is an outer
 * product u (x) v (B: delta (x) h, A: g_h (x) x, bias: delta, prompt: delta_x), so nothing
 * per-parameter is stored: the visit computes P = u_i v_j and applies the update (SGD,
 * momentum, EWC penalty, DP clip + noise), accumulates Fisher, or reports P.
 * Real gradient = grad_c * P * 2^X with X the integer exponent carried by normalisation. */
#include "train_internal.h"

/* STE through requantisation (ept_mask1) over a layer's stored outputs. */
static void mask_output(const ept_layer *L, int32_t *d)
{
    const int8_t *y = L->y0 != NULL ? L->y0 : L->y; /* the layer's own output, before an adapter */
    for (int32_t i = 0; i < L->out * L->pos; ++i) d[i] = ept_mask1(L, y[i], L->neg[i], d[i]);
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
            const int16_t *A = (const int16_t *)t->T[L->ta].master;
            ept_mult kx = L->lora_dx;
            kx.s += eg;
            for (int32_t j = 0; j < L->rank; ++j) {
                ept_axpy_m16(dx, A + (size_t)j * (size_t)in, t->gh16[p * L->rank + j], in);
            }
            for (int32_t k = 0; k < in; ++k) dx[k] = ept_mbqm(dx[k], kx);
        }
        for (int32_t i = 0; i < out; ++i) {
            const int32_t di = L->wratio != NULL ? ept_mbqm(dp[i], L->wratio[i]) : dp[i];
            if (di == 0) continue;
            if (L->tw >= 0) ept_axpy_m16(dx, (const int16_t *)t->T[L->tw].master + (size_t)i * (size_t)in, di, in);
            else ept_axpy_s8(dx, L->w + (size_t)i * (size_t)in, di, in);
        }
    }
}

/* One backward sweep; with c->norm_only it only measures the gradient norm. */
static void sweep(ept_trainer *t, int32_t label, ept_visit_ctx *c)
{
    int32_t E = 0;
    int32_t *dacc = t->dacc;
    const ept_layer *top = &t->L[t->nl - 1];
    for (int32_t i = 0; i < top->out; ++i) {
        /* dL/dlogit = beta (p - target): the one-hot label, or a soft target (distillation) */
        const int32_t target = t->soft != NULL ? (int32_t)t->soft[i] : (i == label ? 256 : 0);
        dacc[i] = ((int32_t)t->probs[i] + 128) - target;
    }
    for (int32_t l = t->nl - 1; l >= 0; --l) {
        ept_layer *L = &t->L[l];
        const int32_t in = L->in, out = L->out, np = L->pos;
        int32_t eg = 0, ex = 0;
        const int need_dx = l > 0 || L->tp >= 0;
        if (L->type == EPT_LAYER_ACT) {
            /* d x = f'(x) d y, f' in Q16 by input byte (rounded; int64: no overflow). In the
             * step holding a kink at 0 the producer's accumulator sign, when kept (an FC /
             * conv layer's neg, not under recomputation or a bottleneck), picks the side:
             * the sign of the real input, which the quantised byte has lost. */
            const ept_layer *P = &t->L[l - 1];
            const uint8_t *neg = L->act_kink && P->neg != NULL && P->td < 0 &&
                                         (P->type == EPT_LAYER_FC || P->type == EPT_LAYER_CONV1X1)
                                     ? P->neg : NULL;
            if (t->rc && t->live != l - 1 && t->live != l) ept_fwd_range(t, l); /* x live */
            for (int32_t i = 0; i < out; ++i) {
                const int32_t xi = L->x[i];
                const int32_t k = neg != NULL && xi == L->in_zp ? (neg[i] ? L->act_lo : L->act_hi)
                                                                 : L->act_slope[(uint8_t)xi];
                const int64_t v = (int64_t)dacc[i] * k;
                const int64_t r = (v + ((int64_t)1 << 15)) >> 16;
                dacc[i] = r > INT32_MAX ? INT32_MAX : (r < -INT32_MAX ? -INT32_MAX : (int32_t)r);
            }
            continue;
        }
        if (L->type == EPT_LAYER_AVGPOOL) {
            /* d x[p][c] = d y[c] / count; the 1/count lives in the next layer's s_delta.
             * Backwards so position 0 (the source) is overwritten last, by itself. */
            for (int32_t p = np - 1; p > 0; --p) {
                for (int32_t ch = 0; ch < out; ++ch) dacc[(size_t)p * (size_t)out + (size_t)ch] = dacc[ch];
            }
            continue;
        }
        if (L->td >= 0) ept_bn_backward(t, c, L, dacc, &E); /* d y' -> d y0 (never with rc) */
        if (t->rc) {
            /* the layer's input must be live (the previous layer's output, or the latent) */
            if (l > 0 && t->live != l - 1 && t->live != l) ept_fwd_range(t, l);
            ept_fwd_mask(t, l, dacc);
        } else {
            mask_output(L, dacc);
        }
        E += ept_normalise16(dacc, t->d16, out * np);
        if (L->ta >= 0) {
            const int16_t *B = (const int16_t *)t->T[L->tb].master;
            for (int32_t p = 0; p < np; ++p) {
                const int16_t *dp = t->d16 + (size_t)p * (size_t)out;
                for (int32_t j = 0; j < L->rank; ++j) {
                    const int32_t hj = L->h8[p * L->rank + j];
                    /* B is read at its int16 master, as the forward reads it; the sum is
                     * brought back to int8-view units (|g| < 128 x 2^14 x 1024 rows) */
                    int64_t g64 = 0;
                    int32_t g;
                    for (int32_t i = 0; i < out; ++i) g64 += (int32_t)B[i * L->rank + j] * dp[i];
                    g64 = (g64 + (1 << (EPT_MASTER_FRAC - 1))) >> EPT_MASTER_FRAC;
                    g = g64 > INT32_MAX ? INT32_MAX : (g64 < -INT32_MAX ? -INT32_MAX : (int32_t)g64);
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
            ept_visit(t, c, L->tb, t->d16, out, L->h8, L->rank, 0, E + L->sh_h, np);
            ept_visit(t, c, L->ta, t->gh16, L->rank, L->x, in, -L->in_zp, E + eg, np);
        }
        if (L->tw >= 0) ept_visit(t, c, L->tw, t->d16, out, L->x, in, -L->in_zp, E, np);
        if (L->tbias >= 0) ept_visit(t, c, L->tbias, t->d16, out, NULL, 1, 0, E, np);
        if (L->tp >= 0) ept_visit(t, c, L->tp, t->dx16, L->plen, NULL, 1, 0, E + ex, 1);
        if (l == 0) break;
    }
}

ep_status ept_bwd(ept_trainer *t, int32_t label, int32_t mode, int32_t *mant, uint32_t mant_count,
                  ept_grad_layout *lay)
{
    ept_visit_ctx c = {0};
    if (label < 0 || label >= t->classes) {
        return EP_ERR_ARG;
    }
    c.mode = mode;
    c.mant = mant;
    c.mant_count = mant_count;
    c.lay = lay;
    c.clip_q30 = 1 << 30;
    if (lay != NULL) lay->count = 0;
    t->dacc_live = 1;
    if (mode == EPT_VISIT_UPDATE && t->cfg.dp_clip_u != 0) {
        /* DP-SGD: a measuring sweep first (nothing stored per parameter), then the update */
        c.norm_only = 1;
        sweep(t, label, &c);
        c.norm_only = 0;
        c.clip_q30 = ept_clip_factor(c.nm, c.ne);
        c.dp = t->cfg.dp_sigma_u != 0;
    }
    sweep(t, label, &c);
    t->dacc_live = 0;
    t->last_clip_q30 = c.clip_q30;
    if (mode == EPT_VISIT_UPDATE) ++t->step;
    if (mode == EPT_VISIT_FISHER) ++t->fisher_n;
    return mode == EPT_VISIT_GRAD && c.mant_at > mant_count ? EP_ERR_SIZE : EP_OK;
}
