/* edge-peft train: integer adapter training from SAMPLES.bin (uint8 label + one int8 input
 * tensor per record, the model's input quantisation), printing per-step loss and running
 * accuracy and the SHA-256 of the adapter bytes it writes. Samples are used in file order,
 * cycling, so any host tool (the float reference) can replay the same sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_train.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: edge-peft train MODEL.tflite --data SAMPLES.bin --adapter SPEC --steps N\n"
            "         --seed S --out ADAPTER.bin [--lr X] [--momentum X] [--json]\n"
            "         [--init ADAPTER.bin] [--ewc LAMBDA --ewc-data OLD.bin]\n"
            "         [--resume CKPT] [--checkpoint-out CKPT]\n"
            "         [--dp-clip C --dp-sigma s] [--eval-data HELD.bin]\n"
            "         [--outputs OUT.bin] [--latents-out FILE] [--replay LATENTS] [--grad-dump FILE]\n"
            "         [--soft-targets T.bin]  (per --data record: classes bytes, probability x 256)\n"
            "       edge-peft train MODEL.tflite --adapter SPEC --plan [--json]\n"
            "SPEC: lora:rank=R,alpha=A,layers=I..J + bias:layers=I + prompt:layers=I,len=N\n");
    return 2;
}

/* units of 10^-decimals as the shortest decimal ("0.000001", "1", "0.999999") */
static void fixed_str(uint32_t v, uint32_t decimals, char *buf, size_t n)
{
    uint32_t scale = 1, d = decimals;
    for (uint32_t i = 0; i < decimals; ++i) scale *= 10U;
    uint32_t frac = v % scale;
    while (d > 0 && frac % 10U == 0U) {
        frac /= 10U;
        --d;
    }
    if (d == 0) snprintf(buf, n, "%u", v / scale);
    else snprintf(buf, n, "%u.%0*u", v / scale, (int)d, frac);
}

/* `name X` in units of 10^-decimals within [lo, hi]; X in the usual decimal or exponent forms
 * (0.001, 1e-3). Out of range or below the resolution: the message gives the allowed range. */
static int fixed_opt(int argc, char **argv, const char *name, uint32_t decimals, uint32_t lo, uint32_t hi,
                     uint32_t *out)
{
    const char *v = ept_cli_opt(argc, argv, name);
    char *end = NULL, a[24], b[24];
    uint32_t u = 0;
    if (v == NULL) return 0;
    fixed_str(lo, decimals, a, sizeof a);
    fixed_str(hi, decimals, b, sizeof b);
    if (ept_parse_fixed(v, decimals, &u) == EP_OK && u >= lo && u <= hi) {
        *out = u;
        return 0;
    }
    /* tell "not a number" from "a number out of range" (strtod only for the message) */
    const double d = strtod(v, &end);
    if (end == v || *end != '\0' || !(d >= 0.0)) {
        fprintf(stderr, "edge-peft: %s: not a non-negative number: %s (allowed %s to %s)\n", name, v, a, b);
    } else {
        fprintf(stderr, "edge-peft: %s: %s is out of range: allowed %s to %s\n", name, v, a, b);
    }
    return 1;
}

static int config_from_args(int argc, char **argv, ept_config *cfg)
{
    char err[160] = "";
    const char *spec = ept_cli_opt(argc, argv, "--adapter");
    ept_config_default(cfg);
    if (spec == NULL || ept_parse_spec(spec, cfg, err, sizeof err) != EP_OK) {
        fprintf(stderr, "edge-peft: --adapter: %s\n", spec == NULL ? "missing" : err);
        return 1;
    }
    /* lr in millionths (0.000001..1), momentum below 1, EWC lambda in thousandths (0: off),
     * DP clip / sigma in millionths (0: off) */
    if (fixed_opt(argc, argv, "--seed", 0, 0, UINT32_MAX, &cfg->seed) ||
        fixed_opt(argc, argv, "--lr", 6, 1, 1000000U, &cfg->lr_u) ||
        fixed_opt(argc, argv, "--momentum", 6, 0, 999999U, &cfg->momentum_u) ||
        fixed_opt(argc, argv, "--ewc", 3, 0, UINT32_MAX, &cfg->ewc_lambda_m) ||
        fixed_opt(argc, argv, "--dp-clip", 6, 0, UINT32_MAX, &cfg->dp_clip_u) ||
        fixed_opt(argc, argv, "--dp-sigma", 6, 0, UINT32_MAX, &cfg->dp_sigma_u)) {
        return 1;
    }
    return 0;
}

/* One JSON line per step: the adapter before the step (hex of its export), the gradient
 * mantissas with their layout, for the float reference to compare against. */
static void grad_line(FILE *g, ept_cli_session *cs, const int8_t *lat, uint32_t n, int32_t label,
                      const uint8_t *target, uint32_t step, int32_t *mant, uint8_t *exp_buf, size_t exp_size)
{
    const uint32_t classes = (uint32_t)cs->s.plan.classes;
    ept_grad_layout lay;
    size_t w = 0;
    char *hex;
    const uint32_t pc = cs->s.plan.param_count;
    if (ept_export(cs->s.trainer, exp_buf, exp_size, &w) != EP_OK ||
        (target != NULL ? ept_gradient_soft(cs->s.trainer, lat, n, target, classes, mant, pc, &lay)
                        : ept_gradient(cs->s.trainer, lat, n, label, mant, pc, &lay)) != EP_OK) {
        return;
    }
    hex = (char *)malloc(2 * w + 1);
    if (hex == NULL) return;
    ept_cli_hex(exp_buf, w, hex);
    fprintf(g, "{\"step\":%u,\"label\":%d,\"adapter\":\"%s\",", step, label, hex);
    if (target != NULL) {
        fprintf(g, "\"target\":[");
        for (uint32_t i = 0; i < classes; ++i) fprintf(g, "%s%u", i ? "," : "", (unsigned)target[i]);
        fprintf(g, "],");
    }
    fprintf(g, "\"layout\":[");
    for (int32_t k = 0; k < lay.count; ++k) {
        fprintf(g, "%s{\"kind\":%d,\"layer\":%d,\"size\":%d,\"exp\":%d,\"scale\":%.17g}", k ? "," : "",
                lay.kind[k], lay.layer[k], lay.size[k], lay.exp[k], lay.scale[k]);
    }
    fprintf(g, "],\"grad\":[");
    for (uint32_t i = 0; i < pc; ++i) fprintf(g, "%s%d", i ? "," : "", mant[i]);
    fprintf(g, "]}\n");
    free(hex);
}

static int prepare_ewc(int argc, char **argv, ept_cli_session *cs)
{
    ept_file old;
    const char *path = ept_cli_opt(argc, argv, "--ewc-data");
    const size_t rec = 1U + cs->input_bytes;
    if (path == NULL) {
        fprintf(stderr, "edge-peft: --ewc needs --ewc-data OLD.bin (Fisher sample set)\n");
        return 1;
    }
    if (ept_cli_read(path, &old) != 0) return 1;
    ep_status st = ept_fisher_reset(cs->s.trainer);
    for (size_t off = 0; st == EP_OK && off + rec <= old.size; off += rec) {
        const int8_t *lat;
        uint32_t n;
        st = ept_session_latent(&cs->s, (const int8_t *)old.bytes + off + 1, cs->input_bytes, &lat, &n);
        if (st == EP_OK) st = ept_fisher_add(cs->s.trainer, lat, n, old.bytes[off]);
    }
    if (st == EP_OK) st = ept_ewc_anchor(cs->s.trainer);
    free(old.bytes);
    if (st != EP_OK) fprintf(stderr, "edge-peft: EWC: %s\n", ep_status_name(st));
    return st != EP_OK;
}

static int eval_file(ept_cli_session *cs, const char *path, double *acc, const char *outputs)
{
    ept_file f;
    ept_cli_eval ev;
    FILE *of = NULL;
    *acc = -1.0;
    if (path == NULL) return 0;
    if (ept_cli_read(path, &f) != 0) return 1;
    if (outputs != NULL && (of = fopen(outputs, "wb")) == NULL) {
        free(f.bytes);
        return 1;
    }
    const int rc = ept_cli_evaluate(cs, &f, &ev, of);
    if (of != NULL) fclose(of);
    free(f.bytes);
    if (rc == 0 && ev.total > 0) *acc = (double)ev.correct / ev.total;
    return rc;
}

int cmd_train(int argc, char **argv)
{
    ept_config cfg;
    ept_cli_session cs;
    ept_file data, init = {0}, replay = {0}, ckpt = {0}, soft = {0};
    uint32_t first = 0; /* --resume: steps already taken, so records continue where they stopped */
    const char *out_path = ept_cli_opt(argc, argv, "--out");
    const char *steps_s = ept_cli_opt(argc, argv, "--steps");
    const char *eval_path = ept_cli_opt(argc, argv, "--eval-data");
    const char *gpath = ept_cli_opt(argc, argv, "--grad-dump");
    const char *lpath = ept_cli_opt(argc, argv, "--latents-out");
    const int json = ept_cli_flag(argc, argv, "--json");
    uint32_t steps = 0, window_correct = 0;
    double acc_before, acc_after, train_before, train_after;
    uint8_t *exp_buf;
    int32_t *mant = NULL;
    uint8_t *hist;
    FILE *g = NULL;
    size_t written = 0, rec, nrec;
    uint8_t digest[32];
    char hexd[65];
    int rc = 1;
    if (argc >= 2 && ept_cli_flag(argc, argv, "--plan")) {
        /* `train MODEL --adapter SPEC --plan`: same report as `plan --adapter` */
        return cmd_plan_adapter(argc, argv);
    }
    if (argc < 2 || ept_cli_opt(argc, argv, "--data") == NULL || out_path == NULL || steps_s == NULL ||
        ept_parse_fixed(steps_s, 0, &steps) != EP_OK) {
        return usage();
    }
    if (config_from_args(argc, argv, &cfg) != 0) return 2;
    if (ept_cli_open(&cs, argv[1], &cfg) != 0) return 1;
    if (ept_cli_read(ept_cli_opt(argc, argv, "--data"), &data) != 0) goto done_cs;
    rec = 1U + cs.input_bytes;
    nrec = data.size / rec;
    if (data.size % rec != 0 || nrec == 0) {
        fprintf(stderr, "edge-peft: --data is not a whole number of %zu-byte records\n", rec);
        goto done_data;
    }
    if (ept_cli_opt(argc, argv, "--init") != NULL) {
        char err[160] = "";
        if (ept_cli_read(ept_cli_opt(argc, argv, "--init"), &init) != 0 ||
            ept_import(cs.s.trainer, init.bytes, init.size, err, sizeof err) != EP_OK) {
            fprintf(stderr, "edge-peft: --init: adapter does not fit this model and spec%s%s\n", err[0] ? ": " : "", err);
            goto done_data;
        }
    }
    if (ept_cli_opt(argc, argv, "--resume") != NULL) {
        /* full-precision checkpoint (masters, momentum, step): continues exactly */
        char err[160] = "";
        if (ept_cli_read(ept_cli_opt(argc, argv, "--resume"), &ckpt) != 0) goto done_data;
        if (ept_checkpoint_import(cs.s.trainer, ckpt.bytes, ckpt.size, err, sizeof err) != EP_OK) {
            fprintf(stderr, "edge-peft: --resume: %s\n", err);
            goto done_data;
        }
        first = ept_steps(cs.s.trainer);
    }
    if (cfg.ewc_lambda_m != 0 && prepare_ewc(argc, argv, &cs) != 0) goto done_data;
    if (lpath != NULL) {
        /* latents of every record (label + the input of the lowest adapted layer) */
        FILE *lf = fopen(lpath, "wb");
        for (size_t r = 0; lf != NULL && r < nrec; ++r) {
            const int8_t *lat;
            uint32_t n;
            if (ept_session_latent(&cs.s, (const int8_t *)data.bytes + r * rec + 1, cs.input_bytes, &lat, &n) == EP_OK) {
                fputc(data.bytes[r * rec], lf);
                fwrite(lat, 1, n, lf);
            }
        }
        if (lf != NULL) fclose(lf);
    }
    /* --replay: steps on latent replay entries (records of --latents-out: label + latent),
     * the frozen prefix is not run (DESIGN.md section 8, head vs AIfES) */
    if (ept_cli_opt(argc, argv, "--replay") != NULL &&
        (ept_cli_read(ept_cli_opt(argc, argv, "--replay"), &replay) != 0 ||
         replay.size % (1U + cs.s.plan.latent_bytes) != 0 || replay.size == 0)) {
        fprintf(stderr, "edge-peft: --replay is not a whole number of %u-byte latent records\n",
                (unsigned)(1U + cs.s.plan.latent_bytes));
        goto done_data;
    }
    /* --soft-targets: distillation, each step on --data record r against its target row */
    if (ept_cli_opt(argc, argv, "--soft-targets") != NULL &&
        (replay.bytes != NULL || ept_cli_read(ept_cli_opt(argc, argv, "--soft-targets"), &soft) != 0 ||
         soft.size != nrec * (size_t)cs.s.plan.classes)) {
        fprintf(stderr, "edge-peft: --soft-targets needs %zu bytes (%d per --data record) and no --replay\n",
                nrec * (size_t)cs.s.plan.classes, (int)cs.s.plan.classes);
        goto done_data;
    }
    if (eval_file(&cs, eval_path, &acc_before, NULL) != 0 ||
        eval_file(&cs, ept_cli_opt(argc, argv, "--data"), &train_before, NULL) != 0) {
        goto done_data;
    }
    exp_buf = (uint8_t *)malloc(cs.s.plan.export_bytes);
    if (replay.bytes != NULL) nrec = replay.size / (1U + (size_t)cs.s.plan.latent_bytes); /* window of the running accuracy */
    hist = (uint8_t *)calloc(nrec, 1);
    if (gpath != NULL) {
        g = fopen(gpath, "w");
        mant = (int32_t *)malloc(4U * (cs.s.plan.param_count + 1U));
    }
    if (exp_buf == NULL || hist == NULL) goto done_bufs;
    if (json) printf("{\"steps\":[");
    for (uint32_t s = 0; s < steps; ++s) {
        const size_t lrec = 1U + (size_t)cs.s.plan.latent_bytes;
        const size_t r = replay.bytes != NULL ? (first + s) % (replay.size / lrec) : (first + s) % nrec;
        const int32_t label = replay.bytes != NULL ? replay.bytes[r * lrec] : data.bytes[r * rec];
        /* no pointer arithmetic on a NULL replay: ept_session_latent sets lat otherwise */
        const int8_t *lat = replay.bytes != NULL ? (const int8_t *)replay.bytes + r * lrec + 1 : NULL;
        uint32_t n = (uint32_t)cs.s.plan.latent_bytes;
        ept_step_info info;
        ep_status st = replay.bytes != NULL ? EP_OK
            : ept_session_latent(&cs.s, (const int8_t *)data.bytes + r * rec + 1, cs.input_bytes, &lat, &n);
        const uint8_t *target = soft.bytes != NULL ? soft.bytes + r * (size_t)cs.s.plan.classes : NULL;
        if (st == EP_OK && g != NULL && mant != NULL) grad_line(g, &cs, lat, n, label, target, s, mant, exp_buf, cs.s.plan.export_bytes);
        if (st == EP_OK) st = target != NULL ? ept_step_soft(cs.s.trainer, lat, n, target, (uint32_t)cs.s.plan.classes, &info)
                                             : ept_step(cs.s.trainer, lat, n, label, &info);
        if (st != EP_OK) {
            fprintf(stderr, "edge-peft: step %u (record %zu): %s\n", s, r, ep_status_name(st));
            goto done_bufs;
        }
        /* running accuracy over the last epoch's worth of steps (pre-update predictions) */
        window_correct += (uint32_t)info.correct - hist[r];
        hist[r] = (uint8_t)info.correct;
        const uint32_t win = s + 1 < nrec ? s + 1 : (uint32_t)nrec;
        if (json) {
            printf("%s{\"step\":%u,\"loss\":%.6f,\"correct\":%d,\"accuracy\":%.6f,\"clip\":%.6f}", s ? "," : "", s + 1,
                   info.loss_q16 / 65536.0, info.correct, (double)window_correct / win, info.clip_q30 / 1073741824.0);
        } else {
            printf("step %u loss %.4f acc %.4f%s\n", s + 1, info.loss_q16 / 65536.0, (double)window_correct / win,
                   info.clip_q30 != (1 << 30) ? " (clipped)" : "");
        }
    }
    if (ept_export(cs.s.trainer, exp_buf, cs.s.plan.export_bytes, &written) != EP_OK ||
        ept_cli_write(out_path, exp_buf, written) != 0) {
        fprintf(stderr, "edge-peft: cannot export the adapter\n");
        goto done_bufs;
    }
    if (ept_cli_opt(argc, argv, "--checkpoint-out") != NULL) {
        /* right after the steps: the evaluations below only run forwards */
        const size_t cn = ept_checkpoint_bytes(cs.s.trainer);
        uint8_t *cb = (uint8_t *)malloc(cn);
        size_t cw = 0;
        const int bad = cb == NULL || ept_checkpoint_export(cs.s.trainer, cb, cn, &cw) != EP_OK ||
                        ept_cli_write(ept_cli_opt(argc, argv, "--checkpoint-out"), cb, cw) != 0;
        free(cb);
        if (bad) {
            fprintf(stderr, "edge-peft: cannot write the checkpoint\n");
            goto done_bufs;
        }
    }
    /* --outputs: raw outputs on --eval-data from the trained session itself, to compare
     * with inference from the exported adapter */
    if (eval_file(&cs, eval_path, &acc_after, ept_cli_opt(argc, argv, "--outputs")) != 0 ||
        eval_file(&cs, ept_cli_opt(argc, argv, "--data"), &train_after, NULL) != 0) {
        goto done_bufs;
    }
    if (ept_cli_sha256(exp_buf, written, digest) != 0) goto done_bufs;
    ept_cli_hex(digest, 32, hexd);
    if (json) {
        printf("],\"train_accuracy_before\":%.6f,\"train_accuracy_after\":%.6f,\"eval_accuracy_before\":%.6f,"
               "\"eval_accuracy_after\":%.6f,\"adapter_bytes\":%zu,\"train_bytes\":%u,\"arena_bytes\":%u,"
               "\"params\":%u,\"sha256\":\"%s\"}\n",
               train_before, train_after, acc_before, acc_after, written, cs.s.plan.train_bytes,
               cs.s.engine_plan.arena_bytes, cs.s.plan.param_count, hexd);
    } else {
        printf("train accuracy %.4f -> %.4f\n", train_before, train_after);
        if (eval_path != NULL) printf("eval accuracy %.4f -> %.4f\n", acc_before, acc_after);
        printf("adapter %s: %zu bytes, sha256 %s\n", out_path, written, hexd);
    }
    rc = 0;
done_bufs:
    if (g != NULL) fclose(g);
    free(mant);
    free(hist);
    free(exp_buf);
done_data:
    free(replay.bytes);
    free(soft.bytes);
    free(init.bytes);
    free(ckpt.bytes);
    free(data.bytes);
done_cs:
    ept_cli_close(&cs);
    return rc;
}
