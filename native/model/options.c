/* Builtin options of the supported operators, read from the union table
 * with checked accessors; absent options get the schema defaults. */
#include "model_internal.h"

/* schema BuiltinOptions union member indices */
enum {
    OPT_CONV = 1, OPT_DW = 2, OPT_POOL = 5, OPT_SVDF = 6, OPT_FC = 8, OPT_SOFTMAX = 9,
    OPT_CONCAT = 10, OPT_ADD = 11, OPT_RESHAPE = 17, OPT_MUL = 21, OPT_PAD = 22,
    OPT_STRIDED_SLICE = 32, OPT_LEAKY_RELU = 75
};
/* shape / reduce operators (MAXIMUM, MINIMUM, EXPAND_DIMS have no fields to read) */
enum { OPT_REDUCER = 27, OPT_SUB = 28, OPT_SQUEEZE = 30 };
/* data-layout operators (SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, TRANSPOSE have no fields;
 * SHAPE's out_type is not read: TFLM checks the output tensor's type instead) */
enum { OPT_GATHER = 23, OPT_TRANSPOSE_CONV = 49, OPT_SHAPE = 55, OPT_PACK = 59, OPT_UNPACK = 64,
       OPT_SEQUENCE_LSTM = 71 };
/* the audio front end's int32 DIV (DivOptions: the fused activation) */
enum { OPT_DIV = 29 };

static int32_t expected_type(int32_t opcode)
{
    switch (opcode) {
    case EP_OP_CONV_2D: return OPT_CONV;
    case EP_OP_DEPTHWISE_CONV_2D: return OPT_DW;
    case EP_OP_AVERAGE_POOL_2D: case EP_OP_MAX_POOL_2D: return OPT_POOL;
    case EP_OP_SVDF: return OPT_SVDF;
    case EP_OP_FULLY_CONNECTED: return OPT_FC;
    case EP_OP_SOFTMAX: return OPT_SOFTMAX;
    case EP_OP_CONCATENATION: return OPT_CONCAT;
    case EP_OP_ADD: return OPT_ADD;
    case EP_OP_RESHAPE: return OPT_RESHAPE;
    case EP_OP_MUL: return OPT_MUL;
    case EP_OP_PAD: return OPT_PAD;
    case EP_OP_STRIDED_SLICE: return OPT_STRIDED_SLICE;
    case EP_OP_LEAKY_RELU: return OPT_LEAKY_RELU;
    /* shape / reduce operators */
    case EP_OP_MEAN: case EP_OP_SUM: return OPT_REDUCER;
    case EP_OP_SUB: return OPT_SUB;
    case EP_OP_SQUEEZE: return OPT_SQUEEZE;
    /* data-layout operators */
    case EP_OP_GATHER: return OPT_GATHER;
    case EP_OP_SHAPE: return OPT_SHAPE;
    case EP_OP_PACK: return OPT_PACK;
    case EP_OP_UNPACK: return OPT_UNPACK;
    case EP_OP_TRANSPOSE_CONV: return OPT_TRANSPOSE_CONV;
    case EP_OP_UNIDIRECTIONAL_SEQUENCE_LSTM: return OPT_SEQUENCE_LSTM;
    case EP_OP_DIV: return OPT_DIV;
    default: return -1;
    }
}

static ep_status byte_field(const ep_fb *fb, const ep_fbt *t, int32_t id, int32_t *out)
{
    uint8_t v;
    const ep_status st = ep_fb_u8(fb, t, id, 0, &v);
    *out = (int32_t)(int8_t)v;
    return st;
}

ep_status ep_parse_options(const ep_fb *fb, int32_t op_index, int32_t opcode,
                           uint8_t options_type, const ep_fbt *t, bool present,
                           ep_op_options *o)
{
    ep_status st = EP_OK;
    const int32_t want = expected_type(opcode);
    uint8_t flag = 0;
    __builtin_memset(o, 0, sizeof *o);
    o->stride_w = 1;
    o->stride_h = 1;
    o->dilation_w = 1;
    o->dilation_h = 1;
    o->depth_multiplier = 1;
    o->beta = 1.0f;
    o->filter_w = 1;
    o->filter_h = 1;
    if (want < 0 || !present) {
        return EP_OK;
    }
    if (options_type != (uint8_t)want) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "operator %d (%s): options type %d, want %d",
                          op_index, ep_builtin_op_name(opcode), (int32_t)options_type, want);
    }
    switch (want) {
    case OPT_CONV:
        if ((st = byte_field(fb, t, 0, &o->padding)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 1, &o->stride_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 2, 1, &o->stride_h)) != EP_OK ||
            (st = byte_field(fb, t, 3, &o->activation)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 4, 1, &o->dilation_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 5, 1, &o->dilation_h)) != EP_OK) {
            break;
        }
        break;
    case OPT_DW:
        if ((st = byte_field(fb, t, 0, &o->padding)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 1, &o->stride_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 2, 1, &o->stride_h)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 3, 1, &o->depth_multiplier)) != EP_OK ||
            (st = byte_field(fb, t, 4, &o->activation)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 5, 1, &o->dilation_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 6, 1, &o->dilation_h)) != EP_OK) {
            break;
        }
        break;
    case OPT_POOL:
        if ((st = byte_field(fb, t, 0, &o->padding)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 1, &o->stride_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 2, 1, &o->stride_h)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 3, 1, &o->filter_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 4, 1, &o->filter_h)) != EP_OK ||
            (st = byte_field(fb, t, 5, &o->activation)) != EP_OK) {
            break;
        }
        break;
    case OPT_SVDF:
        if ((st = ep_fb_i32(fb, t, 0, 0, &o->rank)) != EP_OK ||
            (st = byte_field(fb, t, 1, &o->activation)) != EP_OK) {
            break;
        }
        break;
    case OPT_FC:
        if ((st = byte_field(fb, t, 0, &o->activation)) != EP_OK ||
            (st = byte_field(fb, t, 1, &o->weights_format)) != EP_OK ||
            (st = ep_fb_u8(fb, t, 2, 0, &flag)) != EP_OK ||
            (st = byte_field(fb, t, 4, &o->quantized_bias_type)) != EP_OK) {
            break;
        }
        o->keep_num_dims = flag != 0;
        break;
    case OPT_SOFTMAX:
        st = ep_fb_f32(fb, t, 0, 0.0f, &o->beta);
        break;
    case OPT_LEAKY_RELU:
        st = ep_fb_f32(fb, t, 0, 0.0f, &o->alpha);
        break;
    case OPT_CONCAT:
        if ((st = ep_fb_i32(fb, t, 0, 0, &o->axis)) != EP_OK ||
            (st = byte_field(fb, t, 1, &o->activation)) != EP_OK) {
            break;
        }
        break;
    case OPT_ADD:
    case OPT_MUL:
    case OPT_DIV:
        st = byte_field(fb, t, 0, &o->activation);
        break;
    case OPT_STRIDED_SLICE:
        if ((st = ep_fb_i32(fb, t, 0, 0, &o->begin_mask)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 0, &o->end_mask)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 2, 0, &o->ellipsis_mask)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 3, 0, &o->new_axis_mask)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 4, 0, &o->shrink_axis_mask)) != EP_OK ||
            (st = ep_fb_u8(fb, t, 5, 0, &flag)) != EP_OK) {
            break;
        }
        o->ss_offset = flag != 0;
        break;
    /* shape / reduce operators */
    case OPT_SUB:
        st = byte_field(fb, t, 0, &o->activation);
        break;
    case OPT_REDUCER:
        if ((st = ep_fb_u8(fb, t, 0, 0, &flag)) != EP_OK) {
            break;
        }
        o->keep_dims = flag != 0;
        break;
    case OPT_SQUEEZE: {
        uint32_t start, count;
        if ((st = ep_fb_vector(fb, t, 0, 4, &start, &count, "squeeze_dims")) != EP_OK) {
            break;
        }
        o->squeeze_count = count > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)count;
        for (uint32_t i = 0; i < count && i < EP_MAX_DIMS; ++i) {
            o->squeeze_dims[i] = (int32_t)ep_rd_u32(fb->d + start + 4u * i);
        }
        break;
    }
    /* data-layout operators */
    case OPT_GATHER:
        if ((st = ep_fb_i32(fb, t, 0, 0, &o->axis)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 0, &o->batch_dims)) != EP_OK) {
            break;
        }
        break;
    case OPT_SEQUENCE_LSTM: /* fused activation, cell_clip, proj_clip, time_major, ... */
        if ((st = byte_field(fb, t, 0, &o->activation)) != EP_OK ||
            (st = ep_fb_f32(fb, t, 1, 0.0f, &o->cell_clip)) != EP_OK ||
            (st = ep_fb_u8(fb, t, 3, 0, &flag)) != EP_OK) {
            break;
        }
        o->time_major = flag != 0;
        break;
    case OPT_TRANSPOSE_CONV:
        if ((st = byte_field(fb, t, 0, &o->padding)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 1, &o->stride_w)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 2, 1, &o->stride_h)) != EP_OK ||
            (st = byte_field(fb, t, 3, &o->activation)) != EP_OK) {
            break;
        }
        break;
    case OPT_PACK:
    case OPT_UNPACK:
        /* PackOptions (values_count, axis) and UnpackOptions (num, axis): same slots */
        if ((st = ep_fb_i32(fb, t, 0, 0, &o->values_count)) != EP_OK ||
            (st = ep_fb_i32(fb, t, 1, 0, &o->axis)) != EP_OK) {
            break;
        }
        break;
    default:
        break; /* RESHAPE / PAD: everything needed is in the tensors */
    }
    if (st != EP_OK) {
        return ep_fb_prefix(fb, st, "operator %d (%s) options: ", op_index,
                            ep_builtin_op_name(opcode));
    }
    return EP_OK;
}
