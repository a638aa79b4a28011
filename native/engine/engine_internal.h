/* Internal session structures: per-tensor and per-operator runtime records,
 * all living in the caller's arena. */
#ifndef EP_ENGINE_INTERNAL_H
#define EP_ENGINE_INTERNAL_H

#include "edge_peft.h"
#include "plan.h"

/* Per tensor: planned buffer + resolved data pointer. */
typedef struct {
    ep_buf buf;        /* must stay first (planner list element) */
    uint8_t *data;     /* constant in the model, persistent, or planned */
    uint32_t bytes;
    int16_t alias;     /* RESHAPE output sharing another tensor's bytes, else -1 */
    uint8_t constant;  /* EP_CONST_*: 0 for activations and variables */
    uint8_t variable;
} ep_tensor_rt;

/* Per operator: op-lifetime scratch, tensor indices and kernel arguments. */
typedef struct {
    ep_buf scratch;    /* must stay first (planner list element); offset into activations */
    int16_t kind;      /* internal kernel id, see EP_K_* */
    int16_t out;
    int16_t in[5];
    union {
        struct {
            ep_fc_params p;
            ep_per_tensor_quant_params q;
            ep_per_channel_quant_params pc;
            int32_t *sums;
            ep_dims in_dims, filt_dims, out_dims;
        } fc;
        struct {
            ep_fc_s16_params p;
            ep_dims in_dims, filt_dims;
        } fc16;
        struct {
            ep_conv_params p;   /* DW: ch_mult below */
            int32_t ch_mult;
            ep_per_channel_quant_params pc;
            ep_dims in_dims, filt_dims, out_dims;
        } conv;
        struct {
            ep_pool_params p;
            ep_dims in_dims, filt_dims, out_dims;
        } pool;
        struct {
            ep_softmax_params p;
            int32_t rows, row_size;
        } softmax;
        struct {
            ep_per_tensor_quant_params q;
            int32_t in_type, out_type, in_zp, out_zp, count;
        } quant;
        struct {
            ep_svdf_params p;
            int32_t batch, input_size, num_filters, memory_size, num_units;
        } svdf;
        struct {
            float scale;
            int32_t zp, type, count;    /* type: the integer side */
        } edge;                         /* QUANTIZE from / DEQUANTIZE to float32 */
        struct {
            uint32_t bytes;
        } copy;
        struct {
            union {
                ep_sigmoid_params sigmoid;   /* LOGISTIC, TANH */
                ep_sigmoid16_params sigmoid16; /* their int16 forms */
                ep_relu_params relu;
                ep_activation clamp;         /* RELU6 */
                ep_leaky_relu_params leaky;
                ep_hard_swish_params hswish;
            } p;
            int32_t count;
        } act;
        struct {
            const void *params; /* persistent block: see op_prepare_data.c */
        } ext;
    } u;
} ep_op_rt;

enum {
    EP_K_FC, EP_K_FC_PC, EP_K_CONV, EP_K_CONV16, EP_K_DW, EP_K_AVGPOOL, EP_K_MAXPOOL,
    EP_K_SOFTMAX8, EP_K_SOFTMAX16, EP_K_QUANT, EP_K_SVDF, EP_K_RESHAPE, EP_K_ADD, EP_K_MUL,
    EP_K_PAD, EP_K_CONCAT, EP_K_SSLICE, EP_K_LOGISTIC, EP_K_TANH, EP_K_RELU, EP_K_RELU6,
    EP_K_LEAKY_RELU, EP_K_HARD_SWISH,
    /* shape / reduce operators (EXPAND_DIMS and SQUEEZE run as EP_K_RESHAPE) */
    EP_K_SUB, EP_K_MAXIMUM, EP_K_MINIMUM, EP_K_MEAN,
    /* data-layout operators (PACK runs as EP_K_CONCAT, SUM as EP_K_MEAN) */
    EP_K_NOP, EP_K_UNPACK, EP_K_GATHER, EP_K_S2B, EP_K_B2S, EP_K_TRANSPOSE,
    EP_K_QUANT_F32, EP_K_DEQUANT_F32,   /* float32 model edges */
    EP_K_TCONV, EP_K_TCONV16, EP_K_LSTM,
    /* the Signal library's audio front end and its int32 / unsigned builtins
     * (op_prepare_signal.c) */
    EP_K_SIG_WINDOW, EP_K_SIG_AUTO_SCALE, EP_K_SIG_RFFT, EP_K_SIG_ENERGY, EP_K_SIG_BANK,
    EP_K_SIG_SQRT, EP_K_SIG_SUBTRACT, EP_K_SIG_PCAN, EP_K_SIG_LOG, EP_K_CAST, EP_K_I32,
    /* 16x8 variants (CONV_2D's and TRANSPOSE_CONV's above; op_prepare_s16.c) */
    EP_K_FC16, EP_K_DW16, EP_K_AVGPOOL16, EP_K_MAXPOOL16, EP_K_ADD16, EP_K_MUL16,
    EP_K_SOFTMAX_S16, EP_K_RELU16, EP_K_RELU6_16, EP_K_LEAKY16, EP_K_LOGISTIC16, EP_K_TANH16,
    EP_K_MAXIMUM16, EP_K_MINIMUM16, EP_K_PAD16, EP_K_SUB16, EP_K_MEAN16
};

/* ep_tensor_rt.constant: in the model, or folded at prepare time (every input constant, as
 * SHAPE's always is: the chain SHAPE -> STRIDED_SLICE -> PACK that dynamic-batch models feed
 * RESHAPE) into the build's fold pool. A folded value that some operator reads at invoke, or
 * that is a model output or kept tensor, is copied to persistent memory at the end of the
 * build (EP_CONST_FOLDED_READ); the others need no bytes at all. */
enum { EP_CONST_NONE = 0, EP_CONST_MODEL = 1, EP_CONST_FOLDED = 2, EP_CONST_FOLDED_READ = 3 };
#define EP_FOLD_POOL_BYTES 256u   /* all folded values of one model, during the build */
#define EP_FOLD_MAX_BYTES 64u     /* one folded value; larger constant results run at invoke */

/* UNPACK arguments: output tensors (the op record holds one). */
typedef struct {
    int32_t count, outer, copy_bytes;
    int16_t out[EP_MAX_OP_OUTPUTS];
} ep_unpack_rt;

/* CONCATENATION arguments: input tensors (the op record holds only 5). At most 12 inputs,
 * the limit before LSTM raised EP_MAX_OP_INPUTS, so a CONCATENATION's block stays as small. */
#define EP_MAX_CONCAT_INPUTS 12
typedef struct {
    int32_t count, outer;
    int16_t in[EP_MAX_CONCAT_INPUTS];
    int32_t axis_bytes[EP_MAX_CONCAT_INPUTS];
} ep_concat_rt;

/* UNIDIRECTIONAL_SEQUENCE_LSTM arguments and the tensors it reads. */
typedef struct {
    ep_lstm_params p;
    int16_t w_in[4], w_rec[4], bias[4], hidden, cell;
    bool wide;                       /* the 16x8 form (ep_lstm_s16) */
} ep_lstm_rt;

/* Audio front-end arguments (op_prepare_signal.c). */
typedef struct {
    int32_t size, window_size, shift;
} ep_sig_window_rt;
typedef struct {
    int32_t count;
    int16_t aux;           /* SignalFftAutoScale: the scale-bits output tensor */
} ep_sig_count_rt;
typedef struct {
    ep_rfft_params p;      /* followed by n / 2 twiddles and n / 4 super twiddles */
} ep_sig_rfft_rt;
typedef struct {
    int32_t count, start, end;
} ep_sig_energy_rt;
typedef struct {
    ep_spectral_subtraction_params p;
    int16_t noise_out;     /* followed by the channels' noise state (uint32 each) */
} ep_sig_subtract_rt;
typedef struct {
    int32_t count, a, b;   /* PCAN: gain table size, snr shift; log: output scale, bits */
} ep_sig_pcan_rt;
typedef struct {
    ep_broadcast_dims dims;
    ep_i32_params p;
} ep_sig_i32_rt;

/* Persistent allocator used by prepare. In measure mode (base NULL) it only
 * counts; prepare then skips writing. */
typedef struct {
    const ep_model *model;
    ep_tensor_rt *tensors;
    uint8_t *base;
    uint32_t used;
    uint32_t cap;
    uint8_t *fold;        /* fold pool (EP_FOLD_POOL_BYTES, the build's stack) */
    uint32_t fold_used;
    char *err;
    size_t err_size;
} ep_prep;

void *ep_prep_alloc(ep_prep *p, uint32_t bytes);
ep_status ep_prep_fail(ep_prep *p, ep_status st, const char *fmt, ...);

/* Validate one operator and fill its record; allocates persistent data. */
ep_status ep_op_prepare(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* ADD, MUL, PAD, CONCATENATION, STRIDED_SLICE (op_prepare_data.c). */
ep_status ep_op_prepare_data(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* LOGISTIC, TANH, RELU, RELU6, LEAKY_RELU, HARD_SWISH (op_prepare_act.c). */
ep_status ep_op_prepare_act(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* SUB, MAXIMUM, MINIMUM, EXPAND_DIMS, SQUEEZE, MEAN, SUM (op_prepare_shape.c). */
ep_status ep_op_prepare_shape(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* SHAPE, PACK, UNPACK, GATHER, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, TRANSPOSE
 * (op_prepare_layout.c), DEQUANTIZE and QUANTIZE from float32 (op_prepare_layout.c). */
ep_status ep_op_prepare_layout(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* UNIDIRECTIONAL_SEQUENCE_LSTM (op_prepare_lstm.c). */
ep_status ep_op_prepare_lstm(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* TRANSPOSE_CONV (op_prepare_tconv.c). */
ep_status ep_op_prepare_tconv(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
/* The audio front end: custom Signal operators, CAST, DIV and int32 ADD / MUL / MINIMUM /
 * MAXIMUM (op_prepare_signal.c). ep_op_is_signal says whether an operator goes there. */
bool ep_op_is_signal(const ep_prep *p, const ep_op_info *op);
/* Is this custom code one of the Signal operators we run? (ep_operator_supported) */
bool ep_signal_custom_supported(const char *custom_code);
ep_status ep_op_prepare_signal(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt);
ep_status ep_op_eval_signal(ep_session *s, ep_op_rt *rt, const ep_context *ctx);
/* Zeroes the spectral subtraction noise states (TFLM's Reset). */
void ep_signal_reset(ep_session *s);
ep_status ep_op_eval(ep_session *s, ep_op_rt *rt);
/* Is this operator kind (with these types) supported? */
bool ep_op_supported(int32_t opcode);

#endif
