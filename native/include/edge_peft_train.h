/*
 * edge_peft_train.h - integer-only adapter training on a frozen INT8 model (ept_*).
 * Part of the public API; include "edge_peft.h", which reaches every part.
 *
 * Adapters (see docs/training.md):
 *   LoRA   y = W x + (alpha/r) B A x, side path, A (r x in), B (out x r), B = 0 at init;
 *   bias   a trainable delta added to a layer's int32 bias (accumulator units);
 *   prompt a trainable int8 offset added to the first `len` features of a layer's input;
 *   full   every weight and bias of the layer trained (int16 masters of W, int32 bias delta);
 *   adapter a bottleneck after the layer's output y: y' = y + U relu(D y), U = 0 at init.
 * Adapters sit on FULLY_CONNECTED and 1x1 CONV_2D (stride 1) layers; layer indices count
 * those operators in execution order, negative ones from the end (-1 = the last). A 1x1 conv
 * is the FC matrix applied at every spatial position.
 *
 * Numerics: int8 activations and adapter views (LoRA B is read at its int16 master), int32
 * accumulators, int16-normalised gradients with integer exponents, int16 master weights with
 * 8 bits below the int8 view (int32 for bias), stochastic rounding from a seeded counter PRNG. Doubles appear only in
 * ept_plan / ept_init (scales -> fixed-point multipliers), IEEE, -ffp-contract=off.
 * Nothing allocates, nothing prints; every call returns an ep_status.
 */
#ifndef EDGE_PEFT_TRAIN_H
#define EDGE_PEFT_TRAIN_H

#include <stddef.h>
#include <stdint.h>

/* The trainer runs on the reader and session: it needs their types, not the kernels. */
#include "edge_peft_model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EPT_MAX_LAYERS 8       /* layers (FC, 1x1 conv, global avg pool) from the lowest adapter up */
#define EPT_MAX_CLASSES 64     /* softmax width */
#define EPT_MAX_TENSORS (4 * EPT_MAX_LAYERS)

/* FULL: every weight and bias of the layer trained (the baseline PEFT is measured against). */
/* ADAPTER: a bottleneck adapter (Houlsby) after the layer: y' = y + U relu(D y). */
enum { EPT_KIND_LORA = 1, EPT_KIND_BIAS = 2, EPT_KIND_PROMPT = 4, EPT_KIND_FULL = 8, EPT_KIND_ADAPTER = 16 };
/* Layer types of the trained suffix (pools, MEAN included, and activation operators are
 * frozen and carry no adapter). */
enum { EPT_LAYER_FC = 0, EPT_LAYER_CONV1X1 = 1, EPT_LAYER_AVGPOOL = 2, EPT_LAYER_ACT = 3 };

/* Inclusive layer range; negative indices count from the last FC (-1). */
typedef struct {
    int16_t first, last;
} ept_range;

/* Adapter + optimiser configuration. Real-valued options are decimal fixed point
 * (parsed without floating point): *_u in millionths, *_m in thousandths. */
typedef struct {
    uint32_t kinds;            /* EPT_KIND_* bits */
    ept_range lora_layers;
    uint16_t rank;             /* LoRA rank r (1..64) */
    uint16_t alpha;            /* LoRA alpha (scale alpha / r) */
    ept_range bias_layers;
    ept_range prompt_layers;
    uint16_t prompt_len;       /* features offset per layer input; 0 = all */
    uint32_t seed;
    uint32_t lr_u;             /* SGD learning rate x 1e6 */
    uint32_t momentum_u;       /* momentum x 1e6; 0 = plain SGD */
    uint32_t ewc_lambda_m;     /* EWC lambda x 1e3; 0 = off */
    uint32_t dp_clip_u;        /* DP-SGD clip norm C x 1e6; 0 = off */
    uint32_t dp_sigma_u;       /* DP-SGD noise multiplier x 1e6 */
    uint32_t recompute;        /* EPT_RECOMPUTE_*: activation recomputation (no numeric effect) */
    uint32_t scratch;          /* EPT_SCRATCH_*: where ept_session puts per-step scratch (no numeric effect) */
    /* SHA-256 of the base model's bytes, computed by the caller's crypto library (the engine
     * holds no cryptography). Adapters, EWC images and checkpoints record it and import refuses
     * another; all zero = no identity given (then only zero-identity files import). */
    uint8_t model_sha256[32];
    /* full fine-tune: int16 masters of W (8 fraction bits below the int8 view, the layer's
     * own weight scales) and an int32 bias delta on these layers; not with LoRA on a layer */
    ept_range full_layers;
    /* bottleneck adapter after each of these layers: down-projection D (width x out), ReLU,
     * up-projection U (out x width, zero at init), residual add on the layer's int8 output
     * (after its fused activation). Not with recompute:on. */
    ept_range adapter_layers;
    uint16_t adapter_width;    /* 1..64, default 8 */
} ept_config;

/* Per-step scratch (layer outputs, LoRA h, gradient vectors, probabilities) is dead between
 * steps, and while the trainer runs the engine's activations outside the kept latent are dead
 * too. SHARED (default): ept_session places the scratch in that engine memory when it fits;
 * SEPARATE: always after the inference arena. Adapters are byte-identical either way. */
enum { EPT_SCRATCH_SHARED = 0, EPT_SCRATCH_SEPARATE = 1 };

/* Activation recomputation: keep only the lowest adapted layer's input (the latent) and
 * recompute the suffix's activations in the backward instead of keeping every layer's output
 * and ReLU mask. Adapters are byte-identical either way; it trades forward work for arena.
 * AUTO = on when ept_plan finds the smaller training arena. */
enum { EPT_RECOMPUTE_OFF = 0, EPT_RECOMPUTE_ON = 1, EPT_RECOMPUTE_AUTO = 2 };

/* Defaults: no adapters, rank 4, alpha 8, seed 1, lr 0.0005, no momentum / EWC / DP. */
void ept_config_default(ept_config *cfg);

/* Parses terms joined by '+' or ';':
 *   lora:rank=R,alpha=A,layers=I[..J]   bias:layers=I[..J]   prompt:layers=I[..J],len=N
 *   full:layers=I[..J]   adapter:layers=I[..J],width=M
 *   sgd:lr=X,momentum=X   ewc:lambda=X   dp:clip=X,sigma=X   seed:S   recompute:on|off|auto
 *   scratch:shared|separate
 * Unknown terms or keys, out-of-range numbers and empty specs are errors (err names them). */
ep_status ept_parse_spec(const char *spec, ept_config *cfg, char *err, size_t err_size);
/* Decimal "0.01" -> value * 10^decimals, no floating point. */
ep_status ept_parse_fixed(const char *s, uint32_t decimals, uint32_t *out);

/* Bytes per adapted layer and in total, for `plan`. */
typedef struct {
    int32_t fc_index;          /* index among adaptable ops (FC, 1x1 conv); -1 for a pool */
    int32_t op_index;          /* model operator index */
    int32_t in, out;
    uint32_t kinds;
    uint32_t adapter_bytes;    /* views held in RAM (bias deltas only; LoRA/prompt views derive from masters) */
    uint32_t master_bytes;     /* fixed-point master weights */
    uint32_t grad_bytes;       /* per-step gradient scratch (normalised vectors) */
    uint32_t optim_bytes;      /* momentum */
    uint32_t ewc_bytes;        /* Fisher + anchor */
    int32_t type;              /* EPT_LAYER_* */
    int32_t positions;         /* spatial positions of the input (FC: 1) */
} ept_layer_plan;

typedef struct {
    int32_t layer_count;       /* layers in the trained suffix */
    ept_layer_plan layers[EPT_MAX_LAYERS];
    int32_t first_op;          /* first operator run by the trainer (frozen prefix below) */
    int32_t latent_tensor;     /* its input tensor: the prefix output kept for training */
    int32_t latent_bytes;
    int32_t classes;
    uint32_t state_bytes, adapter_bytes, master_bytes, grad_bytes, optim_bytes, ewc_bytes;
    uint32_t scratch_bytes;    /* activations of the suffix, per step */
    uint32_t train_bytes;      /* everything the trainer needs in the arena */
    uint32_t export_bytes;     /* size of ept_export's output */
    uint32_t param_count;
    int32_t grad_dim;          /* longest gradient vector (int32 + int16 scratch) */
    int32_t gh_dim;            /* LoRA rank x positions, largest */
    int32_t prompt_dim;        /* longest prompt (its int16 gradient scratch) */
    int32_t tensor_count;      /* trainable tensors (LoRA: 2 per layer) */
    int32_t recompute;         /* 1 when this plan recomputes activations (cfg + AUTO resolved) */
    uint32_t train_bytes_keep;      /* train_bytes with every activation kept */
    uint32_t train_bytes_recompute; /* train_bytes with recomputation */
    /* Per-step scratch, part of scratch_bytes (and of train_bytes from ept_plan): nothing in
     * it survives a call, so it may live in memory others use between calls. */
    uint32_t step_bytes;
    uint32_t step_bytes_keep, step_bytes_recompute;
    /* ept_session_plan only: step bytes placed in the engine's dead activation memory; then
     * train_bytes (and the _keep / _recompute figures) exclude them. 0 from ept_plan. */
    uint32_t overlap_bytes;
} ept_plan_info;

ep_status ept_plan(const ep_model *model, const ept_config *cfg, ept_plan_info *out,
                   char *err, size_t err_size);

/* The trainer state lives at the start of its arena region; opaque. */
typedef struct ept_trainer ept_trainer;

ep_status ept_init(ept_trainer **out, const ep_model *model, const ept_config *cfg,
                   void *buf, size_t bytes, char *err, size_t err_size);
/* As ept_init, with the per-step scratch (plan.step_bytes) carved from `scratch` instead of
 * buf (then buf needs train_bytes - step_bytes). The caller guarantees nothing else uses
 * scratch during a trainer call; the trainer keeps nothing there between calls, and refuses
 * a latent that lies in it. scratch NULL: same as ept_init. */
ep_status ept_init_scratch(ept_trainer **out, const ep_model *model, const ept_config *cfg,
                           void *buf, size_t bytes, void *scratch, size_t scratch_bytes,
                           char *err, size_t err_size);

/* Results of one forward (and step). loss_q16: cross-entropy in nats, Q16.16, from the
 * model's int8 softmax (probability floor 1/512). */
typedef struct {
    int32_t predicted;
    int32_t correct;
    int32_t loss_q16;
    int32_t clip_q30;          /* DP: clip factor applied (1<<30 = none) */
} ept_step_info;

/* Suffix passes on a latent (the input tensor of operator first_op, int8). */
ep_status ept_forward(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                      int8_t *probs, uint32_t probs_bytes, int32_t label, ept_step_info *info);
ep_status ept_step(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes, int32_t label,
                   ept_step_info *info);

/* Distillation: one step against a soft target instead of a label, dL/dlogit = beta (p - t).
 * target: `classes` bytes, each a probability x 256 (e.g. a teacher's int8 softmax output
 * + 128, such as the frozen base's: the adapter off). info scores the target's top class. */
ep_status ept_step_soft(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                        const uint8_t *target, uint32_t target_bytes, ept_step_info *info);

/* Gradient at the current adapter for one example, without updating. Per parameter in
 * export order: mant[i] * 2^exp[tensor] * scale[tensor] is dL/dtheta (real units). */
typedef struct {
    int32_t count;             /* tensors */
    int32_t kind[EPT_MAX_TENSORS];    /* 0 A, 1 B, 2 bias, 3 prompt, 4 full W, 5 adapter D, 6 adapter U */
    int32_t layer[EPT_MAX_TENSORS];   /* fc index */
    int32_t size[EPT_MAX_TENSORS];
    int32_t exp[EPT_MAX_TENSORS];
    double scale[EPT_MAX_TENSORS];    /* prepare-time constant, for host tools only */
} ept_grad_layout;
ep_status ept_gradient(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                       int32_t label, int32_t *mant, uint32_t mant_count, ept_grad_layout *lay);

/* ept_gradient against a soft target (as ept_step_soft). */
ep_status ept_gradient_soft(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                            const uint8_t *target, uint32_t target_bytes, int32_t *mant,
                            uint32_t mant_count, ept_grad_layout *lay);

/* EWC: reset, accumulate squared per-example gradients, then anchor theta* = current. */
ep_status ept_fisher_reset(ept_trainer *t);
ep_status ept_fisher_add(ept_trainer *t, const int8_t *latent, uint32_t latent_bytes,
                         int32_t label);
ep_status ept_ewc_anchor(ept_trainer *t);

/* EWC state (Fisher mantissas + block exponents + sample counts + anchor theta*), so an
 * owner can persist it across reboots or merge tasks (docs/formats.md, "EWC state", "EPEW").
 * Import checks magic, version, CRC-32 and that every tensor matches this trainer's
 * configuration; it restores the anchored flag. EP_ERR_STATE when EWC is not configured. */
size_t ept_ewc_bytes(const ept_trainer *t);
ep_status ept_ewc_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written);
/* err (may be NULL) names the refused field: "ewc: CRC-32 mismatch", "ewc: truncated: ...". */
ep_status ept_ewc_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err, size_t err_size);

/* New learning rate (x 1e6) and EWC lambda (x 1e3) between steps, no re-init. The
 * multipliers are re-derived as at init (IEEE double, identical on every target). Lambda can
 * change but not switch EWC on/off (its memory is carved at init): EP_ERR_STATE. */
ep_status ept_set_rates(ept_trainer *t, uint32_t lr_u, uint32_t ewc_lambda_m);

/* Restores the initial adapter (A redrawn from the seed, B / bias / prompt zero, momentum
 * zero, h shift recalibrated, step count 0), byte-identical to a fresh ept_init; Fisher
 * and anchor are kept. */
ep_status ept_reset_adapters(ept_trainer *t);

/* Adapter bytes (docs/formats.md, "Adapter"). export: *written = bytes used. */
ep_status ept_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written);
/* Import checks every field before it writes anything (a refused adapter changes nothing);
 * err (may be NULL) names the field: "adapter: CRC-32 mismatch", "adapter: truncated: 520 <
 * 680 bytes", "adapter: layer 1 rank 4, session has rank 2". EP_ERR_MODEL: damaged bytes;
 * EP_ERR_ARG: a sound adapter for another model or configuration. */
ep_status ept_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err, size_t err_size);
/* The configuration stored in adapter bytes (checks magic, version, length, CRC-32, kinds,
 * rank, record count); optimiser fields get defaults. */
ep_status ept_adapter_config(const uint8_t *buf, size_t size, ept_config *cfg, char *err, size_t err_size);
/* Steps trained so far; the export carries it. */
uint32_t ept_steps(const ept_trainer *t);

/* Full-precision checkpoint (docs/formats.md, "Checkpoint", "EPCK"): master weights,
 * momentum, LoRA h shifts and the step counter (the position of every counter-based PRNG
 * stream), so a trainer resumed from it continues byte-identically to one that never stopped
 * (an EPAD adapter carries only the int8 views of A and the prompt). EWC Fisher + anchor are not included: they
 * do not change while training; persist them with ept_ewc_export. Import checks size, magic,
 * version, CRC-32, the configuration hash (model scales, adapter layout, seed, momentum on/off)
 * and every tensor record before it writes anything; on refusal the trainer is unchanged and
 * err names the mismatch. Learning rate, EWC lambda and DP settings are not part of the hash
 * (ept_set_rates may change them between steps). */
size_t ept_checkpoint_bytes(const ept_trainer *t);
ep_status ept_checkpoint_export(const ept_trainer *t, uint8_t *buf, size_t size, size_t *written);
ep_status ept_checkpoint_import(ept_trainer *t, const uint8_t *buf, size_t size, char *err,
                                size_t err_size);

/* Model-level convenience: an inference session whose arena also holds the trainer.
 * Runs the frozen prefix with the engine, then the adapted suffix. */
typedef struct {
    ep_session session;
    ept_trainer *trainer;
    ept_plan_info plan;
    ep_plan_info engine_plan;
    int32_t keep;              /* the latent tensor, kept live by the engine planner */
} ept_session;

/* Arena bytes for ept_session_init (engine inference + trainer). */
ep_status ept_session_plan(const ep_model *model, const ept_config *cfg, ept_plan_info *tp,
                           ep_plan_info *ep, char *err, size_t err_size);
ep_status ept_session_init(ept_session *s, const ep_model *model, const ept_config *cfg,
                           void *arena, size_t arena_size, char *err, size_t err_size);
/* Model input (int8, model quantisation) -> the latent the trainer works on. */
ep_status ept_session_latent(ept_session *s, const int8_t *input, uint32_t input_bytes,
                             const int8_t **latent, uint32_t *latent_bytes);
ep_status ept_session_step(ept_session *s, const int8_t *input, uint32_t input_bytes,
                           int32_t label, ept_step_info *info);
ep_status ept_session_infer(ept_session *s, const int8_t *input, uint32_t input_bytes,
                            int8_t *output, uint32_t output_bytes, ept_step_info *info);

#ifdef __cplusplus
}
#endif

#endif /* EDGE_PEFT_TRAIN_H */
