/* CLI helpers: file loading, model opening, option parsing, the arena. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static unsigned char arena_storage[CLI_ARENA_BYTES] __attribute__((aligned(16)));

unsigned char *cli_arena(size_t *size)
{
    *size = sizeof arena_storage;
    return arena_storage;
}

int cli_read_file(const char *path, unsigned char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "edge-peft: cannot open %s\n", path);
        return 1;
    }
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return 1;
    }
    const long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return 1;
    }
    /* 16-byte aligned so in-place int32/int64 weights are aligned as in flash */
    unsigned char *buf = aligned_alloc(16, ((size_t)n + 16u) & ~(size_t)15u);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "edge-peft: cannot read %s\n", path);
        free(buf);
        fclose(f);
        return 1;
    }
    fclose(f);
    *out = buf;
    *size = (size_t)n;
    return 0;
}

int cli_open_model(const char *path, cli_model *m)
{
    char err[256];
    memset(m, 0, sizeof *m);
    if (cli_read_file(path, &m->bytes, &m->size) != 0) {
        return 1;
    }
    const ep_status st = ep_model_open(&m->model, m->bytes, m->size, err, sizeof err);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: %s: %s: %s\n", path, ep_status_name(st), err);
        cli_close_model(m);
        return 1;
    }
    return 0;
}

void cli_close_model(cli_model *m)
{
    free(m->bytes);
    m->bytes = NULL;
}

const char *cli_option(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; ++i) {
        if (strcmp(argv[i], name) == 0) {
            return argv[i + 1];
        }
    }
    return NULL;
}

int cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}
