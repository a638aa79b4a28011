/* Greedy-by-size memory planner. Buffers are placed largest first, each at
 * the lowest offset that does not overlap (in address) any already placed
 * buffer whose lifetime overlaps its own. Selection and conflict search are
 * quadratic scans so the planner needs no sort buffer and no heap; models
 * have at most a few hundred buffers, and this runs once at init. */
#include "plan.h"

/* Temporary "placed" mark: offsets are multiples of EP_ALIGN, so the low
 * bit is free while planning. */
#define UNPLACED 0xFFFFFFFFu

static ep_buf *buf_at(const ep_buf_list *l, int32_t i)
{
    return (ep_buf *)(void *)(l->base + (size_t)i * l->stride);
}

static int planned(const ep_buf *b)
{
    return b->size > 0 && b->first >= 0 && b->last >= b->first;
}

uint32_t ep_plan_greedy(const ep_buf_list *lists, int32_t list_count)
{
    uint32_t total = 0;
    for (int32_t l = 0; l < list_count; ++l) {
        for (int32_t i = 0; i < lists[l].count; ++i) {
            ep_buf *b = buf_at(&lists[l], i);
            b->offset = planned(b) ? UNPLACED : 0u;
        }
    }
    for (;;) {
        /* next: the largest unplaced buffer (ties: earliest first use, then order) */
        ep_buf *best = NULL;
        for (int32_t l = 0; l < list_count; ++l) {
            for (int32_t i = 0; i < lists[l].count; ++i) {
                ep_buf *b = buf_at(&lists[l], i);
                if (b->offset == UNPLACED && planned(b) &&
                    (best == NULL || b->size > best->size ||
                     (b->size == best->size && b->first < best->first))) {
                    best = b;
                }
            }
        }
        if (best == NULL) {
            break;
        }
        const uint32_t size = ep_align_up(best->size);
        uint32_t cand = 0;
        int moved = 1;
        while (moved) {
            moved = 0;
            for (int32_t l = 0; l < list_count && !moved; ++l) {
                for (int32_t i = 0; i < lists[l].count; ++i) {
                    const ep_buf *o = buf_at(&lists[l], i);
                    if (o == best || o->offset == UNPLACED || !planned(o) ||
                        o->last < best->first || o->first > best->last) {
                        continue;
                    }
                    const uint32_t oend = o->offset + ep_align_up(o->size);
                    if (cand < oend && o->offset < cand + size) {
                        cand = oend;
                        moved = 1;
                        break;
                    }
                }
            }
        }
        best->offset = cand;
        if (cand + size > total) {
            total = cand + size;
        }
    }
    return total;
}
