/* Instruction counts of the demo's engine calls on Cortex-M4 (qemu mps2-an386 with
 * -icount shift=0: every guest instruction advances the virtual clock by exactly 1 ns).
 * Debian's qemu 7.2 ships no TCG plugins (no libinsn.so), so the count is read from the
 * CMSDK APB timer 0 of the board, which runs on the virtual clock; instructions per timer tick
 * are calibrated in the same run on a loop of a known instruction count.
 *
 * Measured: the calls the XS binding (native/xs/engine/engine.c) makes for infer() and for
 * one example of train(), on the demo model, spec and arena of the Cortex-M4 bare image, the
 * same libedgepeft.a it links. The XS call around them is not included. Static memory only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"
#include "demo_model.h"
#include "demo_user_test.h"
#include "demo_replay.h"

#define SPEC "lora:rank=4,alpha=4,layers=0+bias:layers=0..-1+sgd:lr=0.002+ewc:lambda=1+seed:1"
#define ARENA_BYTES 32768 /* build/bare/nrf52840-agent.json arenaBytes, as the image's */
#define REC 65            /* data/demo records: uint8 label + 64 int8 inputs */
#define N_INFER 100
#define N_STEP 200
#define N_FISHER 100

/* CMSDK APB timer 0 (mps2-an386, SYSCLK): a 32-bit down counter */
#define TIMER0 ((volatile uint32_t *)0x40000000u)
enum { T_CTRL = 0, T_VALUE = 1, T_RELOAD = 2 };

static uint8_t arena[ARENA_BYTES + 16] __attribute__((aligned(16)));
static ep_model model;
static ept_session sess;
static int8_t out[16];

static uint32_t ticks(void) { return 0xFFFFFFFFu - TIMER0[T_VALUE]; }

static void timer_start(void)
{
    TIMER0[T_CTRL] = 0;
    TIMER0[T_RELOAD] = 0xFFFFFFFFu;
    TIMER0[T_VALUE] = 0xFFFFFFFFu;
    TIMER0[T_CTRL] = 1;
}

/* 2 instructions per iteration (subs, bne) */
static void spin(uint32_t n)
{
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static const int8_t *input(const uint8_t *set, uint32_t i) { return (const int8_t *)set + (size_t)i * REC + 1; }

static void fail(const char *what, ep_status st, const char *err)
{
    printf("count: %s failed: %s %s\n", what, ep_status_name(st), err);
    exit(1);
}

int main(void)
{
    char err[160] = "";
    ept_config cfg;
    ept_step_info info;
    const int8_t *lat;
    uint32_t lb, t0, t1;
    ep_status st;
    const uint32_t user_n = sizeof demo_user_test / REC, replay_n = sizeof demo_replay / REC;

    timer_start();
    /* calibration: 2,000,000 known instructions (plus the call and the two timer reads) */
    t0 = ticks();
    spin(1000000u);
    t1 = ticks();
    const double per_tick = 2000000.0 / (double)(t1 - t0);
    printf("count: calibration %lu ticks for 2000000 instructions (%.3f instructions per tick)\n",
           (unsigned long)(t1 - t0), per_tick);

    if ((st = ep_model_open(&model, demo_model, sizeof demo_model, err, sizeof err)) != EP_OK) fail("model", st, err);
    ept_config_default(&cfg);
    if ((st = ept_parse_spec(SPEC, &cfg, err, sizeof err)) != EP_OK) fail("spec", st, err);
    t0 = ticks();
    st = ept_session_init(&sess, &model, &cfg, arena, ARENA_BYTES, err, sizeof err);
    t1 = ticks();
    if (st != EP_OK) fail("session", st, err);
    printf("count: session-init %.0f instructions (arena %lu bytes)\n", (t1 - t0) * per_tick,
           (unsigned long)sess.engine_plan.arena_bytes);

    /* The task boundary as the demo does it: Fisher over the population replay, then the anchor. */
    t0 = ticks();
    st = ept_fisher_reset(sess.trainer);
    for (uint32_t i = 0; st == EP_OK && i < N_FISHER && i < replay_n; ++i) {
        st = ept_session_latent(&sess, input(demo_replay, i), 64, &lat, &lb);
        if (st == EP_OK) st = ept_fisher_add(sess.trainer, lat, lb, demo_replay[i * REC]);
    }
    if (st == EP_OK) st = ept_ewc_anchor(sess.trainer);
    t1 = ticks();
    if (st != EP_OK) fail("fisher", st, err);
    printf("count: fisher-example %.0f instructions (mean of %u, anchor included)\n",
           (t1 - t0) * per_tick / N_FISHER, N_FISHER);

    uint32_t correct = 0;
    t0 = ticks();
    for (uint32_t i = 0; i < N_INFER; ++i) {
        st = ept_session_latent(&sess, input(demo_user_test, i % user_n), 64, &lat, &lb);
        if (st == EP_OK) st = ept_forward(sess.trainer, lat, lb, out, (uint32_t)sess.plan.classes, -1, &info);
        if (st != EP_OK) fail("infer", st, err);
        correct += info.predicted == demo_user_test[(i % user_n) * REC];
    }
    t1 = ticks();
    printf("count: inference %.0f instructions (mean of %u; %lu correct)\n", (t1 - t0) * per_tick / N_INFER,
           N_INFER, (unsigned long)correct);

    int64_t loss = 0;
    t0 = ticks();
    for (uint32_t i = 0; i < N_STEP; ++i) {
        const uint32_t k = i % user_n;
        st = ept_session_latent(&sess, input(demo_user_test, k), 64, &lat, &lb);
        if (st == EP_OK) st = ept_step(sess.trainer, lat, lb, demo_user_test[k * REC], &info);
        if (st != EP_OK) fail("step", st, err);
        loss += info.loss_q16;
    }
    t1 = ticks();
    printf("count: train-step %.0f instructions (mean of %u; mean loss_q16 %ld)\n", (t1 - t0) * per_tick / N_STEP,
           N_STEP, (long)(loss / N_STEP));
    printf("count: done\n");
    exit(0);
}
