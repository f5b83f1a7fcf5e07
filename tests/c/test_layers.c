/* tests/c/test_layers.c — every backward against finite differences of its forward.
 *
 * Method: a scalar objective f = Σ r_i · out_i with fixed seeded r (for a loss, f = scale · S),
 * forward in float, f accumulated in double; central differences (f(x+h) - f(x-h)) / (x⁺ - x⁻)
 * with h = 1e-2 and the float values x± actually stored. Error of an analytic gradient g
 * against the differences d over the checked entries: max_i |g_i - d_i| / max_i |d_i|, within
 * FD_TOL = 2e-2. Every check also asserts that the tolerance means something: the same error
 * of 2·g and of -g must exceed FD_TOL, and max |d| must be far from zero (the gradient checked
 * is not trivially zero).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "layers.h"
#include "losses.h"
#include "model.h"
#include "rng.h"

#define FD_H 1e-2f
#define FD_TOL 2e-2
#define MAXN 4096

typedef double (*objective_fn)(void *ctx);

typedef struct {
    double err;        /* error of the analytic gradient */
    double err_double; /* error of 2 × analytic */
    double err_flip;   /* error of -analytic */
    double max_fd;     /* max |finite difference|: must not be trivially zero */
    int n;             /* entries checked */
} fd_result;

/* Central differences of f with respect to x[idx[j]] (all n entries if idx is NULL) against
 * an[idx[j]]. x is perturbed in place and restored bit for bit. */
static fd_result fd_check(objective_fn f, void *ctx, float *x, const float *an, int n, const int *idx) {
    static double fd[MAXN], a[MAXN];
    fd_result res = {0, 0, 0, 0, n};
    double max_diff = 0, max_diff2 = 0, max_flip = 0;
    for (int j = 0; j < n; j++) {
        int i = idx ? idx[j] : j;
        float x0 = x[i];
        float xp = x0 + FD_H, xm = x0 - FD_H;
        x[i] = xp;
        double fp = f(ctx);
        x[i] = xm;
        double fm = f(ctx);
        x[i] = x0;
        fd[j] = (fp - fm) / ((double)xp - (double)xm);
        a[j] = an[i];
        if (fabs(fd[j]) > res.max_fd) res.max_fd = fabs(fd[j]);
    }
    for (int j = 0; j < n; j++) {
        double d = fabs(a[j] - fd[j]), d2 = fabs(2 * a[j] - fd[j]), d3 = fabs(-a[j] - fd[j]);
        if (d > max_diff) max_diff = d;
        if (d2 > max_diff2) max_diff2 = d2;
        if (d3 > max_flip) max_flip = d3;
    }
    double s = res.max_fd > 0 ? res.max_fd : 1.0;
    res.err = max_diff / s;
    res.err_double = max_diff2 / s;
    res.err_flip = max_flip / s;
    return res;
}

/* Asserts one fd_result: analytic within tolerance, 2× and sign flip outside it, not zero. */
#define CHECK_FD(res, what) do { fd_result r_ = (res); \
    CHECK(r_.err <= FD_TOL, "%s: error %.3g of %d entries (max |fd| %.3g)", what, r_.err, r_.n, r_.max_fd); \
    CHECK(r_.err_double > FD_TOL && r_.err_flip > FD_TOL, "%s: 2x (%.3g) or -1x (%.3g) would pass: tolerance meaningless", \
          what, r_.err_double, r_.err_flip); \
    CHECK(r_.max_fd > 1e-3, "%s: gradient trivially zero (max |fd| %.3g)", what, r_.max_fd); } while (0)

static void fill(float *x, long n, al_rng *r, float lo, float hi) {
    for (long i = 0; i < n; i++) x[i] = al_rng_range(r, lo, hi);
}

/* Values in ±[lo, hi]: random sign, magnitude away from 0 (relu's kink, l1's kink). */
static void fill_away_from_zero(float *x, long n, al_rng *r, float lo, float hi) {
    for (long i = 0; i < n; i++) {
        float v = al_rng_range(r, lo, hi);
        x[i] = al_rng_uniform(r) < 0.5f ? -v : v;
    }
}

static double dot_r(const float *r, const float *out, long n) {
    double f = 0.0;
    for (long i = 0; i < n; i++) f += (double)r[i] * out[i];
    return f;
}

/* ---- Linear --------------------------------------------------------------------------- */

typedef struct {
    int B, IN, OUT;
    float in[64], w[64], b[8], r[64], out[64], wt[64];
} linear_ctx;

static double linear_f(void *p) {
    linear_ctx *c = p;
    /* w changes between calls (finite differences): pack it in every call */
    al_linear_forward(c->out, c->in, c->w, c->wt, AL_PACK_FILL, c->b, c->B, c->IN, c->OUT);
    return dot_r(c->r, c->out, (long)c->B * c->OUT);
}

TEST(linear_backward_matches_finite_differences_for_din_dw_db) {
    linear_ctx c = {.B = 5, .IN = 7, .OUT = 4};
    al_rng r;
    al_rng_seed(&r, 11);
    fill(c.in, c.B * c.IN, &r, -1, 1);
    fill(c.w, c.OUT * c.IN, &r, -1, 1);
    fill(c.b, c.OUT, &r, -1, 1);
    fill(c.r, c.B * c.OUT, &r, -1, 1);
    float din[64], dw[64] = {0}, db[8] = {0}, scratch[8], wp[64];
    al_pack_nn(wp, c.w, c.IN, c.OUT);
    al_linear_backward(din, dw, db, scratch, c.r, c.in, c.w, wp, AL_PACK_READY, c.B, c.IN, c.OUT);
    CHECK_FD(fd_check(linear_f, &c, c.in, din, c.B * c.IN, NULL), "linear din");
    CHECK_FD(fd_check(linear_f, &c, c.w, dw, c.OUT * c.IN, NULL), "linear dw");
    CHECK_FD(fd_check(linear_f, &c, c.b, db, c.OUT, NULL), "linear db");
}

TEST(linear_backward_adds_into_dw_db_and_overwrites_din) {
    al_rng r;
    al_rng_seed(&r, 12);
    int B = 3, IN = 5, OUT = 6;
    float in[15], w[30], dout[18], din[15], din2[15], dw[30] = {0}, db[6] = {0}, dw1[30], db1[6], scratch[6], wp[30];
    fill(in, 15, &r, -1, 1);
    fill(w, 30, &r, -1, 1);
    fill(dout, 18, &r, -1, 1);
    al_linear_backward(din, dw, db, scratch, dout, in, w, wp, AL_PACK_FILL, B, IN, OUT);
    memcpy(dw1, dw, sizeof dw);
    memcpy(db1, db, sizeof db);
    for (int i = 0; i < 15; i++) din2[i] = 1e6f; /* garbage: din is written, not added to */
    al_linear_backward(din2, dw, db, scratch, dout, in, w, wp, AL_PACK_READY, B, IN, OUT); /* the first call's packs */
    int doubled = 1;
    for (int i = 0; i < 30; i++) doubled &= dw[i] == 2 * dw1[i];
    for (int i = 0; i < 6; i++) doubled &= db[i] == 2 * db1[i];
    CHECK(doubled, "a second backward doubles dw and db exactly");
    CHECK(memcmp(din, din2, sizeof din) == 0, "din is overwritten, not accumulated");
    float nz = 0;
    for (int i = 0; i < 30; i++) nz += fabsf(dw1[i]);
    CHECK(nz > 0.1f, "dw not zero (%g)", nz);
    /* din NULL: the first layer skips it, parameter gradients still added */
    al_linear_backward(NULL, dw, db, scratch, dout, in, w, NULL, AL_PACK_SCRATCH, B, IN, OUT);
    int tripled = 1;
    for (int i = 0; i < 30; i++) tripled &= fabsf(dw[i] - 3 * dw1[i]) <= 1e-6f * (1 + fabsf(dw1[i]));
    CHECK(tripled, "din NULL still adds dw");
}

/* ---- Activations ------------------------------------------------------------------------ */

typedef struct {
    al_activation f;
    long n;
    float in[64], out[64], r[64];
} act_ctx;

static double act_f(void *p) {
    act_ctx *c = p;
    al_activation_forward(c->out, c->in, c->f, c->n);
    return dot_r(c->r, c->out, c->n);
}

TEST(each_activation_backward_matches_finite_differences) {
    static const char *names[] = {"relu", "tanh", "sigmoid", "gelu", "identity"};
    const al_activation fs[] = {AL_ACT_RELU, AL_ACT_TANH, AL_ACT_SIGMOID, AL_ACT_GELU, AL_ACT_IDENTITY};
    for (int a = 0; a < 5; a++) {
        act_ctx c = {.f = fs[a], .n = 48};
        al_rng r;
        al_rng_seed(&r, 20 + (uint64_t)a);
        /* relu away from its kink at 0 (|x| >= 0.05 > h); the others over ±3 */
        if (fs[a] == AL_ACT_RELU) fill_away_from_zero(c.in, c.n, &r, 0.05f, 2.0f);
        else fill(c.in, c.n, &r, -3, 3);
        fill(c.r, c.n, &r, -1, 1);
        float out[64], din[64], din_inplace[64];
        al_activation_forward(out, c.in, c.f, c.n);
        al_activation_backward(din, c.r, c.in, out, c.f, c.n);
        CHECK_FD(fd_check(act_f, &c, c.in, din, (int)c.n, NULL), names[a]);
        /* in place (din == dout), as the model calls it: the same bits */
        memcpy(din_inplace, c.r, sizeof(float) * c.n);
        al_activation_backward(din_inplace, din_inplace, c.in, out, c.f, c.n);
        CHECK(memcmp(din, din_inplace, sizeof(float) * c.n) == 0, "%s in place differs", names[a]);
        /* forward in place (out == in) */
        float x[64];
        memcpy(x, c.in, sizeof(float) * c.n);
        al_activation_forward(x, x, c.f, c.n);
        CHECK(memcmp(x, out, sizeof(float) * c.n) == 0, "%s forward in place differs", names[a]);
    }
}

TEST(activation_forward_values_are_the_named_functions) {
    const float x[5] = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f};
    float out[5];
    double worst[5] = {0};
    const al_activation fs[] = {AL_ACT_RELU, AL_ACT_TANH, AL_ACT_SIGMOID, AL_ACT_GELU, AL_ACT_IDENTITY};
    for (int a = 0; a < 5; a++) {
        al_activation_forward(out, x, fs[a], 5);
        for (int i = 0; i < 5; i++) {
            double v = x[i], want = a == 0 ? (v > 0 ? v : 0) : a == 1 ? tanh(v) : a == 2 ? 1 / (1 + exp(-v))
                                  : a == 3 ? 0.5 * v * (1 + erf(v / sqrt(2.0))) : v;
            double e = fabs(out[i] - want);
            if (e > worst[a]) worst[a] = e;
        }
        CHECK(worst[a] <= 1e-6, "activation %d: max error %.3g", a, worst[a]);
    }
}

/* ---- Dropout ---------------------------------------------------------------------------- */

typedef struct {
    long n;
    float in[64], mask[64], out[64], r[64];
} drop_ctx;

static double drop_f(void *p) {
    drop_ctx *c = p;
    al_dropout_forward(c->out, c->in, c->mask, c->n);
    return dot_r(c->r, c->out, c->n);
}

TEST(dropout_backward_with_a_fixed_mask_matches_finite_differences) {
    drop_ctx c = {.n = 40};
    al_rng r;
    al_rng_seed(&r, 30);
    fill(c.in, c.n, &r, -1, 1);
    fill(c.r, c.n, &r, -1, 1);
    int zeros = 0;
    for (long i = 0; i < c.n; i++) { c.mask[i] = al_rng_uniform(&r) < 0.5f ? 0.0f : 2.0f; zeros += c.mask[i] == 0; }
    CHECK(zeros > 5 && zeros < 35, "mask has both kinds (%d zeros)", zeros);
    float din[64];
    al_dropout_backward(din, c.r, c.mask, c.n);
    CHECK_FD(fd_check(drop_f, &c, c.in, din, (int)c.n, NULL), "dropout din");
    int dropped_zero = 1;
    for (long i = 0; i < c.n; i++) if (c.mask[i] == 0) dropped_zero &= din[i] == 0.0f;
    CHECK(dropped_zero, "dropped units get no gradient");
}

/* ---- BatchNorm and LayerNorm ------------------------------------------------------------- */

typedef struct {
    int batch; /* 1 batchnorm, 0 layernorm */
    int B, H;
    float in[64], gamma[16], beta[16], r[64], out[64], xhat[64], rstd[16], rm[16], rv[16];
} norm_ctx;

static double norm_f(void *p) {
    norm_ctx *c = p;
    if (c->batch) al_batchnorm_forward(c->out, c->xhat, c->rstd, c->rm, c->rv, c->in, c->gamma, c->beta, c->B, c->H);
    else al_layernorm_forward(c->out, c->xhat, c->rstd, c->in, c->gamma, c->beta, c->B, c->H);
    return dot_r(c->r, c->out, (long)c->B * c->H);
}

static void norm_check(int batch) {
    const char *name = batch ? "batchnorm" : "layernorm";
    norm_ctx c = {.batch = batch, .B = 6, .H = 5};
    al_rng r;
    al_rng_seed(&r, 40 + (uint64_t)batch);
    fill(c.in, c.B * c.H, &r, -2, 2);
    fill(c.gamma, c.H, &r, 0.5f, 1.5f); /* gamma not 1, so a missing factor of gamma shows */
    fill(c.beta, c.H, &r, -0.5f, 0.5f);
    fill(c.r, c.B * c.H, &r, -1, 1);
    norm_f(&c); /* saves xhat, rstd for backward */
    float din[64], dgamma[16] = {0}, dbeta[16] = {0}, scratch[48];
    if (batch) al_batchnorm_backward(din, dgamma, dbeta, scratch, c.r, c.xhat, c.rstd, c.gamma, c.B, c.H);
    else al_layernorm_backward(din, dgamma, dbeta, scratch, c.r, c.xhat, c.rstd, c.gamma, c.B, c.H);
    char what[64];
    snprintf(what, sizeof what, "%s din", name);
    CHECK_FD(fd_check(norm_f, &c, c.in, din, c.B * c.H, NULL), what);
    snprintf(what, sizeof what, "%s dgamma", name);
    CHECK_FD(fd_check(norm_f, &c, c.gamma, dgamma, c.H, NULL), what);
    snprintf(what, sizeof what, "%s dbeta", name);
    CHECK_FD(fd_check(norm_f, &c, c.beta, dbeta, c.H, NULL), what);
    /* adds into dgamma, dbeta */
    float g1[16], b1[16], din2[64];
    memcpy(g1, dgamma, sizeof g1);
    memcpy(b1, dbeta, sizeof b1);
    if (batch) al_batchnorm_backward(din2, dgamma, dbeta, scratch, c.r, c.xhat, c.rstd, c.gamma, c.B, c.H);
    else al_layernorm_backward(din2, dgamma, dbeta, scratch, c.r, c.xhat, c.rstd, c.gamma, c.B, c.H);
    int doubled = 1;
    for (int h = 0; h < c.H; h++) doubled &= dgamma[h] == 2 * g1[h] && dbeta[h] == 2 * b1[h];
    CHECK(doubled, "%s: a second backward doubles dgamma and dbeta", name);
    CHECK(memcmp(din, din2, sizeof(float) * c.B * c.H) == 0, "%s: din overwritten, not added", name);
    /* in place (din == dout), as the model calls it */
    float inplace[64];
    memcpy(inplace, c.r, sizeof(float) * c.B * c.H);
    if (batch) al_batchnorm_backward(inplace, dgamma, dbeta, scratch, inplace, c.xhat, c.rstd, c.gamma, c.B, c.H);
    else al_layernorm_backward(inplace, dgamma, dbeta, scratch, inplace, c.xhat, c.rstd, c.gamma, c.B, c.H);
    CHECK(memcmp(din, inplace, sizeof(float) * c.B * c.H) == 0, "%s: din == dout in place differs", name);
}

TEST(batchnorm_backward_matches_finite_differences_for_din_dgamma_dbeta) { norm_check(1); }
TEST(layernorm_backward_matches_finite_differences_for_din_dgamma_dbeta) { norm_check(0); }

TEST(batchnorm_updates_running_stats_with_momentum_and_unbiased_variance) {
    /* columns: 1,3,5,7 (mean 4, Σd² 20) and 2,6,10,14 (mean 8, Σd² 80); B = 4 */
    const float in[8] = {1, 2, 3, 6, 5, 10, 7, 14};
    const float gamma[2] = {2.0f, 0.5f}, beta[2] = {0.25f, -1.0f};
    float out[8], xhat[8], rstd[2], rm[2] = {0, 0}, rv[2] = {1, 1};
    al_batchnorm_forward(out, xhat, rstd, rm, rv, in, gamma, beta, 4, 2);
    CHECK_CLOSE(rm[0], 0.1 * 4, 1e-6);
    CHECK_CLOSE(rm[1], 0.1 * 8, 1e-6);
    CHECK_CLOSE(rv[0], 0.9 + 0.1 * 20.0 / 3, 1e-6);  /* unbiased: Σd²/(B-1) */
    CHECK_CLOSE(rv[1], 0.9 + 0.1 * 80.0 / 3, 1e-6);
    CHECK_CLOSE(rstd[0], 1 / sqrt(5.0 + 1e-5), 1e-6); /* normalised with the biased variance */
    CHECK_CLOSE(rstd[1], 1 / sqrt(20.0 + 1e-5), 1e-6);
    for (int s = 0; s < 4; s++)
        for (int h = 0; h < 2; h++) {
            double mean = h ? 8 : 4, var = h ? 20 : 5;
            double xh = (in[s * 2 + h] - mean) / sqrt(var + 1e-5);
            CHECK_CLOSE(xhat[s * 2 + h], xh, 1e-6);
            CHECK_CLOSE(out[s * 2 + h], gamma[h] * xh + beta[h], 1e-6);
        }
    /* a second batch compounds: rm = 0.9 rm + 0.1 mean */
    const float in2[8] = {0, 0, 2, 4, 4, 8, 6, 12}; /* means 3, 6; Σd² 20, 80 */
    al_batchnorm_forward(out, xhat, rstd, rm, rv, in2, gamma, beta, 4, 2);
    CHECK_CLOSE(rm[0], 0.9 * 0.4 + 0.1 * 3, 1e-6);
    CHECK_CLOSE(rm[1], 0.9 * 0.8 + 0.1 * 6, 1e-6);
    CHECK_CLOSE(rv[0], 0.9 * (0.9 + 2.0 / 3) + 0.1 * 20.0 / 3, 1e-6);
    CHECK_CLOSE(rv[1], 0.9 * (0.9 + 8.0 / 3) + 0.1 * 80.0 / 3, 1e-6);
}

TEST(layernorm_forward_normalises_each_sample_with_biased_variance) {
    const float in[8] = {1, 3, 5, 7, -2, -2, 2, 2}; /* sample 0: mean 4 var 5; sample 1: mean 0 var 4 */
    const float gamma[4] = {1, 2, 3, 4}, beta[4] = {0, 0.5f, -0.5f, 1};
    float out[8], xhat[8], rstd[2];
    al_layernorm_forward(out, xhat, rstd, in, gamma, beta, 2, 4);
    CHECK_CLOSE(rstd[0], 1 / sqrt(5.0 + 1e-5), 1e-6);
    CHECK_CLOSE(rstd[1], 1 / sqrt(4.0 + 1e-5), 1e-6);
    for (int s = 0; s < 2; s++)
        for (int h = 0; h < 4; h++) {
            double mean = s ? 0 : 4, var = s ? 4 : 5, xh = (in[s * 4 + h] - mean) / sqrt(var + 1e-5);
            CHECK_CLOSE(out[s * 4 + h], gamma[h] * xh + beta[h], 2e-6);
        }
}

/* ---- Losses -------------------------------------------------------------------------------- */

typedef struct {
    al_loss loss;
    int B, OUT, T;
    float scale;
    float y[64], t[64], mask[64], dy[64], scratch[16];
    const float *m; /* mask or NULL */
} loss_ctx;

static double loss_f(void *p) {
    loss_ctx *c = p;
    return (double)c->scale * al_loss_forward_backward(c->dy, c->scratch, c->y, c->t, c->m, c->loss, c->scale, c->B,
                                                       c->OUT, c->T);
}

/* S by the formulas of losses.h, in double */
static double loss_by_hand(const loss_ctx *c) {
    double S = 0;
    for (int s = 0; s < c->B; s++) {
        const float *y = c->y + s * c->OUT;
        if (c->loss == AL_LOSS_CROSS_ENTROPY) {
            double w = c->m ? c->m[s] : 1, mx = y[0], se = 0;
            for (int o = 1; o < c->OUT; o++) if (y[o] > mx) mx = y[o];
            for (int o = 0; o < c->OUT; o++) se += exp(y[o] - mx);
            S += w * (mx + log(se) - y[(int)c->t[s]]);
            continue;
        }
        for (int o = 0; o < c->OUT; o++) {
            double w = c->m ? c->m[s * c->T + o] : 1, v = y[o], t = c->t[s * c->T + o], d = v - t;
            double l = c->loss == AL_LOSS_L1 ? fabs(d) : c->loss == AL_LOSS_MSE ? d * d
                     : (v > 0 ? v : 0) - v * t + log1p(exp(-fabs(v)));
            S += w * l;
        }
    }
    return S;
}

TEST(every_loss_gradient_matches_finite_differences_with_and_without_mask_at_both_scales) {
    static const char *names[] = {"l1", "mse", "cross_entropy", "bce"};
    for (int loss = 0; loss < 4; loss++)
        for (int masked = 0; masked < 2; masked++)
            for (int sc = 0; sc < 2; sc++) {
                loss_ctx c = {.loss = (al_loss)loss, .B = 6, .OUT = 3};
                c.T = loss == AL_LOSS_CROSS_ENTROPY ? 1 : c.OUT;
                al_rng r;
                al_rng_seed(&r, 50 + 4u * (uint64_t)loss + 2u * (uint64_t)masked + (uint64_t)sc);
                fill(c.y, c.B * c.OUT, &r, -2, 2);
                for (int i = 0; i < c.B * c.T; i++) {
                    if (loss == AL_LOSS_CROSS_ENTROPY) c.t[i] = (float)al_rng_below(&r, (uint32_t)c.OUT);
                    else if (loss == AL_LOSS_BCE) c.t[i] = al_rng_uniform(&r) < 0.3f ? al_rng_uniform(&r) : (float)al_rng_below(&r, 2);
                    else c.t[i] = al_rng_range(&r, -1, 1);
                }
                if (loss == AL_LOSS_L1) /* away from the kink: |y - t| >= 0.05 */
                    for (int i = 0; i < c.B * c.OUT; i++) {
                        float d = c.y[i] - c.t[i];
                        if (fabsf(d) < 0.05f) c.y[i] = c.t[i] + (d < 0 ? -0.05f : 0.05f) * 2;
                    }
                for (int i = 0; i < c.B * c.T; i++) c.mask[i] = (i % 3 == 1) ? 0.0f : 1.0f;
                c.m = masked ? c.mask : NULL;
                double count = al_loss_count(c.m, c.B, c.T);
                CHECK(count == (masked ? c.B * c.T - (c.B * c.T + 1) / 3 : c.B * c.T), "count %g", count);
                c.scale = sc ? (float)(1.0 / count) : 1.0f;
                double S = al_loss_forward_backward(c.dy, c.scratch, c.y, c.t, c.m, c.loss, c.scale, c.B, c.OUT, c.T);
                double want = loss_by_hand(&c);
                char what[96];
                snprintf(what, sizeof what, "%s%s scale %s", names[loss], masked ? " masked" : "", sc ? "1/count" : "1");
                CHECK(fabs(S - want) <= 1e-5 * fabs(want), "%s: S %.9g, by hand %.9g", what, S, want);
                float dy[64];
                memcpy(dy, c.dy, sizeof dy);
                CHECK_FD(fd_check(loss_f, &c, c.y, dy, c.B * c.OUT, NULL), what);
                if (masked) {
                    int zero = 1;
                    for (int s = 0; s < c.B; s++)
                        for (int o = 0; o < c.OUT; o++)
                            if (c.mask[loss == AL_LOSS_CROSS_ENTROPY ? s : s * c.T + o] == 0) zero &= dy[s * c.OUT + o] == 0.0f;
                    CHECK(zero, "%s: masked targets get no gradient", what);
                }
            }
}

TEST(loss_gradient_is_scale_times_the_unscaled_gradient) {
    /* scale 1/4 is a power of two: exactly a quarter, for every loss */
    for (int loss = 0; loss < 4; loss++) {
        float y[6] = {0.3f, -1.2f, 2.0f, -0.7f, 0.9f, 0.1f}, t[6] = {1, 0, 1, 0, 1, 0}, d1[6], d4[6], scratch[3];
        int T = loss == AL_LOSS_CROSS_ENTROPY ? 1 : 3;
        double S1 = al_loss_forward_backward(d1, scratch, y, t, NULL, (al_loss)loss, 1.0f, 2, 3, T);
        double S4 = al_loss_forward_backward(d4, scratch, y, t, NULL, (al_loss)loss, 0.25f, 2, 3, T);
        CHECK(S1 == S4, "loss %d: S does not depend on scale", loss);
        int quarter = 1;
        for (int i = 0; i < 6; i++) quarter &= d4[i] == 0.25f * d1[i];
        CHECK(quarter, "loss %d: dy at scale 1/4 is a quarter of dy at scale 1", loss);
    }
}

TEST(bce_and_cross_entropy_stay_finite_and_right_for_large_logits) {
    float y[4] = {80.0f, -80.0f, 30.0f, -30.0f}, t[4] = {0, 1, 1, 0}, dy[4], scratch[4];
    double S = al_loss_forward_backward(dy, scratch, y, t, NULL, AL_LOSS_BCE, 1.0f, 1, 4, 4);
    CHECK(isfinite(S) && fabs(S - 160.0) < 1e-4, "bce S %.9g (want 160 + tiny)", S);
    CHECK(dy[0] == 1.0f && dy[1] == -1.0f && fabsf(dy[2]) < 1e-6f && fabsf(dy[3]) < 1e-6f, "bce dy %g %g %g %g", dy[0],
          dy[1], dy[2], dy[3]);
    float z[3] = {1000.0f, 0.0f, -1000.0f}, c[1] = {1}, dz[3];
    S = al_loss_forward_backward(dz, scratch, z, c, NULL, AL_LOSS_CROSS_ENTROPY, 1.0f, 1, 3, 1);
    CHECK(isfinite(S) && fabs(S - 1000.0) < 1e-3, "cross_entropy S %.9g (want 1000)", S);
    CHECK(dz[0] == 1.0f && dz[1] == -1.0f && dz[2] == 0.0f, "cross_entropy dy %g %g %g", dz[0], dz[1], dz[2]);
}

/* ---- The whole model ------------------------------------------------------------------------ */

TEST(layout_puts_parameters_in_pytorch_order) {
    al_model m;
    const int sizes[4] = {2, 3, 4, 2};
    const float drop[AL_MAX_LAYERS] = {0};
    long P = al_model_layout(&m, sizes, 4, AL_ACT_TANH, AL_NORM_LAYER, drop);
    /* Linear(2,3): w 3x2 at 0, b at 6; LayerNorm(3): gamma at 9, beta at 12;
     * Linear(3,4): w 4x3 at 15, b at 27; LayerNorm(4): gamma at 31, beta at 35;
     * Linear(4,2): w 2x4 at 39, b at 47; P = 49 */
    CHECK(m.L == 3 && P == 49 && m.P == 49, "L %d P %ld", m.L, P);
    CHECK(m.w[0] == 0 && m.b[0] == 6 && m.gamma[0] == 9 && m.beta[0] == 12, "layer 0: %ld %ld %ld %ld", m.w[0], m.b[0],
          m.gamma[0], m.beta[0]);
    CHECK(m.w[1] == 15 && m.b[1] == 27 && m.gamma[1] == 31 && m.beta[1] == 35, "layer 1: %ld %ld %ld %ld", m.w[1], m.b[1],
          m.gamma[1], m.beta[1]);
    CHECK(m.w[2] == 39 && m.b[2] == 47 && m.gamma[2] == -1 && m.beta[2] == -1, "layer 2: %ld %ld %ld %ld", m.w[2],
          m.b[2], m.gamma[2], m.beta[2]);
    CHECK(m.max_width == 4, "max_width %d", m.max_width);
    P = al_model_layout(&m, sizes, 4, AL_ACT_TANH, AL_NORM_NONE, drop);
    CHECK(P == 35 && m.w[1] == 9 && m.b[1] == 21 && m.w[2] == 25 && m.b[2] == 33 && m.gamma[0] == -1,
          "without norm: P %ld w1 %ld b1 %ld w2 %ld b2 %ld", P, m.w[1], m.b[1], m.w[2], m.b[2]);
    P = al_model_layout(&m, sizes, 4, AL_ACT_TANH, AL_NORM_BATCH, drop);
    CHECK(P == 49 && m.gamma[1] == 31 && m.beta[1] == 35, "batchnorm has the same layout");
}

TEST(init_is_pytorch_uniform_with_norm_weight_one_bias_zero) {
    al_model m;
    const int sizes[4] = {2, 3, 4, 2};
    const float drop[AL_MAX_LAYERS] = {0};
    long P = al_model_layout(&m, sizes, 4, AL_ACT_TANH, AL_NORM_LAYER, drop);
    float p[49], q[49];
    al_model_init(p, &m, 7);
    al_model_init(q, &m, 7);
    CHECK(memcmp(p, q, sizeof p) == 0, "same seed, same bits");
    for (int l = 0; l < 3; l++) {
        double bound = 1 / sqrt((double)sizes[l]);
        int inside = 1;
        for (long i = m.w[l]; i < m.b[l] + sizes[l + 1]; i++) inside &= fabs(p[i]) <= bound;
        CHECK(inside, "layer %d within ±1/sqrt(%d)", l, sizes[l]);
    }
    for (int l = 0; l < 2; l++)
        for (int h = 0; h < sizes[l + 1]; h++)
            CHECK(p[m.gamma[l] + h] == 1.0f && p[m.beta[l] + h] == 0.0f, "norm %d init", l);
    (void)P;
}

typedef struct {
    al_model m;
    al_acts acts;
    al_mask_source ms;
    al_rng stream0;     /* stream mode: the generator is reset to this before each forward */
    al_rng stream;
    int B;
    float *params, *x, *r, *running, *mem;
    int ids[16];
} model_ctx;

static const float *model_forward(model_ctx *c) {
    c->stream = c->stream0;
    return al_model_forward(&c->acts, c->running, &c->ms, c->x, c->params, &c->m, c->B);
}

static double model_f(void *p) {
    model_ctx *c = p;
    al_model_repack(&c->acts, &c->m, 1); /* params change between calls (finite differences) */
    const float *out = model_forward(c);
    return dot_r(c->r, out, (long)c->B * c->m.sizes[c->m.L]);
}

/* FD on up to 12 random parameters of each kind (w, b, gamma, beta) of the whole model. */
static void model_check(const int *sizes, int n_sizes, al_activation act, al_norm norm, float dropout,
                        al_dropout_rng mode, uint64_t seed, const char *name) {
    model_ctx c;
    memset(&c, 0, sizeof c);
    float drop[AL_MAX_LAYERS];
    for (int l = 0; l < AL_MAX_LAYERS; l++) drop[l] = dropout;
    long P = al_model_layout(&c.m, sizes, n_sizes, act, norm, drop);
    c.B = 6;
    int IN = sizes[0], OUT = sizes[n_sizes - 1];
    c.params = malloc(sizeof(float) * P);
    c.x = malloc(sizeof(float) * c.B * IN);
    c.r = malloc(sizeof(float) * c.B * OUT);
    c.running = malloc(sizeof(float) * 2 * (c.m.L - 1) * c.m.max_width);
    c.mem = malloc(sizeof(float) * al_acts_floats(&c.m, c.B));
    float *grads = calloc((size_t)P, sizeof(float)), *g1 = malloc(sizeof(float) * P);
    al_acts_bind(&c.acts, &c.m, c.B, c.mem);
    al_rng r;
    al_rng_seed(&r, seed);
    al_model_init(c.params, &c.m, seed);
    /* norms away from their init (1, 0) so a missing gamma factor or beta term shows */
    for (int l = 0; l < c.m.L - 1; l++)
        if (c.m.gamma[l] >= 0)
            for (int h = 0; h < sizes[l + 1]; h++) {
                c.params[c.m.gamma[l] + h] = al_rng_range(&r, 0.5f, 1.5f);
                c.params[c.m.beta[l] + h] = al_rng_range(&r, -0.5f, 0.5f);
            }
    fill(c.x, (long)c.B * IN, &r, -1, 1);
    fill(c.r, (long)c.B * OUT, &r, -1, 1);
    for (int s = 0; s < c.B; s++) c.ids[s] = 100 + 3 * s;
    for (long i = 0; i < 2L * (c.m.L - 1) * c.m.max_width; i++) c.running[i] = 0.0f;
    al_rng_stream(&c.stream0, seed, AL_STREAM_DROPOUT);
    c.ms = (al_mask_source){mode, &c.stream, seed, 3, c.ids};
    model_f(&c);
    al_model_backward(grads, &c.acts, c.r, c.x, c.params, &c.m, c.B);
    /* the indices of each kind */
    static int idx[4][MAXN], pick[12];
    int count[4] = {0};
    for (int l = 0; l < c.m.L; l++) {
        for (long i = 0; i < (long)sizes[l + 1] * sizes[l]; i++) idx[0][count[0]++] = (int)(c.m.w[l] + i);
        for (int h = 0; h < sizes[l + 1]; h++) {
            idx[1][count[1]++] = (int)(c.m.b[l] + h);
            if (c.m.gamma[l] >= 0) { idx[2][count[2]++] = (int)(c.m.gamma[l] + h); idx[3][count[3]++] = (int)(c.m.beta[l] + h); }
        }
    }
    CHECK(count[0] + count[1] + count[2] + count[3] == P, "%s: kinds cover P", name);
    static const char *kinds[] = {"weights", "biases", "norm weights", "norm biases"};
    for (int k = 0; k < 4; k++) {
        if (!count[k]) continue;
        int n = count[k] < 12 ? count[k] : 12;
        for (int j = 0; j < n; j++) { /* partial Fisher-Yates: n distinct indices */
            int q = j + (int)al_rng_below(&r, (uint32_t)(count[k] - j));
            int t = idx[k][j]; idx[k][j] = idx[k][q]; idx[k][q] = t;
            pick[j] = idx[k][j];
        }
        char what[96];
        snprintf(what, sizeof what, "%s: %s", name, kinds[k]);
        CHECK_FD(fd_check(model_f, &c, c.params, grads, n, pick), what);
    }
    /* one optimizer step of two passes: the first packs the weights (fill) and gives the bits
     * of packing into scratch (the gradients above), the second reuses its packs; backward
     * adds, so the second pass doubles every gradient exactly */
    memcpy(g1, grads, sizeof(float) * P);
    al_zero(grads, P);
    al_model_repack(&c.acts, &c.m, 2);
    model_forward(&c);
    al_model_backward(grads, &c.acts, c.r, c.x, c.params, &c.m, c.B);
    CHECK(memcmp(grads, g1, sizeof(float) * P) == 0, "%s: weights packed for reuse give the bits of scratch packing", name);
    model_forward(&c);
    al_model_backward(grads, &c.acts, c.r, c.x, c.params, &c.m, c.B);
    int doubled = 1;
    for (long i = 0; i < P; i++) doubled &= grads[i] == 2 * g1[i];
    CHECK(doubled, "%s: a second pass on the reused packs doubles the gradients", name);
    free(c.params); free(c.x); free(c.r); free(c.running); free(c.mem); free(grads); free(g1);
}

TEST(model_backward_matches_finite_differences_with_layernorm_and_tanh) {
    const int sizes[4] = {3, 7, 5, 2};
    model_check(sizes, 4, AL_ACT_TANH, AL_NORM_LAYER, 0.0f, AL_RNG_KEYED, 61, "layernorm tanh");
}

TEST(model_backward_matches_finite_differences_with_batchnorm_gelu_and_keyed_dropout) {
    const int sizes[4] = {3, 7, 5, 2};
    model_check(sizes, 4, AL_ACT_GELU, AL_NORM_BATCH, 0.3f, AL_RNG_KEYED, 62, "batchnorm gelu keyed dropout");
}

TEST(model_backward_matches_finite_differences_with_sigmoid_and_stream_dropout) {
    const int sizes[5] = {4, 6, 6, 5, 3};
    model_check(sizes, 5, AL_ACT_SIGMOID, AL_NORM_NONE, 0.25f, AL_RNG_STREAM, 63, "sigmoid stream dropout");
}

int main(void) {
    RUN(linear_backward_matches_finite_differences_for_din_dw_db);
    RUN(linear_backward_adds_into_dw_db_and_overwrites_din);
    RUN(each_activation_backward_matches_finite_differences);
    RUN(activation_forward_values_are_the_named_functions);
    RUN(dropout_backward_with_a_fixed_mask_matches_finite_differences);
    RUN(batchnorm_backward_matches_finite_differences_for_din_dgamma_dbeta);
    RUN(layernorm_backward_matches_finite_differences_for_din_dgamma_dbeta);
    RUN(batchnorm_updates_running_stats_with_momentum_and_unbiased_variance);
    RUN(layernorm_forward_normalises_each_sample_with_biased_variance);
    RUN(every_loss_gradient_matches_finite_differences_with_and_without_mask_at_both_scales);
    RUN(loss_gradient_is_scale_times_the_unscaled_gradient);
    RUN(bce_and_cross_entropy_stay_finite_and_right_for_large_logits);
    RUN(layout_puts_parameters_in_pytorch_order);
    RUN(init_is_pytorch_uniform_with_norm_weight_one_bias_zero);
    RUN(model_backward_matches_finite_differences_with_layernorm_and_tanh);
    RUN(model_backward_matches_finite_differences_with_batchnorm_gelu_and_keyed_dropout);
    RUN(model_backward_matches_finite_differences_with_sigmoid_and_stream_dropout);
    return check_summary("layers");
}
