/* Plan and session: one build routine lays out the arena (measure mode for
 * ep_plan, real mode for ep_session_init) so both give the same figure.
 * Arena: [op records][tensor records][persistent op data, variable
 * tensors][planned activations + scratch][trainer bytes]. */
#include <string.h>

#include "engine_internal.h"
#include "model_internal.h"

typedef struct {
    const ep_model *m;
    ep_tensor_rt *tensors;
    ep_op_rt *ops;        /* real mode: op records; measure mode: NULL */
    ep_buf *scratch;      /* measure mode: one ep_buf per op */
    ep_prep prep;
    uint32_t activation_bytes;
    uint32_t dead_start, dead_bytes;   /* within the activation region */
    uint64_t fold[EP_FOLD_POOL_BYTES / 8u]; /* values folded at prepare, until the build ends */
} build_t;

static uint32_t tables_bytes(const ep_model *m)
{
    return ep_align_up((uint32_t)m->operator_count * (uint32_t)sizeof(ep_op_rt)) +
           ep_align_up((uint32_t)m->tensor_count * (uint32_t)sizeof(ep_tensor_rt));
}

/* Is `name` already one of the ", "-separated names after the message prefix? Whole names
 * only: a substring test would drop CAST after BROADCAST_ARGS, SQRT after RSQRT. */
static bool listed(const char *list, const char *name)
{
    const size_t n = strlen(name);
    for (const char *p = list; *p != '\0';) {
        const char *end = strstr(p, ", ");
        const size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0) {
            return true;
        }
        p += len;
        if (*p != '\0') {
            p += 2;
        }
    }
    return false;
}

/* Names every unsupported operator in one message (custom ops by code). */
static ep_status check_supported(const ep_model *m, char *err, size_t err_size)
{
    size_t at = 0;
    int32_t bad = 0;
    for (int32_t i = 0; i < m->operator_count; ++i) {
        ep_op_info op;
        if (ep_model_op(m, i, &op) != EP_OK) {
            return EP_ERR_MODEL;
        }
        if (ep_operator_supported(op.opcode, op.custom_code)) {
            continue;
        }
        const char *name = ep_op_name(&op);
        static const char prefix[] = "unsupported operators: ";
        if (err != NULL && err_size > 0 &&
            (bad == 0 || !listed(err + (at < sizeof prefix - 1 ? at : sizeof prefix - 1), name))) {
            const char *pre = bad == 0 ? prefix : ", ";
            for (const char *q = pre; *q != '\0' && at + 1 < err_size; ++q) {
                err[at++] = *q;
            }
            for (const char *q = name; *q != '\0' && at + 1 < err_size; ++q) {
                err[at++] = *q;
            }
            err[at] = '\0';
        }
        ++bad;
    }
    return bad == 0 ? EP_OK : EP_ERR_UNSUPPORTED;
}

static void use(ep_tensor_rt *t, int32_t op)
{
    if (t->buf.size == 0) {
        return;
    }
    if (t->buf.first < 0 || op < t->buf.first) {
        t->buf.first = (int16_t)op;
    }
    if (op > t->buf.last) {
        t->buf.last = (int16_t)op;
    }
}

/* A folded value read at invoke (or seen by the caller) needs bytes after the build. */
static void read_folded(ep_tensor_rt *t)
{
    if (t->constant == EP_CONST_FOLDED) {
        t->constant = EP_CONST_FOLDED_READ;
    }
}

/* Folded values move out of the build's pool: the read ones into persistent memory (the
 * same bytes counted in measure and real builds), the others nowhere. */
static void keep_folded(build_t *b)
{
    for (int32_t i = 0; i < b->m->tensor_count; ++i) {
        ep_tensor_rt *t = &b->tensors[i];
        if (t->constant == EP_CONST_FOLDED_READ) {
            uint8_t *at = (uint8_t *)ep_prep_alloc(&b->prep, t->bytes);
            if (at != NULL) {
                memcpy(at, t->data, t->bytes);
            }
            t->data = at;
        } else if (t->constant == EP_CONST_FOLDED) {
            t->data = NULL;
        }
    }
}

static int32_t root_of(const ep_tensor_rt *ts, int32_t t)
{
    while (ts[t].alias >= 0) {
        t = ts[t].alias;
    }
    return t;
}

/* The kept tensors (live for all of invoke, so they conflict with every other buffer) span
 * [lo, hi) of the activation region; the larger of the two gaps around that span is dead
 * whenever the engine is not running (ties: the lower one). Offsets are the planner's, so
 * measure and real builds agree. */
static void dead_span(build_t *b, const ep_session_config *cfg)
{
    uint32_t lo = b->activation_bytes, hi = 0;
    for (int32_t i = 0; cfg != NULL && cfg->keep_tensors != NULL && i < cfg->keep_count; ++i) {
        const ep_tensor_rt *r = &b->tensors[root_of(b->tensors, cfg->keep_tensors[i])];
        if (r->buf.size == 0 || r->buf.first < 0) {
            continue; /* constant or variable: not in the activation region */
        }
        lo = r->buf.offset < lo ? r->buf.offset : lo;
        hi = r->buf.offset + ep_align_up(r->buf.size) > hi ? r->buf.offset + ep_align_up(r->buf.size) : hi;
    }
    if (hi == 0) {
        lo = hi = b->activation_bytes; /* nothing kept: the whole region is dead */
    }
    const uint32_t top = b->activation_bytes - hi;
    b->dead_start = lo >= top ? 0u : hi;
    b->dead_bytes = lo >= top ? lo : top;
}

static ep_status build(build_t *b, const ep_session_config *cfg)
{
    const ep_model *m = b->m;
    const int32_t last_op = m->operator_count > 0 ? m->operator_count - 1 : 0;
    ep_status st;
    if ((st = check_supported(m, b->prep.err, b->prep.err_size)) != EP_OK) {
        return st;
    }
    for (int32_t i = 0; i < m->tensor_count; ++i) {
        ep_tensor_info ti;
        ep_tensor_rt *t = &b->tensors[i];
        if ((st = ep_model_tensor(m, i, &ti)) != EP_OK) {
            return st;
        }
        memset(t, 0, sizeof *t);
        t->alias = -1;
        t->bytes = ti.bytes;
        /* A variable gets arena memory even when the file gives it bytes, as TFLM's
         * AllocateVariables does: ops write it, and the model is read-only (flash). */
        t->variable = ti.is_variable;
        t->constant = ti.data != NULL && !t->variable;
        t->data = t->constant ? (uint8_t *)(uintptr_t)ti.data : NULL; /* read-only by contract */
        t->buf.size = (t->constant || t->variable) ? 0u : ti.bytes;
        t->buf.first = -1;
        t->buf.last = -1;
        if (t->variable) {
            t->data = (uint8_t *)ep_prep_alloc(&b->prep, ti.bytes);
        }
    }
    /* The caller writes the inputs: one that is constant would hand out the model's own
     * (read-only) bytes, and the operators validated against them at prepare. */
    for (int32_t i = 0; i < m->input_count; ++i) {
        const int32_t ti = ep_model_input(m, i);
        if (ti >= 0 && ti < m->tensor_count && b->tensors[ti].constant != EP_CONST_NONE) {
            return ep_prep_fail(&b->prep, EP_ERR_MODEL, "model input %d (tensor %d) has constant "
                                "data in the file; an input must be written by the caller", i, ti);
        }
    }
    for (int32_t i = 0; i < m->operator_count; ++i) {
        ep_op_info op;
        ep_op_rt tmp;
        ep_op_rt *rt = b->ops != NULL ? &b->ops[i] : &tmp;
        if ((st = ep_model_op(m, i, &op)) != EP_OK) {
            return st;
        }
        for (int32_t k = 0; k < op.output_count; ++k) {
            if (b->tensors[op.outputs[k]].constant != EP_CONST_NONE) {
                return ep_prep_fail(&b->prep, EP_ERR_MODEL, "operator %d (%s): output tensor %d "
                                    "is constant", i, ep_op_name(&op), op.outputs[k]);
            }
        }
        if ((st = ep_op_prepare(&b->prep, i, &op, rt)) != EP_OK) {
            return st;
        }
        if (b->scratch != NULL) {
            b->scratch[i] = rt->scratch;
        }
        if (rt->kind == EP_K_RESHAPE) {
            ep_tensor_rt *in = &b->tensors[op.inputs[0]];
            ep_tensor_rt *out = &b->tensors[op.outputs[0]];
            if (in->constant != EP_CONST_NONE) {
                /* a reshaped constant shares the bytes; nothing runs at invoke */
                out->data = in->data;
                out->constant = in->constant == EP_CONST_MODEL ? EP_CONST_MODEL : EP_CONST_FOLDED;
                out->buf.size = 0;
                rt->kind = EP_K_NOP;
            } else if (!out->variable && out->alias < 0 && op.outputs[0] != op.inputs[0]) {
                out->alias = (int16_t)root_of(b->tensors, op.inputs[0]);
            }
        }
        if (rt->kind == EP_K_NOP) {
            continue; /* folded: reads nothing at invoke, so it keeps no input alive */
        }
        for (int32_t k = 0; k < op.input_count; ++k) {
            if (op.inputs[k] >= 0) {
                /* RESHAPE-like kinds read only their data input and TRANSPOSE_CONV not its
                 * output_shape (TFLM takes both shapes from the output tensor) */
                if ((k == 0 || rt->kind != EP_K_RESHAPE) &&
                    (k != 0 || (rt->kind != EP_K_TCONV && rt->kind != EP_K_TCONV16))) {
                    read_folded(&b->tensors[op.inputs[k]]);
                }
                use(&b->tensors[op.inputs[k]], i);
            }
        }
        for (int32_t k = 0; k < op.output_count; ++k) {
            use(&b->tensors[op.outputs[k]], i);
        }
    }
    for (int32_t i = 0; i < m->input_count; ++i) {
        use(&b->tensors[ep_model_input(m, i)], 0);
    }
    for (int32_t i = 0; i < m->output_count; ++i) {
        read_folded(&b->tensors[ep_model_output(m, i)]);
        use(&b->tensors[ep_model_output(m, i)], last_op);
    }
    for (int32_t i = 0; cfg != NULL && i < cfg->keep_count; ++i) {
        const int32_t t = cfg->keep_tensors != NULL ? cfg->keep_tensors[i] : -1;
        if (t < 0 || t >= m->tensor_count) {
            return ep_prep_fail(&b->prep, EP_ERR_ARG, "keep tensor %d out of range", t);
        }
        read_folded(&b->tensors[t]);
        use(&b->tensors[t], 0);
        use(&b->tensors[t], last_op);
    }
    keep_folded(b);
    /* Aliases share their root's bytes, so the root lives as long as any. */
    for (int32_t i = 0; i < m->tensor_count; ++i) {
        ep_tensor_rt *t = &b->tensors[i];
        if (t->alias < 0) {
            continue;
        }
        ep_tensor_rt *r = &b->tensors[root_of(b->tensors, i)];
        if (t->buf.first >= 0) {
            use(r, t->buf.first);
            use(r, t->buf.last);
        }
        t->buf.size = 0;
    }
    ep_buf_list lists[2];
    lists[0] = (ep_buf_list){(uint8_t *)b->tensors, m->tensor_count, sizeof(ep_tensor_rt)};
    if (b->ops != NULL) {
        lists[1] = (ep_buf_list){(uint8_t *)b->ops, m->operator_count, sizeof(ep_op_rt)};
    } else {
        lists[1] = (ep_buf_list){(uint8_t *)b->scratch, m->operator_count, sizeof(ep_buf)};
    }
    b->activation_bytes = ep_plan_greedy(lists, 2);
    dead_span(b, cfg);
    return EP_OK;
}

static void fill_plan(ep_plan_info *out, uint32_t persistent, const build_t *b,
                      const ep_session_config *cfg)
{
    const uint32_t activation = b->activation_bytes;
    /* the dead span, 16-byte aligned from the arena start (the arena base is 16-aligned) */
    const uint32_t start = ep_align_up(persistent) + b->dead_start;
    const uint32_t at = (start + 15u) & ~15u;
    out->dead_offset = b->dead_bytes > at - start ? at : 0u;
    out->dead_bytes = b->dead_bytes > at - start ? b->dead_bytes - (at - start) : 0u;
    out->persistent_bytes = persistent;
    out->activation_bytes = activation;
    out->inference_bytes = ep_align_up(persistent) + ep_align_up(activation);
    out->train_bytes = cfg != NULL ? cfg->train_bytes : 0u;
    /* the trainer's region starts 16-byte aligned */
    out->arena_bytes = out->train_bytes > 0
                           ? ((out->inference_bytes + 15u) & ~15u) + out->train_bytes
                           : out->inference_bytes;
}

ep_status ep_plan(const ep_model *model, const ep_session_config *cfg, ep_plan_info *out,
                  char *err, size_t err_size)
{
    /* Host-oriented: the tables live on the stack here (boards normally use
     * the figure computed on the host). */
    ep_tensor_rt tensors[EP_MAX_TENSORS];
    ep_buf scratch[EP_MAX_OPS];
    build_t b;
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (model == NULL || out == NULL || model->data == NULL) {
        return EP_ERR_ARG;
    }
    if (model->tensor_count > EP_MAX_TENSORS || model->operator_count > EP_MAX_OPS) {
        return EP_ERR_LIMIT;
    }
    memset(&b, 0, sizeof b);
    b.m = model;
    b.tensors = tensors;
    b.scratch = scratch;
    b.prep.model = model;
    b.prep.tensors = tensors;
    b.prep.fold = (uint8_t *)b.fold;
    b.prep.used = tables_bytes(model);
    b.prep.err = err;
    b.prep.err_size = err_size;
    const ep_status st = build(&b, cfg);
    if (st != EP_OK) {
        return st;
    }
    fill_plan(out, b.prep.used, &b, cfg);
    return EP_OK;
}

ep_status ep_session_init(ep_session *s, const ep_model *model, const ep_session_config *cfg,
                          void *arena, size_t arena_size, char *err, size_t err_size)
{
    ep_plan_info plan;
    build_t b;
    ep_status st;
    if (s == NULL || model == NULL || arena == NULL) {
        return EP_ERR_ARG;
    }
    memset(s, 0, sizeof *s);
    if ((st = ep_plan(model, cfg, &plan, err, err_size)) != EP_OK) {
        return st;
    }
    const uintptr_t base_addr = ((uintptr_t)arena + 15u) & ~(uintptr_t)15u;
    const size_t skew = (size_t)(base_addr - (uintptr_t)arena);
    if (arena_size < skew || arena_size - skew < plan.arena_bytes) {
        if (err != NULL && err_size > 0) {
            ep_fb fb = {NULL, 0, err, err_size};
            ep_fb_fail(&fb, EP_ERR_ARENA, "arena too small: %u < %u", (uint32_t)arena_size,
                       plan.arena_bytes + (uint32_t)skew);
        }
        return EP_ERR_ARENA;
    }
    uint8_t *base = (uint8_t *)base_addr;
    memset(&b, 0, sizeof b);
    b.m = model;
    b.ops = (ep_op_rt *)(void *)base;
    b.tensors = (ep_tensor_rt *)(void *)(base + ep_align_up((uint32_t)model->operator_count *
                                                           (uint32_t)sizeof(ep_op_rt)));
    b.prep.model = model;
    b.prep.tensors = b.tensors;
    b.prep.fold = (uint8_t *)b.fold;
    b.prep.base = base;
    b.prep.used = tables_bytes(model);
    b.prep.cap = plan.persistent_bytes;
    b.prep.err = err;
    b.prep.err_size = err_size;
    if ((st = build(&b, cfg)) != EP_OK) {
        return st;
    }
    if (b.prep.used != plan.persistent_bytes || b.activation_bytes != plan.activation_bytes) {
        return EP_ERR_STATE; /* measure and real builds must agree */
    }
    uint8_t *act = base + ep_align_up(plan.persistent_bytes);
    for (int32_t i = 0; i < model->tensor_count; ++i) {
        ep_tensor_rt *t = &b.tensors[i];
        if (t->buf.size > 0 && t->buf.first >= 0) {
            t->data = act + t->buf.offset;
        }
    }
    for (int32_t i = 0; i < model->tensor_count; ++i) {
        if (b.tensors[i].alias >= 0) {
            b.tensors[i].data = b.tensors[root_of(b.tensors, i)].data;
        }
    }
    s->model = model;
    s->arena = base;
    s->activations = act;
    s->arena_size = (uint32_t)(arena_size - skew);
    s->ops = b.ops;
    s->tensors = b.tensors;
    s->op_count = model->operator_count;
    s->plan = plan;
    if (plan.train_bytes > 0) {
        s->train_area = base + ((plan.inference_bytes + 15u) & ~15u);
        s->train_bytes = plan.train_bytes;
    }
    if (cfg != NULL) {
        s->hook = cfg->hook;
        s->hook_user = cfg->hook_user;
    }
    s->ready = true;
    return ep_session_reset_state(s);
}
