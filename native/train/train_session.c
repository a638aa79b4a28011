/* Model-level glue: one engine session whose arena also holds the trainer. The engine runs
 * the frozen prefix (operators below the lowest adapter) and keeps its output tensor (the
 * latent) live; the trainer runs the adapted suffix itself. */
#include <string.h>

#include "train_internal.h"

uint32_t ept_steps(const ept_trainer *t)
{
    return t != NULL ? t->step : 0U;
}

static void engine_cfg(const ept_plan_info *tp, int32_t *keep, ep_session_config *sc)
{
    memset(sc, 0, sizeof *sc);
    *keep = tp->latent_tensor;
    sc->train_bytes = tp->train_bytes;
    sc->keep_tensors = keep;
    sc->keep_count = 1;
}

/* Plans the engine with the latent kept, then moves the trainer's per-step scratch into the
 * engine's dead activation span when it fits there. Safe because nothing in that scratch
 * survives a trainer call, the trainer never runs the engine, ept_session_latent runs the
 * frozen prefix only between trainer calls (it overwrites the span, never the kept latent),
 * and the latent the trainer reads is outside the span. The span does not depend on
 * train_bytes (the trainer region follows the inference arena), so one re-plan suffices. */
ep_status ept_session_plan(const ep_model *model, const ept_config *cfg, ept_plan_info *tp,
                           ep_plan_info *ep, char *err, size_t err_size)
{
    ep_session_config sc;
    int32_t keep;
    ep_status st;
    if (model == NULL || cfg == NULL || tp == NULL || ep == NULL) return EP_ERR_ARG;
    st = ept_plan(model, cfg, tp, err, err_size);
    if (st != EP_OK) return st;
    engine_cfg(tp, &keep, &sc);
    st = ep_plan(model, &sc, ep, err, err_size);
    if (st != EP_OK || cfg->scratch == EPT_SCRATCH_SEPARATE || tp->step_bytes == 0 ||
        ep->dead_bytes < tp->step_bytes) {
        return st;
    }
    tp->overlap_bytes = tp->step_bytes;
    tp->train_bytes -= tp->step_bytes;
    /* the alternative (keep / recompute) figures as this placement would give them */
    if (ep->dead_bytes >= tp->step_bytes_keep) tp->train_bytes_keep -= tp->step_bytes_keep;
    if (ep->dead_bytes >= tp->step_bytes_recompute) tp->train_bytes_recompute -= tp->step_bytes_recompute;
    sc.train_bytes = tp->train_bytes;
    st = ep_plan(model, &sc, ep, err, err_size);
    if (st == EP_OK && ep->dead_bytes < tp->overlap_bytes) return EP_ERR_STATE; /* span moved */
    return st;
}

ep_status ept_session_init(ept_session *s, const ep_model *model, const ept_config *cfg,
                           void *arena, size_t arena_size, char *err, size_t err_size)
{
    ep_session_config sc;
    void *buf = NULL, *dead = NULL;
    uint32_t sz = 0, dz = 0;
    ep_status st;
    if (s == NULL || model == NULL || cfg == NULL || arena == NULL) return EP_ERR_ARG;
    memset(s, 0, sizeof *s);
    st = ept_session_plan(model, cfg, &s->plan, &s->engine_plan, err, err_size);
    if (st != EP_OK) return st;
    if (arena_size < s->engine_plan.arena_bytes) {
        ept_err(err, err_size, "arena too small for inference + training", NULL);
        return EP_ERR_ARENA;
    }
    engine_cfg(&s->plan, &s->keep, &sc);
    st = ep_session_init(&s->session, model, &sc, arena, arena_size, err, err_size);
    if (st != EP_OK) return st;
    st = ep_session_train_area(&s->session, &buf, &sz);
    if (st != EP_OK) return st;
    if (s->plan.overlap_bytes == 0) return ept_init(&s->trainer, model, cfg, buf, sz, err, err_size);
    st = ep_session_dead_area(&s->session, &dead, &dz);
    if (st != EP_OK) return st;
    if (dead == NULL || dz < s->plan.overlap_bytes) return EP_ERR_STATE; /* plan and layout disagree */
    return ept_init_scratch(&s->trainer, model, cfg, buf, sz, dead, dz, err, err_size);
}

ep_status ept_session_latent(ept_session *s, const int8_t *input, uint32_t input_bytes,
                             const int8_t **latent, uint32_t *latent_bytes)
{
    ep_tensor_view in, lt;
    ep_status st;
    if (s == NULL || s->trainer == NULL || input == NULL || latent == NULL ||
        latent_bytes == NULL) {
        return EP_ERR_ARG;
    }
    st = ep_session_input(&s->session, 0, &in);
    if (st != EP_OK) return st;
    if (in.bytes != input_bytes || in.type != EP_TYPE_INT8) return EP_ERR_SIZE;
    memcpy(in.data, input, input_bytes);
    if (s->plan.first_op > 0) {
        st = ep_session_invoke_range(&s->session, 0, s->plan.first_op);
        if (st != EP_OK) return st;
    }
    st = ep_session_tensor(&s->session, s->plan.latent_tensor, &lt);
    if (st != EP_OK) return st;
    if (lt.data == NULL || lt.bytes != (uint32_t)s->plan.latent_bytes) return EP_ERR_STATE;
    *latent = (const int8_t *)lt.data;
    *latent_bytes = lt.bytes;
    return EP_OK;
}

ep_status ept_session_step(ept_session *s, const int8_t *input, uint32_t input_bytes,
                           int32_t label, ept_step_info *info)
{
    const int8_t *lat;
    uint32_t n;
    ep_status st = ept_session_latent(s, input, input_bytes, &lat, &n);
    if (st != EP_OK) return st;
    return ept_step(s->trainer, lat, n, label, info);
}

ep_status ept_session_infer(ept_session *s, const int8_t *input, uint32_t input_bytes,
                            int8_t *output, uint32_t output_bytes, ept_step_info *info)
{
    const int8_t *lat;
    uint32_t n;
    ep_status st = ept_session_latent(s, input, input_bytes, &lat, &n);
    if (st != EP_OK) return st;
    return ept_forward(s->trainer, lat, n, output, output_bytes, -1, info);
}
