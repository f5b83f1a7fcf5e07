/* core/lowp.c — bfloat16 and binary16 rounding on the bits (see lowp.h). */
#include "lowp.h"

#include <string.h>
#include "settings.h"

static uint32_t bits_of(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

uint16_t al_bf16_bits(float x) {
    uint32_t u = bits_of(x);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x0040u); /* NaN: keep it quiet */
    uint32_t lsb = (u >> 16) & 1u;                     /* ties to even: add 0x7fff plus the kept lsb */
    return (uint16_t)((u + 0x7fffu + lsb) >> 16);      /* overflow carries into the exponent: inf */
}

float al_bf16_value(uint16_t bits) { return float_of((uint32_t)bits << 16); }

uint16_t al_fp16_bits(float x) {
    uint32_t u = bits_of(x), sign = (u >> 16) & 0x8000u, a = u & 0x7fffffffu;
    if (a > 0x7f800000u) return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu)); /* NaN */
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);  /* >= 65520 (half-way past 65504): inf */
    if (a >= 0x38800000u) {                                     /* normal in half: >= 2^-14 */
        uint32_t lsb = (a >> 13) & 1u;
        return (uint16_t)(sign | ((a - 0x38000000u + 0xfffu + lsb) >> 13)); /* rebias 127 -> 15, round */
    }
    if (a < 0x33000000u) return (uint16_t)sign;                 /* below 2^-25: rounds to 0 */
    /* subnormal in half: value = mant · 2^-24, mant = round(a_value · 2^24) */
    uint32_t e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;      /* a_value = m · 2^(e - 150) */
    uint32_t shift = 126u - e;                                  /* m · 2^(e-150) · 2^24 = m >> (126 - e) */
    uint32_t q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);                                /* q = 0x400 becomes the smallest normal */
}

float al_fp16_value(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    if (e == 0x1f) return float_of(sign | 0x7f800000u | (m << 13));   /* inf, NaN */
    if (e == 0) {
        if (m == 0) return float_of(sign);
        float v = (float)m * (1.0f / 16777216.0f);                        /* m · 2^-24, exact */
        return sign ? -v : v;
    }
    return float_of(sign | ((e + 112u) << 23) | (m << 13));
}

float al_round_bf16(float x) { return al_bf16_value(al_bf16_bits(x)); }
float al_round_fp16(float x) { return al_fp16_value(al_fp16_bits(x)); }

static float round_to(float x, int dtype) {
    return dtype == AL_DTYPE_BF16 ? al_round_bf16(x) : dtype == AL_DTYPE_FP16 ? al_round_fp16(x) : x;
}

void al_round_to(float *x, long n, int dtype) {
    if (dtype == AL_DTYPE_FP32) return;
    for (long i = 0; i < n; i++) x[i] = round_to(x[i], dtype);
}

long al_accumulate_in(float *acc, const float *g, long n, int dtype) {
    long underflow = 0;
    for (long i = 0; i < n; i++) {
        float q = round_to(g[i], dtype);
        underflow += q == 0.0f && g[i] != 0.0f;
        acc[i] = round_to(acc[i] + q, dtype);
    }
    return underflow;
}
