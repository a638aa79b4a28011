/* Host check of the run-time state calls (ept_set_rates, ept_reset_adapters, EWC state
 * export/import) on the digits MLP: each compares against a path that does not use the
 * call (a fresh ept_init with the target setting, an uninterrupted run), printing one
 * "name ok|FAIL" line each for host-tests/train/state.test.ts. Usage: MODEL SAMPLES.bin */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ept_train.h"

#define ARENA (256 * 1024)
static uint8_t arena_a[ARENA] __attribute__((aligned(16)));
static uint8_t arena_b[ARENA] __attribute__((aligned(16)));
static uint8_t ex_a[64 * 1024], ex_b[64 * 1024], ewc[256 * 1024];
static uint8_t *data;
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
        (void)ept_import(a, ex_b, na);
        fisher(a);
        if (ept_ewc_export(a, ewc, sizeof ewc, &n) != EP_OK || n != ept_ewc_bytes(a)) {
            printf("ewc_roundtrip FAIL export\n");
            return 1;
        }
        (void)ept_export(a, ex_a, sizeof ex_a, &na);
        b = mk(&m, ewc_spec, 1000, arena_b);
        (void)ept_import(b, ex_a, na);
        printf("ewc_import_status %s\n", ept_ewc_import(b, ewc, n) == EP_OK ? "ok" : "FAIL");
        steps(a, 100, 60);
        steps(b, 100, 60);
        printf("ewc_roundtrip %s\n", same(a, b) ? "ok" : "FAIL");
        /* and it matters: without the imported state the second task drifts differently */
        b = mk(&m, ewc_spec, 1000, arena_b);
        (void)ept_import(b, ex_a, na);
        steps(b, 100, 60);
        printf("ewc_state_matters %s\n", !same(a, b) ? "ok" : "FAIL");
        ewc[20] ^= 1;
        printf("ewc_crc_checked %s\n", ept_ewc_import(b, ewc, n) == EP_ERR_MODEL ? "ok" : "FAIL");
    }
    return 0;
}
