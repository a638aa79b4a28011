#include "adapter_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, ep_status st, const char *err)
{
    fprintf(stderr, "fuzz-adapter: %s: %s %s\n", what, ep_status_name(st), err != NULL ? err : "");
    exit(2);
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    long n = 0;
    uint8_t *b;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) die(path, EP_ERR_ARG, "unreadable");
    b = malloc((size_t)n);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) die(path, EP_ERR_ARG, "short read");
    fclose(f);
    *size = (size_t)n;
    return b;
}

void fuzz_adapter_setup(fuzz_adapter_ctx *c, const char *model_path, const char *spec)
{
    char err[256] = "";
    ept_config cfg;
    ept_plan_info tp;
    ep_plan_info ep;
    size_t size;
    ep_tensor_view in;
    const int8_t *lat;
    ep_status st;
    memset(c, 0, sizeof *c);
    c->model_bytes = read_file(model_path, &size);
    if ((st = ep_model_open(&c->model, c->model_bytes, size, err, sizeof err)) != EP_OK) die("model", st, err);
    ept_config_default(&cfg);
    if ((st = ept_parse_spec(spec, &cfg, err, sizeof err)) != EP_OK) die("spec", st, err);
    /* a nonzero base-model identity, so its bytes are checked like any field (no hashing here:
     * the value only has to be the session's) */
    for (int i = 0; i < 32; ++i) cfg.model_sha256[i] = (uint8_t)(0xA0 + i);
    if ((st = ept_session_plan(&c->model, &cfg, &tp, &ep, err, sizeof err)) != EP_OK) die("plan", st, err);
    c->arena = aligned_alloc(16, (ep.arena_bytes + 15U) & ~(size_t)15U);
    if (c->arena == NULL) die("arena", EP_ERR_ARENA, "");
    if ((st = ept_session_init(&c->s, &c->model, &cfg, c->arena, ep.arena_bytes, err, sizeof err)) != EP_OK) die("init", st, err);
    if ((st = ep_session_input(&c->s.session, 0, &in)) != EP_OK) die("input", st, "");
    {
        int8_t *x = malloc(in.bytes);
        for (uint32_t k = 0; k < in.bytes; ++k) x[k] = (int8_t)(k * 37U + 11U);
        if ((st = ept_session_latent(&c->s, x, in.bytes, &lat, &c->latent_bytes)) != EP_OK) die("latent", st, "");
        free(x);
    }
    c->latent = malloc(c->latent_bytes);
    memcpy(c->latent, lat, c->latent_bytes);
    /* a trained adapter and a real Fisher, so every field holds a typical value */
    for (int32_t i = 0; i < 20; ++i) (void)ept_step(c->s.trainer, c->latent, c->latent_bytes, i % c->s.plan.classes, NULL);
    if (ept_fisher_reset(c->s.trainer) != EP_OK) die("spec needs ewc:lambda", EP_ERR_STATE, "");
    for (int32_t i = 0; i < 4; ++i) (void)ept_fisher_add(c->s.trainer, c->latent, c->latent_bytes, i % c->s.plan.classes);
    if ((st = ept_ewc_anchor(c->s.trainer)) != EP_OK) die("anchor", st, "");
    c->adapter = malloc(c->s.plan.export_bytes);
    if ((st = ept_export(c->s.trainer, c->adapter, c->s.plan.export_bytes, &c->adapter_size)) != EP_OK) die("export", st, "");
    c->ewc_size = ept_ewc_bytes(c->s.trainer);
    c->ewc = malloc(c->ewc_size);
    if ((st = ept_ewc_export(c->s.trainer, c->ewc, c->ewc_size, NULL)) != EP_OK) die("ewc export", st, "");
    {
        const size_t n = ept_checkpoint_bytes(c->s.trainer);
        c->ckpt = malloc(n);
        c->before = malloc(n);
        c->after = malloc(n);
        if (c->ckpt == NULL || c->before == NULL || c->after == NULL) die("checkpoint buffers", EP_ERR_SIZE, "");
        if ((st = ept_checkpoint_export(c->s.trainer, c->ckpt, n, &c->ckpt_size)) != EP_OK) die("checkpoint export", st, "");
    }
}

void fuzz_fix_crc(uint8_t *buf, size_t size)
{
    uint32_t crc = 0xFFFFFFFFU;
    if (size < 4) return;
    for (size_t i = 0; i < size - 4; ++i) {
        crc ^= buf[i];
        for (int b = 0; b < 8; ++b) crc = (crc >> 1) ^ (0xEDB88320U & (0U - (crc & 1U)));
    }
    crc = ~crc;
    for (int i = 0; i < 4; ++i) buf[size - 4 + (size_t)i] = (uint8_t)(crc >> (8 * i));
}

/* A status must be one of ep_status and a refusal must say why (the plumbing of finding 3). */
static void check_refusal(ep_status st, const char *err, size_t err_size, const char *call)
{
    if (st > EP_OK || st < EP_ERR_SIZE) {
        fprintf(stderr, "fuzz-adapter: %s returned %d, not an ep_status\n", call, (int)st);
        abort();
    }
    if (st != EP_OK && (memchr(err, '\0', err_size) == NULL || err[0] == '\0')) {
        fprintf(stderr, "fuzz-adapter: %s refused (%s) without a message\n", call, ep_status_name(st));
        abort();
    }
}

/* After an accepted import: the fields now steer shifts and multipliers in the forward and
 * backward passes, which is where an unchecked value becomes UB. */
static void exercise(fuzz_adapter_ctx *c)
{
    int8_t probs[EPT_MAX_CLASSES];
    ept_step_info info;
    (void)ept_forward(c->s.trainer, c->latent, c->latent_bytes, probs, (uint32_t)c->s.plan.classes, 0, &info);
    (void)ept_step(c->s.trainer, c->latent, c->latent_bytes, 1 % c->s.plan.classes, &info);
}

int fuzz_adapter_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size)
{
    char err[256];
    ept_config cfg;
    ep_status st;
    memset(err, 0x55, sizeof err);
    st = ept_adapter_config(data, size, &cfg, err, sizeof err);
    check_refusal(st, err, sizeof err, "ept_adapter_config");
    memset(err, 0x55, sizeof err);
    st = ept_import(c->s.trainer, data, size, err, sizeof err);
    check_refusal(st, err, sizeof err, "ept_import");
    if (st != EP_OK) return 0;
    exercise(c);
    {
        /* what was accepted must export and import again */
        size_t n = 0;
        uint8_t *again = malloc(c->s.plan.export_bytes);
        if (ept_export(c->s.trainer, again, c->s.plan.export_bytes, &n) != EP_OK ||
            ept_import(c->s.trainer, again, n, err, sizeof err) != EP_OK) {
            fprintf(stderr, "fuzz-adapter: an accepted adapter does not round-trip: %s\n", err);
            abort();
        }
        free(again);
    }
    return 1;
}

int fuzz_ewc_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size)
{
    char err[256];
    ep_status st;
    memset(err, 0x55, sizeof err);
    st = ept_ewc_import(c->s.trainer, data, size, err, sizeof err);
    check_refusal(st, err, sizeof err, "ept_ewc_import");
    if (st != EP_OK) return 0;
    exercise(c);
    return 1;
}

int fuzz_ckpt_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size)
{
    char err[256];
    ep_status st;
    size_t n0 = 0, n1 = 0;
    if (ept_checkpoint_export(c->s.trainer, c->before, c->ckpt_size, &n0) != EP_OK) abort();
    memset(err, 0x55, sizeof err);
    st = ept_checkpoint_import(c->s.trainer, data, size, err, sizeof err);
    check_refusal(st, err, sizeof err, "ept_checkpoint_import");
    if (st != EP_OK) {
        if (ept_checkpoint_export(c->s.trainer, c->after, c->ckpt_size, &n1) != EP_OK || n0 != n1 ||
            memcmp(c->before, c->after, n0) != 0) {
            fprintf(stderr, "fuzz-adapter: a refused checkpoint changed the trainer (%s)\n", err);
            abort();
        }
        return 0;
    }
    exercise(c);
    return 1;
}
