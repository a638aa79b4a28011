/* Full fine-tune of chosen layers (`full:layers=I..J`): the baseline the adapters are
 * measured against. Every weight trains as an int16 master with EPT_MASTER_FRAC bits below
 * its int8 view, in the layer's own weight scale (per row for per-channel weights), so the
 * view the forward reads is a requantisation of the master as it moves; the bias trains as
 * the usual int32 bias delta. The frozen weights stay in flash: only the master is in RAM. */
#include "train_internal.h"

/* Master = frozen W x 2^8: the view equals W exactly, so an untrained full fine-tune gives
 * TFLite Micro's outputs. int8 x 256 always fits int16. */
void ept_full_init(const ept_trainer *t, ept_tensor *T)
{
    const ept_layer *L = &t->L[T->layer];
    int16_t *m = (int16_t *)T->master;
    for (int32_t k = 0; k < T->size; ++k) m[k] = (int16_t)((int32_t)L->w[k] * (1 << EPT_MASTER_FRAC));
}

/* lr * dL/dW / (master unit) per row: the gradient's real unit grad_c = s_delta s_x is one
 * for the whole tensor, the master unit s_w[i] / 2^8 follows the row's weight scale. */
ep_status ept_full_rates(ept_trainer *t, ept_tensor *T, char *err, size_t n)
{
    const ept_layer *L = &t->L[T->layer];
    const double lr = (double)t->cfg.lr_u * 1e-6;
    ep_op_info op;
    ep_tensor_info tw;
    if (ep_model_op(t->model, L->op_index, &op) != EP_OK ||
        ep_model_tensor(t->model, op.inputs[1], &tw) != EP_OK || tw.scale_count < 1) {
        return EP_ERR_MODEL;
    }
    for (int32_t r = 0; r < T->rows; ++r) {
        const double sw = (double)ep_tensor_scale(&tw, tw.scale_count > 1 ? r : 0);
        if (sw <= 0.0 || ept_mult_from(lr * T->grad_c * 256.0 / sw, &T->k_rows[r]) != EP_OK) {
            ept_err(err, n, "full: scale out of range for a fixed-point multiplier", NULL);
            return EP_ERR_QUANT;
        }
    }
    return EP_OK;
}
