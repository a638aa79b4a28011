/* LoRA merge for inference: W' = W + (alpha/r) B A (and the bias delta) folded into a
 * requantised int8 copy of each adapted layer, in the caller's buffer (edge_peft_merge.h). */
#include <math.h>
#include <string.h>

#include "train_internal.h"

static size_t al4(size_t n)
{
    return (n + 3U) & ~(size_t)3U;
}

static size_t layer_bytes(const ept_layer *L)
{
    return al4((size_t)L->in * (size_t)L->out) + (size_t)L->out * 4U + (size_t)L->out * sizeof(float);
}

static int merges(const ept_layer *L)
{
    return L->type != EPT_LAYER_AVGPOOL && (L->ta >= 0 || L->tbias >= 0);
}

size_t epm_merge_bytes(const ept_trainer *t)
{
    size_t n = 0;
    if (t == NULL) return 0;
    for (int32_t l = 0; l < t->nl; ++l) {
        if (merges(&t->L[l])) n += layer_bytes(&t->L[l]);
    }
    return n;
}

/* Weight scale of output row i of the frozen layer, as the model stores it (float32). */
static float row_scale(const ept_trainer *t, const ept_layer *L, int32_t i)
{
    ep_op_info op;
    ep_tensor_info tw;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK || op.input_count < 2 ||
        ep_model_tensor(t->model, op.inputs[1], &tw) != EP_OK || tw.scale_count < 1) {
        return 0.0f;
    }
    return ep_tensor_scale(&tw, tw.scale_count > 1 ? (i < tw.scale_count ? i : 0) : 0);
}

static int32_t round_sat(double v, double lo, double hi)
{
    const double r = v < 0 ? -floor(-v + 0.5) : floor(v + 0.5); /* half away from zero */
    return (int32_t)(r < lo ? lo : (r > hi ? hi : r));
}

/* One output row: real weights in row (doubles, in), then the int8 row and its scale. */
static int32_t merge_row(const ept_trainer *t, const ept_layer *L, int32_t i, double *real_max,
                         epm_layer *M)
{
    const int32_t in = L->in;
    const double sw = (double)row_scale(t, L, i);
    const int8_t *w = L->w + (size_t)i * (size_t)in;
    double c = 0.0, mx = 0.0, hi = 0.0, lo = 0.0, s = sw;
    const int16_t *A = NULL, *B = NULL;
    int32_t rescaled = 0;
    int64_t bias = (L->bias != NULL ? L->bias[i] : 0) + (L->tbias >= 0 ? t->T[L->tbias].view[i] : 0);
    if (L->ta >= 0) {
        A = (const int16_t *)t->T[L->ta].master;
        B = (const int16_t *)t->T[L->tb].master + (size_t)i * (size_t)L->rank;
        /* B at its int16 master (1/256 of its view unit), as the forward reads it */
        c = (double)t->cfg.alpha / (double)t->cfg.rank * t->T[L->ta].view_scale * t->T[L->tb].view_scale / 256.0;
    }
    /* first pass: the largest |W'| of the row, to choose its scale */
    for (int32_t j = 0; j < in; ++j) {
        double v = sw * (double)w[j];
        for (int32_t k = 0; A != NULL && k < L->rank; ++k) {
            v += c * (double)B[k] * (double)ept_v8(A[(size_t)k * (size_t)in + (size_t)j]);
        }
        hi = v > hi ? v : hi;
        lo = v < lo ? v : lo;
    }
    mx = hi > -lo ? hi : -lo;
    /* the base's int8 range is [-128, 127]: keep its scale while the row rounds into it */
    if (sw > 0.0 && (hi / sw >= 127.5 || lo / sw < -128.5)) {
        s = mx / 127.0;
        rescaled = 1;
    }
    *real_max = mx;
    for (int32_t j = 0; j < in; ++j) {
        double v = sw * (double)w[j];
        for (int32_t k = 0; A != NULL && k < L->rank; ++k) {
            v += c * (double)B[k] * (double)ept_v8(A[(size_t)k * (size_t)in + (size_t)j]);
        }
        M->weights[(size_t)i * (size_t)in + (size_t)j] = (int8_t)round_sat(v / s, -128.0, 127.0);
    }
    /* bias in units s_in * s: unchanged when the scale is kept */
    M->bias[i] = rescaled ? round_sat((double)bias * sw / s, -2147483648.0, 2147483647.0)
                          : (int32_t)(bias > INT32_MAX ? INT32_MAX : (bias < INT32_MIN ? INT32_MIN : bias));
    M->scale[i] = rescaled ? (float)s : (float)sw;
    return rescaled;
}

ep_status epm_merge(const ept_trainer *t, void *buf, size_t bytes, epm_merged *out,
                    char *err, size_t err_size)
{
    uint8_t *p = (uint8_t *)buf;
    size_t need;
    if (t == NULL || buf == NULL || out == NULL) return EP_ERR_ARG;
    need = epm_merge_bytes(t);
    if (bytes < need) {
        return ept_errf(err, err_size, EP_ERR_SIZE, "merge: buffer %u < %u bytes", (unsigned)bytes, (unsigned)need);
    }
    if ((uintptr_t)buf % 4U != 0) return ept_errf(err, err_size, EP_ERR_ARG, "merge: buffer not 4-byte aligned");
    for (int32_t l = 0; l < t->nl; ++l) {
        if (t->L[l].tw >= 0) {
            /* a full fine-tune's trained W is already the layer: nothing to fold */
            return ept_errf(err, err_size, EP_ERR_ARG, "merge: layer %d is fully fine-tuned (its W view is the merged layer)",
                            t->L[l].fc_index);
        }
        if (t->L[l].tp >= 0) {
            return ept_errf(err, err_size, EP_ERR_ARG, "merge: layer %d has a prompt adapter, which cannot be folded",
                            t->L[l].fc_index);
        }
    }
    memset(out, 0, sizeof *out);
    for (int32_t l = 0; l < t->nl; ++l) {
        const ept_layer *L = &t->L[l];
        epm_layer *M;
        if (!merges(L)) continue;
        if (out->layer_count >= EPT_MAX_LAYERS) return EP_ERR_STATE;
        M = &out->layers[out->layer_count++];
        M->fc_index = L->fc_index;
        M->op_index = L->op_index;
        M->in = L->in;
        M->out = L->out;
        M->weights = (int8_t *)p;
        p += al4((size_t)L->in * (size_t)L->out);
        M->bias = (int32_t *)(void *)p;
        p += (size_t)L->out * 4U;
        M->scale = (float *)(void *)p;
        p += (size_t)L->out * sizeof(float);
        for (int32_t i = 0; i < L->out; ++i) {
            double mx;
            M->rescaled_rows += merge_row(t, L, i, &mx, M);
        }
    }
    return EP_OK;
}
