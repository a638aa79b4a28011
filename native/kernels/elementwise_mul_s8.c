/* MUL int8 with broadcasting, as TFLM's reference int8 Mul computes it: the
 * product of the offset inputs is requantised once (double rounding). */
#include "edge_peft.h"

static inline int8_t mul_one(const ep_mul_params *p, int32_t a, int32_t b)
{
    const int32_t prod = (a + p->input_1_offset) * (b + p->input_2_offset);
    int32_t r = ep_requantize(prod, p->quant.multiplier, p->quant.shift) + p->output_offset;
    r = r < p->activation.min ? p->activation.min : r;
    r = r > p->activation.max ? p->activation.max : r;
    return (int8_t)r;
}

ep_status ep_elementwise_mul_s8(const ep_mul_params *params, const ep_broadcast_dims *dims,
                                const int8_t *input_1, const int8_t *input_2, int8_t *output)
{
    if (params == NULL || dims == NULL || input_1 == NULL || input_2 == NULL || output == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t *d = dims->dims, *s1 = dims->stride_1, *s2 = dims->stride_2;
    for (int32_t i0 = 0; i0 < d[0]; ++i0) {
        for (int32_t i1 = 0; i1 < d[1]; ++i1) {
            for (int32_t i2 = 0; i2 < d[2]; ++i2) {
                for (int32_t i3 = 0; i3 < d[3]; ++i3) {
                    for (int32_t i4 = 0; i4 < d[4]; ++i4) {
                        const int8_t *a = input_1 + i0 * s1[0] + i1 * s1[1] + i2 * s1[2] +
                                          i3 * s1[3] + i4 * s1[4];
                        const int8_t *b = input_2 + i0 * s2[0] + i1 * s2[1] + i2 * s2[2] +
                                          i3 * s2[3] + i4 * s2[4];
                        for (int32_t i5 = 0; i5 < d[5]; ++i5) {
                            *output++ = mul_one(params, a[i5 * s1[5]], b[i5 * s2[5]]);
                        }
                    }
                }
            }
        }
    }
    return EP_OK;
}
