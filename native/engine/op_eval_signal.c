/* Eval of the audio front end's operators (prepared in op_prepare_signal.c: the Signal
 * library's custom ops, CAST and int32 ADD / MUL / DIV / MINIMUM / MAXIMUM), and the reset of
 * the spectral subtraction's noise state, as TFLM's Reset. Every argument was validated in
 * prepare. */
#include <string.h>

#include "engine_internal.h"

ep_status ep_op_eval_signal(ep_session *s, ep_op_rt *rt, const ep_context *ctx)
{
    ep_tensor_rt *ts = (ep_tensor_rt *)s->tensors;
    const void *in = ts[rt->in[0]].data;
    void *out = ts[rt->out].data;
    const void *prm = rt->u.ext.params;
    switch (rt->kind) {
    case EP_K_SIG_WINDOW: {
        const ep_sig_window_rt *b = (const ep_sig_window_rt *)prm;
        return ep_signal_window_s16(in, b->size, (const int16_t *)ts[rt->in[1]].data,
                                    b->window_size, b->shift, out);
    }
    case EP_K_SIG_AUTO_SCALE: {
        const ep_sig_count_rt *b = (const ep_sig_count_rt *)prm;
        return ep_signal_fft_auto_scale_s16(in, b->count, out, (int32_t *)ts[b->aux].data);
    }
    case EP_K_SIG_RFFT: {
        const ep_sig_rfft_rt *b = (const ep_sig_rfft_rt *)prm;
        const ep_cplx16 *tw = (const ep_cplx16 *)(const void *)(b + 1);
        return ep_signal_rfft_s16(ctx, &b->p, tw, tw + b->p.fft_length / 2, in, out);
    }
    case EP_K_SIG_ENERGY: {
        const ep_sig_energy_rt *b = (const ep_sig_energy_rt *)prm;
        return ep_signal_energy(in, b->count, b->start, b->end, out);
    }
    case EP_K_SIG_BANK:
        return ep_signal_filter_bank((const ep_filter_bank_params *)prm, in, out);
    case EP_K_SIG_SQRT: {
        int32_t bits;
        memcpy(&bits, ts[rt->in[1]].data, 4);
        return ep_signal_filter_bank_sqrt(in, ((const ep_sig_count_rt *)prm)->count, bits, out);
    }
    case EP_K_SIG_SUBTRACT: {
        ep_sig_subtract_rt *b = (ep_sig_subtract_rt *)(uintptr_t)prm;
        return ep_signal_spectral_subtraction(&b->p, in, (uint32_t *)(void *)(b + 1), out,
                                              (uint32_t *)ts[b->noise_out].data);
    }
    case EP_K_SIG_PCAN: {
        const ep_sig_pcan_rt *b = (const ep_sig_pcan_rt *)prm;
        return ep_signal_pcan(in, (const uint32_t *)ts[rt->in[1]].data,
                              (const int16_t *)ts[rt->in[2]].data, b->a, b->b, b->count, out);
    }
    case EP_K_SIG_LOG: {
        const ep_sig_pcan_rt *b = (const ep_sig_pcan_rt *)prm;
        return ep_signal_filter_bank_log(in, b->count, b->a, b->b, out);
    }
    case EP_K_CAST:
        return ep_cast(in, rt->u.quant.in_type, out, rt->u.quant.out_type, rt->u.quant.count);
    case EP_K_I32: {
        const ep_sig_i32_rt *b = (const ep_sig_i32_rt *)prm;
        return ep_elementwise_s32(&b->p, &b->dims, in, (const int32_t *)ts[rt->in[1]].data,
                                  out);
    }
    default:
        return EP_ERR_STATE;
    }
}

void ep_signal_reset(ep_session *s)
{
    ep_op_rt *ops = (ep_op_rt *)s->ops;
    for (int32_t i = 0; i < s->op_count; ++i) {
        if (ops[i].kind == EP_K_SIG_SUBTRACT && ops[i].u.ext.params != NULL) {
            ep_sig_subtract_rt *b = (ep_sig_subtract_rt *)(uintptr_t)ops[i].u.ext.params;
            memset(b + 1, 0, (size_t)b->p.channels * 4u);
        }
    }
}
