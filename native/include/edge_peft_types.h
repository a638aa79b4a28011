/*
 * edge_peft_types.h - status codes, compile-time limits and the .tflite schema enums every
 * layer shares. Part of the public API; include "edge_peft.h", which reaches every part.
 */
#ifndef EDGE_PEFT_TYPES_H
#define EDGE_PEFT_TYPES_H

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
#define EP_MAX_OP_INPUTS 24    /* inputs per operator (UNIDIRECTIONAL_SEQUENCE_LSTM has 24) */
#define EP_MAX_OP_OUTPUTS 4    /* outputs per operator */
#define EP_MAX_TENSORS 256     /* tensors in subgraph 0 (ep_plan stack workspace) */
#define EP_MAX_OPS 256         /* operators in subgraph 0 (ep_plan stack workspace) */
#define EP_MAX_IO 8            /* model inputs / outputs */

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
    EP_OP_QUANTIZE = 114, EP_OP_LOGISTIC = 14, EP_OP_RELU = 19, EP_OP_RELU6 = 21,
    EP_OP_TANH = 28, EP_OP_LEAKY_RELU = 98, EP_OP_HARD_SWISH = 117
};

/* schema BuiltinOperator values: shape, reduce and min/max operators */
enum {
    EP_OP_MEAN = 40, EP_OP_SUB = 41, EP_OP_SQUEEZE = 43, EP_OP_MAXIMUM = 55, EP_OP_MINIMUM = 57,
    EP_OP_EXPAND_DIMS = 70
};

/* schema BuiltinOperator values: data-layout operators and SUM */
enum {
    EP_OP_GATHER = 36, EP_OP_BATCH_TO_SPACE_ND = 37, EP_OP_SPACE_TO_BATCH_ND = 38,
    EP_OP_TRANSPOSE = 39, EP_OP_SUM = 74, EP_OP_SHAPE = 77, EP_OP_PACK = 83, EP_OP_UNPACK = 88,
    EP_OP_TRANSPOSE_CONV = 67, EP_OP_UNIDIRECTIONAL_SEQUENCE_LSTM = 44
};

/* schema ActivationFunctionType / Padding */
enum { EP_ACT_NONE = 0, EP_ACT_RELU = 1, EP_ACT_RELU_N1_TO_1 = 2, EP_ACT_RELU6 = 3 };
enum { EP_PADDING_SAME = 0, EP_PADDING_VALID = 1 };

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_TYPES_H */
