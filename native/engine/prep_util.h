/* Internal helpers for operator prepare. */
#ifndef EP_PREP_UTIL_H
#define EP_PREP_UTIL_H

#include "engine_internal.h"
#include "model_internal.h"

typedef struct {
    ep_prep *p;
    int32_t index;
    const ep_op_info *op;
} ctx_t;

#define FAIL(c, st, ...) ep_prep_fail((c)->p, st, __VA_ARGS__)

ep_status pu_tensor(ctx_t *c, int32_t t, ep_tensor_info *out, const char *role);
ep_status pu_want_type(ctx_t *c, const ep_tensor_info *t, int32_t type, const char *role);
ep_status pu_want_quant(ctx_t *c, const ep_tensor_info *t, const char *role);
ep_dims pu_nhwc(const ep_tensor_info *t);
int32_t pu_out_size(int32_t padding, int32_t in, int32_t k, int32_t stride, int32_t dil);
int32_t pu_pad_before(int32_t out, int32_t in, int32_t k, int32_t stride, int32_t dil);
/* Window index math of a conv / pool fits the kernels' int32 (see prep_util.c). */
bool pu_window_fits(int32_t in, int32_t out, int32_t k, int32_t stride, int32_t dil);
ep_status pu_activation(ctx_t *c, const ep_tensor_info *out, int32_t act, int32_t qmin,
                        int32_t qmax, ep_activation *r);
ep_status pu_channel_multipliers(ctx_t *c, const ep_tensor_info *in, const ep_tensor_info *w,
                                 const ep_tensor_info *out, int32_t channels,
                                 ep_per_channel_quant_params *pc);
ep_status pu_const_weights(ctx_t *c, const ep_tensor_info *w, const ep_tensor_info *bias,
                           int32_t bias_type, int32_t bias_len);
/* FULLY_CONNECTED's tensors and shape, read and checked once for the int8 and 16x8 prepares. */
typedef struct {
    ep_tensor_info in, w, b, out;
    bool has_bias;
    int32_t rows, depth, batches;
} pu_fc;
/* Reads FULLY_CONNECTED's tensors and checks what both variants check, in this order (a model
 * with several faults reports the first): input and output int8, or int16 for an int16 input;
 * input, filter and output quantized; a 2-D filter whose depth divides the input; output
 * elements = batches x rows. */
ep_status pu_fc_check(ctx_t *c, pu_fc *f);
/* FULLY_CONNECTED with int16 input, after pu_fc_check (op_prepare_s16.c). */
ep_status ep_op_prepare_fc16(ctx_t *c, const pu_fc *f, ep_op_rt *rt);
/* Right-aligns a shape to EP_MAX_DIMS (leading 1s). */
void pu_align_dims(const ep_tensor_info *t, int32_t *d);
/* Broadcast strides of a and b onto out (each dim equal or 1, as TFLM). */
ep_status pu_broadcast(ctx_t *c, const ep_tensor_info *a, const ep_tensor_info *b,
                       const ep_tensor_info *out, ep_broadcast_dims *bd);

/* Constant folding (see EP_CONST_* in engine_internal.h). */
bool pu_all_inputs_const(ctx_t *c);
/* Data of an input that is constant (in the model or folded), else NULL. */
const uint8_t *pu_const_data(ctx_t *c, int32_t t);
/* Room in the fold pool for the op's output: marks it folded and the op a no-op, or NULL
 * when its bytes exceed EP_FOLD_MAX_BYTES or the pool is full (the op then runs at invoke).
 * The same in measure and real builds, so both lay out the same arena. */
uint8_t *pu_fold_output(ctx_t *c, int32_t t, const ep_tensor_info *out, ep_op_rt *rt);

/* CONCATENATION / PACK: fold or store the arguments (op_prepare_data.c). */
ep_status ep_concat_finish(ctx_t *c, ep_op_rt *rt, const ep_concat_rt *p,
                           const ep_tensor_info *out);

#define TRY(x) do { const ep_status st_ = (x); if (st_ != EP_OK) { return st_; } } while (0)

#endif
