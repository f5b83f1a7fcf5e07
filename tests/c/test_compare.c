/* tests/c/test_compare.c — core/compare.c (one pass, blocks, no division per element) against
 * the plain definitions of accumlab.h written out naively here, the sums in the lane order of
 * compare.h (term i into lane i mod 4, (l0 + l2) + (l1 + l3)), on random vectors of many
 * lengths (across the 512-float blocks), equal, scaled, a few ULP apart, noisy, with ±0,
 * subnormals, inf and NaN: the flags, maxima, norm ratio, norms and finiteness bit for bit
 * (NaN fields: both NaN), |a-b| too; a·b and the residual, which the one pass takes from sums
 * of e = a - g·b, within a few rounding errors of double of the quantities they are (and bit for
 * bit where the vectors are equal or not finite, or the guess g was poor and the plain passes
 * ran); the sums against long double, precise relative to the residual itself where the
 * vectors differ by rounding; hand-checked values. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "compare.h"

static int64_t ref_ulp_line(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

/* A sum in the order of compare.h: term i into lane i mod 4, each lane in index order from
 * +0, then (lane 0 + lane 2) + (lane 1 + lane 3). */
typedef struct { double l[4]; } lanes;
static void lanes_add(lanes *s, long i, double term) { s->l[i % 4] += term; }
static double lanes_sum(const lanes *s) { return (s->l[0] + s->l[2]) + (s->l[1] + s->l[3]); }

/* the definitions, element by element, two passes, a division per element */
static void ref_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol) {
    memset(out, 0, sizeof *out);
    int allclose = 1, bitwise = 1;
    double max_abs = 0.0, max_rel = 0.0, max_ulp = 0.0;
    lanes sdot = {{0}}, sna = {{0}}, snb = {{0}};
    for (long i = 0; i < n; i++) {
        double x = a[i], y = b[i], d = fabs(x - y);
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) bitwise = 0;
        /* torch.isclose: equal values are close (inf == inf too), else |a-b| <= atol + rtol·|b| */
        if (!(x == y || (isfinite(d) && d <= atol + rtol * fabs(y)))) allclose = 0;
        if (isnan(d)) { max_abs = max_rel = max_ulp = INFINITY; }
        else if (d > 0.0) {
            if (d > max_abs) max_abs = d;
            double rel = y != 0.0 ? d / fabs(y) : INFINITY;
            if (rel > max_rel) max_rel = rel;
            int64_t du = ref_ulp_line(a[i]) - ref_ulp_line(b[i]);
            double u = (double)(du < 0 ? -du : du);
            if (u > max_ulp) max_ulp = u;
        }
        lanes_add(&sdot, i, x * y); lanes_add(&sna, i, x * x); lanes_add(&snb, i, y * y);
    }
    double dot = lanes_sum(&sdot), na = lanes_sum(&sna), nb = lanes_sum(&snb);
    out->allclose = allclose;
    out->bitwise = bitwise;
    out->max_abs_diff = max_abs;
    out->max_rel_diff = max_rel;
    out->max_ulp = max_ulp;
    out->cosine = (na == 0.0 && nb == 0.0) ? 1.0 : (na == 0.0 || nb == 0.0) ? 0.0 : dot / (sqrt(na) * sqrt(nb));
    out->norm_ratio = nb != 0.0 ? sqrt(na) / sqrt(nb) : (na == 0.0 ? 1.0 : INFINITY);
    double c = nb != 0.0 ? dot / nb : 0.0;
    lanes sdd = {{0}}, srd = {{0}};
    for (long i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        lanes_add(&sdd, i, (x - y) * (x - y));
        lanes_add(&srd, i, (x - c * y) * (x - c * y));
    }
    double dd = lanes_sum(&sdd), rd = lanes_sum(&srd);
    out->rel_norm_diff = dd == 0.0 ? 0.0 : nb != 0.0 ? sqrt(dd) / sqrt(nb) : INFINITY;
    out->scale = c;
    out->scaled_residual = rd == 0.0 ? 0.0 : (nb != 0.0 && c != 0.0) ? sqrt(rd) / (fabs(c) * sqrt(nb)) : INFINITY;
    out->closeness = bitwise ? AL_CLOSE_BITWISE : allclose ? AL_CLOSE_ALLCLOSE
                   : out->rel_norm_diff <= rtol ? AL_CLOSE_BY_NORM : AL_CLOSE_NOT;
}

static const char *FIELDS[10] = {"allclose", "bitwise", "max_abs_diff", "max_rel_diff", "max_ulp",
                                 "cosine", "norm_ratio", "rel_norm_diff", "scale", "scaled_residual"};

static int same(double x, double y) { return (isnan(x) && isnan(y)) || memcmp(&x, &y, sizeof x) == 0; }

static uint64_t state = 88172645463325252ull;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static float special(void) {
    static const float v[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e-45f, -1e-45f, 3.4e38f, -3.4e38f, 1.0f};
    return v[next() % 10];
}

#define MAXN 1500
static float A[MAXN], B[MAXN];
static float BIG_A_SMALL[8192], BIG_B_SMALL[8192];

/* one random case of `kind`; returns n */
static long fill_case(int kind) {
    long n = kind == 6 ? 600 + (long)(next() % (MAXN - 600)) : next() % 8 == 0 ? 1 + (long)(next() % MAXN) : 1 + (long)(next() % 40);
    for (long i = 0; i < n; i++) {
        float y = (float)((double)(next() % 2000000) / 1e6 - 1.0) * (float)pow(10, (int)(next() % 9) - 4);
        B[i] = y;
        switch (kind) {
        case 0: A[i] = y; break;                                         /* equal */
        case 1: A[i] = y * 4.0f; break;                                  /* k x, every ratio tied */
        case 2: { uint32_t u; memcpy(&u, &y, 4); u += (uint32_t)(next() % 5) - 2; memcpy(&A[i], &u, 4); } break;
        case 3: A[i] = y + (float)((double)(next() % 1000) / 1e9); break; /* noise */
        case 4: A[i] = next() % 4 == 0 ? special() : y; if (next() % 5 == 0) B[i] = special(); break;
        case 6: /* equal blocks, then a few ULP apart: the one pass after a prefix */
            A[i] = y;
            if (i >= 512 * (1 + (n > 1100 ? 1 : 0))) { uint32_t u; memcpy(&u, &y, 4); u += (uint32_t)(next() % 5) - 2; memcpy(&A[i], &u, 4); }
            break;
        default: { uint32_t u = (uint32_t)next(); memcpy(&A[i], &u, 4); u = (uint32_t)next(); if (next() % 2) memcpy(&B[i], &u, 4); }
        }
    }
    return n;
}

/* Where the one pass took a·b and the residual from the sums of e = a - g·b, each is within
 * a few rounding errors of double of the plain definition, measured against the sizes its
 * rounding scales with: |a||b| for a·b (cosine, scale) and |a| + |c·b| for the residual.
 * Zeros, infinities and NaNs must match exactly. */
static int near(double got, double want, double size) {
    if (same(got, want)) return 1;
    if (!isfinite(got) || !isfinite(want) || got == 0.0 || want == 0.0) return 0;
    return fabs(got - want) <= 1e-14 * size;
}

TEST(every_field_matches_the_definitions) {
    int bad = 0;
    for (int t = 0; t < 42000 && bad < 5; t++) {
        int kind = t % 7;
        long n = fill_case(kind);
        double rtol = next() % 2 ? 1e-5 : 0.0, atol = next() % 2 ? 1e-8 : 0.0;
        al_metrics want, got;
        ref_compare(&want, A, B, n, rtol, atol);
        double norm_a, norm_b;
        lanes la = {{0}}, lb = {{0}};
        int finite = al_compare_norms(&got, &norm_a, &norm_b, A, B, n, rtol, atol), want_finite = 1;
        for (long i = 0; i < n; i++) {
            if (!isfinite(A[i]) || !isfinite(B[i])) want_finite = 0;
            lanes_add(&la, i, (double)A[i] * A[i]);
            lanes_add(&lb, i, (double)B[i] * B[i]);
        }
        double sa = lanes_sum(&la), sb = lanes_sum(&lb);
        const double *w = &want.allclose, *g = &got.allclose;
        for (int f = 0; f < 8; f++) /* allclose .. max_ulp, norm_ratio, rel_norm_diff: bit for bit */
            if (f != 5 && !same(w[f], g[f])) {
                CHECK(0, "case %d kind %d n %ld: %s %.17g, definition %.17g", t, kind, n, FIELDS[f], g[f], w[f]);
                bad++;
            }
        double a_ = sqrt(sa), b_ = sqrt(sb), c = fabs(want.scale);
        double abs_dot = 0.0;
        for (long i = 0; i < n; i++) abs_dot += fabs((double)A[i] * B[i]);
        int ok_cos = finite ? near(got.cosine, want.cosine, 1.0) : same(got.cosine, want.cosine);
        int ok_scale = finite ? near(got.scale * sb, want.scale * sb, abs_dot) : same(got.scale, want.scale);
        int ok_res = finite ? near(got.scaled_residual * c * b_, want.scaled_residual * c * b_, a_ + c * b_)
                            : same(got.scaled_residual, want.scaled_residual);
        if (finite && want.scaled_residual == 0.0) ok_res = got.scaled_residual == 0.0 || got.scaled_residual * c * b_ <= 1e-14 * (a_ + c * b_);
        if (want.bitwise == 1.0) ok_cos = same(got.cosine, want.cosine), ok_scale = same(got.scale, want.scale),
                                 ok_res = same(got.scaled_residual, want.scaled_residual);
        const int ok[3] = {ok_cos, ok_scale, ok_res}, field[3] = {5, 8, 9};
        for (int f = 0; f < 3; f++)
            if (!ok[f]) {
                CHECK(0, "case %d kind %d n %ld: %s %.17g, definition %.17g", t, kind, n, FIELDS[field[f]], g[field[f]], w[field[f]]);
                bad++;
            }
        CHECK(same(got.closeness, want.closeness) || fabs(want.rel_norm_diff - rtol) <= 1e-12 * rtol,
              "case %d: closeness %g, definition %g", t, got.closeness, want.closeness);
        CHECK(finite == want_finite, "case %d: finite %d, want %d", t, finite, want_finite);
        CHECK(same(norm_a, sqrt(sa)) && same(norm_b, sqrt(sb)), "case %d: norms %.17g %.17g", t, norm_a, norm_b);
    }
}

/* The guess g is the first differing block's own scale: where that block is scaled otherwise
 * than the vector (a tiny first block equal up to an ulp, g = 1; the rest 4·b up to an ulp,
 * c = 4) the one-pass algebra would cancel the residual away, and the plain passes run: every
 * field is the definition's, bit for bit. */
TEST(a_poor_guess_takes_the_plain_passes) {
    int checked = 0;
    for (int t = 0; t < 200; t++) {
        long n = 1024 + (long)(next() % 4000);
        for (long i = 0; i < n; i++) {
            float y = (float)((double)(next() % 2000000) / 1e6 - 1.0);
            BIG_B_SMALL[i] = y;
            uint32_t u;
            memcpy(&u, &y, 4);
            u += (uint32_t)(next() % 3) - 1;
            float near_y;
            memcpy(&near_y, &u, 4);
            /* the first block: tiny and equal up to an ulp (g = 1); the rest: 4·b up to an ulp */
            if (i < 512) BIG_B_SMALL[i] = y * 1e-6f, BIG_A_SMALL[i] = near_y * 1e-6f;
            else BIG_A_SMALL[i] = 4.0f * near_y;
        }
        al_metrics want, got;
        ref_compare(&want, BIG_A_SMALL, BIG_B_SMALL, n, 1e-5, 1e-8);
        al_compare(&got, BIG_A_SMALL, BIG_B_SMALL, n, 1e-5, 1e-8);
        const double *w = &want.allclose, *g = &got.allclose;
        for (int f = 0; f < 10; f++)
            CHECK(same(w[f], g[f]), "case %d n %ld: %s %.17g, definition %.17g", t, n, FIELDS[f], g[f], w[f]);
        checked++;
    }
    CHECK(checked == 200, "cases");
}

/* The lane order is still the sum it claims to be: on finite vectors (up to 100,000 floats,
 * magnitudes over 8 decades), a·b, |a|, |b|, |a-b| and the residual within a few ulp of
 * double of the same quantities in long double (two passes: the scale c from long double
 * sums first), relative to the sum of the terms' magnitudes. A sum that dropped or doubled a
 * lane, or mixed up the tail, is off by far more. */
static float BIG_A[100000], BIG_B[100000];
TEST(the_sums_match_a_long_double_two_pass_reference) {
    double worst = 0.0;
    for (int t = 0; t < 60; t++) {
        long n = t < 20 ? 1 + (long)(next() % 64) : 1 + (long)(next() % 100000);
        for (long i = 0; i < n; i++) {
            float y = (float)((double)(next() % 2000000) / 1e6 - 1.0) * (float)pow(10, (int)(next() % 9) - 4);
            BIG_B[i] = y;
            BIG_A[i] = t % 3 == 0 ? 4.0f * y : y + (float)((double)(next() % 1000) / 1e7) * y;
        }
        long double dot = 0, na = 0, nb = 0, dd = 0, adot = 0;
        for (long i = 0; i < n; i++) {
            long double x = BIG_A[i], y = BIG_B[i];
            dot += x * y; adot += fabsl(x * y); na += x * x; nb += y * y; dd += (x - y) * (x - y);
        }
        long double c = dot / nb, rd = 0, ard = 0;
        for (long i = 0; i < n; i++) {
            long double x = BIG_A[i], y = BIG_B[i], e = x - c * y;
            rd += e * e;
            ard += x * x + c * c * y * y;
        }
        al_metrics m;
        double norm_a, norm_b;
        al_compare_norms(&m, &norm_a, &norm_b, BIG_A, BIG_B, n, 1e-5, 1e-8);
        double errs[5] = {
            (double)(fabsl((long double)m.scale * nb - dot) / adot),
            (double)(fabsl((long double)norm_a - sqrtl(na)) / sqrtl(na)),
            (double)(fabsl((long double)norm_b - sqrtl(nb)) / sqrtl(nb)),
            (double)(fabsl((long double)m.rel_norm_diff * sqrtl(nb) - sqrtl(dd)) / (sqrtl(na) + sqrtl(nb))),
            /* the residual: |a - c·b|² against Σ(a² + c²b²), the size its rounding scales with */
            (double)(fabsl(powl((long double)m.scaled_residual * fabsl(c) * sqrtl(nb), 2) - rd) / ard),
        };
        for (int q = 0; q < 5; q++) {
            CHECK(errs[q] <= 1e-13, "case %d n %ld sum %d: relative error %.3g", t, n, q, errs[q]);
            if (errs[q] > worst) worst = errs[q];
        }
    }
    CHECK(worst > 0.0, "the reference differs somewhere from double (%.3g): the check can see rounding", worst);
}

/* Vectors that differ by rounding (a = 4·b or b, each element a few ulp off, over many
 * blocks: what the lab compares at the same point and between parameters): the one pass runs
 * (its scale and residual are not the plain passes' bits in most cases), |a-b| (summed, not
 * derived) is within 1e-12 of itself in long double and the residual within 1e-6, though
 * both are 1e-7 of |a|: the guess of the first block is close enough to c that nothing
 * cancels, and the residual's own rounding (g·b, as c·b in the plain pass) is what remains. */
TEST(rounding_level_differences_are_precise_relative_to_themselves) {
    int one_pass = 0, cases = 0;
    double worst = 0.0;
    for (int t = 0; t < 40; t++) {
        long n = 2000 + (long)(next() % 90000);
        float k = t % 2 ? 4.0f : 1.0f;
        for (long i = 0; i < n; i++) {
            float y = (float)((double)(next() % 2000000) / 1e6 - 1.0) * (float)pow(10, (int)(next() % 5) - 2);
            uint32_t u;
            float x = k * y;
            memcpy(&u, &x, 4);
            u += (uint32_t)(next() % 5) - 2;
            memcpy(&BIG_A[i], &u, 4);
            BIG_B[i] = y;
        }
        long double dot = 0, nb = 0, dd = 0;
        for (long i = 0; i < n; i++) {
            long double x = BIG_A[i], y = BIG_B[i];
            dot += x * y; nb += y * y; dd += (x - y) * (x - y);
        }
        long double c = dot / nb, rd = 0;
        for (long i = 0; i < n; i++) { long double e = BIG_A[i] - c * BIG_B[i]; rd += e * e; }
        al_metrics m, plain;
        al_compare(&m, BIG_A, BIG_B, n, 1e-5, 1e-8);
        ref_compare(&plain, BIG_A, BIG_B, n, 1e-5, 1e-8);
        double e_rel = (double)fabsl((long double)m.rel_norm_diff * sqrtl(nb) / sqrtl(dd) - 1.0L);
        double e_res = (double)fabsl((long double)m.scaled_residual * fabsl(c) * sqrtl(nb) / sqrtl(rd) - 1.0L);
        CHECK(e_rel <= 1e-12 && e_res <= 1e-6, "case %d n %ld: |a-b| off by %.3g, residual by %.3g of themselves", t, n, e_rel, e_res);
        worst = fmax(worst, e_res);
        one_pass += !same(m.scaled_residual, plain.scaled_residual) || !same(m.scale, plain.scale);
        cases++;
    }
    CHECK(one_pass >= cases / 2, "the one pass ran in %d of %d cases (the plain passes give the definitions' bits)", one_pass, cases);
    CHECK(worst > 0.0, "the check can see rounding (%.3g)", worst);
}

/* al_compare_pair is two al_compare_norms calls, bit for bit (every field, the norms, the
 * finiteness flags): where both pairs differ from the first block on (the SIMD build then
 * takes them in one pass) and where one does not. */
TEST(the_pair_is_two_comparisons_bit_for_bit) {
    static float A2[MAXN];
    int bad = 0, both_differ = 0;
    for (int t = 0; t < 20000 && bad < 5; t++) {
        long n = fill_case(t % 6);
        for (long i = 0; i < n; i++) {
            float y = B[i];
            uint32_t u;
            memcpy(&u, &y, 4);
            u += (uint32_t)(next() % 5) - 2;
            if (t % 7 == 0) memcpy(&A2[i], &y, 4);           /* equal to b */
            else if (t % 3 == 0) { float v; memcpy(&v, &u, 4); A2[i] = 4.0f * v; }
            else memcpy(&A2[i], &u, 4);
        }
        double rtol = t % 2 ? 1e-5 : 0.0, atol = t % 4 < 2 ? 1e-8 : 0.0;
        al_metrics w1, w2, g1, g2;
        double wa1 = -1, wa2 = -1, wb = -1, ga1 = -2, ga2 = -2, gb = -2;
        int wf = al_compare_norms(&w1, &wa1, &wb, A, B, n, rtol, atol) | al_compare_norms(&w2, &wa2, 0, A2, B, n, rtol, atol) << 1;
        int gf = al_compare_pair(&g1, &ga1, &g2, &ga2, &gb, A, A2, B, n, rtol, atol);
        both_differ += w1.bitwise == 0.0 && w2.bitwise == 0.0 && memcmp(A, B, 4) != 0 && memcmp(A2, B, 4) != 0;
        int same_all = gf == wf && same(ga1, wa1) && same(ga2, wa2) && same(gb, wb);
        const double *x1 = &w1.allclose, *y1 = &g1.allclose, *x2 = &w2.allclose, *y2 = &g2.allclose;
        for (int f = 0; f < 11; f++) same_all &= same(x1[f], y1[f]) && same(x2[f], y2[f]);
        if (!same_all) { CHECK(0, "case %d n %ld: the pair differs from two calls", t, n); bad++; }
    }
    CHECK(both_differ > 5000, "both pairs differed from the first element in %d cases", both_differ);
}

TEST(hand_checked_values) {
    float a[] = {2.0f, -4.0f, 0.0f, 1.0f}, b[] = {1.0f, -2.0f, 0.0f, 1.0f};
    al_metrics m;
    double na, nb;
    CHECK(al_compare_norms(&m, &na, &nb, a, b, 4, 1e-5, 1e-8) == 1, "finite");
    CHECK(m.allclose == 0 && m.bitwise == 0, "flags");
    CHECK(m.max_abs_diff == 2.0 && m.max_rel_diff == 1.0, "max abs %g rel %g", m.max_abs_diff, m.max_rel_diff);
    CHECK(m.max_ulp == (double)(0x40800000 - 0x40000000), "max ulp %g", m.max_ulp); /* -4 vs -2 */
    CHECK(na == sqrt(21.0) && nb == sqrt(6.0), "norms %g %g", na, nb);
    CHECK(m.scale == 11.0 / 6.0, "scale %.17g", m.scale); /* a·b = 11, |b|² = 6 */
    al_compare(&m, b, b, 4, 0.0, 0.0);
    CHECK(m.bitwise == 1 && m.allclose == 1 && m.scale == 1.0 && m.scaled_residual == 0.0 && fabs(m.cosine - 1.0) < 1e-15, "equal");
    float z[] = {0.0f, 1.0f}, w[] = {-0.0f, 1.0f};
    al_compare(&m, z, w, 2, 0.0, 0.0);
    CHECK(m.bitwise == 0 && m.allclose == 1 && m.max_abs_diff == 0.0 && m.max_ulp == 0.0, "-0 vs +0");
    float i1[] = {INFINITY}, i2[] = {INFINITY};
    CHECK(al_compare_norms(&m, 0, 0, i1, i2, 1, 1e-5, 1e-8) == 0, "inf is not finite");
    CHECK(m.bitwise == 1 && m.allclose == 1 && isinf(m.max_abs_diff), "inf == inf: bitwise and close (torch.isclose: non-finite values are close iff equal)");
    float n1[] = {1.0f, -INFINITY, NAN, 2.0f}, n2[] = {1.0f, -INFINITY, 3.0f, 2.0f}, n3[] = {1.0f, -INFINITY, 2.0f, 2.0f};
    al_compare(&m, n1, n1, 4, 1e-5, 1e-8);
    CHECK(m.bitwise == 1 && m.allclose == 0, "NaN is never close, not even to itself (equal_nan=False)");
    al_compare(&m, n3, n2, 4, 1e-5, 1e-8);
    CHECK(m.allclose == 0, "2 vs 3 beside equal -inf: not close");
    n3[2] = 3.0f;
    al_compare(&m, n3, n2, 4, 1e-5, 1e-8);
    CHECK(m.bitwise == 1 && m.allclose == 1, "equal with -inf: close");
    float p1[] = {INFINITY, 5.0f}, p2[] = {-INFINITY, 5.0f}, p3[] = {FLT_MAX, 5.0f};
    al_compare(&m, p1, p2, 2, 1e-5, 1e-8);
    CHECK(m.allclose == 0, "inf vs -inf: not close");
    al_compare(&m, p1, p3, 2, 1e30, 1e30);
    CHECK(m.allclose == 0, "inf vs FLT_MAX: not close whatever the tolerance");
}

int main(void) {
    RUN(every_field_matches_the_definitions);
    RUN(a_poor_guess_takes_the_plain_passes);
    RUN(the_sums_match_a_long_double_two_pass_reference);
    RUN(rounding_level_differences_are_precise_relative_to_themselves);
    RUN(the_pair_is_two_comparisons_bit_for_bit);
    RUN(hand_checked_values);
    return check_summary("compare");
}
