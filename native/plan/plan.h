/* Arena planner (internal): greedy-by-size placement of buffers with known
 * lifetimes, like TFLM's GreedyMemoryPlanner, with no extra memory. */
#ifndef EP_PLAN_H
#define EP_PLAN_H

#include "edge_peft.h"

#define EP_ALIGN 8u

/* One planned buffer: live during operators [first, last]. size 0 or
 * first < 0 means "not planned". offset is the result. */
typedef struct {
    uint32_t size;
    uint32_t offset;
    int16_t first;
    int16_t last;
} ep_buf;

/* A strided array whose elements start with an ep_buf. */
typedef struct {
    uint8_t *base;
    int32_t count;
    size_t stride;
} ep_buf_list;

static inline uint32_t ep_align_up(uint32_t v)
{
    return (v + (EP_ALIGN - 1u)) & ~(EP_ALIGN - 1u);
}

/* Places every buffer of the lists; returns the total bytes needed. */
uint32_t ep_plan_greedy(const ep_buf_list *lists, int32_t list_count);

#endif
