/* edge-peft eval / infer --adapter / plan --adapter, and the helpers the trainer
 * subcommands share (file I/O, sessions with an adapter). */
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_train.h"

int ept_cli_read(const char *path, ept_file *f)
{
    FILE *fp = fopen(path, "rb");
    long n;
    f->bytes = NULL;
    f->size = 0;
    if (fp == NULL) {
        fprintf(stderr, "edge-peft: cannot open %s\n", path);
        return 1;
    }
    if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return 1;
    }
    f->bytes = (uint8_t *)malloc((size_t)n + 1U);
    if (f->bytes == NULL || fread(f->bytes, 1, (size_t)n, fp) != (size_t)n) {
        fclose(fp);
        free(f->bytes);
        f->bytes = NULL;
        fprintf(stderr, "edge-peft: cannot read %s\n", path);
        return 1;
    }
    fclose(fp);
    f->size = (size_t)n;
    return 0;
}

int ept_cli_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL || fwrite(data, 1, size, fp) != size) {
        if (fp != NULL) fclose(fp);
        fprintf(stderr, "edge-peft: cannot write %s\n", path);
        return 1;
    }
    return fclose(fp) == 0 ? 0 : 1;
}

const char *ept_cli_opt(int argc, char **argv, const char *name)
{
    for (int i = 1; i + 1 < argc; ++i) {
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    }
    return NULL;
}

int ept_cli_flag(int argc, char **argv, const char *name)
{
    for (int i = 1; i < argc; ++i) {
        if (strcmp(argv[i], name) == 0) return 1;
    }
    return 0;
}

/* SHA-256 through mbedTLS (Debian libmbedtls-dev): the engine itself holds no cryptography. */
int ept_cli_sha256(const uint8_t *data, size_t n, uint8_t out[32])
{
#if defined(MBEDTLS_VERSION_MAJOR) && MBEDTLS_VERSION_MAJOR >= 3
    return mbedtls_sha256(data, n, out, 0) == 0 ? 0 : 1;
#else
    return mbedtls_sha256_ret(data, n, out, 0) == 0 ? 0 : 1;
#endif
}

void ept_cli_hex(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; ++i) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

int ept_cli_open(ept_cli_session *cs, const char *model_path, const ept_config *cfg)
{
    char err[160] = "";
    ep_status st;
    ep_tensor_view in;
    ept_config c = *cfg;
    memset(cs, 0, sizeof *cs);
    if (ept_cli_read(model_path, &cs->model_file) != 0) return 1;
    /* the session's identity: SHA-256 of the model bytes, recorded in and checked against
     * every adapter, EWC image and checkpoint */
    if (ept_cli_sha256(cs->model_file.bytes, cs->model_file.size, c.model_sha256) != 0) {
        fprintf(stderr, "edge-peft: %s: SHA-256 failed\n", model_path);
        return 1;
    }
    cfg = &c;
    st = ep_model_open(&cs->model, cs->model_file.bytes, cs->model_file.size, err, sizeof err);
    if (st == EP_OK) st = ept_session_plan(&cs->model, cfg, &cs->s.plan, &cs->s.engine_plan, err, sizeof err);
    if (st == EP_OK) {
        /* 16-byte aligned arena, as the engine asks of every caller */
        cs->arena = aligned_alloc(16, ((size_t)cs->s.engine_plan.arena_bytes + 15U) & ~(size_t)15U);
        if (cs->arena == NULL) st = EP_ERR_ARENA;
    }
    if (st == EP_OK) st = ept_session_init(&cs->s, &cs->model, cfg, cs->arena, cs->s.engine_plan.arena_bytes, err, sizeof err);
    if (st == EP_OK) st = ep_session_input(&cs->s.session, 0, &in);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: %s: %s%s%s\n", model_path, ep_status_name(st), err[0] ? ": " : "", err);
        return 1;
    }
    cs->input_bytes = in.bytes;
    return 0;
}

void ept_cli_close(ept_cli_session *cs)
{
    free(cs->arena);
    free(cs->model_file.bytes);
    memset(cs, 0, sizeof *cs);
}

int ept_cli_open_adapter(ept_cli_session *cs, const char *model_path, const char *adapter_path)
{
    ept_config cfg;
    ept_file a = {0};
    char err[160];
    ept_config_default(&cfg);
    cfg.kinds = EPT_KIND_BIAS; /* untrained bias delta: outputs equal the frozen model's */
    if (adapter_path != NULL) {
        if (ept_cli_read(adapter_path, &a) != 0) return 1;
        if (ept_adapter_config(a.bytes, a.size, &cfg, err, sizeof err) != EP_OK) {
            fprintf(stderr, "edge-peft: %s: not a valid adapter file: %s\n", adapter_path, err);
            free(a.bytes);
            return 1;
        }
    }
    if (ept_cli_open(cs, model_path, &cfg) != 0) {
        free(a.bytes);
        return 1;
    }
    if (adapter_path != NULL) {
        const ep_status st = ept_import(cs->s.trainer, a.bytes, a.size, err, sizeof err);
        free(a.bytes);
        if (st != EP_OK) {
            fprintf(stderr, "edge-peft: %s does not fit this model (%s): %s\n", adapter_path, ep_status_name(st), err);
            ept_cli_close(cs);
            return 1;
        }
    }
    return 0;
}

int ept_cli_evaluate(ept_cli_session *cs, const ept_file *data, ept_cli_eval *out, FILE *outputs)
{
    const size_t rec = 1U + cs->input_bytes;
    memset(out, 0, sizeof *out);
    if (data->size % rec != 0) {
        fprintf(stderr, "edge-peft: samples file is not a whole number of %zu-byte records\n", rec);
        return 1;
    }
    for (size_t off = 0; off < data->size; off += rec) {
        ept_step_info info;
        const int32_t label = data->bytes[off];
        const int8_t *lat;
        uint32_t n;
        ep_status st = ept_session_latent(&cs->s, (const int8_t *)data->bytes + off + 1, cs->input_bytes, &lat, &n);
        int8_t y[EPT_MAX_CLASSES];
        const uint32_t nc = (uint32_t)cs->s.plan.classes;
        if (st == EP_OK) st = label < cs->s.plan.classes ? ept_forward(cs->s.trainer, lat, n, y, nc, label, &info) : EP_ERR_ARG;
        if (st == EP_OK && outputs != NULL && fwrite(y, 1, nc, outputs) != nc) st = EP_ERR_SIZE;
        if (st != EP_OK) {
            fprintf(stderr, "edge-peft: record %zu: %s\n", off / rec,
                    label >= cs->s.plan.classes ? "label out of range" : ep_status_name(st));
            return 1;
        }
        out->loss_q16_sum += info.loss_q16;
        out->total++;
        out->per_class_total[label]++;
        if (info.predicted == label) {
            out->correct++;
            out->per_class_correct[label]++;
        }
    }
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    ept_cli_session cs;
    ept_file data;
    ept_cli_eval ev;
    const char *dpath = ept_cli_opt(argc, argv, "--data");
    const char *apath = ept_cli_opt(argc, argv, "--adapter");
    const char *opath = ept_cli_opt(argc, argv, "--outputs");
    const int json = ept_cli_flag(argc, argv, "--json");
    FILE *of = NULL;
    int rc;
    if (argc < 2 || dpath == NULL) {
        fprintf(stderr, "usage: edge-peft eval MODEL.tflite --data SAMPLES.bin [--adapter ADAPTER.bin] [--outputs OUT.bin] [--json]\n");
        return 2;
    }
    if (ept_cli_open_adapter(&cs, argv[1], apath) != 0) return 1;
    if (opath != NULL && (of = fopen(opath, "wb")) == NULL) {
        fprintf(stderr, "edge-peft: cannot write %s\n", opath);
        ept_cli_close(&cs);
        return 1;
    }
    rc = ept_cli_read(dpath, &data) != 0 || ept_cli_evaluate(&cs, &data, &ev, of) != 0;
    if (of != NULL) fclose(of);
    if (rc != 0) {
        ept_cli_close(&cs);
        return 1;
    }
    if (json) {
        printf("{\"samples\":%d,\"correct\":%d,\"accuracy\":%.6f,\"mean_loss\":%.6f,\"classes\":[",
               ev.total, ev.correct, ev.total ? (double)ev.correct / ev.total : 0.0,
               ev.total ? (double)ev.loss_q16_sum / 65536.0 / ev.total : 0.0);
        for (int32_t c = 0; c < cs.s.plan.classes; ++c) {
            printf("%s{\"total\":%d,\"correct\":%d}", c ? "," : "", ev.per_class_total[c], ev.per_class_correct[c]);
        }
        printf("]}\n");
    } else {
        printf("accuracy %.4f (%d/%d), mean loss %.4f\n", ev.total ? (double)ev.correct / ev.total : 0.0,
               ev.correct, ev.total, ev.total ? (double)ev.loss_q16_sum / 65536.0 / ev.total : 0.0);
        for (int32_t c = 0; c < cs.s.plan.classes; ++c) {
            printf("class %d: %d/%d\n", c, ev.per_class_correct[c], ev.per_class_total[c]);
        }
    }
    free(data.bytes);
    ept_cli_close(&cs);
    return 0;
}

int cmd_infer_adapter(int argc, char **argv)
{
    ept_cli_session cs;
    ept_file in;
    const char *ipath = ept_cli_opt(argc, argv, "--input");
    const char *opath = ept_cli_opt(argc, argv, "--output");
    FILE *out = stdout;
    int rc = 0;
    if (argc < 2 || ipath == NULL) {
        fprintf(stderr, "usage: edge-peft infer MODEL.tflite --input IN.bin --adapter ADAPTER.bin [--output OUT.bin]\n");
        return 2;
    }
    if (ept_cli_open_adapter(&cs, argv[1], ept_cli_opt(argc, argv, "--adapter")) != 0) return 1;
    if (ept_cli_read(ipath, &in) != 0 || in.size % cs.input_bytes != 0) {
        fprintf(stderr, "edge-peft: input is not a whole number of %u-byte tensors\n", cs.input_bytes);
        ept_cli_close(&cs);
        return 1;
    }
    if (opath != NULL && (out = fopen(opath, "wb")) == NULL) {
        fprintf(stderr, "edge-peft: cannot write %s\n", opath);
        rc = 1;
    }
    for (size_t off = 0; rc == 0 && off < in.size; off += cs.input_bytes) {
        int8_t y[EPT_MAX_CLASSES];
        const uint32_t nc = (uint32_t)cs.s.plan.classes;
        if (ept_session_infer(&cs.s, (const int8_t *)in.bytes + off, cs.input_bytes, y, nc, NULL) != EP_OK ||
            fwrite(y, 1, nc, out) != nc) {
            rc = 1;
        }
    }
    if (out != stdout && out != NULL) fclose(out);
    free(in.bytes);
    ept_cli_close(&cs);
    return rc;
}

int cmd_plan_adapter(int argc, char **argv)
{
    ept_config cfg;
    ept_file mf;
    ep_model model;
    ept_plan_info tp;
    ep_plan_info ep, base;
    char err[160] = "";
    const char *spec = ept_cli_opt(argc, argv, "--adapter");
    ep_status st;
    if (argc < 2 || spec == NULL) {
        fprintf(stderr, "usage: edge-peft plan MODEL.tflite --adapter SPEC [--json]\n");
        return 2;
    }
    ept_config_default(&cfg);
    st = ept_parse_spec(spec, &cfg, err, sizeof err);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: --adapter: %s\n", err);
        return 2;
    }
    if (ept_cli_read(argv[1], &mf) != 0) return 1;
    st = ep_model_open(&model, mf.bytes, mf.size, err, sizeof err);
    if (st == EP_OK) st = ep_plan(&model, NULL, &base, err, sizeof err);
    if (st == EP_OK) st = ept_session_plan(&model, &cfg, &tp, &ep, err, sizeof err);
    if (st != EP_OK) {
        fprintf(stderr, "edge-peft: %s: %s %s\n", argv[1], ep_status_name(st), err);
        free(mf.bytes);
        return 1;
    }
    if (ept_cli_flag(argc, argv, "--json")) {
        printf("{\"model_bytes\":%zu,\"inference_arena_bytes\":%u,\"training_arena_bytes\":%u,"
               "\"trainer_bytes\":%u,\"adapter_bytes\":%u,\"export_bytes\":%u,\"params\":%u,"
               "\"master_bytes\":%u,\"grad_bytes\":%u,\"optim_bytes\":%u,\"ewc_bytes\":%u,"
               "\"scratch_bytes\":%u,\"state_bytes\":%u,\"recompute\":%d,"
               "\"training_arena_keep_bytes\":%u,\"training_arena_recompute_bytes\":%u,\"layers\":[",
               mf.size, base.arena_bytes, ep.arena_bytes, tp.train_bytes, tp.adapter_bytes,
               tp.export_bytes, tp.param_count, tp.master_bytes, tp.grad_bytes, tp.optim_bytes,
               tp.ewc_bytes, tp.scratch_bytes, tp.state_bytes, tp.recompute,
               ep.arena_bytes - tp.train_bytes + tp.train_bytes_keep, ep.arena_bytes - tp.train_bytes + tp.train_bytes_recompute);
        for (int32_t l = 0; l < tp.layer_count; ++l) {
            const ept_layer_plan *lp = &tp.layers[l];
            printf("%s{\"fc\":%d,\"op\":%d,\"in\":%d,\"out\":%d,\"kinds\":%u,\"adapter_bytes\":%u,"
                   "\"master_bytes\":%u,\"grad_bytes\":%u,\"optim_bytes\":%u,\"ewc_bytes\":%u}",
                   l ? "," : "", lp->fc_index, lp->op_index, lp->in, lp->out, lp->kinds,
                   lp->adapter_bytes, lp->master_bytes, lp->grad_bytes, lp->optim_bytes, lp->ewc_bytes);
        }
        printf("]}\n");
    } else {
        printf("model %zu bytes; inference arena %u bytes; training arena %u bytes (trainer %u)\n",
               mf.size, base.arena_bytes, ep.arena_bytes, tp.train_bytes);
        printf("adapter %u bytes (%u params, export %u bytes)\n", tp.adapter_bytes, tp.param_count, tp.export_bytes);
        printf("fc   op      in    out  adapter  master  grad  optim   ewc\n");
        for (int32_t l = 0; l < tp.layer_count; ++l) {
            const ept_layer_plan *lp = &tp.layers[l];
            printf("%-4d %-4d %6d %6d %8u %7u %5u %6u %5u\n", lp->fc_index, lp->op_index, lp->in, lp->out,
                   lp->adapter_bytes, lp->master_bytes, lp->grad_bytes, lp->optim_bytes, lp->ewc_bytes);
        }
        printf("scratch %u, state %u\n", tp.scratch_bytes, tp.state_bytes);
        /* the engine part of the arena does not depend on recomputation */
        printf("training arena with activations kept %u bytes, with recomputation %u bytes (%s)\n",
               ep.arena_bytes - tp.train_bytes + tp.train_bytes_keep, ep.arena_bytes - tp.train_bytes + tp.train_bytes_recompute,
               tp.recompute ? "recompute on" : "recompute off");
    }
    free(mf.bytes);
    return 0;
}
