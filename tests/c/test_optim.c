/* tests/c/test_optim.c — al_optim_step, al_schedule_lr and al_clip_grad_norm against
 * PyTorch's formulas, computed here by hand in double.
 *
 * Each optimizer runs 3 steps over P = 10 parameters with a different seeded gradient per
 * step (one entry exactly 0, two tiny entries where Adam's eps matters). Parameters and
 * optimizer state must match the double-precision reference within TOL·(1 + |ref|), which
 * is ~10 float roundings of slack but far below any wrong formula (checked: the reference
 * with one detail changed — no dampening on the first step, bias correction off, eps inside
 * the square root, decay coupled instead of decoupled — is outside the same tolerance).
 */
#include <string.h>

#include "check.h"
#include "config.h"
#include "optim.h"
#include "rng.h"

#define P 10
#define STEPS 3
#define TOL 1e-6

typedef struct {
    int name;               /* AL_OPT_* */
    double lr, momentum, dampening, wd, b1, b2, eps;
    int nesterov;
    int variant;            /* deliberately wrong reference (0 = right): see ref_step */
} opt_spec;

typedef struct { double p[P], buf1[P], buf2[P]; long t; } ref_state;

enum { RIGHT, WRONG_FIRST_DAMPENED, WRONG_NO_BIAS_CORRECTION, WRONG_EPS_INSIDE, WRONG_DECAY_COUPLING, WRONG_NESTEROV_OFF };

/* One step of torch.optim in double, straight from the documented algorithm. */
static void ref_step(ref_state *s, const float *g32, const opt_spec *o) {
    s->t++;
    for (int i = 0; i < P; i++) {
        double g = g32[i], p = s->p[i];
        if (o->name == AL_OPT_SGD) {
            if (o->wd != 0) g += o->wd * p;
            if (o->momentum != 0) {
                double first = o->variant == WRONG_FIRST_DAMPENED ? (1 - o->dampening) * g : g;
                s->buf1[i] = s->t == 1 ? first : o->momentum * s->buf1[i] + (1 - o->dampening) * g;
                g = o->nesterov && o->variant != WRONG_NESTEROV_OFF ? g + o->momentum * s->buf1[i] : s->buf1[i];
            }
            s->p[i] = p - o->lr * g;
        } else {
            int decoupled = (o->name == AL_OPT_ADAMW) != (o->variant == WRONG_DECAY_COUPLING);
            if (decoupled) p *= 1 - o->lr * o->wd;
            else if (o->wd != 0) g += o->wd * p;
            s->buf1[i] = o->b1 * s->buf1[i] + (1 - o->b1) * g;
            s->buf2[i] = o->b2 * s->buf2[i] + (1 - o->b2) * g * g;
            int bc = o->variant != WRONG_NO_BIAS_CORRECTION;
            double m_hat = s->buf1[i] / (bc ? 1 - pow(o->b1, (double)s->t) : 1);
            double v_hat = s->buf2[i] / (bc ? 1 - pow(o->b2, (double)s->t) : 1);
            double denom = o->variant == WRONG_EPS_INSIDE ? sqrt(v_hat + o->eps) : sqrt(v_hat) + o->eps;
            s->p[i] = p - o->lr * m_hat / denom;
        }
    }
}

static void grads_of_step(float *g, int step) {
    al_rng r;
    al_rng_seed(&r, 900 + (uint64_t)step);
    for (int i = 0; i < P; i++) g[i] = al_rng_range(&r, -2.0f, 2.0f);
    g[3] = 0.0f;                    /* a zero gradient */
    g[5] = 3e-9f * (float)(step + 1); /* tiny: sqrt(v_hat) ~ eps */
    g[7] = -1e-8f;
}

static void config_of(al_config *c, const opt_spec *o) {
    al_config_defaults(c);
    c->optimizer.name = (al_optimizer_name)o->name;
    c->optimizer.lr = o->lr;
    c->optimizer.momentum = o->momentum;
    c->optimizer.dampening = o->dampening;
    c->optimizer.nesterov = o->nesterov;
    c->optimizer.weight_decay = o->wd;
    c->optimizer.beta1 = o->b1;
    c->optimizer.beta2 = o->b2;
    c->optimizer.eps = o->eps;
}

/* Largest error over params and state after each of 3 steps, in units of (1 + |ref|). */
static double run_against_ref(const opt_spec *o, const opt_spec *ref_o, double *max_step_size) {
    al_config c;
    config_of(&c, o);
    float p[P], b1[P] = {0}, b2[P] = {0}, g[P];
    al_optim_state st = {b1, b2, 0};
    ref_state s = {{0}, {0}, {0}, 0};
    al_rng r;
    al_rng_seed(&r, 5);
    for (int i = 0; i < P; i++) { p[i] = al_rng_range(&r, -1.0f, 1.0f); s.p[i] = p[i]; }
    double worst = 0, moved = 0;
    for (int step = 0; step < STEPS; step++) {
        grads_of_step(g, step);
        float before[P];
        memcpy(before, p, sizeof p);
        al_optim_step(p, g, &st, &c.optimizer, o->lr, P);
        ref_step(&s, g, ref_o);
        for (int i = 0; i < P; i++) {
            double e = fabs(p[i] - s.p[i]) / (1 + fabs(s.p[i]));
            if (o->momentum != 0 || o->name != AL_OPT_SGD) {
                double e1 = fabs(b1[i] - s.buf1[i]) / (1 + fabs(s.buf1[i]));
                if (e1 > e) e = e1;
            }
            if (o->name != AL_OPT_SGD) {
                double e2 = fabs(b2[i] - s.buf2[i]) / (1 + fabs(s.buf2[i]));
                if (e2 > e) e = e2;
            }
            if (e > worst) worst = e;
            if (fabs(p[i] - before[i]) > moved) moved = fabs(p[i] - before[i]);
        }
        if (st.t != step + 1) worst = INFINITY;
    }
    if (max_step_size) *max_step_size = moved;
    return worst;
}

/* The implementation matches the right reference; the wrong variant is outside the tolerance. */
static void check_opt(const char *name, opt_spec o, int wrong_variant) {
    double moved = 0;
    double e = run_against_ref(&o, &o, &moved);
    CHECK(e <= TOL, "%s: error %.3g vs PyTorch's formula", name, e);
    CHECK(moved > 1e-3, "%s: parameters barely moved (%.3g): the test would not see much", name, moved);
    if (wrong_variant) {
        opt_spec w = o;
        w.variant = wrong_variant;
        double ew = run_against_ref(&o, &w, NULL);
        CHECK(ew > 100 * TOL, "%s: a wrong formula (variant %d) is only %.3g away: tolerance meaningless", name,
              wrong_variant, ew);
    }
}

static const opt_spec SGD = {AL_OPT_SGD, 0.1, 0, 0, 0, 0.9, 0.999, 1e-8, 0, 0};
static const opt_spec ADAM = {AL_OPT_ADAM, 0.01, 0, 0, 0, 0.9, 0.999, 1e-8, 0, 0};

TEST(sgd_plain_is_p_minus_lr_g) {
    check_opt("sgd", SGD, 0);
    /* and bit for bit the float expression p + (-lr)·g */
    al_config c;
    config_of(&c, &SGD);
    float p[P], g[P], want[P];
    al_optim_state st = {0, 0, 0};
    for (int i = 0; i < P; i++) p[i] = 0.1f * (float)i - 0.3f;
    grads_of_step(g, 0);
    for (int i = 0; i < P; i++) want[i] = p[i] + (-0.1f) * g[i];
    al_optim_step(p, g, &st, &c.optimizer, 0.1, P);
    CHECK(memcmp(p, want, sizeof p) == 0, "plain sgd bits");
}

TEST(sgd_momentum_starts_its_buffer_at_the_first_gradient) {
    opt_spec o = SGD;
    o.momentum = 0.9;
    check_opt("momentum 0.9", o, 0);
}

TEST(sgd_dampening_applies_from_the_second_step_only) {
    opt_spec o = SGD;
    o.momentum = 0.9;
    o.dampening = 0.5;
    check_opt("dampening 0.5", o, WRONG_FIRST_DAMPENED);
}

TEST(sgd_nesterov_adds_momentum_times_buffer_to_the_gradient) {
    opt_spec o = SGD;
    o.momentum = 0.9;
    o.nesterov = 1;
    check_opt("nesterov", o, WRONG_NESTEROV_OFF);
}

TEST(sgd_weight_decay_is_added_to_the_gradient) {
    opt_spec o = SGD;
    o.wd = 0.1;
    check_opt("sgd weight decay", o, 0);
    o.momentum = 0.9;
    check_opt("sgd weight decay + momentum", o, 0);
    /* one step by hand: p = 0.5, g = 1, lr 0.1, wd 0.1: 0.5 - 0.1·(1 + 0.05) = 0.395 */
    al_config c;
    o.momentum = 0;
    config_of(&c, &o);
    float p = 0.5f, g = 1.0f;
    al_optim_state st = {0, 0, 0};
    al_optim_step(&p, &g, &st, &c.optimizer, 0.1, 1);
    CHECK_CLOSE(p, 0.395, 1e-7);
}

TEST(adam_uses_bias_corrected_moments_and_eps_outside_the_root) {
    check_opt("adam", ADAM, WRONG_NO_BIAS_CORRECTION);
    check_opt("adam (eps)", ADAM, WRONG_EPS_INSIDE);
    opt_spec o = ADAM;
    o.b1 = 0.5;
    o.b2 = 0.9;
    o.eps = 1e-3;
    check_opt("adam betas (0.5, 0.9) eps 1e-3", o, WRONG_NO_BIAS_CORRECTION);
    /* the first step moves every parameter with a non-tiny gradient by ~lr: m_hat/sqrt(v_hat) = sign(g) */
    al_config c;
    config_of(&c, &ADAM);
    float p[P] = {0}, g[P], b1[P] = {0}, b2[P] = {0};
    al_optim_state st = {b1, b2, 0};
    grads_of_step(g, 0);
    al_optim_step(p, g, &st, &c.optimizer, 0.01, P);
    for (int i = 0; i < P; i++)
        if (fabsf(g[i]) > 1e-3f) CHECK_CLOSE(p[i], g[i] > 0 ? -0.01 : 0.01, 1e-8);
    CHECK(p[3] == 0.0f, "zero gradient, no move: %g", p[3]);
}

TEST(adam_weight_decay_is_coupled_into_the_gradient) {
    opt_spec o = ADAM;
    o.wd = 0.1;
    check_opt("adam weight decay", o, WRONG_DECAY_COUPLING);
}

TEST(adamw_decays_parameters_before_the_adam_update) {
    opt_spec o = ADAM;
    o.name = AL_OPT_ADAMW;
    o.wd = 0.1;
    o.lr = 0.05;
    check_opt("adamw", o, WRONG_DECAY_COUPLING);
    /* with a zero gradient only the decay acts: p·(1 - lr·wd) */
    al_config c;
    config_of(&c, &o);
    float p = 0.8f, g = 0.0f, b1 = 0, b2 = 0;
    al_optim_state st = {&b1, &b2, 0};
    al_optim_step(&p, &g, &st, &c.optimizer, 0.05, 1);
    CHECK_CLOSE(p, 0.8 * (1 - 0.05 * 0.1), 1e-7);
}

/* ---- schedules --------------------------------------------------------------------------- */

TEST(schedules_follow_pytorch_closed_forms) {
    al_config c;
    al_config_defaults(&c);
    c.schedule.t_max = 10;
    for (long t = 0; t <= 10; t++) CHECK(al_schedule_lr(&c.schedule, 0.1, t) == 0.1, "constant at t %ld", t);

    c.schedule.name = AL_SCHED_STEP;
    c.schedule.step_size = 3;
    c.schedule.gamma = 0.5;
    const double step_want[11] = {1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125};
    for (long t = 0; t <= 10; t++) {
        double lr = al_schedule_lr(&c.schedule, 0.1, t);
        CHECK(lr == 0.1 * step_want[t], "step at t %ld: %.17g, want %.17g", t, lr, 0.1 * step_want[t]);
    }

    c.schedule.name = AL_SCHED_COSINE;
    c.schedule.eta_min = 0.01;
    c.schedule.t_max = 10;
    CHECK_CLOSE(al_schedule_lr(&c.schedule, 0.1, 0), 0.1, 1e-15);
    CHECK_CLOSE(al_schedule_lr(&c.schedule, 0.1, 5), 0.055, 1e-15);
    CHECK_CLOSE(al_schedule_lr(&c.schedule, 0.1, 10), 0.01, 1e-15);
    for (long t = 0; t <= 10; t++) /* every t: etaMin + (lr - etaMin)(1 + cos(πt/T))/2 */
        CHECK_CLOSE(al_schedule_lr(&c.schedule, 0.1, t), 0.01 + 0.09 * (1 + cos(acos(-1.0) * (double)t / 10)) / 2, 1e-15);

    c.schedule.name = AL_SCHED_WARMUP;
    c.schedule.warmup_steps = 4;
    const double warm_want[7] = {0.25, 0.5, 0.75, 1, 1, 1, 1};
    for (long t = 0; t < 7; t++) CHECK_CLOSE(al_schedule_lr(&c.schedule, 0.1, t), 0.1 * warm_want[t], 1e-17);
}

/* ---- clipping -------------------------------------------------------------------------------- */

static double norm_of(const float *g, long n) {
    double s = 0;
    for (long i = 0; i < n; i++) s += (double)g[i] * g[i];
    return sqrt(s);
}

TEST(clip_scales_a_norm_5_vector_to_norm_1_in_the_same_direction) {
    float g[P], g0[P];
    al_rng r;
    al_rng_seed(&r, 17);
    for (int i = 0; i < P; i++) g[i] = al_rng_range(&r, -1, 1);
    double n0 = norm_of(g, P);
    for (int i = 0; i < P; i++) g[i] = (float)(g[i] * 5.0 / n0);
    memcpy(g0, g, sizeof g);
    double before = norm_of(g, P);
    CHECK_CLOSE(before, 5.0, 1e-6);
    double ret = al_clip_grad_norm(g, P, 1.0);
    CHECK(ret == before, "returns the norm before clipping: %.17g vs %.17g", ret, before);
    double after = norm_of(g, P);
    CHECK_CLOSE(after, before / (before + 1e-6), 1e-7); /* 1 - 2e-7: PyTorch's + 1e-6 */
    CHECK(after < 1.0, "norm after %.17g below max (the 1e-6)", after);
    float f = (float)(1.0 / (before + 1e-6));
    int exact = 1;
    for (int i = 0; i < P; i++) exact &= g[i] == g0[i] * f;
    CHECK(exact, "every entry multiplied by one float factor max/(norm + 1e-6)");
    double dot = 0;
    for (int i = 0; i < P; i++) dot += (double)g[i] * g0[i];
    CHECK(dot / (after * before) > 1 - 1e-12, "same direction: cosine %.17g", dot / (after * before));
}

TEST(clip_leaves_a_vector_below_the_max_untouched_bit_for_bit) {
    float g[P], g0[P];
    al_rng r;
    al_rng_seed(&r, 18);
    for (int i = 0; i < P; i++) g[i] = al_rng_range(&r, -0.2f, 0.2f);
    memcpy(g0, g, sizeof g);
    double n = norm_of(g, P);
    CHECK(n < 1.0, "premise: norm %.3g < 1", n);
    double ret = al_clip_grad_norm(g, P, 1.0);
    CHECK(ret == n, "returns the norm: %.17g vs %.17g", ret, n);
    CHECK(memcmp(g, g0, sizeof g) == 0, "untouched");
    float z[4] = {0, 0, 0, 0};
    CHECK(al_clip_grad_norm(z, 4, 1.0) == 0.0 && z[0] == 0 && z[3] == 0, "zero vector stays zero, norm 0");
    /* exactly at the max PyTorch still multiplies by max/(max + 1e-6) < 1 */
    float e[2] = {3.0f, 4.0f};
    CHECK(al_clip_grad_norm(e, 2, 5.0) == 5.0, "norm 5");
    CHECK(e[0] == 3.0f * (float)(5.0 / (5.0 + 1e-6)) && e[0] < 3.0f, "at the max: %.9g", e[0]);
}

int main(void) {
    RUN(sgd_plain_is_p_minus_lr_g);
    RUN(sgd_momentum_starts_its_buffer_at_the_first_gradient);
    RUN(sgd_dampening_applies_from_the_second_step_only);
    RUN(sgd_nesterov_adds_momentum_times_buffer_to_the_gradient);
    RUN(sgd_weight_decay_is_added_to_the_gradient);
    RUN(adam_uses_bias_corrected_moments_and_eps_outside_the_root);
    RUN(adam_weight_decay_is_coupled_into_the_gradient);
    RUN(adamw_decays_parameters_before_the_adam_update);
    RUN(schedules_follow_pytorch_closed_forms);
    RUN(clip_scales_a_norm_5_vector_to_norm_1_in_the_same_direction);
    RUN(clip_leaves_a_vector_below_the_max_untouched_bit_for_bit);
    return check_summary("optim");
}
