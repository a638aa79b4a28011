/* Debug driver for the DP noise sampler: writes ept_normal_q16(seed, stream, first + i),
 * i < count, as little-endian int32 Q16.16 to stdout, for the statistical tests in
 * host-tests/train/gauss.test.ts (which judge it against an independent erf oracle).
 * Usage: ept-gauss-dump SEED STREAM FIRST COUNT
 *        ept-gauss-dump --tail SEED STREAM FIRST COUNT   (JSON: counts of |z| > k sigma, k = 1..8;
 *        for tail frequencies over 1e9+ draws, far too many to ship through a pipe) */
#include <stdio.h>
#include <stdlib.h>
#include "train_internal.h"

int main(int argc, char **argv)
{
    static unsigned char buf[4096 * 4];
    uint32_t seed, stream, first, count, i, n = 0;
    if (argc == 6 && argv[1][0] == '-') {
        uint64_t tail[9] = {0};
        seed = (uint32_t)strtoul(argv[2], NULL, 0);
        stream = (uint32_t)strtoul(argv[3], NULL, 0);
        first = (uint32_t)strtoul(argv[4], NULL, 0);
        count = (uint32_t)strtoul(argv[5], NULL, 0);
        for (i = 0; i < count; ++i) {
            const int32_t z = ept_normal_q16(seed, stream, first + i);
            const uint32_t a = z < 0 ? (uint32_t)0 - (uint32_t)z : (uint32_t)z;
            for (uint32_t k = 1; k <= 8 && a > (k << 16); ++k) ++tail[k];
        }
        printf("{\"n\":%lu,\"tail\":[", (unsigned long)count);
        for (uint32_t k = 1; k <= 8; ++k) printf("%s%llu", k > 1 ? "," : "", (unsigned long long)tail[k]);
        printf("]}\n");
        return 0;
    }
    if (argc != 5) {
        fprintf(stderr, "usage: ept-gauss-dump [--tail] SEED STREAM FIRST COUNT\n");
        return 2;
    }
    seed = (uint32_t)strtoul(argv[1], NULL, 0);
    stream = (uint32_t)strtoul(argv[2], NULL, 0);
    first = (uint32_t)strtoul(argv[3], NULL, 0);
    count = (uint32_t)strtoul(argv[4], NULL, 0);
    for (i = 0; i < count; ++i) {
        const uint32_t v = (uint32_t)ept_normal_q16(seed, stream, first + i);
        buf[n++] = (unsigned char)v;
        buf[n++] = (unsigned char)(v >> 8);
        buf[n++] = (unsigned char)(v >> 16);
        buf[n++] = (unsigned char)(v >> 24);
        if (n == sizeof buf || i + 1 == count) {
            if (fwrite(buf, 1, n, stdout) != n) return 1;
            n = 0;
        }
    }
    return 0;
}
