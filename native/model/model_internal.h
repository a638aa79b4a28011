/* Internal flatbuffer primitives of the model reader. Every accessor checks
 * bounds against the model size before reading; reads are byte-wise little
 * endian, so the model bytes need no particular alignment for metadata. */
#ifndef EP_MODEL_INTERNAL_H
#define EP_MODEL_INTERNAL_H

#include <stdarg.h>

#include "edge_peft.h"

typedef struct {
    const uint8_t *d;
    uint64_t n;
    char *err;       /* may be NULL */
    size_t err_size;
} ep_fb;

/* A located table: its position and vtable. */
typedef struct {
    uint32_t pos;
    uint32_t vt;
    uint16_t vt_size;
    uint16_t tbl_size;
} ep_fbt;

static inline uint32_t ep_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static inline uint16_t ep_rd_u16(const uint8_t *p)
{
    return (uint16_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8));
}

static inline uint64_t ep_rd_u64(const uint8_t *p)
{
    return (uint64_t)ep_rd_u32(p) | ((uint64_t)ep_rd_u32(p + 4) << 32);
}

/* Formats into err (if any): supports %d (int32), %u (uint32), %s. Returns status. */
ep_status ep_fb_fail(const ep_fb *fb, ep_status status, const char *fmt, ...);
/* Prepends formatted context to the message already in err. */
ep_status ep_fb_prefix(const ep_fb *fb, ep_status status, const char *fmt, ...);
void ep_format(char *buf, size_t size, const char *fmt, va_list ap);

/* Table at absolute position; `what` names it in errors. */
ep_status ep_fb_table(const ep_fb *fb, uint32_t pos, ep_fbt *t, const char *what);
/* Position of field `id` with `size` bytes, or 0 if absent (default). */
ep_status ep_fb_field(const ep_fb *fb, const ep_fbt *t, int32_t id, uint32_t size,
                      uint32_t *pos);
ep_status ep_fb_u8(const ep_fb *fb, const ep_fbt *t, int32_t id, uint8_t dflt, uint8_t *out);
ep_status ep_fb_i32(const ep_fb *fb, const ep_fbt *t, int32_t id, int32_t dflt, int32_t *out);
ep_status ep_fb_u64(const ep_fb *fb, const ep_fbt *t, int32_t id, uint64_t *out);
ep_status ep_fb_f32(const ep_fb *fb, const ep_fbt *t, int32_t id, float dflt, float *out);
/* Referenced table (absent: *present = false). */
ep_status ep_fb_subtable(const ep_fb *fb, const ep_fbt *t, int32_t id, ep_fbt *sub,
                         bool *present, const char *what);
/* Vector of `elem` byte elements: *start = first element (0 count if absent). */
ep_status ep_fb_vector(const ep_fb *fb, const ep_fbt *t, int32_t id, uint32_t elem,
                       uint32_t *start, uint32_t *count, const char *what);
/* NUL-terminated string field; "" when absent. */
ep_status ep_fb_string(const ep_fb *fb, const ep_fbt *t, int32_t id, const char **out,
                       const char *what);
/* Element i of a vector of tables. */
ep_status ep_fb_vec_table(const ep_fb *fb, uint32_t start, uint32_t i, ep_fbt *t,
                          const char *what);

/* Parse builtin options for `opcode` (validates the union table). */
ep_status ep_parse_options(const ep_fb *fb, int32_t op_index, int32_t opcode,
                           uint8_t options_type, const ep_fbt *opts, bool present,
                           ep_op_options *out);

/* A checked-accessor view of a validated model's bytes (err may be NULL). */
static inline ep_fb ep_model_fb(const ep_model *m, char *err, size_t err_size)
{
    ep_fb fb;
    fb.d = m->data;
    fb.n = m->size;
    fb.err = err;
    fb.err_size = err_size;
    return fb;
}

/* One tensor record, every field checked (native/model/tensor.c); ep_model_open runs it on
 * every tensor, ep_model_tensor after open. */
ep_status ep_model_tensor_checked(const ep_model *m, const ep_fb *fb, int32_t index,
                                  ep_tensor_info *o);

#endif
