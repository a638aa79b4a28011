/* Adapter bytes: versioned little-endian container of the int8 views (LoRA B: its int16
 * master, which the forward reads; bias: int32 deltas) and their scales; layout in
 * docs/formats.md ("Adapter"). Byte order is written explicitly so the file is identical on
 * every target. */
#include <stdarg.h>
#include <string.h>

#include "model_internal.h" /* ep_format: stdio-free messages */
#include "train_internal.h"

#define HDR 76U
#define EPAD_VERSION 3U /* 3: LoRA B int16 (the master), A scale bound / 32 */
/* Header of an adapter with a newer kind (full fine-tune, bottleneck): the 76 bytes, then their
 * fields (docs/formats.md); adapters of the older kinds keep the 76-byte header. */
#define HDR_EXT 88U
#define NEW_KINDS ((uint32_t)(EPT_KIND_FULL | EPT_KIND_ADAPTER))
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

static uint32_t hdr_bytes(uint32_t kinds)
{
    return (kinds & NEW_KINDS) != 0 ? HDR_EXT : HDR;
}

static uint32_t elem_bytes(const ept_tensor *T)
{
    return T->kind == EPT_T_BIAS ? 4U : (T->kind == EPT_T_B ? 2U : 1U);
}

/* Real value of one stored unit: B stores master units, 1/256 of its int8 view unit (a
 * power-of-two division, exact in IEEE double: the same bits on every target). */
static double unit_scale(const ept_tensor *T)
{
    return T->kind == EPT_T_B ? T->view_scale / 256.0 : T->view_scale;
}

static uint32_t data_bytes(const ept_tensor *T)
{
    return ((uint32_t)T->size * elem_bytes(T) + 3U) & ~3U;
}

ep_status ept_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written)
{
    size_t need, at;
    if (t == NULL || buf == NULL || written == NULL) return EP_ERR_ARG;
    need = hdr_bytes(t->cfg.kinds) + 4U;
    for (int32_t i = 0; i < t->nt; ++i) need += REC + data_bytes(&t->T[i]);
    *written = 0;
    if (size < need) return EP_ERR_SIZE;
    memset(buf, 0, need);
    memcpy(buf, "EPAD", 4);
    put16(buf + 4, EPAD_VERSION);
    put16(buf + 6, hdr_bytes(t->cfg.kinds));
    put32(buf + 8, t->cfg.kinds);
    if ((t->cfg.kinds & EPT_KIND_FULL) != 0) {
        put16(buf + 76, (uint16_t)t->cfg.full_layers.first);
        put16(buf + 78, (uint16_t)t->cfg.full_layers.last);
    }
    if ((t->cfg.kinds & EPT_KIND_ADAPTER) != 0) {
        put16(buf + 80, (uint16_t)t->cfg.adapter_layers.first);
        put16(buf + 82, (uint16_t)t->cfg.adapter_layers.last);
        put16(buf + 84, t->cfg.adapter_width);
    }
    /* fields of a kind the adapter does not have are written 0 (and must be 0 on import) */
    if ((t->cfg.kinds & EPT_KIND_LORA) != 0) {
        put16(buf + 12, t->cfg.rank);
        put16(buf + 14, t->cfg.alpha);
        put16(buf + 16, (uint16_t)t->cfg.lora_layers.first);
        put16(buf + 18, (uint16_t)t->cfg.lora_layers.last);
    }
    if ((t->cfg.kinds & EPT_KIND_BIAS) != 0) {
        put16(buf + 20, (uint16_t)t->cfg.bias_layers.first);
        put16(buf + 22, (uint16_t)t->cfg.bias_layers.last);
    }
    if ((t->cfg.kinds & EPT_KIND_PROMPT) != 0) {
        put16(buf + 24, (uint16_t)t->cfg.prompt_layers.first);
        put16(buf + 26, (uint16_t)t->cfg.prompt_layers.last);
        put16(buf + 28, t->cfg.prompt_len);
    }
    put16(buf + 30, (uint32_t)t->nt);
    put32(buf + 32, t->cfg.seed);
    put32(buf + 36, t->step);
    put32(buf + 40, (uint32_t)need);
    memcpy(buf + 44, t->cfg.model_sha256, 32);
    at = hdr_bytes(t->cfg.kinds);
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const ept_layer *L = &t->L[T->layer];
        const uint64_t sb = dbits(unit_scale(T));
        buf[at] = (uint8_t)T->kind;
        buf[at + 1] = (uint8_t)L->fc_index;
        buf[at + 2] = (uint8_t)elem_bytes(T);
        put16(buf + at + 4, (uint32_t)T->rows);
        put16(buf + at + 6, (uint32_t)T->cols);
        put32(buf + at + 8, (uint32_t)ept_rec_shift(t, T)); /* LoRA A: sh_h, adapter D: its h shift */
        put32(buf + at + 12, (uint32_t)sb);
        put32(buf + at + 16, (uint32_t)(sb >> 32));
        at += REC;
        if (T->kind == EPT_T_BIAS) {
            for (int32_t k = 0; k < T->size; ++k) put32(buf + at + 4U * (uint32_t)k, (uint32_t)T->view[k]);
        } else if (T->kind == EPT_T_B) {
            const int16_t *m = (const int16_t *)T->master;
            for (int32_t k = 0; k < T->size; ++k) put16(buf + at + 2U * (uint32_t)k, (uint32_t)(uint16_t)m[k]);
        } else {
            /* A / prompt int8 views are not stored: derived from the masters as the forward does */
            const int16_t *m = (const int16_t *)T->master;
            for (int32_t k = 0; k < T->size; ++k) buf[at + (uint32_t)k] = (uint8_t)(int8_t)ept_v8(m[k]);
        }
        at += data_bytes(T);
    }
    put32(buf + at, ept_crc32(buf, at));
    *written = need;
    return EP_OK;
}

/* Every refusal names the field, so a user can tell a damaged file from an adapter trained for
 * another model or configuration. err may be NULL. */
ep_status ept_errf(char *err, size_t n, ep_status st, const char *fmt, ...)
{
    if (err != NULL && n > 0) {
        va_list ap;
        va_start(ap, fmt);
        ep_format(err, n, fmt, ap);
        va_end(ap);
    }
    return st;
}

static void hex8(const uint8_t *id, char out[9])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = digits[id[i] >> 4];
        out[2 * i + 1] = digits[id[i] & 15U];
    }
    out[8] = '\0';
}

ep_status ept_check_model_id(const ept_trainer *t, const uint8_t *id, const char *what, char *err, size_t n)
{
    char a[9], b[9];
    if (memcmp(id, t->cfg.model_sha256, 32) == 0) return EP_OK;
    hex8(id, a);
    hex8(t->cfg.model_sha256, b);
    /* Short enough for XS's 128-byte error messages with the binding's prefix. */
    return ept_errf(err, n, EP_ERR_ARG, "%s: made for another model (base SHA-256 %s..., session's %s...)",
                    what, a, b);
}

#define KNOWN_KINDS ((uint32_t)(EPT_KIND_LORA | EPT_KIND_BIAS | EPT_KIND_PROMPT | EPT_KIND_FULL | EPT_KIND_ADAPTER))

ep_status ept_adapter_config(const uint8_t *buf, size_t size, ept_config *cfg, char *err, size_t err_size)
{
    uint32_t len, kinds, count;
    if (err != NULL && err_size > 0) err[0] = '\0';
    if (buf == NULL || cfg == NULL) return ept_errf(err, err_size, EP_ERR_ARG, "adapter: no buffer");
    /* 32-bit sizes in messages: an adapter over 4 GB is refused as truncated-or-too-long anyway */
    if (size < HDR + 4U) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: truncated: %u < %u bytes",
                        (uint32_t)size, (uint32_t)(HDR + 4U));
    }
    if (memcmp(buf, "EPAD", 4) != 0) return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: bad magic (not an EPAD file)");
    if (get16(buf + 4) != EPAD_VERSION || (get16(buf + 6) != HDR && get16(buf + 6) != HDR_EXT)) {
        return ept_errf(err, err_size, EP_ERR_UNSUPPORTED, "adapter: format version %u header %u, this engine reads %u / %u%s",
                        get16(buf + 4), get16(buf + 6), EPAD_VERSION, (uint32_t)HDR,
                        get16(buf + 4) == 1U ? " (version 1 records no base model: re-train or re-export it)"
                        : get16(buf + 4) == 2U ? " (version 2 holds int8 LoRA B views and the old A scale: re-train it)" : "");
    }
    len = get32(buf + 40);
    if (size > UINT32_MAX || len != (uint32_t)size) {
        return ept_errf(err, err_size, EP_ERR_MODEL, len > size ? "adapter: truncated: %u < %u bytes"
                        : "adapter: %u bytes, length field says %u", (uint32_t)size, len);
    }
    if (ept_crc32(buf, size - 4U) != get32(buf + size - 4U)) return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: CRC-32 mismatch");
    /* The CRC only proves the bytes are as written: the fields are checked as untrusted input. */
    kinds = get32(buf + 8);
    if (kinds == 0 || (kinds & ~KNOWN_KINDS) != 0) return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: kinds %u not a set of LoRA/bias/prompt/full/adapter", kinds);
    if (get16(buf + 6) != hdr_bytes(kinds) || size < hdr_bytes(kinds) + 4U) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: header %u bytes, kinds %u need %u", get16(buf + 6), kinds, hdr_bytes(kinds));
    }
    if (hdr_bytes(kinds) == HDR_EXT &&
        (((kinds & EPT_KIND_FULL) == 0 && get32(buf + 76) != 0U) ||
         ((kinds & EPT_KIND_ADAPTER) == 0 && (get32(buf + 80) != 0U || get16(buf + 84) != 0U)) || get16(buf + 86) != 0U)) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: fields of a kind it does not have (bytes 76..87) must be 0");
    }
    if ((kinds & EPT_KIND_LORA) != 0 && (get16(buf + 12) < 1U || get16(buf + 12) > 64U || get16(buf + 14) < 1U)) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: LoRA rank %u alpha %u outside 1..64 / >= 1",
                        get16(buf + 12), get16(buf + 14));
    }
    if (((kinds & EPT_KIND_LORA) == 0 && (get32(buf + 12) != 0U || get32(buf + 16) != 0U)) ||
        ((kinds & EPT_KIND_BIAS) == 0 && get32(buf + 20) != 0U) ||
        ((kinds & EPT_KIND_PROMPT) == 0 && (get32(buf + 24) != 0U || get16(buf + 28) != 0U))) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: fields of a kind it does not have (bytes 12..29) must be 0");
    }
    count = get16(buf + 30);
    if (count == 0 || count > EPT_MAX_TENSORS || count * REC > size - hdr_bytes(kinds) - 4U) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: %u tensor records in %u bytes (at most %u)",
                        count, (uint32_t)size, (uint32_t)EPT_MAX_TENSORS);
    }
    ept_config_default(cfg);
    cfg->kinds = kinds;
    if ((kinds & EPT_KIND_LORA) != 0) {
        cfg->rank = (uint16_t)get16(buf + 12);
        cfg->alpha = (uint16_t)get16(buf + 14);
        cfg->lora_layers.first = (int16_t)get16(buf + 16);
        cfg->lora_layers.last = (int16_t)get16(buf + 18);
    }
    if ((kinds & EPT_KIND_BIAS) != 0) {
        cfg->bias_layers.first = (int16_t)get16(buf + 20);
        cfg->bias_layers.last = (int16_t)get16(buf + 22);
    }
    if ((kinds & EPT_KIND_PROMPT) != 0) {
        cfg->prompt_layers.first = (int16_t)get16(buf + 24);
        cfg->prompt_layers.last = (int16_t)get16(buf + 26);
        cfg->prompt_len = (uint16_t)get16(buf + 28);
    }
    if ((kinds & EPT_KIND_FULL) != 0) {
        cfg->full_layers.first = (int16_t)get16(buf + 76);
        cfg->full_layers.last = (int16_t)get16(buf + 78);
    }
    if ((kinds & EPT_KIND_ADAPTER) != 0) {
        cfg->adapter_layers.first = (int16_t)get16(buf + 80);
        cfg->adapter_layers.last = (int16_t)get16(buf + 82);
        cfg->adapter_width = (uint16_t)get16(buf + 84);
        if (cfg->adapter_width < 1U || cfg->adapter_width > 64U) {
            return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: bottleneck width %u outside 1..64", (uint32_t)cfg->adapter_width);
        }
    }
    cfg->seed = get32(buf + 32);
    memcpy(cfg->model_sha256, buf + 44, 32);
    return EP_OK;
}

static const char *const kind_names[7] = { "LoRA A", "LoRA B", "bias", "prompt", "full W", "adapter D", "adapter U" };

/* One record against this trainer's tensor i: head fields and the sh_h range. */
static ep_status check_record(const ept_trainer *t, int32_t i, const uint8_t *r, char *err, size_t n)
{
    const ept_tensor *T = &t->T[i];
    const ept_layer *L = &t->L[T->layer];
    const uint64_t sb = dbits(unit_scale(T));
    const int32_t sh = (int32_t)get32(r + 8);
    const uint32_t layer = (uint32_t)L->fc_index;
    if (r[0] != (uint32_t)T->kind) {
        return ept_errf(err, n, EP_ERR_ARG, "adapter: tensor %d is %s, session has %s", i,
                        r[0] < 7U ? kind_names[r[0]] : "unknown", kind_names[T->kind]);
    }
    if (r[1] != layer) return ept_errf(err, n, EP_ERR_ARG, "adapter: tensor %d (%s) on layer %u, session has layer %u", i, kind_names[T->kind], (uint32_t)r[1], layer);
    if (r[2] != elem_bytes(T) || r[3] != 0U) return ept_errf(err, n, EP_ERR_MODEL, "adapter: layer %u %s: element bytes %u / reserved %u", layer, kind_names[T->kind], (uint32_t)r[2], (uint32_t)r[3]);
    if (T->kind == EPT_T_A && get16(r + 4) != (uint32_t)T->rows) {
        return ept_errf(err, n, EP_ERR_ARG, "adapter: layer %u rank %u, session has rank %u", layer, get16(r + 4), (uint32_t)T->rows);
    }
    if (T->kind == EPT_T_B && get16(r + 6) != (uint32_t)T->cols) {
        return ept_errf(err, n, EP_ERR_ARG, "adapter: layer %u rank %u, session has rank %u", layer, get16(r + 6), (uint32_t)T->cols);
    }
    if (get16(r + 4) != (uint32_t)T->rows || get16(r + 6) != (uint32_t)T->cols) {
        return ept_errf(err, n, EP_ERR_ARG, "adapter: layer %u %s %ux%u, session has %ux%u (another model?)", layer,
                        kind_names[T->kind], get16(r + 4), get16(r + 6), (uint32_t)T->rows, (uint32_t)T->cols);
    }
    /* sh_h feeds shifts in the forward and backward: -1 (not calibrated) .. 31, else UB */
    if (T->kind == EPT_T_A || T->kind == EPT_T_D ? (sh < -1 || sh > 31) : sh != 0) {
        return ept_errf(err, n, EP_ERR_MODEL, "adapter: layer %u %s shift %d outside %s", layer, kind_names[T->kind], sh,
                        T->kind == EPT_T_A || T->kind == EPT_T_D ? "-1..31" : "0");
    }
    if (get32(r + 12) != (uint32_t)sb || get32(r + 16) != (uint32_t)(sb >> 32)) {
        return ept_errf(err, n, EP_ERR_ARG, "adapter: layer %u %s scale differs from the session's (another model?)", layer, kind_names[T->kind]);
    }
    return EP_OK;
}

/* Pass 0 checks every field before pass 1 writes anything, so a refused adapter leaves the
 * trainer as it was. */
ep_status ept_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err, size_t err_size)
{
    ept_config c;
    size_t at = HDR;
    ep_status st;
    if (t == NULL) return ept_errf(err, err_size, EP_ERR_ARG, "adapter: no trainer");
    st = ept_adapter_config(buf, size, &c, err, err_size);
    if (st != EP_OK) return st;
    st = ept_check_model_id(t, buf + 44, "adapter", err, err_size);
    if (st != EP_OK) return st;
    if (c.kinds != t->cfg.kinds) return ept_errf(err, err_size, EP_ERR_ARG, "adapter: kinds %u, session has kinds %u", c.kinds, t->cfg.kinds);
    if ((c.kinds & EPT_KIND_LORA) != 0 && (c.rank != t->cfg.rank || c.alpha != t->cfg.alpha)) {
        return ept_errf(err, err_size, EP_ERR_ARG, "adapter: rank %u alpha %u, session has rank %u alpha %u",
                        (uint32_t)c.rank, (uint32_t)c.alpha, (uint32_t)t->cfg.rank, (uint32_t)t->cfg.alpha);
    }
    if ((c.kinds & EPT_KIND_FULL) != 0 &&
        (c.full_layers.first != t->cfg.full_layers.first || c.full_layers.last != t->cfg.full_layers.last)) {
        return ept_errf(err, err_size, EP_ERR_ARG, "adapter: full layers %d..%d, session has %d..%d", c.full_layers.first,
                        c.full_layers.last, t->cfg.full_layers.first, t->cfg.full_layers.last);
    }
    if ((c.kinds & EPT_KIND_ADAPTER) != 0 &&
        (c.adapter_layers.first != t->cfg.adapter_layers.first || c.adapter_layers.last != t->cfg.adapter_layers.last ||
         c.adapter_width != t->cfg.adapter_width)) {
        return ept_errf(err, err_size, EP_ERR_ARG, "adapter: bottleneck layers %d..%d width %u, session has %d..%d width %u",
                        c.adapter_layers.first, c.adapter_layers.last, (uint32_t)c.adapter_width, t->cfg.adapter_layers.first,
                        t->cfg.adapter_layers.last, (uint32_t)t->cfg.adapter_width);
    }
    if (get16(buf + 30) != (uint32_t)t->nt) {
        return ept_errf(err, err_size, EP_ERR_ARG, "adapter: %u tensors, session has %u (other layers?)", get16(buf + 30), (uint32_t)t->nt);
    }
    for (int32_t pass = 0; pass < 2; ++pass) {
        at = hdr_bytes(c.kinds);
        for (int32_t i = 0; i < t->nt; ++i) {
            ept_tensor *T = &t->T[i];
            /* the record's head first: a whole file (length and CRC already checked) whose
             * records are shorter than this session's is another model's, not a truncated one */
            if (at + REC + 4U > size) {
                return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: truncated: %u < %u bytes at tensor %d",
                                (uint32_t)size, (uint32_t)(at + REC + 4U), i);
            }
            if (pass == 0) {
                st = check_record(t, i, buf + at, err, err_size);
                if (st != EP_OK) return st;
            }
            if (at + REC + data_bytes(T) + 4U > size) {
                return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: truncated: %u < %u bytes at tensor %d",
                                (uint32_t)size, (uint32_t)(at + REC + data_bytes(T) + 4U), i);
            }
            if (pass == 1) {
                if (T->kind == EPT_T_A || T->kind == EPT_T_D) ept_set_rec_shift(t, T, (int32_t)get32(buf + at + 8));
                if (T->kind == EPT_T_BIAS) {
                    int32_t *m = (int32_t *)T->master;
                    for (int32_t k = 0; k < T->size; ++k) {
                        const int32_t v = (int32_t)get32(buf + at + REC + 4U * (uint32_t)k);
                        /* master = view << 8 saturated: the fraction is not exported */
                        m[k] = v > (INT32_MAX >> 8) ? INT32_MAX : (v < (INT32_MIN >> 8) ? INT32_MIN : v * 256);
                    }
                } else if (T->kind == EPT_T_B) {
                    /* B is stored at full precision: the master itself */
                    int16_t *m = (int16_t *)T->master;
                    for (int32_t k = 0; k < T->size; ++k) m[k] = (int16_t)get16(buf + at + REC + 2U * (uint32_t)k);
                } else {
                    int16_t *m = (int16_t *)T->master;
                    for (int32_t k = 0; k < T->size; ++k) m[k] = (int16_t)((int8_t)buf[at + REC + (uint32_t)k] * 256);
                }
                ept_refresh_view(T);
                if (T->kind == EPT_T_BIAS) {
                    /* views must be exactly the exported ones, also at saturation */
                    for (int32_t k = 0; k < T->size; ++k) T->view[k] = (int32_t)get32(buf + at + REC + 4U * (uint32_t)k);
                }
            }
            at += REC + data_bytes(T);
        }
        /* the records must fill the file exactly: trailing bytes mean another layout */
        if (pass == 0 && at + 4U != size) {
            return ept_errf(err, err_size, EP_ERR_MODEL, "adapter: %u bytes, its records need %u", (uint32_t)size, (uint32_t)(at + 4U));
        }
    }
    t->step = get32(buf + 36);
    return EP_OK;
}
