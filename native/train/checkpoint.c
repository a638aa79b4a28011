/* Full-precision checkpoint (EPCK): what an EPAD adapter leaves out so that training resumes
 * exactly: int16 / int32 master weights (the 8 fraction bits below the int8 view), momentum,
 * the LoRA h shifts and the step counter. The step is the whole PRNG position: stochastic
 * rounding and DP noise are counter based on (seed, step, parameter), so no generator state
 * exists beyond it. Layout: docs/formats.md, "Checkpoint". Little-endian, byte by byte, so
 * the bytes are identical on every target. */
#include <string.h>

#include "train_internal.h"

#define CK_MAGIC "EPCK"
#define CK_VERSION 3U /* 3: A masters at the bound / 32 scale, B read at full precision */
#define CK_HEADER 64U /* 32 + base-model SHA-256 */
#define CK_RECORD 16U
#define CK_FLAG_MOMENTUM 1U

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint32_t al4(uint32_t v)
{
    return (v + 3U) & ~3U;
}

/* master element bytes: int32 for bias, int16 otherwise */
static uint32_t mbytes(const ept_tensor *T)
{
    return T->kind == EPT_T_BIAS ? 4U : 2U;
}

static uint32_t crc_add(uint32_t crc, uint32_t v)
{
    uint8_t b[4];
    put32(b, v);
    /* chained CRC-32: continue from the previous value (ept_crc32 pre/post-inverts) */
    for (int i = 0; i < 4; ++i) {
        crc ^= b[i];
        for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    return crc;
}

/* Identity of the training run the checkpoint belongs to: everything that fixes the meaning
 * of the stored numbers (adapter layout, seed, momentum on/off) and the model's scales (the
 * view unit of every tensor, bit for bit). Rates are left out: ept_set_rates may change them
 * between steps and a resume may legitimately continue at another rate. */
static uint32_t config_hash(const ept_trainer *t)
{
    const ept_config *c = &t->cfg;
    uint32_t h = 0xFFFFFFFFU;
    h = crc_add(h, c->kinds);
    h = crc_add(h, ((uint32_t)c->rank << 16) | c->alpha);
    h = crc_add(h, ((uint32_t)(uint16_t)c->lora_layers.first << 16) | (uint16_t)c->lora_layers.last);
    h = crc_add(h, ((uint32_t)(uint16_t)c->bias_layers.first << 16) | (uint16_t)c->bias_layers.last);
    h = crc_add(h, ((uint32_t)(uint16_t)c->prompt_layers.first << 16) | (uint16_t)c->prompt_layers.last);
    h = crc_add(h, c->prompt_len);
    h = crc_add(h, c->seed);
    h = crc_add(h, c->momentum_u != 0);
    if ((c->kinds & EPT_KIND_FULL) != 0) {
        /* only with the newer kind: older configurations keep their hash */
        h = crc_add(h, ((uint32_t)(uint16_t)c->full_layers.first << 16) | (uint16_t)c->full_layers.last);
    }
    if ((c->kinds & EPT_KIND_ADAPTER) != 0) {
        h = crc_add(h, ((uint32_t)(uint16_t)c->adapter_layers.first << 16) | (uint16_t)c->adapter_layers.last);
        h = crc_add(h, c->adapter_width);
    }
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        uint64_t sb;
        memcpy(&sb, &T->view_scale, sizeof sb);
        h = crc_add(h, ((uint32_t)T->kind << 8) | (uint8_t)t->L[T->layer].fc_index);
        h = crc_add(h, ((uint32_t)T->rows << 16) | (uint16_t)T->cols);
        h = crc_add(h, (uint32_t)sb);
        h = crc_add(h, (uint32_t)(sb >> 32));
    }
    return ~h;
}

size_t ept_checkpoint_bytes(const ept_trainer *t)
{
    size_t n = CK_HEADER + 4U;
    if (t == NULL) return 0;
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t data = al4(mbytes(T) * (uint32_t)T->size);
        n += CK_RECORD + data + (T->mom != NULL ? data : 0U);
    }
    return n;
}

static void put_elems(uint8_t *dst, const void *src, uint32_t eb, int32_t n)
{
    for (int32_t k = 0; k < n; ++k) {
        const uint32_t v = eb == 4U ? (uint32_t)((const int32_t *)src)[k]
                                    : (uint32_t)(int32_t)((const int16_t *)src)[k];
        for (uint32_t b = 0; b < eb; ++b) dst[eb * (uint32_t)k + b] = (uint8_t)(v >> (8U * b));
    }
}

static void get_elems(void *dst, const uint8_t *src, uint32_t eb, int32_t n)
{
    for (int32_t k = 0; k < n; ++k) {
        uint32_t v = 0;
        for (uint32_t b = 0; b < eb; ++b) v |= (uint32_t)src[eb * (uint32_t)k + b] << (8U * b);
        if (eb == 4U) ((int32_t *)dst)[k] = (int32_t)v;
        else ((int16_t *)dst)[k] = (int16_t)(uint16_t)v;
    }
}

ep_status ept_checkpoint_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written)
{
    const size_t need = ept_checkpoint_bytes(t);
    uint32_t at = CK_HEADER;
    if (t == NULL || buf == NULL || written == NULL) return EP_ERR_ARG;
    *written = 0;
    if (size < need) return EP_ERR_SIZE;
    memset(buf, 0, need);
    memcpy(buf, CK_MAGIC, 4);
    buf[4] = (uint8_t)CK_VERSION;
    buf[6] = (uint8_t)CK_HEADER;
    put32(buf + 8, config_hash(t));
    put32(buf + 12, t->step);
    put32(buf + 16, (uint32_t)t->nt);
    put32(buf + 20, t->cfg.momentum_u != 0 ? CK_FLAG_MOMENTUM : 0U);
    put32(buf + 24, (uint32_t)need);
    put32(buf + 28, t->param_count);
    memcpy(buf + 32, t->cfg.model_sha256, 32);
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t eb = mbytes(T), data = al4(eb * (uint32_t)T->size);
        buf[at] = (uint8_t)T->kind;
        buf[at + 1] = (uint8_t)t->L[T->layer].fc_index;
        buf[at + 2] = (uint8_t)eb;
        buf[at + 3] = T->mom != NULL;
        put32(buf + at + 4, ((uint32_t)T->rows & 0xFFFFU) | ((uint32_t)T->cols << 16));
        put32(buf + at + 8, (uint32_t)ept_rec_shift(t, T));
        at += CK_RECORD;
        put_elems(buf + at, T->master, eb, T->size);
        at += data;
        if (T->mom != NULL) {
            put_elems(buf + at, T->mom, eb, T->size);
            at += data;
        }
    }
    put32(buf + at, ept_crc32(buf, at));
    *written = need;
    return EP_OK;
}

ep_status ept_checkpoint_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err,
                                size_t err_size)
{
    const size_t want = ept_checkpoint_bytes(t);
    uint32_t at = CK_HEADER;
    if (err != NULL && err_size > 0) err[0] = '\0';
    if (t == NULL || buf == NULL) return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: no trainer or buffer");
    /* container checks first (damage), then identity (another run), then each record */
    if (size < CK_HEADER + 4U) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "checkpoint: truncated: %u < %u bytes", (uint32_t)size, (uint32_t)want);
    }
    if (memcmp(buf, CK_MAGIC, 4) != 0) return ept_errf(err, err_size, EP_ERR_MODEL, "checkpoint: bad magic (not an EPCK file)");
    if (buf[4] != CK_VERSION || buf[5] != 0U || buf[6] != CK_HEADER || buf[7] != 0U) {
        return ept_errf(err, err_size, EP_ERR_UNSUPPORTED, "checkpoint: format version %u header %u, this engine reads %u / %u%s",
                        (uint32_t)buf[4], (uint32_t)buf[6], CK_VERSION, CK_HEADER,
                        buf[4] == 2U ? " (version 2 masters use the old LoRA A scale: re-train)" : "");
    }
    if (get32(buf + 24) != size) {
        return ept_errf(err, err_size, EP_ERR_MODEL, get32(buf + 24) > size ? "checkpoint: truncated: %u < %u bytes"
                                                                              : "checkpoint: %u bytes, header says %u",
                        (uint32_t)size, get32(buf + 24));
    }
    if (ept_crc32(buf, size - 4U) != get32(buf + size - 4U)) return ept_errf(err, err_size, EP_ERR_MODEL, "checkpoint: CRC-32 mismatch");
    {
        const ep_status st_id = ept_check_model_id(t, buf + 32, "checkpoint", err, err_size);
        if (st_id != EP_OK) return st_id;
    }
    if (get32(buf + 16) != (uint32_t)t->nt || get32(buf + 28) != t->param_count) {
        return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: %u tensors / %u parameters, session has %u / %u",
                        get32(buf + 16), get32(buf + 28), (uint32_t)t->nt, t->param_count);
    }
    if ((get32(buf + 20) & CK_FLAG_MOMENTUM) != (t->cfg.momentum_u != 0 ? CK_FLAG_MOMENTUM : 0U) ||
        (get32(buf + 20) & ~CK_FLAG_MOMENTUM) != 0U) {
        return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: momentum %s, session has it %s",
                        (get32(buf + 20) & CK_FLAG_MOMENTUM) ? "stored" : "absent", t->cfg.momentum_u != 0 ? "on" : "off");
    }
    if (size != want) {
        return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: %u bytes, this session's checkpoint is %u", (uint32_t)size, (uint32_t)want);
    }
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t eb = mbytes(T), data = al4(eb * (uint32_t)T->size);
        const uint32_t shape = get32(buf + at + 4);
        if (buf[at] != (uint8_t)T->kind || buf[at + 1] != (uint8_t)t->L[T->layer].fc_index || buf[at + 2] != eb ||
            buf[at + 3] != (T->mom != NULL) || (shape & 0xFFFFU) != (uint32_t)T->rows || (shape >> 16) != (uint32_t)T->cols) {
            return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: tensor %d kind %u layer %u %ux%u, session has kind %u layer %u %ux%u",
                            i, (uint32_t)buf[at], (uint32_t)buf[at + 1], shape & 0xFFFFU, shape >> 16, (uint32_t)T->kind,
                            (uint32_t)t->L[T->layer].fc_index, (uint32_t)T->rows, (uint32_t)T->cols);
        }
        /* the shift feeds rdiv and the side multiplier's exponent: 0..31 or uncalibrated -1 */
        if ((T->kind == EPT_T_A || T->kind == EPT_T_D) && ((int32_t)get32(buf + at + 8) < -1 || (int32_t)get32(buf + at + 8) > 31)) {
            return ept_errf(err, err_size, EP_ERR_MODEL, "checkpoint: tensor %d h shift %d outside -1..31", i, (int32_t)get32(buf + at + 8));
        }
        at += CK_RECORD + data + (T->mom != NULL ? data : 0U);
    }
    if (get32(buf + 8) != config_hash(t)) {
        return ept_errf(err, err_size, EP_ERR_ARG, "checkpoint: configuration hash %u, session has %u (another model, spec or seed)",
                        get32(buf + 8), config_hash(t));
    }
    /* everything checked: now write */
    at = CK_HEADER;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        const uint32_t eb = mbytes(T), data = al4(eb * (uint32_t)T->size);
        if (T->kind == EPT_T_A || T->kind == EPT_T_D) ept_set_rec_shift(t, T, (int32_t)get32(buf + at + 8));
        at += CK_RECORD;
        get_elems(T->master, buf + at, eb, T->size);
        at += data;
        if (T->mom != NULL) {
            get_elems(T->mom, buf + at, eb, T->size);
            at += data;
        }
        /* training keeps view = rdiv(master) at all times, so this is the trained view */
        ept_refresh_view(T);
    }
    t->step = get32(buf + 12);
    return EP_OK;
}
