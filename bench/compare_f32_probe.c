/* bench/compare_f32_probe.c — a probe, not part of the core: what the comparison would cost if
 * every metric of al_compare were taken in float32 (SIMD wasm only).
 *
 * One pass over a and b: the four sums (a·b, |a|², |b|², |a-b|²) in float32 partials of 8
 * groups of 4, each partial then added into double lanes; the bitwise flag; max |a-b| and
 * torch's float32 allclose test; max |a-b|/|b| with an f32x4 division; max ULP. It leaves out
 * the residual of the best scaled copy (a second pass in al_compare), so its time is a lower
 * bound for any float32 comparison with al_compare's metrics. Its results are not checked
 * against al_compare (they differ in the last bits by design); bench/run.mjs only times it,
 * to show whether float32 metrics alone could meet issue 5's compare-step target. */
#include <stdint.h>
#ifdef __wasm_simd128__
#include <wasm_simd128.h>

/* out: a·b, |a|², |b|², |a-b|², allclose, bitwise, max |a-b|, max |a-b|/|b| (and max ULP in
 * *ulp_out); n a multiple of 32 */
void probe_compare_f32(double out[8], uint32_t *ulp_out, const float *a, const float *b, long n) {
    const v128_t mag = wasm_i32x4_splat(0x7fffffff), rtol = wasm_f32x4_splat(1e-5f), atol = wasm_f32x4_splat(1e-8f);
    v128_t s[8];
    for (int q = 0; q < 8; q++) s[q] = wasm_f64x2_splat(0.0);
    v128_t close = wasm_i32x4_splat(-1), differ = wasm_i32x4_splat(0), ulp = differ;
    v128_t max_abs = wasm_f32x4_splat(0.0f), max_rel = max_abs;
    for (long i0 = 0; i0 < n; i0 += 32) {
        v128_t p[4] = {wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f), wasm_f32x4_splat(0.0f)};
        for (long i = i0; i < i0 + 32; i += 4) {
            v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
            differ = wasm_v128_or(differ, wasm_v128_xor(x, y));
            v128_t d = wasm_f32x4_sub(x, y);
            p[0] = wasm_f32x4_add(p[0], wasm_f32x4_mul(x, y));
            p[1] = wasm_f32x4_add(p[1], wasm_f32x4_mul(x, x));
            p[2] = wasm_f32x4_add(p[2], wasm_f32x4_mul(y, y));
            p[3] = wasm_f32x4_add(p[3], wasm_f32x4_mul(d, d));
            v128_t ad = wasm_v128_and(d, mag), ay = wasm_v128_and(y, mag);
            close = wasm_v128_and(close, wasm_f32x4_le(ad, wasm_f32x4_add(atol, wasm_f32x4_mul(rtol, ay))));
            max_abs = wasm_f32x4_pmax(max_abs, ad);
            max_rel = wasm_f32x4_pmax(max_rel, wasm_f32x4_div(ad, ay));
            v128_t sa = wasm_i32x4_shr(x, 31), sb = wasm_i32x4_shr(y, 31);
            v128_t la = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(x, mag), sa), sa);
            v128_t lb = wasm_i32x4_sub(wasm_v128_xor(wasm_v128_and(y, mag), sb), sb);
            ulp = wasm_u32x4_max(ulp, wasm_i32x4_sub(wasm_i32x4_max(la, lb), wasm_i32x4_min(la, lb)));
        }
        for (int q = 0; q < 4; q++) {
            s[2 * q] = wasm_f64x2_add(s[2 * q], wasm_f64x2_promote_low_f32x4(p[q]));
            s[2 * q + 1] = wasm_f64x2_add(s[2 * q + 1], wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(p[q], p[q], 2, 3, 2, 3)));
        }
    }
    for (int q = 0; q < 4; q++) {
        v128_t t = wasm_f64x2_add(s[2 * q], s[2 * q + 1]);
        out[q] = wasm_f64x2_extract_lane(t, 0) + wasm_f64x2_extract_lane(t, 1);
    }
    out[4] = wasm_i32x4_all_true(close);
    out[5] = !wasm_v128_any_true(differ);
    float m[4], r[4];
    uint32_t u[4];
    wasm_v128_store(m, max_abs); wasm_v128_store(r, max_rel); wasm_v128_store(u, ulp);
    out[6] = out[7] = 0.0; *ulp_out = 0;
    for (int q = 0; q < 4; q++) {
        if (m[q] > out[6]) out[6] = m[q];
        if (r[q] > out[7]) out[7] = r[q];
        if (u[q] > *ulp_out) *ulp_out = u[q];
    }
}
#endif
