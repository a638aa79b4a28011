/* Adapter and EWC-state import under the sanitizers: one trainer session on a real model, fed
 * untrusted adapter (EPAD) or EWC-state (EPEW) bytes the way a device gets them from flash or
 * an OTA delta. Shared by the batch driver (adapter_driver.c) and the libFuzzer harness. */
#ifndef EP_FUZZ_ADAPTER_RUN_H
#define EP_FUZZ_ADAPTER_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "edge_peft.h"

typedef struct {
    ep_model model;
    ept_session s;
    uint8_t *model_bytes;
    uint8_t *arena;
    int8_t *latent;             /* one latent (copied out of the arena) for steps after import */
    uint32_t latent_bytes;
    uint8_t *adapter, *ewc, *ckpt; /* the session's own exports: the pristine inputs */
    size_t adapter_size, ewc_size, ckpt_size;
    uint8_t *before, *after;    /* checkpoint scratch: a refused import must change nothing */
} fuzz_adapter_ctx;

/* Opens model_path with spec (which should name ewc:lambda), trains a few steps, estimates a
 * Fisher and anchors, and exports both. Exits the process on failure (a broken harness). */
void fuzz_adapter_setup(fuzz_adapter_ctx *c, const char *model_path, const char *spec);

/* Recomputes the trailing CRC-32, so a mutation gets past it to the field checks. */
void fuzz_fix_crc(uint8_t *buf, size_t size);

/* Import `size` bytes at `data` (a buffer of exactly that size, so ASan sees overreads). A
 * refusal must carry a message; an accepted adapter must then run a forward and a step and
 * export bytes that import again. Returns 1 when accepted, 0 when refused; aborts otherwise. */
int fuzz_adapter_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size);
int fuzz_ewc_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size);
/* Checkpoint (EPCK) import: as above, and a refused checkpoint must leave the trainer's state
 * byte-identical (its checkpoint export before == after); aborts otherwise. */
int fuzz_ckpt_import(fuzz_adapter_ctx *c, const uint8_t *data, size_t size);

#endif
