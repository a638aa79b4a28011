/*
 * edge_peft_kernels.h - kernel types, requantisation helpers and the int8 / 16x8 weighted,
 * pooling, softmax, quantize and SVDF kernels in CMSIS-NN style (explicit context / params /
 * quant / dims structs, status return), usable without a model. The elementwise, activation,
 * data-movement, shape and reduce kernels are in edge_peft_elementwise.h.
 * Part of the public API; include "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_KERNELS_H
#define EDGE_PEFT_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_peft_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Kernel-level types (CMSIS-NN style)                                 */
/* ------------------------------------------------------------------ */

/* Caller-owned scratch for one kernel call; size it with *_get_buffer_size. */
typedef struct {
    void *buf;
    int32_t size;
} ep_context;

/* NHWC dims. FC filters: n = accumulation depth, c = output depth (as CMSIS). */
typedef struct {
    int32_t n, h, w, c;
} ep_dims;

typedef struct {
    int32_t w, h;
} ep_tile;

/* Output clamp, fused activation already folded in. */
typedef struct {
    int32_t min, max;
} ep_activation;

/* input_offset = -z_in, filter_offset = -z_w, output_offset = +z_out (TFLM). */
typedef struct {
    int32_t input_offset;
    int32_t filter_offset;
    int32_t output_offset;
    ep_activation activation;
} ep_fc_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    ep_tile stride;
    ep_tile padding;  /* before-padding (top/left); the odd extra goes bottom/right */
    ep_tile dilation;
    ep_activation activation;
} ep_conv_params;

typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    int32_t ch_mult;
    ep_tile stride;
    ep_tile padding;
    ep_tile dilation;
    ep_activation activation;
} ep_dw_conv_params;

typedef struct {
    ep_tile stride;
    ep_tile padding;
    ep_activation activation;
} ep_pool_params;

/* (M, shift): M is Q0.31 in [2^30, 2^31) (or 0); positive shift = left shift. */
typedef struct {
    int32_t multiplier;
    int32_t shift;
} ep_per_tensor_quant_params;

typedef struct {
    const int32_t *multiplier;
    const int32_t *shift;
} ep_per_channel_quant_params;

/* Softmax int8 input setup (TFLM PreprocessSoftmaxScaling). */
typedef struct {
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} ep_softmax_params;

/* ------------------------------------------------------------------ */
/* Requantisation (TFLM default build: double rounding)               */
/* ------------------------------------------------------------------ */

/* Round-to-nearest, ties away from zero, division by 2^exponent (0..31). */
static inline int32_t ep_rounding_divide_by_pot(int32_t x, int32_t exponent)
{
    const int32_t mask = (int32_t)((1u << exponent) - 1u);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    /* Arithmetic right shift of negatives: gcc/clang on every target we build. */
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* gemmlowp SaturatingRoundingDoublingHighMul: floor((a*b + 2^30) / 2^31).
 * Saturates only for INT32_MIN * INT32_MIN. */
static inline int32_t ep_srdhm(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* TFLM MultiplyByQuantizedMultiplier(int32, M, shift). The left shift wraps
 * like TFLM's int32 multiply (it is never expected to overflow). */
static inline int32_t ep_requantize(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t xs = (int32_t)((uint32_t)x << left);
    return ep_rounding_divide_by_pot(ep_srdhm(xs, multiplier), right);
}

/* TFLM MultiplyByQuantizedMultiplier(int64, M, shift) used by the 16x8
 * kernels: multiplier reduced to 16 bits, one rounding. */
int32_t ep_requantize_s64(int64_t x, int32_t multiplier, int32_t shift);

/* TFLM QuantizeMultiplier: double -> (M, shift). Returns EP_ERR_QUANT for
 * negative, NaN or infinite scales. */
ep_status ep_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift);

/* Fused activation code (schema ActivationFunctionType) -> clamp for an output
 * of the given scale / zero point and range [qmin, qmax] (TFLM
 * CalculateActivationRangeQuantized). */
ep_status ep_activation_range(int32_t fused_activation, float scale, int32_t zero_point,
                              int32_t qmin, int32_t qmax, ep_activation *out);

/* ------------------------------------------------------------------ */
/* Kernels (native/kernels). All return EP_OK or EP_ERR_ARG.           */
/* ------------------------------------------------------------------ */

/* FULLY_CONNECTED int8. input [n batches, filter_dims->n depth];
 * filter [filter_dims->c rows, filter_dims->n] row-major; bias may be NULL.
 * ctx: optional. If ctx->buf holds filter_dims->c int32 "kernel sums" written
 * by ep_fully_connected_s8_prepare (bias + zero-point corrections folded in),
 * the eval skips them; pass ctx NULL or buf NULL to compute them on the fly. */
int32_t ep_fully_connected_s8_get_buffer_size(const ep_dims *filter_dims);
ep_status ep_fully_connected_s8_prepare(const ep_fc_params *params, const ep_dims *filter_dims,
                                        const int8_t *filter, const int32_t *bias,
                                        int32_t *kernel_sums);
ep_status ep_fully_connected_s8(const ep_context *ctx, const ep_fc_params *params,
                                const ep_per_tensor_quant_params *quant,
                                const ep_dims *input_dims, const int8_t *input,
                                const ep_dims *filter_dims, const int8_t *filter,
                                const ep_dims *bias_dims, const int32_t *bias,
                                const ep_dims *output_dims, int8_t *output);
ep_status ep_fully_connected_per_channel_s8(const ep_context *ctx, const ep_fc_params *params,
                                            const ep_per_channel_quant_params *quant,
                                            const ep_dims *input_dims, const int8_t *input,
                                            const ep_dims *filter_dims, const int8_t *filter,
                                            const ep_dims *bias_dims, const int32_t *bias,
                                            const ep_dims *output_dims, int8_t *output);

/* CONV_2D int8 per-channel. filter [Cout, kh, kw, Cin_f], grouped when
 * input c is a multiple of Cin_f. ctx optional: kernel sums as for FC
 * (ep_convolve_s8_prepare), used for windows fully inside the input. */
int32_t ep_convolve_s8_get_buffer_size(const ep_dims *output_dims);
ep_status ep_convolve_s8_prepare(const ep_conv_params *params, const ep_dims *filter_dims,
                                 const int8_t *filter, const int32_t *bias,
                                 int32_t *kernel_sums);
ep_status ep_convolve_s8(const ep_context *ctx, const ep_conv_params *params,
                         const ep_per_channel_quant_params *quant,
                         const ep_dims *input_dims, const int8_t *input,
                         const ep_dims *filter_dims, const int8_t *filter,
                         const ep_dims *bias_dims, const int32_t *bias,
                         const ep_dims *output_dims, int8_t *output);

/* CONV_2D 16x8: int16 activations (zero points 0), int8 weights, int64 bias. */
ep_status ep_convolve_s16(const ep_context *ctx, const ep_conv_params *params,
                          const ep_per_channel_quant_params *quant,
                          const ep_dims *input_dims, const int16_t *input,
                          const ep_dims *filter_dims, const int8_t *filter,
                          const ep_dims *bias_dims, const void *bias,
                          const ep_dims *output_dims, int16_t *output);

/* FULLY_CONNECTED 16x8: int16 input / output, int8 filter [rows, depth]. Bias
 * (may be NULL) int64, read bytewise (the converter aligns it to 4 only), or int32
 * with acc32 set: TFLM then sums in int32 and uses the ordinary requantisation, and
 * otherwise in int64 with the reduced multiplier (ep_requantize_s64). Offsets as in
 * ep_fc_params; per_channel picks pc over q (filter_offset must then be 0). */
typedef struct {
    ep_fc_params fc;
    ep_per_tensor_quant_params q;
    ep_per_channel_quant_params pc;
    bool per_channel;
    bool acc32;
} ep_fc_s16_params;
ep_status ep_fully_connected_s16(const ep_fc_s16_params *params,
                                 const ep_dims *input_dims, const int16_t *input,
                                 const ep_dims *filter_dims, const int8_t *filter,
                                 const void *bias, int16_t *output);

/* DEPTHWISE_CONV_2D 16x8: int16 activations (TFLM reads no zero point), int8 filter
 * [1, kh, kw, Cout], int64 bias (may be NULL; read bytewise). No scratch. */
ep_status ep_depthwise_conv_s16(const ep_dw_conv_params *params,
                                const ep_per_channel_quant_params *quant,
                                const ep_dims *input_dims, const int16_t *input,
                                const ep_dims *filter_dims, const int8_t *filter,
                                const void *bias, const ep_dims *output_dims, int16_t *output);

/* DEPTHWISE_CONV_2D int8 per-channel. filter [1, kh, kw, Cout], Cout = Cin * ch_mult.
 * ctx required: output c int32 accumulators (ep_depthwise_conv_s8_get_buffer_size). */
int32_t ep_depthwise_conv_s8_get_buffer_size(const ep_dims *output_dims);
ep_status ep_depthwise_conv_s8(const ep_context *ctx, const ep_dw_conv_params *params,
                               const ep_per_channel_quant_params *quant,
                               const ep_dims *input_dims, const int8_t *input,
                               const ep_dims *filter_dims, const ep_dims *bias_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *output_dims, int8_t *output);

/* AVERAGE_POOL_2D / MAX_POOL_2D int8; filter_dims uses w/h only.
 * avgpool ctx: output c int32 accumulators (ep_avgpool_s8_get_buffer_size). */
int32_t ep_avgpool_s8_get_buffer_size(const ep_dims *output_dims);
ep_status ep_avgpool_s8(const ep_context *ctx, const ep_pool_params *params,
                        const ep_dims *input_dims, const int8_t *input,
                        const ep_dims *filter_dims, const ep_dims *output_dims, int8_t *output);
ep_status ep_maxpool_s8(const ep_context *ctx, const ep_pool_params *params,
                        const ep_dims *input_dims, const int8_t *input,
                        const ep_dims *filter_dims, const ep_dims *output_dims, int8_t *output);

/* AVERAGE_POOL_2D / MAX_POOL_2D int16 (TFLM's int16 pooling: the int8 arithmetic on
 * int16 values, int32 sums); same arguments and scratch as the int8 ones. */
ep_status ep_avgpool_s16(const ep_context *ctx, const ep_pool_params *params,
                         const ep_dims *input_dims, const int16_t *input,
                         const ep_dims *filter_dims, const ep_dims *output_dims, int16_t *output);
ep_status ep_maxpool_s16(const ep_context *ctx, const ep_pool_params *params,
                         const ep_dims *input_dims, const int16_t *input,
                         const ep_dims *filter_dims, const ep_dims *output_dims, int16_t *output);

/* SOFTMAX int8 -> int8 (out zp -128, scale 1/256) and int8 -> int16
 * (out zp -32768). beta * input_scale -> params via ep_softmax_prepare. */
ep_status ep_softmax_prepare(double beta, double input_scale, ep_softmax_params *out);
ep_status ep_softmax_s8(const int8_t *input, int32_t num_rows, int32_t row_size,
                        const ep_softmax_params *params, int8_t *output);
ep_status ep_softmax_s8_s16(const int8_t *input, int32_t num_rows, int32_t row_size,
                            const ep_softmax_params *params, int16_t *output);

/* SOFTMAX int16 -> int16 (TFLM SoftmaxInt16): zero points 0, output scale 1/32768; TFLM's
 * interpolated exp and 1 / (1 + x) tables. ep_softmax_s16_prepare: beta * input_scale
 * rescaled so [-65535, 0] is [-10, 0] (diff_min unused). No scratch. */
ep_status ep_softmax_s16_prepare(double beta, double input_scale, ep_softmax_params *out);
ep_status ep_softmax_s16(const int16_t *input, int32_t num_rows, int32_t row_size,
                         const ep_softmax_params *params, int16_t *output);

/* QUANTIZE / requantize between integer types (TFLM Requantize):
 * out = clamp(requant(in - in_zp, M, shift) + out_zp). Types: EP_TYPE_INT8,
 * EP_TYPE_INT16, EP_TYPE_INT32 for both sides. */
ep_status ep_requantize_tensor(const void *input, int32_t in_type, int32_t in_zp,
                               void *output, int32_t out_type, int32_t out_zp,
                               const ep_per_tensor_quant_params *quant, int32_t count);

/* SVDF int8 (TFLM EvalIntegerSvdfReference; like TFLM's integer path it
 * applies no fused activation). state: [batch, num_filters * memory_size]
 * int8, updated in place. ctx: batch * num_filters + batch * num_units int32
 * (ep_svdf_s8_get_buffer_size). */
typedef struct {
    int32_t rank;
    int32_t input_offset;         /* -z_in */
    int32_t state_zero_point;     /* z_state: added to new entries, subtracted on read */
    int32_t output_offset;        /* +z_out */
    ep_per_tensor_quant_params in_quant;   /* input*feature_weights -> state */
    ep_per_tensor_quant_params out_quant;  /* state*time_weights -> output */
} ep_svdf_params;
int32_t ep_svdf_s8_get_buffer_size(int32_t batch, int32_t num_filters, int32_t num_units);
ep_status ep_svdf_s8(const ep_context *ctx, const ep_svdf_params *params,
                     int32_t batch, int32_t input_size, const int8_t *input,
                     int32_t num_filters, int32_t memory_size,
                     const int8_t *feature_weights, const int8_t *time_weights,
                     const int32_t *bias, int8_t *state, int32_t num_units, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_KERNELS_H */
