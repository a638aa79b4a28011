/*
 * edge_peft.h - the one public header of the edge-peft native engine.
 *
 * Layers, bottom up (each usable on its own):
 *   1. requantisation helpers and int8 kernels in CMSIS-NN style
 *      (explicit context / params / quant / dims structs, status return);
 *   2. the zero-copy, no-heap .tflite reader (ep_model_*);
 *   3. the arena planner and inference session (ep_plan, ep_session_*).
 * Nothing here allocates or prints. All memory is caller supplied.
 * Integer semantics are those of the TFLite Micro reference kernels
 * (see docs/engine.md and ../shared/notes/int8-semantics.md).
 */
#ifndef EDGE_PEFT_H
#define EDGE_PEFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

typedef enum {
    EP_OK = 0,
    EP_ERR_ARG = -1,         /* NULL pointer, bad index or bad parameter */
    EP_ERR_MODEL = -2,       /* malformed flatbuffer (offset, length, alignment) */
    EP_ERR_UNSUPPORTED = -3, /* operator, type or option combination not supported */
    EP_ERR_SHAPE = -4,       /* tensor shapes inconsistent with the operator */
    EP_ERR_QUANT = -5,       /* missing or invalid quantisation parameters */
    EP_ERR_ARENA = -6,       /* caller-supplied arena too small */
    EP_ERR_LIMIT = -7,       /* model exceeds a compile-time limit (EP_MAX_*) */
    EP_ERR_STATE = -8,       /* call made in the wrong state (e.g. session not ready) */
    EP_ERR_SIZE = -9         /* caller buffer has the wrong size */
} ep_status;

/* Short constant name of a status ("EP_ERR_MODEL"), for logs. */
const char *ep_status_name(ep_status status);

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

#define EP_MAX_DIMS 6          /* tensor rank */
#define EP_MAX_OP_INPUTS 12    /* inputs per operator */
#define EP_MAX_OP_OUTPUTS 4    /* outputs per operator */
#define EP_MAX_TENSORS 256     /* tensors in subgraph 0 (ep_plan stack workspace) */
#define EP_MAX_OPS 256         /* operators in subgraph 0 (ep_plan stack workspace) */
#define EP_MAX_IO 8            /* model inputs / outputs */

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
                          const ep_dims *bias_dims, const int64_t *bias,
                          const ep_dims *output_dims, int16_t *output);

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

/* SOFTMAX int8 -> int8 (out zp -128, scale 1/256) and int8 -> int16
 * (out zp -32768). beta * input_scale -> params via ep_softmax_prepare. */
ep_status ep_softmax_prepare(double beta, double input_scale, ep_softmax_params *out);
ep_status ep_softmax_s8(const int8_t *input, int32_t num_rows, int32_t row_size,
                        const ep_softmax_params *params, int8_t *output);
ep_status ep_softmax_s8_s16(const int8_t *input, int32_t num_rows, int32_t row_size,
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

/* MUL int8 (TFLM reference int8 Mul): requant((x1 - z1) * (x2 - z2)) + z_out. */
typedef struct {
    int32_t input_1_offset, input_2_offset, output_offset;
    ep_per_tensor_quant_params quant;
    ep_activation activation;
} ep_mul_params;
ep_status ep_elementwise_mul_s8(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output);

/* PAD int8: output[i] = input[i - before] inside, pad_value outside. */
typedef struct {
    int32_t in_dims[EP_MAX_DIMS];
    int32_t before[EP_MAX_DIMS];
    int32_t after[EP_MAX_DIMS];
    int32_t pad_value;
} ep_pad_params;
ep_status ep_pad_s8(const ep_pad_params *params, const int8_t *input, int8_t *output);

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

/* ------------------------------------------------------------------ */
/* Model reader (native/model): zero-copy view of .tflite bytes        */
/* ------------------------------------------------------------------ */

/* schema TensorType values */
enum {
    EP_TYPE_FLOAT32 = 0, EP_TYPE_FLOAT16 = 1, EP_TYPE_INT32 = 2, EP_TYPE_UINT8 = 3,
    EP_TYPE_INT64 = 4, EP_TYPE_BOOL = 6, EP_TYPE_INT16 = 7, EP_TYPE_INT8 = 9
};

/* schema BuiltinOperator values used by the engine */
enum {
    EP_OP_ADD = 0, EP_OP_AVERAGE_POOL_2D = 1, EP_OP_CONCATENATION = 2, EP_OP_CONV_2D = 3,
    EP_OP_DEPTHWISE_CONV_2D = 4, EP_OP_DEQUANTIZE = 6, EP_OP_FULLY_CONNECTED = 9,
    EP_OP_MAX_POOL_2D = 17, EP_OP_MUL = 18, EP_OP_RESHAPE = 22, EP_OP_SOFTMAX = 25,
    EP_OP_SVDF = 27, EP_OP_CUSTOM = 32, EP_OP_PAD = 34, EP_OP_STRIDED_SLICE = 45,
    EP_OP_QUANTIZE = 114
};

/* schema ActivationFunctionType / Padding */
enum { EP_ACT_NONE = 0, EP_ACT_RELU = 1, EP_ACT_RELU_N1_TO_1 = 2, EP_ACT_RELU6 = 3 };
enum { EP_PADDING_SAME = 0, EP_PADDING_VALID = 1 };

/* A validated model. Caller allocates it (stack or static); it only points
 * into the model bytes, which must stay valid and unchanged. */
typedef struct {
    const uint8_t *data;
    size_t size;
    uint32_t opcodes;     /* offsets of validated vectors (element 0) */
    uint32_t buffers;
    uint32_t tensors;
    uint32_t operators;
    uint32_t inputs;
    uint32_t outputs;
    int32_t opcode_count, buffer_count, tensor_count, operator_count;
    int32_t input_count, output_count;
    uint32_t version;
} ep_model;

/* One tensor, every field validated by ep_model_open. */
typedef struct {
    int32_t type;              /* EP_TYPE_* */
    int32_t rank;
    int32_t dims[EP_MAX_DIMS];
    int32_t elements;
    int32_t element_bytes;
    uint32_t bytes;            /* elements * element_bytes */
    const void *data;          /* constant data in the model bytes, or NULL */
    int32_t buffer;
    bool is_variable;
    const char *name;          /* NUL-terminated inside the model, never NULL */
    int32_t scale_count;       /* 0: no quantisation */
    int32_t quantized_dimension;
    const uint8_t *scales_le;  /* scale_count float32, little endian, unaligned-safe */
    const uint8_t *zero_points_le; /* scale_count int64 (or 0 entries) */
    int32_t zero_point_count;
} ep_tensor_info;

/* Builtin options relevant to supported operators (defaults when absent). */
typedef struct {
    int32_t padding, stride_w, stride_h, dilation_w, dilation_h;
    int32_t filter_w, filter_h, depth_multiplier, activation;
    float beta;
    int32_t rank;          /* SVDF */
    int32_t axis;          /* CONCATENATION */
    bool keep_num_dims;    /* FULLY_CONNECTED */
    int32_t weights_format;
    int32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
    bool ss_offset;
} ep_op_options;

typedef struct {
    int32_t opcode;            /* effective builtin code = max(deprecated, builtin) */
    const char *custom_code;   /* custom ops only, else NULL */
    int32_t version;
    int32_t input_count, output_count;
    int32_t inputs[EP_MAX_OP_INPUTS];   /* -1 = optional input absent */
    int32_t outputs[EP_MAX_OP_OUTPUTS];
    int32_t options_type;      /* schema BuiltinOptions union type */
    ep_op_options options;
} ep_op_info;

/* Validate `size` bytes at `data` as a TFLite model (subgraph 0). On failure
 * and when err != NULL, writes a NUL-terminated message naming the problem
 * (e.g. "tensor 7: buffer 3 too short: 96 < 128"). */
ep_status ep_model_open(ep_model *model, const void *data, size_t size,
                        char *err, size_t err_size);
ep_status ep_model_tensor(const ep_model *model, int32_t index, ep_tensor_info *out);
ep_status ep_model_op(const ep_model *model, int32_t index, ep_op_info *out);
int32_t ep_model_input(const ep_model *model, int32_t i);   /* tensor index or -1 */
int32_t ep_model_output(const ep_model *model, int32_t i);
float ep_tensor_scale(const ep_tensor_info *t, int32_t i);
int32_t ep_tensor_zero_point(const ep_tensor_info *t, int32_t i);
/* Name of a builtin code ("FULLY_CONNECTED"); "UNKNOWN" if out of range. */
const char *ep_builtin_op_name(int32_t code);
/* Operator display name: builtin name or the custom code. */
const char *ep_op_name(const ep_op_info *op);
const char *ep_type_name(int32_t type);

/* ------------------------------------------------------------------ */
/* Plan and session (native/plan, native/engine)                       */
/* ------------------------------------------------------------------ */

struct ep_session;
/* Called after each operator during invoke (e.g. to capture activations
 * for training). Return non-EP_OK to abort the invoke with that status. */
typedef ep_status (*ep_op_hook)(void *user, struct ep_session *session, int32_t op_index);

/* Session configuration; every field optional (zero-initialise). The trainer
 * computes train_bytes (its own plan) and lists the activations it must read
 * after the forward pass in keep_tensors. */
typedef struct {
    uint32_t train_bytes;            /* extra arena bytes reserved for the trainer */
    const int32_t *keep_tensors;     /* tensors kept live (not reused) for all of invoke */
    int32_t keep_count;
    ep_op_hook hook;
    void *hook_user;
} ep_session_config;

typedef struct {
    uint32_t persistent_bytes;   /* op records, multipliers, kernel sums, variable tensors */
    uint32_t activation_bytes;   /* planned intermediate tensors + kernel scratch */
    uint32_t inference_bytes;    /* persistent + activation (+ alignment) */
    uint32_t train_bytes;        /* as configured */
    uint32_t arena_bytes;        /* total to pass to ep_session_init */
} ep_plan_info;

/* Exact arena size for the model and configuration (cfg may be NULL). */
ep_status ep_plan(const ep_model *model, const ep_session_config *cfg, ep_plan_info *out,
                  char *err, size_t err_size);

/* A session; caller allocates the struct, the arena holds everything else.
 * Fields are private. */
typedef struct ep_session {
    const ep_model *model;
    uint8_t *arena;
    uint8_t *activations;   /* planned region inside the arena */
    uint32_t arena_size;
    void *ops;              /* per-op runtime records, in the arena */
    void *tensors;          /* per-tensor runtime records, in the arena */
    uint8_t *train_area;
    uint32_t train_bytes;
    ep_plan_info plan;
    ep_op_hook hook;
    void *hook_user;
    int32_t op_count;
    bool ready;
} ep_session;

/* A view of one tensor's current data in a session. */
typedef struct {
    void *data;
    uint32_t bytes;
    int32_t type;
    int32_t rank;
    int32_t dims[EP_MAX_DIMS];
    float scale;             /* first scale, 0 when not quantised */
    int32_t zero_point;
} ep_tensor_view;

ep_status ep_session_init(ep_session *s, const ep_model *model, const ep_session_config *cfg,
                          void *arena, size_t arena_size, char *err, size_t err_size);
ep_status ep_session_input(ep_session *s, int32_t i, ep_tensor_view *out);
ep_status ep_session_output(ep_session *s, int32_t i, ep_tensor_view *out);
/* Any tensor (by subgraph index); data is NULL for tensors not live now. */
ep_status ep_session_tensor(ep_session *s, int32_t tensor_index, ep_tensor_view *out);
ep_status ep_session_invoke(ep_session *s);
/* Run operators [first, last) only (recomputation, partial graphs). */
ep_status ep_session_invoke_range(ep_session *s, int32_t first, int32_t last);
/* Reset variable tensors (SVDF state) to their zero point, as TFLM does. */
ep_status ep_session_reset_state(ep_session *s);
/* The train_bytes region reserved for the trainer (16-byte aligned). */
ep_status ep_session_train_area(ep_session *s, void **buf, uint32_t *size);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_H */
