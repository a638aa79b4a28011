/* edge-peft plan: operators, shapes, MACs per layer, arena and model bytes. */
#include <string.h>

#include "cli.h"
#include "cmd_train.h"
#include "tflm_kernels.h"

static long long op_macs(const ep_model *m, const ep_op_info *op)
{
    ep_tensor_info out, w, in;
    if (op->output_count < 1 || ep_model_tensor(m, op->outputs[0], &out) != EP_OK) {
        return 0;
    }
    const int has_w = op->input_count > 1 && op->inputs[1] >= 0 &&
                      ep_model_tensor(m, op->inputs[1], &w) == EP_OK;
    switch (op->opcode) {
    case EP_OP_FULLY_CONNECTED:
        return has_w && w.rank == 2 ? (long long)out.elements * w.dims[1] : 0;
    case EP_OP_CONV_2D:
        return has_w && w.rank == 4 ? (long long)out.elements * w.dims[1] * w.dims[2] * w.dims[3]
                                    : 0;
    case EP_OP_DEPTHWISE_CONV_2D:
        return has_w && w.rank == 4 ? (long long)out.elements * w.dims[1] * w.dims[2] : 0;
    case EP_OP_SVDF:
        if (has_w && ep_model_tensor(m, op->inputs[0], &in) == EP_OK && op->input_count > 2) {
            ep_tensor_info wt;
            if (ep_model_tensor(m, op->inputs[2], &wt) == EP_OK && wt.rank == 2) {
                return (long long)in.dims[0] * w.dims[0] * (w.dims[1] + wt.dims[1]);
            }
        }
        return 0;
    case EP_OP_TRANSPOSE_CONV: /* every input element meets the whole filter (out, h, w, in) */
        if (has_w && w.rank == 4 && op->input_count > 2 &&
            ep_model_tensor(m, op->inputs[2], &in) == EP_OK) {
            return (long long)in.elements * w.dims[0] * w.dims[1] * w.dims[2];
        }
        return 0;
    default:
        return 0;
    }
}

static void print_shape(const ep_model *m, int32_t t, int json)
{
    ep_tensor_info ti;
    if (t < 0 || ep_model_tensor(m, t, &ti) != EP_OK) {
        printf(json ? "null" : "-");
        return;
    }
    printf(json ? "{\"tensor\":%d,\"type\":\"%s\",\"shape\":[" : "%d:%s[", t,
           ep_type_name(ti.type));
    for (int32_t d = 0; d < ti.rank; ++d) {
        printf(d ? (json ? ",%d" : "x%d") : "%d", ti.dims[d]);
    }
    printf(json ? "]}" : "]");
}

/* After "unsupported operators: A, B, ...": one line per operator naming its TFLM kernel. */
static void print_kernel_hints(const char *err)
{
    static const char prefix[] = "unsupported operators: ";
    const char *p = strstr(err, prefix);
    if (p == NULL) return;
    p += sizeof prefix - 1;
    while (*p != '\0') {
        const char *end = strstr(p, ", ");
        const size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char path[128];
        const char *src = cli_tflm_kernel_path(p, n, path, sizeof path);
        if (src != NULL) fprintf(stderr, "  %.*s: TFLite Micro kernel %s\n", (int)n, p, src);
        else fprintf(stderr, "  %.*s: no TFLite Micro kernel (not in its op resolver)\n", (int)n, p);
        p += n;
        if (*p != '\0') p += 2;
    }
}

int cmd_plan(int argc, char **argv)
{
    cli_model m;
    ep_plan_info plan;
    char err[4096]; /* every missing operator's name, at once */
    const int json = cli_flag(argc, argv, "--json");
    if (argc < 2) {
        fprintf(stderr, "usage: edge-peft plan MODEL.tflite [--adapter SPEC] [--json]\n");
        return 2;
    }
    /* with an adapter spec the trainer plans: inference + training arena, per-layer bytes */
    if (cli_option(argc, argv, "--adapter") != NULL) return cmd_plan_adapter(argc, argv);
    if (cli_open_model(argv[1], &m) != 0) {
        return 1;
    }
    const ep_status st = ep_plan(&m.model, NULL, &plan, err, sizeof err);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: %s: %s: %s\n", argv[1], ep_status_name(st), err);
        if (st == EP_ERR_UNSUPPORTED) print_kernel_hints(err);
        cli_close_model(&m);
        return 1;
    }
    long long total = 0;
    if (json) {
        printf("{\"model\":\"%s\",\"model_bytes\":%zu,\"operators\":[", argv[1], m.size);
    } else {
        printf("model %s: %zu bytes, %d operators, %d tensors\n", argv[1], m.size,
               m.model.operator_count, m.model.tensor_count);
    }
    for (int32_t i = 0; i < m.model.operator_count; ++i) {
        ep_op_info op;
        ep_model_op(&m.model, i, &op);
        const long long macs = op_macs(&m.model, &op);
        total += macs;
        if (json) {
            printf("%s{\"index\":%d,\"op\":\"%s\",\"inputs\":[", i ? "," : "", i, ep_op_name(&op));
            for (int32_t k = 0; k < op.input_count; ++k) {
                printf(k ? "," : "");
                print_shape(&m.model, op.inputs[k], 1);
            }
            printf("],\"outputs\":[");
            print_shape(&m.model, op.outputs[0], 1);
            printf("],\"macs\":%lld}", macs);
        } else {
            printf("%3d %-20s ", i, ep_op_name(&op));
            print_shape(&m.model, op.inputs[0], 0);
            printf(" -> ");
            print_shape(&m.model, op.outputs[0], 0);
            printf("  MACs %lld\n", macs);
        }
    }
    if (json) {
        printf("],\"macs\":%lld,\"arena_bytes\":%u,\"persistent_bytes\":%u,"
               "\"activation_bytes\":%u}\n",
               total, plan.arena_bytes, plan.persistent_bytes, plan.activation_bytes);
    } else {
        printf("total MACs %lld\narena bytes %u (persistent %u, activations %u)\nmodel bytes %zu\n",
               total, plan.arena_bytes, plan.persistent_bytes, plan.activation_bytes, m.size);
    }
    cli_close_model(&m);
    return 0;
}
