/* Public trainer calls on a latent: forward, step, gradient probe, EWC. */
#include <string.h>

#include "train_internal.h"

static ep_status check(const ept_trainer *t, const int8_t *latent, uint32_t bytes)
{
    if (t == NULL || latent == NULL) {
        return EP_ERR_ARG;
    }
    if (bytes != (uint32_t)t->latent_bytes) {
        return EP_ERR_SIZE;
    }
    if (ept_in_scratch(t, latent, bytes)) {
        return EP_ERR_ARG; /* e.g. a replayed latent left in dead engine memory */
    }
    return EP_OK;
}

ep_status ept_forward(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes, int8_t *probs,
                      uint32_t probs_bytes, int32_t label, ept_step_info *info)
{
    ep_status st = check(t, latent, latent_bytes);
    if (st != EP_OK) return st;
    st = ept_fwd(t, latent, label, info, 0);
    if (st != EP_OK) return st;
    if (probs != NULL) {
        /* the model's output: softmax probabilities, or logits when it has no softmax */
        const int8_t *src = t->softmax_present ? t->probs : t->L[t->nl - 1].y;
        if (probs_bytes != (uint32_t)t->classes) return EP_ERR_SIZE;
        memcpy(probs, src, (size_t)t->classes);
    }
    return EP_OK;
}

ep_status ept_step(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes, int32_t label,
                   ept_step_info *info)
{
    ep_status st = check(t, latent, latent_bytes);
    if (st != EP_OK) return st;
    if (label < 0 || label >= t->classes) return EP_ERR_ARG;
    st = ept_fwd(t, latent, label, info, 1);
    if (st != EP_OK) return st;
    st = ept_bwd(t, label, EPT_VISIT_UPDATE, NULL, 0, NULL);
    if (info != NULL) info->clip_q30 = t->last_clip_q30;
    return st;
}

ep_status ept_gradient(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes, int32_t label,
                       int32_t *mant, uint32_t mant_count, ept_grad_layout *lay)
{
    ep_status st = check(t, latent, latent_bytes);
    if (st != EP_OK) return st;
    if (mant == NULL || lay == NULL || label < 0 || label >= t->classes) return EP_ERR_ARG;
    if (mant_count < t->param_count) return EP_ERR_SIZE;
    st = ept_fwd(t, latent, label, NULL, 1);
    if (st != EP_OK) return st;
    /* visits run top layer first; the layout records that order */
    return ept_bwd(t, label, EPT_VISIT_GRAD, mant, mant_count, lay);
}

/* Soft targets: classes bytes, each a probability x 256 (an int8 softmax output + 128). The
 * label the forward scores (info) is the target's top class. */
static ep_status soft_label(const ept_trainer *t, const uint8_t *target, uint32_t target_bytes, int32_t *label)
{
    int32_t best = 0;
    if (target == NULL) return EP_ERR_ARG;
    if (target_bytes != (uint32_t)t->classes) return EP_ERR_SIZE;
    for (int32_t i = 1; i < t->classes; ++i) {
        if (target[i] > target[best]) best = i;
    }
    *label = best;
    return EP_OK;
}

ep_status ept_step_soft(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                        const uint8_t *target, uint32_t target_bytes, ept_step_info *info)
{
    int32_t label = 0;
    ep_status st = check(t, latent, latent_bytes);
    if (st == EP_OK) st = soft_label(t, target, target_bytes, &label);
    if (st != EP_OK) return st;
    st = ept_fwd(t, latent, label, info, 1);
    if (st != EP_OK) return st;
    t->soft = target;
    st = ept_bwd(t, label, EPT_VISIT_UPDATE, NULL, 0, NULL);
    t->soft = NULL;
    if (info != NULL) info->clip_q30 = t->last_clip_q30;
    return st;
}

ep_status ept_gradient_soft(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                            const uint8_t *target, uint32_t target_bytes, int32_t *mant,
                            uint32_t mant_count, ept_grad_layout *lay)
{
    int32_t label = 0;
    ep_status st = check(t, latent, latent_bytes);
    if (st == EP_OK) st = soft_label(t, target, target_bytes, &label);
    if (st != EP_OK) return st;
    if (mant == NULL || lay == NULL) return EP_ERR_ARG;
    if (mant_count < t->param_count) return EP_ERR_SIZE;
    st = ept_fwd(t, latent, label, NULL, 1);
    if (st != EP_OK) return st;
    t->soft = target;
    st = ept_bwd(t, label, EPT_VISIT_GRAD, mant, mant_count, lay);
    t->soft = NULL;
    return st;
}

ep_status ept_fisher_reset(ept_trainer *t)
{
    if (t == NULL) return EP_ERR_ARG;
    if (t->cfg.ewc_lambda_m == 0) return EP_ERR_STATE;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        memset(T->fisher, 0, 2U * (size_t)T->size);
        T->fexp = 0;
        T->fmax = 0;
        T->fcount = 0;
    }
    t->fisher_n = 0;
    t->ewc_on = 0;
    return EP_OK;
}

ep_status ept_fisher_add(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes, int32_t label)
{
    ep_status st = check(t, latent, latent_bytes);
    if (st != EP_OK) return st;
    if (t->cfg.ewc_lambda_m == 0) return EP_ERR_STATE;
    if (label < 0 || label >= t->classes) return EP_ERR_ARG;
    st = ept_fwd(t, latent, label, NULL, 0);
    if (st != EP_OK) return st;
    return ept_bwd(t, label, EPT_VISIT_FISHER, NULL, 0, NULL);
}

ep_status ept_ewc_anchor(ept_trainer *t)
{
    if (t == NULL) return EP_ERR_ARG;
    if (t->cfg.ewc_lambda_m == 0 || t->fisher_n == 0) return EP_ERR_STATE;
    for (int32_t i = 0; i < t->nt; ++i) {
        ept_tensor *T = &t->T[i];
        const uint32_t mb = T->kind == EPT_T_BIAS ? 4U : 2U;
        memcpy(T->anchor, T->master, mb * (size_t)T->size);
        ept_ewc_fold(T);
    }
    t->ewc_on = 1;
    return EP_OK;
}
