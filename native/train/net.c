/* Finds the trained suffix of a model (FULLY_CONNECTED chain from the lowest adapted layer,
 * RESHAPEs and shape-only subgraphs passed through, optional final SOFTMAX) and sizes the
 * trainer arena. The per-operator checks it applies are in net_shapes.c. */
#include "train_internal.h"

static int32_t resolve(int32_t idx, int32_t n)
{
    return idx < 0 ? n + idx : idx;
}

static uint32_t al4(uint32_t v)
{
    return (v + 3U) & ~3U;
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
        ept_err(err, en, what, " layers out of range (FULLY_CONNECTED and 1x1 CONV_2D layers counted)");
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
    if (cfg->kinds == 0 || (cfg->kinds & ~31U) != 0) {
        ept_err(err, err_size, "no adapter kind configured", NULL);
        return EP_ERR_ARG;
    }
    for (int32_t i = 0; i < model->operator_count; ++i) {
        if (ep_model_op(model, i, &op) != EP_OK) {
            return EP_ERR_MODEL;
        }
        int32_t a, b, c;
        nfc += ept_adaptable(model, &op, &a, &b, &c);
    }
    if (nfc == 0) {
        ept_err(err, err_size, "model has no FULLY_CONNECTED or 1x1 CONV_2D layer to adapt", NULL);
        return EP_ERR_UNSUPPORTED;
    }
    if (((cfg->kinds & EPT_KIND_LORA) && check_range(cfg->lora_layers, nfc, "lora", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_BIAS) && check_range(cfg->bias_layers, nfc, "bias", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_PROMPT) &&
         check_range(cfg->prompt_layers, nfc, "prompt", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_FULL) && check_range(cfg->full_layers, nfc, "full", err, err_size)) ||
        ((cfg->kinds & EPT_KIND_ADAPTER) && check_range(cfg->adapter_layers, nfc, "adapter", err, err_size))) {
        return EP_ERR_ARG;
    }
    if ((cfg->kinds & EPT_KIND_ADAPTER) && (cfg->adapter_width < 1 || cfg->adapter_width > 64 ||
                                            cfg->recompute == EPT_RECOMPUTE_ON)) {
        /* the backward reads the adapter's input and h, which recomputation does not keep */
        ept_err(err, err_size, "adapter width must be 1..64 and adapter layers need recompute:off (or auto)", NULL);
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
    if ((cfg->kinds & EPT_KIND_FULL) && resolve(cfg->full_layers.first, nfc) < lowest)
        lowest = resolve(cfg->full_layers.first, nfc);
    if ((cfg->kinds & EPT_KIND_ADAPTER) && resolve(cfg->adapter_layers.first, nfc) < lowest)
        lowest = resolve(cfg->adapter_layers.first, nfc);
    p->first_op = -1;
    uint8_t known[EP_MAX_TENSORS / 8] = {0};
    if (model->tensor_count > EP_MAX_TENSORS) {
        return EP_ERR_LIMIT;
    }
    for (int32_t i = 0; i < model->operator_count; ++i) {
        int32_t in, out, pos;
        (void)ep_model_op(model, i, &op);
        if (ept_shape_only(model, &op, known)) {
            continue;
        }
        if (p->first_op < 0) {
            if (ept_adaptable(model, &op, &in, &out, &pos)) {
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
        if (p->layer_count >= EPT_MAX_LAYERS) {
            ept_err(err, err_size, "too many layers above the lowest adapter", NULL);
            return EP_ERR_LIMIT;
        }
        if (op.opcode == EP_OP_AVERAGE_POOL_2D || op.opcode == EP_OP_MEAN) {
            st = op.opcode == EP_OP_MEAN ? ept_mean_shape(model, &op, &out, &pos, err, err_size)
                                              : ept_pool_shape(model, &op, &out, &pos, err, err_size);
            if (st != EP_OK) return st;
            ept_layer_plan *pp = &p->layers[p->layer_count++];
            pp->fc_index = -1;
            pp->op_index = i;
            pp->type = EPT_LAYER_AVGPOOL;
            pp->in = pp->out = out;
            pp->positions = pos;
            prev_out = op.outputs[0];
            continue;
        }
        if (op.opcode == EP_OP_LOGISTIC || op.opcode == EP_OP_TANH || op.opcode == EP_OP_RELU ||
            op.opcode == EP_OP_RELU6 || op.opcode == EP_OP_LEAKY_RELU ||
            op.opcode == EP_OP_HARD_SWISH) {
            /* an activation operator: elementwise over the whole map (one position) */
            ep_tensor_info ti, to;
            if (ep_model_tensor(model, op.inputs[0], &ti) != EP_OK ||
                ep_model_tensor(model, op.outputs[0], &to) != EP_OK || ti.type != EP_TYPE_INT8 ||
                to.type != EP_TYPE_INT8 || ti.elements != to.elements || ti.elements <= 0) {
                ept_err(err, err_size, "activation above the lowest adapter must be int8: ",
                        ep_op_name(&op));
                return EP_ERR_UNSUPPORTED;
            }
            ept_layer_plan *ap = &p->layers[p->layer_count++];
            ap->fc_index = -1;
            ap->op_index = i;
            ap->type = EPT_LAYER_ACT;
            ap->in = ap->out = ti.elements;
            ap->positions = 1;
            maxdim = ti.elements > maxdim ? ti.elements : maxdim;
            prev_out = op.outputs[0];
            continue;
        }
        if (op.opcode != EP_OP_FULLY_CONNECTED && op.opcode != EP_OP_CONV_2D) {
            ept_err(err, err_size, "operator above the lowest adapter not trainable: ",
                    ep_op_name(&op));
            return EP_ERR_UNSUPPORTED;
        }
        st = ept_fc_shape(model, &op, &in, &out, &pos, err, err_size);
        if (st != EP_OK) {
            return st;
        }
        ept_layer_plan *lp = &p->layers[p->layer_count++];
        lp->fc_index = fc;
        lp->op_index = i;
        lp->type = op.opcode == EP_OP_CONV_2D ? EPT_LAYER_CONV1X1 : EPT_LAYER_FC;
        lp->positions = pos;
        lp->in = in;
        lp->out = out;
        if ((cfg->kinds & EPT_KIND_LORA) && in_range(cfg->lora_layers, fc, nfc)) lp->kinds |= EPT_KIND_LORA;
        if ((cfg->kinds & EPT_KIND_BIAS) && in_range(cfg->bias_layers, fc, nfc)) lp->kinds |= EPT_KIND_BIAS;
        if ((cfg->kinds & EPT_KIND_PROMPT) && in_range(cfg->prompt_layers, fc, nfc)) lp->kinds |= EPT_KIND_PROMPT;
        if ((cfg->kinds & EPT_KIND_FULL) && in_range(cfg->full_layers, fc, nfc)) lp->kinds |= EPT_KIND_FULL;
        if ((cfg->kinds & EPT_KIND_ADAPTER) && in_range(cfg->adapter_layers, fc, nfc)) lp->kinds |= EPT_KIND_ADAPTER;
        if ((lp->kinds & EPT_KIND_FULL) && (lp->kinds & EPT_KIND_LORA)) {
            /* a side path on a layer whose W itself trains adds nothing but cost */
            ept_err(err, err_size, "full and lora on the same layer", NULL);
            return EP_ERR_ARG;
        }
        /* gradient vectors: every layer's output (all positions); an input only below a
         * prompt; pools need nothing more (their input is the layer below's output) */
        maxdim = out * pos > maxdim ? out * pos : maxdim;
        if (lp->kinds & EPT_KIND_PROMPT) maxdim = in * pos > maxdim ? in * pos : maxdim;
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
    {
        /* state: the fixed struct plus exactly the layers and tensors this config has */
        uint32_t nt = 0;
        for (int32_t l = 0; l < p->layer_count; ++l) {
            const uint32_t k = p->layers[l].kinds;
            /* full = W + the bias delta (shared with a bias term on the same layer) */
            nt += ((k & EPT_KIND_LORA) ? 2U : 0U) + ((k & (EPT_KIND_BIAS | EPT_KIND_FULL)) ? 1U : 0U) +
                  ((k & EPT_KIND_PROMPT) ? 1U : 0U) + ((k & EPT_KIND_FULL) ? 1U : 0U) +
                  ((k & EPT_KIND_ADAPTER) ? 2U : 0U);
        }
        if (nt > EPT_MAX_TENSORS) return EP_ERR_LIMIT;
        p->state_bytes = al4((uint32_t)sizeof(struct ept_trainer)) +
                         al4((uint32_t)p->layer_count * (uint32_t)sizeof(ept_layer)) +
                         al4(nt * (uint32_t)sizeof(ept_tensor)) + 8U; /* + alignment of the doubles */
        p->tensor_count = (int32_t)nt;
    }
    uint32_t ghdim = 1, pdim = 0, step_x = 0;
    /* activations: kept (every layer's y and ReLU mask, h8 / hacc per LoRA layer) or, under
     * recomputation, two alternating output buffers (even / odd layers) and one shared h8 /
     * hacc; both are accounted so plan can report the two arenas and AUTO can choose */
    uint32_t keep_act = 0, keep_h[EPT_MAX_LAYERS] = {0}, rc_buf[2] = {0, 0}, rc_h8 = 0, rc_hacc = 0;
    for (int32_t l = 0; l < p->layer_count; ++l) {
        ept_layer_plan *lp = &p->layers[l];
        const uint32_t in = (uint32_t)lp->in, out = (uint32_t)lp->out, np = (uint32_t)lp->positions;
        {
            const int frozen = lp->type == EPT_LAYER_AVGPOOL || lp->type == EPT_LAYER_ACT;
            const uint32_t y = al4(out * (lp->type == EPT_LAYER_AVGPOOL ? 1U : np));
            rc_buf[l & 1] = y > rc_buf[l & 1] ? y : rc_buf[l & 1];
            keep_act += frozen ? y : 2U * y; /* y (+ neg) */
        }
        if (lp->type == EPT_LAYER_AVGPOOL) {
            continue;
        }
        if (lp->type == EPT_LAYER_ACT) {
            p->scratch_bytes += 256U + 4U * 256U; /* constants: the table and its slopes */
            continue;
        }
        const int own_x = (lp->kinds & EPT_KIND_PROMPT) != 0;
        /* own input copy under a prompt; requantisation per row */
        p->scratch_bytes += (own_x ? al4(in * np) : 0) + al4(out * 8U);
        step_x += own_x ? al4(in * np) : 0; /* the input copy is per step; req is a constant */
        if (lp->kinds & EPT_KIND_LORA) {
            /* no stored int8 views: the forward derives them from the masters (ept_v8) */
            lp->master_bytes += al4(2U * r * in) + al4(2U * out * r);
            keep_h[l] = al4(r * np) + al4(4U * r * np); /* h8, hacc */
            rc_h8 = al4(r * np) > rc_h8 ? al4(r * np) : rc_h8;
            rc_hacc = al4(4U * r * np) > rc_hacc ? al4(4U * r * np) : rc_hacc;
            lp->grad_bytes += keep_h[l] + al4(out * 8U); /* h8, hacc, side */
            lp->optim_bytes += mom ? al4(2U * r * in) + al4(2U * out * r) : 0;
            lp->ewc_bytes += ewc ? 2U * (al4(2U * r * in) + al4(2U * out * r)) : 0;
            p->param_count += r * in + out * r;
            p->export_bytes += 40U + al4(r * in) + al4(2U * out * r); /* B int16 */
            ghdim = r * np > ghdim ? r * np : ghdim;
        }
        if (lp->kinds & EPT_KIND_FULL) {
            /* int16 masters of W (the view derives from them) and per-row rates */
            lp->master_bytes += al4(2U * out * in) + 8U * out;
            lp->optim_bytes += mom ? al4(2U * out * in) : 0;
            lp->ewc_bytes += ewc ? 2U * al4(2U * out * in) : 0;
            p->param_count += out * in;
            p->export_bytes += 20U + al4(out * in);
        }
        if (lp->kinds & EPT_KIND_ADAPTER) {
            /* D (m x out) and U (out x m) masters; y0, h8, D y0 kept until the backward */
            const uint32_t m = cfg->adapter_width;
            lp->master_bytes += 2U * al4(2U * m * out);
            lp->optim_bytes += mom ? 2U * al4(2U * m * out) : 0;
            lp->ewc_bytes += ewc ? 4U * al4(2U * m * out) : 0;
            p->param_count += 2U * m * out;
            p->export_bytes += 40U + 2U * al4(m * out);
            keep_act += al4(out * np) + al4(m * np) + al4(4U * m * np);
            ghdim = m * np > ghdim ? m * np : ghdim;
        }
        if (lp->kinds & (EPT_KIND_BIAS | EPT_KIND_FULL)) {
            lp->adapter_bytes += 4U * out;
            lp->master_bytes += 4U * out + 8U * out;
            lp->optim_bytes += mom ? 4U * out : 0;
            lp->ewc_bytes += ewc ? al4(2U * out) + 4U * out : 0;
            p->param_count += out;
            p->export_bytes += 20U + 4U * out;
        }
        if (lp->kinds & EPT_KIND_PROMPT) {
            /* the prompt offsets the first len bytes of the flattened input */
            const uint32_t len = cfg->prompt_len == 0 || cfg->prompt_len > in * np ? in * np : cfg->prompt_len;
            lp->master_bytes += al4(2U * len);
            lp->optim_bytes += mom ? al4(2U * len) : 0;
            lp->ewc_bytes += ewc ? 2U * al4(2U * len) : 0;
            p->param_count += len;
            p->export_bytes += 20U + al4(len);
            pdim = len > pdim ? len : pdim;
        }
        if (ept_per_channel(model, lp->op_index)) lp->grad_bytes += al4(out * 8U); /* weight ratios */
        p->adapter_bytes += lp->adapter_bytes;
        p->master_bytes += lp->master_bytes;
        p->grad_bytes += lp->grad_bytes;
        p->optim_bytes += lp->optim_bytes;
        p->ewc_bytes += lp->ewc_bytes;
    }
    p->grad_dim = maxdim;
    p->gh_dim = (int32_t)ghdim;
    p->prompt_dim = (int32_t)pdim;
    /* probs, dacc (int32), d16, dx16 (prompt only), gh16 */
    const uint32_t vec = al4((uint32_t)p->classes) + al4(4U * (uint32_t)maxdim) +
                         al4(2U * (uint32_t)maxdim) + al4(2U * pdim) + al4(2U * ghdim);
    p->scratch_bytes += vec;
    {
        uint32_t keep_hsum = 0;
        const uint32_t rc_act = rc_buf[0] + rc_buf[1] + rc_h8 + rc_hacc;
        for (int32_t l = 0; l < p->layer_count; ++l) keep_hsum += keep_h[l];
        const uint32_t common = p->state_bytes + p->adapter_bytes + p->master_bytes + p->grad_bytes - keep_hsum +
                                p->optim_bytes + p->ewc_bytes + p->scratch_bytes + 64U;
        p->train_bytes_keep = common + keep_hsum + keep_act;
        p->train_bytes_recompute = common + rc_act;
        /* per-step scratch (ept_init carves it as one block): written and read within one
         * call; masters, momentum, EWC, requantisation constants and the state persist */
        p->step_bytes_keep = step_x + vec + keep_hsum + keep_act;
        p->step_bytes_recompute = step_x + vec + rc_act;
        p->recompute = cfg->recompute == EPT_RECOMPUTE_ON ||
                       (cfg->recompute == EPT_RECOMPUTE_AUTO && p->train_bytes_recompute < p->train_bytes_keep &&
                        (cfg->kinds & EPT_KIND_ADAPTER) == 0);
        if (p->recompute) {
            /* shared h8 / hacc: scratch, not per-layer gradient bytes */
            for (int32_t l = 0; l < p->layer_count; ++l) p->layers[l].grad_bytes -= keep_h[l];
            p->grad_bytes -= keep_hsum;
            p->scratch_bytes += rc_act;
        } else {
            p->scratch_bytes += keep_act;
        }
        p->step_bytes = p->recompute ? p->step_bytes_recompute : p->step_bytes_keep;
    }
    p->train_bytes = p->state_bytes + p->adapter_bytes + p->master_bytes + p->grad_bytes +
                     p->optim_bytes + p->ewc_bytes + p->scratch_bytes + 64U;
    /* header (with the base-model SHA-256) + CRC-32 (docs/formats.md, Adapter); the newer
     * kinds' fields extend the header, so files of the older kinds keep their bytes */
    p->export_bytes += ((cfg->kinds & (EPT_KIND_FULL | EPT_KIND_ADAPTER)) ? 88U : 76U) + 4U;
    return EP_OK;
}
