/* Trainer construction: carves the caller's arena exactly as ept_net_scan accounted it,
 * then initialises the adapters (A from the seeded PRNG, everything else zero). */
#include <string.h>

#include "train_internal.h"

#define EPT_MAGIC 0x45505452U /* "EPTR" */

typedef struct {
    uint8_t *p, *end;
} carver;

static void *take(carver *c, uint32_t bytes)
{
    const uint32_t b = (bytes + 3U) & ~3U;
    void *r;
    if (c->p == NULL || (size_t)(c->end - c->p) < b) {
        c->p = NULL;
        return NULL;
    }
    r = c->p;
    memset(r, 0, b);
    c->p += b;
    return r;
}

ep_status ept_plan(const ep_model *model, const ept_config *cfg, ept_plan_info *out, char *err,
                   size_t err_size)
{
    return ept_net_scan(model, cfg, out, err, err_size);
}

/* Only bias keeps a stored view (int32); int8 views are ept_v8(master) wherever read. */
void ept_refresh_view(ept_tensor *T)
{
    if (T->kind == EPT_T_BIAS) {
        const int32_t *m = (const int32_t *)T->master;
        for (int32_t i = 0; i < T->size; ++i) T->view[i] = ept_rdiv(m[i], EPT_MASTER_FRAC);
    }
}

static ept_tensor *new_tensor(ept_trainer *t, carver *c, int32_t kind, int32_t layer,
                              int32_t rows, int32_t cols, int32_t *index)
{
    ept_tensor *T;
    const int32_t size = rows * cols;
    const uint32_t mb = kind == EPT_T_BIAS ? 4U : 2U;  /* master element bytes */
    if (t->nt >= t->nt_cap) {
        return NULL;
    }
    *index = t->nt;
    T = &t->T[t->nt++];
    T->kind = kind;
    T->layer = layer;
    T->rows = rows;
    T->cols = cols;
    T->size = size;
    T->view = kind == EPT_T_BIAS ? (int32_t *)take(c, 4U * (uint32_t)size) : NULL;
    T->master = take(c, mb * (uint32_t)size);
    if (kind == EPT_T_BIAS || kind == EPT_T_W) {
        T->k_rows = (ept_mult *)take(c, 8U * (uint32_t)rows); /* per-row rates (weight scales) */
    }
    if (t->cfg.momentum_u != 0) {
        T->mom = take(c, mb * (uint32_t)size);
    }
    if (t->cfg.ewc_lambda_m != 0) {
        T->fisher = (uint16_t *)take(c, 2U * (uint32_t)size);
        T->anchor = take(c, mb * (uint32_t)size);
    }
    return c->p == NULL ? NULL : T;
}

/* c: persistent blocks; s: per-step scratch (the same carver when it is not separate) */
static ep_status carve_layers(ept_trainer *t, carver *c, carver *s, const ept_plan_info *p)
{
    const int32_t r = t->cfg.rank;
    int8_t *act[2] = {NULL, NULL}, *h8 = NULL;
    int32_t *hacc = NULL;
    if (t->rc) {
        /* recomputation: outputs alternate between two buffers (a layer's input and output
         * are never the same one), h8 / hacc shared; sized as ept_net_scan accounted */
        uint32_t buf[2] = {0, 0}, nh = 0;
        for (int32_t l = 0; l < t->nl; ++l) {
            const ept_layer_plan *lp = &p->layers[l];
            const uint32_t y = (uint32_t)lp->out * (lp->type == EPT_LAYER_AVGPOOL ? 1U : (uint32_t)lp->positions); /* ACT: 1 position */
            buf[l & 1] = y > buf[l & 1] ? y : buf[l & 1];
            if (lp->kinds & EPT_KIND_LORA) nh = (uint32_t)r * (uint32_t)lp->positions > nh ? (uint32_t)r * (uint32_t)lp->positions : nh;
        }
        act[0] = (int8_t *)take(s, buf[0]);
        act[1] = buf[1] != 0 ? (int8_t *)take(s, buf[1]) : NULL;
        if (nh != 0) {
            h8 = (int8_t *)take(s, nh);
            hacc = (int32_t *)take(s, 4U * nh);
        }
        if (s->p == NULL) return EP_ERR_ARENA;
    }
    for (int32_t l = 0; l < t->nl; ++l) {
        const ept_layer_plan *lp = &p->layers[l];
        ept_layer *L = &t->L[l];
        L->op_index = lp->op_index;
        L->fc_index = lp->fc_index;
        L->in = lp->in;
        L->out = lp->out;
        L->type = lp->type;
        L->pos = lp->positions;
        L->ta = L->tb = L->tbias = L->tp = L->tw = L->td = L->tu = -1;
        if (L->type == EPT_LAYER_ACT) {
            /* frozen activation operator: its output, its table and slopes (prepare.c) */
            L->y = t->rc ? act[l & 1] : (int8_t *)take(s, (uint32_t)L->out);
            L->act_lut = (int8_t *)take(c, 256U);
            L->act_slope = (int32_t *)take(c, 4U * 256U);
            if (s->p == NULL || c->p == NULL) return EP_ERR_ARENA;
            continue;
        }
        if (L->type == EPT_LAYER_AVGPOOL) {
            /* frozen global pool: only its output */
            L->pool_count = L->pos;
            L->y = t->rc ? act[l & 1] : (int8_t *)take(s, (uint32_t)L->out);
            if (s->p == NULL) return EP_ERR_ARENA;
            continue;
        }
        const uint32_t np = (uint32_t)L->pos;
        L->y = t->rc ? act[l & 1] : (int8_t *)take(s, (uint32_t)L->out * np);
        L->neg = t->rc ? NULL : (uint8_t *)take(s, (uint32_t)L->out * np);
        L->req = (ept_mult *)take(c, 8U * (uint32_t)L->out);
        /* per-tensor weights: no ratios (layer_frozen leaves wratio NULL) */
        L->wratio = ept_per_channel(t->model, L->op_index) ? (ept_mult *)take(c, 8U * (uint32_t)L->out) : NULL;
        if (lp->kinds & EPT_KIND_PROMPT) {
            L->xbuf = (int8_t *)take(s, (uint32_t)L->in * np);
        }
        if (lp->kinds & EPT_KIND_LORA) {
            L->rank = r;
            L->sh_h = -1; /* calibrated on the first forward */
            L->h8 = t->rc ? h8 : (int8_t *)take(s, (uint32_t)r * np);
            L->hacc = t->rc ? hacc : (int32_t *)take(s, 4U * (uint32_t)r * np);
            L->side = (ept_mult *)take(c, 8U * (uint32_t)L->out);
            if (new_tensor(t, c, EPT_T_A, l, r, L->in, &L->ta) == NULL ||
                new_tensor(t, c, EPT_T_B, l, L->out, r, &L->tb) == NULL) {
                return EP_ERR_ARENA;
            }
        }
        if (lp->kinds & EPT_KIND_ADAPTER) {
            const int32_t m = t->cfg.adapter_width;
            L->bn_m = m;
            L->bn_sh = -1; /* calibrated on the first forward */
            L->y0 = (int8_t *)take(s, (uint32_t)L->out * np);
            L->bn_h8 = (int8_t *)take(s, (uint32_t)m * np);
            L->bn_hacc = (int32_t *)take(s, 4U * (uint32_t)m * np);
            if (new_tensor(t, c, EPT_T_D, l, m, L->out, &L->td) == NULL ||
                new_tensor(t, c, EPT_T_U, l, L->out, m, &L->tu) == NULL) {
                return EP_ERR_ARENA;
            }
        }
        if ((lp->kinds & EPT_KIND_FULL) &&
            new_tensor(t, c, EPT_T_W, l, L->out, L->in, &L->tw) == NULL) {
            return EP_ERR_ARENA;
        }
        if ((lp->kinds & (EPT_KIND_BIAS | EPT_KIND_FULL)) &&
            new_tensor(t, c, EPT_T_BIAS, l, L->out, 1, &L->tbias) == NULL) {
            return EP_ERR_ARENA;
        }
        if (lp->kinds & EPT_KIND_PROMPT) {
            const int32_t flat = L->in * L->pos;
            const int32_t len = t->cfg.prompt_len == 0 || t->cfg.prompt_len > flat
                                    ? flat : (int32_t)t->cfg.prompt_len;
            L->plen = len;
            if (new_tensor(t, c, EPT_T_PROMPT, l, len, 1, &L->tp) == NULL) {
                return EP_ERR_ARENA;
            }
        }
        if (c->p == NULL || s->p == NULL) {
            return EP_ERR_ARENA;
        }
    }
    return EP_OK;
}

/* A: uniform integers in [-31.75, 31.75) view units (kaiming-uniform bound / 32 per unit),
 * kept with the master's fraction bits so the draw is not pre-rounded. */
void ept_init_lora_a(ept_trainer *t, ept_tensor *A, int32_t tidx)
{
    int16_t *m = (int16_t *)A->master;
    const int32_t span = 127 << (EPT_MASTER_FRAC - 1);
    for (int32_t i = 0; i < A->size; ++i) {
        const uint32_t r = ept_rand(t->cfg.seed, 0xA11CE000U + (uint32_t)tidx, (uint32_t)i);
        m[i] = (int16_t)((int32_t)(((uint64_t)r * (uint32_t)span) >> 32) - (span >> 1));
    }
}

ep_status ept_init(ept_trainer **out, const ep_model *model, const ept_config *cfg, void *buf,
                   size_t bytes, char *err, size_t err_size)
{
    return ept_init_scratch(out, model, cfg, buf, bytes, NULL, 0, err, err_size);
}

ep_status ept_init_scratch(ept_trainer **out, const ep_model *model, const ept_config *cfg,
                           void *buf, size_t bytes, void *scratch, size_t scratch_bytes,
                           char *err, size_t err_size)
{
    ept_plan_info p;
    carver c, sc;
    carver *s = scratch != NULL ? &sc : &c;
    ept_trainer *t;
    ep_status st;
    if (out == NULL || model == NULL || cfg == NULL || buf == NULL) {
        return EP_ERR_ARG;
    }
    *out = NULL;
    st = ept_net_scan(model, cfg, &p, err, err_size);
    if (st != EP_OK) {
        return st;
    }
    if (scratch != NULL) {
        /* the persistent blocks must not share bytes with scratch the caller lends out */
        const uintptr_t b0 = (uintptr_t)buf, s0 = (uintptr_t)scratch;
        if (b0 < s0 + scratch_bytes && s0 < b0 + bytes) {
            ept_err(err, err_size, "trainer scratch overlaps its arena", NULL);
            return EP_ERR_ARG;
        }
        if (scratch_bytes < p.step_bytes || (s0 & 3U) != 0U) {
            ept_err(err, err_size, "trainer scratch too small or unaligned", NULL);
            return EP_ERR_ARENA;
        }
    }
    if (bytes < p.train_bytes - (scratch != NULL ? p.step_bytes : 0U)) {
        ept_err(err, err_size, "trainer arena too small", NULL);
        return EP_ERR_ARENA;
    }
    c.p = (uint8_t *)buf;
    c.end = c.p + bytes;
    sc.p = (uint8_t *)scratch;
    /* no arithmetic on a NULL scratch pointer (undefined even with + 0) */
    sc.end = scratch != NULL ? sc.p + scratch_bytes : NULL;
    /* 8-byte alignment for the state struct (doubles inside) */
    while (((uintptr_t)c.p & 7U) != 0U) ++c.p;
    t = (ept_trainer *)take(&c, (uint32_t)sizeof(ept_trainer));
    if (t == NULL) {
        return EP_ERR_ARENA;
    }
    /* layers and tensors right after the struct, 8-aligned (they hold doubles) */
    while (((uintptr_t)c.p & 7U) != 0U) ++c.p;
    t->L = (ept_layer *)take(&c, (uint32_t)(p.layer_count * (int32_t)sizeof(ept_layer)));
    while (c.p != NULL && ((uintptr_t)c.p & 7U) != 0U) ++c.p;
    t->T = (ept_tensor *)take(&c, (uint32_t)(p.tensor_count * (int32_t)sizeof(ept_tensor)));
    if (c.p == NULL) {
        ept_err(err, err_size, "trainer arena too small", NULL);
        return EP_ERR_ARENA;
    }
    t->nt_cap = p.tensor_count;
    t->magic = EPT_MAGIC;
    t->cfg = *cfg;
    t->model = model;
    t->nl = p.layer_count;
    t->first_op = p.first_op;
    t->latent_tensor = p.latent_tensor;
    t->latent_bytes = p.latent_bytes;
    t->classes = p.classes;
    t->param_count = p.param_count;
    t->rc = p.recompute;
    if (scratch != NULL) {
        t->scr_lo = (uintptr_t)scratch;
        t->scr_hi = (uintptr_t)scratch + scratch_bytes;
    }
    st = carve_layers(t, &c, s, &p);
    if (st != EP_OK) {
        ept_err(err, err_size, "trainer arena too small", NULL);
        return st;
    }
    {
        const int32_t maxdim = p.grad_dim;
        t->probs = (int8_t *)take(s, (uint32_t)t->classes);
        t->dacc = (int32_t *)take(s, 4U * (uint32_t)maxdim);
        t->grad_dim = maxdim;
        t->d16 = (int16_t *)take(s, 2U * (uint32_t)maxdim);
        t->dx16 = (int16_t *)take(s, 2U * (uint32_t)p.prompt_dim);
        t->gh16 = (int16_t *)take(s, 2U * (uint32_t)p.gh_dim);
        if (c.p == NULL || s->p == NULL) {
            ept_err(err, err_size, "trainer arena too small", NULL);
            return EP_ERR_ARENA;
        }
    }
    st = ept_net_prepare(t, err, err_size);
    if (st != EP_OK) {
        return st;
    }
    for (int32_t i = 0; i < t->nt; ++i) {
        if (t->T[i].kind == EPT_T_A) {
            ept_init_lora_a(t, &t->T[i], i);
        }
        if (t->T[i].kind == EPT_T_W) ept_full_init(t, &t->T[i]);
        if (t->T[i].kind == EPT_T_D) ept_bn_init_d(t, &t->T[i], i);
        ept_refresh_view(&t->T[i]);
    }
    *out = t;
    return EP_OK;
}
