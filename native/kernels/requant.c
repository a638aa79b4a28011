/* Requantisation helpers shared by every kernel and the trainer.
 * Semantics: TFLite Micro default build (double rounding), see
 * ../shared/notes/int8-semantics.md sections 1-2. */
#include <math.h>

#include "edge_peft.h"

int32_t ep_requantize_s64(int64_t x, int32_t multiplier, int32_t shift)
{
    /* The 16x8 path trades precision for range: a 16-bit multiplier so a
     * 48-bit accumulator times it fits in 64 bits, and one rounding. */
    const int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    const int32_t total_shift = 15 - shift;
    int64_t v;
    if (total_shift <= 0 || total_shift > 62) {
        return 0; /* shift outside TFLM's asserted range [-31, 8) */
    }
    /* unsigned: wraps instead of UB on out-of-range (corrupt) inputs */
    v = (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced + ((uint64_t)1 << (total_shift - 1)));
    return (int32_t)(v >> total_shift);
}

ep_status ep_quantize_multiplier(double real, int32_t *multiplier, int32_t *shift)
{
    int exponent = 0;
    double q;
    int64_t q_fixed;
    if (multiplier == NULL || shift == NULL) {
        return EP_ERR_ARG;
    }
    *multiplier = 0;
    *shift = 0;
    if (!(real >= 0.0) || isinf(real)) {
        return EP_ERR_QUANT;
    }
    if (real == 0.0) {
        return EP_OK;
    }
    q = frexp(real, &exponent);
    /* round() is half away from zero, like std::round in TFLM. */
    q_fixed = (int64_t)round(q * 2147483648.0);
    if (q_fixed == ((int64_t)1 << 31)) {
        q_fixed /= 2;
        ++exponent;
    }
    if (exponent < -31) {
        /* TFLM flushes tiny scales to a zero multiplier. */
        return EP_OK;
    }
    if (exponent > 31) {
        return EP_ERR_QUANT;
    }
    *multiplier = (int32_t)q_fixed;
    *shift = exponent;
    return EP_OK;
}

/* TFLM quantises the clamp bounds with a float division and round(). */
static int32_t quantize_bound(float real, float scale, int32_t zero_point)
{
    const float q = roundf(real / scale);
    if (!(q > -2147483648.0f && q < 2147483647.0f)) {
        return q > 0 ? INT32_MAX / 2 : INT32_MIN / 2;
    }
    return zero_point + (int32_t)q;
}

ep_status ep_activation_range(int32_t fused_activation, float scale, int32_t zero_point,
                              int32_t qmin, int32_t qmax, ep_activation *out)
{
    int32_t lo = qmin;
    int32_t hi = qmax;
    if (out == NULL) {
        return EP_ERR_ARG;
    }
    if (fused_activation != EP_ACT_NONE && !(scale > 0.0f)) {
        return EP_ERR_QUANT;
    }
    switch (fused_activation) {
    case EP_ACT_NONE:
        break;
    case EP_ACT_RELU:
        lo = quantize_bound(0.0f, scale, zero_point);
        break;
    case EP_ACT_RELU6:
        lo = quantize_bound(0.0f, scale, zero_point);
        hi = quantize_bound(6.0f, scale, zero_point);
        break;
    case EP_ACT_RELU_N1_TO_1:
        lo = quantize_bound(-1.0f, scale, zero_point);
        hi = quantize_bound(1.0f, scale, zero_point);
        break;
    default:
        return EP_ERR_UNSUPPORTED;
    }
    out->min = lo > qmin ? lo : qmin;
    out->max = hi < qmax ? hi : qmax;
    return EP_OK;
}

const char *ep_status_name(ep_status status)
{
    switch (status) {
    case EP_OK: return "EP_OK";
    case EP_ERR_ARG: return "EP_ERR_ARG";
    case EP_ERR_MODEL: return "EP_ERR_MODEL";
    case EP_ERR_UNSUPPORTED: return "EP_ERR_UNSUPPORTED";
    case EP_ERR_SHAPE: return "EP_ERR_SHAPE";
    case EP_ERR_QUANT: return "EP_ERR_QUANT";
    case EP_ERR_ARENA: return "EP_ERR_ARENA";
    case EP_ERR_LIMIT: return "EP_ERR_LIMIT";
    case EP_ERR_STATE: return "EP_ERR_STATE";
    case EP_ERR_SIZE: return "EP_ERR_SIZE";
    }
    return "EP_ERR_UNKNOWN";
}
