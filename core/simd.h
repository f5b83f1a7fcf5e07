/* core/simd.h — a 4-lane float vector with one meaning in every build.
 *
 * WebAssembly with -msimd128: wasm_simd128.h. Native x86-64: SSE2 (the speed reference).
 * Otherwise (the scalar wasm build): a struct of four floats. Every operation is lane-wise
 * IEEE single precision (no FMA, no reassociation), so all three give the same bits.
 * v4_where_pos(t, x): x where t > 0, else +0 (a mask in the SIMD builds: the same bits).
 */
#ifndef ACCUMLAB_SIMD_H
#define ACCUMLAB_SIMD_H

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
typedef v128_t v4;
#define V4_SIMD 1
static inline v4 v4_load(const float *p) { return wasm_v128_load(p); }
static inline void v4_store(float *p, v4 a) { wasm_v128_store(p, a); }
static inline v4 v4_splat(float x) { return wasm_f32x4_splat(x); }
static inline v4 v4_add(v4 a, v4 b) { return wasm_f32x4_add(a, b); }
static inline v4 v4_sub(v4 a, v4 b) { return wasm_f32x4_sub(a, b); }
static inline v4 v4_mul(v4 a, v4 b) { return wasm_f32x4_mul(a, b); }
static inline v4 v4_max(v4 a, v4 b) { return wasm_f32x4_pmax(a, b); } /* b < a ? a : b */
static inline v4 v4_where_pos(v4 t, v4 x) { return wasm_v128_and(x, wasm_f32x4_gt(t, wasm_f32x4_splat(0.0f))); }
/* rows r0..r3 become columns: r_i[j] <- r_j[i] */
static inline void v4_transpose(v4 *r0, v4 *r1, v4 *r2, v4 *r3) {
    v4 t0 = wasm_i32x4_shuffle(*r0, *r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(*r2, *r3, 0, 4, 1, 5);
    v4 t2 = wasm_i32x4_shuffle(*r0, *r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(*r2, *r3, 2, 6, 3, 7);
    *r0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5); *r1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
    *r2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5); *r3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}
#elif defined(__SSE2__)
#include <emmintrin.h>
typedef __m128 v4;
#define V4_SIMD 1
static inline v4 v4_load(const float *p) { return _mm_loadu_ps(p); }
static inline void v4_store(float *p, v4 a) { _mm_storeu_ps(p, a); }
static inline v4 v4_splat(float x) { return _mm_set1_ps(x); }
static inline v4 v4_add(v4 a, v4 b) { return _mm_add_ps(a, b); }
static inline v4 v4_sub(v4 a, v4 b) { return _mm_sub_ps(a, b); }
static inline v4 v4_mul(v4 a, v4 b) { return _mm_mul_ps(a, b); }
static inline v4 v4_max(v4 a, v4 b) { return _mm_max_ps(b, a); } /* b > a ? b : a, same as pmax */
static inline v4 v4_where_pos(v4 t, v4 x) { return _mm_and_ps(x, _mm_cmpgt_ps(t, _mm_setzero_ps())); }
static inline void v4_transpose(v4 *r0, v4 *r1, v4 *r2, v4 *r3) { _MM_TRANSPOSE4_PS(*r0, *r1, *r2, *r3); }
#else
typedef struct { float f[4]; } v4;
#define V4_SIMD 0
static inline v4 v4_load(const float *p) { v4 r; for (int i = 0; i < 4; i++) r.f[i] = p[i]; return r; }
static inline void v4_store(float *p, v4 a) { for (int i = 0; i < 4; i++) p[i] = a.f[i]; }
static inline v4 v4_splat(float x) { v4 r; for (int i = 0; i < 4; i++) r.f[i] = x; return r; }
static inline v4 v4_add(v4 a, v4 b) { for (int i = 0; i < 4; i++) a.f[i] += b.f[i]; return a; }
static inline v4 v4_sub(v4 a, v4 b) { for (int i = 0; i < 4; i++) a.f[i] -= b.f[i]; return a; }
static inline v4 v4_mul(v4 a, v4 b) { for (int i = 0; i < 4; i++) a.f[i] *= b.f[i]; return a; }
static inline v4 v4_max(v4 a, v4 b) { for (int i = 0; i < 4; i++) a.f[i] = a.f[i] < b.f[i] ? b.f[i] : a.f[i]; return a; }
static inline v4 v4_where_pos(v4 t, v4 x) { for (int i = 0; i < 4; i++) x.f[i] = t.f[i] > 0.0f ? x.f[i] : 0.0f; return x; }
static inline void v4_transpose(v4 *r0, v4 *r1, v4 *r2, v4 *r3) {
    v4 *r[4] = {r0, r1, r2, r3};
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++) { float t = r[i]->f[j]; r[i]->f[j] = r[j]->f[i]; r[j]->f[i] = t; }
}
#endif

#endif
