/* core/mathfn.c — deterministic transcendental functions (see mathfn.h).
 *
 * Only +, -, *, / (IEEE, round to nearest), comparisons and bit manipulation, each
 * expression written in the order it must be evaluated; the build uses
 * -ffp-contract=off, so no FMA can change a rounding. Same source, same bits: gcc on
 * x86-64 (SSE) and clang on WebAssembly.
 *
 * The algorithms are those of fdlibm (Sun Microsystems, 1993, "Permission to use, copy,
 * modify, and distribute this software is freely granted, provided that this notice is
 * preserved") as in FreeBSD's msun e_expf.c, k_logf.h, s_log1pf.c and s_erff.c, whose
 * polynomial coefficients are reused here; the code is rewritten branch-light so that
 * a 4-lane SIMD version can follow it operation by operation.
 *
 * Vector forms: under __wasm_simd128__, expf/tanhf/sigmoidf run 4 lanes of f32x4
 * through exactly the scalar operations (same constants, same order, special cases
 * by lane selects); elsewhere they loop over the scalar functions. Either way the
 * bits equal the scalar results (tests/c/test_mathfn.c checks it in every build).
 * NaN results are always the canonical quiet NaN 0x7fc00000, in both paths.
 */
#include "mathfn.h"

#include <stdint.h>
#include <string.h>

#ifdef __wasm_simd128__
#include <wasm_simd128.h>
#endif

/* ---- bits ------------------------------------------------------------------------ */

static inline uint32_t f2u(float x) { uint32_t u; memcpy(&u, &x, sizeof u); return u; }
static inline float u2f(uint32_t u) { float x; memcpy(&x, &u, sizeof x); return x; }
static inline uint64_t d2u(double x) { uint64_t u; memcpy(&u, &x, sizeof u); return u; }
static inline double u2d(uint64_t u) { double x; memcpy(&x, &u, sizeof x); return x; }

#define NAN_BITS 0x7fc00000u
#define INF_BITS 0x7f800000u
#define SIGN_BITS 0x80000000u
#define ABS_BITS 0x7fffffffu

/* 2^j as a float, for -126 <= j <= 127. */
static inline float pow2i(int j) { return u2f((uint32_t)(j + 127) << 23); }

/* ---- exp ---------------------------------------------------------------------------
 * x = k*ln2 + r, |r| <= ~ln2/2, k = round(x/ln2) by the 1.5*2^23 shifter.
 * r = hi - lo with hi = x - k*ln2_hi (exact: ln2_hi has 15 significant bits, |k| <= 150)
 * and lo = k*ln2_lo. With c = r - r^2*(P1 + r^2*P2) (Remez, fdlibm's e_expf.c),
 * e^r = 1 + r + r*c/(2 - c), i.e. e^r - 1 = p = hi - (lo - r*c/(2 - c)).
 * Then e^x = 2^k * (1 + p).
 */
static const float EXP_SHIFT = 0x1.8p23f;          /* 12582912: rounds to an integer */
static const float INV_LN2 = 0x1.715476p+0f;       /* 1.4426950216 */
static const float LN2_HI = 0x1.62e400p-1f;        /* 6.9314575195e-01, 0x3f317200 */
static const float LN2_LO = 0x1.7f7d1cp-20f;       /* 1.4286067653e-06, 0x35bfbe8e */
static const float EXP_P1 = 1.6666625440e-1f;      /*  0xaaaaa8.0p-26 */
static const float EXP_P2 = -2.7667332906e-3f;     /* -0xb55215.0p-32 */
static const float EXP_MAX = 0x1.62e42ep+6f;       /* 88.7228317: largest x with e^x < FLT_MAX */
static const float EXP_MIN = -104.0f;              /* e^x rounds to 0 below this */

/* p = e^r - 1 and k for x in [EXP_MIN, EXP_MAX + 1]: e^x = 2^k * (1 + p). */
static inline float exp_reduce(float x, int *k) {
    float kf = (x * INV_LN2 + EXP_SHIFT) - EXP_SHIFT;
    float hi = x - kf * LN2_HI;
    float lo = kf * LN2_LO;
    float r = hi - lo;
    float t = r * r;
    float c = r - t * (EXP_P1 + t * EXP_P2);
    float q = (r * c) / (2.0f - c);
    *k = (int)kf;
    return hi - (lo - q);
}

/* e^x for x in [EXP_MIN, EXP_MAX] (normal, subnormal or zero result). */
static inline float exp_finite(float x) {
    int k;
    float p = exp_reduce(x, &k);
    float y = 1.0f + p;
    /* 2^k in two factors, each a normal float: k in [-150, 128]. The first product is
     * exact, the second rounds once (into the subnormals if it must). */
    int k1 = ((k + 256) >> 1) - 128;
    return (y * pow2i(k1)) * pow2i(k - k1);
}

float am_expf(float x) {
    if (x != x) return u2f(NAN_BITS);
    if (x > EXP_MAX) return u2f(INF_BITS);
    if (x < EXP_MIN) x = EXP_MIN;
    return exp_finite(x);
}

/* ---- tanh --------------------------------------------------------------------------
 * With e^(-2a) = 2^k * (1 + p) from exp_reduce (a = |x|):
 *   a <  TANH_SWITCH: tanh(a) = -em / (em + 2), em = e^(-2a) - 1 = (2^k - 1) + 2^k * p
 *                     (no cancellation for small a: em ~ p ~ -2a; no polynomial needed);
 *   a >= TANH_SWITCH: tanh(a) = 1 - 2e / (1 + e), e = e^(-2a) = (1 + p) * 2^k
 *                     (the correction is small, so its rounding errors shrink).
 * Both are computed from the same reduction; the SIMD form selects per lane.
 * For a >= 10, tanh(a) rounds to 1; a is clamped there.
 */
static const float TANH_CLAMP = 10.0f;
static const float TANH_SWITCH = 0.625f;

static inline float tanh_pos(float a) {   /* a in [0, TANH_CLAMP] */
    int k;
    float p = exp_reduce(-2.0f * a, &k);  /* k in [-29, 0] */
    float s = pow2i(k);
    float em = (s - 1.0f) + s * p;
    float t_small = -em / (em + 2.0f);
    float e = (1.0f + p) * s;
    float t_big = 1.0f - (e + e) / (1.0f + e);
    return a < TANH_SWITCH ? t_small : t_big;
}

float am_tanhf(float x) {
    if (x != x) return u2f(NAN_BITS);
    uint32_t sign = f2u(x) & SIGN_BITS;
    float a = u2f(f2u(x) & ABS_BITS);
    if (a > TANH_CLAMP) a = TANH_CLAMP;
    return u2f(f2u(tanh_pos(a)) | sign);
}

/* ---- sigmoid -----------------------------------------------------------------------
 * e = e^-|x|; sigmoid = 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0: never
 * overflows, no cancellation, saturates to exactly 1 and (via subnormals) 0.
 */
float am_sigmoidf(float x) {
    if (x != x) return u2f(NAN_BITS);
    float na = u2f(f2u(x) | SIGN_BITS);     /* -|x| */
    if (na < EXP_MIN) na = EXP_MIN;
    float e = exp_finite(na);
    float num = x >= 0.0f ? 1.0f : e;
    return num / (1.0f + e);
}

/* ---- log, log1p --------------------------------------------------------------------
 * u = 2^k * m, m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f),
 * log(m) = f - f^2/2 + s*(f^2/2 + R(s^2)), R from fdlibm's k_logf.h (|err| < 2^-34.24).
 * log(u) + c = k*ln2_hi - ((hfsq - (s*(hfsq + R) + (k*ln2_lo + c))) - f).
 */
static const float LOG_LN2_HI = 6.9313812256e-01f;  /* 0x3f317180 */
static const float LOG_LN2_LO = 9.0580006145e-06f;  /* 0x3717f7d1 */
static const float LG1 = 0xaaaaaa.0p-24f;           /* 0.66666662693 */
static const float LG2 = 0xccce13.0p-25f;           /* 0.40000972152 */
static const float LG3 = 0x91e9ee.0p-25f;           /* 0.28498786688 */
static const float LG4 = 0xf89e26.0p-26f;           /* 0.24279078841 */

/* log(2^k0 * u) + c for u a positive normal finite float with bits iu. */
static float log_core(uint32_t iu, int k0, float c) {
    int k = k0 + (int)(iu >> 23) - 127;
    uint32_t m = iu & 0x007fffffu;
    uint32_t i = (m + 0x004afb20u) & 0x00800000u;   /* mantissa >= ~sqrt(2): halve it */
    float xm = u2f(m | (i ^ 0x3f800000u));
    k += (int)(i >> 23);
    float f = xm - 1.0f;
    float s = f / (2.0f + f);
    float z = s * s;
    float w = z * z;
    float t1 = w * (LG2 + w * LG4);
    float t2 = z * (LG1 + w * LG3);
    float R = t2 + t1;
    float hfsq = 0.5f * f * f;
    float dk = (float)k;
    return dk * LOG_LN2_HI - ((hfsq - (s * (hfsq + R) + (dk * LOG_LN2_LO + c))) - f);
}

float am_logf(float x) {
    uint32_t ix = f2u(x);
    if (x != x) return u2f(NAN_BITS);
    if ((ix & ABS_BITS) == 0) return u2f(INF_BITS | SIGN_BITS);   /* log(+-0) = -inf */
    if (ix & SIGN_BITS) return u2f(NAN_BITS);
    if (ix == INF_BITS) return x;
    int k0 = 0;
    if (ix < 0x00800000u) {          /* subnormal: scale up by 2^25 (exact) */
        x = x * 0x1p25f;
        ix = f2u(x);
        k0 = -25;
    }
    return log_core(ix, k0, 0.0f);
}

/* log1p: u = 1 + x rounded, c = (1 + x) - u recovered exactly, log1p(x) = log(u) + c/u. */
float am_log1pf(float x) {
    if (x != x) return u2f(NAN_BITS);
    if (x < -1.0f) return u2f(NAN_BITS);
    if (x == -1.0f) return u2f(INF_BITS | SIGN_BITS);
    if (f2u(x) == INF_BITS || x == 0.0f) return x;   /* +inf, +-0 */
    float u = 1.0f + x;
    float c = x >= 1.0f ? 1.0f - (u - x) : x - (u - 1.0f);
    c = c / u;
    return log_core(f2u(u), 0, c);
}

/* ---- erf ---------------------------------------------------------------------------
 * fdlibm's s_erff.c with FreeBSD's reduced-degree rational approximations:
 *   |x| < 2^-14:         x + efx*x (scaled by 8 for tiny x to keep subnormals exact)
 *   |x| < 0.84375:       x + x * pp(x^2)/qq(x^2)
 *   |x| < 1.25:          erx + pa(s)/qa(s), s = |x| - 1
 *   |x| < 4:             1 - exp(-z^2 - 0.5625) * exp((z - x)(z + x) + R/S) / x,
 *                        z = x with the low 13 bits cleared (z*z exact), R/S in 1/x^2
 *   |x| >= 4:            +-1
 */
static const float ERF_EFX = 1.2837916613e-01f;    /* 0x3e0375d4 */
static const float ERF_EFX8 = 1.0270333290e+00f;   /* 0x3f8375d4 */
static const float ERF_PP0 = 1.28379166e-01f, ERF_PP1 = -3.36030394e-01f, ERF_PP2 = -1.86260219e-03f;
static const float ERF_QQ1 = 3.12324286e-01f, ERF_QQ2 = 2.16070302e-02f, ERF_QQ3 = -1.98859419e-03f;
static const float ERF_ERX = 8.42697144e-01f;      /* erf(1) to 16 bits */
static const float ERF_PA0 = 3.64939137e-06f, ERF_PA1 = 4.15109694e-01f, ERF_PA2 = -1.65179938e-01f,
                   ERF_PA3 = 1.10914491e-01f;
static const float ERF_QA1 = 6.02074385e-01f, ERF_QA2 = 5.35934687e-01f, ERF_QA3 = 1.68576106e-01f,
                   ERF_QA4 = 5.62181212e-02f;
static const float ERF_RA0 = -9.87132732e-03f, ERF_RA1 = -5.53605914e-01f, ERF_RA2 = -2.17589188e+00f,
                   ERF_RA3 = -1.43268085e+00f;
static const float ERF_SA1 = 5.45995426e+00f, ERF_SA2 = 6.69798088e+00f, ERF_SA3 = 1.43113089e+00f,
                   ERF_SA4 = -5.77397496e-02f;
static const float ERF_RB0 = -9.86494310e-03f, ERF_RB1 = -6.25171244e-01f, ERF_RB2 = -6.16498327e+00f,
                   ERF_RB3 = -1.66696873e+01f, ERF_RB4 = -9.53764343e+00f;
static const float ERF_SB1 = 1.26884899e+01f, ERF_SB2 = 4.51839523e+01f, ERF_SB3 = 4.72810211e+01f,
                   ERF_SB4 = 8.93033314e+00f;

float am_erff(float x) {
    uint32_t hx = f2u(x);
    uint32_t ix = hx & ABS_BITS;
    uint32_t sign = hx & SIGN_BITS;
    float a = u2f(ix);
    float y;
    if (x != x) return u2f(NAN_BITS);
    if (ix < 0x3f580000u) {                         /* |x| < 0.84375 */
        if (ix < 0x38800000u) {                     /* |x| < 2^-14 */
            if (ix < 0x04000000u) return (8.0f * x + ERF_EFX8 * x) * 0.125f;
            return x + ERF_EFX * x;
        }
        float z = x * x;
        float r = ERF_PP0 + z * (ERF_PP1 + z * ERF_PP2);
        float s = 1.0f + z * (ERF_QQ1 + z * (ERF_QQ2 + z * ERF_QQ3));
        return x + x * (r / s);
    }
    if (ix < 0x3fa00000u) {                         /* |x| < 1.25 */
        float s = a - 1.0f;
        float P = ERF_PA0 + s * (ERF_PA1 + s * (ERF_PA2 + s * ERF_PA3));
        float Q = 1.0f + s * (ERF_QA1 + s * (ERF_QA2 + s * (ERF_QA3 + s * ERF_QA4)));
        y = ERF_ERX + P / Q;
    } else if (ix >= 0x40800000u) {                 /* |x| >= 4 (and inf) */
        y = 1.0f;
    } else {
        float s = 1.0f / (a * a);
        float R, S;
        if (ix < 0x4036db6eu) {                     /* |x| < 1/0.35 */
            R = ERF_RA0 + s * (ERF_RA1 + s * (ERF_RA2 + s * ERF_RA3));
            S = 1.0f + s * (ERF_SA1 + s * (ERF_SA2 + s * (ERF_SA3 + s * ERF_SA4)));
        } else {
            R = ERF_RB0 + s * (ERF_RB1 + s * (ERF_RB2 + s * (ERF_RB3 + s * ERF_RB4)));
            S = 1.0f + s * (ERF_SB1 + s * (ERF_SB2 + s * (ERF_SB3 + s * ERF_SB4)));
        }
        float z = u2f(ix & 0xffffe000u);
        float r = am_expf(-z * z - 0.5625f) * am_expf((z - a) * (z + a) + R / S);
        y = 1.0f - r / a;
    }
    return u2f(f2u(y) | sign);
}

/* ---- cospi, sinpi (double) ---------------------------------------------------------
 * r = x - 2*round(x/2) is exact, r in [-1, 1]; symmetry takes |r| to a in [0, 1/4]
 * (or 1/2 - a), then Taylor series of sin and cos in y = pi*a, |y| <= pi/4
 * (truncation < 1e-17; total error ~1e-16).
 */
static const double PI = 3.141592653589793;
static const double SHIFT52 = 0x1.8p52;

static double reduce_mod2(double x) {   /* x finite */
    double ax = u2d(d2u(x) & 0x7fffffffffffffffull);
    if (ax >= 0x1p53) return 0.0;                   /* every such double is even */
    if (ax >= 0x1p52) return (d2u(x) & 1u) ? 1.0 : 0.0;  /* integers: parity */
    double h = x * 0.5;
    double n = (h + SHIFT52) - SHIFT52;             /* round(x/2), |x/2| < 2^51 */
    return x - 2.0 * n;
}

static double sin_poly(double a) {     /* sin(pi*a), 0 <= a <= 1/4 */
    double y = a * PI;
    double y2 = y * y;
    double p = 1.0 / 355687428096000.0;
    p = -1.0 / 1307674368000.0 + y2 * p;
    p = 1.0 / 6227020800.0 + y2 * p;
    p = -1.0 / 39916800.0 + y2 * p;
    p = 1.0 / 362880.0 + y2 * p;
    p = -1.0 / 5040.0 + y2 * p;
    p = 1.0 / 120.0 + y2 * p;
    p = -1.0 / 6.0 + y2 * p;
    return y + (y * y2) * p;
}

static double cos_poly(double a) {     /* cos(pi*a), 0 <= a <= 1/4 */
    double y = a * PI;
    double y2 = y * y;
    double p = 1.0 / 20922789888000.0;
    p = -1.0 / 87178291200.0 + y2 * p;
    p = 1.0 / 479001600.0 + y2 * p;
    p = -1.0 / 3628800.0 + y2 * p;
    p = 1.0 / 40320.0 + y2 * p;
    p = -1.0 / 720.0 + y2 * p;
    p = 1.0 / 24.0 + y2 * p;
    p = -0.5 + y2 * p;
    return 1.0 + y2 * p;
}

static int finite_d(double x) { return (d2u(x) & 0x7ff0000000000000ull) != 0x7ff0000000000000ull; }

double am_sinpi(double x) {
    if (!finite_d(x)) return u2d(0x7ff8000000000000ull);
    double r = reduce_mod2(x);
    uint64_t sign = d2u(r) & 0x8000000000000000ull;
    double a = u2d(d2u(r) & 0x7fffffffffffffffull);
    if (a > 0.5) a = 1.0 - a;
    double v = a <= 0.25 ? sin_poly(a) : cos_poly(0.5 - a);
    return u2d(d2u(v) ^ sign);
}

double am_cospi(double x) {
    if (!finite_d(x)) return u2d(0x7ff8000000000000ull);
    double r = reduce_mod2(x);
    double a = u2d(d2u(r) & 0x7fffffffffffffffull);
    int neg = a > 0.5;
    if (neg) a = 1.0 - a;
    double v = a <= 0.25 ? cos_poly(a) : sin_poly(0.5 - a);
    return neg ? -v : v;
}

/* ---- vector forms ------------------------------------------------------------------ */

#ifdef __wasm_simd128__

#define VF(c) wasm_f32x4_splat(c)
#define VI(c) wasm_i32x4_splat(c)

/* Lane-wise exp_reduce: the same operations in the same order. */
static inline v128_t v_exp_reduce(v128_t x, v128_t *k) {
    v128_t kf = wasm_f32x4_sub(wasm_f32x4_add(wasm_f32x4_mul(x, VF(INV_LN2)), VF(EXP_SHIFT)), VF(EXP_SHIFT));
    v128_t hi = wasm_f32x4_sub(x, wasm_f32x4_mul(kf, VF(LN2_HI)));
    v128_t lo = wasm_f32x4_mul(kf, VF(LN2_LO));
    v128_t r = wasm_f32x4_sub(hi, lo);
    v128_t t = wasm_f32x4_mul(r, r);
    v128_t c = wasm_f32x4_sub(r, wasm_f32x4_mul(t, wasm_f32x4_add(VF(EXP_P1), wasm_f32x4_mul(t, VF(EXP_P2)))));
    v128_t q = wasm_f32x4_div(wasm_f32x4_mul(r, c), wasm_f32x4_sub(VF(2.0f), c));
    *k = wasm_i32x4_trunc_sat_f32x4(kf);
    return wasm_f32x4_sub(hi, wasm_f32x4_sub(lo, q));
}

static inline v128_t v_pow2i(v128_t j) { return wasm_i32x4_shl(wasm_i32x4_add(j, VI(127)), 23); }

static inline v128_t v_exp_finite(v128_t x) {
    v128_t k;
    v128_t p = v_exp_reduce(x, &k);
    v128_t y = wasm_f32x4_add(VF(1.0f), p);
    v128_t k1 = wasm_i32x4_sub(wasm_i32x4_shr(wasm_i32x4_add(k, VI(256)), 1), VI(128));
    return wasm_f32x4_mul(wasm_f32x4_mul(y, v_pow2i(k1)), v_pow2i(wasm_i32x4_sub(k, k1)));
}

static inline v128_t v_expf(v128_t x) {
    v128_t isnan = wasm_f32x4_ne(x, x);
    v128_t big = wasm_f32x4_gt(x, VF(EXP_MAX));
    v128_t xc = wasm_v128_bitselect(VF(EXP_MIN), x, wasm_f32x4_lt(x, VF(EXP_MIN)));
    xc = wasm_v128_bitselect(VF(0.0f), xc, wasm_v128_or(isnan, big));
    v128_t y = v_exp_finite(xc);
    y = wasm_v128_bitselect(VI((int32_t)INF_BITS), y, big);
    return wasm_v128_bitselect(VI((int32_t)NAN_BITS), y, isnan);
}

static inline v128_t v_tanhf(v128_t x) {
    v128_t isnan = wasm_f32x4_ne(x, x);
    v128_t sign = wasm_v128_and(x, VI((int32_t)SIGN_BITS));
    v128_t a = wasm_v128_and(x, VI((int32_t)ABS_BITS));
    a = wasm_v128_bitselect(VF(TANH_CLAMP), a, wasm_f32x4_gt(a, VF(TANH_CLAMP)));
    a = wasm_v128_bitselect(VF(0.0f), a, isnan);
    v128_t k;
    v128_t p = v_exp_reduce(wasm_f32x4_mul(VF(-2.0f), a), &k);
    v128_t s = v_pow2i(k);
    v128_t em = wasm_f32x4_add(wasm_f32x4_sub(s, VF(1.0f)), wasm_f32x4_mul(s, p));
    v128_t t_small = wasm_f32x4_div(wasm_f32x4_neg(em), wasm_f32x4_add(em, VF(2.0f)));
    v128_t e = wasm_f32x4_mul(wasm_f32x4_add(VF(1.0f), p), s);
    v128_t t_big = wasm_f32x4_sub(VF(1.0f), wasm_f32x4_div(wasm_f32x4_add(e, e), wasm_f32x4_add(VF(1.0f), e)));
    v128_t t = wasm_v128_bitselect(t_small, t_big, wasm_f32x4_lt(a, VF(TANH_SWITCH)));
    t = wasm_v128_or(t, sign);
    return wasm_v128_bitselect(VI((int32_t)NAN_BITS), t, isnan);
}

static inline v128_t v_sigmoidf(v128_t x) {
    v128_t isnan = wasm_f32x4_ne(x, x);
    v128_t na = wasm_v128_or(x, VI((int32_t)SIGN_BITS));
    na = wasm_v128_bitselect(VF(EXP_MIN), na, wasm_f32x4_lt(na, VF(EXP_MIN)));
    na = wasm_v128_bitselect(VF(0.0f), na, isnan);
    v128_t e = v_exp_finite(na);
    v128_t num = wasm_v128_bitselect(VF(1.0f), e, wasm_f32x4_ge(x, VF(0.0f)));
    v128_t y = wasm_f32x4_div(num, wasm_f32x4_add(VF(1.0f), e));
    return wasm_v128_bitselect(VI((int32_t)NAN_BITS), y, isnan);
}

#define AM_VECTOR_LOOP(name, vfn, sfn)                                        \
    void name(float *out, const float *in, int n) {                           \
        int i = 0;                                                            \
        for (; i + 4 <= n; i += 4)                                            \
            wasm_v128_store(out + i, vfn(wasm_v128_load(in + i)));            \
        for (; i < n; i++) out[i] = sfn(in[i]);                               \
    }

AM_VECTOR_LOOP(am_expf_n, v_expf, am_expf)
AM_VECTOR_LOOP(am_tanhf_n, v_tanhf, am_tanhf)
AM_VECTOR_LOOP(am_sigmoidf_n, v_sigmoidf, am_sigmoidf)

#else /* scalar builds: the vector forms are the scalar functions in a loop */

void am_expf_n(float *out, const float *in, int n) { for (int i = 0; i < n; i++) out[i] = am_expf(in[i]); }
void am_tanhf_n(float *out, const float *in, int n) { for (int i = 0; i < n; i++) out[i] = am_tanhf(in[i]); }
void am_sigmoidf_n(float *out, const float *in, int n) { for (int i = 0; i < n; i++) out[i] = am_sigmoidf(in[i]); }

#endif
