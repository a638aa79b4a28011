/* Forward pass of the trained suffix: frozen int8 FC layers with the adapters in the side
 * path, exactly as inference with an imported adapter computes it. With all adapters at
 * zero (B = 0, no bias delta, no prompt) every output equals TFLite Micro's. */
#include "train_internal.h"

/* The h = A x requantisation shift: the smallest s >= from that maps the example's largest
 * |A x| to <= lim. lim 32 of 127 at the first example leaves room for A to grow and for other
 * inputs; lim 127 afterwards (see layer_input). Integer and data-deterministic; it is stored in
 * the adapter so an importer needs no data. */
static int32_t fit_shift(const int32_t *hacc, int32_t r, int32_t from, uint32_t lim)
{
    uint32_t mx = 1;
    int32_t s = from;
    for (int32_t j = 0; j < r; ++j) {
        const uint32_t a = hacc[j] < 0 ? (uint32_t)0 - (uint32_t)hacc[j] : (uint32_t)hacc[j];
        mx = a > mx ? a : mx;
    }
    /* -A x can reach 2^31 (view 128 never occurs, |v8| <= 127): s stops at 31 */
    while (s < 31 && (mx >> s) > lim) {
        ++s;
    }
    return s;
}

/* TFLM's int8 average pool over all taps: sum, divide rounding half away from zero, clamp. */
static void pool_forward(ept_layer *L, const int8_t *x)
{
    const int32_t c = L->out, n = L->pool_count;
    for (int32_t ch = 0; ch < c; ++ch) {
        int32_t sum = 0, v;
        for (int32_t p = 0; p < n; ++p) sum += x[(size_t)p * (size_t)c + (size_t)ch];
        if (L->mean) {
            /* MEAN as the engine computes it (ep_mean_s8; |sum| < 2^31 for pos < 2^23) */
            v = ep_requantize(sum - L->in_zp * n, L->mean_q.multiplier, L->mean_q.shift) + L->out_zp;
        } else {
            v = sum > 0 ? (sum + n / 2) / n : (sum - n / 2) / n;
        }
        L->y[ch] = (int8_t)(v < L->act_min ? L->act_min : (v > L->act_max ? L->act_max : v));
    }
    L->x = x;
}

/* x - zx of one position as int16, in the int32 gradient scratch (dead until the backward
 * starts, which rewrites it): every row's dot product then skips the offset and widening
 * (about 1.5 instead of 5.4 instructions per MAC on x86-64, SMLAD pairs on Cortex-M4).
 * Exact integer arithmetic, so outputs are unchanged. NULL when the scratch is too short
 * (the offset dot is used). */
static const int16_t *widen(const ept_trainer *t, const int8_t *x, int32_t zx, int32_t in)
{
    int16_t *x16 = (int16_t *)t->dacc;
    if (in > 2 * t->grad_dim || t->dacc_live) return NULL;
    for (int32_t k = 0; k < in; ++k) x16[k] = (int16_t)((int32_t)x[k] - zx);
    return x16;
}

/* The int32 accumulator of output row i at one position (x, or its widened x16; h8: A x). */
static int32_t row_acc(const ept_trainer *t, const ept_layer *L, const int8_t *x, const int16_t *x16,
                       const int8_t *h8, int32_t i)
{
    /* unsigned sums wrap like TFLM's int32 accumulator instead of being UB */
    uint32_t acc = L->bias != NULL ? (uint32_t)L->bias[i] : 0U;
    acc += (uint32_t)ept_w_dot(t, L, i, x, x16);
    if (L->tbias >= 0) {
        acc += (uint32_t)t->T[L->tbias].view[i];
    }
    if (L->ta >= 0) {
        const int16_t *B = (const int16_t *)t->T[L->tb].master + (size_t)i * (size_t)L->rank;
        ept_mult k = L->side[i];
        /* B at its int16 master (8 bits finer than an int8 view): a B still under one
         * int8 step moves the output and A's gradient, as in float. |B h| < 2^15 x 2^7 x 64 */
        int32_t u = 0;
        for (int32_t j = 0; j < L->rank; ++j) u += (int32_t)B[j] * h8[j];
        k.s += L->sh_h - EPT_MASTER_FRAC; /* h8 carries 2^sh_h, a B master unit 2^-8 */
        acc += (uint32_t)ept_mbqm(u, k);
    }
    return (int32_t)acc;
}

static int8_t requant_out(const ept_layer *L, int32_t acc, int32_t i)
{
    int32_t v = ep_requantize(acc, L->req[i].m, L->req[i].s) + L->out_zp;
    v = v < L->act_min ? L->act_min : (v > L->act_max ? L->act_max : v);
    return (int8_t)v;
}

/* One position of an FC / 1x1 conv: x (in), h8 (rank) -> y, neg (out; NULL under
 * recomputation, which rebuilds the masks in the backward). */
static void row_block(const ept_trainer *t, const ept_layer *L, const int8_t *x, const int16_t *x16,
                      const int8_t *h8, int8_t *y, uint8_t *neg)
{
    for (int32_t i = 0; i < L->out; ++i) {
        const int32_t acc = row_acc(t, L, x, x16, h8, i);
        if (neg != NULL) neg[i] = (uint8_t)(acc <= 0);
        y[i] = requant_out(L, acc, i);
    }
}

/* Prompt and LoRA h of one layer from its input: sets L->x (what the backward reads). */
static const int8_t *layer_input(ept_trainer *t, ept_layer *L, const int8_t *xin, int fit)
{
    const int32_t in = L->in, zx = L->in_zp, np = L->pos;
    const int8_t *x = xin;
    if (L->tp >= 0) {
        /* prompt / feature offset: x' = sat8(x + p) on the first plen (flattened) features */
        const int16_t *p = (const int16_t *)t->T[L->tp].master;
        for (int32_t k = 0; k < in * np; ++k) {
            L->xbuf[k] = k < L->plen ? ept_sat8((int32_t)xin[k] + ept_v8(p[k])) : xin[k];
        }
        x = L->xbuf;
    }
    /* the backward reads the input again: the latent stays live in the engine arena
     * (keep_tensors) and upper layers read the previous layer's output buffer */
    L->x = x;
    if (L->ta >= 0) {
        const int16_t *A = (const int16_t *)t->T[L->ta].master;
        for (int32_t p = 0; p < np; ++p) {
            const int8_t *xp = x + (size_t)p * (size_t)in;
            const int16_t *x16 = widen(t, xp, zx, in);
            for (int32_t j = 0; j < L->rank; ++j) {
                const int16_t *a = A + (size_t)j * (size_t)in;
                L->hacc[p * L->rank + j] = x16 != NULL ? ept_dot_m16_s16(a, x16, in) : ept_dot_m16_off(a, xp, zx, in);
            }
        }
        if (L->sh_h < 0) {
            L->sh_h = fit_shift(L->hacc, L->rank * np, 0, 32U);
        } else if (fit) {
            /* a training step: A has grown since the calibration, so raise the shift until
             * this example's h does not clamp. A clamped h8 drops A's gradient (backward.c)
             * and caps B h, which stalled A at small learning rates (docs/training.md). */
            L->sh_h = fit_shift(L->hacc, L->rank * np, L->sh_h, 127U);
        }
        for (int32_t j = 0; j < L->rank * np; ++j) L->h8[j] = ept_sat8(ept_rdiv(L->hacc[j], L->sh_h));
    }
    return x;
}

static void layer_forward(ept_trainer *t, ept_layer *L, const int8_t *xin, int fit)
{
    const int32_t in = L->in, out = L->out, zx = L->in_zp, np = L->pos;
    const int8_t *x;
    if (L->type == EPT_LAYER_AVGPOOL) {
        pool_forward(L, xin);
        return;
    }
    if (L->type == EPT_LAYER_ACT) {
        for (int32_t i = 0; i < out; ++i) L->y[i] = L->act_lut[(uint8_t)xin[i]];
        L->x = xin;
        return;
    }
    x = layer_input(t, L, xin, fit);
    for (int32_t p = 0; p < np; ++p) {
        const size_t o = (size_t)p * (size_t)out;
        const int8_t *xp = x + (size_t)p * (size_t)in;
        /* under a bottleneck adapter the layer writes y0, the adapter y' into y */
        row_block(t, L, xp, widen(t, xp, zx, in), L->ta >= 0 ? L->h8 + (size_t)p * (size_t)L->rank : NULL,
                  (L->td >= 0 ? L->y0 : L->y) + o, L->neg != NULL ? L->neg + o : NULL);
    }
    if (L->td >= 0) ept_bn_forward(t, L);
}

void ept_fwd_range(ept_trainer *t, int32_t upto)
{
    const int8_t *x = t->latent;
    for (int32_t l = 0; l < upto; ++l) {
        layer_forward(t, &t->L[l], x, 0);
        x = t->L[l].y;
    }
    t->live = upto - 1;
}

void ept_fwd_mask(ept_trainer *t, int32_t l, int32_t *d)
{
    ept_layer *L = &t->L[l];
    const int32_t in = L->in, out = L->out;
    /* same arithmetic as layer_forward (dacc is live, so no widening: the offset dot product
     * gives the same integers), one row at a time, the mask applied instead of storing */
    const int8_t *x = layer_input(t, L, l == 0 ? t->latent : t->L[l - 1].y, 0);
    for (int32_t p = 0; p < L->pos; ++p) {
        const int8_t *xp = x + (size_t)p * (size_t)in;
        const int8_t *h8 = L->ta >= 0 ? L->h8 + (size_t)p * (size_t)L->rank : NULL;
        int32_t *dp = d + (size_t)p * (size_t)out;
        for (int32_t i = 0; i < out; ++i) {
            const int32_t acc = row_acc(t, L, xp, NULL, h8, i);
            dp[i] = ept_mask1(L, requant_out(L, acc, i), acc <= 0, dp[i]);
        }
    }
}

/* Cross-entropy -ln(p) in Q16 from the int8 softmax probability byte: p ~ (2q+1)/512 with
 * q = byte + 128, so the loss is ln2 * (9 - log2(2q+1)), finite even for q = 0. */
static int32_t loss_q16(int8_t pbyte)
{
    const uint32_t q = (uint32_t)((int32_t)pbyte + 128);
    const int32_t l2 = (9 << 16) - ept_log2_q16(2U * q + 1U);
    return (int32_t)(((int64_t)l2 * 45426 + 32768) >> 16); /* 45426 = ln2 in Q16 */
}

ep_status ept_fwd(ept_trainer *t, const int8_t *latent, int32_t label, ept_step_info *info, int fit)
{
    const int8_t *x = latent;
    const ept_layer *top;
    int32_t best = 0;
    ep_status st;
    t->latent = latent;
    t->live = t->nl - 1;
    for (int32_t l = 0; l < t->nl; ++l) {
        layer_forward(t, &t->L[l], x, fit);
        x = t->L[l].y;
    }
    top = &t->L[t->nl - 1];
    st = ep_softmax_s8(top->y, 1, t->classes, &t->smx, t->probs);
    if (st != EP_OK) {
        return st;
    }
    /* argmax of the logits: the probabilities tie more often at int8 resolution */
    for (int32_t i = 1; i < t->classes; ++i) {
        if (top->y[i] > top->y[best]) best = i;
    }
    if (info != NULL) {
        info->predicted = best;
        info->correct = label >= 0 && best == label;
        info->loss_q16 = label >= 0 && label < t->classes ? loss_q16(t->probs[label]) : 0;
        info->clip_q30 = 1 << 30;
    }
    return EP_OK;
}
