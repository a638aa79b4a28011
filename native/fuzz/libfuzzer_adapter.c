/* libFuzzer entry for adapter, EWC-state and checkpoint import (adapter_run.c): the first byte picks the
 * format and whether the CRC-32 is fixed up (so mutations reach the field checks). The model
 * and spec come from EP_FUZZ_MODEL / EP_FUZZ_SPEC (defaults: the demo model, LoRA + bias +
 * EWC). Built by `make fuzz-libfuzzer`; seeds: fuzz-adapter --write-seed DIR. */
#include <stdlib.h>
#include <string.h>

#include "adapter_run.h"

static fuzz_adapter_ctx ctx;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *b;
    if (!ready) {
        const char *m = getenv("EP_FUZZ_MODEL"), *s = getenv("EP_FUZZ_SPEC");
        fuzz_adapter_setup(&ctx, m != NULL ? m : "data/demo/digits_mlp_int8.tflite",
                           s != NULL ? s : "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+ewc:lambda=100");
        ready = 1;
    }
    if (size == 0) return 0;
    /* the seeds are raw files: their magic selects the format, a leading mode byte is optional */
    b = malloc(size);
    memcpy(b, data, size);
    if (size >= 4 && memcmp(b, "EPEW", 4) == 0) {
        fuzz_fix_crc(b, size);
        (void)fuzz_ewc_import(&ctx, b, size);
    } else if (size >= 4 && memcmp(b, "EPCK", 4) == 0) {
        if ((size & 1U) == 0U) fuzz_fix_crc(b, size);
        (void)fuzz_ckpt_import(&ctx, b, size);
    } else {
        if ((size & 1U) == 0U) fuzz_fix_crc(b, size); /* half the inputs keep their CRC as mutated */
        (void)fuzz_adapter_import(&ctx, b, size);
    }
    free(b);
    return 0;
}
