/* edge-peft infer: raw input tensors in, raw output tensors out. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmd_train.h"

int cmd_infer(int argc, char **argv)
{
    cli_model m;
    ep_session s;
    char err[256];
    const char *in_path = cli_option(argc, argv, "--input");
    const char *out_path = cli_option(argc, argv, "--output");
    const int reset = cli_flag(argc, argv, "--reset");
    if (argc < 2 || in_path == NULL) {
        fprintf(stderr, "usage: edge-peft infer MODEL.tflite --input IN.bin [--output OUT.bin] [--reset] [--adapter ADAPTER.bin]\n");
        return 2;
    }
    /* an adapter file: the trainer's session runs the frozen prefix and the adapted suffix */
    if (cli_option(argc, argv, "--adapter") != NULL) return cmd_infer_adapter(argc, argv);
    if (cli_open_model(argv[1], &m) != 0) {
        return 1;
    }
    size_t arena_size;
    unsigned char *arena = cli_arena(&arena_size);
    ep_status st = ep_session_init(&s, &m.model, NULL, arena, arena_size, err, sizeof err);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: %s: %s: %s\n", argv[1], ep_status_name(st), err);
        cli_close_model(&m);
        return 1;
    }
    unsigned char *input;
    size_t input_size;
    if (cli_read_file(in_path, &input, &input_size) != 0) {
        cli_close_model(&m);
        return 1;
    }
    size_t per_sample = 0;
    for (int32_t i = 0; i < m.model.input_count; ++i) {
        ep_tensor_view v;
        ep_session_input(&s, i, &v);
        per_sample += v.bytes;
    }
    int rc = 0;
    if (per_sample == 0 || input_size == 0 || input_size % per_sample != 0) {
        fprintf(stderr, "edge-peft: %s holds %zu bytes, not a multiple of the %zu input bytes\n",
                in_path, input_size, per_sample);
        rc = 1;
    }
    FILE *out = stdout;
    if (rc == 0 && out_path != NULL && (out = fopen(out_path, "wb")) == NULL) {
        fprintf(stderr, "edge-peft: cannot write %s\n", out_path);
        rc = 1;
    }
    for (size_t at = 0; rc == 0 && at < input_size; at += per_sample) {
        size_t off = at;
        if (reset) {
            ep_session_reset_state(&s);
        }
        for (int32_t i = 0; i < m.model.input_count; ++i) {
            ep_tensor_view v;
            ep_session_input(&s, i, &v);
            memcpy(v.data, input + off, v.bytes);
            off += v.bytes;
        }
        if ((st = ep_session_invoke(&s)) != EP_OK) {
            fprintf(stderr, "edge-peft: invoke failed: %s\n", ep_status_name(st));
            rc = 1;
            break;
        }
        for (int32_t i = 0; i < m.model.output_count; ++i) {
            ep_tensor_view v;
            ep_session_output(&s, i, &v);
            if (fwrite(v.data, 1, v.bytes, out) != v.bytes) {
                rc = 1;
            }
        }
    }
    if (out != NULL && out != stdout) {
        fclose(out);
    }
    free(input);
    cli_close_model(&m);
    return rc;
}
