/* SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND int8 (TFLM reference kernels, NHWC; a 3-D NHC
 * tensor is NH1C with block_w 1): the converter's form of a dilated convolution is
 * SPACE_TO_BATCH_ND -> CONV_2D (VALID) -> BATCH_TO_SPACE_ND. Pure copies; prepare checked
 * that the shapes agree with block and paddings / crops, so every index stays inside. */
#include <string.h>

#include "edge_peft.h"

static bool valid(const ep_space_batch_params *p)
{
    return p != NULL && p->in_n > 0 && p->out_n > 0 && p->block_h > 0 && p->block_w > 0 &&
           p->in_h >= 0 && p->in_w >= 0 && p->out_h >= 0 && p->out_w >= 0 && p->depth >= 0;
}

ep_status ep_space_to_batch_nd_s8(const ep_space_batch_params *p, const int8_t *input,
                                  int8_t *output)
{
    if (!valid(p) || input == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const size_t depth = (size_t)p->depth;
    for (int32_t ob = 0; ob < p->out_n; ++ob) {
        const int32_t n = ob % p->in_n;
        const int32_t shift_w = (ob / p->in_n) % p->block_w;
        const int32_t shift_h = (ob / p->in_n) / p->block_w;
        for (int32_t oh = 0; oh < p->out_h; ++oh) {
            const int32_t h = oh * p->block_h + shift_h - p->pad_top;
            for (int32_t ow = 0; ow < p->out_w; ++ow) {
                const int32_t w = ow * p->block_w + shift_w - p->pad_left;
                if (h < 0 || h >= p->in_h || w < 0 || w >= p->in_w) {
                    memset(output, p->pad_value, depth);
                } else {
                    memcpy(output, input + (((size_t)n * (size_t)p->in_h + (size_t)h) *
                                                (size_t)p->in_w + (size_t)w) * depth, depth);
                }
                output += depth;
            }
        }
    }
    return EP_OK;
}

ep_status ep_batch_to_space_nd_s8(const ep_space_batch_params *p, const int8_t *input,
                                  int8_t *output)
{
    if (!valid(p) || input == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const size_t depth = (size_t)p->depth;
    for (int32_t ib = 0; ib < p->in_n; ++ib) {
        const int32_t n = ib % p->out_n, spatial = ib / p->out_n;
        for (int32_t ih = 0; ih < p->in_h; ++ih) {
            const int32_t h = ih * p->block_h + spatial / p->block_w - p->pad_top;
            if (h < 0 || h >= p->out_h) {
                continue;
            }
            for (int32_t iw = 0; iw < p->in_w; ++iw) {
                const int32_t w = iw * p->block_w + spatial % p->block_w - p->pad_left;
                if (w < 0 || w >= p->out_w) {
                    continue;
                }
                memcpy(output + (((size_t)n * (size_t)p->out_h + (size_t)h) * (size_t)p->out_w +
                                 (size_t)w) * depth,
                       input + (((size_t)ib * (size_t)p->in_h + (size_t)ih) * (size_t)p->in_w +
                                (size_t)iw) * depth, depth);
            }
        }
    }
    return EP_OK;
}
