/* Checked flatbuffer primitives and the tiny error formatter (no stdio, so
 * the reader links on boards without printf). */
#include <string.h>

#include "model_internal.h"

static void put(char *buf, size_t size, size_t *at, char c)
{
    if (*at + 1 < size) {
        buf[*at] = c;
    }
    ++*at;
}

static void put_u(char *buf, size_t size, size_t *at, uint32_t v)
{
    char tmp[10];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u && n < 10);
    while (n > 0) {
        put(buf, size, at, tmp[--n]);
    }
}

void ep_format(char *buf, size_t size, const char *fmt, va_list ap)
{
    size_t at = 0;
    if (buf == NULL || size == 0) {
        return;
    }
    for (const char *p = fmt; *p != '\0'; ++p) {
        if (*p != '%' || p[1] == '\0') {
            put(buf, size, &at, *p);
            continue;
        }
        ++p;
        if (*p == 'd') {
            const int32_t v = va_arg(ap, int32_t);
            if (v < 0) {
                put(buf, size, &at, '-');
                put_u(buf, size, &at, (uint32_t)0 - (uint32_t)v);
            } else {
                put_u(buf, size, &at, (uint32_t)v);
            }
        } else if (*p == 'u') {
            put_u(buf, size, &at, va_arg(ap, uint32_t));
        } else if (*p == 's') {
            const char *s = va_arg(ap, const char *);
            for (size_t i = 0; s != NULL && s[i] != '\0' && i < 64; ++i) {
                put(buf, size, &at, s[i]);
            }
        } else {
            put(buf, size, &at, *p);
        }
    }
    buf[at < size ? at : size - 1] = '\0';
}

ep_status ep_fb_fail(const ep_fb *fb, ep_status status, const char *fmt, ...)
{
    if (fb != NULL && fb->err != NULL && fb->err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        ep_format(fb->err, fb->err_size, fmt, ap);
        va_end(ap);
    }
    return status;
}

ep_status ep_fb_table(const ep_fb *fb, uint32_t pos, ep_fbt *t, const char *what)
{
    if ((uint64_t)pos + 4u > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: table offset %u out of range", what, pos);
    }
    const int64_t vt = (int64_t)pos - (int64_t)(int32_t)ep_rd_u32(fb->d + pos);
    if (vt < 0 || (uint64_t)vt + 4u > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: vtable out of range", what);
    }
    t->pos = pos;
    t->vt = (uint32_t)vt;
    t->vt_size = ep_rd_u16(fb->d + t->vt);
    t->tbl_size = ep_rd_u16(fb->d + t->vt + 2);
    if (t->vt_size < 4 || (t->vt_size & 1u) != 0 || (uint64_t)t->vt + t->vt_size > fb->n ||
        t->tbl_size < 4 || (uint64_t)pos + t->tbl_size > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: bad vtable", what);
    }
    return EP_OK;
}

ep_status ep_fb_field(const ep_fb *fb, const ep_fbt *t, int32_t id, uint32_t size,
                      uint32_t *pos)
{
    const uint32_t slot = 4u + 2u * (uint32_t)id;
    *pos = 0;
    if (slot + 2u > t->vt_size) {
        return EP_OK;
    }
    const uint16_t off = ep_rd_u16(fb->d + t->vt + slot);
    if (off == 0) {
        return EP_OK;
    }
    if ((uint32_t)off + size > t->tbl_size) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "field %d outside its table", id);
    }
    *pos = t->pos + off;
    return EP_OK;
}

ep_status ep_fb_u8(const ep_fb *fb, const ep_fbt *t, int32_t id, uint8_t dflt, uint8_t *out)
{
    uint32_t p;
    const ep_status st = ep_fb_field(fb, t, id, 1, &p);
    *out = (st == EP_OK && p != 0) ? fb->d[p] : dflt;
    return st;
}

ep_status ep_fb_i32(const ep_fb *fb, const ep_fbt *t, int32_t id, int32_t dflt, int32_t *out)
{
    uint32_t p;
    const ep_status st = ep_fb_field(fb, t, id, 4, &p);
    *out = (st == EP_OK && p != 0) ? (int32_t)ep_rd_u32(fb->d + p) : dflt;
    return st;
}

ep_status ep_fb_u64(const ep_fb *fb, const ep_fbt *t, int32_t id, uint64_t *out)
{
    uint32_t p;
    const ep_status st = ep_fb_field(fb, t, id, 8, &p);
    *out = (st == EP_OK && p != 0) ? ep_rd_u64(fb->d + p) : 0u;
    return st;
}

ep_status ep_fb_f32(const ep_fb *fb, const ep_fbt *t, int32_t id, float dflt, float *out)
{
    uint32_t p;
    const ep_status st = ep_fb_field(fb, t, id, 4, &p);
    *out = dflt;
    if (st == EP_OK && p != 0) {
        const uint32_t bits = ep_rd_u32(fb->d + p);
        memcpy(out, &bits, sizeof bits);
    }
    return st;
}

/* Follow a uoffset field to its target position. */
static ep_status ref(const ep_fb *fb, const ep_fbt *t, int32_t id, uint32_t *target,
                     const char *what)
{
    uint32_t p;
    ep_status st = ep_fb_field(fb, t, id, 4, &p);
    *target = 0;
    if (st != EP_OK || p == 0) {
        return st != EP_OK ? ep_fb_fail(fb, st, "%s: field %d outside its table", what, id) : st;
    }
    const uint64_t tgt = (uint64_t)p + ep_rd_u32(fb->d + p);
    if (tgt + 4u > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: offset %u out of range", what, (uint32_t)tgt);
    }
    *target = (uint32_t)tgt;
    return EP_OK;
}

ep_status ep_fb_subtable(const ep_fb *fb, const ep_fbt *t, int32_t id, ep_fbt *sub,
                         bool *present, const char *what)
{
    uint32_t tgt;
    ep_status st = ref(fb, t, id, &tgt, what);
    *present = false;
    if (st != EP_OK || tgt == 0) {
        return st;
    }
    *present = true;
    return ep_fb_table(fb, tgt, sub, what);
}

ep_status ep_fb_vector(const ep_fb *fb, const ep_fbt *t, int32_t id, uint32_t elem,
                       uint32_t *start, uint32_t *count, const char *what)
{
    uint32_t tgt;
    ep_status st = ref(fb, t, id, &tgt, what);
    *start = 0;
    *count = 0;
    if (st != EP_OK || tgt == 0) {
        return st;
    }
    const uint32_t len = ep_rd_u32(fb->d + tgt);
    if ((uint64_t)tgt + 4u + (uint64_t)len * elem > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: vector length %u past end of model", what, len);
    }
    *start = tgt + 4u;
    *count = len;
    return EP_OK;
}

ep_status ep_fb_string(const ep_fb *fb, const ep_fbt *t, int32_t id, const char **out,
                       const char *what)
{
    uint32_t start, len;
    ep_status st = ep_fb_vector(fb, t, id, 1, &start, &len, what);
    *out = "";
    if (st != EP_OK || start == 0) {
        return st;
    }
    /* The terminating NUL must be inside the model too. */
    if ((uint64_t)start + len + 1u > fb->n || fb->d[start + len] != 0) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s: string not terminated", what);
    }
    *out = (const char *)(fb->d + start);
    return EP_OK;
}

ep_status ep_fb_vec_table(const ep_fb *fb, uint32_t start, uint32_t i, ep_fbt *t,
                          const char *what)
{
    const uint64_t p = (uint64_t)start + 4u * (uint64_t)i;
    if (p + 4u > fb->n) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s %u: entry out of range", what, i);
    }
    const uint64_t tgt = p + ep_rd_u32(fb->d + p);
    if (tgt > UINT32_MAX) {
        return ep_fb_fail(fb, EP_ERR_MODEL, "%s %u: offset out of range", what, i);
    }
    return ep_fb_table(fb, (uint32_t)tgt, t, what);
}

ep_status ep_fb_prefix(const ep_fb *fb, ep_status status, const char *fmt, ...)
{
    char pre[48];
    va_list ap;
    if (fb == NULL || fb->err == NULL || fb->err_size == 0) {
        return status;
    }
    va_start(ap, fmt);
    ep_format(pre, sizeof pre, fmt, ap);
    va_end(ap);
    size_t plen = 0, mlen = 0;
    while (pre[plen] != '\0') {
        ++plen;
    }
    while (mlen < fb->err_size && fb->err[mlen] != '\0') {
        ++mlen;
    }
    if (plen + 1 >= fb->err_size) {
        return status;
    }
    if (mlen + plen + 1 > fb->err_size) {
        mlen = fb->err_size - plen - 1;
    }
    for (size_t i = mlen; i > 0; --i) {
        fb->err[i - 1 + plen] = fb->err[i - 1];
    }
    for (size_t i = 0; i < plen; ++i) {
        fb->err[i] = pre[i];
    }
    fb->err[mlen + plen] = '\0';
    return status;
}
