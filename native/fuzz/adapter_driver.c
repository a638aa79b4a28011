/* fuzz-adapter: adapter (EPAD) and EWC-state (EPEW) import under AddressSanitizer +
 * UndefinedBehaviorSanitizer, on one trainer session over a real model.
 *
 *   fuzz-adapter MODEL SPEC [--flips N] [--seed S] [--write-seed DIR]
 *
 * Cases, for each format: the pristine export (must import); a truncation at every length,
 * raw and with the length field and CRC-32 patched to the cut (so it reaches the record
 * checks; none may be accepted); N copies with 1-4 random bytes XORed and the CRC fixed up;
 * every header and record-head field set to extremes (0, 1, -1, 31, 32, INT16/INT32 min and
 * max, the file size) with the CRC fixed up. An accepted case runs a forward and a step.
 * The same for checkpoints (EPCK), where a refusal must also leave the trainer unchanged.
 * SPEC must name ewc:lambda. --write-seed DIR: writes the pristine files (libFuzzer corpus).
 * Exit 0 unless the harness fails; a crash or sanitizer report kills the process (naming the
 * case). Prints one JSON object of counts; "sh_h_huge_refused": the review's crafted sh_h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapter_run.h"

static char current_case[128];
static void on_exit_report(void) { if (current_case[0]) fprintf(stderr, "fuzz-adapter: last case: %s\n", current_case); }

static uint64_t rng_state;
static uint64_t next_rand(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct { unsigned cases, accepted; } tally;
typedef int (*import_fn)(fuzz_adapter_ctx *, const uint8_t *, size_t);

static fuzz_adapter_ctx ctx;

/* Runs one case on an exact-size heap copy (ASan sees every overread). */
static void one(tally *t, import_fn f, const uint8_t *bytes, size_t size, int fix_crc)
{
    uint8_t *b = malloc(size ? size : 1);
    memcpy(b, bytes, size);
    if (fix_crc) fuzz_fix_crc(b, size);
    t->cases++;
    t->accepted += (unsigned)f(&ctx, b, size);
    free(b);
}

static void put(uint8_t *p, unsigned width, uint32_t v)
{
    for (unsigned i = 0; i < width; ++i) p[i] = (uint8_t)(v >> (8 * i));
}

/* Field list: (offset, width) of every header and record-head field of the pristine file. */
typedef struct { size_t pos; unsigned width; } field;

static size_t adapter_fields(const uint8_t *a, size_t n, field *out)
{
    static const unsigned hdr[][2] = { {4,2},{6,2},{8,4},{12,2},{14,2},{16,2},{18,2},{20,2},{22,2},{24,2},{26,2},{28,2},{30,2},{32,4},{36,4},{40,4},
                                       {44,4},{48,4},{72,4} }; /* and the base-model SHA-256 at 44..75 */
    static const unsigned rec[][2] = { {0,1},{1,1},{2,1},{3,1},{4,2},{6,2},{8,4},{12,4},{16,4} };
    size_t k = 0, at = 76;
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; ++i) out[k++] = (field){ hdr[i][0], hdr[i][1] };
    while (at + 20 + 4 <= n && k + 9 < 512) {
        const size_t data = (((size_t)a[at + 4] | (size_t)a[at + 5] << 8) * ((size_t)a[at + 6] | (size_t)a[at + 7] << 8) * a[at + 2] + 3) & ~(size_t)3;
        for (size_t i = 0; i < sizeof rec / sizeof rec[0]; ++i) out[k++] = (field){ at + rec[i][0], rec[i][1] };
        at += 20 + data;
    }
    return k;
}

static size_t ewc_fields(const uint8_t *a, size_t n, field *out)
{
    static const unsigned hdr[][2] = { {4,1},{5,1},{6,1},{7,1},{8,4},{12,4},{16,4},{44,4} }; /* SHA-256 at 16..47 */
    static const unsigned rec[][2] = { {0,1},{1,1},{2,1},{3,1},{4,4},{8,4},{12,4} };
    size_t k = 0, at = 48;
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; ++i) out[k++] = (field){ hdr[i][0], hdr[i][1] };
    while (at + 16 + 4 <= n && k + 7 < 512) {
        const size_t sz = (size_t)a[at + 4] | (size_t)a[at + 5] << 8 | (size_t)a[at + 6] << 16;
        for (size_t i = 0; i < sizeof rec / sizeof rec[0]; ++i) out[k++] = (field){ at + rec[i][0], rec[i][1] };
        at += 16 + ((2 * sz + 3) & ~(size_t)3) + ((a[at + 2] * sz + 3) & ~(size_t)3);
    }
    return k;
}

static size_t ckpt_fields(const uint8_t *a, size_t n, field *out)
{
    static const unsigned hdr[][2] = { {4,1},{5,1},{6,1},{7,1},{8,4},{12,4},{16,4},{20,4},{24,4},{28,4},{32,4},{60,4} }; /* SHA-256 at 32..63 */
    static const unsigned rec[][2] = { {0,1},{1,1},{2,1},{3,1},{4,2},{6,2},{8,4},{12,4} };
    size_t k = 0, at = 64;
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; ++i) out[k++] = (field){ hdr[i][0], hdr[i][1] };
    while (at + 16 + 4 <= n && k + 8 < 512) {
        const size_t d = ((size_t)a[at + 2] * ((size_t)a[at + 4] | (size_t)a[at + 5] << 8) * ((size_t)a[at + 6] | (size_t)a[at + 7] << 8) + 3) & ~(size_t)3;
        for (size_t i = 0; i < sizeof rec / sizeof rec[0]; ++i) out[k++] = (field){ at + rec[i][0], rec[i][1] };
        at += 16 + d * (a[at + 3] ? 2U : 1U);
    }
    return k;
}

static void run_format(const char *name, import_fn f, const uint8_t *good, size_t n, size_t len_field,
                       size_t (*fields_of)(const uint8_t *, size_t, field *), unsigned flips, int last)
{
    tally trunc = {0, 0}, cut = {0, 0}, flip = {0, 0}, fld = {0, 0};
    uint8_t *b = malloc(n);
    field fl[512];
    size_t nf = fields_of(good, n, fl);
    int pristine;
    snprintf(current_case, sizeof current_case, "%s pristine", name);
    pristine = f(&ctx, good, n);
    for (size_t len = 0; len < n; ++len) {
        snprintf(current_case, sizeof current_case, "%s truncated to %zu", name, len);
        one(&trunc, f, good, len, 0);
        if (len_field != 0 && len >= len_field + 4 && len >= 8) {
            /* the cut file made self-consistent: length field = cut, CRC over it */
            memcpy(b, good, len);
            put(b + len_field, 4, (uint32_t)len);
            one(&cut, f, b, len, 1);
        } else if (len >= 8) {
            one(&cut, f, good, len, 1);
        }
    }
    for (unsigned i = 0; i < flips; ++i) {
        const unsigned k = 1 + (unsigned)(next_rand() % 4);
        memcpy(b, good, n);
        for (unsigned j = 0; j < k; ++j) b[next_rand() % (n - 4)] ^= (uint8_t)(1 + next_rand() % 255);
        snprintf(current_case, sizeof current_case, "%s flip %u", name, i);
        one(&flip, f, b, n, 1);
    }
    for (size_t i = 0; i < nf; ++i) {
        const uint32_t ext[] = { 0, 1, 0xFFFFFFFFu, 31, 32, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFF0u, 0x80000000u, (uint32_t)n, 2 };
        for (size_t v = 0; v < sizeof ext / sizeof ext[0]; ++v) {
            memcpy(b, good, n);
            put(b + fl[i].pos, fl[i].width, ext[v]);
            snprintf(current_case, sizeof current_case, "%s field @%zu = %u", name, fl[i].pos, (unsigned)ext[v]);
            one(&fld, f, b, n, 1);
        }
    }
    printf("  \"%s\": {\"bytes\": %zu, \"pristine_ok\": %s, \"fields\": %zu,\n", name, n, pristine ? "true" : "false", nf);
    printf("    \"truncate\": {\"cases\": %u, \"accepted\": %u}, \"truncate_crc_fixed\": {\"cases\": %u, \"accepted\": %u},\n",
           trunc.cases, trunc.accepted, cut.cases, cut.accepted);
    printf("    \"flip\": {\"cases\": %u, \"accepted\": %u}, \"field\": {\"cases\": %u, \"accepted\": %u}}%s\n",
           flip.cases, flip.accepted, fld.cases, fld.accepted, last ? "" : ",");
    free(b);
}

int main(int argc, char **argv)
{
    unsigned flips = 1000;
    const char *seed_dir = NULL;
    if (argc < 3) {
        fprintf(stderr, "usage: fuzz-adapter MODEL SPEC [--flips N] [--seed S] [--write-seed DIR]\n");
        return 2;
    }
    rng_state = 20240601;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--flips") == 0) flips = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0) rng_state = strtoull(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--write-seed") == 0) seed_dir = argv[i + 1];
        else { fprintf(stderr, "fuzz-adapter: unknown option %s\n", argv[i]); return 2; }
    }
    atexit(on_exit_report);
    fuzz_adapter_setup(&ctx, argv[1], argv[2]);
    if (seed_dir != NULL) {
        char path[1024];
        FILE *f;
        snprintf(path, sizeof path, "%s/adapter.epad", seed_dir);
        if ((f = fopen(path, "wb")) == NULL || fwrite(ctx.adapter, 1, ctx.adapter_size, f) != ctx.adapter_size) return 2;
        fclose(f);
        snprintf(path, sizeof path, "%s/ewc.epew", seed_dir);
        if ((f = fopen(path, "wb")) == NULL || fwrite(ctx.ewc, 1, ctx.ewc_size, f) != ctx.ewc_size) return 2;
        fclose(f);
        snprintf(path, sizeof path, "%s/checkpoint.epck", seed_dir);
        if ((f = fopen(path, "wb")) == NULL || fwrite(ctx.ckpt, 1, ctx.ckpt_size, f) != ctx.ckpt_size) return 2;
        fclose(f);
    }
    {
        /* the review's crafted file: the first LoRA A record's sh_h = 0x7ffffff0, CRC fixed */
        uint8_t *b = malloc(ctx.adapter_size);
        int accepted;
        memcpy(b, ctx.adapter, ctx.adapter_size);
        put(b + 76 + 8, 4, 0x7FFFFFF0u);
        fuzz_fix_crc(b, ctx.adapter_size);
        snprintf(current_case, sizeof current_case, "sh_h 0x7ffffff0");
        accepted = b[76] == 0 ? fuzz_adapter_import(&ctx, b, ctx.adapter_size) : -1;
        printf("{\n  \"sh_h_huge_refused\": %s,\n", accepted == 0 ? "true" : "false");
        free(b);
    }
    run_format("adapter", fuzz_adapter_import, ctx.adapter, ctx.adapter_size, 40, adapter_fields, flips, 0);
    run_format("ewc", fuzz_ewc_import, ctx.ewc, ctx.ewc_size, 0, ewc_fields, flips / 2, 0);
    run_format("checkpoint", fuzz_ckpt_import, ctx.ckpt, ctx.ckpt_size, 24, ckpt_fields, flips / 2, 1);
    printf("}\n");
    current_case[0] = 0;
    return 0;
}
