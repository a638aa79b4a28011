/*
 * edge_peft_merge.h - LoRA merge for inference (epm_*): folds a trainer's LoRA (int8 A view,
 * int16 B master, their scales) and bias delta into a requantised RAM copy of each adapted layer,
 * W' = W + (alpha/r) B A, so the layer runs as a plain int8 FC / 1x1 conv.
 * Part of the public API; include "edge_peft.h".
 *
 * Scales: each output row keeps the base layer's weight scale when the merged row still fits
 * int8 (|W'| <= 127 after rounding): then the bias and requantisation multipliers are the
 * base's and only weights (and the bias delta) change. A row that overflows gets its scale
 * re-derived per output channel (max |W'_real| / 127) and its bias rescaled; `rescaled_rows`
 * counts them. Doubles (IEEE, -ffp-contract=off) as in ept_init: prepare-time work.
 * Prompt adapters cannot be folded into weights (sat8 on the input): EP_ERR_ARG.
 * Nothing allocates; the caller's buffer (epm_merge_bytes) holds every merged layer.
 */
#ifndef EDGE_PEFT_MERGE_H
#define EDGE_PEFT_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "edge_peft_train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One merged layer, pointing into the caller's buffer. */
typedef struct {
    int32_t fc_index;          /* adaptable-layer index (FC, 1x1 conv) */
    int32_t op_index;          /* model operator */
    int32_t in, out;           /* dims: weights out x in, row-major like the model's */
    int32_t rescaled_rows;     /* rows whose scale was re-derived */
    int8_t *weights;           /* out x in */
    int32_t *bias;             /* out, accumulator units s_in * scale[row] */
    float *scale;              /* out: the weight scale of each row */
} epm_layer;

typedef struct {
    int32_t layer_count;
    epm_layer layers[EPT_MAX_LAYERS];
} epm_merged;

/* Bytes epm_merge needs for this trainer's adapted layers (0 on bad arguments). */
size_t epm_merge_bytes(const ept_trainer *t);
/* Folds the trainer's current adapter into buf; out describes the layers. Layers with only a
 * bias delta are merged too (weights copied). err names a refusal. */
ep_status epm_merge(const ept_trainer *t, void *buf, size_t bytes, epm_merged *out,
                    char *err, size_t err_size);

/* Points operator m->op_index of a ready session (an int8 FULLY_CONNECTED, or an ungrouped
 * int8 1x1 CONV_2D, any stride: an FC per output pixel, filter [out, 1, 1, in]) at the merged
 * weights and bias (which must outlive the session's use) and recomputes an FC's kernel sums:
 * same kernel, same cost as the base. EP_ERR_UNSUPPORTED for other operators, a layer without
 * a bias tensor, or rescaled rows (use epm_session_apply_rows); EP_ERR_SHAPE / EP_ERR_SIZE on
 * other dims. To unmerge, initialise the session again. */
ep_status epm_session_apply(ep_session *s, const epm_layer *m);
/* As epm_session_apply, for a layer with rescaled rows too: fills multiplier / shift (rows =
 * m->out entries each, the caller's memory, which must outlive the session's use) from the
 * model's input and output scales and each row's merged scale (TFLM's per-channel formula, in
 * doubles), and runs the layer on the per-channel FC kernel (same MACs): what TFLite Micro
 * computes for a per-channel model with these scales. A 1x1 conv keeps its (per-channel)
 * kernel and takes these multipliers in place of prepare's.
 * EP_ERR_QUANT when a row's multiplier is out of range. */
ep_status epm_session_apply_rows(ep_session *s, const epm_layer *m, int32_t *multiplier, int32_t *shift,
                                 int32_t rows);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_MERGE_H */
