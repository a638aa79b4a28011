/* Host check of the run-time state calls (ept_set_rates, ept_reset_adapters, EWC state
 * export/import) on the digits MLP: each compares against a path that does not use the
 * call (a fresh ept_init with the target setting, an uninterrupted run), printing one
 * "name ok|FAIL" line each for host-tests/train/state.test.ts. Usage: MODEL SAMPLES.bin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"

#define ARENA (256 * 1024)
static uint8_t arena_a[ARENA] __attribute__((aligned(16)));
static uint8_t arena_b[ARENA] __attribute__((aligned(16)));
static uint8_t ex_a[64 * 1024], ex_b[64 * 1024], ewc[256 * 1024];
static uint8_t *data;

/* reflected CRC-32 (IEEE, zlib's), bit by bit: independent of the engine's table version */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= p[i];
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}
static size_t data_n, rec;

static ept_trainer *mk(const ep_model *m, const char *spec, uint32_t lr_u, uint8_t *arena)
{
    ept_config cfg;
    ept_trainer *t = NULL;
    char err[128];
    ept_config_default(&cfg);
    if (ept_parse_spec(spec, &cfg, err, sizeof err) != EP_OK) return NULL;
    cfg.lr_u = lr_u;
    cfg.seed = 5;
    if (ept_init(&t, m, &cfg, arena, ARENA, err, sizeof err) != EP_OK) {
        fprintf(stderr, "init: %s\n", err);
        return NULL;
    }
    return t;
}

/* the digits model's latent is its input (adapters from layer 0) */
static void steps(ept_trainer *t, size_t from, size_t n)
{
    for (size_t i = from; i < from + n; ++i) {
        const uint8_t *r = data + (i % (data_n / rec)) * rec;
        ept_step_info info;
        (void)ept_step(t, (const int8_t *)r + 1, (uint32_t)(rec - 1), r[0], &info);
    }
}

static void fisher(ept_trainer *t)
{
    (void)ept_fisher_reset(t);
    for (size_t i = 0; i < 64; ++i) {
        const uint8_t *r = data + i * rec;
        (void)ept_fisher_add(t, (const int8_t *)r + 1, (uint32_t)(rec - 1), r[0]);
    }
    (void)ept_ewc_anchor(t);
}

static int same(const ept_trainer *a, const ept_trainer *b)
{
    size_t na = 0, nb = 0;
    return ept_export(a, ex_a, sizeof ex_a, &na) == EP_OK && ept_export(b, ex_b, sizeof ex_b, &nb) == EP_OK &&
           na == nb && memcmp(ex_a, ex_b, na) == 0;
}

/* Checkpoint (EPCK): N steps, checkpoint, M more steps (A) against a fresh trainer that imports
 * the checkpoint and runs the same M steps (B): byte-identical masters, momentum and step
 * (compared as checkpoints) and adapters. The EPAD import of the same point must differ (it
 * drops the master fractions and momentum), or the comparison could not fail. Damaged or
 * foreign checkpoints are refused with a message naming the field and leave B unchanged. */
static uint8_t ck_a[128 * 1024], ck_b[128 * 1024], ck_c[128 * 1024], ck_before[128 * 1024];

static int ck_same(const ept_trainer *a, const ept_trainer *b)
{
    size_t na = 0, nb = 0;
    return ept_checkpoint_export(a, ck_b, sizeof ck_b, &na) == EP_OK &&
           ept_checkpoint_export(b, ck_c, sizeof ck_c, &nb) == EP_OK && na == nb &&
           memcmp(ck_b, ck_c, na) == 0 && same(a, b);
}

static void refuse(const char *name, ept_trainer *b, const uint8_t *buf, size_t n, const char *want)
{
    char err[160] = "";
    size_t n0 = 0, n1 = 0;
    (void)ept_checkpoint_export(b, ck_before, sizeof ck_before, &n0);
    const ep_status st = ept_checkpoint_import(b, buf, n, err, sizeof err);
    (void)ept_checkpoint_export(b, ck_c, sizeof ck_c, &n1);
    const int ok = st != EP_OK && strstr(err, want) != NULL && n0 > 0 && n0 == n1 && memcmp(ck_before, ck_c, n0) == 0;
    printf("ckpt_refuse_%s %s (%s)\n", name, ok ? "ok" : "FAIL", err);
}

static void checkpoint_checks(const ep_model *m)
{
    const char *specs[2] = {"lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0,len=16+sgd:momentum=0.5",
                            "lora:rank=2,alpha=4,layers=0..1+bias:layers=1+dp:clip=1,sigma=0.5"};
    int exact = 1, needed = 1, zero = 1;
    size_t n = 0, na = 0;
    ept_trainer *a, *b;
    for (int s = 0; s < 2; ++s) {
        a = mk(m, specs[s], 1000, arena_a);
        steps(a, 0, 37);
        (void)ept_checkpoint_export(a, ck_a, sizeof ck_a, &n);
        (void)ept_export(a, ex_a, sizeof ex_a, &na);
        b = mk(m, specs[s], 1000, arena_b);
        exact &= n == ept_checkpoint_bytes(a) && ept_checkpoint_import(b, ck_a, n, NULL, 0) == EP_OK;
        steps(a, 37, 45);
        steps(b, 37, 45);
        exact &= ck_same(a, b);
        /* the adapter (int8 views) alone does not resume exactly */
        b = mk(m, specs[s], 1000, arena_b);
        (void)ept_import(b, ex_a, na, NULL, 0);
        steps(b, 37, 45);
        needed &= !same(a, b);
        /* a checkpoint before the first forward (h shift not yet calibrated) into a trainer
         * that has trained: the import must bring it back to step 0 exactly */
        a = mk(m, specs[s], 1000, arena_a);
        (void)ept_checkpoint_export(a, ck_a, sizeof ck_a, &n);
        b = mk(m, specs[s], 1000, arena_b);
        steps(b, 0, 5);
        zero &= ept_checkpoint_import(b, ck_a, n, NULL, 0) == EP_OK;
        steps(a, 0, 20);
        steps(b, 0, 20);
        zero &= ck_same(a, b);
    }
    printf("ckpt_resume_exact %s\n", exact ? "ok" : "FAIL");
    printf("ckpt_adapter_not_enough %s\n", needed ? "ok" : "FAIL");
    printf("ckpt_step0 %s\n", zero ? "ok" : "FAIL");

    /* damaged bytes, then sound checkpoints of other runs, into a trained b */
    a = mk(m, specs[0], 1000, arena_a);
    steps(a, 0, 11);
    (void)ept_checkpoint_export(a, ck_a, sizeof ck_a, &n);
    b = mk(m, specs[0], 1000, arena_b);
    steps(b, 0, 23);
    refuse("truncated", b, ck_a, n - 1, "truncated");
    refuse("short", b, ck_a, 10, "truncated");
    ck_a[n / 2] ^= 0x10;
    refuse("crc", b, ck_a, n, "CRC-32");
    ck_a[n / 2] ^= 0x10;
    ck_a[0] = 'X';
    refuse("magic", b, ck_a, n, "magic");
    ck_a[0] = 'E';
    ck_a[4] = (uint8_t)(ck_a[4] + 1); /* the next, unknown version */
    refuse("version", b, ck_a, n, "version");
    ck_a[4] = (uint8_t)(ck_a[4] - 1);
    a = mk(m, "lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0,len=16", 1000, arena_a);
    (void)ept_checkpoint_export(a, ck_a, sizeof ck_a, &n);
    refuse("momentum", b, ck_a, n, "momentum");
    a = mk(m, "lora:rank=2,alpha=8,layers=0..1+bias:layers=0..1+prompt:layers=0,len=16+sgd:momentum=0.5", 1000, arena_a);
    (void)ept_checkpoint_export(a, ck_a, sizeof ck_a, &n);
    refuse("rank", b, ck_a, n, "parameters");
    {
        ept_config cfg;
        char err[128];
        ept_trainer *c = NULL;
        ept_config_default(&cfg);
        (void)ept_parse_spec(specs[0], &cfg, err, sizeof err);
        cfg.lr_u = 1000;
        cfg.seed = 6;
        (void)ept_init(&c, m, &cfg, arena_a, ARENA, err, sizeof err);
        (void)ept_checkpoint_export(c, ck_a, sizeof ck_a, &n);
        refuse("seed", b, ck_a, n, "configuration hash");
        /* same spec and seed, another base model (its SHA-256): refused by the identity */
        cfg.seed = 1;
        cfg.model_sha256[0] = 0x5a;
        (void)ept_init(&c, m, &cfg, arena_a, ARENA, err, sizeof err);
        (void)ept_checkpoint_export(c, ck_a, sizeof ck_a, &n);
        refuse("model", b, ck_a, n, "checkpoint: made for another model (base SHA-256 5a000000..., session's 00000000...)");
        cfg.model_sha256[0] = 0;
        /* another rate is not another run: lr is not part of the hash */
        cfg.seed = 5;
        cfg.lr_u = 300;
        (void)ept_init(&c, m, &cfg, arena_a, ARENA, err, sizeof err);
        steps(c, 0, 3);
        (void)ept_checkpoint_export(c, ck_a, sizeof ck_a, &n);
        printf("ckpt_other_rate_ok %s\n", ept_checkpoint_import(b, ck_a, n, err, sizeof err) == EP_OK && ept_steps(b) == 3 ? "ok" : "FAIL");
    }
}

int main(int argc, char **argv)
{
    static ep_model m;
    static uint8_t model[1 << 20];
    const char *spec = "lora:rank=4,alpha=8,layers=0..1+bias:layers=0..1+sgd:momentum=0.5";
    const char *ewc_spec = "lora:rank=4,alpha=8,layers=0..1+bias:layers=1+ewc:lambda=50";
    FILE *f;
    size_t mn;
    ept_trainer *a, *b;
    char err[128];
    if (argc < 3 || (f = fopen(argv[1], "rb")) == NULL) return 2;
    mn = fread(model, 1, sizeof model, f);
    fclose(f);
    if ((f = fopen(argv[2], "rb")) == NULL) return 2;
    data = malloc(1 << 22);
    data_n = fread(data, 1, 1 << 22, f);
    fclose(f);
    if (ep_model_open(&m, model, mn, err, sizeof err) != EP_OK) return 2;
    rec = 65;

    /* set_rates cannot switch EWC on when its memory was not carved at init */
    a = mk(&m, spec, 2000, arena_a);
    printf("set_rates_state %s\n", ept_set_rates(a, 300, 50) == EP_ERR_STATE ? "ok" : "FAIL");

    /* reset: after training, reset == fresh init (byte-identical export), and training
     * from it again gives the same adapter as from a fresh init */
    a = mk(&m, spec, 1000, arena_a);
    b = mk(&m, spec, 1000, arena_b);
    steps(a, 0, 30);
    (void)ept_reset_adapters(a);
    printf("reset_equals_init %s\n", same(a, b) ? "ok" : "FAIL");
    steps(a, 0, 30);
    steps(b, 0, 30);
    printf("reset_then_train %s\n", same(a, b) ? "ok" : "FAIL");

    /* set_rates: init at lr 0.001, switch to 0.0004 before any step == init at 0.0004 */
    a = mk(&m, spec, 1000, arena_a);
    b = mk(&m, spec, 400, arena_b);
    (void)ept_set_rates(a, 400, 0);
    steps(a, 0, 50);
    steps(b, 0, 50);
    printf("set_rates_equals_init %s\n", same(a, b) ? "ok" : "FAIL");

    /* EWC state: Fisher + anchor exported from one trainer and imported into a fresh one
     * (with the adapter) continues exactly as the original through a second task */
    {
        size_t n = 0, na = 0;
        /* the adapter export carries int8 views only, so both sides start from an import
         * (masters = views) and the original computes its Fisher + anchor there */
        a = mk(&m, ewc_spec, 1000, arena_a);
        steps(a, 0, 40);
        (void)ept_export(a, ex_b, sizeof ex_b, &na);
        a = mk(&m, ewc_spec, 1000, arena_a);
        (void)ept_import(a, ex_b, na, NULL, 0);
        fisher(a);
        if (ept_ewc_export(a, ewc, sizeof ewc, &n) != EP_OK || n != ept_ewc_bytes(a)) {
            printf("ewc_roundtrip FAIL export\n");
            return 1;
        }
        const ep_status st_ex = ept_export(a, ex_a, sizeof ex_a, &na);
        b = mk(&m, ewc_spec, 1000, arena_b);
        (void)ept_import(b, ex_a, na, NULL, 0);
        printf("ewc_import_status %s\n", ept_ewc_import(b, ewc, n, NULL, 0) == EP_OK ? "ok" : "FAIL");
        steps(a, 100, 60);
        steps(b, 100, 60);
        printf("ewc_roundtrip %s\n", same(a, b) ? "ok" : "FAIL");
        /* and it matters: without the imported state the second task drifts differently */
        /* a "these differ" check must fail, not pass, when the setup under it errors */
        b = mk(&m, ewc_spec, 1000, arena_b);
        {
            const ep_status st_imp = b != NULL ? ept_import(b, ex_a, na, NULL, 0) : EP_ERR_ARG;
            if (st_imp == EP_OK) steps(b, 100, 60);
            printf("ewc_state_matters %s\n", st_imp == EP_OK && st_ex == EP_OK && !same(a, b) ? "ok" : "FAIL");
        }
        ewc[20] ^= 1;
        printf("ewc_crc_checked %s\n", ept_ewc_import(b, ewc, n, NULL, 0) == EP_ERR_MODEL ? "ok" : "FAIL");
        /* a nonzero reserved byte with a valid CRC is refused and named as such (not as a
         * version mismatch); the CRC is resealed with an independent bitwise CRC-32 */
        ewc[20] ^= 1;
        ewc[5] = 1;
        put32(ewc + n - 4, crc32_bitwise(ewc, n - 4));
        {
            char err[160];
            const ep_status st_r = ept_ewc_import(b, ewc, n, err, sizeof err);
            printf("ewc_reserved_checked %s %s\n", st_r == EP_ERR_MODEL && strstr(err, "reserved byte 5") != NULL ? "ok" : "FAIL", err);
            /* an image of another base model (its SHA-256 at bytes 16..47), CRC resealed */
            ewc[5] = 0;
            ewc[16] ^= 0xa5;
            put32(ewc + n - 4, crc32_bitwise(ewc, n - 4));
            const ep_status st_m = ept_ewc_import(b, ewc, n, err, sizeof err);
            printf("ewc_model_checked %s %s\n", st_m == EP_ERR_ARG && strstr(err, "ewc: made for another model (base SHA-256 a5000000...") != NULL ? "ok" : "FAIL", err);
        }
    }
    checkpoint_checks(&m);
    return 0;
}
