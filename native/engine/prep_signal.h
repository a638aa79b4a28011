/* Internal to the audio front end's prepare (op_prepare_signal.c, op_prepare_signal_fe.c). */
#ifndef EP_PREP_SIGNAL_H
#define EP_PREP_SIGNAL_H

#include "prep_util.h"

/* The Signal custom operators, in the order of op_prepare_signal.c's name table. */
enum { SIG_WINDOW, SIG_AUTO_SCALE, SIG_RFFT, SIG_ENERGY, SIG_BANK, SIG_SQRT, SIG_SUBTRACT,
       SIG_PCAN, SIG_LOG, SIG_COUNT };

/* Input / output counts exactly ins / outs, no input missing. */
ep_status sig_io_counts(ctx_t *c, int32_t ins, int32_t outs);
/* An integer option of the flexbuffer map, within [lo, hi]. */
ep_status sig_opt(ctx_t *c, const char *key, int64_t lo, int64_t hi, int32_t *out);
/* Tensor t of this type and, unless rank < 0, this rank. */
ep_status sig_want(ctx_t *c, int32_t t, ep_tensor_info *info, int32_t type, int32_t rank,
                   const char *role);
/* The operator's zeroed persistent argument block of `bytes` (NULL in measure mode). */
void *sig_block(ctx_t *c, ep_op_rt *rt, int32_t kind, uint32_t bytes);
/* One Signal custom operator of kind SIG_* (op_prepare_signal_fe.c). */
ep_status sig_prep_frontend(ctx_t *c, int32_t kind, ep_op_rt *rt);

#endif
