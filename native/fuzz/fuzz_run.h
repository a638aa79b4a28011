/* One corrupt-model case: open, plan, init and invoke the engine on `size` bytes, the way a
 * device would. Shared by the batch driver (driver.c) and the libFuzzer harness. */
#ifndef EP_FUZZ_RUN_H
#define EP_FUZZ_RUN_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    FUZZ_OPEN_ERR,    /* ep_model_open returned an error */
    FUZZ_PLAN_ERR,    /* ep_plan returned an error */
    FUZZ_TOO_BIG,     /* planned arena above FUZZ_ARENA_CAP: not attempted */
    FUZZ_INIT_ERR,    /* ep_session_init returned an error */
    FUZZ_NOT_INVOKED, /* session ready; invoke skipped (run without invoke) */
    FUZZ_INVOKE_ERR,  /* ep_session_invoke returned an error */
    FUZZ_RAN,         /* a valid run: invoke returned EP_OK */
    FUZZ_OUTCOMES
} fuzz_outcome;

#define FUZZ_ARENA_CAP (64u << 20)

extern const char *const fuzz_outcome_names[FUZZ_OUTCOMES];

/* `data` must be a buffer of exactly `size` bytes (so AddressSanitizer sees overreads).
 * A status outside the ep_status enum or an error without a message aborts. `invoke` = 0
 * stops after a successful session init. */
fuzz_outcome fuzz_run(const uint8_t *data, size_t size, int invoke);

#endif
