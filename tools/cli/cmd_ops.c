/* edge-peft ops: TFLite Micro's operators, the kernel source of each and whether the engine
 * runs it (ep_operator_supported, the list the session checks models against).
 * One line each: name, builtin code (32, CUSTOM, for the Signal operators), yes / no, kernel.
 * --markdown prints the rows of docs/engine.md's table. */
#include <string.h>

#include "cli.h"
#include "tflm_kernels.h"

static int builtin_code(const char *name)
{
    for (int32_t code = 0; code < 256; ++code) {
        if (strcmp(ep_builtin_op_name(code), name) == 0) return code;
    }
    return -1;
}

int cmd_ops(int argc, char **argv)
{
    const int md = cli_flag(argc, argv, "--markdown");
    size_t count = 0;
    const cli_tflm_kernel *k = cli_tflm_kernels(&count);
    int have = 0;
    for (size_t i = 0; i < count; ++i) {
        const int code = k[i].signal ? EP_OP_CUSTOM : builtin_code(k[i].name);
        if (code < 0) {
            fprintf(stderr, "edge-peft: %s: not a builtin operator name\n", k[i].name);
            return 1;
        }
        const bool yes = ep_operator_supported(code, k[i].signal ? k[i].name : NULL);
        have += yes ? 1 : 0;
        const char *dir = k[i].signal ? "signal/micro/kernels/" : "tensorflow/lite/micro/kernels/";
        if (md) printf("| %s | `%s%s` | %s |\n", k[i].name, dir, k[i].file, yes ? "yes" : "no");
        else printf("%-36s %4d %-3s %s%s\n", k[i].name, code, yes ? "yes" : "no", dir, k[i].file);
    }
    if (!md) printf("%d of %zu TFLite Micro operators supported\n", have, count);
    return 0;
}
