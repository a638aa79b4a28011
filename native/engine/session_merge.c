/* Merged LoRA in the engine (edge_peft_merge.h): an FC or 1x1 CONV_2D operator's weights and
 * bias are redirected to a merged RAM copy (an FC's kernel sums recomputed), so inference runs
 * the same kernel at the same cost as the base. Rows whose scale was re-derived need their own
 * requantisation multipliers: epm_session_apply_rows takes caller arrays for them and runs an
 * FC on the per-channel FC kernel (same MACs, one multiplier per row); a conv is per-channel
 * already and only takes the new multipliers. A 1x1 conv is an FC per output pixel: its
 * filter [out, 1, 1, in] is the FC's out x in row-major matrix, whatever the stride. */
#include "engine_internal.h"

static bool is_conv1x1(const ep_op_rt *rt)
{
    const ep_dims *f = &rt->u.conv.filt_dims;
    /* ungrouped: the filter's depth is the input's */
    return rt->kind == EP_K_CONV && f->h == 1 && f->w == 1 && f->c == rt->u.conv.in_dims.c;
}

/* The checks both entries share; returns the op record or NULL (status in *st). */
static ep_op_rt *merged_op(ep_session *s, const epm_layer *m, ep_status *st)
{
    ep_op_rt *rt;
    *st = EP_ERR_ARG;
    if (s == NULL || m == NULL || !s->ready || m->weights == NULL || m->bias == NULL) return NULL;
    if (m->op_index < 0 || m->op_index >= s->op_count) return NULL;
    rt = &((ep_op_rt *)s->ops)[m->op_index];
    *st = EP_ERR_UNSUPPORTED;
    if (rt->in[1] < 0 || rt->in[2] < 0) return NULL;
    if (rt->kind == EP_K_FC || rt->kind == EP_K_FC_PC) {
        *st = EP_ERR_SHAPE;
        if (rt->u.fc.filt_dims.c != m->out || rt->u.fc.filt_dims.n != m->in) return NULL;
        *st = EP_ERR_UNSUPPORTED;
        if (rt->u.fc.p.filter_offset != 0) return NULL;
    } else if (rt->kind == EP_K_CONV) {
        if (!is_conv1x1(rt)) return NULL;
        *st = EP_ERR_SHAPE;
        if (rt->u.conv.filt_dims.n != m->out || rt->u.conv.filt_dims.c != m->in) return NULL;
    } else {
        return NULL;
    }
    *st = EP_OK;
    return rt;
}

static ep_status redirect(ep_session *s, ep_op_rt *rt, const epm_layer *m)
{
    ep_tensor_rt *tw = &((ep_tensor_rt *)s->tensors)[rt->in[1]];
    ep_tensor_rt *tb = &((ep_tensor_rt *)s->tensors)[rt->in[2]];
    if (tw->bytes != (uint32_t)m->out * (uint32_t)m->in || tb->bytes != (uint32_t)m->out * 4U) return EP_ERR_SIZE;
    tw->data = (uint8_t *)m->weights;
    tb->data = (uint8_t *)m->bias;
    if (rt->kind != EP_K_CONV && rt->u.fc.sums != NULL) {
        return ep_fully_connected_s8_prepare(&rt->u.fc.p, &rt->u.fc.filt_dims, m->weights, m->bias, rt->u.fc.sums);
    }
    return EP_OK;
}

ep_status epm_session_apply(ep_session *s, const epm_layer *m)
{
    ep_status st;
    ep_op_rt *rt = merged_op(s, m, &st);
    if (rt == NULL) return st;
    if (m->rescaled_rows != 0) return EP_ERR_UNSUPPORTED;
    return redirect(s, rt, m);
}

ep_status epm_session_apply_rows(ep_session *s, const epm_layer *m, int32_t *multiplier, int32_t *shift, int32_t rows)
{
    ep_status st;
    ep_op_rt *rt = merged_op(s, m, &st);
    ep_tensor_info tin, tout;
    if (rt == NULL) return st;
    if (multiplier == NULL || shift == NULL || m->scale == NULL || rows != m->out) return EP_ERR_ARG;
    if (ep_model_tensor(s->model, rt->in[0], &tin) != EP_OK || ep_model_tensor(s->model, rt->out, &tout) != EP_OK) {
        return EP_ERR_MODEL;
    }
    for (int32_t i = 0; i < rows; ++i) {
        /* TFLM's per-channel FC formula (doubles), so the merged layer computes what TFLite
         * Micro computes for a per-channel model with these row scales; a kept row of a
         * per-tensor layer may get a multiplier one unit off the base's float32 product */
        const double real = (double)ep_tensor_scale(&tin, 0) * (double)m->scale[i] / (double)ep_tensor_scale(&tout, 0);
        if (!(m->scale[i] > 0.0f) || ep_quantize_multiplier(real, &multiplier[i], &shift[i]) != EP_OK) return EP_ERR_QUANT;
    }
    st = redirect(s, rt, m);
    if (st != EP_OK) return st;
    if (rt->kind == EP_K_CONV) {
        /* per-channel already: only the multipliers change (a kept row's equals the base's,
         * the same formula on the same float32 scale as prepare's) */
        rt->u.conv.pc.multiplier = multiplier;
        rt->u.conv.pc.shift = shift;
        return EP_OK;
    }
    rt->u.fc.pc.multiplier = multiplier;
    rt->u.fc.pc.shift = shift;
    rt->kind = EP_K_FC_PC;
    return EP_OK;
}
