/* core/losses.c — l1, mse, bce-with-logits and softmax cross-entropy (see losses.h). */
#include "losses.h"
#include "mathfn.h"

double al_loss_count(const float *mask, int B, int T) {
    if (!mask) return (double)B * T;
    double c = 0.0;
    for (long i = 0; i < (long)B * T; i++) c += mask[i];
    return c;
}

static double cross_entropy(float *dy, float *e, const float *y, int cls, float w, float scale, int OUT) {
    /* loss = logsumexp(y) - y[cls];  ∂/∂y = softmax(y) - onehot(cls) */
    float m = y[0];
    for (int o = 1; o < OUT; o++) if (y[o] > m) m = y[o];
    float s = 0.0f;
    for (int o = 0; o < OUT; o++) { e[o] = am_expf(y[o] - m); s += e[o]; }
    float ws = w * scale;
    for (int o = 0; o < OUT; o++) dy[o] = ws * (e[o] / s - (o == cls ? 1.0f : 0.0f));
    return w == 0.0f ? 0.0 : (double)w * ((double)am_logf(s) + (double)m - (double)y[cls]);
}

double al_loss_forward_backward(float *dy, float *scratch, const float *y, const float *t,
                                const float *mask, al_loss loss, float scale, int B, int OUT, int T) {
    double S = 0.0;
    for (int s = 0; s < B; s++) {
        const float *ys = y + (long)s * OUT, *ts = t + (long)s * T;
        const float *ms = mask ? mask + (long)s * T : 0;
        float *d = dy + (long)s * OUT;
        if (loss == AL_LOSS_CROSS_ENTROPY) {
            S += cross_entropy(d, scratch, ys, (int)ts[0], ms ? ms[0] : 1.0f, scale, OUT);
            continue;
        }
        for (int o = 0; o < OUT; o++) {
            float w = ms ? ms[o] : 1.0f, diff = ys[o] - ts[o], l, g;
            switch (loss) {
            case AL_LOSS_L1: /* |y - t|, sign(0) = 0 as torch.sign */
                l = diff < 0.0f ? -diff : diff;
                g = diff > 0.0f ? 1.0f : diff < 0.0f ? -1.0f : 0.0f;
                break;
            case AL_LOSS_MSE: /* (y - t)² */
                l = diff * diff;
                g = 2.0f * diff;
                break;
            default: { /* bce with logits: max(y,0) - y t + log1p(exp(-|y|));  ∂ = σ(y) - t */
                float a = ys[o] < 0.0f ? -ys[o] : ys[o];
                l = (ys[o] > 0.0f ? ys[o] : 0.0f) - ys[o] * ts[o] + am_log1pf(am_expf(-a));
                g = am_sigmoidf(ys[o]) - ts[o];
                break;
            }
            }
            d[o] = (w * scale) * g;
            if (w != 0.0f) S += (double)w * l;
        }
    }
    return S;
}
