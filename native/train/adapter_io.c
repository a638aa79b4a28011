/* Adapter bytes: versioned little-endian container of the int8 views (int32 bias deltas)
 * and their scales; layout in docs/formats.md ("Adapter"). Byte order is written
 * explicitly so the file is identical on every target. */
#include <string.h>

#include "train_internal.h"

#define HDR 44U
#define REC 20U

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v & 0xFFFFU);
    put16(p + 2, v >> 16);
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return get16(p) | (get16(p + 2) << 16);
}

static uint64_t dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

uint32_t ept_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFU;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int b = 0; b < 8; ++b) c = (c >> 1) ^ (0xEDB88320U & (0U - (c & 1U)));
    }
    return ~c;
}

static uint32_t elem_bytes(const ept_tensor *T)
{
    return T->kind == EPT_T_BIAS ? 4U : 1U;
}

static uint32_t data_bytes(const ept_tensor *T)
{
    return ((uint32_t)T->size * elem_bytes(T) + 3U) & ~3U;
}

ep_status ept_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written)
{
    size_t need = HDR + 4U, at;
    if (t == NULL || buf == NULL || written == NULL) return EP_ERR_ARG;
    for (int32_t i = 0; i < t->nt; ++i) need += REC + data_bytes(&t->T[i]);
    *written = 0;
    if (size < need) return EP_ERR_SIZE;
    memset(buf, 0, need);
    memcpy(buf, "EPAD", 4);
    put16(buf + 4, 1U);
    put16(buf + 6, HDR);
    put32(buf + 8, t->cfg.kinds);
    put16(buf + 12, t->cfg.rank);
    put16(buf + 14, t->cfg.alpha);
    put16(buf + 16, (uint16_t)t->cfg.lora_layers.first);
    put16(buf + 18, (uint16_t)t->cfg.lora_layers.last);
    put16(buf + 20, (uint16_t)t->cfg.bias_layers.first);
    put16(buf + 22, (uint16_t)t->cfg.bias_layers.last);
    put16(buf + 24, (uint16_t)t->cfg.prompt_layers.first);
    put16(buf + 26, (uint16_t)t->cfg.prompt_layers.last);
    put16(buf + 28, t->cfg.prompt_len);
    put16(buf + 30, (uint32_t)t->nt);
    put32(buf + 32, t->cfg.seed);
    put32(buf + 36, t->step);
    put32(buf + 40, (uint32_t)need);
    at = HDR;
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const ept_layer *L = &t->L[T->layer];
        const uint64_t sb = dbits(T->view_scale);
        buf[at] = (uint8_t)T->kind;
        buf[at + 1] = (uint8_t)L->fc_index;
        buf[at + 2] = (uint8_t)elem_bytes(T);
        put16(buf + at + 4, (uint32_t)T->rows);
        put16(buf + at + 6, (uint32_t)T->cols);
        put32(buf + at + 8, T->kind == EPT_T_A ? (uint32_t)L->sh_h : 0U);
        put32(buf + at + 12, (uint32_t)sb);
        put32(buf + at + 16, (uint32_t)(sb >> 32));
        at += REC;
        if (T->kind == EPT_T_BIAS) {
            const int32_t *v = (const int32_t *)T->view;
            for (int32_t k = 0; k < T->size; ++k) put32(buf + at + 4U * (uint32_t)k, (uint32_t)v[k]);
        } else {
            memcpy(buf + at, T->view, (size_t)T->size);
        }
        at += data_bytes(T);
    }
    put32(buf + at, ept_crc32(buf, at));
    *written = need;
    return EP_OK;
}

ep_status ept_adapter_config(const uint8_t *buf, size_t size, ept_config *cfg)
{
    if (buf == NULL || cfg == NULL) return EP_ERR_ARG;
    if (size < HDR + 4U || memcmp(buf, "EPAD", 4) != 0) return EP_ERR_MODEL;
    if (get16(buf + 4) != 1U || get16(buf + 6) != HDR) return EP_ERR_UNSUPPORTED;
    if (get32(buf + 40) != size || ept_crc32(buf, size - 4U) != get32(buf + size - 4U)) return EP_ERR_MODEL;
    ept_config_default(cfg);
    cfg->kinds = get32(buf + 8);
    cfg->rank = (uint16_t)get16(buf + 12);
    cfg->alpha = (uint16_t)get16(buf + 14);
    cfg->lora_layers.first = (int16_t)get16(buf + 16);
    cfg->lora_layers.last = (int16_t)get16(buf + 18);
    cfg->bias_layers.first = (int16_t)get16(buf + 20);
    cfg->bias_layers.last = (int16_t)get16(buf + 22);
    cfg->prompt_layers.first = (int16_t)get16(buf + 24);
    cfg->prompt_layers.last = (int16_t)get16(buf + 26);
    cfg->prompt_len = (uint16_t)get16(buf + 28);
    cfg->seed = get32(buf + 32);
    return EP_OK;
}

ep_status ept_import(ept_trainer *t, const uint8_t *buf, size_t size)
{
    ept_config c;
    size_t at = HDR;
    ep_status st;
    if (t == NULL) return EP_ERR_ARG;
    st = ept_adapter_config(buf, size, &c);
    if (st != EP_OK) return st;
    if (c.kinds != t->cfg.kinds || c.rank != t->cfg.rank || c.alpha != t->cfg.alpha ||
        get16(buf + 30) != (uint32_t)t->nt) {
        return EP_ERR_ARG;
    }
    /* validate every record before touching the trainer */
    for (int32_t pass = 0; pass < 2; ++pass) {
        at = HDR;
        for (int32_t i = 0; i < t->nt; ++i) {
            ept_tensor *T = &t->T[i];
            ept_layer *L = &t->L[T->layer];
            const uint64_t sb = dbits(T->view_scale);
            if (at + REC + data_bytes(T) + 4U > size) return EP_ERR_MODEL;
            if (buf[at] != (uint32_t)T->kind || buf[at + 1] != (uint32_t)L->fc_index ||
                buf[at + 2] != elem_bytes(T) || get16(buf + at + 4) != (uint32_t)T->rows ||
                get16(buf + at + 6) != (uint32_t)T->cols || get32(buf + at + 12) != (uint32_t)sb ||
                get32(buf + at + 16) != (uint32_t)(sb >> 32)) {
                return EP_ERR_ARG; /* another model, layer or configuration */
            }
            if (pass == 1) {
                if (T->kind == EPT_T_A) L->sh_h = (int32_t)get32(buf + at + 8);
                if (T->kind == EPT_T_BIAS) {
                    int32_t *m = (int32_t *)T->master;
                    for (int32_t k = 0; k < T->size; ++k) {
                        const int32_t v = (int32_t)get32(buf + at + REC + 4U * (uint32_t)k);
                        /* master = view << 8 saturated: the fraction is not exported */
                        m[k] = v > (INT32_MAX >> 8) ? INT32_MAX : (v < (INT32_MIN >> 8) ? INT32_MIN : v * 256);
                    }
                } else {
                    int16_t *m = (int16_t *)T->master;
                    for (int32_t k = 0; k < T->size; ++k) m[k] = (int16_t)((int8_t)buf[at + REC + (uint32_t)k] * 256);
                }
                ept_refresh_view(T);
                if (T->kind == EPT_T_BIAS) {
                    /* views must be exactly the exported ones, also at saturation */
                    int32_t *v = (int32_t *)T->view;
                    for (int32_t k = 0; k < T->size; ++k) v[k] = (int32_t)get32(buf + at + REC + 4U * (uint32_t)k);
                }
            }
            at += REC + data_bytes(T);
        }
    }
    t->step = get32(buf + 36);
    return EP_OK;
}
