#include "fuzz_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"

const char *const fuzz_outcome_names[FUZZ_OUTCOMES] = {
    "open_error", "plan_error", "arena_over_cap", "init_error", "not_invoked", "invoke_error", "ran",
};

static void check_status(ep_status st, const char *call)
{
    if (st > EP_OK || st < EP_ERR_SIZE) {
        fprintf(stderr, "fuzz: %s returned %d, not an ep_status\n", call, (int)st);
        abort();
    }
}

/* An error must come with a NUL-terminated, non-empty message inside the buffer. */
static void check_message(ep_status st, const char *err, size_t err_size, const char *call)
{
    check_status(st, call);
    if (st == EP_OK) return;
    if (memchr(err, '\0', err_size) == NULL || err[0] == '\0') {
        fprintf(stderr, "fuzz: %s failed (%s) without a message\n", call, ep_status_name(st));
        abort();
    }
}

fuzz_outcome fuzz_run(const uint8_t *data, size_t size, int invoke)
{
    char err[256];
    ep_model model;
    memset(err, 0x55, sizeof err);
    ep_status st = ep_model_open(&model, data, size, err, sizeof err);
    check_message(st, err, sizeof err, "ep_model_open");
    if (st != EP_OK) return FUZZ_OPEN_ERR;

    /* Everything the reader hands out must be readable. */
    for (int32_t i = 0; i < model.tensor_count; i++) {
        ep_tensor_info t;
        if (ep_model_tensor(&model, i, &t) != EP_OK) continue;
        volatile uint8_t sink = 0;
        if (t.data != NULL && t.bytes > 0) {
            sink ^= ((const uint8_t *)t.data)[0];
            sink ^= ((const uint8_t *)t.data)[t.bytes - 1];
        }
        sink ^= (uint8_t)strlen(t.name);
        (void)sink;
    }
    for (int32_t i = 0; i < model.operator_count; i++) {
        ep_op_info op;
        if (ep_model_op(&model, i, &op) == EP_OK) (void)strlen(ep_op_name(&op));
    }

    ep_plan_info plan;
    memset(err, 0x55, sizeof err);
    st = ep_plan(&model, NULL, &plan, err, sizeof err);
    check_message(st, err, sizeof err, "ep_plan");
    if (st != EP_OK) return FUZZ_PLAN_ERR;
    if (plan.arena_bytes > FUZZ_ARENA_CAP) return FUZZ_TOO_BIG;

    size_t arena_size = plan.arena_bytes;
    uint8_t *arena = aligned_alloc(16, (arena_size + 15) & ~(size_t)15);
    if (arena == NULL) abort();
    ep_session s;
    memset(err, 0x55, sizeof err);
    st = ep_session_init(&s, &model, NULL, arena, arena_size, err, sizeof err);
    check_message(st, err, sizeof err, "ep_session_init");
    fuzz_outcome outcome = st == EP_OK ? FUZZ_NOT_INVOKED : FUZZ_INIT_ERR;
    if (st == EP_OK && invoke) {
        for (int32_t i = 0; i < model.input_count; i++) {
            ep_tensor_view in;
            if (ep_session_input(&s, i, &in) == EP_OK && in.data != NULL) {
                for (uint32_t k = 0; k < in.bytes; k++) ((uint8_t *)in.data)[k] = (uint8_t)(k * 37u + 11u);
            }
        }
        st = ep_session_invoke(&s);
        check_status(st, "ep_session_invoke");
        outcome = st == EP_OK ? FUZZ_RAN : FUZZ_INVOKE_ERR;
        if (st == EP_OK) {
            for (int32_t i = 0; i < model.output_count; i++) {
                ep_tensor_view out;
                if (ep_session_output(&s, i, &out) == EP_OK && out.data != NULL && out.bytes > 0) {
                    volatile uint8_t sink = ((uint8_t *)out.data)[out.bytes - 1];
                    (void)sink;
                }
            }
            check_status(ep_session_reset_state(&s), "ep_session_reset_state");
        }
    }
    free(arena);
    return outcome;
}
