/* Prepare for the TFLite Micro Signal library's audio front end (custom operators
 * SignalWindow, SignalFftAutoScale, SignalRfft, SignalEnergy, SignalFilterBank,
 * SignalFilterBankSquareRoot, SignalFilterBankSpectralSubtraction, SignalPCAN,
 * SignalFilterBankLog) and the builtins its graph runs between them on non-int8 types: CAST
 * (int8 / int16 / int32 / uint32) and int32 ADD, MUL, DIV, MINIMUM, MAXIMUM. Checks are
 * TFLM's (types, ranks, input / output counts) plus the ranges TFLM leaves unchecked (filter
 * bank offsets, table sizes, FFT and energy lengths), so a corrupt model is refused here
 * instead of read out of bounds. Arguments live in a persistent block allocated only for
 * these operators, with the RFFT's twiddle tables and the spectral subtraction's noise state
 * (zeroed by ep_session_reset_state, as TFLM's Reset does). */
#include <string.h>

#include "prep_util.h"

static const char *const signal_ops[] = {
    "SignalWindow", "SignalFftAutoScale", "SignalRfft", "SignalEnergy", "SignalFilterBank",
    "SignalFilterBankSquareRoot", "SignalFilterBankSpectralSubtraction", "SignalPCAN",
    "SignalFilterBankLog"};
enum { SIG_WINDOW, SIG_AUTO_SCALE, SIG_RFFT, SIG_ENERGY, SIG_BANK, SIG_SQRT, SIG_SUBTRACT,
       SIG_PCAN, SIG_LOG, SIG_COUNT };

static int32_t signal_code_kind(const char *custom_code)
{
    for (int32_t k = 0; k < SIG_COUNT; ++k) {
        if (strcmp(custom_code, signal_ops[k]) == 0) {
            return k;
        }
    }
    return -1;
}

static int32_t signal_kind(const ep_op_info *op)
{
    if (op->opcode != EP_OP_CUSTOM || op->custom_code == NULL) {
        return -1;
    }
    return signal_code_kind(op->custom_code);
}

bool ep_signal_custom_supported(const char *custom_code)
{
    return signal_code_kind(custom_code) >= 0;
}

static bool i32_input(const ep_prep *p, const ep_op_info *op)
{
    ep_tensor_info t;
    return op->input_count >= 1 && op->inputs[0] >= 0 &&
           ep_model_tensor(p->model, op->inputs[0], &t) == EP_OK && t.type == EP_TYPE_INT32;
}

bool ep_op_is_signal(const ep_prep *p, const ep_op_info *op)
{
    switch (op->opcode) {
    case EP_OP_CUSTOM: return signal_kind(op) >= 0;
    case EP_OP_CAST: case EP_OP_DIV: return true;
    case EP_OP_ADD: case EP_OP_MUL: case EP_OP_MINIMUM: case EP_OP_MAXIMUM:
        return i32_input(p, op);
    default: return false;
    }
}

bool ep_signal_supported(const ep_op_info *op)
{
    return signal_kind(op) >= 0 || op->opcode == EP_OP_CAST || op->opcode == EP_OP_DIV;
}

static ep_status io_counts(ctx_t *c, int32_t ins, int32_t outs)
{
    if (c->op->input_count != ins || c->op->output_count != outs) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %d inputs / %d outputs, want %d / %d",
                    c->index, ep_op_name(c->op), c->op->input_count, c->op->output_count, ins,
                    outs);
    }
    for (int32_t i = 0; i < ins; ++i) {
        if (c->op->inputs[i] < 0) {
            return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): input %d missing", c->index,
                        ep_op_name(c->op), i);
        }
    }
    return EP_OK;
}

/* An integer option of the flexbuffer map, within [lo, hi]. */
static ep_status opt(ctx_t *c, const char *key, int64_t lo, int64_t hi, int32_t *out)
{
    int64_t v = 0;
    const ep_status st = ep_flex_map_int(c->op->custom_options, c->op->custom_options_size,
                                         key, &v);
    if (st == EP_ERR_MODEL) {
        return FAIL(c, EP_ERR_MODEL, "operator %d (%s): malformed custom options", c->index,
                    ep_op_name(c->op));
    }
    if (st != EP_OK) {
        return FAIL(c, EP_ERR_MODEL, "operator %d (%s): custom option '%s' missing", c->index,
                    ep_op_name(c->op), key);
    }
    if (v < lo || v > hi) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): option '%s' = %d out of range "
                    "[%d, %d]", c->index, ep_op_name(c->op), key, (int32_t)v, (int32_t)lo,
                    (int32_t)hi);
    }
    *out = (int32_t)v;
    return EP_OK;
}

static ep_status want(ctx_t *c, int32_t t, ep_tensor_info *info, int32_t type, int32_t rank,
                      const char *role)
{
    TRY(pu_tensor(c, t, info, role));
    TRY(pu_want_type(c, info, type, role));
    if (rank >= 0 && info->rank != rank) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (%s): %s has rank %d, want %d", c->index,
                    ep_op_name(c->op), role, info->rank, rank);
    }
    return EP_OK;
}

static void *block(ctx_t *c, ep_op_rt *rt, int32_t kind, uint32_t bytes)
{
    void *b = ep_prep_alloc(c->p, bytes);
    if (b != NULL) {
        memset(b, 0, bytes);
    }
    rt->kind = (int16_t)kind;
    rt->u.ext.params = b;
    return b;
}

static ep_status prep_window(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, w, out;
    int32_t shift;
    TRY(io_counts(c, 2, 1));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_INT16, -1, "input"));
    TRY(want(c, c->op->inputs[1], &w, EP_TYPE_INT16, 1, "weights"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_INT16, in.rank, "output"));
    TRY(opt(c, "shift", 0, 31, &shift));
    if (in.rank < 1 || w.elements <= 0 || in.elements % w.elements != 0 ||
        out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalWindow): input of %d is not whole "
                    "windows of %d, or output of %d", c->index, in.elements, w.elements,
                    out.elements);
    }
    ep_sig_window_rt *b = (ep_sig_window_rt *)block(c, rt, EP_K_SIG_WINDOW, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_window_rt){in.elements, w.elements, shift};
    }
    return EP_OK;
}

static ep_status prep_auto_scale(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out, sb;
    TRY(io_counts(c, 1, 2));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_INT16, 1, "input"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_INT16, 1, "output"));
    TRY(want(c, c->op->outputs[1], &sb, EP_TYPE_INT32, 0, "scale bits"));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFftAutoScale): output %d != input %d",
                    c->index, out.elements, in.elements);
    }
    ep_sig_count_rt *b = (ep_sig_count_rt *)block(c, rt, EP_K_SIG_AUTO_SCALE, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_count_rt){in.elements, (int16_t)c->op->outputs[1]};
    }
    return EP_OK;
}

static ep_status prep_rfft(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    int32_t t, n;
    ep_rfft_params p;
    TRY(io_counts(c, 1, 1));
    TRY(opt(c, "T", 0, 255, &t));
    TRY(opt(c, "fft_length", 0, 1 << 16, &n));
    if (t != EP_TYPE_INT16) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SignalRfft): %s transform (only int16)",
                    c->index, ep_type_name(t));
    }
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_INT16, -1, "input"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_INT16, in.rank, "output"));
    memset(&p, 0, sizeof p);
    if (ep_signal_rfft_factor(n, &p) != EP_OK) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SignalRfft): fft_length %d (want even, "
                    "half of it a product of 2, 3, 4, 5)", c->index, n);
    }
    p.input_length = in.rank > 0 ? in.dims[in.rank - 1] : 0;
    p.output_length = out.rank > 0 ? out.dims[out.rank - 1] / 2 : 0;
    p.frames = p.input_length > 0 ? in.elements / p.input_length : 0;
    if (p.input_length <= 0 || p.input_length > n || p.output_length != n / 2 + 1 ||
        (int64_t)out.elements != (int64_t)p.frames * 2 * p.output_length) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalRfft): frames of %d samples into %d-"
                    "point transforms need %d complex outputs each", c->index, p.input_length,
                    n, n / 2 + 1);
    }
    const uint32_t tables = (uint32_t)(n / 2 + n / 4) * (uint32_t)sizeof(ep_cplx16);
    ep_sig_rfft_rt *b = (ep_sig_rfft_rt *)block(c, rt, EP_K_SIG_RFFT, sizeof *b + tables);
    if (b != NULL) {
        b->p = p;
        ep_cplx16 *tw = (ep_cplx16 *)(void *)(b + 1);
        ep_signal_rfft_init(&p, tw, tw + n / 2);
    }
    rt->scratch.size = (uint32_t)ep_signal_rfft_get_buffer_size(&p);
    return EP_OK;
}

static ep_status prep_energy(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    int32_t start, end;
    TRY(io_counts(c, 1, 1));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_INT16, 1, "input"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(opt(c, "start_index", 0, INT32_MAX, &start));
    TRY(opt(c, "end_index", 0, INT32_MAX, &end));
    if (start > end || end > in.elements / 2 || end > out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalEnergy): bins [%d, %d) outside %d "
                    "complex inputs / %d outputs", c->index, start, end, in.elements / 2,
                    out.elements);
    }
    ep_sig_energy_rt *b = (ep_sig_energy_rt *)block(c, rt, EP_K_SIG_ENERGY, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_energy_rt){out.elements, start, end};
    }
    return EP_OK;
}

static ep_status prep_bank(ctx_t *c, ep_op_rt *rt)
{
    static const char *const roles[] = {"input", "weights", "unweights", "frequency starts",
                                        "weight starts", "channel widths"};
    ep_tensor_info t[6], out;
    int32_t channels;
    TRY(io_counts(c, 6, 1));
    TRY(opt(c, "num_channels", 1, 4096, &channels));
    TRY(want(c, c->op->inputs[0], &t[0], EP_TYPE_UINT32, 1, roles[0]));
    for (int32_t i = 1; i < 6; ++i) {
        TRY(want(c, c->op->inputs[i], &t[i], EP_TYPE_INT16, 1, roles[i]));
        if (t[i].data == NULL) {
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SignalFilterBank): %s must be "
                        "constant", c->index, roles[i]);
        }
    }
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_UINT64, 1, "output"));
    const int16_t *fs = (const int16_t *)t[3].data, *ws = (const int16_t *)t[4].data;
    const int16_t *wd = (const int16_t *)t[5].data;
    bool ok = out.elements == channels && t[3].elements > channels &&
              t[4].elements > channels && t[5].elements > channels &&
              t[1].elements == t[2].elements;
    for (int32_t i = 0; ok && i <= channels; ++i) {
        ok = fs[i] >= 0 && ws[i] >= 0 && wd[i] >= 0 && fs[i] + wd[i] <= t[0].elements &&
             ws[i] + wd[i] <= t[1].elements;
    }
    if (!ok) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBank): %d channels: output, "
                    "table sizes or a channel's bins / weights out of range", c->index,
                    channels);
    }
    ep_filter_bank_params *b = (ep_filter_bank_params *)block(c, rt, EP_K_SIG_BANK, sizeof *b);
    if (b != NULL) {
        *b = (ep_filter_bank_params){channels, fs, ws, wd, (const int16_t *)t[1].data,
                                     (const int16_t *)t[2].data};
    }
    return EP_OK;
}

static ep_status prep_sqrt(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, sb, out;
    TRY(io_counts(c, 2, 1));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_UINT64, 1, "input"));
    TRY(want(c, c->op->inputs[1], &sb, EP_TYPE_INT32, 0, "scale bits"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankSquareRoot): output %d != "
                    "input %d", c->index, out.elements, in.elements);
    }
    ep_sig_count_rt *b = (ep_sig_count_rt *)block(c, rt, EP_K_SIG_SQRT, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_count_rt){in.elements, -1};
    }
    return EP_OK;
}

static ep_status prep_subtract(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out, noise;
    ep_spectral_subtraction_params p;
    int32_t v[8];
    static const char *const keys[] = {"num_channels", "smoothing", "one_minus_smoothing",
                                       "alternate_smoothing", "alternate_one_minus_smoothing",
                                       "min_signal_remaining", "smoothing_bits",
                                       "spectral_subtraction_bits"};
    static const int32_t hi[] = {4096, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX, INT32_MAX,
                                 31, 63};
    int32_t clamping;
    TRY(io_counts(c, 1, 2));
    for (int32_t i = 0; i < 8; ++i) {
        TRY(opt(c, keys[i], i == 0 ? 1 : 0, hi[i], &v[i]));
    }
    TRY(opt(c, "clamping", 0, 1, &clamping));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(want(c, c->op->outputs[1], &noise, EP_TYPE_UINT32, 1, "noise estimate"));
    if (in.elements < v[0] || out.elements < v[0] || noise.elements != v[0]) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankSpectralSubtraction): %d "
                    "channels, tensors of %d / %d / %d", c->index, v[0], in.elements,
                    out.elements, noise.elements);
    }
    p = (ep_spectral_subtraction_params){v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3],
                                         (uint32_t)v[4], (uint32_t)v[5], (uint32_t)v[6],
                                         (uint32_t)v[7], clamping != 0};
    ep_sig_subtract_rt *b = (ep_sig_subtract_rt *)block(c, rt, EP_K_SIG_SUBTRACT,
                                                        sizeof *b + (uint32_t)v[0] * 4u);
    if (b != NULL) {
        b->p = p;
        b->noise_out = (int16_t)c->op->outputs[1];
    }
    return EP_OK;
}

static ep_status prep_pcan(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, noise, lut, out;
    int32_t snr_shift;
    TRY(io_counts(c, 3, 1));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(want(c, c->op->inputs[1], &noise, EP_TYPE_UINT32, 1, "noise estimate"));
    TRY(want(c, c->op->inputs[2], &lut, EP_TYPE_INT16, 1, "gain table"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(opt(c, "snr_shift", 0, 63, &snr_shift));
    if (out.elements != in.elements || noise.elements < in.elements || lut.elements < 125) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalPCAN): %d channels, noise %d, gain "
                    "table %d (want >= 125 entries)", c->index, in.elements, noise.elements,
                    lut.elements);
    }
    ep_sig_pcan_rt *b = (ep_sig_pcan_rt *)block(c, rt, EP_K_SIG_PCAN, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_pcan_rt){in.elements, lut.elements, snr_shift};
    }
    return EP_OK;
}

static ep_status prep_log(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    int32_t bits, scale;
    TRY(io_counts(c, 1, 1));
    TRY(want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(want(c, c->op->outputs[0], &out, EP_TYPE_INT16, 1, "output"));
    TRY(opt(c, "input_correction_bits", 0, 31, &bits));
    TRY(opt(c, "output_scale", INT32_MIN, INT32_MAX, &scale));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankLog): output %d != input %d",
                    c->index, out.elements, in.elements);
    }
    ep_sig_pcan_rt *b = (ep_sig_pcan_rt *)block(c, rt, EP_K_SIG_LOG, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_pcan_rt){in.elements, scale, bits};
    }
    return EP_OK;
}

static bool cast_type(int32_t t)
{
    return t == EP_TYPE_INT8 || t == EP_TYPE_INT16 || t == EP_TYPE_INT32 || t == EP_TYPE_UINT32;
}

static ep_status prep_cast(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    TRY(io_counts(c, 1, 1));
    TRY(pu_tensor(c, c->op->inputs[0], &in, "input"));
    TRY(pu_tensor(c, c->op->outputs[0], &out, "output"));
    if (!cast_type(in.type) || !cast_type(out.type)) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (CAST): %s -> %s (int8, int16, int32, "
                    "uint32 only)", c->index, ep_type_name(in.type), ep_type_name(out.type));
    }
    if (in.elements != out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (CAST): %d elements -> %d", c->index,
                    in.elements, out.elements);
    }
    rt->kind = EP_K_CAST;
    rt->u.quant.in_type = in.type;
    rt->u.quant.out_type = out.type;
    rt->u.quant.count = in.elements;
    return EP_OK;
}

/* int32 ADD / MUL / DIV / MINIMUM / MAXIMUM: TFLM's reference kernels on raw int32 values. */
static ep_status prep_i32(ctx_t *c, ep_op_rt *rt)
{
    const ep_op_info *op = c->op;
    ep_tensor_info a, b, out;
    TRY(io_counts(c, 2, 1));
    TRY(want(c, op->inputs[0], &a, EP_TYPE_INT32, -1, "input 1"));
    TRY(want(c, op->inputs[1], &b, EP_TYPE_INT32, -1, "input 2"));
    TRY(want(c, op->outputs[0], &out, EP_TYPE_INT32, -1, "output"));
    if (op->opcode == EP_OP_DIV && (a.scale_count > 0 || b.scale_count > 0)) {
        return FAIL(c, EP_ERR_QUANT, "operator %d (DIV): int32 inputs must not be quantised",
                    c->index);
    }
    ep_broadcast_dims bd;
    TRY(pu_broadcast(c, &a, &b, &out, &bd));
    ep_i32_params p = {EP_I32_ADD, INT32_MIN, INT32_MAX};
    switch (op->opcode) {
    case EP_OP_ADD: break;   /* TFLM's int32 ADD ignores the fused activation */
    case EP_OP_MUL: p.op = EP_I32_MUL; break;
    case EP_OP_DIV: p.op = EP_I32_DIV; break;
    case EP_OP_MINIMUM: p.op = EP_I32_MIN; break;
    default: p.op = EP_I32_MAX; break;
    }
    if (p.op == EP_I32_MUL || p.op == EP_I32_DIV) {
        /* CalculateActivationRange on int32 */
        switch (op->options.activation) {
        case EP_ACT_NONE: break;
        case EP_ACT_RELU: p.act_min = 0; break;
        case EP_ACT_RELU6: p.act_min = 0; p.act_max = 6; break;
        case EP_ACT_RELU_N1_TO_1: p.act_min = -1; p.act_max = 1; break;
        default:
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): fused activation %d",
                        c->index, ep_op_name(op), op->options.activation);
        }
    }
    if (p.op == EP_I32_DIV && b.data != NULL) {
        for (int32_t i = 0; i < b.elements; ++i) {
            int32_t d;
            memcpy(&d, (const uint8_t *)b.data + 4 * i, 4);
            if (d == 0) {
                return FAIL(c, EP_ERR_ARG, "operator %d (DIV): constant divisor 0", c->index);
            }
        }
    }
    ep_sig_i32_rt *blk = (ep_sig_i32_rt *)block(c, rt, EP_K_I32, sizeof *blk);
    if (blk != NULL) {
        blk->dims = bd;
        blk->p = p;
    }
    return EP_OK;
}

ep_status ep_op_prepare_signal(ep_prep *p, int32_t index, const ep_op_info *op, ep_op_rt *rt)
{
    ctx_t c = {p, index, op};
    switch (op->opcode) {
    case EP_OP_CAST: return prep_cast(&c, rt);
    case EP_OP_CUSTOM: break;
    default: return prep_i32(&c, rt);
    }
    switch (signal_kind(op)) {
    case SIG_WINDOW: return prep_window(&c, rt);
    case SIG_AUTO_SCALE: return prep_auto_scale(&c, rt);
    case SIG_RFFT: return prep_rfft(&c, rt);
    case SIG_ENERGY: return prep_energy(&c, rt);
    case SIG_BANK: return prep_bank(&c, rt);
    case SIG_SQRT: return prep_sqrt(&c, rt);
    case SIG_SUBTRACT: return prep_subtract(&c, rt);
    case SIG_PCAN: return prep_pcan(&c, rt);
    case SIG_LOG: return prep_log(&c, rt);
    default:
        return FAIL(&c, EP_ERR_UNSUPPORTED, "operator %d (%s): not supported", index,
                    ep_op_name(op));
    }
}
