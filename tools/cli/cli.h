/* edge-peft host CLI: shared helpers. Each subcommand lives in its own
 * cmd_<name>.c and is listed once in commands.h. */
#ifndef EP_CLI_H
#define EP_CLI_H

#include <stdio.h>

#include "edge_peft.h"

/* Largest arena the CLI offers (static, in .bss: only touched pages count). */
#define CLI_ARENA_BYTES (32u << 20)

typedef struct {
    unsigned char *bytes;
    size_t size;
    ep_model model;
} cli_model;

/* Reads a whole file (malloc'd; the engine itself never allocates). */
int cli_read_file(const char *path, unsigned char **out, size_t *size);
/* Loads and validates a model; prints the reader's message on failure. */
int cli_open_model(const char *path, cli_model *m);
void cli_close_model(cli_model *m);
/* The static arena shared by subcommands. */
unsigned char *cli_arena(size_t *size);
/* Value of "--name VALUE" in argv, or NULL. */
const char *cli_option(int argc, char **argv, const char *name);
int cli_flag(int argc, char **argv, const char *name);

#endif
