/* core/layers.c — forward/backward pairs of the MLP's layers (see layers.h). */
#include <math.h>
#include "layers.h"
#include "kernels.h"
#include "mathfn.h"
#include "simd.h"

void al_zero(float *x, long n) { for (long i = 0; i < n; i++) x[i] = 0.0f; }

/* ---- Linear ---------------------------------------------------------------------- */

void al_linear_forward(float *out, const float *in, const float *w, float *wt, int pack, const float *b,
                       int B, int IN, int OUT) {
    if (pack == AL_PACK_SCRATCH) al_gemm_nt(out, in, w, wt, B, OUT, IN, 0);
    else al_gemm_nt_packed(out, in, w, wt, pack == AL_PACK_FILL, B, OUT, IN, 0);
    int O4 = OUT - OUT % 4;
    for (int s = 0; s < B; s++) {
        float *row = out + (long)s * OUT;
        for (int o = 0; o < O4; o += 4) v4_store(row + o, v4_add(v4_load(row + o), v4_load(b + o)));
        for (int o = O4; o < OUT; o++) row[o] += b[o];
    }
}

void al_linear_backward(float *din, float *dw, float *db, float *scratch, const float *dout,
                        const float *in, const float *w, float *wp, int pack, int B, int IN, int OUT) {
    /* forward: out = in · wᵀ + b */
    if (din && pack == AL_PACK_SCRATCH) al_gemm_nn(din, dout, w, B, IN, OUT, 0);   /* din = dout · w */
    else if (din) al_gemm_nn_packed(din, dout, w, wp, pack == AL_PACK_FILL, B, IN, OUT, 0);
    al_gemm_tn(dw, dout, in, OUT, IN, B, 1);            /* dw += doutᵀ · in */
    al_zero(scratch, OUT);                              /* db += Σ_s dout[s], s in order */
    int O4 = OUT - OUT % 4;
    for (int s = 0; s < B; s++) {
        const float *row = dout + (long)s * OUT;
        for (int o = 0; o < O4; o += 4) v4_store(scratch + o, v4_add(v4_load(scratch + o), v4_load(row + o)));
        for (int o = O4; o < OUT; o++) scratch[o] += row[o];
    }
    for (int o = 0; o < OUT; o++) db[o] += scratch[o];
}

/* ---- Activations ------------------------------------------------------------------ */

static float gelu(float x) { return 0.5f * x * (1.0f + am_erff(x * 0.70710678118654752f)); }

void al_activation_forward(float *out, const float *in, al_activation f, long n) {
    switch (f) {
    case AL_ACT_RELU: { /* in > 0 ? in : 0 (NaN gives 0), four at a time */
        long n4 = n - n % 4, i = 0;
        for (; i < n4; i += 4) v4_store(out + i, v4_max(v4_splat(0.0f), v4_load(in + i))); /* 0 < in ? in : 0 */
        for (; i < n; i++) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
        break;
    }
    case AL_ACT_TANH: am_tanhf_n(out, in, (int)n); break;
    case AL_ACT_SIGMOID: am_sigmoidf_n(out, in, (int)n); break;
    case AL_ACT_GELU: for (long i = 0; i < n; i++) out[i] = gelu(in[i]); break;
    case AL_ACT_IDENTITY: if (out != in) for (long i = 0; i < n; i++) out[i] = in[i]; break;
    }
}

void al_activation_backward(float *din, const float *dout, const float *in, const float *out,
                            al_activation f, long n) {
    switch (f) {
    case AL_ACT_RELU: { /* out = max(in, 0) */
        long n4 = n - n % 4, i = 0;
        for (; i < n4; i += 4) v4_store(din + i, v4_where_pos(v4_load(in + i), v4_load(dout + i)));
        for (; i < n; i++) din[i] = in[i] > 0.0f ? dout[i] : 0.0f;
        break;
    }
    case AL_ACT_TANH: /* out = tanh(in): d/din = 1 - out² */
        for (long i = 0; i < n; i++) din[i] = dout[i] * (1.0f - out[i] * out[i]);
        break;
    case AL_ACT_SIGMOID: /* out = σ(in): d/din = out (1 - out) */
        for (long i = 0; i < n; i++) din[i] = dout[i] * (out[i] * (1.0f - out[i]));
        break;
    case AL_ACT_GELU: /* out = x Φ(x): d/dx = Φ(x) + x φ(x) */
        for (long i = 0; i < n; i++) {
            float x = in[i];
            float cdf = 0.5f * (1.0f + am_erff(x * 0.70710678118654752f));
            float pdf = 0.39894228040143268f * am_expf(-0.5f * x * x);
            din[i] = dout[i] * (cdf + x * pdf);
        }
        break;
    case AL_ACT_IDENTITY:
        if (din != dout) for (long i = 0; i < n; i++) din[i] = dout[i];
        break;
    }
}

/* ---- Dropout ---------------------------------------------------------------------- */

void al_dropout_forward(float *out, const float *in, const float *mask, long n) {
    for (long i = 0; i < n; i++) out[i] = in[i] * mask[i];
}

void al_dropout_backward(float *din, const float *dout, const float *mask, long n) {
    /* forward: out = in · mask */
    for (long i = 0; i < n; i++) din[i] = dout[i] * mask[i];
}

/* ---- BatchNorm (training mode) -------------------------------------------------------- */

void al_batchnorm_forward(float *out, float *xhat, float *rstd, float *running_mean, float *running_var,
                          const float *in, const float *gamma, const float *beta, int B, int H) {
    /* mean and biased variance per feature, summed over samples in order */
    for (int h = 0; h < H; h++) {
        float sum = 0.0f;
        for (int s = 0; s < B; s++) sum += in[(long)s * H + h];
        float mean = sum / (float)B;
        float sq = 0.0f;
        for (int s = 0; s < B; s++) { float d = in[(long)s * H + h] - mean; sq += d * d; }
        float var = sq / (float)B;
        rstd[h] = 1.0f / sqrtf(var + AL_NORM_EPS);
        for (int s = 0; s < B; s++) {
            long i = (long)s * H + h;
            xhat[i] = (in[i] - mean) * rstd[h];
            out[i] = gamma[h] * xhat[i] + beta[h];
        }
        float unbiased = B > 1 ? sq / (float)(B - 1) : var;
        running_mean[h] = (1.0f - AL_BN_MOMENTUM) * running_mean[h] + AL_BN_MOMENTUM * mean;
        running_var[h] = (1.0f - AL_BN_MOMENTUM) * running_var[h] + AL_BN_MOMENTUM * unbiased;
    }
}

void al_batchnorm_backward(float *din, float *dgamma, float *dbeta, float *scratch, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma, int B, int H) {
    /* forward: out = gamma · xhat + beta, xhat = (in - mean(in)) · rstd, over the batch:
     * din = rstd / B · (B · dxhat - Σ dxhat - xhat · Σ dxhat·xhat), dxhat = dout · gamma */
    float *sum_dy = scratch, *sum_dy_xhat = scratch + H;
    for (int h = 0; h < H; h++) {
        float a = 0.0f, c = 0.0f;
        for (int s = 0; s < B; s++) {
            long i = (long)s * H + h;
            a += dout[i];
            c += dout[i] * xhat[i];
        }
        sum_dy[h] = a;
        sum_dy_xhat[h] = c;
    }
    for (int h = 0; h < H; h++) { dgamma[h] += sum_dy_xhat[h]; dbeta[h] += sum_dy[h]; }
    if (!din) return;
    for (int h = 0; h < H; h++) {
        float g = gamma[h], k = rstd[h] / (float)B;
        for (int s = 0; s < B; s++) {
            long i = (long)s * H + h;
            float dxhat = dout[i] * g;
            din[i] = k * ((float)B * dxhat - g * sum_dy[h] - xhat[i] * (g * sum_dy_xhat[h]));
        }
    }
}

/* ---- LayerNorm --------------------------------------------------------------------- */

void al_layernorm_forward(float *out, float *xhat, float *rstd, const float *in, const float *gamma,
                          const float *beta, int B, int H) {
    for (int s = 0; s < B; s++) {
        const float *x = in + (long)s * H;
        float sum = 0.0f;
        for (int h = 0; h < H; h++) sum += x[h];
        float mean = sum / (float)H;
        float sq = 0.0f;
        for (int h = 0; h < H; h++) { float d = x[h] - mean; sq += d * d; }
        float r = 1.0f / sqrtf(sq / (float)H + AL_NORM_EPS);
        rstd[s] = r;
        for (int h = 0; h < H; h++) {
            long i = (long)s * H + h;
            xhat[i] = (x[h] - mean) * r;
            out[i] = gamma[h] * xhat[i] + beta[h];
        }
    }
}

void al_layernorm_backward(float *din, float *dgamma, float *dbeta, float *scratch, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma, int B, int H) {
    /* forward: out = gamma · xhat + beta, xhat = (x - mean(x)) · rstd over one sample's H:
     * din = rstd / H · (H · dxhat - Σ dxhat - xhat · Σ dxhat·xhat), dxhat = dout · gamma */
    float *sg = scratch, *sb = scratch + H;
    al_zero(scratch, 2L * H);
    for (int s = 0; s < B; s++)
        for (int h = 0; h < H; h++) {
            long i = (long)s * H + h;
            sg[h] += dout[i] * xhat[i];
            sb[h] += dout[i];
        }
    for (int h = 0; h < H; h++) { dgamma[h] += sg[h]; dbeta[h] += sb[h]; }
    if (!din) return;
    for (int s = 0; s < B; s++) {
        float a = 0.0f, c = 0.0f;
        for (int h = 0; h < H; h++) {
            long i = (long)s * H + h;
            float dxhat = dout[i] * gamma[h];
            a += dxhat;
            c += dxhat * xhat[i];
        }
        float k = rstd[s] / (float)H;
        for (int h = 0; h < H; h++) {
            long i = (long)s * H + h;
            din[i] = k * ((float)H * (dout[i] * gamma[h]) - a - xhat[i] * c);
        }
    }
}
