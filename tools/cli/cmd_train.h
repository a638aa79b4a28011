/* Trainer subcommands of the host CLI (train, eval, infer --adapter, plan --adapter).
 * Host only: these read files and print; the engine itself never does. */
#ifndef EPT_CMD_TRAIN_H
#define EPT_CMD_TRAIN_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "edge_peft.h"

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_merge(int argc, char **argv);
/* Called by the engine's `infer` / `plan` when --adapter is given. */
int cmd_infer_adapter(int argc, char **argv);
int cmd_plan_adapter(int argc, char **argv);

/* shared helpers (cmd_eval.c) */
typedef struct {
    uint8_t *bytes;
    size_t size;
} ept_file;

int ept_cli_read(const char *path, ept_file *f);
int ept_cli_write(const char *path, const uint8_t *data, size_t size);
const char *ept_cli_opt(int argc, char **argv, const char *name);
int ept_cli_flag(int argc, char **argv, const char *name);

/* A model + trainer session with its arena (host heap). */
typedef struct {
    ept_file model_file;
    ep_model model;
    ept_session s;
    void *arena;
    uint32_t input_bytes;
} ept_cli_session;

int ept_cli_open(ept_cli_session *cs, const char *model_path, const ept_config *cfg);
void ept_cli_close(ept_cli_session *cs);
/* Opens a session for an adapter file (its stored config) or, with no adapter, a zero
 * bias adapter that leaves the model's outputs unchanged. */
int ept_cli_open_adapter(ept_cli_session *cs, const char *model_path, const char *adapter_path);

typedef struct {
    int32_t total, correct;
    int32_t per_class_total[EPT_MAX_CLASSES];
    int32_t per_class_correct[EPT_MAX_CLASSES];
    int64_t loss_q16_sum;
} ept_cli_eval;

/* Evaluates every record of SAMPLES.bin (uint8 label + one input tensor); with outputs,
 * also writes each record's raw int8 model output there. */
int ept_cli_evaluate(ept_cli_session *cs, const ept_file *data, ept_cli_eval *out, FILE *outputs);
void ept_cli_hex(const uint8_t *d, size_t n, char *out);
/* SHA-256 via mbedTLS; 0 on success */
int ept_cli_sha256(const uint8_t *data, size_t n, uint8_t out[32]);

#endif
