/* Trainer internals shared by the native/train sources (not part of the public API). */
#ifndef EPT_TRAIN_INTERNAL_H
#define EPT_TRAIN_INTERNAL_H

#include "edge_peft.h"

/* Master weights keep this many bits below the int8 (or int32 bias) view, so updates
 * smaller than one int8 step accumulate instead of stalling. */
#define EPT_MASTER_FRAC 8
/* Update arithmetic keeps 16 fraction bits before the stochastic rounding. */
#define EPT_UPD_FRAC 16

/* EPT_T_W: a full fine-tune's weight matrix (out x in, int16 master, per-row rates). */
/* EPT_T_D / EPT_T_U: a bottleneck adapter's down (width x out) and up (out x width) projections. */
enum { EPT_T_A = 0, EPT_T_B = 1, EPT_T_BIAS = 2, EPT_T_PROMPT = 3, EPT_T_W = 4, EPT_T_D = 5, EPT_T_U = 6 };

typedef struct {
    int32_t m, s;   /* Q0.31 multiplier and power-of-two shift (positive = left) */
} ept_mult;

/* One trainable tensor. Master int16 (int32 for bias), view int8 (int32 for bias). */
typedef struct {
    int32_t kind, layer, size;
    int32_t rows, cols;          /* A: r x in, B: out x r, bias: out x 1, prompt: len x 1 */
    void *master;
    int32_t *view;               /* bias only (int32); int8 views: ept_v8(master) */
    void *mom;                   /* momentum in master units, same type as master; or NULL */
    uint16_t *fisher;            /* EWC: F mantissas (NULL when EWC off) */
    void *anchor;                /* EWC: theta* (master type) */
    int32_t fexp;                /* F = fisher * 2^fexp (units of grad_c^2) */
    int32_t fmax;
    int32_t fcount;              /* samples accumulated */
    ept_mult k_upd;              /* lr * grad_c / master unit (bias, full W: per row, k_rows) */
    ept_mult *k_rows;
    ept_mult k_dp;               /* grad_c^2 / C^2 */
    ept_mult k_noise;            /* lr * sigma * C / master unit, applied to Q16 normals */
    ept_mult k_ewc0;             /* lr * lambda * grad_c^2 */
    ept_mult k_ewc;              /* k_ewc0 / N, set when anchoring */
    double view_scale;           /* real value of one view unit (export, host tools) */
    double grad_c;               /* real gradient = grad_c * P * 2^exp */
} ept_tensor;

typedef struct {
    /* frozen layer, from the model */
    int32_t op_index, fc_index, in_tensor, out_tensor;
    int32_t type;                /* EPT_LAYER_*; a pool has in = out = channels */
    int32_t pos;                 /* spatial positions of the input (FC: 1) */
    const int8_t *w;
    const int32_t *bias;
    int32_t in, out;
    int32_t in_zp, out_zp, act_min, act_max;
    int32_t relu;                /* fused activation: clamp at act_min/max is a zero slope */
    ept_mult *req;               /* per output row (per-tensor FC repeats one value) */
    ept_mult *wratio;            /* s_w[i] / s_wref per row, NULL for per-tensor weights */
    /* adapters: tensor indices or -1 */
    int32_t ta, tb, tbias, tp;
    int32_t tw;                  /* full fine-tune: W read from this tensor's master, or -1 */
    /* bottleneck adapter (bottleneck.c): tensors or -1, width, h shift (-1 = not calibrated),
     * the layer's own output y0 (the adapter's input; L->y is then y'), h, constants */
    int32_t td, tu, bn_m, bn_sh;
    int8_t *y0, *bn_h8;
    int32_t *bn_hacc;
    ept_mult bn_out;             /* s_U s_D: U h (h8 units) -> output units, before bn_sh */
    ept_mult bn_dx;              /* s_U s_D: D^T g -> gradient units at y */
    int32_t rank, sh_h, plen;
    int32_t pool_count;          /* AVERAGE_POOL_2D / MEAN: taps averaged (= pos) */
    int32_t mean;                /* the pool is a MEAN: its own requantisation (mean_q) */
    ep_per_tensor_quant_params mean_q; /* s_in / s_out with 1 / count folded, as TFLM */
    int8_t *act_lut;             /* EPT_LAYER_ACT: output by input byte (ep_activation_table) */
    int32_t *act_slope;          /* EPT_LAYER_ACT: f' over the input byte's step, Q16 */
    int32_t act_kink;            /* EPT_LAYER_ACT: f has a kink at 0 (RELU, RELU6, LEAKY_RELU) */
    int32_t act_lo, act_hi;      /* ... and its slopes below and above 0, Q16 */
    ept_mult *side;              /* (alpha/r) s_A s_B / s_w[i] per row, before sh_h */
    ept_mult lora_dx;            /* (alpha/r) s_A s_B / s_wref */
    /* prepare-time scales */
    double s_x, s_wref, s_y, s_a, s_b, s_delta;
    /* per-step scratch */
    const int8_t *x;             /* input as seen by the layer (prompt applied), this step */
    int8_t *xbuf;                /* own input buffer (prompt layers only) */
    int8_t *y;                   /* output */
    uint8_t *neg;                /* pre-activation accumulator <= 0 (ReLU slope 0) */
    int8_t *h8;                  /* LoRA A x, requantised */
    int32_t *hacc;
} ept_layer;

struct ept_trainer {
    uint32_t magic;
    ept_config cfg;
    const ep_model *model;
    int32_t nl;                  /* layers in the suffix */
    ept_layer *L;                /* nl layers, carved from the arena (sized by the model) */
    int32_t nt, nt_cap;
    ept_tensor *T;               /* nt_cap tensors, carved from the arena */
    int32_t first_op, latent_tensor, latent_bytes, classes;
    int32_t fc_total;
    int32_t lowest;              /* lowest layer that needs a gradient */
    ep_softmax_params smx;
    int32_t softmax_present;
    double beta;
    int8_t *probs;
    /* ept_step_soft / ept_gradient_soft: the target distribution (x 256) for this call's
     * backward, NULL otherwise (the one-hot label) */
    const uint8_t *soft;
    int32_t *dacc;               /* int32 gradient scratch, max(in, out) */
    int32_t grad_dim;            /* dacc elements (the forward borrows it as int16 x) */
    int16_t *d16;                /* normalised upstream gradient (layer output) */
    int16_t *dx16;               /* normalised gradient at layer input */
    int16_t *gh16;               /* LoRA gradient into h, rank x positions */
    uint32_t step;
    int32_t last_clip_q30;
    int32_t fisher_n;
    int32_t ewc_on;              /* anchored */
    uint32_t momentum_q15;
    uint32_t param_count;
    /* activation recomputation (forward.c): layer outputs alternate between two buffers, no
     * ReLU masks are stored, h8 / hacc are shared; the backward recomputes what it reads */
    int32_t rc;
    const int8_t *latent;        /* this step's latent (the only activation kept) */
    int32_t live;                /* highest layer whose output is valid in its buffer */
    int32_t dacc_live;           /* 1 while dacc holds a gradient: the forward may not borrow it */
    /* lent per-step scratch (ept_init_scratch), or 0 / 0: a latent inside it would be
     * overwritten by the forward that reads it, so calls refuse one */
    uintptr_t scr_lo, scr_hi;
};

/* 1 when [p, p + n) shares bytes with the trainer's lent scratch. */
static inline int ept_in_scratch(const struct ept_trainer *t, const void *p, uint32_t n)
{
    const uintptr_t a = (uintptr_t)p;
    return t->scr_hi > t->scr_lo && a < t->scr_hi && t->scr_lo < a + n;
}

static inline int32_t ept_dot_s8_off(const int8_t *a, const int8_t *x, int32_t zx, int32_t n);
static inline int32_t ept_dot_s8_s16(const int8_t *a, const int16_t *x16, int32_t n);
static inline int32_t ept_dot_m16_s16(const int16_t *m, const int16_t *x16, int32_t n);
static inline int32_t ept_dot_m16_off(const int16_t *m, const int8_t *x, int32_t zx, int32_t n);

/* Row i of a layer's weights times one input position (x, or its widened x16): the frozen
 * int8 row or, under a full fine-tune, the view of its master (equal integers at init). */
static inline int32_t ept_w_dot(const struct ept_trainer *t, const ept_layer *L, int32_t i,
                                const int8_t *x, const int16_t *x16)
{
    const size_t o = (size_t)i * (size_t)L->in;
    if (L->tw >= 0) {
        const int16_t *m = (const int16_t *)t->T[L->tw].master + o;
        return x16 != NULL ? ept_dot_m16_s16(m, x16, L->in) : ept_dot_m16_off(m, x, L->in_zp, L->in);
    }
    return x16 != NULL ? ept_dot_s8_s16(L->w + o, x16, L->in) : ept_dot_s8_off(L->w + o, x, L->in_zp, L->in);
}

/* STE mask of one output (backward.c): at a fused activation's clamp the slope is zero (ReLU:
 * from the sign of the int32 pre-activation, so units that round to zero stay alive); at plain
 * int8 saturation only the component that would push further out is dropped. */
static inline int32_t ept_mask1(const ept_layer *L, int32_t y, int32_t neg, int32_t d)
{
    if (L->relu == EP_ACT_RELU || L->relu == EP_ACT_RELU6) {
        if (neg) d = 0;
    } else if (y <= L->act_min && (L->relu != EP_ACT_NONE || d > 0)) {
        d = 0;
    }
    if (y >= L->act_max && ((L->relu != EP_ACT_NONE && L->act_max < 127) || d < 0)) d = 0;
    return d;
}

/* Hot loops: branch-free, unit stride, int32 accumulation, so compilers vectorise them
 * (SIMD on x86, SMLAD-friendly on Cortex-M4). sum a[k] * (x[k] - zx). */
static inline int32_t ept_dot_s8_off(const int8_t *a, const int8_t *x, int32_t zx, int32_t n)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) acc += (int32_t)a[k] * ((int32_t)x[k] - zx);
    return acc;
}

/* sum a[k] * x16[k] with x16 = x - zx widened once per input vector: an int8 x int16 dot
 * product compilers map to multiply-add pairs (pmaddwd; SMLAD on Cortex-M4). */
static inline int32_t ept_dot_s8_s16(const int8_t *a, const int16_t *x16, int32_t n)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) acc += (int32_t)(int16_t)a[k] * x16[k];
    return acc;
}

/* The int8 view of an int16 master (A, B, prompt): sat8(rdiv(m, 2^8)), a pure function of
 * the master, so it is derived where it is read instead of stored (1 byte per parameter
 * less; bias keeps its int32 view: an imported saturated bias view is not rdiv(master)).
 * For int16 m, m >> 8 is in [-128, 127] and the rounding adds at most 1: only 128 clamps. */
static inline int32_t ept_v8(int32_t m)
{
    const int32_t v = ep_rounding_divide_by_pot(m, EPT_MASTER_FRAC);
    return v > 127 ? 127 : v;
}

/* The dot products and axpy above on the views of int16 masters (same integers). */
static inline int32_t ept_dot_m16_s16(const int16_t *m, const int16_t *x16, int32_t n)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) acc += ept_v8(m[k]) * x16[k];
    return acc;
}

static inline int32_t ept_dot_m16_off(const int16_t *m, const int8_t *x, int32_t zx, int32_t n)
{
    int32_t acc = 0;
    for (int32_t k = 0; k < n; ++k) acc += ept_v8(m[k]) * ((int32_t)x[k] - zx);
    return acc;
}

static inline void ept_axpy_m16(int32_t *acc, const int16_t *m, int32_t g, int32_t n)
{
    for (int32_t k = 0; k < n; ++k) acc[k] += ept_v8(m[k]) * g;
}

/* acc[k] += a[k] * g over n: the transposed products of the backward. */
static inline void ept_axpy_s8(int32_t *acc, const int8_t *a, int32_t g, int32_t n)
{
    for (int32_t k = 0; k < n; ++k) acc[k] += (int32_t)a[k] * g;
}

/* Small fixed-point helpers, inline: they sit in every per-parameter and per-row loop. */
static inline int32_t ept_mbqm(int32_t x, ept_mult k)
{
    /* Shifts outside TFLM's range would be UB in the engine helper; clamp them. */
    if (k.m == 0 || k.s < -62) {
        return 0;
    }
    if (k.s < -31) {
        /* Very small multipliers (side path with large sh_h swings): do it in 64 bits. */
        const int64_t p = (int64_t)x * k.m;
        const int32_t sh = 31 - k.s;
        return (int32_t)((p + ((int64_t)1 << (sh - 1))) >> sh);
    }
    if (k.s > 30) {
        return x > 0 ? INT32_MAX : (x < 0 ? INT32_MIN : 0);
    }
    return ep_requantize(x, k.m, k.s);
}

static inline int32_t ept_rdiv(int32_t x, int32_t e)
{
    if (e <= 0) {
        return x;
    }
    if (e > 31) {
        return 0;
    }
    return ep_rounding_divide_by_pot(x, e);
}

static inline int8_t ept_sat8(int32_t v)
{
    return (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
}

static inline int16_t ept_sat16(int32_t v)
{
    return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

/* "lowbias32" integer hash (C. Wellons): a full-avalanche 32-bit mixer, so the stream
 * is counter based: any (seed, stream, counter) is reachable without state. */
static inline uint32_t ept_hash(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* fixed.c */
ep_status ept_mult_from(double real, ept_mult *out);
uint32_t ept_rand(uint32_t seed, uint32_t stream, uint32_t counter);
int32_t ept_normal_q16(uint32_t seed, uint32_t stream, uint32_t counter);
int32_t ept_normalise16(const int32_t *v, int16_t *out, int32_t n);
int32_t ept_log2_q16(uint32_t x);
uint32_t ept_isqrt64(uint64_t x);
int64_t ept_scale_q16(int64_t p, ept_mult k, int32_t extra_exp);
int32_t ept_stoch_round(int64_t q16, uint32_t rnd);

/* net.c: suffix discovery and prepare-time constants */
ep_status ept_net_scan(const ep_model *model, const ept_config *cfg, ept_plan_info *p,
                       char *err, size_t err_size);
ep_status ept_net_prepare(ept_trainer *t, char *err, size_t err_size);
/* net_shapes.c: the per-operator checks of the scan. 1 and the layer's features in / out per
 * position and positions when the operator is adaptable (FULLY_CONNECTED, 1x1 stride-1 CONV_2D) */
int ept_adaptable(const ep_model *m, const ep_op_info *op, int32_t *in, int32_t *out,
                  int32_t *pos);
/* ept_adaptable plus the trainer's limits (quantised, batch 1, bounded sizes), by name */
ep_status ept_fc_shape(const ep_model *m, const ep_op_info *op, int32_t *in, int32_t *out,
                       int32_t *pos, char *err, size_t n);
/* a frozen global int8 AVERAGE_POOL_2D / MEAN over H and W: channels and positions */
ep_status ept_pool_shape(const ep_model *m, const ep_op_info *op, int32_t *c, int32_t *pos,
                         char *err, size_t n);
ep_status ept_mean_shape(const ep_model *m, const ep_op_info *op, int32_t *c, int32_t *pos,
                         char *err, size_t n);
/* 1 for an operator of a shape-only subgraph; marks its outputs in known (EP_MAX_TENSORS bits) */
int ept_shape_only(const ep_model *m, const ep_op_info *op, uint8_t *known);
/* 1 when the layer's weights carry one scale per output row (its wratio is carved) */
int ept_per_channel(const ep_model *m, int32_t op_index);
ep_status ept_net_rates(ept_trainer *t, char *err, size_t err_size);
/* k_ewc = k_ewc0 / (samples in the Fisher) */
void ept_ewc_fold(ept_tensor *T);
/* trainer.c: A from the seeded PRNG (the init draw) */
void ept_init_lora_a(ept_trainer *t, ept_tensor *A, int32_t tidx);
/* full.c: the full fine-tune's W master = frozen W x 2^8 (view == W); per-row rates */
void ept_full_init(const ept_trainer *t, ept_tensor *T);
ep_status ept_full_rates(ept_trainer *t, ept_tensor *T, char *err, size_t n);
/* bottleneck.c: D drawn like LoRA A; y' = sat8(y0 + U relu(D (y0 - zy))) per position; the
 * backward from d at y' (dacc, int32, units 2^E) to d at y0, adapter visits included */
void ept_bn_init_d(const ept_trainer *t, ept_tensor *D, int32_t tidx);
ep_status ept_bn_prepare(ept_trainer *t, ept_layer *L, char *err, size_t n);
void ept_bn_forward(ept_trainer *t, ept_layer *L);
struct ept_visit_ctx_s;
void ept_bn_backward(ept_trainer *t, struct ept_visit_ctx_s *c, ept_layer *L, int32_t *dacc, int32_t *E);
/* the shift stored with a record (LoRA A: sh_h, adapter D: bn_sh; others 0) and its setter */
int32_t ept_rec_shift(const ept_trainer *t, const ept_tensor *T);
void ept_set_rec_shift(ept_trainer *t, const ept_tensor *T, int32_t sh);

/* forward.c / backward.c */
/* fit: a training step (ept_step / ept_gradient) may raise a LoRA h shift so h does not clamp;
 * inference and Fisher forwards leave the adapter as it is */
ep_status ept_fwd(ept_trainer *t, const int8_t *latent, int32_t label, ept_step_info *info, int fit);
enum { EPT_VISIT_UPDATE = 0, EPT_VISIT_GRAD, EPT_VISIT_FISHER };
ep_status ept_bwd(ept_trainer *t, int32_t label, int32_t mode, int32_t *mant,
                  uint32_t mant_count, ept_grad_layout *lay);
void ept_refresh_view(ept_tensor *T);
/* recomputation: forward of layers 0..upto-1 from t->latent; then layer l's outputs rebuilt
 * row by row and the STE mask applied to d in place (nothing of layer l is stored) */
void ept_fwd_range(ept_trainer *t, int32_t upto);
void ept_fwd_mask(ept_trainer *t, int32_t l, int32_t *d);

/* One backward sweep's visit state (update.c / backward.c). */
typedef struct ept_visit_ctx_s {
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
} ept_visit_ctx;

/* update.c: the parameter visits of one adapter tensor whose gradient is u (x) v (summed
 * over np positions), and the DP clip factor from the measured norm. */
void ept_visit(ept_trainer *t, ept_visit_ctx *c, int32_t ti, const int16_t *u, int32_t nu,
               const int8_t *v, int32_t nv, int32_t voff, int32_t X, int32_t np);
int32_t ept_clip_factor(uint64_t m, int32_t e);
/* norm_fisher.c */
void ept_norm_add(ept_visit_ctx *c, const ept_tensor *T, uint64_t su, uint64_t sv, int32_t X);
void ept_fisher_prepare(ept_tensor *T, uint64_t maxp2, int32_t X);
void ept_fisher_param(ept_tensor *T, int32_t idx, int64_t p, int32_t d);

/* adapter_io.c: CRC-32 (IEEE 802.3, reflected) of adapter and EWC-state bytes */
uint32_t ept_crc32(const uint8_t *p, size_t n);

/* snprintf-free error text (picolibc builds keep stdio out of the engine) */
void ept_err(char *err, size_t n, const char *a, const char *b);
/* adapter_io.c: formatted (ep_format: %d %u %s) error text; returns st. err may be NULL. */
ep_status ept_errf(char *err, size_t n, ep_status st, const char *fmt, ...);
/* The base-model SHA-256 recorded at `id` against the session's: EP_ERR_ARG naming both
 * (first 8 hex digits) and `what` ("adapter", "ewc", "checkpoint") on a mismatch. */
ep_status ept_check_model_id(const ept_trainer *t, const uint8_t *id, const char *what, char *err, size_t n);

#endif
