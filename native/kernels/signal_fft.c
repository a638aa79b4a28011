/* SignalRfft int16: the real FFT TFLM's Signal library runs, kissfft v130 in its 16-bit fixed
 * point (FIXED_POINT 16). Written here from the algorithm, not copied: a complex FFT of n / 2
 * points over the even / odd sample pairs (mixed radix, decimation in time, each butterfly
 * dividing its inputs by its radix with Q15 rounding), then the split into the n / 2 + 1 real
 * spectrum bins. Bit exactness depends on every rounding and on where values wrap to int16,
 * so the arithmetic below keeps kissfft's exactly: products in int32 rounded by
 * (x + 2^14) >> 15 then wrapped to int16, sums wrapped at each assignment, HALF_OF an
 * arithmetic shift of the int sum. Twiddles are floor(0.5 + 32767 * cos / sin(phase)) in
 * double, as kissfft's kf_cexp computes them. */
#include <math.h>
#include <string.h>

#include "kernels.h"

/* int16 wrap of an int value, defined for any input (kissfft's assignment to short). */
static inline int16_t w16(int32_t v)
{
    const uint32_t u = (uint32_t)v & 0xFFFFu;
    return (int16_t)(u >= 0x8000u ? (int32_t)u - 0x10000 : (int32_t)u);
}

/* sround(smul(a, b)): Q15 product, rounded, wrapped to int16. */
static inline int16_t smul_r(int32_t a, int32_t b)
{
    return w16((a * b + (1 << 14)) >> 15);
}

static inline ep_cplx16 cmul(ep_cplx16 a, ep_cplx16 b)
{
    const ep_cplx16 m = {w16(((int32_t)a.r * b.r - (int32_t)a.i * b.i + (1 << 14)) >> 15),
                         w16(((int32_t)a.r * b.i + (int32_t)a.i * b.r + (1 << 14)) >> 15)};
    return m;
}

/* C_FIXDIV: divide by the radix as a Q15 multiply by 32767 / k. */
static inline void fixdiv(ep_cplx16 *c, int32_t k)
{
    const int32_t s = 32767 / k;
    c->r = smul_r(c->r, s);
    c->i = smul_r(c->i, s);
}

static inline ep_cplx16 cadd(ep_cplx16 a, ep_cplx16 b)
{
    const ep_cplx16 r = {w16(a.r + b.r), w16(a.i + b.i)};
    return r;
}

static inline ep_cplx16 csub(ep_cplx16 a, ep_cplx16 b)
{
    const ep_cplx16 r = {w16(a.r - b.r), w16(a.i - b.i)};
    return r;
}

static void bfly2(ep_cplx16 *f, int32_t fstride, const ep_cplx16 *tw, int32_t m)
{
    for (int32_t k = 0; k < m; ++k) {
        ep_cplx16 *a = &f[k], *b = &f[k + m];
        fixdiv(a, 2);
        fixdiv(b, 2);
        const ep_cplx16 t = cmul(*b, tw[k * fstride]);
        *b = csub(*a, t);
        *a = cadd(*a, t);
    }
}

static void bfly4(ep_cplx16 *f, int32_t fstride, const ep_cplx16 *tw, int32_t m)
{
    for (int32_t k = 0; k < m; ++k) {
        ep_cplx16 *f0 = &f[k], *f1 = &f[k + m], *f2 = &f[k + 2 * m], *f3 = &f[k + 3 * m];
        fixdiv(f0, 4);
        fixdiv(f1, 4);
        fixdiv(f2, 4);
        fixdiv(f3, 4);
        const ep_cplx16 s0 = cmul(*f1, tw[k * fstride]);
        const ep_cplx16 s1 = cmul(*f2, tw[2 * k * fstride]);
        const ep_cplx16 s2 = cmul(*f3, tw[3 * k * fstride]);
        const ep_cplx16 s5 = csub(*f0, s1);
        *f0 = cadd(*f0, s1);
        const ep_cplx16 s3 = cadd(s0, s2), s4 = csub(s0, s2);
        *f2 = csub(*f0, s3);
        *f0 = cadd(*f0, s3);
        /* forward transform */
        f1->r = w16(s5.r + s4.i);
        f1->i = w16(s5.i - s4.r);
        f3->r = w16(s5.r - s4.i);
        f3->i = w16(s5.i + s4.r);
    }
}

static void bfly3(ep_cplx16 *f, int32_t fstride, const ep_cplx16 *tw, int32_t m)
{
    const ep_cplx16 epi3 = tw[fstride * m];
    for (int32_t k = 0; k < m; ++k) {
        ep_cplx16 *f0 = &f[k], *f1 = &f[k + m], *f2 = &f[k + 2 * m];
        fixdiv(f0, 3);
        fixdiv(f1, 3);
        fixdiv(f2, 3);
        const ep_cplx16 s1 = cmul(*f1, tw[k * fstride]);
        const ep_cplx16 s2 = cmul(*f2, tw[2 * k * fstride]);
        const ep_cplx16 s3 = cadd(s1, s2);
        ep_cplx16 s0 = csub(s1, s2);
        f1->r = w16(f0->r - (s3.r >> 1));
        f1->i = w16(f0->i - (s3.i >> 1));
        s0.r = smul_r(s0.r, epi3.i);
        s0.i = smul_r(s0.i, epi3.i);
        *f0 = cadd(*f0, s3);
        f2->r = w16(f1->r + s0.i);
        f2->i = w16(f1->i - s0.r);
        f1->r = w16(f1->r - s0.i);
        f1->i = w16(f1->i + s0.r);
    }
}

static void bfly5(ep_cplx16 *f, int32_t fstride, const ep_cplx16 *tw, int32_t m)
{
    const ep_cplx16 ya = tw[fstride * m], yb = tw[fstride * 2 * m];
    for (int32_t u = 0; u < m; ++u) {
        ep_cplx16 *f0 = &f[u], *f1 = &f[u + m], *f2 = &f[u + 2 * m], *f3 = &f[u + 3 * m],
                  *f4 = &f[u + 4 * m];
        fixdiv(f0, 5);
        fixdiv(f1, 5);
        fixdiv(f2, 5);
        fixdiv(f3, 5);
        fixdiv(f4, 5);
        const ep_cplx16 s0 = *f0;
        const ep_cplx16 s1 = cmul(*f1, tw[u * fstride]);
        const ep_cplx16 s2 = cmul(*f2, tw[2 * u * fstride]);
        const ep_cplx16 s3 = cmul(*f3, tw[3 * u * fstride]);
        const ep_cplx16 s4 = cmul(*f4, tw[4 * u * fstride]);
        const ep_cplx16 s7 = cadd(s1, s4), s10 = csub(s1, s4);
        const ep_cplx16 s8 = cadd(s2, s3), s9 = csub(s2, s3);
        f0->r = w16(f0->r + (s7.r + s8.r));
        f0->i = w16(f0->i + (s7.i + s8.i));
        const ep_cplx16 s5 = {w16(s0.r + smul_r(s7.r, ya.r) + smul_r(s8.r, yb.r)),
                              w16(s0.i + smul_r(s7.i, ya.r) + smul_r(s8.i, yb.r))};
        const ep_cplx16 s6 = {w16(smul_r(s10.i, ya.i) + smul_r(s9.i, yb.i)),
                              w16(-smul_r(s10.r, ya.i) - smul_r(s9.r, yb.i))};
        *f1 = csub(s5, s6);
        *f4 = cadd(s5, s6);
        const ep_cplx16 s11 = {w16(s0.r + smul_r(s7.r, yb.r) + smul_r(s8.r, ya.r)),
                               w16(s0.i + smul_r(s7.i, yb.r) + smul_r(s8.i, ya.r))};
        const ep_cplx16 s12 = {w16(-smul_r(s10.i, yb.i) + smul_r(s9.i, ya.i)),
                               w16(smul_r(s10.r, yb.i) - smul_r(s9.r, ya.i))};
        *f2 = cadd(s11, s12);
        *f3 = csub(s11, s12);
    }
}

/* One stage of the recursive decimation in time: p sub-transforms of length m over the input
 * taken every fstride * p, then the radix-p butterflies. Depth = number of factors (<= 16). */
static void work(ep_cplx16 *out, const ep_cplx16 *in, int32_t fstride, const int32_t *factors,
                 const ep_cplx16 *tw)
{
    const int32_t p = factors[0], m = factors[1];
    if (m == 1) {
        for (int32_t k = 0; k < p; ++k) {
            out[k] = in[k * fstride];
        }
    } else {
        for (int32_t k = 0; k < p; ++k) {
            work(out + k * m, in + k * fstride, fstride * p, factors + 2, tw);
        }
    }
    switch (p) {
    case 2: bfly2(out, fstride, tw, m); break;
    case 3: bfly3(out, fstride, tw, m); break;
    case 4: bfly4(out, fstride, tw, m); break;
    default: bfly5(out, fstride, tw, m); break;
    }
}

ep_status ep_signal_rfft_factor(int32_t fft_length, ep_rfft_params *params)
{
    if (params == NULL) {
        return EP_ERR_ARG;
    }
    if (fft_length < 4 || (fft_length & 1) != 0 || fft_length > (1 << 16)) {
        return EP_ERR_UNSUPPORTED;
    }
    int32_t n = fft_length / 2, p = 4, count = 0;
    const double floor_sqrt = floor(sqrt((double)n));
    /* kf_factor: powers of 4, then 2, then odd primes; past sqrt(n) the rest is one factor */
    do {
        while (n % p != 0) {
            p = p == 4 ? 2 : (p == 2 ? 3 : p + 2);
            if (p > floor_sqrt) {
                p = n;
            }
        }
        if (count == EP_RFFT_MAX_FACTORS || p > 5) {
            return EP_ERR_UNSUPPORTED;
        }
        n /= p;
        params->factors[2 * count] = p;
        params->factors[2 * count + 1] = n;
        ++count;
    } while (n > 1);
    params->fft_length = fft_length;
    params->factor_count = count;
    return EP_OK;
}

ep_status ep_signal_rfft_init(const ep_rfft_params *params, ep_cplx16 *twiddles,
                              ep_cplx16 *super_twiddles)
{
    if (params == NULL || twiddles == NULL || super_twiddles == NULL) {
        return EP_ERR_ARG;
    }
    const int32_t n = params->fft_length / 2;
    for (int32_t i = 0; i < n; ++i) {
        const double pi = 3.141592653589793238462643383279502884197169399375105820974944;
        const double phase = -2 * pi * i / n;
        twiddles[i].r = (int16_t)floor(.5 + 32767 * cos(phase));
        twiddles[i].i = (int16_t)floor(.5 + 32767 * sin(phase));
    }
    for (int32_t i = 0; i < n / 2; ++i) {
        const double phase = -3.14159265358979323846264338327 * ((double)(i + 1) / n + .5);
        super_twiddles[i].r = (int16_t)floor(.5 + 32767 * cos(phase));
        super_twiddles[i].i = (int16_t)floor(.5 + 32767 * sin(phase));
    }
    return EP_OK;
}

int32_t ep_signal_rfft_get_buffer_size(const ep_rfft_params *params)
{
    /* zero-padded frame (n int16) + the half-length complex transform (n / 2 complex) */
    return params != NULL ? params->fft_length * 2 + params->fft_length * 2 : 0;
}

ep_status ep_signal_rfft_s16(const ep_context *ctx, const ep_rfft_params *params,
                             const ep_cplx16 *twiddles, const ep_cplx16 *super_twiddles,
                             const int16_t *input, ep_cplx16 *output)
{
    if (ctx == NULL || params == NULL || twiddles == NULL || super_twiddles == NULL ||
        input == NULL || output == NULL || ctx->buf == NULL ||
        ctx->size < ep_signal_rfft_get_buffer_size(params) ||
        params->input_length > params->fft_length || params->output_length > params->fft_length / 2 + 1) {
        return EP_ERR_ARG;
    }
    const int32_t n = params->fft_length, half = n / 2;
    ep_cplx16 *frame = (ep_cplx16 *)ctx->buf;   /* n int16 as n / 2 (even, odd) pairs */
    ep_cplx16 *tmp = frame + half;
    for (int32_t f = 0; f < params->frames; ++f) {
        memcpy(frame, input + (size_t)f * (size_t)params->input_length,
               (size_t)params->input_length * 2u);
        memset((int16_t *)(void *)frame + params->input_length, 0,
               (size_t)(n - params->input_length) * 2u);
        work(tmp, frame, 1, params->factors, twiddles);
        ep_cplx16 *out = output + (size_t)f * (size_t)params->output_length;
        /* DC and Nyquist from the packed transform's first bin */
        ep_cplx16 tdc = tmp[0];
        fixdiv(&tdc, 2);
        ep_cplx16 dc = {w16(tdc.r + tdc.i), 0}, ny = {w16(tdc.r - tdc.i), 0};
        for (int32_t k = 1; k <= half / 2; ++k) {
            ep_cplx16 fpk = tmp[k], fpnk = {tmp[half - k].r, w16(-tmp[half - k].i)};
            fixdiv(&fpk, 2);
            fixdiv(&fpnk, 2);
            const ep_cplx16 f1k = cadd(fpk, fpnk), f2k = csub(fpk, fpnk);
            const ep_cplx16 tw = cmul(f2k, super_twiddles[k - 1]);
            const ep_cplx16 lo = {w16((f1k.r + tw.r) >> 1), w16((f1k.i + tw.i) >> 1)};
            const ep_cplx16 hi = {w16((f1k.r - tw.r) >> 1), w16((tw.i - f1k.i) >> 1)};
            if (k < params->output_length) {
                out[k] = lo;
            }
            if (half - k < params->output_length) {
                out[half - k] = hi;
            }
        }
        if (params->output_length > 0) {
            out[0] = dc;
        }
        if (half < params->output_length) {
            out[half] = ny;
        }
    }
    return EP_OK;
}
