/* Tensor records of the zero-copy .tflite reader: type, shape, quantisation and constant data
 * of one tensor, every field checked (split from model.c, which validates the model as a whole
 * and calls ep_model_tensor_checked for every tensor at open). */
#include <string.h>

#include "model_internal.h"

/* schema field ids (Tensor, QuantizationParameters, Buffer) */
enum { T_SHAPE = 0, T_TYPE = 1, T_BUFFER = 2, T_NAME = 3, T_QUANT = 4, T_VARIABLE = 5,
       T_SPARSITY = 6 };
enum { Q_SCALE = 2, Q_ZERO_POINT = 3, Q_DETAILS_TYPE = 4, Q_DIM = 6 };
enum { B_DATA = 0, B_OFFSET = 1, B_SIZE = 2 };

static int32_t element_bytes(int32_t type)
{
    switch (type) {
    case EP_TYPE_INT8: case EP_TYPE_UINT8: case EP_TYPE_BOOL: return 1;
    case EP_TYPE_INT16: case EP_TYPE_FLOAT16: return 2;
    case EP_TYPE_INT32: case EP_TYPE_FLOAT32: return 4;
    case EP_TYPE_INT64: case 10 /* FLOAT64 */: case 8 /* COMPLEX64 */:
    case 12 /* UINT64 */: return 8;
    case 15 /* UINT32 */: return 4;
    case 16 /* UINT16 */: return 2;
    default: return 0; /* strings, resources, variants, sub-byte types */
    }
}

const char *ep_type_name(int32_t type)
{
    switch (type) {
    case EP_TYPE_FLOAT32: return "float32";
    case EP_TYPE_FLOAT16: return "float16";
    case EP_TYPE_INT32: return "int32";
    case EP_TYPE_UINT8: return "uint8";
    case EP_TYPE_INT64: return "int64";
    case EP_TYPE_BOOL: return "bool";
    case EP_TYPE_INT16: return "int16";
    case EP_TYPE_INT8: return "int8";
    case 8: return "complex64";
    case 10: return "float64";
    case 12: return "uint64";
    case 15: return "uint32";
    case 16: return "uint16";
    default: return "unsupported";
    }
}

static ep_status tensor_quant(const ep_fb *fb, int32_t index, const ep_fbt *t,
                              ep_tensor_info *o)
{
    ep_fbt q;
    bool present;
    uint32_t start, count, zstart, zcount;
    uint8_t details;
    ep_status st = ep_fb_subtable(fb, t, T_QUANT, &q, &present, "tensor quantization");
    if (st != EP_OK || !present) {
        return st;
    }
    if ((st = ep_fb_vector(fb, &q, Q_SCALE, 4, &start, &count, "quantization scale")) != EP_OK ||
        (st = ep_fb_vector(fb, &q, Q_ZERO_POINT, 8, &zstart, &zcount, "quantization zero_point")) != EP_OK ||
        (st = ep_fb_u8(fb, &q, Q_DETAILS_TYPE, 0, &details)) != EP_OK ||
        (st = ep_fb_i32(fb, &q, Q_DIM, 0, &o->quantized_dimension)) != EP_OK) {
        return st;
    }
    if (details != 0) {
        return ep_fb_fail(fb, EP_ERR_UNSUPPORTED, "tensor %d: custom quantization details", index);
    }
    if (zcount != 0 && zcount != count) {
        return ep_fb_fail(fb, EP_ERR_QUANT, "tensor %d: %u zero points for %u scales", index,
                          zcount, count);
    }
    if (count > (uint32_t)INT32_MAX) {
        return ep_fb_fail(fb, EP_ERR_QUANT, "tensor %d: too many scales", index);
    }
    o->scale_count = (int32_t)count;
    o->zero_point_count = (int32_t)zcount;
    o->scales_le = count ? fb->d + start : NULL;
    o->zero_points_le = zcount ? fb->d + zstart : NULL;
    for (uint32_t i = 0; i < count; ++i) {
        const float s = ep_tensor_scale(o, (int32_t)i);
        if (!(s >= 0.0f && s <= 3.0e38f)) {
            return ep_fb_fail(fb, EP_ERR_QUANT, "tensor %d: scale %u not finite", index, i);
        }
    }
    for (uint32_t i = 0; i < zcount; ++i) {
        const int64_t z = (int64_t)ep_rd_u64(o->zero_points_le + 8u * i);
        if (z < -32768 || z > 65535) {
            return ep_fb_fail(fb, EP_ERR_QUANT, "tensor %d: zero point %u out of range", index, i);
        }
    }
    if (count > 1) {
        const int32_t qd = o->quantized_dimension;
        /* Per-channel axis; 1-D biases sometimes carry the filter's axis
         * (person_detect DW biases say 3), so only the length is checked then. */
        const int32_t axis_len = (qd >= 0 && qd < o->rank) ? o->dims[qd]
                                 : (o->rank == 1 ? o->dims[0] : -1);
        if (qd < 0 || axis_len != (int32_t)count) {
            return ep_fb_fail(fb, EP_ERR_QUANT, "tensor %d: %u scales do not match axis %d",
                              index, count, qd);
        }
    }
    return EP_OK;
}

static ep_status tensor_data(const ep_model *m, const ep_fb *fb, int32_t index, ep_tensor_info *o)
{
    ep_fbt b;
    uint32_t start, len;
    uint64_t off, size;
    ep_status st;
    if (o->buffer < 0 || o->buffer >= m->buffer_count) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "tensor %d: buffer %d out of range (%d buffers)",
                          index, o->buffer, m->buffer_count);
    }
    if ((st = ep_fb_vec_table(fb, m->buffers, (uint32_t)o->buffer, &b, "buffer")) != EP_OK ||
        (st = ep_fb_vector(fb, &b, B_DATA, 1, &start, &len, "buffer data")) != EP_OK ||
        (st = ep_fb_u64(fb, &b, B_OFFSET, &off)) != EP_OK ||
        (st = ep_fb_u64(fb, &b, B_SIZE, &size)) != EP_OK) {
        return st;
    }
    const uint8_t *p = NULL;
    uint64_t have = 0;
    if (len > 0) {
        p = fb->d + start;
        have = len;
    } else if (off > 1) {
        /* Large-model layout: data after the flatbuffer, still inside our bytes. */
        if (off > fb->n || size > fb->n - off) {
            return ep_fb_fail(fb, EP_ERR_MODEL, "tensor %d: buffer %d offset out of range",
                              index, o->buffer);
        }
        p = fb->d + off;
        have = size;
    }
    if (p == NULL) {
        return EP_OK;
    }
    if (have < o->bytes) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "tensor %d: buffer %d too short: %u < %u", index,
                          o->buffer, (uint32_t)have, o->bytes);
    }
    /* Kernels read int16/int32 data in place: it must be naturally aligned. int64 (16x8
     * biases) only 4-aligned, as the converter writes it: its one reader copies each value. */
    if (((uintptr_t)p % (uintptr_t)(o->element_bytes > 4 ? 4 : o->element_bytes)) != 0) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "tensor %d: buffer %d misaligned for %s", index,
                          o->buffer, ep_type_name(o->type));
    }
    o->data = p;
    return EP_OK;
}

ep_status ep_model_tensor_checked(const ep_model *m, const ep_fb *fb, int32_t index,
                                  ep_tensor_info *o)
{
    ep_fbt t, sp;
    uint32_t start, rank, buffer;
    uint8_t type, var;
    bool present;
    ep_status st;
    memset(o, 0, sizeof *o);
    if ((st = ep_fb_vec_table(fb, m->tensors, (uint32_t)index, &t, "tensor")) != EP_OK ||
        (st = ep_fb_vector(fb, &t, T_SHAPE, 4, &start, &rank, "tensor shape")) != EP_OK ||
        (st = ep_fb_u8(fb, &t, T_TYPE, 0, &type)) != EP_OK ||
        (st = ep_fb_i32(fb, &t, T_BUFFER, 0, (int32_t *)&buffer)) != EP_OK ||
        (st = ep_fb_string(fb, &t, T_NAME, &o->name, "tensor name")) != EP_OK ||
        (st = ep_fb_u8(fb, &t, T_VARIABLE, 0, &var)) != EP_OK ||
        (st = ep_fb_subtable(fb, &t, T_SPARSITY, &sp, &present, "tensor sparsity")) != EP_OK) {
        return ep_fb_prefix(fb, st, "tensor %d: ", index);
    }
    if (present) {
        return ep_fb_fail(fb, EP_ERR_UNSUPPORTED, "tensor %d: sparse tensors not supported", index);
    }
    if (rank > EP_MAX_DIMS) {
        return ep_fb_fail(fb, EP_ERR_LIMIT, "tensor %d: rank %u > %d", index, rank, EP_MAX_DIMS);
    }
    o->type = (int32_t)(int8_t)type;
    o->element_bytes = element_bytes(o->type);
    if (o->element_bytes == 0) {
        return ep_fb_fail(fb, EP_ERR_UNSUPPORTED, "tensor %d: unsupported type %d", index, o->type);
    }
    o->rank = (int32_t)rank;
    uint64_t elements = 1;
    for (uint32_t i = 0; i < rank; ++i) {
        const int32_t d = (int32_t)ep_rd_u32(fb->d + start + 4u * i);
        if (d < 0) {
            return ep_fb_fail(fb, EP_ERR_SHAPE, "tensor %d: dimension %u is %d", index, i, d);
        }
        o->dims[i] = d;
        elements *= (uint64_t)d;
        if (elements > (uint64_t)(INT32_MAX / 8)) {
            return ep_fb_fail(fb, EP_ERR_LIMIT, "tensor %d: too many elements", index);
        }
    }
    o->elements = (int32_t)elements;
    o->bytes = (uint32_t)elements * (uint32_t)o->element_bytes;
    o->buffer = (int32_t)buffer;
    o->is_variable = var != 0;
    o->quantized_dimension = 0;
    if ((st = tensor_quant(fb, index, &t, o)) != EP_OK) {
        return st == EP_ERR_MODEL ? ep_fb_prefix(fb, st, "tensor %d: ", index) : st;
    }
    return tensor_data(m, fb, index, o);
}

ep_status ep_model_tensor(const ep_model *m, int32_t index, ep_tensor_info *out)
{
    if (m == NULL || out == NULL || index < 0 || index >= m->tensor_count) {
        return EP_ERR_ARG;
    }
    const ep_fb fb = ep_model_fb(m, NULL, 0);
    return ep_model_tensor_checked(m, &fb, index, out);
}

float ep_tensor_scale(const ep_tensor_info *t, int32_t i)
{
    float s = 0.0f;
    if (t != NULL && i >= 0 && i < t->scale_count) {
        const uint32_t bits = ep_rd_u32(t->scales_le + 4u * (uint32_t)i);
        memcpy(&s, &bits, sizeof s);
    }
    return s;
}

int32_t ep_tensor_zero_point(const ep_tensor_info *t, int32_t i)
{
    if (t == NULL || i < 0 || i >= t->zero_point_count) {
        return 0;
    }
    return (int32_t)(int64_t)ep_rd_u64(t->zero_points_le + 8u * (uint32_t)i);
}
