/* edge-peft host CLI entry: dispatches to the subcommands in commands.h. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define CLI_COMMAND(name, fn, usage) int fn(int argc, char **argv);
#include "commands.h"
#undef CLI_COMMAND

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *usage;
} command;

static const command commands[] = {
#define CLI_COMMAND(name, fn, usage) {name, fn, usage},
#include "commands.h"
#undef CLI_COMMAND
};

static int usage(void)
{
    fprintf(stderr, "usage:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i) {
        fprintf(stderr, "  edge-peft %s\n", commands[i].usage);
    }
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage();
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; ++i) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage();
        return 0;
    }
    fprintf(stderr, "edge-peft: unknown command '%s'\n", argv[1]);
    return usage();
}
