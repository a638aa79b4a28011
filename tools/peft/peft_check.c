/* PEFT method check and cost driver (host-tests/train/peft-methods.test.ts, bench/peft):
 * per adapter spec, train two adapters in two sessions (seeds 1 and 2, the second starting
 * half-way through the data), export both, then hot-swap them in a third session and in the
 * first (still holding its own trained state), each time comparing every eval output with the
 * trained session's. Prints one line per spec:
 *   SPEC: before A after B bytes N params P arena R trains ok|FAIL import ok|FAIL
 *         swap ok|FAIL differ ok|FAIL
 * Usage: ept-peft-check MODEL TRAIN.bin EVAL.bin STEPS LR SPEC... (LR decimal, as the CLI; a
 * spec's own sgd:lr=X wins).
 * The bench runs it under callgrind with --toggle-collect=ept_import / ept_session_step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"

#define ARENA (768 * 1024)
#define MAX_OUT 64
static uint8_t arena[3][ARENA] __attribute__((aligned(16)));
static uint8_t model_buf[1 << 20];
static uint8_t ex[2][1 << 19];
static int8_t outs[3][4096 * MAX_OUT];

typedef struct {
    uint8_t *p;
    size_t n, rec;
} records;

static int load(const char *path, records *r, size_t in_bytes)
{
    FILE *f = fopen(path, "rb");
    long len;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) return -1;
    r->p = malloc((size_t)len); /* host tool: the engine never allocates */
    r->rec = in_bytes + 1;
    if (r->p == NULL || fread(r->p, 1, (size_t)len, f) != (size_t)len || (size_t)len % r->rec != 0) return -1;
    r->n = (size_t)len / r->rec;
    fclose(f);
    return 0;
}

static int mk(ept_session *s, const ep_model *m, const char *spec, uint32_t lr_u, uint32_t seed, uint8_t *a)
{
    ept_config cfg;
    char err[160];
    ept_config_default(&cfg);
    if (ept_parse_spec(spec, &cfg, err, sizeof err) != EP_OK) {
        fprintf(stderr, "%s: %s\n", spec, err);
        return -1;
    }
    if (strstr(spec, "lr=") == NULL) cfg.lr_u = lr_u; /* a spec's own sgd:lr wins */
    cfg.seed = seed;
    if (ept_session_init(s, m, &cfg, a, ARENA, err, sizeof err) != EP_OK) {
        fprintf(stderr, "%s: init: %s\n", spec, err);
        return -1;
    }
    return 0;
}

/* eval outputs (the model's int8 output per record) and accuracy */
static double eval(ept_session *s, const records *ev, int8_t *out, uint32_t classes)
{
    size_t ok = 0;
    for (size_t i = 0; i < ev->n && i < 4096; ++i) {
        const uint8_t *r = ev->p + i * ev->rec;
        ept_step_info info;
        if (ept_session_infer(s, (const int8_t *)r + 1, (uint32_t)(ev->rec - 1), out + i * classes, classes, &info) != EP_OK) return -1.0;
        ok += (size_t)(info.predicted == r[0]);
    }
    return (double)ok / (double)ev->n;
}

static void train(ept_session *s, const records *tr, size_t from, uint32_t steps)
{
    for (uint32_t k = 0; k < steps; ++k) {
        const uint8_t *r = tr->p + ((from + k) % tr->n) * tr->rec;
        ept_step_info info;
        (void)ept_session_step(s, (const int8_t *)r + 1, (uint32_t)(tr->rec - 1), r[0], &info);
    }
}

static int same(const int8_t *a, const int8_t *b, size_t n)
{
    return memcmp(a, b, n) == 0;
}

int main(int argc, char **argv)
{
    static ep_model m;
    static ept_session s[3];
    ep_tensor_info ti, to;
    records tr, ev;
    char err[160];
    size_t mn, na = 0, nb = 0;
    uint32_t lr_u = 0, steps;
    FILE *f;
    if (argc < 7 || (f = fopen(argv[1], "rb")) == NULL) {
        fprintf(stderr, "usage: ept-peft-check MODEL TRAIN.bin EVAL.bin STEPS LR SPEC...\n");
        return 2;
    }
    mn = fread(model_buf, 1, sizeof model_buf, f);
    fclose(f);
    if (ep_model_open(&m, model_buf, mn, err, sizeof err) != EP_OK ||
        ep_model_tensor(&m, ep_model_input(&m, 0), &ti) != EP_OK ||
        ep_model_tensor(&m, ep_model_output(&m, 0), &to) != EP_OK || to.bytes > MAX_OUT) {
        fprintf(stderr, "model: %s\n", err);
        return 2;
    }
    if (load(argv[2], &tr, ti.bytes) != 0 || load(argv[3], &ev, ti.bytes) != 0 ||
        ept_parse_fixed(argv[5], 6, &lr_u) != EP_OK) {
        fprintf(stderr, "bad data or lr\n");
        return 2;
    }
    steps = (uint32_t)strtoul(argv[4], NULL, 10);
    const uint32_t classes = (uint32_t)to.bytes;
    const size_t on = (ev.n < 4096 ? ev.n : 4096) * classes;
    int fails = 0;
    for (int a = 6; a < argc; ++a) {
        const char *spec = argv[a];
        double before, after;
        int ok_import, ok_swap, ok_differ, ok_train;
        if (mk(&s[0], &m, spec, lr_u, 1, arena[0]) || mk(&s[1], &m, spec, lr_u, 2, arena[1]) ||
            mk(&s[2], &m, spec, lr_u, 1, arena[2])) return 2;
        before = eval(&s[0], &ev, outs[2], classes);
        train(&s[0], &tr, 0, steps);
        train(&s[1], &tr, tr.n / 2, steps);
        after = eval(&s[0], &ev, outs[0], classes);
        (void)eval(&s[1], &ev, outs[1], classes);
        if (ept_export(s[0].trainer, ex[0], sizeof ex[0], &na) != EP_OK ||
            ept_export(s[1].trainer, ex[1], sizeof ex[1], &nb) != EP_OK) return 2;
        ok_train = after > before;
        /* import into a fresh session, then swap B in and A back */
        ok_import = ept_import(s[2].trainer, ex[0], na, err, sizeof err) == EP_OK && eval(&s[2], &ev, outs[2], classes) >= 0 &&
                    same(outs[2], outs[0], on);
        ok_swap = ept_import(s[2].trainer, ex[1], nb, err, sizeof err) == EP_OK && eval(&s[2], &ev, outs[2], classes) >= 0 &&
                  same(outs[2], outs[1], on);
        ok_swap = ok_swap && ept_import(s[2].trainer, ex[0], na, err, sizeof err) == EP_OK &&
                  eval(&s[2], &ev, outs[2], classes) >= 0 && same(outs[2], outs[0], on);
        /* hot swap over a live trained state: session 0 takes B */
        ok_swap = ok_swap && ept_import(s[0].trainer, ex[1], nb, err, sizeof err) == EP_OK &&
                  eval(&s[0], &ev, outs[2], classes) >= 0 && same(outs[2], outs[1], on);
        ok_differ = !same(outs[0], outs[1], on) && memcmp(ex[0], ex[1], na < nb ? na : nb) != 0;
        printf("%s: before %.4f after %.4f bytes %u params %u arena %u trains %s import %s swap %s differ %s\n", spec,
               before, after, (unsigned)na, (unsigned)s[0].plan.param_count,
               (unsigned)(s[0].engine_plan.arena_bytes), ok_train ? "ok" : "FAIL", ok_import ? "ok" : "FAIL",
               ok_swap ? "ok" : "FAIL", ok_differ ? "ok" : "FAIL");
        fails += !ok_train + !ok_import + !ok_swap + !ok_differ;
    }
    return fails != 0;
}
