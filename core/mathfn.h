/* core/mathfn.h — accumlab's own deterministic transcendental functions.
 *
 * Why: libm differs between glibc (native) and musl (Emscripten), so results would not be
 * bit-identical across builds. These use only +, -, *, /, sqrt, comparisons and bit
 * manipulation, evaluated in a fixed order (no FMA: the core builds with
 * -ffp-contract=off), so every build gives the same bits.
 * Accuracy targets (tested against libm in double over dense sweeps): max error <= 2 ulp
 * for expf/logf/log1pf, <= 3 ulp for tanhf/sigmoidf/erff over their useful ranges.
 * Special values: expf(-inf)=0, expf(+inf)=inf, expf(x>88.72)=inf, logf(0)=-inf,
 * logf(x<0)=nan, NaN in -> NaN out, tanhf saturates to +-1, sigmoidf to 0/1.
 */
#ifndef ACCUMLAB_MATHFN_H
#define ACCUMLAB_MATHFN_H

float am_expf(float x);
float am_logf(float x);
float am_log1pf(float x);
float am_tanhf(float x);
float am_sigmoidf(float x);   /* 1 / (1 + exp(-x)), stable for large |x| */
float am_erff(float x);
double am_cospi(double x);    /* cos(pi * x), for schedules and dataset geometry */
double am_sinpi(double x);    /* sin(pi * x) */

/* Vector forms over n contiguous floats (out may equal in). Must give exactly the same
 * bits as the scalar forms above, element by element, in every build. */
void am_tanhf_n(float *out, const float *in, int n);
void am_sigmoidf_n(float *out, const float *in, int n);
void am_expf_n(float *out, const float *in, int n);

#endif
