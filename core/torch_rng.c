/* core/torch_rng.c — PyTorch's CPU generator (mt19937) and its float32 uniform_ (see torch_rng.h). */
#include <math.h>
#include <string.h>
#include "torch_rng.h"

enum { MT_N = 624, MT_M = 397 };

void al_mt19937_seed(al_mt19937 *g, uint64_t seed) {
    g->state[0] = (uint32_t)(seed & 0xffffffffu);   /* torch keeps the low 32 bits */
    for (uint32_t j = 1; j < MT_N; j++)
        g->state[j] = 1812433253u * (g->state[j - 1] ^ (g->state[j - 1] >> 30)) + j;
    g->next = MT_N;
}

/* the twist: a fresh block of MT_N words */
static void mt_regenerate(al_mt19937 *g) {
    uint32_t *s = g->state;
    for (int j = 0; j < MT_N; j++) {
        uint32_t y = (s[j] & 0x80000000u) | (s[(j + 1) % MT_N] & 0x7fffffffu);
        s[j] = s[(j + MT_M) % MT_N] ^ (y >> 1) ^ ((y & 1u) ? 0x9908b0dfu : 0u);
    }
    g->next = 0;
}

uint32_t al_mt19937_next32(al_mt19937 *g) {
    if (g->next >= MT_N) mt_regenerate(g);
    uint32_t y = g->state[g->next++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

/* fl(x * y + z) rounded once, as an FMA instruction gives it, without libm's fmaf (the same
 * bits under glibc and Emscripten's musl). x * y is exact in double (24 + 24 bits); TwoSum
 * (Knuth) gives the sum's rounding error e; s rounded to odd (made odd toward e when
 * inexact) and then to float rounds as the exact sum would: double has >= 2 more bits than
 * float (Boldo & Melquiond, "Emulation of FMA and correctly rounded sums", 2008). */
static float fused_mul_add(float x, float y, float z) {
    double p = (double)x * (double)y, zd = z;
    double s = p + zd;
    double pp = s - zd, zz = s - pp;
    double e = (p - pp) + (zd - zz);
    if (e != 0.0) {
        uint64_t u;
        memcpy(&u, &s, sizeof u);
        if (!(u & 1u)) { u += (e > 0.0) == (s > 0.0) ? 1 : (uint64_t)-1; memcpy(&s, &u, sizeof s); }
    }
    return (float)s;
}

/* the 24-bit uniform in [0, 1): uniform_real's (u32 & MASK) * DIVISOR, in float */
static float unit24(al_mt19937 *g) {
    return (float)(al_mt19937_next32(g) & 0xffffffu) * (1.0f / 16777216.0f);
}

void al_torch_uniform(float *out, long n, double from, double to, al_mt19937 *g) {
    float lo = (float)from, hi = (float)to, range = hi - lo;
    for (long i = 0; i < n; i++) out[i] = fused_mul_add(unit24(g), range, lo);
}

void al_torch_uniform_unfused(float *out, long n, double from, double to, al_mt19937 *g) {
    float lo = (float)from, hi = (float)to, range = hi - lo;
    for (long i = 0; i < n; i++) out[i] = unit24(g) * range + lo;   /* two roundings (-ffp-contract=off) */
}

void al_torch_rand(float *out, long n, al_mt19937 *g) {
    al_torch_uniform(out, n, 0.0, 1.0, g);
}

void al_torch_linear_bounds(double *bw, double *bb, int in) {
    /* kaiming_uniform_(w, a=sqrt(5)): gain = calculate_gain('leaky_relu', a); Python's
     * sqrt(5) ** 2 is pow(), correctly rounded here, so it equals a * a */
    double a = sqrt(5.0);
    double gain = sqrt(2.0 / (1.0 + a * a));
    double std = gain / sqrt((double)in);
    *bw = sqrt(3.0) * std;
    *bb = 1.0 / sqrt((double)in);   /* reset_parameters: 1 / math.sqrt(fan_in) */
}

void al_torch_linear_init(float *w, float *b, int in, int out, al_mt19937 *g) {
    double bw, bb;
    al_torch_linear_bounds(&bw, &bb, in);
    al_torch_uniform(w, (long)out * in, -bw, bw, g);
    al_torch_uniform(b, out, -bb, bb, g);
}
