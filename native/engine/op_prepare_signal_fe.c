/* Prepare of the TFLite Micro Signal library's custom operators (SignalWindow,
 * SignalFftAutoScale, SignalRfft, SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot,
 * SignalFilterBankSpectralSubtraction, SignalPCAN, SignalFilterBankLog): TFLM's checks plus
 * the ranges it leaves unchecked. Operator recognition, the shared checks and the int32 / CAST
 * builtins of the front end's graph are in op_prepare_signal.c. */
#include <string.h>

#include "prep_signal.h"

static ep_status prep_window(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, w, out;
    int32_t shift;
    TRY(sig_io_counts(c, 2, 1));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_INT16, -1, "input"));
    TRY(sig_want(c, c->op->inputs[1], &w, EP_TYPE_INT16, 1, "weights"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_INT16, in.rank, "output"));
    TRY(sig_opt(c, "shift", 0, 31, &shift));
    if (in.rank < 1 || w.elements <= 0 || in.elements % w.elements != 0 ||
        out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalWindow): input of %d is not whole "
                    "windows of %d, or output of %d", c->index, in.elements, w.elements,
                    out.elements);
    }
    ep_sig_window_rt *b = (ep_sig_window_rt *)sig_block(c, rt, EP_K_SIG_WINDOW, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_window_rt){in.elements, w.elements, shift};
    }
    return EP_OK;
}

static ep_status prep_auto_scale(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out, sb;
    TRY(sig_io_counts(c, 1, 2));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_INT16, 1, "input"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_INT16, 1, "output"));
    TRY(sig_want(c, c->op->outputs[1], &sb, EP_TYPE_INT32, 0, "scale bits"));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFftAutoScale): output %d != input %d",
                    c->index, out.elements, in.elements);
    }
    ep_sig_count_rt *b = (ep_sig_count_rt *)sig_block(c, rt, EP_K_SIG_AUTO_SCALE, sizeof *b);
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
    TRY(sig_io_counts(c, 1, 1));
    TRY(sig_opt(c, "T", 0, 255, &t));
    TRY(sig_opt(c, "fft_length", 0, 1 << 16, &n));
    if (t != EP_TYPE_INT16) {
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SignalRfft): %s transform (only int16)",
                    c->index, ep_type_name(t));
    }
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_INT16, -1, "input"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_INT16, in.rank, "output"));
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
    ep_sig_rfft_rt *b = (ep_sig_rfft_rt *)sig_block(c, rt, EP_K_SIG_RFFT, sizeof *b + tables);
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
    TRY(sig_io_counts(c, 1, 1));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_INT16, 1, "input"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(sig_opt(c, "start_index", 0, INT32_MAX, &start));
    TRY(sig_opt(c, "end_index", 0, INT32_MAX, &end));
    if (start > end || end > in.elements / 2 || end > out.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalEnergy): bins [%d, %d) outside %d "
                    "complex inputs / %d outputs", c->index, start, end, in.elements / 2,
                    out.elements);
    }
    ep_sig_energy_rt *b = (ep_sig_energy_rt *)sig_block(c, rt, EP_K_SIG_ENERGY, sizeof *b);
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
    TRY(sig_io_counts(c, 6, 1));
    TRY(sig_opt(c, "num_channels", 1, 4096, &channels));
    TRY(sig_want(c, c->op->inputs[0], &t[0], EP_TYPE_UINT32, 1, roles[0]));
    for (int32_t i = 1; i < 6; ++i) {
        TRY(sig_want(c, c->op->inputs[i], &t[i], EP_TYPE_INT16, 1, roles[i]));
        if (t[i].data == NULL) {
            return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (SignalFilterBank): %s must be "
                        "constant", c->index, roles[i]);
        }
    }
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_UINT64, 1, "output"));
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
    ep_filter_bank_params *b = (ep_filter_bank_params *)sig_block(c, rt, EP_K_SIG_BANK, sizeof *b);
    if (b != NULL) {
        *b = (ep_filter_bank_params){channels, fs, ws, wd, (const int16_t *)t[1].data,
                                     (const int16_t *)t[2].data};
    }
    return EP_OK;
}

static ep_status prep_sqrt(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, sb, out;
    TRY(sig_io_counts(c, 2, 1));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_UINT64, 1, "input"));
    TRY(sig_want(c, c->op->inputs[1], &sb, EP_TYPE_INT32, 0, "scale bits"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankSquareRoot): output %d != "
                    "input %d", c->index, out.elements, in.elements);
    }
    ep_sig_count_rt *b = (ep_sig_count_rt *)sig_block(c, rt, EP_K_SIG_SQRT, sizeof *b);
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
    TRY(sig_io_counts(c, 1, 2));
    for (int32_t i = 0; i < 8; ++i) {
        TRY(sig_opt(c, keys[i], i == 0 ? 1 : 0, hi[i], &v[i]));
    }
    TRY(sig_opt(c, "clamping", 0, 1, &clamping));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(sig_want(c, c->op->outputs[1], &noise, EP_TYPE_UINT32, 1, "noise estimate"));
    if (in.elements < v[0] || out.elements < v[0] || noise.elements != v[0]) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankSpectralSubtraction): %d "
                    "channels, tensors of %d / %d / %d", c->index, v[0], in.elements,
                    out.elements, noise.elements);
    }
    p = (ep_spectral_subtraction_params){v[0], (uint32_t)v[1], (uint32_t)v[2], (uint32_t)v[3],
                                         (uint32_t)v[4], (uint32_t)v[5], (uint32_t)v[6],
                                         (uint32_t)v[7], clamping != 0};
    ep_sig_subtract_rt *b = (ep_sig_subtract_rt *)sig_block(c, rt, EP_K_SIG_SUBTRACT,
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
    TRY(sig_io_counts(c, 3, 1));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(sig_want(c, c->op->inputs[1], &noise, EP_TYPE_UINT32, 1, "noise estimate"));
    TRY(sig_want(c, c->op->inputs[2], &lut, EP_TYPE_INT16, 1, "gain table"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_UINT32, 1, "output"));
    TRY(sig_opt(c, "snr_shift", 0, 63, &snr_shift));
    if (out.elements != in.elements || noise.elements < in.elements || lut.elements < 125) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalPCAN): %d channels, noise %d, gain "
                    "table %d (want >= 125 entries)", c->index, in.elements, noise.elements,
                    lut.elements);
    }
    ep_sig_pcan_rt *b = (ep_sig_pcan_rt *)sig_block(c, rt, EP_K_SIG_PCAN, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_pcan_rt){in.elements, lut.elements, snr_shift};
    }
    return EP_OK;
}

static ep_status prep_log(ctx_t *c, ep_op_rt *rt)
{
    ep_tensor_info in, out;
    int32_t bits, scale;
    TRY(sig_io_counts(c, 1, 1));
    TRY(sig_want(c, c->op->inputs[0], &in, EP_TYPE_UINT32, 1, "input"));
    TRY(sig_want(c, c->op->outputs[0], &out, EP_TYPE_INT16, 1, "output"));
    TRY(sig_opt(c, "input_correction_bits", 0, 31, &bits));
    TRY(sig_opt(c, "output_scale", INT32_MIN, INT32_MAX, &scale));
    if (out.elements != in.elements) {
        return FAIL(c, EP_ERR_SHAPE, "operator %d (SignalFilterBankLog): output %d != input %d",
                    c->index, out.elements, in.elements);
    }
    ep_sig_pcan_rt *b = (ep_sig_pcan_rt *)sig_block(c, rt, EP_K_SIG_LOG, sizeof *b);
    if (b != NULL) {
        *b = (ep_sig_pcan_rt){in.elements, scale, bits};
    }
    return EP_OK;
}

ep_status sig_prep_frontend(ctx_t *c, int32_t kind, ep_op_rt *rt)
{
    switch (kind) {
    case SIG_WINDOW: return prep_window(c, rt);
    case SIG_AUTO_SCALE: return prep_auto_scale(c, rt);
    case SIG_RFFT: return prep_rfft(c, rt);
    case SIG_ENERGY: return prep_energy(c, rt);
    case SIG_BANK: return prep_bank(c, rt);
    case SIG_SQRT: return prep_sqrt(c, rt);
    case SIG_SUBTRACT: return prep_subtract(c, rt);
    case SIG_PCAN: return prep_pcan(c, rt);
    case SIG_LOG: return prep_log(c, rt);
    default:
        return FAIL(c, EP_ERR_UNSUPPORTED, "operator %d (%s): not supported", c->index,
                    ep_op_name(c->op));
    }
}
