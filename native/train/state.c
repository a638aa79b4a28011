/* Run-time trainer state calls for long-lived owners (the XS agent): change lr / EWC lambda
 * between steps, restore the initial adapter, and persist EWC's Fisher + anchor (which live
 * only in the arena) through the owner's storage. Byte format: docs/formats.md, "EWC state". */
#include <string.h>

#include "train_internal.h"

#define EWC_MAGIC "EPEW"
#define EWC_VERSION 3U /* 3: LoRA A anchors at the bound / 32 scale */
#define EWC_HEADER 48U /* 16 + base-model SHA-256 */
#define EWC_RECORD 16U

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

ep_status ept_set_rates(ept_trainer *t, uint32_t lr_u, uint32_t ewc_lambda_m)
{
    ept_config keep;
    ep_status st;
    if (t == NULL) return EP_ERR_ARG;
    /* EWC memory is carved at init: lambda can change but not switch EWC on or off */
    if ((t->cfg.ewc_lambda_m == 0) != (ewc_lambda_m == 0)) return EP_ERR_STATE;
    keep = t->cfg;
    t->cfg.lr_u = lr_u;
    t->cfg.ewc_lambda_m = ewc_lambda_m;
    st = ept_net_rates(t, NULL, 0);
    if (st != EP_OK) {
        /* out-of-range multiplier: keep the previous rates */
        t->cfg = keep;
        (void)ept_net_rates(t, NULL, 0);
    }
    return st;
}

ep_status ept_reset_adapters(ept_trainer *t)
{
    if (t == NULL) return EP_ERR_ARG;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        const size_t mb = T->kind == EPT_T_BIAS ? 4U : 2U;
        memset(T->master, 0, mb * (size_t)T->size);
        if (T->mom != NULL) memset(T->mom, 0, mb * (size_t)T->size);
        if (T->kind == EPT_T_A) ept_init_lora_a(t, T, i);
        if (T->kind == EPT_T_W) ept_full_init(t, T);
        if (T->kind == EPT_T_D) ept_bn_init_d(t, T, i);
        ept_refresh_view(T);
    }
    for (int32_t l = 0; l < t->nl; ++l) {
        if (t->L[l].ta >= 0) t->L[l].sh_h = -1; /* recalibrated on the next forward, as at init */
        if (t->L[l].td >= 0) t->L[l].bn_sh = -1;
    }
    t->step = 0;
    return EP_OK;
}

size_t ept_ewc_bytes(const ept_trainer *t)
{
    size_t n = EWC_HEADER + 4U;
    if (t == NULL || t->cfg.ewc_lambda_m == 0) return 0;
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t eb = T->kind == EPT_T_BIAS ? 4U : 2U;
        n += EWC_RECORD + al4(2U * (uint32_t)T->size) + al4(eb * (uint32_t)T->size);
    }
    return n;
}

ep_status ept_ewc_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written)
{
    const size_t need = ept_ewc_bytes(t);
    uint32_t at = EWC_HEADER;
    if (t == NULL || buf == NULL) return EP_ERR_ARG;
    if (need == 0) return EP_ERR_STATE;
    if (size < need) return EP_ERR_SIZE;
    memset(buf, 0, need);
    memcpy(buf, EWC_MAGIC, 4);
    buf[4] = (uint8_t)EWC_VERSION;
    buf[6] = (uint8_t)t->nt;
    buf[7] = (uint8_t)t->ewc_on;
    put32(buf + 8, (uint32_t)t->fisher_n);
    put32(buf + 12, t->param_count);
    memcpy(buf + 16, t->cfg.model_sha256, 32);
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t eb = T->kind == EPT_T_BIAS ? 4U : 2U;
        buf[at] = (uint8_t)T->kind;
        buf[at + 1] = (uint8_t)t->L[T->layer].fc_index;
        buf[at + 2] = (uint8_t)eb;
        put32(buf + at + 4, (uint32_t)T->size);
        put32(buf + at + 8, (uint32_t)T->fexp);
        put32(buf + at + 12, (uint32_t)T->fcount);
        at += EWC_RECORD;
        for (int32_t k = 0; k < T->size; ++k) {
            buf[at + 2U * (uint32_t)k] = (uint8_t)T->fisher[k];
            buf[at + 2U * (uint32_t)k + 1U] = (uint8_t)(T->fisher[k] >> 8);
        }
        at += al4(2U * (uint32_t)T->size);
        for (int32_t k = 0; k < T->size; ++k) {
            const uint32_t v = eb == 4U ? (uint32_t)((const int32_t *)T->anchor)[k]
                                        : (uint32_t)(int32_t)((const int16_t *)T->anchor)[k];
            for (uint32_t b = 0; b < eb; ++b) buf[at + eb * (uint32_t)k + b] = (uint8_t)(v >> (8U * b));
        }
        at += al4(eb * (uint32_t)T->size);
    }
    put32(buf + at, ept_crc32(buf, at));
    if (written != NULL) *written = need;
    return EP_OK;
}

/* A Fisher block exponent from a file feeds shift arithmetic (2X - fexp, 31 - s - fexp):
 * training produces small values, so anything beyond this bound is damage, not data. */
#define EWC_FEXP_LIMIT 4096

ep_status ept_ewc_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err, size_t err_size)
{
    uint32_t at = EWC_HEADER;
    const size_t want = ept_ewc_bytes(t);
    if (err != NULL && err_size > 0) err[0] = '\0';
    if (t == NULL || buf == NULL) return ept_errf(err, err_size, EP_ERR_ARG, "ewc: no trainer or buffer");
    if (want == 0) return ept_errf(err, err_size, EP_ERR_STATE, "ewc: no EWC in this session (the spec needs ewc:lambda)");
    if (size != want) {
        return ept_errf(err, err_size, EP_ERR_MODEL, size < want ? "ewc: truncated: %u < %u bytes" : "ewc: %u bytes, this session's state is %u",
                        (uint32_t)size, (uint32_t)want);
    }
    if (memcmp(buf, EWC_MAGIC, 4) != 0) return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: bad magic (not an EPEW state)");
    if (buf[4] != EWC_VERSION) return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: format version %u, this engine reads %u%s", (uint32_t)buf[4], EWC_VERSION,
                                               buf[4] == 2U ? " (version 2 anchors use the old LoRA A scale)" : "");
    if (buf[5] != 0U) return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: reserved byte 5 is %u, must be zero", (uint32_t)buf[5]);
    if (ept_crc32(buf, size - 4U) != get32(buf + size - 4U)) return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: CRC-32 mismatch");
    {
        const ep_status st_id = ept_check_model_id(t, buf + 16, "ewc", err, err_size);
        if (st_id != EP_OK) return st_id;
    }
    if (buf[6] != (uint8_t)t->nt || get32(buf + 12) != t->param_count) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: %u tensors / %u parameters, session has %u / %u", (uint32_t)buf[6],
                        get32(buf + 12), (uint32_t)t->nt, t->param_count);
    }
    if (buf[7] > 1U || get32(buf + 8) > (uint32_t)INT32_MAX) {
        return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: anchored flag %u / sample count %u out of range", (uint32_t)buf[7], get32(buf + 8));
    }
    /* check every record against this trainer before changing anything */
    for (int32_t i = 0; i < t->nt; ++i) {
        const ept_tensor *T = &t->T[i];
        const uint32_t eb = T->kind == EPT_T_BIAS ? 4U : 2U;
        const int32_t fexp = (int32_t)get32(buf + at + 8);
        if (buf[at] != (uint8_t)T->kind || buf[at + 1] != (uint8_t)t->L[T->layer].fc_index ||
            get32(buf + at + 4) != (uint32_t)T->size) {
            return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: tensor %d kind %u layer %u size %u, session has %u / %u / %u", i,
                            (uint32_t)buf[at], (uint32_t)buf[at + 1], get32(buf + at + 4), (uint32_t)T->kind,
                            (uint32_t)t->L[T->layer].fc_index, (uint32_t)T->size);
        }
        if (fexp < -EWC_FEXP_LIMIT || fexp > EWC_FEXP_LIMIT || get32(buf + at + 12) > (uint32_t)INT32_MAX) {
            return ept_errf(err, err_size, EP_ERR_MODEL, "ewc: tensor %d exponent %d / count %u out of range", i, fexp, get32(buf + at + 12));
        }
        at += EWC_RECORD + al4(2U * (uint32_t)T->size) + al4(eb * (uint32_t)T->size);
    }
    at = EWC_HEADER;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        const uint32_t eb = T->kind == EPT_T_BIAS ? 4U : 2U;
        T->fexp = (int32_t)get32(buf + at + 8);
        T->fcount = (int32_t)get32(buf + at + 12);
        at += EWC_RECORD;
        T->fmax = 0;
        for (int32_t k = 0; k < T->size; ++k) {
            T->fisher[k] = (uint16_t)(buf[at + 2U * (uint32_t)k] | (buf[at + 2U * (uint32_t)k + 1U] << 8));
            T->fmax = T->fisher[k] > T->fmax ? T->fisher[k] : T->fmax;
        }
        at += al4(2U * (uint32_t)T->size);
        for (int32_t k = 0; k < T->size; ++k) {
            uint32_t v = 0;
            for (uint32_t b = 0; b < eb; ++b) v |= (uint32_t)buf[at + eb * (uint32_t)k + b] << (8U * b);
            if (eb == 4U) ((int32_t *)T->anchor)[k] = (int32_t)v;
            else ((int16_t *)T->anchor)[k] = (int16_t)(uint16_t)v;
        }
        at += al4(eb * (uint32_t)T->size);
        ept_ewc_fold(T);
    }
    t->fisher_n = (int32_t)get32(buf + 8);
    t->ewc_on = buf[7] != 0;
    return EP_OK;
}
