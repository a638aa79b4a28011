/* fuzz-corrupt: feeds one model, corrupted in many seeded ways, through fuzz_run under
 * AddressSanitizer + UndefinedBehaviorSanitizer. Every case must end in an error status or
 * a valid run; a crash or sanitizer report kills the process (naming the case).
 *
 *   fuzz-corrupt MODEL [--truncations N] [--flips N] [--seed S] [--fields FILE]
 *                [--max-invokes N] [--field-stride K]
 *
 * Cases: the pristine model (reported: it must run, its exact planned arena must be enough
 * and one byte less must give EP_ERR_ARENA); N truncations spread over the file; N copies
 * with 1-4 random bytes XORed with random non-zero values (each byte anywhere in the file
 * or, half of the time, outside the constant buffers, so structure is hit as often as
 * weights); for every structural field listed by fbfields.py: zero, all-ones, INT32_MAX,
 * INT32_MIN and the file size (u16 vtable entries: 0, 0xFFFF, 0x8000, size & 0xFFFF), which
 * makes huge vector lengths among others. --max-invokes N: per kind of case, at most N
 * corrupted models that pass session init are invoked, later ones stop after init (keeps
 * person_detect's 60 ms sanitized inference affordable in CI). --field-stride K: every Kth
 * field only. Exit status 0 unless the driver itself fails;
 * prints one JSON object with the pristine model's fuzz_run outcome and the outcome counts per
 * kind of case. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/common_interface_defs.h>

#include "edge_peft.h"
#include "fuzz_run.h"

static char current_case[160];

static void on_death(void)
{
    fprintf(stderr, "fuzz-corrupt: died in case: %s\n", current_case);
}

static uint64_t rng_state;
static uint64_t next_rand(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct { unsigned counts[FUZZ_OUTCOMES]; unsigned cases; unsigned invoked; } tally;

static unsigned max_invokes = ~0u;

typedef struct { unsigned long pos, width; char kind[16]; } field_t;

static field_t *read_fields(const char *path, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) { perror(path); exit(2); }
    size_t cap = 1024, n = 0;
    field_t *v = malloc(cap * sizeof *v);
    while (v != NULL && fscanf(f, "%lu %lu %15s", &v[n].pos, &v[n].width, v[n].kind) == 3) {
        if (++n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
    }
    if (v == NULL) abort();
    fclose(f);
    *count = n;
    return v;
}

static void run_case(tally *t, const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) abort();
    memcpy(copy, data, size);
    fuzz_outcome o = fuzz_run(copy, size, t->invoked < max_invokes);
    if (o == FUZZ_RAN || o == FUZZ_INVOKE_ERR) t->invoked++;
    t->counts[o]++;
    t->cases++;
    free(copy);
}

static void print_tally(const char *name, const tally *t, int last)
{
    printf("\"%s\":{\"cases\":%u", name, t->cases);
    for (int i = 0; i < FUZZ_OUTCOMES; i++) printf(",\"%s\":%u", fuzz_outcome_names[i], t->counts[i]);
    printf("}%s", last ? "" : ",");
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) { perror(path); exit(2); }
    fclose(f);
    *size = (size_t)n;
    return buf;
}

static int check_pristine(const uint8_t *data, size_t size)
{
    snprintf(current_case, sizeof current_case, "pristine model");
    char err[256];
    ep_model model;
    ep_plan_info plan;
    if (ep_model_open(&model, data, size, err, sizeof err) != EP_OK ||
        ep_plan(&model, NULL, &plan, err, sizeof err) != EP_OK) {
        fprintf(stderr, "fuzz-corrupt: pristine model rejected: %s\n", err);
        return 0;
    }
    uint8_t *arena = aligned_alloc(16, ((size_t)plan.arena_bytes + 15) & ~(size_t)15);
    ep_session s;
    ep_status small = plan.arena_bytes == 0 ? EP_ERR_ARENA
        : ep_session_init(&s, &model, NULL, arena, plan.arena_bytes - 1, err, sizeof err);
    ep_status exact = ep_session_init(&s, &model, NULL, arena, plan.arena_bytes, err, sizeof err);
    ep_status run = exact == EP_OK ? ep_session_invoke(&s) : exact;
    free(arena);
    if (small != EP_ERR_ARENA || run != EP_OK) {
        fprintf(stderr, "fuzz-corrupt: arena %u: one byte less gave %s, exact size gave %s\n",
                plan.arena_bytes, ep_status_name(small), ep_status_name(run));
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    const char *model_path = NULL, *fields_path = NULL;
    unsigned truncations = 64, flips = 1000, field_stride = 1;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--truncations") && i + 1 < argc) truncations = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--flips") && i + 1 < argc) flips = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--fields") && i + 1 < argc) fields_path = argv[++i];
        else if (!strcmp(argv[i], "--max-invokes") && i + 1 < argc) max_invokes = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--field-stride") && i + 1 < argc) field_stride = (unsigned)strtoul(argv[++i], NULL, 0);
        else if (argv[i][0] != '-' && model_path == NULL) model_path = argv[i];
        else { fprintf(stderr, "usage: fuzz-corrupt MODEL [--truncations N] [--flips N] [--seed S] [--fields FILE] [--max-invokes N] [--field-stride K]\n"); return 2; }
    }
    if (model_path == NULL) { fprintf(stderr, "fuzz-corrupt: no model\n"); return 2; }
    __sanitizer_set_death_callback(on_death);
    rng_state = seed;

    size_t size;
    uint8_t *data = read_file(model_path, &size);
    int pristine_ok = check_pristine(data, size);
    /* The same model through fuzz_run too: a refusal must carry a status and a message (the
     * absurd-field models of absurdmodels.py are run with no corruption, for this outcome). */
    const fuzz_outcome pristine_outcome = fuzz_run(data, size, 1);

    tally trunc = {0}, flip = {0}, field = {0};
    /* Truncations: evenly spread, plus the last few bytes (where the root table often is). */
    for (unsigned i = 0; i < truncations; i++) {
        size_t cut = i + 4 < truncations ? size * i / (truncations - 4)
                                         : size - ((size_t)1 << (truncations - 1 - i));
        if (cut > size) cut = 0;
        snprintf(current_case, sizeof current_case, "truncated to %zu bytes", cut);
        run_case(&trunc, data, cut);
    }

    size_t nfields = 0;
    field_t *fields = fields_path != NULL ? read_fields(fields_path, &nfields) : NULL;
    /* Offsets of the bytes outside constant buffers (structure). */
    size_t *structural = malloc((size ? size : 1) * sizeof *structural), nstruct = 0;
    uint8_t *is_data = calloc(size ? size : 1, 1);
    if (structural == NULL || is_data == NULL) abort();
    for (size_t i = 0; i < nfields; i++) {
        if (strcmp(fields[i].kind, "data") != 0) continue;
        for (unsigned long b = 0; b < fields[i].width && fields[i].pos + b < size; b++) is_data[fields[i].pos + b] = 1;
    }
    for (size_t i = 0; i < size; i++) if (!is_data[i]) structural[nstruct++] = i;

    uint8_t *work = malloc(size ? size : 1);
    if (work == NULL) abort();
    for (unsigned i = 0; i < flips && size > 0; i++) {
        memcpy(work, data, size);
        int n = 1 + (int)(next_rand() % 4);
        int len = snprintf(current_case, sizeof current_case, "flip #%u:", i);
        for (int k = 0; k < n; k++) {
            uint64_t r = next_rand();
            size_t pos = (r & 1) && nstruct > 0 ? structural[(r >> 1) % nstruct] : (size_t)((r >> 1) % size);
            uint8_t x = (uint8_t)(1 + next_rand() % 255);
            work[pos] ^= x;
            if (len < (int)sizeof current_case - 24)
                len += snprintf(current_case + len, sizeof current_case - (size_t)len, " [%zu]^=0x%02x", pos, x);
        }
        run_case(&flip, work, size);
    }

    if (field_stride == 0) field_stride = 1;
    for (size_t i = 0; i < nfields; i += field_stride) {
        const field_t *fd = &fields[i];
        if (fd->pos + fd->width > size || !strcmp(fd->kind, "data")) continue;
        const uint64_t v32[] = {0, 0xFFFFFFFFu, 0x7FFFFFFFu, 0x80000000u, (uint64_t)size};
        const uint64_t v16[] = {0, 0xFFFF, 0x8000, size & 0xFFFF};
        const uint64_t v64[] = {0, ~0ull, 0x7FFFFFFFFFFFFFFFull, (uint64_t)size};
        const uint64_t *vals = fd->width == 2 ? v16 : fd->width == 8 ? v64 : v32;
        size_t nvals = fd->width == 4 ? 5 : 4;
        for (size_t k = 0; k < nvals; k++) {
            memcpy(work, data, size);
            for (unsigned long b = 0; b < fd->width; b++) work[fd->pos + b] = (uint8_t)(vals[k] >> (8 * b));
            snprintf(current_case, sizeof current_case, "%s at %lu set to 0x%llx", fd->kind, fd->pos,
                     (unsigned long long)vals[k]);
            run_case(&field, work, size);
        }
    }
    free(fields);
    free(structural);
    free(is_data);
    free(work);
    free(data);

    printf("{\"model\":\"%s\",\"pristine_ok\":%s,\"pristine_outcome\":\"%s\",", model_path,
           pristine_ok ? "true" : "false", fuzz_outcome_names[pristine_outcome]);
    print_tally("truncate", &trunc, 0);
    print_tally("flip", &flip, 0);
    print_tally("field", &field, 1);
    printf("}\n");
    return 0;
}
