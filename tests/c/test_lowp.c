/* tests/c/test_lowp.c — bfloat16 and binary16 rounding (core/lowp.c) against every one of
 * the 65,536 patterns of each type and against an independent reference: the nearest of the
 * type's finite values found by binary search in double, ties to the even pattern, and
 * IEEE's overflow rule (at or above max + half an ulp: infinity).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lowp.h"
#include "settings.h"

static uint32_t bits_of(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static float float_of(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }

typedef struct {
    double value[32768];   /* the non-negative finite values of the type, ascending (pattern = index) */
    int n;
    double inf_from;       /* |x| at or above this rounds to infinity */
} table;

static table BF16, FP16;

static void build(table *t, float (*value)(uint16_t)) {
    t->n = 0;
    for (uint32_t b = 0; b < 0x8000u; b++) {
        float v = value((uint16_t)b);
        if (v != v || v == (float)INFINITY) break; /* exponent all ones: inf and NaN come last */
        t->value[t->n++] = v;
    }
    double max = t->value[t->n - 1], ulp = max - t->value[t->n - 2];
    t->inf_from = max + ulp / 2;
}

/* The reference rounding of x to the type: its pattern. */
static uint16_t reference(const table *t, float x, uint16_t inf_bits) {
    double a = fabs((double)x);
    uint16_t sign = bits_of(x) >> 31 ? 0x8000u : 0;
    if (a >= t->inf_from) return (uint16_t)(sign | inf_bits);
    int lo = 0, hi = t->n - 1;                 /* the largest value <= a */
    while (lo < hi) { int mid = (lo + hi + 1) / 2; if (t->value[mid] <= a) lo = mid; else hi = mid - 1; }
    int pick = lo;
    if (lo + 1 < t->n) {
        double below = a - t->value[lo], above = t->value[lo + 1] - a;
        if (above < below || (above == below && (lo & 1))) pick = lo + 1; /* ties to the even pattern */
    } else if (a > t->value[lo]) {
        pick = lo;                              /* between max and inf_from: max */
    }
    return (uint16_t)(sign | pick);
}

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint32_t next32(void) {
    state ^= state << 13; state ^= state >> 7; state ^= state << 17;
    return (uint32_t)(state >> 32);
}

TEST(every_bf16_and_fp16_pattern_round_trips) {
    int bad = 0, nan_bad = 0;
    for (uint32_t b = 0; b <= 0xffffu; b++) {
        float v = al_bf16_value((uint16_t)b), w = al_fp16_value((uint16_t)b);
        if (v != v) nan_bad += al_bf16_value(al_bf16_bits(v)) == al_bf16_value(al_bf16_bits(v)); /* NaN stays NaN */
        else bad += al_bf16_bits(v) != b;
        if (w != w) nan_bad += al_fp16_value(al_fp16_bits(w)) == al_fp16_value(al_fp16_bits(w));
        else bad += al_fp16_bits(w) != b;
    }
    CHECK(bad == 0 && nan_bad == 0, "%d patterns do not round-trip, %d NaNs stopped being NaN", bad, nan_bad);
    CHECK(al_fp16_value(0x7bffu) == 65504.0f && al_fp16_value(0x0001u) == 5.9604644775390625e-8f, "fp16 max and min subnormal");
    CHECK(al_bf16_value(0x3f80u) == 1.0f && al_bf16_value(0x7f7fu) > 3.38e38f, "bf16 1 and max");
}

TEST(midpoints_round_to_the_even_pattern_and_their_neighbours_to_the_nearest) {
    int bad = 0;
    for (int which = 0; which < 2; which++) {
        table *t = which ? &FP16 : &BF16;
        uint16_t (*bits)(float) = which ? al_fp16_bits : al_bf16_bits;
        for (int i = 0; i + 1 < t->n; i++) {
            float mid = (float)((t->value[i] + t->value[i + 1]) / 2); /* exact: 9 or 12 significant bits */
            uint16_t want = (uint16_t)(i & 1 ? i + 1 : i);
            bad += bits(mid) != want;
            bad += bits(-mid) != (uint16_t)(0x8000u | want);
            if (mid > 0 && t->value[i] != mid) {
                bad += bits(float_of(bits_of(mid) - 1)) != (uint16_t)i;     /* just below: down */
                bad += bits(float_of(bits_of(mid) + 1)) != (uint16_t)(i + 1); /* just above: up */
            }
        }
    }
    CHECK(bad == 0, "%d midpoint roundings wrong", bad);
    CHECK(al_fp16_bits(65519.996f) == 0x7bffu && al_fp16_bits(65520.0f) == 0x7c00u, "fp16 overflows at 65520");
    CHECK(al_bf16_bits(3.4028235e38f) == 0x7f80u, "bf16: FLT_MAX rounds up to inf");
}

TEST(a_million_random_floats_round_as_the_reference_does) {
    int bad_bf = 0, bad_fp = 0;
    for (int i = 0; i < 1000000; i++) {
        uint32_t u = next32();
        if ((u & 0x7f800000u) == 0x7f800000u) continue; /* inf and NaN: above */
        float x = float_of(u);
        bad_bf += al_bf16_bits(x) != reference(&BF16, x, 0x7f80u);
        /* fp16 sees the interesting range more often: rescale the exponent into [2^-30, 2^17) */
        float y = float_of((u & 0x807fffffu) | ((97u + (u >> 23) % 47u) << 23));
        bad_fp += al_fp16_bits(y) != reference(&FP16, y, 0x7c00u);
        bad_fp += al_fp16_bits(x) != reference(&FP16, x, 0x7c00u);
    }
    CHECK(bad_bf == 0 && bad_fp == 0, "bf16: %d, fp16: %d differ from the reference", bad_bf, bad_fp);
}

TEST(adding_in_bf16_loses_what_is_below_half_an_ulp) {
    float acc[3] = {256.0f, 2048.0f, 1.0f}, g[3] = {1.0f, 1.0f, 1e-30f};
    long lost = al_accumulate_in(acc, g, 3, AL_DTYPE_BF16);
    CHECK(acc[0] == 256.0f, "bf16: 256 + 1 = %g", acc[0]);
    CHECK(acc[1] == 2048.0f && acc[2] == 1.0f && lost == 0, "%g %g lost %ld", acc[1], acc[2], lost);
    float h[3] = {2048.0f, 1.0f, 0.0f}, gh[3] = {1.0f, 1.0f, 1e-9f};
    lost = al_accumulate_in(h, gh, 3, AL_DTYPE_FP16);
    CHECK(h[0] == 2048.0f && h[1] == 2.0f, "fp16: 2048 + 1 = %g, 1 + 1 = %g", h[0], h[1]);
    CHECK(lost == 1 && h[2] == 0.0f, "fp16: 1e-9 underflows to 0 (lost %ld)", lost);
    float f[2] = {256.0f, 0.0f}, gf[2] = {1.0f, 1e-9f};
    lost = al_accumulate_in(f, gf, 2, AL_DTYPE_FP32);
    CHECK(f[0] == 257.0f && f[1] == 1e-9f && lost == 0, "fp32 keeps both: %g %g", f[0], f[1]);
}

int main(void) {
    build(&BF16, al_bf16_value);
    build(&FP16, al_fp16_value);
    CHECK(BF16.n == 0x7f80 && FP16.n == 0x7c00, "tables: %d bf16, %d fp16 finite values", BF16.n, FP16.n);
    RUN(every_bf16_and_fp16_pattern_round_trips);
    RUN(midpoints_round_to_the_even_pattern_and_their_neighbours_to_the_nearest);
    RUN(a_million_random_floats_round_as_the_reference_does);
    RUN(adding_in_bf16_loses_what_is_below_half_an_ulp);
    return check_summary("lowp");
}
