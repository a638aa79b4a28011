/* Cross-target determinism image: the micro_speech fixture model (embedded), fixed
 * synthetic data, N training steps for three adapter configurations (LoRA + bias with
 * momentum, DP-SGD, prompt), plus LoRA + bias on person_detect's last two 1x1 convs (through
 * its global average pool, trained on fixed latents), each printing the SHA-256 of the exported adapter. The same
 * file builds for x86-64 (build/bin/ept-cross-host), Cortex-M4 (qemu mps2-an386) and
 * rv32imc (qemu virt); a host test compares the digests. On targets it also paints the
 * stack and prints its high-water mark. Static memory only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"
#include "fixture_model.h"
#include "conv_model.h"

#define STEPS 24
#define ARENA_BYTES (96 * 1024)
#define INPUT_BYTES 1960

static uint8_t arena[ARENA_BYTES] __attribute__((aligned(16)));
static uint8_t adapter[16 * 1024];
static int8_t input[2304]; /* micro_speech input (1960) or a person_detect latent */
static ep_model model;
static ept_session sess;

#ifdef EPT_CROSS_TARGET
/* picolibc: end of .bss. Nothing allocates, so all RAM from here to the stack top is the
 * stack's to use; paint it all (a linker-script stack size would only hide overflows). */
extern char __bss_end[];
#define PAINT 0xC5C5C5C5U
static uint32_t peak_init, peak_train;
static void paint_stack(void)
{
    volatile uint32_t *p = (volatile uint32_t *)(((uintptr_t)__bss_end + 3U) & ~(uintptr_t)3U);
    volatile uint32_t here = 0;
    /* leave 256 bytes below the current frame untouched by the paint */
    while ((uintptr_t)(p + 1) < (uintptr_t)&here - 256U) *p++ = PAINT;
}
static uint32_t stack_peak(void);
static uint32_t stack_peak(void)
{
    extern char __stack[];
    const uint32_t *p = (const uint32_t *)(((uintptr_t)__bss_end + 3U) & ~(uintptr_t)3U);
    while ((uintptr_t)p < (uintptr_t)__stack && *p == PAINT) ++p;
    return (uint32_t)((uintptr_t)__stack - (uintptr_t)p);
}
#endif

/* Fixed data without the trainer's PRNG: class prototypes plus noise from an LCG. */
static void make_input(uint32_t sample, uint32_t label, uint32_t bytes)
{
    uint32_t s = 12345U + sample * 7919U;
    for (uint32_t k = 0; k < bytes; ++k) {
        const uint32_t proto = (k * 2654435761U + label * 40503U) >> 25; /* 0..127 */
        s = s * 1664525U + 1013904223U;
        const int32_t v = (int32_t)proto - 128 + (int32_t)((s >> 27) & 31U) - 16;
        input[k] = (int8_t)(v < -128 ? -128 : (v > 127 ? 127 : v));
    }
}

/* The exported adapter in hex, for the host to hash (Node's crypto): no SHA-256 is written
 * here, and the bytes themselves are what must be identical across targets. */
static void print_hex(const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    char line[129];
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
        line[k++] = hx[p[i] >> 4];
        line[k++] = hx[p[i] & 15U];
        if (k == 128 || i + 1 == n) {
            line[k] = '\0';
            fputs(line, stdout);
            k = 0;
        }
    }
    fputs("\n", stdout);
}

static int run(const char *name, const char *spec, uint32_t momentum_u, uint32_t clip_u, uint32_t sigma_u)
{
    ept_config cfg;
    char err[128] = "";
    size_t n = 0;
    int32_t correct = 0;
    int64_t loss = 0;
    ep_status st;
    ept_config_default(&cfg);
    st = ept_parse_spec(spec, &cfg, err, sizeof err);
    cfg.seed = 7;
    cfg.lr_u = 500;
    cfg.momentum_u = momentum_u;
    cfg.dp_clip_u = clip_u;
    cfg.dp_sigma_u = sigma_u;
    if (st == EP_OK) st = ept_session_init(&sess, &model, &cfg, arena, sizeof arena, err, sizeof err);
#ifdef EPT_CROSS_TARGET
    /* init (planner) and training steps measured apart: the step is the hot path */
    {
        const uint32_t pk = stack_peak();
        peak_init = pk > peak_init ? pk : peak_init;
        paint_stack();
    }
#endif
    for (uint32_t step = 0; st == EP_OK && step < STEPS; ++step) {
        ept_step_info info;
        const uint32_t sample = step % 8U;
        make_input(sample, sample % 4U, INPUT_BYTES);
        st = ept_session_step(&sess, input, INPUT_BYTES, (int32_t)(sample % 4U), &info);
        correct += info.correct;
        loss += info.loss_q16;
    }
#ifdef EPT_CROSS_TARGET
    {
        const uint32_t pk = stack_peak();
        peak_train = pk > peak_train ? pk : peak_train;
        paint_stack();
    }
#endif
    if (st == EP_OK) st = ept_export(sess.trainer, adapter, sizeof adapter, &n);
    if (st != EP_OK) {
        printf("%s: error %s %s\n", name, ep_status_name(st), err);
        return 1;
    }
    printf("%s: steps %d correct %ld loss_q16 %ld bytes %lu arena %lu adapter ", name, STEPS,
           (long)correct, (long)loss, (unsigned long)n, (unsigned long)sess.engine_plan.arena_bytes);
    print_hex(adapter, n);
    return 0;
}

/* person_detect: the trainer alone (ept_init / ept_step) on fixed latents at the input of
 * the second-last pointwise conv (3x3x256), so the image does not run the 7M-MAC prefix. */
#define CONV_LATENT 2304
static int run_conv(const char *name, const char *extra)
{
    static ep_model cm;
    ept_config cfg;
    ept_trainer *t = NULL;
    char err[128] = "";
    size_t n = 0;
    int32_t correct = 0;
    int64_t loss = 0;
    ep_status st = ep_model_open(&cm, ept_conv_model, sizeof ept_conv_model, err, sizeof err);
    ept_config_default(&cfg);
    if (st == EP_OK) st = ept_parse_spec("lora:rank=4,alpha=8,layers=-2..-1+bias:layers=-2+sgd:lr=0.01,momentum=0.5",
                                         &cfg, err, sizeof err);
    /* extra terms (recompute:on) must leave the digest unchanged */
    if (st == EP_OK && extra != NULL) st = ept_parse_spec(extra, &cfg, err, sizeof err);
    cfg.seed = 11;
    if (st == EP_OK) st = ept_init(&t, &cm, &cfg, arena, sizeof arena, err, sizeof err);
    for (uint32_t step = 0; st == EP_OK && step < STEPS; ++step) {
        ept_step_info info;
        const uint32_t sample = step % 6U;
        make_input(sample, sample % 2U, CONV_LATENT);
        st = ept_step(t, input, CONV_LATENT, (int32_t)(sample % 2U), &info);
        correct += info.correct;
        loss += info.loss_q16;
    }
    if (st == EP_OK) st = ept_export(t, adapter, sizeof adapter, &n);
    if (st != EP_OK) {
        printf("%s: error %s %s\n", name, ep_status_name(st), err);
        return 1;
    }
    printf("%s: steps %d correct %ld loss_q16 %ld bytes %lu arena 0 adapter ", name, STEPS,
           (long)correct, (long)loss, (unsigned long)n);
    print_hex(adapter, n);
    return 0;
}

int main(void)
{
    char err[128] = "";
    int rc = 0;
#ifdef EPT_CROSS_TARGET
    paint_stack();
#endif
    if (ep_model_open(&model, ept_fixture_model, sizeof ept_fixture_model, err, sizeof err) != EP_OK) {
        printf("model: %s\n", err);
        exit(1);
    }
    rc |= run("lora+bias+momentum", "lora:rank=2,alpha=8,layers=-1+bias:layers=-1", 900000U, 0U, 0U);
    rc |= run("lora+dp", "lora:rank=2,alpha=8,layers=-1", 0U, 1000000U, 500000U);
    rc |= run("prompt+bias", "prompt:layers=-1,len=256+bias:layers=-1", 0U, 0U, 0U);
    rc |= run_conv("conv1x1", NULL);
    rc |= run_conv("conv1x1+recompute", "recompute:on");
    /* the newer kinds: full fine-tune (per-row rates, momentum) and a bottleneck adapter (DP) */
    rc |= run("full+momentum", "full:layers=-1", 900000U, 0U, 0U);
    rc |= run("adapter+dp", "adapter:layers=-1,width=8", 0U, 1000000U, 500000U);
#ifdef EPT_CROSS_TARGET
    printf("stack peak %lu bytes (training steps), %lu bytes (plan + session init)\n",
           (unsigned long)peak_train, (unsigned long)peak_init);
#endif
    printf("done %d\n", rc);
    exit(rc);
}
