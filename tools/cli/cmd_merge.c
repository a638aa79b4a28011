/* edge-peft merge: folds an adapter's LoRA and bias delta into requantised int8 copies of its
 * layers (epm_merge) and writes them: per merged layer, weights (out x in int8, padded to 4),
 * bias (out int32 LE), scale (out float32 LE), in layer order. Host only. */
#include <stdlib.h>
#include <string.h>

#include "cmd_train.h"

int cmd_merge(int argc, char **argv)
{
    ept_cli_session cs;
    epm_merged mg;
    char err[160] = "";
    const char *apath = ept_cli_opt(argc, argv, "--adapter");
    const char *opath = ept_cli_opt(argc, argv, "--out");
    void *buf;
    size_t n;
    ep_status st;
    int rc = 0;
    if (argc < 2 || apath == NULL || opath == NULL) {
        fprintf(stderr, "usage: edge-peft merge MODEL.tflite --adapter ADAPTER.bin --out MERGED.bin [--json]\n");
        return 2;
    }
    if (ept_cli_open_adapter(&cs, argv[1], apath) != 0) return 1;
    n = epm_merge_bytes(cs.s.trainer);
    buf = malloc(n > 0 ? n : 1U); /* the CLI's own buffer; the engine takes it from the caller */
    st = buf != NULL ? epm_merge(cs.s.trainer, buf, n, &mg, err, sizeof err) : EP_ERR_ARENA;
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: merge: %s %s\n", ep_status_name(st), err);
        rc = 1;
    } else if (ept_cli_write(opath, (const uint8_t *)buf, n) != 0) {
        rc = 1;
    } else if (ept_cli_flag(argc, argv, "--json")) {
        printf("{\"merged_bytes\":%zu,\"layers\":[", n);
        for (int32_t l = 0; l < mg.layer_count; ++l) {
            const epm_layer *M = &mg.layers[l];
            printf("%s{\"fc\":%d,\"op\":%d,\"in\":%d,\"out\":%d,\"rescaled_rows\":%d}", l ? "," : "",
                   M->fc_index, M->op_index, M->in, M->out, M->rescaled_rows);
        }
        printf("]}\n");
    } else {
        printf("merged %d layers, %zu bytes\n", mg.layer_count, n);
        for (int32_t l = 0; l < mg.layer_count; ++l) {
            printf("fc %d (op %d) %d x %d, %d rows rescaled\n", mg.layers[l].fc_index, mg.layers[l].op_index,
                   mg.layers[l].out, mg.layers[l].in, mg.layers[l].rescaled_rows);
        }
    }
    free(buf);
    ept_cli_close(&cs);
    return rc;
}
