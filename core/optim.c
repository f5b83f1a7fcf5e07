/* core/optim.c — SGD (momentum, dampening, nesterov, coupled weight decay), Adam and AdamW
 * as torch.optim's single-tensor implementations; schedules; clipping. */
#include <math.h>
#include "optim.h"
#include "mathfn.h"

/* x^n by repeated squaring: the same few multiplications, so the same bits, in every build */
static double powi(double x, long n) {
    double r = 1.0;
    for (; n > 0; n >>= 1, x *= x) if (n & 1) r *= x;
    return r;
}

static void sgd_step(float *p, const float *grad, al_optim_state *st, const al_optimizer_settings *o, float lr, long P) {
    float wd = (float)o->weight_decay, mom = (float)o->momentum;
    float damp = 1.0f - (float)o->dampening;
    int first = st->t == 0, nesterov = o->nesterov;
    for (long i = 0; i < P; i++) {
        float g = grad[i];
        if (wd != 0.0f) g = g + wd * p[i];                         /* d_p.add(param, alpha=wd) */
        if (mom != 0.0f) {
            float b = first ? g : mom * st->buf1[i] + damp * g;    /* buf.mul_(mom).add_(d_p, alpha=1-damp) */
            st->buf1[i] = b;
            g = nesterov ? g + mom * b : b;
        }
        p[i] = p[i] + (-lr) * g;                                   /* param.add_(d_p, alpha=-lr) */
    }
}

static void adam_step(float *p, const float *grad, al_optim_state *st, const al_optimizer_settings *o, double lr, long P) {
    double b1 = o->beta1, b2 = o->beta2;
    long t = st->t + 1;
    double bc1 = 1.0 - powi(b1, t), bc2 = 1.0 - powi(b2, t);
    float step_size = (float)(lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float eps = (float)o->eps, wd = (float)o->weight_decay;
    float w1 = (float)(1.0 - b1), fb2 = (float)b2, w2 = (float)(1.0 - b2);
    int decoupled = o->name == AL_OPT_ADAMW;
    float decay = (float)(1.0 - lr * o->weight_decay);
    for (long i = 0; i < P; i++) {
        float g = grad[i];
        if (decoupled) p[i] = p[i] * decay;                        /* param.mul_(1 - lr·wd) */
        else if (wd != 0.0f) g = g + wd * p[i];                    /* grad.add(param, alpha=wd) */
        float m = st->buf1[i] + w1 * (g - st->buf1[i]);            /* exp_avg.lerp_(grad, 1-b1) */
        float v = st->buf2[i] * fb2 + w2 * (g * g);                /* exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2) */
        st->buf1[i] = m;
        st->buf2[i] = v;
        float denom = sqrtf(v) / bc2_sqrt + eps;                   /* (v.sqrt() / bc2_sqrt).add_(eps) */
        p[i] = p[i] + (-step_size) * (m / denom);                  /* param.addcdiv_(m, denom, -step_size) */
    }
}

void al_optim_step(float *params, const float *grads, al_optim_state *st, const al_optimizer_settings *o,
                   double lr, long P) {
    if (o->name == AL_OPT_SGD) sgd_step(params, grads, st, o, (float)lr, P);
    else adam_step(params, grads, st, o, lr, P);
    st->t++;
}

double al_schedule_lr(const al_schedule_settings *s, double base_lr, long t) {
    int t_max = s->t_max;
    switch (s->name) {
    case AL_SCHED_STEP:
        return base_lr * powi(s->gamma, t / s->step_size);
    case AL_SCHED_COSINE: {
        double eta_min = s->eta_min;
        return eta_min + (base_lr - eta_min) * (1.0 + am_cospi((double)t / t_max)) / 2.0;
    }
    case AL_SCHED_WARMUP: {
        double f = (double)(t + 1) / s->warmup_steps;
        return base_lr * (f < 1.0 ? f : 1.0);
    }
    default: return base_lr;
    }
}

double al_grad_norm(const float *grads, long P) {
    double sq = 0.0;
    for (long i = 0; i < P; i++) sq += (double)grads[i] * grads[i];
    return sqrt(sq);
}

double al_clip_grad_norm(float *grads, long P, double max_norm) {
    double norm = al_grad_norm(grads, P);
    double coef = max_norm / (norm + 1e-6);
    if (coef < 1.0) {
        float f = (float)coef;
        for (long i = 0; i < P; i++) grads[i] *= f;
    }
    return norm;
}
