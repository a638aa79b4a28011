/*
 * edge_peft_layout.h - data-layout kernels: UNPACK, GATHER, SPACE_TO_BATCH_ND,
 * BATCH_TO_SPACE_ND, TRANSPOSE (PACK runs as ep_concatenation, SUM as ep_mean_s8 with an
 * unfolded multiplier), the float32 model edges (QUANTIZE from, DEQUANTIZE to float32) and
 * TRANSPOSE_CONV (Keras Conv2DTranspose) and UNIDIRECTIONAL_SEQUENCE_LSTM (Keras LSTM). Pure copies with the TFLM reference kernels' element order; every
 * index they take from data (GATHER coordinates) is checked before it is used. Part of the
 * public API; include "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_LAYOUT_H
#define EDGE_PEFT_LAYOUT_H

#include "edge_peft_types.h"
#include "edge_peft_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

/* UNPACK (any element type): the input viewed as [outer, count, copy_bytes]; output i gets
 * rows [o][i] for every o, back to back. */
ep_status ep_unpack(const uint8_t *input, int32_t count, int32_t outer, int32_t copy_bytes,
                    uint8_t *const *outputs);

/* GATHER (TFLM reference, int32 coordinates): input viewed as [batch, outer, axis_size,
 * inner_bytes], coordinates as [batch, coords]; output [batch, outer, coords, inner_bytes].
 * A coordinate outside [0, axis_size) returns EP_ERR_ARG before anything is written (TFLM only
 * debug-checks it). */
typedef struct {
    int32_t batch, outer, axis_size, coords, inner_bytes;
} ep_gather_params;
ep_status ep_gather(const ep_gather_params *params, const uint8_t *input, const int32_t *coords,
                    uint8_t *output);

/* SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND int8, NHWC (3-D NHC as NH1C with block_w 1, as TFLM).
 * Space to batch: output batch b = (shift_h * block_w + shift_w) * in_n + n reads input
 * (n, h * block_h + shift_h - pad_top, w * block_w + shift_w - pad_left) or pad_value outside.
 * Batch to space: the inverse, pad_top / pad_left being the crops. Shapes were checked in
 * prepare (every output element is written once). */
typedef struct {
    int32_t in_n, in_h, in_w, out_n, out_h, out_w, depth;
    int32_t block_h, block_w, pad_top, pad_left;
    int32_t pad_value;   /* space to batch: written into padding (the output zero point) */
} ep_space_batch_params;
ep_status ep_space_to_batch_nd_s8(const ep_space_batch_params *params, const int8_t *input,
                                  int8_t *output);
ep_status ep_batch_to_space_nd_s8(const ep_space_batch_params *params, const int8_t *input,
                                  int8_t *output);

/* TRANSPOSE (any element type): out_dims right-aligned to EP_MAX_DIMS (leading 1s);
 * in_stride[k] = the input's element stride along the input dimension that output dimension k
 * comes from (perm[k]), 0 for the leading 1s. */
typedef struct {
    int32_t out_dims[EP_MAX_DIMS];
    int32_t in_stride[EP_MAX_DIMS];
    int32_t element_bytes;
} ep_transpose_params;
ep_status ep_transpose(const ep_transpose_params *params, const uint8_t *input, uint8_t *output);

/* Float32 model edges (TFLM reference AffineQuantize / Dequantize): QUANTIZE float32 ->
 * int8 / int16 is clamp(round_half_away(x / scale) + zp), the division in float32;
 * DEQUANTIZE int8 / int16 -> float32 is (float)((double)scale * (q - zp)). */
ep_status ep_quantize_f32(const float *input, float scale, int32_t zero_point, int32_t out_type,
                          void *output, int32_t count);
ep_status ep_dequantize_f32(const void *input, int32_t in_type, float scale, int32_t zero_point,
                            float *output, int32_t count);

/* TRANSPOSE_CONV int8 (TFLM reference): input [n, h, w, ic], filter [oc, kh, kw, ic]
 * (filt_dims {oc, kh, kw, ic}), per-channel quantisation, output [n, oh, ow, oc]; input pixel
 * (y, x) scatters onto output rows y * stride - pad .. + kh - 1 (likewise columns), where pad
 * is the forward conv's SAME / VALID padding from the output size. params->dilation unused.
 * ctx: one int32 accumulator per output element (ep_transpose_conv_s8_get_buffer_size). */
int32_t ep_transpose_conv_s8_get_buffer_size(const ep_dims *out_dims);
ep_status ep_transpose_conv_s8(const ep_context *ctx, const ep_conv_params *params,
                               const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                               const int8_t *input, const ep_dims *filt_dims,
                               const int8_t *filter, const int32_t *bias,
                               const ep_dims *out_dims, int8_t *output);

/* TRANSPOSE_CONV 16x8: int16 input / output (zero points 0), int8 filter, int64 bias (little
 * endian, read bytewise: the converter aligns it to 4 only) or NULL; ctx: one int64
 * accumulator per output element (ep_transpose_conv_s16_get_buffer_size). */
int32_t ep_transpose_conv_s16_get_buffer_size(const ep_dims *out_dims);
ep_status ep_transpose_conv_s16(const ep_context *ctx, const ep_conv_params *params,
                                const ep_per_channel_quant_params *quant, const ep_dims *in_dims,
                                const int16_t *input, const ep_dims *filt_dims,
                                const int8_t *filter, const uint8_t *bias,
                                const ep_dims *out_dims, int16_t *output);

/* UNIDIRECTIONAL_SEQUENCE_LSTM int8 (or int16, ep_lstm_s16) / int16 cell (TFLM lstm_eval integer path; gates in
 * TFLM's order input, forget, cell, output). Gate FCs: int8 -> int16 onto 2^-12 (weights
 * zero point 0; the input FC adds the gate bias), added with int16 saturation; sigmoid /
 * tanh in Q0.15; forget_mul, input_mul: Q0.15 x {cell, Q0.15} -> cell scale; output_mul:
 * Q0.15 x Q0.15 -> hidden scale, plus hidden_zp. tanh of the cell state scales its input by
 * (tanh_multiplier, tanh_shift) (TFLM's Tanh with the cell scale's power of two). hidden
 * [batch, units] int8 and cell int16 persist across invokes. ctx: 4 x batch x units int16. */
typedef struct {
    int32_t batch, time, input_size, units;
    int32_t time_major;              /* input [time, batch, n], else [batch, time, n] */
    int32_t input_offset;            /* -z_input */
    int32_t hidden_offset;           /* -z_hidden */
    ep_per_tensor_quant_params gate_in[4], gate_rec[4];
    int32_t cell_gate_tanh;          /* the cell gate's activation: tanh (else sigmoid) */
    ep_per_tensor_quant_params forget_mul, input_mul, output_mul;
    int32_t hidden_zp;
    int32_t clip, cell_clip;         /* clip the cell to +-cell_clip when clip != 0 */
    int32_t tanh_multiplier, tanh_shift;
} ep_lstm_params;
typedef struct {
    const int8_t *w_in[4];           /* [units, input_size] */
    const int8_t *w_rec[4];          /* [units, units] */
    const void *bias[4];             /* [units] int32 (ep_lstm_s8) or int64 (ep_lstm_s16,
                                        4-byte aligned is enough: read bytewise), or NULL */
} ep_lstm_weights;
int32_t ep_lstm_s8_get_buffer_size(const ep_lstm_params *params);
ep_status ep_lstm_s8(const ep_context *ctx, const ep_lstm_params *params,
                     const ep_lstm_weights *weights, const int8_t *input, int8_t *hidden,
                     int16_t *cell, int8_t *output);
/* The 16x8 form (TFLM's int16-activation LSTM): input, hidden state and output int16, the
 * gate FCs int16 x int8 summed in int64 with int64 biases and requantised with the reduced
 * multiplier (ep_requantize_s64); everything after the gate FCs as ep_lstm_s8, the hidden
 * state clamped to int16. Same params and buffer size. */
ep_status ep_lstm_s16(const ep_context *ctx, const ep_lstm_params *params,
                      const ep_lstm_weights *weights, const int16_t *input, int16_t *hidden,
                      int16_t *cell, int16_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_LAYOUT_H */
