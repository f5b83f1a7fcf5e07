/* tests/c/test_mathfn.c — accuracy of core/mathfn.c against libm (double / long double
 * references), special values, vector forms == scalar forms bit for bit, and golden
 * hashes of the exact bits (the same numbers must come out of every build: see
 * golden_hash below, which other tests and the wasm build can copy).
 */
#include <stdint.h>
#include <string.h>
#include <math.h>
#include "check.h"
#include "mathfn.h"

static uint32_t bits(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static float from_bits(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/* Test-local generator (xorshift64*), independent of core/rng.c. */
static uint64_t xs_state = 0x2545F4914F6CDD1Dull;
static uint32_t xs_next(void) {
    xs_state ^= xs_state >> 12; xs_state ^= xs_state << 25; xs_state ^= xs_state >> 27;
    return (uint32_t)((xs_state * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Error of a float result in units of the float ulp of the (more precise) reference. */
static double ulp_err(float got, double ref) {
    if (isnan(ref)) return isnan(got) ? 0.0 : INFINITY;
    if (isnan(got)) return INFINITY;
    float rf = (float)ref;
    if (isinf(got) || isinf(rf)) return got == rf ? 0.0 : INFINITY;
    double a = fabs(ref);
    double ulp;
    if (a < 0x1p-126) ulp = 0x1p-149;
    else { int e; frexp(a, &e); ulp = ldexp(1.0, e - 24); }
    return fabs((double)got - ref) / ulp;
}

typedef float (*f1)(float);
typedef double (*d1)(double);

typedef struct { double max_ulp; float worst_x; long count; } sweep;

static void sweep_one(sweep *s, f1 f, d1 ref, float x) {
    double e = ulp_err(f(x), ref((double)x));
    if (e > s->max_ulp || s->count == 0) { if (e > s->max_ulp) { s->max_ulp = e; s->worst_x = x; } }
    s->count++;
}

/* every `step` from lo to hi, plus `nrand` random bit patterns accepted by keep(x) */
static sweep run_sweep(f1 f, d1 ref, double lo, double hi, double step, int nrand,
                       int (*keep)(float)) {
    sweep s = {0.0, 0.0f, 0};
    for (double x = lo; x <= hi; x += step) sweep_one(&s, f, ref, (float)x);
    for (int i = 0; i < nrand;) {
        float x = from_bits(xs_next());
        if (isnan(x) || !keep(x)) continue;
        sweep_one(&s, f, ref, x);
        i++;
    }
    return s;
}

static int keep_all(float x) { (void)x; return 1; }
static int keep_log(float x) { return x >= 0.0f; }
static int keep_log1p(float x) { return x >= -1.0f; }

static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }

static void report(const char *name, sweep s, double bound) {
    printf("  %-9s max %.3f ulp (at %.9g, %ld points, bound %.1f)\n", name, s.max_ulp,
           (double)s.worst_x, s.count, bound);
}

TEST(expf_within_2_ulp_of_libm) {
    sweep s = run_sweep(am_expf, exp, -104.0, 89.0, 0x1p-10, 1000000, keep_all);
    report("expf", s, 2.0);
    CHECK(s.max_ulp <= 2.0, "expf max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
    /* the subnormal and overflow edges, every float */
    sweep e = {0.0, 0.0f, 0};
    for (uint32_t u = bits(-104.0f); u > bits(-87.0f); u -= 7) sweep_one(&e, am_expf, exp, from_bits(u));
    for (uint32_t u = bits(88.0f); u <= bits(89.0f); u++) sweep_one(&e, am_expf, exp, from_bits(u));
    for (uint32_t u = 0; u < bits(0x1p-20f); u += 101) sweep_one(&e, am_expf, exp, from_bits(u));
    report("expf edges", e, 2.0);
    CHECK(e.max_ulp <= 2.0, "expf edges max %.3f ulp at %.9g", e.max_ulp, (double)e.worst_x);
}

TEST(logf_within_2_ulp_of_libm) {
    sweep s = run_sweep(am_logf, log, 0x1p-10, 128.0, 0x1p-10, 1000000, keep_log);
    report("logf", s, 2.0);
    CHECK(s.max_ulp <= 2.0, "logf max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
    sweep e = {0.0, 0.0f, 0};   /* around 1, every float in [0.5, 2] (stride 3), subnormals */
    for (uint32_t u = bits(0.5f); u <= bits(2.0f); u += 3) sweep_one(&e, am_logf, log, from_bits(u));
    for (uint32_t u = 1; u < 0x00800000u; u += 997) sweep_one(&e, am_logf, log, from_bits(u));
    report("logf near1", e, 2.0);
    CHECK(e.max_ulp <= 2.0, "logf near 1 max %.3f ulp at %.9g", e.max_ulp, (double)e.worst_x);
}

TEST(log1pf_within_2_ulp_of_libm) {
    sweep s = run_sweep(am_log1pf, log1p, -1.0 + 0x1p-10, 64.0, 0x1p-10, 1000000, keep_log1p);
    report("log1pf", s, 2.0);
    CHECK(s.max_ulp <= 2.0, "log1pf max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
    sweep e = {0.0, 0.0f, 0};   /* small |x|: every 5th float in [2^-30, 1] and [-1, -2^-30] */
    for (uint32_t u = bits(0x1p-30f); u <= bits(1.0f); u += 5) {
        sweep_one(&e, am_log1pf, log1p, from_bits(u));
        sweep_one(&e, am_log1pf, log1p, -from_bits(u));
    }
    report("log1pf sm", e, 2.0);
    CHECK(e.max_ulp <= 2.0, "log1pf small max %.3f ulp at %.9g", e.max_ulp, (double)e.worst_x);
}

TEST(tanhf_within_3_ulp_of_libm) {
    sweep s = run_sweep(am_tanhf, tanh, -12.0, 12.0, 0x1p-10, 1000000, keep_all);
    report("tanhf", s, 3.0);
    CHECK(s.max_ulp <= 3.0, "tanhf max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
    sweep e = {0.0, 0.0f, 0};   /* every 3rd float in [2^-20, 4] */
    for (uint32_t u = bits(0x1p-20f); u <= bits(4.0f); u += 3) sweep_one(&e, am_tanhf, tanh, from_bits(u));
    report("tanhf dense", e, 3.0);
    CHECK(e.max_ulp <= 3.0, "tanhf dense max %.3f ulp at %.9g", e.max_ulp, (double)e.worst_x);
}

TEST(sigmoidf_within_3_ulp_of_libm) {
    sweep s = run_sweep(am_sigmoidf, ref_sigmoid, -110.0, 90.0, 0x1p-10, 1000000, keep_all);
    report("sigmoidf", s, 3.0);
    CHECK(s.max_ulp <= 3.0, "sigmoidf max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
}

TEST(erff_within_3_ulp_of_libm) {
    sweep s = run_sweep(am_erff, erf, -6.0, 6.0, 0x1p-12, 1000000, keep_all);
    report("erff", s, 3.0);
    CHECK(s.max_ulp <= 3.0, "erff max %.3f ulp at %.9g", s.max_ulp, (double)s.worst_x);
    sweep e = {0.0, 0.0f, 0};   /* every 3rd float in [2^-20, 4] */
    for (uint32_t u = bits(0x1p-20f); u <= bits(4.0f); u += 3) sweep_one(&e, am_erff, erf, from_bits(u));
    report("erff dense", e, 3.0);
    CHECK(e.max_ulp <= 3.0, "erff dense max %.3f ulp at %.9g", e.max_ulp, (double)e.worst_x);
}

/* Reference in long double, with the exact reduction x mod 2 (fmodl is exact). */
static const long double PI_L = 3.14159265358979323846264338327950288L;

TEST(cospi_sinpi_within_5e_16_of_long_double) {
    double max_c = 0.0, max_s = 0.0, wc = 0.0, ws = 0.0;
    for (int pass = 0; pass < 2; pass++) {
        int n = pass == 0 ? 16 * 4096 * 2 : 200000;
        for (int i = 0; i <= n; i++) {
            double x;
            if (pass == 0) x = -16.0 + i * 0x1p-12;
            else x = ((double)xs_next() * 0x1p-32 - 0.5) * 2e6 + (double)xs_next() * 0x1p-32;
            long double r = fmodl((long double)x, 2.0L);
            double ec = fabs(am_cospi(x) - (double)cosl(PI_L * r));
            double es = fabs(am_sinpi(x) - (double)sinl(PI_L * r));
            if (ec > max_c) { max_c = ec; wc = x; }
            if (es > max_s) { max_s = es; ws = x; }
        }
    }
    printf("  cospi     max abs err %.3g (at %.17g)\n  sinpi     max abs err %.3g (at %.17g)\n",
           max_c, wc, max_s, ws);
    CHECK(max_c <= 5e-16, "cospi max abs err %.3g at %.17g", max_c, wc);
    CHECK(max_s <= 5e-16, "sinpi max abs err %.3g at %.17g", max_s, ws);
}

TEST(special_values) {
    const float inf = INFINITY;
    CHECK(am_expf(-inf) == 0.0f, "expf(-inf)");
    CHECK(am_expf(inf) == inf, "expf(inf)");
    CHECK(am_expf(88.73f) == inf, "expf(88.73)");
    CHECK(am_expf(88.72283f) < inf, "expf(88.72283) finite");
    CHECK(am_expf(-200.0f) == 0.0f, "expf(-200)");
    CHECK(am_expf(0.0f) == 1.0f && am_expf(-0.0f) == 1.0f, "expf(0) = 1");
    CHECK(am_expf(-103.0f) > 0.0f, "expf(-103) is subnormal, not 0");
    CHECK(am_logf(0.0f) == -inf && am_logf(-0.0f) == -inf, "logf(0)");
    CHECK(isnan(am_logf(-1.0f)) && isnan(am_logf(-inf)), "logf(x<0)");
    CHECK(am_logf(inf) == inf, "logf(inf)");
    CHECK(am_logf(1.0f) == 0.0f && !signbit(am_logf(1.0f)), "logf(1) = +0");
    CHECK(am_logf(from_bits(1)) < -103.0f, "logf(min subnormal) = %g", (double)am_logf(from_bits(1)));
    CHECK(am_log1pf(-1.0f) == -inf, "log1pf(-1)");
    CHECK(isnan(am_log1pf(-2.0f)), "log1pf(-2)");
    CHECK(am_log1pf(inf) == inf, "log1pf(inf)");
    CHECK(am_log1pf(0.0f) == 0.0f && signbit(am_log1pf(-0.0f)), "log1pf(+-0)");
    CHECK(am_log1pf(1e-30f) == 1e-30f, "log1pf(tiny) = tiny");
    CHECK(am_tanhf(inf) == 1.0f && am_tanhf(-inf) == -1.0f, "tanhf(+-inf)");
    CHECK(am_tanhf(20.0f) == 1.0f && am_tanhf(-9.5f) == -1.0f, "tanhf saturates");
    CHECK(am_tanhf(0.0f) == 0.0f && signbit(am_tanhf(-0.0f)), "tanhf(+-0)");
    CHECK(am_tanhf(1e-30f) == 1e-30f && am_tanhf(from_bits(1)) == from_bits(1), "tanhf(tiny)");
    CHECK(am_sigmoidf(0.0f) == 0.5f, "sigmoidf(0)");
    CHECK(am_sigmoidf(inf) == 1.0f && am_sigmoidf(-inf) == 0.0f, "sigmoidf(+-inf)");
    CHECK(am_sigmoidf(100.0f) == 1.0f && am_sigmoidf(-200.0f) == 0.0f, "sigmoidf saturates");
    CHECK(am_sigmoidf(-90.0f) > 0.0f, "sigmoidf(-90) subnormal, not 0");
    CHECK(am_erff(0.0f) == 0.0f && signbit(am_erff(-0.0f)), "erff(+-0)");
    CHECK(am_erff(inf) == 1.0f && am_erff(-inf) == -1.0f, "erff(+-inf)");
    CHECK(am_erff(5.0f) == 1.0f, "erff(5)");
    CHECK(am_erff(from_bits(1)) == from_bits(1), "erff(min subnormal)");
    float nan = from_bits(0x7fc00000u), snan_neg = from_bits(0xffc01234u);
    f1 fs[] = {am_expf, am_logf, am_log1pf, am_tanhf, am_sigmoidf, am_erff};
    for (int i = 0; i < 6; i++) {
        CHECK(bits(fs[i](nan)) == 0x7fc00000u, "function %d: NaN in -> canonical NaN", i);
        CHECK(bits(fs[i](snan_neg)) == 0x7fc00000u, "function %d: -NaN in -> canonical NaN", i);
    }
    CHECK(am_sinpi(1.0) == 0.0 && am_sinpi(-3.0) == 0.0 && am_sinpi(1e300) == 0.0, "sinpi(int) = 0");
    CHECK(am_sinpi(0.5) == 1.0 && am_sinpi(-0.5) == -1.0 && am_sinpi(2.5) == 1.0, "sinpi(1/2)");
    CHECK(am_cospi(0.5) == 0.0 && am_cospi(1.5) == 0.0 && am_cospi(-2.5) == 0.0, "cospi(1/2) = 0");
    CHECK(am_cospi(0.0) == 1.0 && am_cospi(1.0) == -1.0 && am_cospi(-7.0) == -1.0, "cospi(int)");
    CHECK(am_cospi(0x1p52 + 1.0) == -1.0 && am_cospi(0x1p52) == 1.0, "cospi(2^52 + 1)");
    CHECK(fabs(am_sinpi(1.0 / 6.0) - 0.5) < 2e-16, "sinpi(1/6)");
    CHECK(fabs(am_cospi(0.25) - 0.70710678118654752) < 2e-16, "cospi(1/4)");
    CHECK(isnan(am_cospi(INFINITY)) && isnan(am_sinpi(NAN)), "cospi/sinpi of inf/nan");
}

/* Inputs exercising every path: specials, tiny, subnormal, huge, and the ranges in use. */
static void fill_inputs(float *x, int n, uint32_t salt) {
    static const uint32_t specials[] = {0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
        0x7fc00000u, 0x00000001u, 0x80000001u, 0x3f800000u, 0x42b17217u, 0x42b17218u,
        0xc2d00000u, 0xc2cff1b5u, 0x41200000u, 0xc1200000u, 0x3e800000u, 0x007fffffu};
    for (int i = 0; i < n; i++) {
        uint32_t r = xs_next() ^ salt;
        switch (i % 4) {
        case 0: x[i] = from_bits(specials[(r >> 8) % 16]); break;
        case 1: x[i] = ((float)(r >> 8) * 0x1p-24f - 0.5f) * 40.0f; break;
        case 2: x[i] = ((float)(r >> 8) * 0x1p-24f - 0.5f) * 240.0f; break;
        default: x[i] = from_bits(r); if (isnan(x[i])) x[i] = 0.25f; break;
        }
    }
}

TEST(vector_forms_equal_scalar_bit_for_bit) {
    static const int lens[] = {1, 3, 5, 7, 1003};
    float in[1003], out[1003], inplace[1003];
    typedef void (*vn)(float *, const float *, int);
    vn vfs[] = {am_expf_n, am_tanhf_n, am_sigmoidf_n};
    f1 sfs[] = {am_expf, am_tanhf, am_sigmoidf};
    const char *names[] = {"expf", "tanhf", "sigmoidf"};
    for (int f = 0; f < 3; f++) {
        for (int l = 0; l < 5; l++) {
            int n = lens[l];
            fill_inputs(in, n, (uint32_t)(f * 7 + l));
            vfs[f](out, in, n);
            memcpy(inplace, in, sizeof(float) * (size_t)n);
            vfs[f](inplace, inplace, n);    /* out == in allowed */
            int bad = 0;
            for (int i = 0; i < n; i++) {
                uint32_t want = bits(sfs[f](in[i]));
                if (bits(out[i]) != want || bits(inplace[i]) != want) {
                    if (bad++ < 3)
                        CHECK(0, "%s_n[%d] of %d: x=%a got %08x/%08x want %08x", names[f], i, n,
                              (double)in[i], bits(out[i]), bits(inplace[i]), want);
                }
            }
            CHECK(bad == 0, "%s_n: %d of %d elements differ", names[f], bad, n);
        }
    }
}

/* ---- golden hashes -------------------------------------------------------------------
 * Copy this block into another test (or the wasm build) to check the same bits there.
 * FNV-1a 64 over the little-endian bytes of f(x_i), i = 0 .. GOLDEN_N-1, with the grid:
 *   expf:  x_i = (i - 50000) / 512           (-97.7 .. 97.7, includes overflow)
 *   logf:  x_i = bits 0x00800000 + i * 21139 (the positive normals, log-spaced)
 *   tanhf: x_i = (i - 50000) / 4096          (-12.2 .. 12.2)
 *   erff:  x_i = (i - 50000) / 8192          (-6.1 .. 6.1)
 * Every x_i is exact in float, so the grid itself is the same everywhere.
 */
#define GOLDEN_N 100000
static uint64_t golden_hash(int which) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int i = 0; i < GOLDEN_N; i++) {
        float x, y;
        uint32_t u;
        switch (which) {
        case 0: x = (float)(i - 50000) * (1.0f / 512.0f); y = am_expf(x); break;
        case 1: u = 0x00800000u + (uint32_t)i * 21139u; memcpy(&x, &u, 4); y = am_logf(x); break;
        case 2: x = (float)(i - 50000) * (1.0f / 4096.0f); y = am_tanhf(x); break;
        default: x = (float)(i - 50000) * (1.0f / 8192.0f); y = am_erff(x); break;
        }
        memcpy(&u, &y, 4);
        for (int b = 0; b < 4; b++) { h ^= (u >> (8 * b)) & 0xffu; h *= 0x100000001b3ull; }
    }
    return h;
}

TEST(golden_hashes_match_recorded_values) {
    static const char *names[] = {"expf", "logf", "tanhf", "erff"};
    static const uint64_t expected[4] = {
        0xe5cd3381e42a3e65ull, 0xea1bfab92d08bd78ull, 0x9c1a05f90f5037a0ull, 0x64f2928804d136bcull,
    };
    for (int w = 0; w < 4; w++) {
        uint64_t h = golden_hash(w);
        printf("  golden %-6s 0x%016llx\n", names[w], (unsigned long long)h);
        CHECK(h == expected[w], "golden %s: 0x%016llx, recorded 0x%016llx", names[w],
              (unsigned long long)h, (unsigned long long)expected[w]);
    }
}

int main(void) {
    RUN(expf_within_2_ulp_of_libm);
    RUN(logf_within_2_ulp_of_libm);
    RUN(log1pf_within_2_ulp_of_libm);
    RUN(tanhf_within_3_ulp_of_libm);
    RUN(sigmoidf_within_3_ulp_of_libm);
    RUN(erff_within_3_ulp_of_libm);
    RUN(cospi_sinpi_within_5e_16_of_long_double);
    RUN(special_values);
    RUN(vector_forms_equal_scalar_bit_for_bit);
    RUN(golden_hashes_match_recorded_values);
    return check_summary("mathfn");
}
