/*
 * edge_peft_elementwise.h - the elementwise, activation, data-movement, shape and reduce
 * kernels (ADD, SUB, MUL, PAD, CONCATENATION, STRIDED_SLICE, LOGISTIC / TANH, RELU, LEAKY_RELU,
 * HARD_SWISH, MAXIMUM / MINIMUM, MEAN / SUM) in the CMSIS-NN style of edge_peft_kernels.h,
 * whose types they use. Part of the public API; include "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_ELEMENTWISE_H
#define EDGE_PEFT_ELEMENTWISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_peft_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Elementwise and data-movement kernels (ADD, MUL, PAD, CONCATENATION,
 * STRIDED_SLICE). Shapes are right-aligned to EP_MAX_DIMS (leading 1s). */

/* Broadcast view of two inputs onto one output (TFLM BroadcastAdd/Mul6DSlow):
 * stride_1/stride_2 are element strides, 0 along broadcast dimensions. */
typedef struct {
    int32_t dims[EP_MAX_DIMS];
    int32_t stride_1[EP_MAX_DIMS];
    int32_t stride_2[EP_MAX_DIMS];
} ep_broadcast_dims;

/* ADD int8 (TFLM reference int8 Add): both inputs scaled to a common
 * 2^left_shift fixed point, summed, requantised. Offsets: input = -z_in,
 * output = +z_out; multipliers with shift <= 0. */
typedef struct {
    int32_t input_1_offset, input_1_mult, input_1_shift;
    int32_t input_2_offset, input_2_mult, input_2_shift;
    int32_t left_shift;
    int32_t output_offset, output_mult, output_shift;
    ep_activation activation;
} ep_add_params;
ep_status ep_elementwise_add_s8(const ep_add_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output);

/* ADD int16 (TFLM's general-scale int16 Add): ADD's arithmetic with left_shift 15. */
ep_status ep_elementwise_add_s16(const ep_add_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output);

/* MUL int8 (TFLM reference int8 Mul): requant((x1 - z1) * (x2 - z2)) + z_out. */
typedef struct {
    int32_t input_1_offset, input_2_offset, output_offset;
    ep_per_tensor_quant_params quant;
    ep_activation activation;
} ep_mul_params;
ep_status ep_elementwise_mul_s8(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output);

/* MUL int16 (TFLM: zero points 0): MUL's arithmetic on int16 values. */
ep_status ep_elementwise_mul_s16(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output);

/* PAD int8: output[i] = input[i - before] inside, pad_value outside. */
typedef struct {
    int32_t in_dims[EP_MAX_DIMS];
    int32_t before[EP_MAX_DIMS];
    int32_t after[EP_MAX_DIMS];
    int32_t pad_value;
} ep_pad_params;
ep_status ep_pad_s8(const ep_pad_params *params, const int8_t *input, int8_t *output);
ep_status ep_pad_s16(const ep_pad_params *params, const int16_t *input, int16_t *output);

/* CONCATENATION (any element type): count inputs, each viewed as [outer,
 * axis_bytes[i]] bytes; output rows are the inputs' rows back to back. */
ep_status ep_concatenation(const uint8_t *const *inputs, const int32_t *axis_bytes,
                           int32_t count, int32_t outer, uint8_t *output);

/* STRIDED_SLICE (any element type): start/stop/stride per dimension already
 * resolved (TFLM StartForAxis / StopForAxis: masks, negative indices, clamping). */
typedef struct {
    int32_t in_dims[EP_MAX_DIMS];
    int32_t start[EP_MAX_DIMS];
    int32_t stop[EP_MAX_DIMS];
    int32_t stride[EP_MAX_DIMS];
    int32_t element_bytes;
} ep_strided_slice_params;
ep_status ep_strided_slice(const ep_strided_slice_params *params, const uint8_t *input,
                           uint8_t *output);

/* Elementwise activations (int8 in, int8 out, count elements, TFLM reference kernels). */

/* LOGISTIC and TANH int8 (TFLM reference_integer_ops::Logistic / Tanh over gemmlowp):
 * x - z_in is rescaled to Q4.27 with (input_multiplier, input_left_shift); |x - z_in| >=
 * input_range_radius saturates. LOGISTIC writes scale 1/256, zero point -128; TANH scale
 * 1/128, zero point 0. Fill the params with ep_sigmoid_prepare (the same for both). */
typedef struct {
    int32_t input_zero_point;
    int32_t input_range_radius;
    int32_t input_multiplier;
    int32_t input_left_shift;
} ep_sigmoid_params;
/* EP_ERR_QUANT for a scale that is not finite and positive, below 2^-28 or from 2^35 up (the
 * rescale exponent leaves [0, 62], where TFLM's own shifts are undefined). */
ep_status ep_sigmoid_prepare(float input_scale, int32_t input_zero_point, ep_sigmoid_params *out);
ep_status ep_logistic_s8(const ep_sigmoid_params *params, const int8_t *input, int8_t *output,
                         int32_t count);
ep_status ep_tanh_s8(const ep_sigmoid_params *params, const int8_t *input, int8_t *output,
                     int32_t count);

/* LOGISTIC / TANH int16 (TFLM reference_integer_ops Logistic / Tanh for int16): zero points
 * 0, output scale 2^-15; input rescaled onto Q3.12 (times 3/4 for the table's range) by a
 * 15-bit multiplier and a right shift, or a plain multiplier for the power-of-two scales
 * TFLM special-cases. ep_sigmoid16_prepare: TFLM's Prepare arithmetic; EP_ERR_QUANT where
 * TFLM refuses (output scale not 2^-15) or its multiplier would not fit. */
typedef struct {
    int32_t multiplier, shift;
} ep_sigmoid16_params;
ep_status ep_sigmoid16_prepare(float input_scale, float output_scale, bool tanh_op,
                               ep_sigmoid16_params *out);
ep_status ep_logistic_s16(const ep_sigmoid16_params *params, const int16_t *input,
                          int16_t *output, int32_t count);
ep_status ep_tanh_s16(const ep_sigmoid16_params *params, const int16_t *input, int16_t *output,
                      int32_t count);

/* RELU int8 (TFLM ReluQuantized): clamp(z_out + requant(x - z_in), activation). input_offset
 * = -z_in, output_offset = +z_out; activation min max(-128, z_out), max 127. */
typedef struct {
    int32_t input_offset;
    int32_t output_offset;
    ep_per_tensor_quant_params quant;
    ep_activation activation;
} ep_relu_params;
ep_status ep_relu_s8(const ep_relu_params *params, const int8_t *input, int8_t *output,
                     int32_t count);
/* RELU int16: the same with int16 values (TFLM: zero points 0, activation [0, 32767]). */
ep_status ep_relu_s16(const ep_relu_params *params, const int16_t *input, int16_t *output,
                      int32_t count);

/* RELU6 int8 as TFLM's Relu6Quantized: a clamp to [z_in, q(6)] on the input's scale (the
 * output quantisation is not read). Also usable as a plain int8 clamp. */
ep_status ep_clamp_s8(const ep_activation *range, const int8_t *input, int8_t *output,
                      int32_t count);
ep_status ep_clamp_s16(const ep_activation *range, const int16_t *input, int16_t *output,
                       int32_t count);

/* LEAKY_RELU int8 (TFLM QuantizeLeakyRelu): x - z_in >= 0 takes the identity (M, shift),
 * else the alpha one, whose multiplier is negative for alpha < 0; + z_out, clamped. */
typedef struct {
    int32_t input_offset;   /* -z_in */
    int32_t output_offset;  /* +z_out */
    ep_per_tensor_quant_params identity;
    ep_per_tensor_quant_params alpha;   /* multiplier may be negative */
} ep_leaky_relu_params;
ep_status ep_leaky_relu_s8(const ep_leaky_relu_params *params, const int8_t *input,
                           int8_t *output, int32_t count);
/* LEAKY_RELU int16: the same, clamped to int16. */
ep_status ep_leaky_relu_s16(const ep_leaky_relu_params *params, const int16_t *input,
                            int16_t *output, int32_t count);

/* HARD_SWISH int8 (TFLM reference_ops::HardSwish): int16 fixed point on the input scale
 * times 2^7; 16-bit multipliers (QuantizeMultiplier reduced as DownScaleInt32ToInt16Multiplier)
 * and exponents for hires-input -> output (exponent <= 0) and -> "relu-ish" (3 / 32768). */
typedef struct {
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t reluish_multiplier;   /* int16 range */
    int32_t reluish_exponent;
    int32_t output_multiplier;    /* int16 range */
    int32_t output_exponent;      /* <= 0 */
} ep_hard_swish_params;
/* EP_ERR_QUANT where TFLM refuses (output exponent > 0) or the scales are not usable. */
ep_status ep_hard_swish_prepare(float input_scale, int32_t input_zero_point, float output_scale,
                                int32_t output_zero_point, ep_hard_swish_params *out);
ep_status ep_hard_swish_s8(const ep_hard_swish_params *params, const int8_t *input,
                           int8_t *output, int32_t count);

/* ------------------------------------------------------------------ */
/* Shape, reduce and min/max operators                                 */
/* ------------------------------------------------------------------ */

/* SUB int8 (TFLM reference int8 Sub, broadcasting): ADD's arithmetic with the
 * second scaled input subtracted; same fields as ep_add_params. */
typedef ep_add_params ep_sub_params;
ep_status ep_elementwise_sub_s8(const ep_sub_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output);
/* SUB int16: the same with 15 bits of headroom (TFLM). */
ep_status ep_elementwise_sub_s16(const ep_sub_params *params, const ep_broadcast_dims *dims,
                                 const int16_t *input_1, const int16_t *input_2, int16_t *output);

/* MAXIMUM / MINIMUM int8 (TFLM reference, broadcasting): the raw int8 values
 * compared, no requantisation (the converter gives inputs and output one
 * quantisation). */
ep_status ep_maximum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output);
ep_status ep_minimum_s8(const ep_broadcast_dims *dims, const int8_t *input_1,
                        const int8_t *input_2, int8_t *output);
ep_status ep_maximum_s16(const ep_broadcast_dims *dims, const int16_t *input_1,
                         const int16_t *input_2, int16_t *output);
ep_status ep_minimum_s16(const ep_broadcast_dims *dims, const int16_t *input_1,
                         const int16_t *input_2, int16_t *output);

/* MEAN / SUM requantisation as TFLM forms it: QuantizeMultiplier(s_in / s_out), then for
 * MEAN (fold) the 1 / count folded in: shift = min(floor(log2 count), 32, 31 + shift),
 * multiplier = (M << shift) / count. EP_ERR_QUANT for bad scales. */
ep_status ep_mean_multiplier(double s_in, double s_out, int64_t count, bool fold,
                             int32_t *multiplier, int32_t *shift);

/* MEAN / SUM int8 and int16 (TFLM reference QuantizedMeanOrSum, int8_t and int16_t):
 * int32 sums over the reduced dimensions, minus z_in * count, requantised by
 * (multiplier, shift), which already fold in s_in / s_out and (MEAN) 1 / count as
 * TFLM's eval does; plus z_out, clamped to the output type. in_dims right-aligned to EP_MAX_DIMS (leading 1s);
 * reduce[k] != 0 for a reduced dimension. ctx: out_count int32 accumulators
 * (ep_mean_s8_get_buffer_size). */
typedef struct {
    int32_t in_dims[EP_MAX_DIMS];
    int32_t reduce[EP_MAX_DIMS];
    int32_t count;       /* input elements per output element */
    int32_t out_count;   /* output elements */
    int32_t input_zp, output_zp;
    int32_t multiplier, shift;
} ep_mean_params;
int32_t ep_mean_s8_get_buffer_size(const ep_mean_params *params);
ep_status ep_mean_s8(const ep_context *ctx, const ep_mean_params *params, const int8_t *input,
                     int8_t *output);
int32_t ep_mean_s16_get_buffer_size(const ep_mean_params *params);
ep_status ep_mean_s16(const ep_context *ctx, const ep_mean_params *params, const int16_t *input,
                      int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_ELEMENTWISE_H */
