/* Prepare time: frozen layer parameters from the model and every fixed-point constant of
 * the trainer. The only floating point of the trainer lives here (IEEE double, no libm
 * beyond sqrt, which IEEE rounds exactly), so every target derives the same constants. */
#include <math.h>

#include "train_internal.h"

static ep_status mult(double real, ept_mult *out, char *err, size_t n)
{
    if (ept_mult_from(real, out) != EP_OK) {
        ept_err(err, n, "scale out of range for a fixed-point multiplier", NULL);
        return EP_ERR_QUANT;
    }
    return EP_OK;
}

/* Weight scale of output row i (per-tensor weights: the one scale). */
static double row_scale(const ept_trainer *t, const ept_layer *L, int32_t i)
{
    ep_op_info op;
    ep_tensor_info tw;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK ||
        ep_model_tensor(t->model, op.inputs[1], &tw) != EP_OK) {
        return 0.0;
    }
    return (double)ep_tensor_scale(&tw, tw.scale_count > 1 ? i : 0);
}

/* Global average pool: only the output clamp (same quantisation in and out). */
static ep_status pool_frozen(ept_trainer *t, ept_layer *L, char *err, size_t n)
{
    ep_op_info op;
    ep_tensor_info to;
    ep_activation act;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK ||
        ep_model_tensor(t->model, op.outputs[0], &to) != EP_OK) {
        return EP_ERR_MODEL;
    }
    L->in_tensor = op.inputs[0];
    L->out_tensor = op.outputs[0];
    L->s_x = L->s_y = ep_tensor_scale(&to, 0);
    L->in_zp = L->out_zp = ep_tensor_zero_point(&to, 0);
    if (op.opcode == EP_OP_MEAN) {
        /* the engine's MEAN (ep_mean_s8): int32 sum - z_in * count, requantised, + z_out */
        ep_tensor_info ti;
        if (ep_model_tensor(t->model, op.inputs[0], &ti) != EP_OK) return EP_ERR_MODEL;
        L->mean = 1;
        L->s_x = ep_tensor_scale(&ti, 0);
        L->in_zp = ep_tensor_zero_point(&ti, 0);
        L->act_min = -128;
        L->act_max = 127;
        L->relu = 0;
        if (ep_mean_multiplier((double)L->s_x, (double)L->s_y, L->pool_count, true,
                               &L->mean_q.multiplier, &L->mean_q.shift) != EP_OK) {
            ept_err(err, n, "MEAN: bad scales", NULL);
            return EP_ERR_QUANT;
        }
        return EP_OK;
    }
    if (ep_activation_range(op.options.activation, ep_tensor_scale(&to, 0), L->out_zp, -128, 127,
                            &act) != EP_OK) {
        ept_err(err, n, "AVERAGE_POOL_2D: unsupported fused activation", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    L->act_min = act.min;
    L->act_max = act.max;
    L->relu = op.options.activation;
    return EP_OK;
}

/* The real-valued function of an activation operator. */
static double act_real(int32_t code, double alpha, double x)
{
    switch (code) {
    case EP_OP_LOGISTIC: return 1.0 / (1.0 + exp(-x));
    case EP_OP_TANH: return tanh(x);
    case EP_OP_RELU: return x > 0.0 ? x : 0.0;
    case EP_OP_RELU6: return x > 0.0 ? (x < 6.0 ? x : 6.0) : 0.0;
    case EP_OP_LEAKY_RELU: return x > 0.0 ? x : alpha * x;
    default: { /* HARD_SWISH: x relu6(x + 3) / 6 */
        const double r = x + 3.0;
        return x * (r > 0.0 ? (r < 6.0 ? r : 6.0) : 0.0) / 6.0;
    }
    }
}

/* An activation operator: the engine's table for the forward, and for the backward
 * (d x = f'(x) d y, the real-valued gradient keeping its scale, s_delta) the slope at each
 * input byte as the secant of f over the byte's quantisation step, (f(x + s/2) - f(x - s/2))
 * / s: the mean of f' over the real inputs that quantise to it. It equals f' where f is
 * smooth, and at a kink on the step (RELU's zero) gives the mean of both sides, used when
 * the sign within the step is unknown; the backward takes the side from the producing
 * layer's accumulator sign when it has one (backward.c). */
static ep_status act_frozen(ept_trainer *t, ept_layer *L, char *err, size_t n)
{
    ep_op_info op;
    ep_tensor_info ti, to;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK ||
        ep_model_tensor(t->model, op.inputs[0], &ti) != EP_OK ||
        ep_model_tensor(t->model, op.outputs[0], &to) != EP_OK || ti.scale_count < 1) {
        return EP_ERR_MODEL;
    }
    const ep_status st = ep_activation_table(t->model, L->op_index, L->act_lut, err, n);
    if (st != EP_OK) return st;
    L->in_tensor = op.inputs[0];
    L->out_tensor = op.outputs[0];
    L->s_x = ep_tensor_scale(&ti, 0);
    L->in_zp = ep_tensor_zero_point(&ti, 0);
    L->s_y = to.scale_count > 0 ? ep_tensor_scale(&to, 0) : 0.0;
    L->out_zp = to.scale_count > 0 ? ep_tensor_zero_point(&to, 0) : 0;
    const double alpha = op.opcode == EP_OP_LEAKY_RELU ? (double)op.options.alpha : 0.0;
    for (int32_t v = -128; v < 128; ++v) {
        const double x = L->s_x * (double)(v - L->in_zp), h = 0.5 * L->s_x;
        const double d = (act_real(op.opcode, alpha, x + h) - act_real(op.opcode, alpha, x - h)) /
                         L->s_x;
        if (!(d > -32767.0 && d < 32767.0)) {
            ept_err(err, n, "activation slope out of range: ", ep_op_name(&op));
            return EP_ERR_UNSUPPORTED;
        }
        L->act_slope[(uint8_t)(int8_t)v] = (int32_t)lround(d * 65536.0);
    }
    L->act_kink = op.opcode == EP_OP_RELU || op.opcode == EP_OP_RELU6 || op.opcode == EP_OP_LEAKY_RELU;
    L->act_lo = op.opcode == EP_OP_LEAKY_RELU ? (int32_t)lround(alpha * 65536.0) : 0;
    L->act_hi = 1 << 16;
    if (L->act_kink && !(alpha > -32767.0 && alpha < 32767.0)) {
        ept_err(err, n, "activation slope out of range: ", ep_op_name(&op));
        return EP_ERR_UNSUPPORTED;
    }
    return EP_OK;
}

static ep_status layer_frozen(ept_trainer *t, ept_layer *L, char *err, size_t n)
{
    ep_op_info op;
    ep_tensor_info ti, tw, to, tb;
    ep_activation act;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK ||
        ep_model_tensor(t->model, op.inputs[0], &ti) != EP_OK ||
        ep_model_tensor(t->model, op.inputs[1], &tw) != EP_OK ||
        ep_model_tensor(t->model, op.outputs[0], &to) != EP_OK) {
        return EP_ERR_MODEL;
    }
    L->in_tensor = op.inputs[0];
    L->out_tensor = op.outputs[0];
    L->w = (const int8_t *)tw.data;
    L->bias = NULL;
    if (op.input_count > 2 && op.inputs[2] >= 0) {
        if (ep_model_tensor(t->model, op.inputs[2], &tb) != EP_OK || tb.type != EP_TYPE_INT32 ||
            tb.elements != L->out || tb.data == NULL) {
            ept_err(err, n, ep_op_name(&op), ": bias must be constant int32 [out]");
            return EP_ERR_UNSUPPORTED;
        }
        L->bias = (const int32_t *)tb.data;
    }
    for (int32_t i = 0; i < tw.zero_point_count; ++i) {
        if (ep_tensor_zero_point(&tw, i) != 0) {
            ept_err(err, n, ep_op_name(&op), ": weights must be symmetric (zero point 0)");
            return EP_ERR_UNSUPPORTED;
        }
    }
    const float sx = ep_tensor_scale(&ti, 0), sy = ep_tensor_scale(&to, 0);
    L->in_zp = ep_tensor_zero_point(&ti, 0);
    L->out_zp = ep_tensor_zero_point(&to, 0);
    if (ep_activation_range(op.options.activation, sy, L->out_zp, -128, 127, &act) != EP_OK) {
        ept_err(err, n, "unsupported fused activation", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    L->act_min = act.min;
    L->act_max = act.max;
    L->relu = op.options.activation; /* EP_ACT_*: decides the slope at the clamps */
    L->s_x = sx;
    L->s_y = sy;
    L->s_wref = 0.0;
    const int per_channel = tw.scale_count > 1;
    if (per_channel && tw.scale_count != L->out) {
        ept_err(err, n, ep_op_name(&op), ": per-channel weights need one scale per output row");
        return EP_ERR_QUANT;
    }
    for (int32_t i = 0; i < L->out; ++i) {
        const float sw = ep_tensor_scale(&tw, per_channel ? i : 0);
        double real;
        L->s_wref = sw > L->s_wref ? sw : L->s_wref;
        /* TFLM: per-tensor FC forms s_in*s_w in float32; per-channel FC and every CONV_2D
         * (PopulateConvolutionQuantizationParams) in double. */
        if (per_channel || L->type == EPT_LAYER_CONV1X1) {
            real = (double)sx * (double)sw / (double)sy;
        } else {
            real = (double)(float)(sx * sw) / (double)sy;
        }
        if (ep_quantize_multiplier(real, &L->req[i].m, &L->req[i].s) != EP_OK) {
            return EP_ERR_QUANT;
        }
    }
    if (per_channel) {
        for (int32_t i = 0; i < L->out; ++i) {
            ep_status st = mult(row_scale(t, L, i) / L->s_wref, &L->wratio[i], err, n);
            if (st != EP_OK) return st;
        }
    } else {
        L->wratio = NULL;
    }
    return EP_OK;
}

/* DP and EWC constants common to every tensor kind. */
static ep_status tensor_common(ept_trainer *t, ept_tensor *T, double master_unit, char *err,
                               size_t n)
{
    const double lr = (double)t->cfg.lr_u * 1e-6;
    const double clip = (double)t->cfg.dp_clip_u * 1e-6;
    const double sigma = (double)t->cfg.dp_sigma_u * 1e-6;
    const double lambda = (double)t->cfg.ewc_lambda_m * 1e-3;
    ep_status st = EP_OK;
    if (master_unit > 0.0) {
        st = mult(lr * T->grad_c / master_unit, &T->k_upd, err, n);
    }
    if (st == EP_OK && clip > 0.0) {
        st = mult(T->grad_c * T->grad_c / (clip * clip), &T->k_dp, err, n);
        if (st == EP_OK) st = mult(sigma * clip / T->grad_c, &T->k_noise, err, n);
    }
    if (st == EP_OK && lambda > 0.0) {
        st = mult(lr * lambda * T->grad_c * T->grad_c, &T->k_ewc0, err, n);
    }
    return st;
}

ep_status ept_net_prepare(ept_trainer *t, char *err, size_t n)
{
    double s_delta;
    ep_status st;
    ep_op_info op;
    const double alpha_r = (double)t->cfg.alpha / (double)t->cfg.rank;
    /* softmax after the last FC: its beta scales dL/dlogits; absent, train as if beta 1 */
    t->beta = 1.0;
    t->softmax_present = 0;
    if (ep_model_op(t->model, t->model->operator_count - 1, &op) == EP_OK &&
        op.opcode == EP_OP_SOFTMAX) {
        t->softmax_present = 1;
        t->beta = op.options.beta > 0.0f ? (double)op.options.beta : 1.0;
    }
    /* dL/dlogit = beta (p - onehot); p in 1/256 units from the int8 softmax */
    s_delta = t->beta / 256.0;
    for (int32_t l = t->nl - 1; l >= 0; --l) {
        ept_layer *L = &t->L[l];
        L->s_delta = s_delta;
        if (L->type == EPT_LAYER_ACT) {
            if (l == t->nl - 1) {
                ept_err(err, n, "an activation operator cannot produce the logits", NULL);
                return EP_ERR_UNSUPPORTED;
            }
            st = act_frozen(t, L, err, n);
            if (st != EP_OK) return st;
            continue; /* d x = f'(x) d y in real units: s_delta unchanged */
        }
        if (L->type == EPT_LAYER_AVGPOOL) {
            if (l == t->nl - 1) {
                ept_err(err, n, "AVERAGE_POOL_2D / MEAN cannot produce the logits", NULL);
                return EP_ERR_UNSUPPORTED;
            }
            st = pool_frozen(t, L, err, n);
            if (st != EP_OK) return st;
            /* d x[p] = d y / count: the integer gradient is broadcast unchanged */
            s_delta /= (double)L->pool_count;
            continue;
        }
        if (L->out > 1024) {
            /* int32 backward sums: 1024 rows x 127 x 2^14 stays below 2^31 */
            ept_err(err, n, "trainer supports layers up to 1024 outputs", NULL);
            return EP_ERR_LIMIT;
        }
        st = layer_frozen(t, L, err, n);
        if (st != EP_OK) return st;
        if (l == t->nl - 1) {
            st = ep_softmax_prepare(t->beta, L->s_y, &t->smx);
            if (st != EP_OK) return st;
        }
        if (L->ta >= 0) {
            ept_tensor *A = &t->T[L->ta], *B = &t->T[L->tb];
            const double bound = 1.0 / sqrt((double)L->in); /* LoRA's kaiming-uniform bound */
            /* A starts in +-32 view units: 4x room to grow (at +-63, A clamped at 127 on
             * some inputs by lr 0.001, docs/training.md "Numerics"); B full scale lets
             * alpha*B*A reach about twice the largest frozen weight. */
            L->s_a = bound / 32.0;
            L->s_b = 2.0 * L->s_wref / ((double)t->cfg.alpha * bound);
            for (int32_t i = 0; i < L->out; ++i) {
                st = mult(alpha_r * L->s_a * L->s_b / row_scale(t, L, i), &L->side[i], err, n);
                if (st != EP_OK) return st;
            }
            st = mult(alpha_r * L->s_a * L->s_b / L->s_wref, &L->lora_dx, err, n);
            if (st != EP_OK) return st;
            A->view_scale = L->s_a;
            B->view_scale = L->s_b;
            A->grad_c = alpha_r * L->s_b * s_delta * L->s_x;
            B->grad_c = alpha_r * s_delta * L->s_x * L->s_a;
        }
        if (L->tbias >= 0) {
            ept_tensor *T = &t->T[L->tbias];
            T->grad_c = s_delta;
            T->view_scale = L->s_x * L->s_wref; /* nominal; rows use s_x * s_w[i] */
        }
        if (L->tw >= 0) {
            /* full fine-tune: dL/dW[i][j] = delta_i x_j; rows use s_w[i] (ept_full_rates) */
            ept_tensor *T = &t->T[L->tw];
            T->grad_c = s_delta * L->s_x;
            T->view_scale = L->s_wref; /* nominal, like the bias */
        }
        if (L->td >= 0) {
            st = ept_bn_prepare(t, L, err, n);
            if (st != EP_OK) return st;
        }
        if (L->tp >= 0) {
            ept_tensor *T = &t->T[L->tp];
            T->view_scale = L->s_x;
            T->grad_c = L->s_wref * s_delta; /* gradient at this layer's input */
        }
        s_delta *= L->s_wref;
    }
    t->momentum_q15 = (uint32_t)(((uint64_t)t->cfg.momentum_u * 32768U + 500000U) / 1000000U);
    return ept_net_rates(t, err, n);
}

/* Every multiplier that depends on lr, EWC lambda or the DP settings, from t->cfg. Split
 * from ept_net_prepare so ept_set_rates can change them between steps: the same IEEE
 * double derivation as at init, so every target still derives identical constants. */
ep_status ept_net_rates(ept_trainer *t, char *err, size_t n)
{
    const double lr = (double)t->cfg.lr_u * 1e-6;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        const ept_layer *L = &t->L[T->layer];
        ep_status st;
        if (T->kind == EPT_T_BIAS) {
            for (int32_t r = 0; r < L->out; ++r) {
                st = mult(lr * L->s_delta * 256.0 / (L->s_x * row_scale(t, L, r)), &T->k_rows[r], err, n);
                if (st != EP_OK) return st;
            }
            st = tensor_common(t, T, 0.0, err, n);
        } else if (T->kind == EPT_T_W) {
            st = ept_full_rates(t, T, err, n);
            if (st == EP_OK) st = tensor_common(t, T, 0.0, err, n);
        } else {
            /* master unit: 1/256 of a view unit (EPT_MASTER_FRAC = 8) */
            st = tensor_common(t, T, T->view_scale / 256.0, err, n);
        }
        if (st != EP_OK) return st;
        ept_ewc_fold(T);
    }
    return EP_OK;
}

void ept_ewc_fold(ept_tensor *T)
{
    T->k_ewc = T->k_ewc0;
    if (T->fcount > 1) {
        /* the mean over samples folds into the multiplier: m * (2^31 / N) >> 31 */
        const uint64_t recip = ((uint64_t)1 << 31) / (uint64_t)T->fcount;
        T->k_ewc.m = (int32_t)(((uint64_t)T->k_ewc0.m * recip) >> 31);
    }
}
