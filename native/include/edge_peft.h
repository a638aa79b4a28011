/*
 * edge_peft.h - the one public header of the edge-peft native engine: including it gives the
 * whole API. The parts are split by topic only to keep each file readable; each part includes
 * what it needs, but users should include this file rather than a part.
 *
 * Layers, bottom up (each usable on its own):
 *   0. status codes, limits, schema enums           (edge_peft_types.h);
 *   1. requantisation helpers and int8 kernels in CMSIS-NN style
 *      (explicit context / params / quant / dims structs, status return)
 *                                                   (edge_peft_kernels.h);
 *      elementwise, activation, data-movement, shape and reduce kernels
 *                                                   (edge_peft_elementwise.h);
 *      data-layout kernels: UNPACK, GATHER, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND, TRANSPOSE
 *                                                   (edge_peft_layout.h);
 *      the Signal library's audio front end (window, FFT, filter bank, PCAN, log) and
 *      int32 CAST / elementwise arithmetic       (edge_peft_signal.h);
 *   2. the zero-copy, no-heap .tflite reader (ep_model_*), then
 *   3. the arena planner and inference session (ep_plan, ep_session_*)
 *                                                   (edge_peft_model.h);
 *   4. integer-only adapter training on the frozen model (ept_*: configuration, spec
 *      parsing, plan, session, step, export / import, EWC, checkpoint, rates)
 *                                                   (edge_peft_train.h);
 *   5. LoRA merge for inference (epm_*)              (edge_peft_merge.h).
 * Nothing here allocates or prints. All memory is caller supplied.
 * Integer semantics are those of the TFLite Micro reference kernels
 * (see docs/engine.md and ../shared/notes/int8-semantics.md).
 */
#ifndef EDGE_PEFT_H
#define EDGE_PEFT_H

#include "edge_peft_types.h"
#include "edge_peft_kernels.h"
#include "edge_peft_elementwise.h"
#include "edge_peft_layout.h"
#include "edge_peft_signal.h"
#include "edge_peft_model.h"
#include "edge_peft_train.h"
#include "edge_peft_merge.h"

#endif /* EDGE_PEFT_H */
