/* Finds the trained suffix of a model (FULLY_CONNECTED chain from the lowest adapted layer,
 * RESHAPEs passed through, optional final SOFTMAX) and sizes the trainer arena. */
#include "train_internal.h"

static int32_t resolve(int32_t idx, int32_t n)
{
    return idx < 0 ? n + idx : idx;
}

static uint32_t al4(uint32_t v)
{
    return (v + 3U) & ~3U;
}

/* Valid int8 FC with int8 symmetric weights and batch 1; fills in/out. */
static ep_status fc_shape(const ep_model *m, const ep_op_info *op, int32_t *in, int32_t *out,
                          char *err, size_t n)
{
    ep_tensor_info ti, tw, to;
    if (op->input_count < 2 || op->inputs[0] < 0 || op->inputs[1] < 0 || op->outputs[0] < 0 ||
        ep_model_tensor(m, op->inputs[0], &ti) != EP_OK ||
        ep_model_tensor(m, op->inputs[1], &tw) != EP_OK ||
        ep_model_tensor(m, op->outputs[0], &to) != EP_OK) {
        ept_err(err, n, "FULLY_CONNECTED: bad tensors", NULL);
        return EP_ERR_MODEL;
    }
    if (ti.type != EP_TYPE_INT8 || tw.type != EP_TYPE_INT8 || to.type != EP_TYPE_INT8 ||
        tw.rank != 2 || tw.data == NULL || ti.scale_count < 1 || tw.scale_count < 1 ||
        to.scale_count < 1) {
        ept_err(err, n, "FULLY_CONNECTED: trainer needs int8 quantised input/weights/output", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    *out = tw.dims[0];
    *in = tw.dims[1];
    if (ti.elements != *in || to.elements != *out || *in <= 0 || *out <= 0 || *in > 65535 ||
        *out > 65535) {
        ept_err(err, n, "FULLY_CONNECTED: trainer needs batch 1", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    return EP_OK;
}

static int in_range(ept_range r, int32_t i, int32_t n)
{
    const int32_t a = resolve(r.first, n), b = resolve(r.last, n);
    return i >= a && i <= b;
}

static ep_status check_range(ept_range r, int32_t n, const char *what, char *err, size_t en)
{
    const int32_t a = resolve(r.first, n), b = resolve(r.last, n);
    if (a < 0 || b < a || b >= n) {
        ept_err(err, en, what, " layers out of range (FULLY_CONNECTED layers counted)");
        return EP_ERR_ARG;
    }
    return EP_OK;
}

ep_status ept_net_scan(const ep_model *model, const ept_config *cfg, ept_plan_info *p,
                       char *err, size_t err_size)
{
    ep_op_info op;
    int32_t nfc = 0, lowest = -1, fc = 0, prev_out = -1, maxdim = 64;
    ep_status st;
    if (model == NULL || cfg == NULL || p == NULL) {
        return EP_ERR_ARG;
    }
    *p = (ept_plan_info){0};
    if (cfg->kinds == 0 || (cfg->kinds & ~7U) != 0) {
        ept_err(err, err_size, "no adapter kind configured", NULL);
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < model->operator_count; ++i) {
        if (ep_model_op(model, i, &op) != EP_OK) {
            return EP_ERR_MODEL;
        }
        nfc += op.opcode == EP_OP_FULLY_CONNECTED;
    }
    if (nfc == 0) {
        ept_err(err, err_size, "model has no FULLY_CONNECTED layer to adapt", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    if (((cfg->kinds & EPT_KIND_LORA) && check_range(cfg->lora_layers, nfc, "lora", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_BIAS) && check_range(cfg->bias_layers, nfc, "bias", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_PROMPT) &&
         check_range(cfg->prompt_layers, nfc, "prompt", err, err_size))) {
        return EP_ERR_ARG;
    }
    if (cfg->rank < 1 || cfg->rank > 64 || cfg->alpha < 1) {
        ept_err(err, err_size, "lora rank must be 1..64 and alpha >= 1", NULL);
        return EP_ERR_ARG;
    }
    lowest = nfc;
    if (cfg->kinds & EPT_KIND_LORA) lowest = resolve(cfg->lora_layers.first, nfc);
    if ((cfg->kinds & EPT_KIND_BIAS) && resolve(cfg->bias_layers.first, nfc) < lowest)
        lowest = resolve(cfg->bias_layers.first, nfc);
    if ((cfg->kinds & EPT_KIND_PROMPT) && resolve(cfg->prompt_layers.first, nfc) < lowest)
        lowest = resolve(cfg->prompt_layers.first, nfc);
    p->first_op = -1;
    for (int32_t i = 0; i < model->operator_count; ++i) {
        int32_t in, out;
        (void)ep_model_op(model, i, &op);
        if (p->first_op < 0) {
            if (op.opcode == EP_OP_FULLY_CONNECTED) {
                if (fc == lowest) {
                    p->first_op = i;
                    p->latent_tensor = op.inputs[0];
                    prev_out = op.inputs[0];
                } else {
                    ++fc;
                    continue;
                }
            } else {
                continue;
            }
        }
        if (op.input_count < 1 || op.inputs[0] != prev_out) {
            ept_err(err, err_size, "trained suffix is not a single chain at operator ",
                    ep_op_name(&op));
            return EP_ERR_UNSUPPORTED;
        }
        if (op.opcode == EP_OP_RESHAPE) {
            prev_out = op.outputs[0];
            continue;
        }
        if (op.opcode == EP_OP_SOFTMAX) {
            if (i != model->operator_count - 1) {
                ept_err(err, err_size, "SOFTMAX must be the last operator", NULL);
                return EP_ERR_UNSUPPORTED;
            }
            prev_out = op.outputs[0];
            continue;
        }
        if (op.opcode != EP_OP_FULLY_CONNECTED) {
            ept_err(err, err_size, "operator above the lowest adapter not trainable: ",
                    ep_op_name(&op));
            return EP_ERR_UNSUPPORTED;
        }
        if (p->layer_count >= EPT_MAX_LAYERS) {
            return EP_ERR_LIMIT;
        }
        st = fc_shape(model, &op, &in, &out, err, err_size);
        if (st != EP_OK) {
            return st;
        }
        ept_layer_plan *lp = &p->layers[p->layer_count++];
        lp->fc_index = fc;
        lp->op_index = i;
        lp->in = in;
        lp->out = out;
        if ((cfg->kinds & EPT_KIND_LORA) && in_range(cfg->lora_layers, fc, nfc)) lp->kinds |= EPT_KIND_LORA;
        if ((cfg->kinds & EPT_KIND_BIAS) && in_range(cfg->bias_layers, fc, nfc)) lp->kinds |= EPT_KIND_BIAS;
        if ((cfg->kinds & EPT_KIND_PROMPT) && in_range(cfg->prompt_layers, fc, nfc)) lp->kinds |= EPT_KIND_PROMPT;
        /* gradient vectors: every layer's output; an input only below a prompt */
        maxdim = out > maxdim ? out : maxdim;
        if (lp->kinds & EPT_KIND_PROMPT) maxdim = in > maxdim ? in : maxdim;
        p->classes = out;
        prev_out = op.outputs[0];
        ++fc;
    }
    if (prev_out != ep_model_output(model, 0) || p->classes > EPT_MAX_CLASSES) {
        ept_err(err, err_size, "trained suffix must end at the model output (<= 64 classes)", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    {
        ep_tensor_info lt;
        if (ep_model_tensor(model, p->latent_tensor, &lt) != EP_OK) return EP_ERR_MODEL;
        p->latent_bytes = (int32_t)lt.bytes;
    }
    /* Byte accounting; ept_init carves exactly these blocks (4-byte aligned each). */
    const uint32_t r = cfg->rank;
    const int mom = cfg->momentum_u != 0, ewc = cfg->ewc_lambda_m != 0;
    p->state_bytes = al4((uint32_t)sizeof(struct ept_trainer));
    for (int32_t l = 0; l < p->layer_count; ++l) {
        ept_layer_plan *lp = &p->layers[l];
        const uint32_t in = (uint32_t)lp->in, out = (uint32_t)lp->out;
        const int own_x = (lp->kinds & EPT_KIND_PROMPT) != 0;
        p->scratch_bytes += 2U * al4(out) + (own_x ? al4(in) : 0) + al4(out * 8U); /* y, neg, x, req */
        if (lp->kinds & EPT_KIND_LORA) {
            const uint32_t np = r * in + out * r;
            lp->adapter_bytes += al4(r * in) + al4(out * r);
            lp->master_bytes += al4(2U * r * in) + al4(2U * out * r);
            lp->grad_bytes += al4(r) + al4(4U * r) + al4(out * 8U);
            lp->optim_bytes += mom ? al4(2U * r * in) + al4(2U * out * r) : 0;
            lp->ewc_bytes += ewc ? 2U * (al4(2U * r * in) + al4(2U * out * r)) : 0;
            p->param_count += np;
            p->export_bytes += 40U + al4(r * in) + al4(out * r);
        }
        if (lp->kinds & EPT_KIND_BIAS) {
            lp->adapter_bytes += 4U * out;
            lp->master_bytes += 4U * out + 8U * out;
            lp->optim_bytes += mom ? 4U * out : 0;
            lp->ewc_bytes += ewc ? al4(2U * out) + 4U * out : 0;
            p->param_count += out;
            p->export_bytes += 20U + 4U * out;
        }
        if (lp->kinds & EPT_KIND_PROMPT) {
            const uint32_t len = cfg->prompt_len == 0 || cfg->prompt_len > in ? in : cfg->prompt_len;
            lp->adapter_bytes += al4(len);
            lp->master_bytes += al4(2U * len);
            lp->optim_bytes += mom ? al4(2U * len) : 0;
            lp->ewc_bytes += ewc ? 2U * al4(2U * len) : 0;
            p->param_count += len;
            p->export_bytes += 20U + al4(len);
        }
        lp->grad_bytes += al4(out * 8U); /* per-channel weight ratios (worst case) */
        p->adapter_bytes += lp->adapter_bytes;
        p->master_bytes += lp->master_bytes;
        p->grad_bytes += lp->grad_bytes;
        p->optim_bytes += lp->optim_bytes;
        p->ewc_bytes += lp->ewc_bytes;
    }
    p->grad_dim = maxdim;
    p->scratch_bytes += al4((uint32_t)p->classes) + al4(4U * (uint32_t)maxdim) +
                        2U * al4(2U * (uint32_t)maxdim) + al4(2U * 64U);
    p->train_bytes = p->state_bytes + p->adapter_bytes + p->master_bytes + p->grad_bytes +
                     p->optim_bytes + p->ewc_bytes + p->scratch_bytes + 64U;
    p->export_bytes += 44U + 4U; /* header + CRC-32 (docs/formats.md, Adapter) */
    return EP_OK;
}
