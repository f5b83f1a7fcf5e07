/* core/compare.c — how close two float vectors are, in every sense the lab reports.
 *
 * Runs on the gradients and on the parameters of both runs after every optimizer step, so it
 * is written for speed, with the same results as the plain definitions (accumlab.h):
 * - the sums (a·b, |a|², |b|², |a-b|²) are in double in index order, so every build gives
 *   the same bits; they run in blocks with few live values (V8 keeps them in registers);
 * - a block whose bits all match (the common case for parameters) needs nothing else;
 *   otherwise a second, branch-free look at the block (still in L1) takes the maxima and
 *   flags, which do not depend on order; no scalar division per element (the SIMD build
 *   divides in f64x2 lanes; after a differing block it does both looks in one pass);
 * - the residual of the best scaled copy needs a·b/|b|² first: one more pass, skipped for
 *   equal vectors, where it is 0 exactly.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "compare.h"
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#define EXP_MASK 0x7f800000u
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

/* The sums of a block, continued in index order. Returns nonzero if some element's bits
 * differ or a value of a is not finite: then the block needs block_differences. */
static uint32_t block_sums(double sum[4], const float *a, const float *b, long n) {
    double dot = sum[0], na = sum[1], nb = sum[2], dd = sum[3];
    uint32_t differ = 0, not_finite = 0;
    long i = 0;
#if defined(__wasm_simd128__)
    /* four floats at a time: the flags and the products in SIMD lanes, the additions one lane
     * at a time, element i first: the same order, half the instructions of the scalar loop */
    const v128_t exp_mask = wasm_i32x4_splat((int32_t)EXP_MASK);
    v128_t vdiffer = wasm_i32x4_splat(0), vnot_finite = vdiffer;
    for (long n4 = n & ~3L; i < n4; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        vdiffer = wasm_v128_or(vdiffer, wasm_v128_xor(va, vb));
        vnot_finite = wasm_v128_or(vnot_finite, wasm_i32x4_eq(wasm_v128_and(va, exp_mask), exp_mask));
        for (int half = 0; half < 2; half++) {
            v128_t x = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(va, va, 2, 3, 2, 3) : va);
            v128_t y = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3) : vb);
            v128_t d = wasm_f64x2_sub(x, y);
            v128_t xy = wasm_f64x2_mul(x, y), xx = wasm_f64x2_mul(x, x), yy = wasm_f64x2_mul(y, y), d2 = wasm_f64x2_mul(d, d);
            dot += wasm_f64x2_extract_lane(xy, 0); na += wasm_f64x2_extract_lane(xx, 0);
            nb += wasm_f64x2_extract_lane(yy, 0); dd += wasm_f64x2_extract_lane(d2, 0);
            dot += wasm_f64x2_extract_lane(xy, 1); na += wasm_f64x2_extract_lane(xx, 1);
            nb += wasm_f64x2_extract_lane(yy, 1); dd += wasm_f64x2_extract_lane(d2, 1);
        }
    }
    differ = (uint32_t)wasm_v128_any_true(vdiffer);
    not_finite = (uint32_t)wasm_v128_any_true(vnot_finite);
#endif
    for (; i < n; i++) {
        uint32_t ua = bits(a[i]), ub = bits(b[i]);
        double x = a[i], y = b[i], d = x - y;
        dot += x * y; na += x * x; nb += y * y; dd += d * d;
        differ |= ua ^ ub;
        not_finite |= (ua & EXP_MASK) == EXP_MASK;
    }
    sum[0] = dot; sum[1] = na; sum[2] = nb; sum[3] = dd;
    return differ | not_finite;
}

/* The maxima and flags, which do not depend on order. Equal finite elements change nothing
 * (d = 0, ulp 0), so a block is looked at whole, without a branch per element. */
typedef struct {
    int allclose, finite, nan;
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
    const v128_t exp_mask = wasm_i32x4_splat((int32_t)EXP_MASK), mag_mask = wasm_i32x4_splat(0x7fffffff);
    const v128_t vrtol = wasm_f64x2_splat(rtol), vatol = wasm_f64x2_splat(atol);
    v128_t finite = wasm_i32x4_splat(-1), close = finite, nan = wasm_i32x4_splat(0), ulp = nan;
    v128_t max_abs = wasm_f64x2_splat(s->max_abs), max_rel = wasm_f64x2_splat(s->max_rel);
    long n4 = n & ~3L;
    for (long i = 0; i < n4; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        finite = wasm_v128_and(finite, wasm_i32x4_ne(wasm_v128_and(va, exp_mask), exp_mask));
        finite = wasm_v128_and(finite, wasm_i32x4_ne(wasm_v128_and(vb, exp_mask), exp_mask));
        v128_t sa = wasm_i32x4_shr(va, 31), sb = wasm_i32x4_shr(vb, 31);
        v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(va, mag_mask), sa), sa);
        v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(vb, mag_mask), sb), sb);
        ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));
        for (int half = 0; half < 2; half++) {
            v128_t x = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(va, va, 2, 3, 2, 3) : va);
            v128_t y = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3) : vb);
            v128_t d = wasm_f64x2_abs(wasm_f64x2_sub(x, y)), ay = wasm_f64x2_abs(y);
            close = wasm_v128_and(close, wasm_f64x2_le(d, wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay))));
            nan = wasm_v128_or(nan, wasm_f64x2_ne(d, d));
            max_abs = wasm_f64x2_pmax(max_abs, d); /* max_abs < d ? d : max_abs */
            /* d/|b|: inf where b = 0 < d; 0 or NaN (skipped by pmax) where d = 0 */
            max_rel = wasm_f64x2_pmax(max_rel, wasm_f64x2_div(d, ay));
        }
    }
    s->finite &= wasm_i32x4_all_true(finite);
    s->allclose &= wasm_i64x2_all_true(close);
    s->nan |= wasm_v128_any_true(nan);
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
    int allclose = s->allclose, finite = s->finite, nan = s->nan;
    double max_abs = s->max_abs, max_rel = s->max_rel;
    int64_t max_ulp = s->max_ulp;
    for (long i = 0; i < n; i++) {
        uint32_t ua = bits(a[i]), ub = bits(b[i]);
        finite &= (ua & EXP_MASK) != EXP_MASK && (ub & EXP_MASK) != EXP_MASK;
        double y = b[i], d = fabs((double)a[i] - y), ay = fabs(y);
        allclose &= d <= atol + rtol * ay; /* false for NaN, as torch.allclose */
        nan |= d != d;
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
    s->allclose = allclose; s->finite = finite; s->nan = nan;
    s->max_abs = max_abs; s->max_rel = max_rel; s->max_ulp = max_ulp;
}

static void block_differences(diff_state *s, const float *a, const float *b, long n, double rtol, double atol) {
    long done = 0;
#if defined(__wasm_simd128__)
    done = differences_simd(s, a, b, n, rtol, atol);
#endif
    differences_scalar(s, a + done, b + done, n - done, rtol, atol);
}

#if defined(__wasm_simd128__)
/* block_sums and block_differences in one pass, for runs of differing blocks (the gradients
 * of an unscaled mean loss differ everywhere): the loads and conversions are shared and the
 * lane-wise maxima fill the gaps between the dependent additions. Same results as the two. */
static uint32_t block_fused(double sum[4], diff_state *s, const float *a, const float *b, long n,
                            double rtol, double atol) {
    double dot = sum[0], na = sum[1], nb = sum[2], dd = sum[3];
    const v128_t exp_mask = wasm_i32x4_splat((int32_t)EXP_MASK), mag_mask = wasm_i32x4_splat(0x7fffffff);
    const v128_t vrtol = wasm_f64x2_splat(rtol), vatol = wasm_f64x2_splat(atol);
    v128_t differ = wasm_i32x4_splat(0), finite = wasm_i32x4_splat(-1), close = finite, nan = differ, ulp = differ;
    v128_t max_abs = wasm_f64x2_splat(s->max_abs), max_rel = wasm_f64x2_splat(s->max_rel);
    long n4 = n & ~3L;
    for (long i = 0; i < n4; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        differ = wasm_v128_or(differ, wasm_v128_xor(va, vb));
        finite = wasm_v128_and(finite, wasm_i32x4_ne(wasm_v128_and(va, exp_mask), exp_mask));
        finite = wasm_v128_and(finite, wasm_i32x4_ne(wasm_v128_and(vb, exp_mask), exp_mask));
        v128_t sa = wasm_i32x4_shr(va, 31), sb = wasm_i32x4_shr(vb, 31);
        v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(va, mag_mask), sa), sa);
        v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(vb, mag_mask), sb), sb);
        ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));
        for (int half = 0; half < 2; half++) {
            v128_t x = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(va, va, 2, 3, 2, 3) : va);
            v128_t y = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3) : vb);
            v128_t d = wasm_f64x2_sub(x, y);
            v128_t xy = wasm_f64x2_mul(x, y), xx = wasm_f64x2_mul(x, x), yy = wasm_f64x2_mul(y, y), d2 = wasm_f64x2_mul(d, d);
            dot += wasm_f64x2_extract_lane(xy, 0); na += wasm_f64x2_extract_lane(xx, 0);
            nb += wasm_f64x2_extract_lane(yy, 0); dd += wasm_f64x2_extract_lane(d2, 0);
            dot += wasm_f64x2_extract_lane(xy, 1); na += wasm_f64x2_extract_lane(xx, 1);
            nb += wasm_f64x2_extract_lane(yy, 1); dd += wasm_f64x2_extract_lane(d2, 1);
            v128_t ad = wasm_f64x2_abs(d), ay = wasm_f64x2_abs(y);
            close = wasm_v128_and(close, wasm_f64x2_le(ad, wasm_f64x2_add(vatol, wasm_f64x2_mul(vrtol, ay))));
            nan = wasm_v128_or(nan, wasm_f64x2_ne(ad, ad));
            max_abs = wasm_f64x2_pmax(max_abs, ad);
            max_rel = wasm_f64x2_pmax(max_rel, wasm_f64x2_div(ad, ay));
        }
    }
    sum[0] = dot; sum[1] = na; sum[2] = nb; sum[3] = dd;
    s->finite &= wasm_i32x4_all_true(finite);
    s->allclose &= wasm_i64x2_all_true(close);
    s->nan |= wasm_v128_any_true(nan);
    double m0 = wasm_f64x2_extract_lane(max_abs, 0), m1 = wasm_f64x2_extract_lane(max_abs, 1);
    s->max_abs = m0 > m1 ? m0 : m1;
    m0 = wasm_f64x2_extract_lane(max_rel, 0), m1 = wasm_f64x2_extract_lane(max_rel, 1);
    s->max_rel = m0 > m1 ? m0 : m1;
    uint32_t u[4];
    wasm_v128_store(u, ulp);
    for (int q = 0; q < 4; q++) s->max_ulp = (int64_t)u[q] > s->max_ulp ? (int64_t)u[q] : s->max_ulp;
    /* the flag of block_sums: differing bits (a non-finite value clears s->finite instead) */
    uint32_t flags = (uint32_t)wasm_v128_any_true(differ) | (uint32_t)!wasm_i32x4_all_true(finite);
    if (n4 < n) {
        uint32_t tail = block_sums(sum, a + n4, b + n4, n - n4);
        if (tail) differences_scalar(s, a + n4, b + n4, n - n4, rtol, atol);
        flags |= tail;
    }
    return flags;
}
#endif

/* Σ (a - c·b)² in double, index order */
static double residual_sum(const float *a, const float *b, long n, double c) {
    double rd = 0.0;
    long i = 0;
#if defined(__wasm_simd128__)
    const v128_t vc = wasm_f64x2_splat(c);
    for (long n4 = n & ~3L; i < n4; i += 4) {
        v128_t va = wasm_v128_load(a + i), vb = wasm_v128_load(b + i);
        for (int half = 0; half < 2; half++) {
            v128_t x = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(va, va, 2, 3, 2, 3) : va);
            v128_t y = wasm_f64x2_promote_low_f32x4(half ? wasm_i32x4_shuffle(vb, vb, 2, 3, 2, 3) : vb);
            v128_t r = wasm_f64x2_sub(x, wasm_f64x2_mul(vc, y));
            r = wasm_f64x2_mul(r, r);
            rd += wasm_f64x2_extract_lane(r, 0);
            rd += wasm_f64x2_extract_lane(r, 1);
        }
    }
#endif
    for (; i < n; i++) {
        double x = a[i], y = b[i];
        rd += (x - c * y) * (x - c * y);
    }
    return rd;
}

int al_compare_norms(al_metrics *out, double *norm_a, double *norm_b, const float *a, const float *b,
                     long n, double rtol, double atol) {
    diff_state s = {1, 1, 0, 0.0, 0.0, 0};
    uint32_t any = 0;
    double sum[4] = {0.0, 0.0, 0.0, 0.0};
    uint32_t flags = 0;
    for (long i0 = 0; i0 < n; i0 += BLOCK) {
        long len = n - i0 < BLOCK ? n - i0 : BLOCK;
#if defined(__wasm_simd128__)
        if (flags) { /* the last block differed: expect this one to, too */
            flags = block_fused(sum, &s, a + i0, b + i0, len, rtol, atol);
            any |= flags;
            continue;
        }
#endif
        flags = block_sums(sum, a + i0, b + i0, len);
        if (flags) block_differences(&s, a + i0, b + i0, len, rtol, atol);
        any |= flags;
    }
    /* with all values finite, a flag means differing bits; otherwise (a diverged run) look again */
    int bitwise = any == 0;
    if (!s.finite) {
        bitwise = 1;
        for (long i = 0; i < n; i++) bitwise &= bits(a[i]) == bits(b[i]);
    }
    double dot = sum[0], na = sum[1], nb = sum[2], dd = sum[3];
    out->allclose = s.allclose;
    out->bitwise = bitwise;
    out->max_abs_diff = s.nan ? INFINITY : s.max_abs;
    out->max_rel_diff = s.nan ? INFINITY : s.max_rel;
    out->max_ulp = s.nan ? INFINITY : (double)s.max_ulp;
    out->cosine = (na == 0.0 && nb == 0.0) ? 1.0 : (na == 0.0 || nb == 0.0) ? 0.0 : dot / (sqrt(na) * sqrt(nb));
    out->norm_ratio = nb != 0.0 ? sqrt(na) / sqrt(nb) : (na == 0.0 ? 1.0 : INFINITY);
    /* norm-wise: |a-b|² = |a|² - 2a·b + |b|² cancels badly, so the differences are summed directly */
    double c = nb != 0.0 ? dot / nb : 0.0, rd = 0.0;
    if (!bitwise || !s.finite) /* equal finite vectors give c = 1 (0 if b = 0) and rd = 0 exactly */
        rd = residual_sum(a, b, n, c);
    out->rel_norm_diff = dd == 0.0 ? 0.0 : nb != 0.0 ? sqrt(dd) / sqrt(nb) : INFINITY;
    out->scale = c;
    out->scaled_residual = rd == 0.0 ? 0.0 : (nb != 0.0 && c != 0.0) ? sqrt(rd) / (fabs(c) * sqrt(nb)) : INFINITY;
    if (norm_a) *norm_a = sqrt(na);
    if (norm_b) *norm_b = sqrt(nb);
    return s.finite;
}

void al_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol) {
    al_compare_norms(out, 0, 0, a, b, n, rtol, atol);
}
