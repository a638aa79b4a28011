/*
 * edge_peft_model.h - the zero-copy, no-heap .tflite reader (ep_model_*), the arena planner
 * and the inference session (ep_plan, ep_session_*). Part of the public API; include
 * "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_MODEL_H
#define EDGE_PEFT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edge_peft_types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Model reader (native/model): zero-copy view of .tflite bytes        */
/* ------------------------------------------------------------------ */

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
    int32_t quantized_bias_type; /* FULLY_CONNECTED: TensorType of an absent bias (16x8) */
    int32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask;
    bool ss_offset;
    float alpha;           /* LEAKY_RELU */
    /* shape / reduce operators */
    bool keep_dims;                /* MEAN (ReducerOptions) */
    int32_t squeeze_count;         /* SQUEEZE: squeeze_dims entries (0 = every size-1 dim) */
    int32_t squeeze_dims[EP_MAX_DIMS]; /* the first EP_MAX_DIMS of them */
    /* data-layout operators (axis above for GATHER, PACK, UNPACK) */
    int32_t values_count;          /* PACK values_count, UNPACK num */
    int32_t batch_dims;            /* GATHER */
    float cell_clip;               /* UNIDIRECTIONAL_SEQUENCE_LSTM (0: none) */
    bool time_major;
} ep_op_options;

typedef struct {
    int32_t opcode;            /* effective builtin code = max(deprecated, builtin) */
    const char *custom_code;   /* custom ops only, else NULL */
    const uint8_t *custom_options;   /* flexbuffer bytes in the model (custom ops), or NULL */
    uint32_t custom_options_size;
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
/* Does the engine run this operator (some type and option checks still happen at
 * prepare)? custom_code names a CUSTOM operator (opcode EP_OP_CUSTOM), else NULL. The one
 * list the session's "unsupported operators" message and `edge-peft ops` both read. */
bool ep_operator_supported(int32_t opcode, const char *custom_code);

/* An int8 activation operator (LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH) as a
 * table: table[(uint8_t)x] is its output for input x, computed by the operator's own prepare
 * and kernel (the trainer's forward through such an operator). EP_ERR_ARG for another op. */
ep_status ep_activation_table(const ep_model *model, int32_t op_index, int8_t table[256],
                              char *err, size_t err_size);

/* Operator display name: builtin name or the custom code. */
const char *ep_op_name(const ep_op_info *op);
const char *ep_type_name(int32_t type);
/* An integer (or bool) value of a custom operator's flexbuffer options map, by key: EP_OK and
 * *out, EP_ERR_ARG when the key is absent or not an integer, EP_ERR_MODEL when the
 * flexbuffer is malformed (every offset is checked against size). */
ep_status ep_flex_map_int(const uint8_t *buf, uint32_t size, const char *key, int64_t *out);

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
    /* The largest contiguous part of the activation region that no kept tensor occupies
     * (offset from the 16-byte aligned arena start, 16-byte aligned; 0 bytes when none).
     * Between invokes its bytes are dead: a caller (the trainer) may use them as scratch,
     * knowing that every invoke overwrites them. The planner is deterministic, so ep_plan
     * reports the same span that ep_session_init lays out. */
    uint32_t dead_offset;
    uint32_t dead_bytes;
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
/* The dead span of the activation region (plan.dead_offset / dead_bytes): free between
 * invokes; any invoke (or invoke_range) overwrites it. *buf NULL when it is empty. */
ep_status ep_session_dead_area(ep_session *s, void **buf, uint32_t *size);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_MODEL_H */
