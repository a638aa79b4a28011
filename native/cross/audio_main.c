/* Cross-target image of the audio front end: micro_speech's audio_preprocessor_int8 (TFLite
 * Micro's Signal ops) and micro_speech_quantized, both embedded in flash with yes_1000ms.wav,
 * run on the board's ISA: 49 frames of 30 ms every 20 ms, noise state carried, then the
 * keyword model. Prints the 1960 features in hex, the scores and the label, which a host test
 * compares with TFLite Micro's interpreter. Builds for Cortex-M4 (qemu mps2-an386, soft-float:
 * the FFT twiddles come from picolibc's double cos / sin) and rv32imc (qemu virt). Static
 * memory only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edge_peft.h"
#include "audio_model.h"
#include "speech_model.h"
#include "yes_wav.h"

#define FRAME 480
#define STRIDE 320
#define FRAMES 49
#define FEATURES 40

static uint8_t arena[16 * 1024] __attribute__((aligned(16)));
static int8_t features[FRAMES * FEATURES];
static ep_model model;
static ep_session session;
static char err[160];

static _Noreturn void fail(const char *what, ep_status st)
{
    printf("%s: %s %s\n", what, ep_status_name(st), err);
    exit(1); /* semihosting: exit ends qemu */
}

int main(void)
{
    ep_tensor_view in, out;
    ep_status st;
    const unsigned char *w = ept_yes_wav;
    /* the shared recording: a 44-byte RIFF header, then the data chunk */
    if (memcmp(w, "RIFF", 4) != 0 || memcmp(w + 36, "data", 4) != 0) {
        printf("wav: unexpected header\n");
        exit(1);
    }
    const unsigned char *pcm = w + 44;
    if ((st = ep_model_open(&model, ept_audio_model, sizeof ept_audio_model, err, sizeof err)) != EP_OK ||
        (st = ep_session_init(&session, &model, NULL, arena, sizeof arena, err, sizeof err)) != EP_OK ||
        (st = ep_session_input(&session, 0, &in)) != EP_OK ||
        (st = ep_session_output(&session, 0, &out)) != EP_OK) {
        fail("preprocessor", st);
    }
    for (int f = 0; f < FRAMES; f++) {
        int16_t *x = (int16_t *)in.data;
        for (int i = 0; i < FRAME; i++) {
            const unsigned char *p = pcm + 2 * (f * STRIDE + i);
            x[i] = (int16_t)(uint16_t)(p[0] | (p[1] << 8));
        }
        if ((st = ep_session_invoke(&session)) != EP_OK) {
            fail("preprocessor invoke", st);
        }
        memcpy(features + f * FEATURES, out.data, FEATURES);
    }
    printf("features ");
    for (int i = 0; i < FRAMES * FEATURES; i++) {
        printf("%02x", (unsigned)(uint8_t)features[i]);
    }
    printf("\n");
    if ((st = ep_model_open(&model, ept_speech_model, sizeof ept_speech_model, err, sizeof err)) != EP_OK ||
        (st = ep_session_init(&session, &model, NULL, arena, sizeof arena, err, sizeof err)) != EP_OK ||
        (st = ep_session_input(&session, 0, &in)) != EP_OK ||
        (st = ep_session_output(&session, 0, &out)) != EP_OK) {
        fail("micro_speech", st);
    }
    memcpy(in.data, features, sizeof features);
    if ((st = ep_session_invoke(&session)) != EP_OK) {
        fail("micro_speech invoke", st);
    }
    const int8_t *s = (const int8_t *)out.data;
    int best = 0;
    for (int i = 1; i < 4; i++) {
        best = s[i] > s[best] ? i : best;
    }
    printf("scores %d %d %d %d label %d\n", s[0], s[1], s[2], s[3], best);
    printf("done 0\n");
    exit(0);
}
