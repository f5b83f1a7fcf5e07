/* tests/c/test_compare.c — core/compare.c (one pass, blocks, no division per element) against
 * the plain definitions of accumlab.h written out naively here: every field equal bit for bit
 * (NaN fields: both NaN) on random vectors of many lengths (across the 512-float blocks),
 * equal, scaled, a few ULP apart, noisy, with ±0, subnormals, inf and NaN; plus the norms and
 * the finiteness flag of al_compare_norms, and hand-checked values. */
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

/* the definitions, element by element, two passes, a division per element */
static void ref_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol) {
    int allclose = 1, bitwise = 1;
    double max_abs = 0.0, max_rel = 0.0, max_ulp = 0.0, dot = 0.0, na = 0.0, nb = 0.0;
    for (long i = 0; i < n; i++) {
        double x = a[i], y = b[i], d = fabs(x - y);
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) bitwise = 0;
        if (!(fabs(x - y) <= atol + rtol * fabs(y))) allclose = 0;
        if (isnan(d)) { max_abs = max_rel = max_ulp = INFINITY; }
        else if (d > 0.0) {
            if (d > max_abs) max_abs = d;
            double rel = y != 0.0 ? d / fabs(y) : INFINITY;
            if (rel > max_rel) max_rel = rel;
            int64_t du = ref_ulp_line(a[i]) - ref_ulp_line(b[i]);
            double u = (double)(du < 0 ? -du : du);
            if (u > max_ulp) max_ulp = u;
        }
        dot += x * y; na += x * x; nb += y * y;
    }
    out->allclose = allclose;
    out->bitwise = bitwise;
    out->max_abs_diff = max_abs;
    out->max_rel_diff = max_rel;
    out->max_ulp = max_ulp;
    out->cosine = (na == 0.0 && nb == 0.0) ? 1.0 : (na == 0.0 || nb == 0.0) ? 0.0 : dot / (sqrt(na) * sqrt(nb));
    out->norm_ratio = nb != 0.0 ? sqrt(na) / sqrt(nb) : (na == 0.0 ? 1.0 : INFINITY);
    double dd = 0.0, rd = 0.0, c = nb != 0.0 ? dot / nb : 0.0;
    for (long i = 0; i < n; i++) {
        double x = a[i], y = b[i];
        dd += (x - y) * (x - y);
        rd += (x - c * y) * (x - c * y);
    }
    out->rel_norm_diff = dd == 0.0 ? 0.0 : nb != 0.0 ? sqrt(dd) / sqrt(nb) : INFINITY;
    out->scale = c;
    out->scaled_residual = rd == 0.0 ? 0.0 : (nb != 0.0 && c != 0.0) ? sqrt(rd) / (fabs(c) * sqrt(nb)) : INFINITY;
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

/* one random case of `kind`; returns n */
static long fill_case(int kind) {
    long n = next() % 8 == 0 ? 1 + (long)(next() % MAXN) : 1 + (long)(next() % 40);
    for (long i = 0; i < n; i++) {
        float y = (float)((double)(next() % 2000000) / 1e6 - 1.0) * (float)pow(10, (int)(next() % 9) - 4);
        B[i] = y;
        switch (kind) {
        case 0: A[i] = y; break;                                         /* equal */
        case 1: A[i] = y * 4.0f; break;                                  /* k x, every ratio tied */
        case 2: { uint32_t u; memcpy(&u, &y, 4); u += (uint32_t)(next() % 5) - 2; memcpy(&A[i], &u, 4); } break;
        case 3: A[i] = y + (float)((double)(next() % 1000) / 1e9); break; /* noise */
        case 4: A[i] = next() % 4 == 0 ? special() : y; if (next() % 5 == 0) B[i] = special(); break;
        default: { uint32_t u = (uint32_t)next(); memcpy(&A[i], &u, 4); u = (uint32_t)next(); if (next() % 2) memcpy(&B[i], &u, 4); }
        }
    }
    return n;
}

TEST(every_field_matches_the_definitions_bit_for_bit) {
    int bad = 0;
    for (int t = 0; t < 40000 && bad < 5; t++) {
        int kind = t % 6;
        long n = fill_case(kind);
        double rtol = next() % 2 ? 1e-5 : 0.0, atol = next() % 2 ? 1e-8 : 0.0;
        al_metrics want, got;
        ref_compare(&want, A, B, n, rtol, atol);
        double norm_a, norm_b, sa = 0.0, sb = 0.0;
        int finite = al_compare_norms(&got, &norm_a, &norm_b, A, B, n, rtol, atol), want_finite = 1;
        for (long i = 0; i < n; i++) {
            if (!isfinite(A[i]) || !isfinite(B[i])) want_finite = 0;
            sa += (double)A[i] * A[i];
            sb += (double)B[i] * B[i];
        }
        const double *w = &want.allclose, *g = &got.allclose;
        for (int f = 0; f < 10; f++)
            if (!same(w[f], g[f])) {
                CHECK(0, "case %d kind %d n %ld: %s %.17g, definition %.17g", t, kind, n, FIELDS[f], g[f], w[f]);
                bad++;
            }
        CHECK(finite == want_finite, "case %d: finite %d, want %d", t, finite, want_finite);
        CHECK(same(norm_a, sqrt(sa)) && same(norm_b, sqrt(sb)), "case %d: norms %.17g %.17g", t, norm_a, norm_b);
    }
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
    CHECK(m.bitwise == 1 && m.allclose == 0 && isinf(m.max_abs_diff), "inf == inf: bitwise, not close (as torch)");
}

int main(void) {
    RUN(every_field_matches_the_definitions_bit_for_bit);
    RUN(hand_checked_values);
    return check_summary("compare");
}
