/* PAD int8 / int16 (TFLM Pad with constant value): dims right-aligned to six. The
 * output is walked once in order; each position is either a copy of the
 * matching input element or the pad value (int8: the zero point, real 0; int16: what the
 * prepare gives, TFLM's 0). One body, inlined per width. */
#include "edge_peft.h"

static inline ep_status pad_any(const ep_pad_params *params, const void *input, void *output,
                                bool s16)
{
    if (params == NULL || input == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t *in = params->in_dims, *lo = params->before, *hi = params->after;
    int32_t od[EP_MAX_DIMS];
    for (int32_t k = 0; k < EP_MAX_DIMS; ++k) {
        if (in[k] < 0 || lo[k] < 0 || hi[k] < 0) {
            return EP_ERR_ARG;
        }
        od[k] = lo[k] + in[k] + hi[k];
    }
    const int32_t pad = params->pad_value;
    size_t o = 0;
    int32_t idx[EP_MAX_DIMS] = {0};
    for (idx[0] = 0; idx[0] < od[0]; ++idx[0]) {
        for (idx[1] = 0; idx[1] < od[1]; ++idx[1]) {
            for (idx[2] = 0; idx[2] < od[2]; ++idx[2]) {
                for (idx[3] = 0; idx[3] < od[3]; ++idx[3]) {
                    for (idx[4] = 0; idx[4] < od[4]; ++idx[4]) {
                        bool inside = true;
                        int32_t src = 0;
                        for (int32_t k = 0; k < EP_MAX_DIMS - 1; ++k) {
                            const int32_t j = idx[k] - lo[k];
                            inside = inside && j >= 0 && j < in[k];
                            src = src * in[k] + j;
                        }
                        for (int32_t i5 = 0; i5 < od[5]; ++i5) {
                            const int32_t j = i5 - lo[5];
                            const bool copy = inside && j >= 0 && j < in[5];
                            const size_t at = (size_t)src * (size_t)in[5] + (size_t)j;
                            if (s16) {
                                ((int16_t *)output)[o++] =
                                    copy ? ((const int16_t *)input)[at] : (int16_t)pad;
                            } else {
                                ((int8_t *)output)[o++] =
                                    copy ? ((const int8_t *)input)[at] : (int8_t)pad;
                            }
                        }
                    }
                }
            }
        }
    }
    return EP_OK;
}

ep_status ep_pad_s8(const ep_pad_params *params, const int8_t *input, int8_t *output)
{
    return pad_any(params, input, output, false);
}

ep_status ep_pad_s16(const ep_pad_params *params, const int16_t *input, int16_t *output)
{
    return pad_any(params, input, output, true);
}
