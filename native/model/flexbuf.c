/* Custom operator options are a FlexBuffer map (the Signal ops' "shift", "fft_length", ...).
 * This reads integer and bool values from the root map by key, checking every offset and
 * width against the buffer, in place (no copy, no heap). Written from the FlexBuffers format
 * description: root = [value][packed type][byte width] at the end; a map's values sit at its
 * offset with the length, key-vector width and key-vector offset in the three words before;
 * each value's packed type follows the values. */
#include <string.h>

#include "model_internal.h"

enum { FBT_INT = 1, FBT_UINT = 2, FBT_INDIRECT_INT = 6, FBT_INDIRECT_UINT = 7, FBT_MAP = 9,
       FBT_BOOL = 26 };

typedef struct {
    const uint8_t *b;
    uint32_t n;
} flex;

static bool width_ok(uint32_t w)
{
    return w == 1 || w == 2 || w == 4 || w == 8;
}

static bool rd_uint(const flex *f, uint64_t at, uint32_t w, uint64_t *v)
{
    if (!width_ok(w) || at + w > f->n) {
        return false;
    }
    uint64_t x = 0;
    for (uint32_t i = 0; i < w; ++i) {
        x |= (uint64_t)f->b[at + i] << (8 * i);
    }
    *v = x;
    return true;
}

static bool rd_int(const flex *f, uint64_t at, uint32_t w, int64_t *v)
{
    uint64_t u;
    if (!rd_uint(f, at, w, &u)) {
        return false;
    }
    if (w < 8 && (u >> (8 * w - 1)) != 0) {
        u |= ~(uint64_t)0 << (8 * w);   /* sign-extend */
    }
    *v = u > (uint64_t)INT64_MAX ? -(int64_t)(~u) - 1 : (int64_t)u;
    return true;
}

/* Target of the offset stored at `at` (width w): at - offset, inside the buffer. */
static bool rd_ref(const flex *f, uint64_t at, uint32_t w, uint64_t *to)
{
    uint64_t off;
    if (!rd_uint(f, at, w, &off) || off > at) {
        return false;
    }
    *to = at - off;
    return true;
}

static bool key_is(const flex *f, uint64_t at, const char *key)
{
    const size_t len = strlen(key);
    return at + len + 1u <= f->n && memcmp(f->b + at, key, len) == 0 && f->b[at + len] == 0;
}

ep_status ep_flex_map_int(const uint8_t *buf, uint32_t size, const char *key, int64_t *out)
{
    const flex f = {buf, size};
    if (buf == NULL || key == NULL || out == NULL || size < 3) {
        return buf == NULL || size < 3 ? EP_ERR_MODEL : EP_ERR_ARG;
    }
    const uint32_t root_w = buf[size - 1];
    const uint8_t root_t = buf[size - 2];
    uint64_t map;
    if (!width_ok(root_w) || size < 2u + root_w || (root_t >> 2) != FBT_MAP ||
        !rd_ref(&f, size - 2u - root_w, root_w, &map)) {
        return EP_ERR_MODEL;
    }
    const uint32_t w = 1u << (root_t & 3u);
    uint64_t len, keys_w, keys;
    if (map < 3u * w || !rd_uint(&f, map - w, w, &len) || !rd_uint(&f, map - 2u * w, w, &keys_w) ||
        !rd_ref(&f, map - 3u * w, w, &keys) || !width_ok((uint32_t)keys_w) ||
        len > f.n || map + len * w + len > f.n || keys + len * keys_w > f.n) {
        return EP_ERR_MODEL;
    }
    for (uint64_t i = 0; i < len; ++i) {
        uint64_t k;
        if (!rd_ref(&f, keys + i * keys_w, (uint32_t)keys_w, &k)) {
            return EP_ERR_MODEL;
        }
        if (!key_is(&f, k, key)) {
            continue;
        }
        const uint8_t packed = buf[map + len * w + i];
        const uint64_t at = map + i * w;
        uint64_t ind;
        uint64_t u;
        switch (packed >> 2) {
        case FBT_INT:
            return rd_int(&f, at, w, out) ? EP_OK : EP_ERR_MODEL;
        case FBT_UINT: case FBT_BOOL:
            if (!rd_uint(&f, at, w, &u)) {
                return EP_ERR_MODEL;
            }
            *out = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
            return EP_OK;
        case FBT_INDIRECT_INT:
            return rd_ref(&f, at, w, &ind) && rd_int(&f, ind, 1u << (packed & 3u), out)
                       ? EP_OK : EP_ERR_MODEL;
        case FBT_INDIRECT_UINT:
            if (!rd_ref(&f, at, w, &ind) || !rd_uint(&f, ind, 1u << (packed & 3u), &u)) {
                return EP_ERR_MODEL;
            }
            *out = u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)u;
            return EP_OK;
        default:
            return EP_ERR_ARG;   /* present, but not an integer */
        }
    }
    return EP_ERR_ARG;
}
