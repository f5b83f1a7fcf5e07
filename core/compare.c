/* core/compare.c — how close two float vectors are, in every sense the lab reports.
 *
 * Runs on the gradients and on the parameters of both runs, and on the same-point gradient,
 * after every optimizer step, so it is written for speed, in one pass over the two vectors:
 * - the sums are in double, each in four lanes by index mod 4 (the order of compare.h), so
 *   each lane is an independent chain of additions (an index-order sum is one chain, bound by
 *   the latency of an addition) and every build (SIMD wasm in f64x2, native in SSE2 __m128d,
 *   scalar wasm in plain doubles) gives the same bits; they run in blocks with few live values;
 * - up to the first block whose bits differ, the blocks are bitwise equal (the common case for
 *   parameters): their a·b, |a|², |b|² and |a-b|² need nothing else;
 * - from the first differing block on, one pass takes |a|², |b|², |a-b|² and, with the guess
 *   g of the scale c = a·b/|b|² that the first differing block gives, Σe² and Σe·b of
 *   e = a - g·b; a·b and the residual |a - c·b|² follow exactly in algebra, without the
 *   second pass the residual needs with c known first. Where the algebra would cancel (a poor
 *   guess, nearly orthogonal vectors) the plain passes run instead;
 * - the maxima and flags, which do not depend on order, come from a branch-free look at each
 *   differing block, in the same pass in the SIMD build (no scalar division per element);
 * - finiteness needs no flag per element: |a|² and |b|² are finite exactly when every value
 *   is; only then (a diverged run) does everything run again element by element.
 * The last n % 4 elements are summed as a group of four padded with zeros: adding +0·+0 to a
 * lane that started at +0 changes nothing (not even a -0, which such a lane never holds).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "compare.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#define BLOCK 512 /* floats per block */

static uint32_t bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* float32 bits mapped to a line where adjacent floats differ by 1 (-0 and +0 both at 0).
 * Branch-free: signs are random in a parameter vector, so a branch would mispredict. */
static int64_t ulp_line(uint32_t u) {
    int64_t sign = -(int64_t)(u >> 31), mag = (int64_t)(u & 0x7fffffffu); /* sign: 0 or -1 */
    return (mag ^ sign) - sign;
}

/* ---- the sums: four lanes by index mod 4 ------------------------------------------------
 * A group of four floats a[i..i+4) gives two pairs of doubles: lo = (i, i+1), hi = (i+2, i+3);
 * each sum keeps a pair of lanes for each, so lane r holds the elements with index ≡ r mod 4.
 * d2 is a pair of doubles in every build, with IEEE double add, sub and mul lane by lane. */
#if defined(__wasm_simd128__)
typedef v128_t d2;
static inline d2 d2_zero(void) { return wasm_f64x2_splat(0.0); }
static inline d2 d2_add(d2 x, d2 y) { return wasm_f64x2_add(x, y); }
static inline d2 d2_sub(d2 x, d2 y) { return wasm_f64x2_sub(x, y); }
static inline d2 d2_mul(d2 x, d2 y) { return wasm_f64x2_mul(x, y); }
static inline d2 d2_splat(double x) { return wasm_f64x2_splat(x); }
static inline void d2_store(double *p, d2 x) { wasm_v128_store(p, x); }
static inline d2 d2_loadu(const double *p) { return wasm_v128_load(p); }
/* floats p[0..4) as doubles */
#define LOAD_GROUP(lo, hi, p)                                                                    \
    do { v128_t v_ = wasm_v128_load(p);                                                          \
         lo = wasm_f64x2_promote_low_f32x4(v_);                                                  \
         hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v_, v_, 2, 3, 2, 3)); } while (0)
#elif defined(__SSE2__)
typedef __m128d d2;
static inline d2 d2_zero(void) { return _mm_setzero_pd(); }
static inline d2 d2_add(d2 x, d2 y) { return _mm_add_pd(x, y); }
static inline d2 d2_sub(d2 x, d2 y) { return _mm_sub_pd(x, y); }
static inline d2 d2_mul(d2 x, d2 y) { return _mm_mul_pd(x, y); }
static inline d2 d2_splat(double x) { return _mm_set1_pd(x); }
static inline void d2_store(double *p, d2 x) { _mm_storeu_pd(p, x); }
static inline d2 d2_loadu(const double *p) { return _mm_loadu_pd(p); }
#define LOAD_GROUP(lo, hi, p)                                                                    \
    do { __m128 v_ = _mm_loadu_ps(p); lo = _mm_cvtps_pd(v_); hi = _mm_cvtps_pd(_mm_movehl_ps(v_, v_)); } while (0)
#else
typedef struct { double l[2]; } d2;
static inline d2 d2_zero(void) { d2 r = {{0.0, 0.0}}; return r; }
static inline d2 d2_add(d2 x, d2 y) { x.l[0] += y.l[0]; x.l[1] += y.l[1]; return x; }
static inline d2 d2_sub(d2 x, d2 y) { x.l[0] -= y.l[0]; x.l[1] -= y.l[1]; return x; }
static inline d2 d2_mul(d2 x, d2 y) { x.l[0] *= y.l[0]; x.l[1] *= y.l[1]; return x; }
static inline d2 d2_splat(double x) { d2 r = {{x, x}}; return r; }
static inline void d2_store(double *p, d2 x) { p[0] = x.l[0]; p[1] = x.l[1]; }
static inline d2 d2_loadu(const double *p) { d2 r = {{p[0], p[1]}}; return r; }
#define LOAD_GROUP(lo, hi, p)                                                                    \
    do { const float *p_ = (p); lo.l[0] = p_[0]; lo.l[1] = p_[1]; hi.l[0] = p_[2]; hi.l[1] = p_[3]; } while (0)
#endif

/* The running sums between blocks: sum q (0 a·b, 1 |a|², 2 |b|², 3 |a-b|²), lane r at [q][r]. */
typedef struct { double s[4][4]; } lane_sums;

/* A lane sum's total: (lane 0 + lane 2) + (lane 1 + lane 3), the order of compare.h. */
static double lanes_total(const double l[4]) { return (l[0] + l[2]) + (l[1] + l[3]); }

/* The four sums of n floats (n a multiple of 4, the lanes continued). Returns nonzero if some
 * element's bits differ: then the block needs block_differences. (Non-finite values need no
 * flag here: they make |a|² or |b|² inf or NaN, and al_compare_norms then looks again.) */
static uint32_t block_sums(lane_sums *S, const float *a, const float *b, long n) {
    d2 dot0 = d2_loadu(S->s[0]), dot1 = d2_loadu(S->s[0] + 2), na0 = d2_loadu(S->s[1]), na1 = d2_loadu(S->s[1] + 2);
    d2 nb0 = d2_loadu(S->s[2]), nb1 = d2_loadu(S->s[2] + 2), dd0 = d2_loadu(S->s[3]), dd1 = d2_loadu(S->s[3] + 2);
    uint32_t differ = 0;
#if defined(__wasm_simd128__)
    v128_t vdiffer = wasm_i32x4_splat(0);
#endif
    for (long i = 0; i < n; i += 4) {
        d2 x0, x1, y0, y1;
#if defined(__wasm_simd128__)
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        vdiffer = wasm_v128_or(vdiffer, wasm_v128_xor(va, vb));
        x0 = wasm_f64x2_promote_low_f32x4(va); x1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(va, va, 2, 3, 2, 3));
        y0 = wasm_f64x2_promote_low_f32x4(vb); y1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3));
#else
        for (int q = 0; q < 4; q++) differ |= bits(a[i + q]) ^ bits(b[i + q]);
        LOAD_GROUP(x0, x1, a + i);
        LOAD_GROUP(y0, y1, b + i);
#endif
        d2 d0 = d2_sub(x0, y0), d1 = d2_sub(x1, y1);
        dot0 = d2_add(dot0, d2_mul(x0, y0)); dot1 = d2_add(dot1, d2_mul(x1, y1));
        na0 = d2_add(na0, d2_mul(x0, x0)); na1 = d2_add(na1, d2_mul(x1, x1));
        nb0 = d2_add(nb0, d2_mul(y0, y0)); nb1 = d2_add(nb1, d2_mul(y1, y1));
        dd0 = d2_add(dd0, d2_mul(d0, d0)); dd1 = d2_add(dd1, d2_mul(d1, d1));
    }
#if defined(__wasm_simd128__)
    differ = (uint32_t)wasm_v128_any_true(vdiffer);
#endif
    d2_store(S->s[0], dot0); d2_store(S->s[0] + 2, dot1); d2_store(S->s[1], na0); d2_store(S->s[1] + 2, na1);
    d2_store(S->s[2], nb0); d2_store(S->s[2] + 2, nb1); d2_store(S->s[3], dd0); d2_store(S->s[3] + 2, dd1);
    return differ;
}

/* The maxima and flags, which do not depend on order. Equal finite elements change nothing
 * (d = 0, ulp 0), so a block is looked at whole, without a branch per element. */
typedef struct {
    int allclose;
    double max_abs, max_rel;
    int64_t max_ulp;
} diff_state;

#if defined(__wasm_simd128__)
/* The same maxima and flags over four floats at a time, in WebAssembly SIMD (V8 spills the
 * scalar loop's many live values). Everything taken is a max or a flag, exact and order-free,
 * so the result is the scalar loop's in every build. The ulp distance is taken as an unsigned
 * 32-bit max - min of the lines (it is below 2^32). Division in f64x2 lanes is cheap enough
 * here that max_rel divides every element (the scalar filter lets every element through when
 * all ratios tie, as with a gradient k times the other). Returns how many elements it did. */

static long differences_simd(diff_state *s, const float *a, const float *b, long n, double rtol, double atol) {
    const v128_t mag_mask = wasm_i32x4_splat(0x7fffffff);
    const v128_t vrtol = wasm_f64x2_splat(rtol), vatol = wasm_f64x2_splat(atol);
    v128_t close = wasm_i32x4_splat(-1), ulp = wasm_i32x4_splat(0);
    v128_t max_abs = wasm_f64x2_splat(s->max_abs), max_rel = wasm_f64x2_splat(s->max_rel);
    long n4 = n & ~3L;
    for (long i = 0; i < n4; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        v128_t sa = wasm_i32x4_shr(va, 31), sb = wasm_i32x4_shr(vb, 31);
        v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(va, mag_mask), sa), sa);
        v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(vb, mag_mask), sb), sb);
        ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));
        for (int half = 0; half < 2; half++) {
            v128_t x = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(va, va, 2, 3, 2, 3) : va);
            v128_t y = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3) : vb);
            v128_t d = wasm_f64x2_abs(wasm_f64x2_sub(x, y)), ay = wasm_f64x2_abs(y);
            close = wasm_v128_and(close, wasm_f64x2_le(d, wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay))));
            max_abs = wasm_f64x2_pmax(max_abs, d); /* max_abs < d ? d : max_abs */
            /* d/|b|: inf where b = 0 < d; 0 or NaN (skipped by pmax) where d = 0 */
            max_rel = wasm_f64x2_pmax(max_rel, wasm_f64x2_div(d, ay));
        }
    }
    s->allclose &= wasm_i64x2_all_true(close);
    double m0 = wasm_f64x2_extract_lane(max_abs, 0), m1 = wasm_f64x2_extract_lane(max_abs, 1);
    s->max_abs = m0 > m1 ? m0 : m1;
    m0 = wasm_f64x2_extract_lane(max_rel, 0), m1 = wasm_f64x2_extract_lane(max_rel, 1);
    s->max_rel = m0 > m1 ? m0 : m1;
    uint32_t u[4];
    wasm_v128_store(u, ulp);
    for (int q = 0; q < 4; q++) s->max_ulp = (int64_t)u[q] > s->max_ulp ? (int64_t)u[q] : s->max_ulp;
    return n4;
}
#endif

static void differences_scalar(diff_state *s, const float *a, const float *b, long n, double rtol, double atol) {
    int allclose = s->allclose;
    double max_abs = s->max_abs, max_rel = s->max_rel;
    int64_t max_ulp = s->max_ulp;
    for (long i = 0; i < n; i++) {
        uint32_t ua = bits(a[i]), ub = bits(b[i]);
        double y = b[i], d = fabs((double)a[i] - y), ay = fabs(y);
        /* torch.isclose: equal values are close (inf == inf too); otherwise a finite |a-b|
         * within atol + rtol·|b| (inf - -inf or NaN never is) */
        allclose &= a[i] == b[i] || (d <= atol + rtol * ay && d < INFINITY);
        max_abs = d > max_abs ? d : max_abs;
        /* max |a-b|/|b| without dividing every element: d·(1+2⁻²⁰) >= max_rel·|b| holds
         * whenever d/|b| rounds above max_rel (the products round by far less than 2⁻²⁰),
         * so only candidates divide and max_rel is the max of every quotient */
        if (d > 0.0 && d * (1.0 + 0x1p-20) >= max_rel * ay) {
            double rel = ay == 0.0 ? INFINITY : d / ay;
            if (rel > max_rel) max_rel = rel;
        }
        int64_t du = ulp_line(ua) - ulp_line(ub), sign = du >> 63;
        du = (du ^ sign) - sign;
        max_ulp = du > max_ulp ? du : max_ulp;
    }
    s->allclose = allclose;
    s->max_abs = max_abs; s->max_rel = max_rel; s->max_ulp = max_ulp;
}

static void block_differences(diff_state *s, const float *a, const float *b, long n, double rtol, double atol) {
    long done = 0;
#if defined(__wasm_simd128__)
    done = differences_simd(s, a, b, n, rtol, atol);
#endif
    differences_scalar(s, a + done, b + done, n - done, rtol, atol);
}

/* ---- from the first differing block on: |a|², |b|², |a-b|² and the sums of e = a - g·b ---
 * The running sums of this phase: 0 |a|², 1 |b|² (both continuing the lanes of the blocks
 * before, so that the norms are the plain lane sums), 2 |b|² of this phase alone, 3 Σe²,
 * 4 Σe·b, 5 |a-b|² (from +0: the equal blocks before added only zeros, so these are the plain
 * lane sums too; a-b is exact in double, a - g·b is not, so |a-b|² is summed, not derived). */
typedef struct { double s[6][4]; } rest_sums;

/* One group of four into the six sums (the locals of block_rest_sums and block_rest_fused):
 * d = a - b, e = a - g·b, then |a|², |b|² (twice: all, and this phase's, unless with_nr is 0:
 * no equal blocks before, so the two are one sum), Σe², Σe·b, Σd². */
#define REST_TERMS(d0, d1)                                                                        \
    d2 d0 = d2_sub(x0, y0), d1 = d2_sub(x1, y1);                                                 \
    do {                                                                                          \
        d2 e0 = d2_sub(x0, d2_mul(vg, y0)), e1 = d2_sub(x1, d2_mul(vg, y1));                    \
        d2 q0 = d2_mul(y0, y0), q1 = d2_mul(y1, y1);                                             \
        na0 = d2_add(na0, d2_mul(x0, x0)); na1 = d2_add(na1, d2_mul(x1, x1));                  \
        nb0 = d2_add(nb0, q0); nb1 = d2_add(nb1, q1);                                            \
        if (with_nr) nr0 = d2_add(nr0, q0), nr1 = d2_add(nr1, q1);                               \
        ee0 = d2_add(ee0, d2_mul(e0, e0)); ee1 = d2_add(ee1, d2_mul(e1, e1));                  \
        eb0 = d2_add(eb0, d2_mul(e0, y0)); eb1 = d2_add(eb1, d2_mul(e1, y1));                  \
        dd0 = d2_add(dd0, d2_mul(d0, d0)); dd1 = d2_add(dd1, d2_mul(d1, d1));                  \
    } while (0)

#define REST_LOAD()                                                                               \
    d2 na0 = d2_loadu(R->s[0]), na1 = d2_loadu(R->s[0] + 2), nb0 = d2_loadu(R->s[1]), nb1 = d2_loadu(R->s[1] + 2); \
    d2 nr0 = d2_loadu(R->s[2]), nr1 = d2_loadu(R->s[2] + 2), ee0 = d2_loadu(R->s[3]), ee1 = d2_loadu(R->s[3] + 2); \
    d2 eb0 = d2_loadu(R->s[4]), eb1 = d2_loadu(R->s[4] + 2), dd0 = d2_loadu(R->s[5]), dd1 = d2_loadu(R->s[5] + 2); \
    d2 vg = d2_splat(g)

#define REST_STORE()                                                                              \
    do {                                                                                          \
        d2_store(R->s[0], na0); d2_store(R->s[0] + 2, na1); d2_store(R->s[1], nb0); d2_store(R->s[1] + 2, nb1); \
        d2_store(R->s[2], nr0); d2_store(R->s[2] + 2, nr1); d2_store(R->s[3], ee0); d2_store(R->s[3] + 2, ee1); \
        d2_store(R->s[4], eb0); d2_store(R->s[4] + 2, eb1); d2_store(R->s[5], dd0); d2_store(R->s[5] + 2, dd1); \
    } while (0)

/* The six sums over n floats (a multiple of 4); e = a - g·b in double (g·b rounded once).
 * Returns nonzero if some element's bits differ (the block then needs block_differences). */
static uint32_t block_rest_sums(rest_sums *R, const float *a, const float *b, long n, double g) {
    const int with_nr = 1;
    REST_LOAD();
    uint32_t differ = 0;
    for (long i = 0; i < n; i += 4) {
        d2 x0, x1, y0, y1;
        for (int q = 0; q < 4; q++) differ |= bits(a[i + q]) ^ bits(b[i + q]);
        LOAD_GROUP(x0, x1, a + i);
        LOAD_GROUP(y0, y1, b + i);
        REST_TERMS(d0, d1);
        (void)d0; (void)d1;
    }
    REST_STORE();
    return differ;
}

#if defined(__wasm_simd128__)
/* block_rest_sums and block_differences in one pass (the SIMD build): the loads and
 * conversions are shared and the lane-wise maxima fill the gaps between the additions. Same
 * results as the two. n: a multiple of 4. With check_close 0 (allclose already false) the
 * closeness test is left out; with with_nr 0 (no equal blocks before: this phase's |b|² is
 * all of |b|², copied at the end) its second sum of |b|². */
static inline __attribute__((always_inline)) void block_rest_fused(rest_sums *R, diff_state *s, const float *a, const float *b,
                                                                   long n, double g, double rtol, double atol, int check_close,
                                                                   int with_nr) {
    REST_LOAD();
    const v128_t mag_mask = wasm_i32x4_splat(0x7fffffff);
    const v128_t vrtol = wasm_f64x2_splat(rtol), vatol = wasm_f64x2_splat(atol);
    v128_t close = wasm_i32x4_splat(-1), ulp = wasm_i32x4_splat(0);
    v128_t max_abs = wasm_f64x2_splat(s->max_abs), max_rel = wasm_f64x2_splat(s->max_rel);
    for (long i = 0; i < n; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        v128_t sa = wasm_i32x4_shr(va, 31), sb = wasm_i32x4_shr(vb, 31);
        v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(va, mag_mask), sa), sa);
        v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(vb, mag_mask), sb), sb);
        ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));
        v128_t x0 = wasm_f64x2_promote_low_f32x4(va), x1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(va, va, 2, 3, 2, 3));
        v128_t y0 = wasm_f64x2_promote_low_f32x4(vb), y1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3));
        REST_TERMS(d0, d1);
        for (int half = 0; half < 2; half++) {
            v128_t ad = wasm_f64x2_abs(half ? d1 : d0), ay = wasm_f64x2_abs(half ? y1 : y0);
            if (check_close)
                close = wasm_v128_and(close, wasm_f64x2_le(ad, wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay))));
            max_abs = wasm_f64x2_pmax(max_abs, ad);
            max_rel = wasm_f64x2_pmax(max_rel, wasm_f64x2_div(ad, ay));
        }
    }
    REST_STORE();
    s->allclose &= wasm_i64x2_all_true(close);
    double m0 = wasm_f64x2_extract_lane(max_abs, 0), m1 = wasm_f64x2_extract_lane(max_abs, 1);
    s->max_abs = m0 > m1 ? m0 : m1;
    m0 = wasm_f64x2_extract_lane(max_rel, 0), m1 = wasm_f64x2_extract_lane(max_rel, 1);
    s->max_rel = m0 > m1 ? m0 : m1;
    uint32_t u[4];
    wasm_v128_store(u, ulp);
    for (int q = 0; q < 4; q++) s->max_ulp = (int64_t)u[q] > s->max_ulp ? (int64_t)u[q] : s->max_ulp;
}

/* block_rest_fused for a1 and a2 against one b, from the first block on (so |b|² of the pass
 * is all of |b|²): each pair's sums and maxima as block_rest_fused takes them, b loaded,
 * converted and squared once. */
static inline __attribute__((always_inline)) void block_rest_fused2(rest_sums *R1, diff_state *s1, rest_sums *R2, diff_state *s2,
                                                                    const float *a1, const float *a2, const float *b, long n,
                                                                    double g1, double g2, double rtol, double atol, int check_close) {
    d2 nb0 = d2_loadu(R1->s[1]), nb1 = d2_loadu(R1->s[1] + 2);
    d2 na0 = d2_loadu(R1->s[0]), na1 = d2_loadu(R1->s[0] + 2), ee0 = d2_loadu(R1->s[3]), ee1 = d2_loadu(R1->s[3] + 2);
    d2 eb0 = d2_loadu(R1->s[4]), eb1 = d2_loadu(R1->s[4] + 2);
    d2 ma0 = d2_loadu(R2->s[0]), ma1 = d2_loadu(R2->s[0] + 2), ff0 = d2_loadu(R2->s[3]), ff1 = d2_loadu(R2->s[3] + 2);
    d2 fb0 = d2_loadu(R2->s[4]), fb1 = d2_loadu(R2->s[4] + 2);
    d2 dd0 = d2_loadu(R1->s[5]), dd1 = d2_loadu(R1->s[5] + 2), df0 = d2_loadu(R2->s[5]), df1 = d2_loadu(R2->s[5] + 2);
    const d2 vg = d2_splat(g1), vh = d2_splat(g2);
    const v128_t mag_mask = wasm_i32x4_splat(0x7fffffff);
    const v128_t vrtol = wasm_f64x2_splat(rtol), vatol = wasm_f64x2_splat(atol);
    v128_t close1 = wasm_i32x4_splat(-1), ulp1 = wasm_i32x4_splat(0), close2 = close1, ulp2 = ulp1;
    v128_t max_abs1 = wasm_f64x2_splat(s1->max_abs), max_rel1 = wasm_f64x2_splat(s1->max_rel);
    v128_t max_abs2 = wasm_f64x2_splat(s2->max_abs), max_rel2 = wasm_f64x2_splat(s2->max_rel);
    for (long i = 0; i < n; i += 4) {
        v128_t vb = wasm_v128_load(b + i), sb = wasm_i32x4_shr(vb, 31);
        v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(vb, mag_mask), sb), sb);
        v128_t y0 = wasm_f64x2_promote_low_f32x4(vb), y1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3));
        v128_t ay0 = wasm_f64x2_abs(y0), ay1 = wasm_f64x2_abs(y1), tol0 = vatol, tol1 = vatol;
        if (check_close) tol0 = wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay0)), tol1 = wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay1));
        nb0 = d2_add(nb0, d2_mul(y0, y0)); nb1 = d2_add(nb1, d2_mul(y1, y1));
#define ONE_PAIR(a, na0, na1, ee0, ee1, eb0, eb1, dd0, dd1, vg, close, ulp, max_abs, max_rel)                       \
        do {                                                                                                     \
            v128_t va = wasm_v128_load(a + i), sa = wasm_i32x4_shr(va, 31);                                      \
            v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(va, mag_mask), sa), sa);                      \
            ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));           \
            v128_t x0 = wasm_f64x2_promote_low_f32x4(va), x1 = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(va, va, 2, 3, 2, 3)); \
            d2 e0 = d2_sub(x0, d2_mul(vg, y0)), e1 = d2_sub(x1, d2_mul(vg, y1));                                \
            na0 = d2_add(na0, d2_mul(x0, x0)); na1 = d2_add(na1, d2_mul(x1, x1));                              \
            ee0 = d2_add(ee0, d2_mul(e0, e0)); ee1 = d2_add(ee1, d2_mul(e1, e1));                              \
            eb0 = d2_add(eb0, d2_mul(e0, y0)); eb1 = d2_add(eb1, d2_mul(e1, y1));                              \
            d2 d0 = d2_sub(x0, y0), d1 = d2_sub(x1, y1);                                                         \
            dd0 = d2_add(dd0, d2_mul(d0, d0)); dd1 = d2_add(dd1, d2_mul(d1, d1));                              \
            v128_t ad0 = wasm_f64x2_abs(d0), ad1 = wasm_f64x2_abs(d1);                                           \
            if (check_close)                                                                                     \
                close = wasm_v128_and(close, wasm_v128_and(wasm_f64x2_le(ad0, tol0), wasm_f64x2_le(ad1, tol1))); \
            max_abs = wasm_f64x2_pmax(wasm_f64x2_pmax(max_abs, ad0), ad1);                                       \
            max_rel = wasm_f64x2_pmax(wasm_f64x2_pmax(max_rel, wasm_f64x2_div(ad0, ay0)), wasm_f64x2_div(ad1, ay1)); \
        } while (0)
        ONE_PAIR(a1, na0, na1, ee0, ee1, eb0, eb1, dd0, dd1, vg, close1, ulp1, max_abs1, max_rel1);
        ONE_PAIR(a2, ma0, ma1, ff0, ff1, fb0, fb1, df0, df1, vh, close2, ulp2, max_abs2, max_rel2);
#undef ONE_PAIR
    }
    d2_store(R1->s[1], nb0); d2_store(R1->s[1] + 2, nb1);
    d2_store(R1->s[0], na0); d2_store(R1->s[0] + 2, na1); d2_store(R1->s[3], ee0); d2_store(R1->s[3] + 2, ee1);
    d2_store(R1->s[4], eb0); d2_store(R1->s[4] + 2, eb1);
    d2_store(R2->s[0], ma0); d2_store(R2->s[0] + 2, ma1); d2_store(R2->s[3], ff0); d2_store(R2->s[3] + 2, ff1);
    d2_store(R2->s[4], fb0); d2_store(R2->s[4] + 2, fb1);
    d2_store(R1->s[5], dd0); d2_store(R1->s[5] + 2, dd1); d2_store(R2->s[5], df0); d2_store(R2->s[5] + 2, df1);
    diff_state *st[2] = {s1, s2};
    v128_t cl[2] = {close1, close2}, ma[2] = {max_abs1, max_abs2}, mr[2] = {max_rel1, max_rel2}, up[2] = {ulp1, ulp2};
    for (int p = 0; p < 2; p++) {
        st[p]->allclose &= wasm_i64x2_all_true(cl[p]);
        double m0 = wasm_f64x2_extract_lane(ma[p], 0), m1 = wasm_f64x2_extract_lane(ma[p], 1);
        st[p]->max_abs = m0 > m1 ? m0 : m1;
        m0 = wasm_f64x2_extract_lane(mr[p], 0), m1 = wasm_f64x2_extract_lane(mr[p], 1);
        st[p]->max_rel = m0 > m1 ? m0 : m1;
        uint32_t u[4];
        wasm_v128_store(u, up[p]);
        for (int q = 0; q < 4; q++) st[p]->max_ulp = (int64_t)u[q] > st[p]->max_ulp ? (int64_t)u[q] : st[p]->max_ulp;
    }
}
#endif

/* Σ (a - c·b)² in double, in the lanes of the other sums; n a multiple of 4 */
static void residual_lanes(double rd[4], const float *a, const float *b, long n, double c) {
    d2 r0 = d2_loadu(rd), r1 = d2_loadu(rd + 2), vc = d2_splat(c);
    for (long i = 0; i < n; i += 4) {
        d2 x0, x1, y0, y1;
        LOAD_GROUP(x0, x1, a + i);
        LOAD_GROUP(y0, y1, b + i);
        d2 e0 = d2_sub(x0, d2_mul(vc, y0)), e1 = d2_sub(x1, d2_mul(vc, y1));
        r0 = d2_add(r0, d2_mul(e0, e0));
        r1 = d2_add(r1, d2_mul(e1, e1));
    }
    d2_store(rd, r0);
    d2_store(rd + 2, r1);
}

static double residual_sum(const float *a, const float *b, long n, const float *ta, const float *tb, double c) {
    double rd[4] = {0.0, 0.0, 0.0, 0.0};
    residual_lanes(rd, a, b, n & ~3L, c);
    if (n & 3) residual_lanes(rd, ta, tb, 4, c);
    return lanes_total(rd);
}

/* The metrics from the sums, the maxima and the flags: what both ways of summing share. */
static void finish(al_metrics *out, const diff_state *s, int bitwise, int nan, double dot, double na, double nb,
                   double dd, double c, double rd, double rtol) {
    out->allclose = s->allclose;
    out->bitwise = bitwise;
    out->max_abs_diff = nan ? INFINITY : s->max_abs;
    out->max_rel_diff = nan ? INFINITY : s->max_rel;
    out->max_ulp = nan ? INFINITY : (double)s->max_ulp;
    out->cosine = (na == 0.0 && nb == 0.0) ? 1.0 : (na == 0.0 || nb == 0.0) ? 0.0 : dot / (sqrt(na) * sqrt(nb));
    out->norm_ratio = nb != 0.0 ? sqrt(na) / sqrt(nb) : (na == 0.0 ? 1.0 : INFINITY);
    out->rel_norm_diff = dd == 0.0 ? 0.0 : nb != 0.0 ? sqrt(dd) / sqrt(nb) : INFINITY;
    out->scale = c;
    out->scaled_residual = rd == 0.0 ? 0.0 : (nb != 0.0 && c != 0.0) ? sqrt(rd) / (fabs(c) * sqrt(nb)) : INFINITY;
    out->closeness = bitwise ? AL_CLOSE_BITWISE : out->allclose ? AL_CLOSE_ALLCLOSE
                   : out->rel_norm_diff <= rtol ? AL_CLOSE_BY_NORM : AL_CLOSE_NOT;
}

/* The plain passes, in the order of the definitions: every block's a·b, |a|², |b|², |a-b|²
 * (and its maxima where it differs), then the residual with c known. For vectors the
 * one-pass algebra would not give to full precision, and for non-finite ones. */
static int compare_passes(al_metrics *out, double *norm_a, double *norm_b, const float *a, const float *b,
                          long n, double rtol, double atol) {
    diff_state s = {1, 0.0, 0.0, 0};
    uint32_t any = 0, flags;
    lane_sums S;
    memset(&S, 0, sizeof S);
    long n4 = n & ~3L;
    for (long i0 = 0; i0 < n4; i0 += BLOCK) {
        long len = n4 - i0 < BLOCK ? n4 - i0 : BLOCK;
        flags = block_sums(&S, a + i0, b + i0, len);
        if (flags) block_differences(&s, a + i0, b + i0, len, rtol, atol);
        any |= flags;
    }
    /* the last n % 4: summed as a group padded with zeros, looked at as they are */
    float ta[4] = {0.0f, 0.0f, 0.0f, 0.0f}, tb[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (n4 < n) {
        memcpy(ta, a + n4, sizeof(float) * (size_t)(n - n4));
        memcpy(tb, b + n4, sizeof(float) * (size_t)(n - n4));
        flags = block_sums(&S, ta, tb, 4);
        if (flags) differences_scalar(&s, a + n4, b + n4, n - n4, rtol, atol);
        any |= flags;
    }
    double dot = lanes_total(S.s[0]), na = lanes_total(S.s[1]), nb = lanes_total(S.s[2]), dd = lanes_total(S.s[3]);
    /* Every value is finite exactly when |a|² and |b|² are: a float squared cannot overflow
     * a double (it is below 2^256), nor can a sum of fewer than 2^700 of them. Otherwise (a
     * run that diverged) the blocks skipped as bitwise equal may hold an inf or a NaN, which
     * is never close: look at every element again. */
    int finite = isfinite(na) && isfinite(nb), bitwise = any == 0, nan = 0;
    if (!finite) {
        s = (diff_state){1, 0.0, 0.0, 0};
        differences_scalar(&s, a, b, n, rtol, atol);
        for (long i = 0; i < n; i++) nan |= isnan((double)a[i] - (double)b[i]);
    }
    /* norm-wise: |a-b|² = |a|² - 2a·b + |b|² cancels badly, so the differences are summed directly */
    double c = nb != 0.0 ? dot / nb : 0.0, rd = 0.0;
    if (!bitwise || !finite) /* equal finite vectors give c = 1 (0 if b = 0) and rd = 0 exactly */
        rd = residual_sum(a, b, n, ta, tb, c);
    finish(out, &s, bitwise, nan, dot, na, nb, dd, c, rd, rtol);
    if (norm_a) *norm_a = sqrt(na);
    if (norm_b) *norm_b = sqrt(nb);
    return finite;
}

/* The guess g of the scale: the first differing block's own a·b / |b|² (its share of the
 * lane sums: after that block, before it), 1 where that block's b is 0. */
static double guess(const lane_sums *after, const lane_sums *before) {
    double dot = lanes_total(after->s[0]) - lanes_total(before->s[0]), nb = lanes_total(after->s[2]) - lanes_total(before->s[2]);
    return nb > 0.0 && isfinite(dot / nb) ? dot / nb : 1.0;
}

/* The end of the one pass over a and b from the first differing block on (R, s, the guess
 * g; p_dot, p_nb: the bitwise-equal blocks before it): the tail, then the metrics, or the
 * plain passes where the algebra would cancel or a value is not finite. */
static int one_pass_end(al_metrics *out, double *norm_a, double *norm_b, rest_sums *R, diff_state *s, double g,
                        double p_dot, double p_nb, const float *a, const float *b, long n, double rtol, double atol) {
    long n4 = n & ~3L;
    if (n4 < n) {
        float ta[4] = {0.0f, 0.0f, 0.0f, 0.0f}, tb[4] = {0.0f, 0.0f, 0.0f, 0.0f};
        memcpy(ta, a + n4, sizeof(float) * (size_t)(n - n4));
        memcpy(tb, b + n4, sizeof(float) * (size_t)(n - n4));
        if (block_rest_sums(R, ta, tb, 4, g)) differences_scalar(s, a + n4, b + n4, n - n4, rtol, atol);
    }
    double na = lanes_total(R->s[0]), nb = lanes_total(R->s[1]);
    if (!(isfinite(na) && isfinite(nb))) return compare_passes(out, norm_a, norm_b, a, b, n, rtol, atol);
    double nr = lanes_total(R->s[2]), ee = lanes_total(R->s[3]), eb = lanes_total(R->s[4]), dd = lanes_total(R->s[5]);
    /* a = e + g·b gives a·b = e·b + g|b|² and, with h = c - g, |a - c·b|² = Σe² - 2h·e·b +
     * h²|b|² (over these blocks; the equal ones add (1-c)²|b|²). Each is kept only where its
     * terms did not cancel much: their magnitudes add up to at most 64 times a·b (6 bits
     * lost, far below what the lab shows) and 8 times the residual (whose own rounding, from
     * g·b as from c·b in the plain pass, is larger). A poor guess (g far from c where the
     * residual is small), or nearly orthogonal vectors, cancel more: then the plain passes run. */
    double dot_r = eb + g * nr, dot = p_dot + dot_r, c = nb != 0.0 ? dot / nb : 0.0, h = c - g;
    double rr = ee - 2.0 * h * eb + h * h * nr;
    int kept = fabs(eb) + fabs(g) * nr <= 64.0 * fabs(dot_r) && ee + 2.0 * fabs(h * eb) + h * h * nr <= 8.0 * rr;
    if (!kept) return compare_passes(out, norm_a, norm_b, a, b, n, rtol, atol);
    double rd = (1.0 - c) * (1.0 - c) * p_nb + rr;
    finish(out, s, 0, 0, dot, na, nb, dd, c, rd, rtol);
    if (norm_a) *norm_a = sqrt(na);
    if (norm_b) *norm_b = sqrt(nb);
    return 1;
}

int al_compare_norms(al_metrics *out, double *norm_a, double *norm_b, const float *a, const float *b,
                     long n, double rtol, double atol) {
    lane_sums S, before;
    memset(&S, 0, sizeof S);
    long n4 = n & ~3L, i0 = 0, len = 0;
    float ta[4] = {0.0f, 0.0f, 0.0f, 0.0f}, tb[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    /* the bitwise-equal blocks before the first that differs (i0; i0 = n4: the tail group) */
    int differs = 0;
    for (; i0 < n4; i0 += BLOCK) {
        len = n4 - i0 < BLOCK ? n4 - i0 : BLOCK;
        before = S;
        if (block_sums(&S, a + i0, b + i0, len)) { differs = 1; break; }
    }
    if (!differs && n4 < n) {
        memcpy(ta, a + n4, sizeof(float) * (size_t)(n - n4));
        memcpy(tb, b + n4, sizeof(float) * (size_t)(n - n4));
        before = S;
        differs = block_sums(&S, ta, tb, 4) != 0;
    }
    if (!differs) { /* bitwise equal: c = 1 (0 if b = 0), no residual, |a-b| = 0 */
        double dot = lanes_total(S.s[0]), na = lanes_total(S.s[1]), nb = lanes_total(S.s[2]);
        if (!(isfinite(na) && isfinite(nb))) return compare_passes(out, norm_a, norm_b, a, b, n, rtol, atol);
        diff_state s = {1, 0.0, 0.0, 0};
        finish(out, &s, 1, 0, dot, na, nb, 0.0, nb != 0.0 ? dot / nb : 0.0, 0.0, rtol);
        if (norm_a) *norm_a = sqrt(na);
        if (norm_b) *norm_b = sqrt(nb);
        return 1;
    }
    double g = guess(&S, &before);
    /* From that block on: |a|², |b|² continuing the lanes, and the sums of e = a - g·b. */
    double p_dot = lanes_total(before.s[0]), p_nb = lanes_total(before.s[2]); /* the equal blocks: a = b */
    rest_sums R;
    memset(&R, 0, sizeof R);
    memcpy(R.s[0], before.s[1], sizeof R.s[0]);
    memcpy(R.s[1], before.s[2], sizeof R.s[1]);
#if defined(__wasm_simd128__)
    /* equal blocks before (some lane of their |b|² is not +0): this phase's |b|² is its own sum */
    int p_nb_lanes = memcmp(R.s[1], (const double[4]){0.0, 0.0, 0.0, 0.0}, sizeof R.s[1]) != 0;
#endif
    diff_state s = {1, 0.0, 0.0, 0};
    for (; i0 < n4; i0 += BLOCK) {
        len = n4 - i0 < BLOCK ? n4 - i0 : BLOCK;
#if defined(__wasm_simd128__)
        if (p_nb_lanes) {
            if (s.allclose) block_rest_fused(&R, &s, a + i0, b + i0, len, g, rtol, atol, 1, 1);
            else block_rest_fused(&R, &s, a + i0, b + i0, len, g, rtol, atol, 0, 1);
        } else {
            if (s.allclose) block_rest_fused(&R, &s, a + i0, b + i0, len, g, rtol, atol, 1, 0);
            else block_rest_fused(&R, &s, a + i0, b + i0, len, g, rtol, atol, 0, 0);
        }
#else
        if (block_rest_sums(&R, a + i0, b + i0, len, g)) block_differences(&s, a + i0, b + i0, len, rtol, atol);
#endif
    }
#if defined(__wasm_simd128__)
    if (!p_nb_lanes) memcpy(R.s[2], R.s[1], sizeof R.s[1]);
#endif
    return one_pass_end(out, norm_a, norm_b, &R, &s, g, p_dot, p_nb, a, b, n, rtol, atol);
}

void al_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol) {
    al_compare_norms(out, 0, 0, a, b, n, rtol, atol);
}

int al_compare_pair(al_metrics *out1, double *norm_a1, al_metrics *out2, double *norm_a2, double *norm_b,
                    const float *a1, const float *a2, const float *b, long n, double rtol, double atol) {
#if defined(__wasm_simd128__)
    long n4 = n & ~3L, len = n4 < BLOCK ? n4 : BLOCK;
    lane_sums S1, S2, zero;
    memset(&S1, 0, sizeof S1); memset(&S2, 0, sizeof S2); memset(&zero, 0, sizeof zero);
    if (len > 0 && block_sums(&S1, a1, b, len) && block_sums(&S2, a2, b, len)) {
        /* both differ from the first block on: as al_compare_norms with nothing before it */
        double g1 = guess(&S1, &zero), g2 = guess(&S2, &zero);
        rest_sums R1, R2;
        memset(&R1, 0, sizeof R1); memset(&R2, 0, sizeof R2);
        diff_state s1 = {1, 0.0, 0.0, 0}, s2 = {1, 0.0, 0.0, 0};
        for (long i0 = 0; i0 < n4; i0 += BLOCK) {
            len = n4 - i0 < BLOCK ? n4 - i0 : BLOCK;
            if (s1.allclose || s2.allclose) block_rest_fused2(&R1, &s1, &R2, &s2, a1 + i0, a2 + i0, b + i0, len, g1, g2, rtol, atol, 1);
            else block_rest_fused2(&R1, &s1, &R2, &s2, a1 + i0, a2 + i0, b + i0, len, g1, g2, rtol, atol, 0);
        }
        /* |b|² of the pass is every pair's |b|², also the sum of this phase alone */
        memcpy(R1.s[2], R1.s[1], sizeof R1.s[1]);
        memcpy(R2.s[1], R1.s[1], sizeof R1.s[1]);
        memcpy(R2.s[2], R1.s[1], sizeof R1.s[1]);
        int f1 = one_pass_end(out1, norm_a1, norm_b, &R1, &s1, g1, 0.0, 0.0, a1, b, n, rtol, atol);
        int f2 = one_pass_end(out2, norm_a2, 0, &R2, &s2, g2, 0.0, 0.0, a2, b, n, rtol, atol);
        return f1 | f2 << 1;
    }
#endif
    int f1 = al_compare_norms(out1, norm_a1, norm_b, a1, b, n, rtol, atol);
    int f2 = al_compare_norms(out2, norm_a2, 0, a2, b, n, rtol, atol);
    return f1 | f2 << 1;
}
