/* edge-peft merge: folds an adapter's LoRA and bias delta into requantised int8 copies of its
 * layers (epm_merge) and writes them: per merged layer, weights (out x in int8, padded to 4),
 * bias (out int32 LE), scale (out float32 LE), in layer order. Host only. */
#include <stdlib.h>
#include <string.h>

#include "cmd_train.h"

/* Runs SAMPLES.bin (uint8 label + input) through a plain engine session with the merged
 * layers applied: the base's inference path and cost. Writes raw outputs; prints accuracy. */
static int run_merged(ept_cli_session *cs, const epm_merged *mg, const char *dpath, const char *opath)
{
    ep_session s;
    ep_plan_info pl;
    ept_file data;
    char err[160] = "";
    FILE *of = opath != NULL ? fopen(opath, "wb") : NULL;
    void *arena = NULL;
    int32_t correct = 0, total = 0;
    int rc = 0;
    ep_status st = ep_plan(&cs->model, NULL, &pl, err, sizeof err);
    if (st == EP_OK && (arena = malloc(pl.arena_bytes + 16U)) == NULL) st = EP_ERR_ARENA;
    if (st == EP_OK) st = ep_session_init(&s, &cs->model, NULL, arena, pl.arena_bytes + 16U, err, sizeof err);
    /* rows with a re-derived scale need their own multipliers: the CLI's memory (host), per layer */
    int32_t *q = NULL;
    int32_t qn = 0;
    for (int32_t l = 0; l < mg->layer_count; ++l) qn += mg->layers[l].rescaled_rows != 0 ? 2 * mg->layers[l].out : 0;
    if (st == EP_OK && qn > 0 && (q = malloc((size_t)qn * sizeof *q)) == NULL) st = EP_ERR_ARENA;
    for (int32_t l = 0, at = 0; st == EP_OK && l < mg->layer_count; ++l) {
        const epm_layer *M = &mg->layers[l];
        if (M->rescaled_rows == 0) {
            st = epm_session_apply(&s, M);
        } else {
            st = epm_session_apply_rows(&s, M, q + at, q + at + M->out, M->out);
            at += 2 * M->out;
        }
    }
    if (st != EP_OK || (opath != NULL && of == NULL) || ept_cli_read(dpath, &data) != 0) {
        fprintf(stderr, "edge-peft: merged session: %s %s\n", ep_status_name(st), err);
        if (of != NULL) fclose(of);
        free(arena);
        free(q);
        return 1;
    }
    for (size_t off = 0; rc == 0 && off + 1U + cs->input_bytes <= data.size; off += 1U + cs->input_bytes) {
        ep_tensor_view in, out;
        int32_t best = 0;
        if (ep_session_input(&s, 0, &in) != EP_OK || in.bytes != cs->input_bytes) { rc = 1; break; }
        memcpy(in.data, data.bytes + off + 1, in.bytes);
        if (ep_session_invoke(&s) != EP_OK || ep_session_output(&s, 0, &out) != EP_OK) { rc = 1; break; }
        for (uint32_t i = 1; i < out.bytes; ++i) {
            if (((const int8_t *)out.data)[i] > ((const int8_t *)out.data)[best]) best = (int32_t)i;
        }
        correct += best == data.bytes[off];
        total++;
        if (of != NULL && fwrite(out.data, 1, out.bytes, of) != out.bytes) rc = 1;
    }
    printf("merged accuracy %.4f (%d/%d), inference arena %u bytes\n", total ? (double)correct / total : 0.0,
           correct, total, pl.arena_bytes);
    if (of != NULL) fclose(of);
    free(data.bytes);
    free(arena);
    free(q);
    return rc;
}

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
        fprintf(stderr, "usage: edge-peft merge MODEL.tflite --adapter ADAPTER.bin --out MERGED.bin [--json] [--data SAMPLES.bin [--outputs OUT.bin]]\n");
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
    if (rc == 0 && ept_cli_opt(argc, argv, "--data") != NULL) {
        rc = run_merged(&cs, &mg, ept_cli_opt(argc, argv, "--data"), ept_cli_opt(argc, argv, "--outputs"));
    }
    free(buf);
    ept_cli_close(&cs);
    return rc;
}
