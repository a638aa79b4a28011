/* Merged LoRA in the engine (edge_peft_merge.h): an FC operator's weights and bias are
 * redirected to a merged RAM copy and its kernel sums recomputed, so inference runs the same
 * kernel at the same cost as the base. Rows whose scale was re-derived would need their
 * multipliers changed too: not supported yet, refused by name. */
#include "engine_internal.h"

ep_status epm_session_apply(ep_session *s, const epm_layer *m)
{
    ep_op_rt *rt;
    ep_tensor_rt *tw, *tb;
    if (s == NULL || m == NULL || !s->ready || m->weights == NULL || m->bias == NULL) return EP_ERR_ARG;
    if (m->op_index < 0 || m->op_index >= s->op_count) return EP_ERR_ARG;
    rt = &((ep_op_rt *)s->ops)[m->op_index];
    if ((rt->kind != EP_K_FC && rt->kind != EP_K_FC_PC) || rt->in[1] < 0 || rt->in[2] < 0) return EP_ERR_UNSUPPORTED;
    if (rt->u.fc.filt_dims.c != m->out || rt->u.fc.filt_dims.n != m->in) return EP_ERR_SHAPE;
    if (m->rescaled_rows != 0 || rt->u.fc.p.filter_offset != 0) return EP_ERR_UNSUPPORTED;
    tw = &((ep_tensor_rt *)s->tensors)[rt->in[1]];
    tb = &((ep_tensor_rt *)s->tensors)[rt->in[2]];
    if (tw->bytes != (uint32_t)m->out * (uint32_t)m->in || tb->bytes != (uint32_t)m->out * 4U) return EP_ERR_SIZE;
    tw->data = (uint8_t *)m->weights;
    tb->data = (uint8_t *)m->bias;
    if (rt->u.fc.sums != NULL) {
        return ep_fully_connected_s8_prepare(&rt->u.fc.p, &rt->u.fc.filt_dims, m->weights, m->bias, rt->u.fc.sums);
    }
    return EP_OK;
}
