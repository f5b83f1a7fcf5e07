/* core/compare.c — how close two float vectors are, in every sense the lab reports. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "accumlab.h"

/* float32 bits mapped to a line where adjacent floats differ by 1 (-0 and +0 both at 0) */
static int64_t ulp_line(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static int close_enough(double a, double b, double rtol, double atol) {
    return fabs(a - b) <= atol + rtol * fabs(b); /* false for NaN, as torch.allclose */
}

void al_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol) {
    int allclose = 1, bitwise = 1;
    double max_abs = 0.0, max_rel = 0.0, max_ulp = 0.0, dot = 0.0, na = 0.0, nb = 0.0;
    for (long i = 0; i < n; i++) {
        double x = a[i], y = b[i], d = fabs(x - y);
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0) bitwise = 0;
        if (!close_enough(x, y, rtol, atol)) allclose = 0;
        if (isnan(d)) { max_abs = max_rel = max_ulp = INFINITY; }
        else if (d > 0.0) {
            if (d > max_abs) max_abs = d;
            double rel = y != 0.0 ? d / fabs(y) : INFINITY;
            if (rel > max_rel) max_rel = rel;
            int64_t du = ulp_line(a[i]) - ulp_line(b[i]);
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
    /* norm-wise: |a-b|² = |a|² - 2a·b + |b|² cancels badly, so sum the differences directly */
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
