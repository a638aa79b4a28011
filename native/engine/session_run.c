/* Running a session that ep_session_init laid out: invoke (whole graph or a range, with
 * the trainer's per-op hook), state reset, and views of tensors and of the arena regions the
 * trainer may use. Split from session.c, which builds the layout. */
#include <string.h>

#include "engine_internal.h"
#include "model_internal.h"

ep_status ep_session_reset_state(ep_session *s)
{
    if (s == NULL || !s->ready) {
        return EP_ERR_STATE;
    }
    ep_tensor_rt *ts = (ep_tensor_rt *)s->tensors;
    for (int32_t i = 0; i < s->model->tensor_count; ++i) {
        if (ts[i].variable && !ts[i].constant && ts[i].data != NULL) {
            ep_tensor_info ti;
            if (ep_model_tensor(s->model, i, &ti) != EP_OK) {
                return EP_ERR_MODEL;
            }
            /* TFLM resets int8 variables to their zero point, others to 0. */
            const int32_t fill = ti.type == EP_TYPE_INT8 ? ep_tensor_zero_point(&ti, 0) : 0;
            memset(ts[i].data, fill, ts[i].bytes);
        }
    }
    ep_signal_reset(s);
    return EP_OK;
}

ep_status ep_session_invoke_range(ep_session *s, int32_t first, int32_t last)
{
    if (s == NULL || !s->ready) {
        return EP_ERR_STATE;
    }
    if (first < 0 || last > s->op_count || first > last) {
        return EP_ERR_ARG;
    }
    ep_op_rt *ops = (ep_op_rt *)s->ops;
    for (int32_t i = first; i < last; ++i) {
        ep_status st = ep_op_eval(s, &ops[i]);
        if (st == EP_OK && s->hook != NULL) {
            st = s->hook(s->hook_user, s, i);
        }
        if (st != EP_OK) {
            return st;
        }
    }
    return EP_OK;
}

ep_status ep_session_invoke(ep_session *s)
{
    return ep_session_invoke_range(s, 0, s != NULL ? s->op_count : 0);
}

ep_status ep_session_tensor(ep_session *s, int32_t index, ep_tensor_view *out)
{
    ep_tensor_info ti;
    if (s == NULL || !s->ready || out == NULL) {
        return EP_ERR_ARG;
    }
    if (ep_model_tensor(s->model, index, &ti) != EP_OK) {
        return EP_ERR_ARG;
    }
    memset(out, 0, sizeof *out);
    out->data = ((ep_tensor_rt *)s->tensors)[index].data;
    out->bytes = ti.bytes;
    out->type = ti.type;
    out->rank = ti.rank;
    memcpy(out->dims, ti.dims, sizeof out->dims);
    out->scale = ep_tensor_scale(&ti, 0);
    out->zero_point = ep_tensor_zero_point(&ti, 0);
    return EP_OK;
}

ep_status ep_session_input(ep_session *s, int32_t i, ep_tensor_view *out)
{
    if (s == NULL || !s->ready) {
        return EP_ERR_STATE;
    }
    const int32_t t = ep_model_input(s->model, i);
    return t < 0 ? EP_ERR_ARG : ep_session_tensor(s, t, out);
}

ep_status ep_session_output(ep_session *s, int32_t i, ep_tensor_view *out)
{
    if (s == NULL || !s->ready) {
        return EP_ERR_STATE;
    }
    const int32_t t = ep_model_output(s->model, i);
    return t < 0 ? EP_ERR_ARG : ep_session_tensor(s, t, out);
}

ep_status ep_session_train_area(ep_session *s, void **buf, uint32_t *size)
{
    if (s == NULL || !s->ready || buf == NULL || size == NULL) {
        return EP_ERR_ARG;
    }
    *buf = s->train_area;
    *size = s->train_bytes;
    return EP_OK;
}

ep_status ep_session_dead_area(ep_session *s, void **buf, uint32_t *size)
{
    if (s == NULL || !s->ready || buf == NULL || size == NULL) {
        return EP_ERR_ARG;
    }
    *buf = s->plan.dead_bytes > 0 ? s->arena + s->plan.dead_offset : NULL;
    *size = s->plan.dead_bytes;
    return EP_OK;
}
