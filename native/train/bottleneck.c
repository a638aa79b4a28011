/* Bottleneck adapter (Houlsby et al. 2019) after an FC / 1x1 conv, per position:
 *   h = relu(D (y0 - zy)),  y' = sat8(y0 + U h)   (D: m x out, U: out x m, U = 0 at init)
 * Placed after the layer's fused activation, on its int8 output: the layer itself stays the
 * TFLite op, bit-exact (its requantisation and clamp untouched), the adapter reads and writes
 * tensors in the output's own quantisation (as an FC + RELU + FC + ADD appended to the graph
 * would), and U = 0 gives TFLite Micro's outputs exactly. Before the activation it would have
 * to live inside the layer's int32 accumulator, which is LoRA's place.
 * Integer only: h is requantised to int8 by a power-of-two shift calibrated on the first
 * example (as LoRA's h), U h reaches output units through one fixed-point multiplier. */
#include <math.h>

#include "train_internal.h"

/* D: uniform in [-63.5, 63.5) view units from the seeded PRNG (its own stream tag). */
void ept_bn_init_d(const ept_trainer *t, ept_tensor *D, int32_t tidx)
{
    int16_t *m = (int16_t *)D->master;
    const int32_t span = 127 << EPT_MASTER_FRAC;
    for (int32_t i = 0; i < D->size; ++i) {
        const uint32_t r = ept_rand(t->cfg.seed, 0xAD0D0000U + (uint32_t)tidx, (uint32_t)i);
        m[i] = (int16_t)((int32_t)(((uint64_t)r * (uint32_t)span) >> 32) - (span >> 1));
    }
}

/* Scales (prepare time, doubles): D in kaiming-bound / 64 units like LoRA A; U in 1 / (8 m):
 * with h around 32 view units, U at full scale moves y' by several output steps per unit of
 * h, so the adapter can reach the whole int8 range. Gradient units follow (docs/training.md). */
ep_status ept_bn_prepare(ept_trainer *t, ept_layer *L, char *err, size_t n)
{
    ept_tensor *D = &t->T[L->td], *U = &t->T[L->tu];
    const double s_d = 1.0 / sqrt((double)L->out) / 64.0;
    const double s_u = 1.0 / (8.0 * (double)L->bn_m);
    D->view_scale = s_d;
    U->view_scale = s_u;
    /* dL/dU = d (x) h, h real = s_d s_y 2^sh h8; dL/dD = (s_u U^T d) (x) s_y (y0 - zy) */
    U->grad_c = L->s_delta * s_d * L->s_y;
    D->grad_c = s_u * L->s_delta * L->s_y;
    if (ept_mult_from(s_u * s_d, &L->bn_out) != EP_OK || ept_mult_from(s_u * s_d, &L->bn_dx) != EP_OK) {
        ept_err(err, n, "adapter: scale out of range for a fixed-point multiplier", NULL);
        return EP_ERR_QUANT;
    }
    return EP_OK;
}

/* the smallest shift that maps the first example's largest D x to <= 32 of 127 (as LoRA) */
static int32_t calibrate(const int32_t *hacc, int32_t n)
{
    uint32_t mx = 1;
    int32_t s = 0;
    for (int32_t j = 0; j < n; ++j) {
        const uint32_t a = hacc[j] < 0 ? (uint32_t)0 - (uint32_t)hacc[j] : (uint32_t)hacc[j];
        mx = a > mx ? a : mx;
    }
    while ((mx >> s) > 32U) ++s;
    return s;
}

void ept_bn_forward(ept_trainer *t, ept_layer *L)
{
    const int32_t out = L->out, m = L->bn_m, np = L->pos, zy = L->out_zp;
    const int16_t *D = (const int16_t *)t->T[L->td].master, *U = (const int16_t *)t->T[L->tu].master;
    for (int32_t p = 0; p < np; ++p) {
        const int8_t *y0 = L->y0 + (size_t)p * (size_t)out;
        for (int32_t j = 0; j < m; ++j) L->bn_hacc[p * m + j] = ept_dot_m16_off(D + (size_t)j * (size_t)out, y0, zy, out);
    }
    if (L->bn_sh < 0) L->bn_sh = calibrate(L->bn_hacc, m * np);
    for (int32_t j = 0; j < m * np; ++j) {
        const int32_t h = ept_rdiv(L->bn_hacc[j], L->bn_sh);
        L->bn_h8[j] = (int8_t)(h < 0 ? 0 : (h > 127 ? 127 : h)); /* ReLU, then the int8 clamp */
    }
    for (int32_t p = 0; p < np; ++p) {
        const int8_t *y0 = L->y0 + (size_t)p * (size_t)out, *h8 = L->bn_h8 + (size_t)p * (size_t)m;
        int8_t *y = L->y + (size_t)p * (size_t)out;
        ept_mult k = L->bn_out;
        k.s += L->bn_sh; /* h8 carries 2^bn_sh */
        for (int32_t i = 0; i < out; ++i) {
            const int32_t u = ept_dot_m16_off(U + (size_t)i * (size_t)m, h8, 0, m);
            const int32_t v = (int32_t)y0[i] + ept_mbqm(u, k);
            /* the layer's own clamp (ReLU floor, RELU6 ceiling) bounds y' too */
            y[i] = (int8_t)(v < L->act_min ? L->act_min : (v > L->act_max ? L->act_max : v));
        }
    }
}

/* d at y' (dacc, units 2^E) -> d at y0 in dacc. U and D are visited with their pre-update
 * values already used for the input gradient (the rest of the sweep reads neither). */
void ept_bn_backward(ept_trainer *t, struct ept_visit_ctx_s *c, ept_layer *L, int32_t *dacc, int32_t *E)
{
    const int32_t out = L->out, m = L->bn_m, np = L->pos;
    const int16_t *D = (const int16_t *)t->T[L->td].master, *U = (const int16_t *)t->T[L->tu].master;
    int32_t eg;
    /* STE at y's clamp: under a fused ReLU the floor is the activation (slope 0 both ways, as
     * relu(y0 + U h) in float); at plain int8 saturation only the outward component drops */
    const int act = L->relu == EP_ACT_RELU || L->relu == EP_ACT_RELU6;
    for (int32_t k = 0; k < out * np; ++k) {
        const int32_t y = L->y[k];
        if (act && y <= L->act_min) dacc[k] = 0;
        if (L->relu == EP_ACT_RELU6 && L->act_max < 127 && y >= L->act_max) dacc[k] = 0;
        if ((y >= L->act_max && dacc[k] < 0) || (y <= L->act_min && dacc[k] > 0)) dacc[k] = 0;
    }
    *E += ept_normalise16(dacc, t->d16, out * np);
    for (int32_t p = 0; p < np; ++p) {
        const int16_t *dp = t->d16 + (size_t)p * (size_t)out;
        for (int32_t j = 0; j < m; ++j) {
            const int32_t hj = L->bn_h8[p * m + j];
            int32_t g = 0;
            for (int32_t i = 0; i < out; ++i) g += ept_v8(U[i * m + j]) * dp[i];
            /* ReLU slope 0 at h <= 0; at the int8 clamp only the outward component drops */
            if (hj == 0 || (hj == 127 && g < 0)) g = 0;
            L->bn_hacc[p * m + j] = g; /* the forward's D y0 is no longer needed */
        }
    }
    eg = ept_normalise16(L->bn_hacc, t->gh16, m * np);
    {
        ept_mult k = L->bn_dx;
        k.s += eg;
        for (int32_t p = 0; p < np; ++p) {
            const int16_t *dp = t->d16 + (size_t)p * (size_t)out, *gp = t->gh16 + (size_t)p * (size_t)m;
            int32_t *dx = dacc + (size_t)p * (size_t)out;
            for (int32_t i = 0; i < out; ++i) dx[i] = 0;
            for (int32_t j = 0; j < m; ++j) ept_axpy_m16(dx, D + (size_t)j * (size_t)out, gp[j], out);
            /* residual: d y0 = d y' + D^T g */
            for (int32_t i = 0; i < out; ++i) dx[i] = dp[i] + ept_mbqm(dx[i], k);
        }
    }
    ept_visit(t, c, L->tu, t->d16, out, L->bn_h8, m, 0, *E + L->bn_sh, np);
    ept_visit(t, c, L->td, t->gh16, m, L->y0, out, -L->out_zp, *E + eg, np);
}

int32_t ept_rec_shift(const ept_trainer *t, const ept_tensor *T)
{
    const ept_layer *L = &t->L[T->layer];
    return T->kind == EPT_T_A ? L->sh_h : (T->kind == EPT_T_D ? L->bn_sh : 0);
}

void ept_set_rec_shift(ept_trainer *t, const ept_tensor *T, int32_t sh)
{
    ept_layer *L = &t->L[T->layer];
    if (T->kind == EPT_T_A) L->sh_h = sh;
    if (T->kind == EPT_T_D) L->bn_sh = sh;
}
