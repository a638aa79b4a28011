/* TFLite Micro's operators and the kernel source that implements each: every builtin its
 * MicroMutableOpResolver registers (tensorflow/lite/micro/micro_mutable_op_resolver.h, each
 * Register_* traced to the .cc defining it) and the Signal library's custom operators
 * (signal/micro/kernels/), read from tflite-micro @ 90b983c2b3f1. Facts about TFLM only:
 * whether edge-peft runs an operator comes from the engine (ep_operator_supported), so this
 * table cannot go stale the way a "missing operators" list did. */
#include <string.h>

#include "tflm_kernels.h"

static const cli_tflm_kernel kernels[] = {
    {"ABS", 0, "elementwise.cc"},
    {"ADD", 0, "add.cc"},
    {"ADD_N", 0, "add_n.cc"},
    {"ARG_MAX", 0, "arg_min_max.cc"},
    {"ARG_MIN", 0, "arg_min_max.cc"},
    {"ASSIGN_VARIABLE", 0, "assign_variable.cc"},
    {"AVERAGE_POOL_2D", 0, "pooling.cc"},
    {"BATCH_MATMUL", 0, "batch_matmul.cc"},
    {"BATCH_TO_SPACE_ND", 0, "batch_to_space_nd.cc"},
    {"BROADCAST_ARGS", 0, "broadcast_args.cc"},
    {"BROADCAST_TO", 0, "broadcast_to.cc"},
    {"CALL_ONCE", 0, "call_once.cc"},
    {"CAST", 0, "cast.cc"},
    {"CEIL", 0, "ceil.cc"},
    {"CONCATENATION", 0, "concatenation.cc"},
    {"CONV_2D", 0, "conv.cc"},
    {"COS", 0, "elementwise.cc"},
    {"CUMSUM", 0, "cumsum.cc"},
    {"DEPTHWISE_CONV_2D", 0, "depthwise_conv.cc"},
    {"DEPTH_TO_SPACE", 0, "depth_to_space.cc"},
    {"DEQUANTIZE", 0, "dequantize.cc"},
    {"DIV", 0, "div.cc"},
    {"DYNAMIC_UPDATE_SLICE", 0, "dynamic_update_slice.cc"},
    {"ELU", 0, "elu.cc"},
    {"EMBEDDING_LOOKUP", 0, "embedding_lookup.cc"},
    {"EQUAL", 0, "comparisons.cc"},
    {"EXP", 0, "exp.cc"},
    {"EXPAND_DIMS", 0, "expand_dims.cc"},
    {"FILL", 0, "fill.cc"},
    {"FLOOR", 0, "floor.cc"},
    {"FLOOR_DIV", 0, "floor_div.cc"},
    {"FLOOR_MOD", 0, "floor_mod.cc"},
    {"FULLY_CONNECTED", 0, "fully_connected.cc"},
    {"GATHER", 0, "gather.cc"},
    {"GATHER_ND", 0, "gather_nd.cc"},
    {"GREATER", 0, "comparisons.cc"},
    {"GREATER_EQUAL", 0, "comparisons.cc"},
    {"HARD_SWISH", 0, "hard_swish.cc"},
    {"IF", 0, "if.cc"},
    {"L2_NORMALIZATION", 0, "l2norm.cc"},
    {"L2_POOL_2D", 0, "l2_pool_2d.cc"},
    {"LEAKY_RELU", 0, "leaky_relu.cc"},
    {"LESS", 0, "comparisons.cc"},
    {"LESS_EQUAL", 0, "comparisons.cc"},
    {"LOG", 0, "elementwise.cc"},
    {"LOGICAL_AND", 0, "logical.cc"},
    {"LOGICAL_NOT", 0, "elementwise.cc"},
    {"LOGICAL_OR", 0, "logical.cc"},
    {"LOGISTIC", 0, "logistic.cc"},
    {"LOG_SOFTMAX", 0, "log_softmax.cc"},
    {"MAXIMUM", 0, "maximum_minimum.cc"},
    {"MAX_POOL_2D", 0, "pooling.cc"},
    {"MEAN", 0, "reduce.cc"},
    {"MINIMUM", 0, "maximum_minimum.cc"},
    {"MIRROR_PAD", 0, "mirror_pad.cc"},
    {"MUL", 0, "mul.cc"},
    {"NEG", 0, "neg.cc"},
    {"NOT_EQUAL", 0, "comparisons.cc"},
    {"PACK", 0, "pack.cc"},
    {"PAD", 0, "pad.cc"},
    {"PADV2", 0, "pad.cc"},
    {"PRELU", 0, "prelu.cc"},
    {"QUANTIZE", 0, "quantize.cc"},
    {"READ_VARIABLE", 0, "read_variable.cc"},
    {"REDUCE_ALL", 0, "reduce.cc"},
    {"REDUCE_MAX", 0, "reduce.cc"},
    {"REDUCE_MIN", 0, "reduce.cc"},
    {"RELU", 0, "activations.cc"},
    {"RELU6", 0, "activations.cc"},
    {"RESHAPE", 0, "reshape.cc"},
    {"RESIZE_BILINEAR", 0, "resize_bilinear.cc"},
    {"RESIZE_NEAREST_NEIGHBOR", 0, "resize_nearest_neighbor.cc"},
    {"REVERSE_V2", 0, "reverse.cc"},
    {"ROUND", 0, "round.cc"},
    {"RSQRT", 0, "elementwise.cc"},
    {"SELECT_V2", 0, "select.cc"},
    {"SHAPE", 0, "shape.cc"},
    {"SIN", 0, "elementwise.cc"},
    {"SLICE", 0, "slice.cc"},
    {"SOFTMAX", 0, "softmax.cc"},
    {"SPACE_TO_BATCH_ND", 0, "space_to_batch_nd.cc"},
    {"SPACE_TO_DEPTH", 0, "space_to_depth.cc"},
    {"SPLIT", 0, "split.cc"},
    {"SPLIT_V", 0, "split_v.cc"},
    {"SQRT", 0, "elementwise.cc"},
    {"SQUARE", 0, "elementwise.cc"},
    {"SQUARED_DIFFERENCE", 0, "squared_difference.cc"},
    {"SQUEEZE", 0, "squeeze.cc"},
    {"STRIDED_SLICE", 0, "strided_slice.cc"},
    {"SUB", 0, "sub.cc"},
    {"SUM", 0, "reduce.cc"},
    {"SVDF", 0, "svdf.cc"},
    {"TANH", 0, "tanh.cc"},
    {"TRANSPOSE", 0, "transpose.cc"},
    {"TRANSPOSE_CONV", 0, "transpose_conv.cc"},
    {"UNIDIRECTIONAL_SEQUENCE_LSTM", 0, "unidirectional_sequence_lstm.cc"},
    {"UNPACK", 0, "unpack.cc"},
    {"VAR_HANDLE", 0, "var_handle.cc"},
    {"WHILE", 0, "while.cc"},
    {"ZEROS_LIKE", 0, "zeros_like.cc"},
    {"SignalDelay", 1, "delay.cc"},
    {"SignalEnergy", 1, "energy.cc"},
    {"SignalFftAutoScale", 1, "fft_auto_scale_kernel.cc"},
    {"SignalFilterBank", 1, "filter_bank.cc"},
    {"SignalFilterBankLog", 1, "filter_bank_log.cc"},
    {"SignalFilterBankSpectralSubtraction", 1, "filter_bank_spectral_subtraction.cc"},
    {"SignalFilterBankSquareRoot", 1, "filter_bank_square_root.cc"},
    {"SignalFramer", 1, "framer.cc"},
    {"SignalIrfft", 1, "irfft.cc"},
    {"SignalOverlapAdd", 1, "overlap_add.cc"},
    {"SignalPCAN", 1, "pcan.cc"},
    {"SignalRfft", 1, "rfft.cc"},
    {"SignalStacker", 1, "stacker.cc"},
    {"SignalWindow", 1, "window.cc"},
};

const cli_tflm_kernel *cli_tflm_kernels(size_t *count)
{
    *count = sizeof kernels / sizeof kernels[0];
    return kernels;
}

const char *cli_tflm_kernel_path(const char *name, size_t n, char *buf, size_t buf_size)
{
    for (size_t i = 0; i < sizeof kernels / sizeof kernels[0]; ++i) {
        if (strlen(kernels[i].name) == n && strncmp(kernels[i].name, name, n) == 0) {
            snprintf(buf, buf_size, "%s%s", kernels[i].signal ? "signal/micro/kernels/"
                                                              : "tensorflow/lite/micro/kernels/",
                     kernels[i].file);
            return buf;
        }
    }
    return NULL;
}
