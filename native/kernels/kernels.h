/* Internal helpers shared by the kernels (not part of the public API). */
#ifndef EP_KERNELS_H
#define EP_KERNELS_H

#include "edge_peft.h"

static inline int32_t ep_clamp(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* Plain int8 dot product; written so compilers vectorise it (no branches,
 * unit stride, int32 accumulation). */
static inline int32_t ep_dot_s8(const int8_t *a, const int8_t *b, int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)a[i] * (int32_t)b[i];
    }
    return acc;
}

static inline int32_t ep_sum_s8(const int8_t *a, int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += a[i];
    }
    return acc;
}

/* gemmlowp fixed point on int32 raws (fixedpoint.c). Qm.n: m integer bits, n = 31 - m. */
/* SaturatingRoundingMultiplyByPOT for e >= 0: x * 2^e saturated to int32. */
int32_t ep_fx_sat_shl(int32_t x, int32_t e);
/* exp(a) for a <= 0 in Q(integer_bits) (1..5), result Q0.31 (exp_on_negative_values). */
int32_t ep_fx_exp_on_negative(int32_t a, int32_t integer_bits);
/* 1 / (1 + a) and (1 - a) / (1 + a) for a in [0, 1], Q0.31 in and out. */
int32_t ep_fx_one_over_one_plus_x(int32_t a);
int32_t ep_fx_one_minus_x_over_one_plus_x(int32_t a);

/* TFLM's int16 logistic / tanh of one value into Q0.15 (sigmoid_s16.c; the LSTM's gates use
 * them with multiplier 3, shift 0): x * multiplier rounded right by shift, then the table. */
int16_t ep_sigmoid_q15(int16_t x, int32_t multiplier, int32_t shift);
int16_t ep_tanh_q15(int16_t x, int32_t multiplier, int32_t shift);

/* Requantise + output offset + clamp, the common int8 epilogue. */
static inline int8_t ep_out_s8(int32_t acc, int32_t mult, int32_t shift, int32_t out_offset,
                               int32_t act_min, int32_t act_max)
{
    /* unsigned add: defined even for corrupt models with huge offsets */
    const int32_t v = (int32_t)((uint32_t)ep_requantize(acc, mult, shift) + (uint32_t)out_offset);
    return (int8_t)ep_clamp(v, act_min, act_max);
}

/* sum(a * (b + off)): the border form, where the input offset cannot be
 * hoisted because some taps fall outside the image. */
static inline int32_t ep_dot_off_s8(const int8_t *a, const int8_t *b, int32_t off, int32_t n)
{
    int32_t acc = 0;
    for (int32_t i = 0; i < n; ++i) {
        acc += (int32_t)a[i] * ((int32_t)b[i] + off);
    }
    return acc;
}

/* ep_dot_off_s8 for vectors the compiler should vectorise at -O2: gcc's default
 * "very cheap" cost model only vectorises loops that need no scalar epilogue,
 * so the bulk runs in chunks with a constant trip count of 16, and x + off is
 * formed in int16 (it fits for any off within 128 of the int16 range), which
 * maps onto 16-bit multiply-adds (pmaddwd, SMLAD). Same products, same int32
 * sum as ep_dot_off_s8. */
static inline int32_t ep_dot_off16_s8(const int8_t *a, const int8_t *b, int32_t off, int32_t n)
{
    if (off < INT16_MIN + 128 || off > INT16_MAX - 128) {
        return ep_dot_off_s8(a, b, off, n);
    }
    const int16_t o = (int16_t)off;
    int32_t acc = 0;
    int32_t i = 0;
    for (; i + 16 <= n; i += 16) {
        for (int32_t j = 0; j < 16; ++j) {
            acc += (int32_t)(int16_t)a[i + j] * (int32_t)(int16_t)(b[i + j] + o);
        }
    }
    for (; i < n; ++i) {
        acc += (int32_t)a[i] * ((int32_t)b[i] + off);
    }
    return acc;
}

/* Filter taps [*lo, *hi) that land inside [0, size) for a window starting at
 * origin with the given dilation: replaces a per-tap bounds test. */
/* The five outer dimensions of TFLM's 6-D broadcast walked as an odometer: each step
 * yields the next innermost row's offset into both inputs, so ADD and MUL share one walk
 * and keep their per-element loops inline. Offsets move incrementally (no per-row
 * multiplications); a dimension that wraps gives back its whole extent. */
typedef struct {
    int32_t idx[5];
    int32_t off_1, off_2;
} ep_broadcast_walk;

static inline int32_t ep_broadcast_rows(const ep_broadcast_dims *d)
{
    return d->dims[0] * d->dims[1] * d->dims[2] * d->dims[3] * d->dims[4];
}

static inline void ep_broadcast_step(const ep_broadcast_dims *d, ep_broadcast_walk *w)
{
    for (int k = 4; k >= 0; --k) {
        w->off_1 += d->stride_1[k];
        w->off_2 += d->stride_2[k];
        if (++w->idx[k] < d->dims[k]) {
            return;
        }
        w->idx[k] = 0;
        w->off_1 -= d->dims[k] * d->stride_1[k];
        w->off_2 -= d->dims[k] * d->stride_2[k];
    }
}

static inline void ep_tap_range(int32_t origin, int32_t size, int32_t taps, int32_t dilation,
                                int32_t *lo, int32_t *hi)
{
    int32_t a = 0;
    int32_t b = taps;
    if (origin < 0) {
        a = (-origin + dilation - 1) / dilation;
    }
    if (origin + (taps - 1) * dilation >= size) {
        b = size - origin <= 0 ? 0 : (size - origin + dilation - 1) / dilation;
    }
    *lo = a < b ? a : b;
    *hi = b;
}

#endif
