/*
 * edge_peft_signal.h - the TFLite Micro Signal library's audio front end as integer kernels
 * (window, FFT auto scale, real FFT, energy, mel filter bank, its square root, spectral
 * subtraction, PCAN gain control, log), plus the int32 / unsigned CAST and int32 elementwise
 * arithmetic the front end's graph (micro_speech's audio_preprocessor_int8) runs between them.
 * Bit-exact with TFLM's signal/src reference code (docs/engine.md). Part of the public API;
 * include "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_SIGNAL_H
#define EDGE_PEFT_SIGNAL_H

#include "edge_peft_types.h"
#include "edge_peft_elementwise.h"

#ifdef __cplusplus
extern "C" {
#endif

/* schema TensorType values the front end uses beyond edge_peft_types.h's */
enum { EP_TYPE_UINT64 = 12, EP_TYPE_UINT32 = 15, EP_TYPE_UINT16 = 16 };
/* schema BuiltinOperator values */
enum { EP_OP_DIV = 42, EP_OP_CAST = 53 };

typedef struct {
    int16_t r, i;
} ep_cplx16;

/* SignalWindow: out = sat16((x * w) >> shift), the window repeated over the input. */
ep_status ep_signal_window_s16(const int16_t *input, int32_t size, const int16_t *window,
                               int32_t window_size, int32_t shift, int16_t *output);

/* SignalFftAutoScale: the input shifted left so its largest magnitude uses 15 bits; returns
 * the shift in *scale_bits (TFLM's GCC build: an all-zero input gives 0). */
ep_status ep_signal_fft_auto_scale_s16(const int16_t *input, int32_t size, int16_t *output,
                                       int32_t *scale_bits);

/* SignalRfft int16 (kissfft v130 fixed point, 16 bits, as TFLM builds it): fft_length even,
 * half of it a product of 4, 2, 3 and 5. Tables (fft_length / 2 twiddles and fft_length / 4
 * super twiddles) are filled once by ep_signal_rfft_init; the scratch holds fft_length int16
 * of zero-padded input and fft_length / 2 complex values. */
#define EP_RFFT_MAX_FACTORS 16
typedef struct {
    int32_t fft_length;           /* real length n */
    int32_t input_length;         /* samples per frame (<= n), zero-padded to n */
    int32_t frames;               /* frames in the input (innermost dimension each) */
    int32_t output_length;        /* complex outputs per frame (n / 2 + 1 as TFLM writes) */
    int32_t factor_count;         /* radix / stride pairs, as kissfft's kf_factor */
    int32_t factors[2 * EP_RFFT_MAX_FACTORS];
} ep_rfft_params;
/* Factors fft_length / 2 as kissfft does; EP_ERR_UNSUPPORTED for odd lengths or a factor
 * other than 2, 3, 4, 5 (kissfft's generic butterfly allocates, which TFLM's patch forbids). */
ep_status ep_signal_rfft_factor(int32_t fft_length, ep_rfft_params *params);
ep_status ep_signal_rfft_init(const ep_rfft_params *params, ep_cplx16 *twiddles,
                              ep_cplx16 *super_twiddles);
int32_t ep_signal_rfft_get_buffer_size(const ep_rfft_params *params);
ep_status ep_signal_rfft_s16(const ep_context *ctx, const ep_rfft_params *params,
                             const ep_cplx16 *twiddles, const ep_cplx16 *super_twiddles,
                             const int16_t *input, ep_cplx16 *output);

/* SignalEnergy: out[i] = re^2 + im^2 for i in [start, end); the rest of the output is
 * written 0 (TFLM leaves it as it was). */
ep_status ep_signal_energy(const ep_cplx16 *input, int32_t count, int32_t start, int32_t end,
                           uint32_t *output);

/* SignalFilterBank: channels + 1 accumulators of weight * x and unweight * x over each
 * channel's bins; output channel c is accumulator c + 1 (TFLM's work area). Offsets and
 * widths were range-checked at prepare. */
typedef struct {
    int32_t channels;
    const int16_t *freq_starts, *weight_starts, *widths;   /* channels + 1 each */
    const int16_t *weights, *unweights;
} ep_filter_bank_params;
ep_status ep_signal_filter_bank(const ep_filter_bank_params *params, const uint32_t *input,
                                uint64_t *output);

/* SignalFilterBankSquareRoot: out = isqrt64(x) >> scale_bits (TFLM's Sqrt64, rounded). */
ep_status ep_signal_filter_bank_sqrt(const uint64_t *input, int32_t count, int32_t scale_bits,
                                     uint32_t *output);

/* SignalFilterBankSpectralSubtraction: noise estimate (state, count values) smoothed per
 * channel, subtracted with a floor; out_noise receives the estimate after the update. */
typedef struct {
    int32_t channels;
    uint32_t smoothing, one_minus_smoothing, alternate_smoothing, alternate_one_minus_smoothing;
    uint32_t min_signal_remaining, smoothing_bits, spectral_subtraction_bits;
    bool clamping;
} ep_spectral_subtraction_params;
ep_status ep_signal_spectral_subtraction(const ep_spectral_subtraction_params *params,
                                         const uint32_t *input, uint32_t *state,
                                         uint32_t *output, uint32_t *out_noise);

/* SignalPCAN: per-channel channel energy normalisation, gain from the wide dynamic function
 * of the noise estimate over gain_lut (lut_size entries, checked against what it reads). */
ep_status ep_signal_pcan(const uint32_t *input, const uint32_t *noise, const int16_t *gain_lut,
                         int32_t lut_size, int32_t snr_shift, int32_t count, uint32_t *output);

/* SignalFilterBankLog: out = min(INT16_MAX, log(x << correction_bits) * output_scale), 0 for
 * values <= 1 (TFLM's Log32 with its 7-bit segment table). */
ep_status ep_signal_filter_bank_log(const uint32_t *input, int32_t count, int32_t output_scale,
                                    int32_t correction_bits, int16_t *output);

/* CAST between int8, int16, int32, uint32 (C conversions as TFLM's copyCast). */
ep_status ep_cast(const void *input, int32_t in_type, void *output, int32_t out_type,
                  int32_t count);

/* int32 ADD, MUL, DIV, MINIMUM, MAXIMUM with broadcasting (TFLM reference kernels):
 * wrap-around arithmetic, DIV truncating toward zero, then clamped to [act_min, act_max].
 * A zero divisor, or INT32_MIN / -1, returns EP_ERR_ARG (TFLM's would trap). */
enum { EP_I32_ADD, EP_I32_MUL, EP_I32_DIV, EP_I32_MIN, EP_I32_MAX };
typedef struct {
    int32_t op;                   /* EP_I32_* */
    int32_t act_min, act_max;
} ep_i32_params;
ep_status ep_elementwise_s32(const ep_i32_params *params, const ep_broadcast_dims *dims,
                             const int32_t *input_1, const int32_t *input_2, int32_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_SIGNAL_H */
