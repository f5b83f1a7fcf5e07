/* tests/c/test_experiment.c — the C API end to end: JSON config in, per-step records,
 * vectors and verdict out, asserted on their numbers for DESIGN.md's questions.
 *
 * Small configs (moons n 64..128, a few steps) keep it fast under sanitizers. Default model
 * for moons: [2, 16, 16, 2] tanh, cross_entropy; batchSize 8, accumSteps 4; SGD lr 0.1.
 * Every experiment is freed; ASan's leak check covers the error paths.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "accumlab.h"

#define MAX_STEPS 16

typedef struct {
    int ok;                         /* created */
    int n;                          /* records */
    int status;                     /* last al_experiment_step return */
    al_step_record rec[MAX_STEPS];
    al_verdict v;
    long P;
    float *grad_ref1, *grad_acc1;   /* (P) the gradients of step 1 */
    float *params_ref1, *params_acc1; /* (P) parameters after step 1 */
    float *init, *params_ref, *params_acc, *grad_ref, *grad_acc; /* (P) at the end */
    al_error err;
} run_t;

static float *copy_vec(const al_experiment *e, int which, long P) {
    float *v = malloc(sizeof(float) * (size_t)P);
    memcpy(v, al_experiment_vector(e, which), sizeof(float) * (size_t)P);
    return v;
}

/* Creates, steps to the end, keeps records, vectors after step 1 and at the end, verdict. */
static run_t run(const char *json) {
    run_t r;
    memset(&r, 0, sizeof r);
    al_experiment *e = al_experiment_create(json, strlen(json), &r.err);
    if (!e) {
        fprintf(stderr, "    create failed: %s [%s] for %s\n", r.err.message, r.err.field, json);
        return r;
    }
    r.ok = 1;
    r.P = al_experiment_param_count(e);
    while (r.n < MAX_STEPS && (r.status = al_experiment_step(e, &r.rec[r.n], &r.err)) == AL_OK) {
        if (r.n == 0) {
            r.grad_ref1 = copy_vec(e, AL_VEC_GRAD_REF, r.P);
            r.grad_acc1 = copy_vec(e, AL_VEC_GRAD_ACC, r.P);
            r.params_ref1 = copy_vec(e, AL_VEC_PARAMS_REF, r.P);
            r.params_acc1 = copy_vec(e, AL_VEC_PARAMS_ACC, r.P);
        }
        r.n++;
    }
    r.init = copy_vec(e, AL_VEC_INIT, r.P);
    r.params_ref = copy_vec(e, AL_VEC_PARAMS_REF, r.P);
    r.params_acc = copy_vec(e, AL_VEC_PARAMS_ACC, r.P);
    r.grad_ref = copy_vec(e, AL_VEC_GRAD_REF, r.P);
    r.grad_acc = copy_vec(e, AL_VEC_GRAD_ACC, r.P);
    al_experiment_verdict(e, &r.v);
    al_experiment_free(e);
    return r;
}

static void done(run_t *r) {
    free(r->grad_ref1); free(r->grad_acc1); free(r->params_ref1); free(r->params_acc1);
    free(r->init); free(r->params_ref); free(r->params_acc); free(r->grad_ref); free(r->grad_acc);
}

static int has(const run_t *r, int cause) { return (r->v.causes & cause) != 0; }
static int rounding_or_better(int category) { return category <= AL_GRADS_ROUNDING; } /* same numbering for params */

#define CHECK_RAN(r, steps) CHECK((r).ok && (r).n == (steps) && (r).status == AL_DONE && (r).v.steps_done == (steps), \
                                  "ran %d steps (status %d, %s)", (r).n, (r).status, (r).err.message)

/* ---- (a) mean reduction, no correction: k times the gradient ---------------------------- */

TEST(unscaled_mean_loss_gives_k_times_the_gradient) {
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"accumSteps\": 4, \"batchSize\": 8}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    const al_metrics *g = &r.rec[0].grad;
    CHECK(fabs(g->norm_ratio - 4) <= 1e-5, "norm ratio %.9g", g->norm_ratio);
    CHECK(g->cosine > 1 - 1e-9, "cosine 1 - %.3g", 1 - g->cosine);
    CHECK(!g->allclose && !g->bitwise, "not close");
    CHECK(fabs(g->scale - 4) <= 1e-5 && g->scaled_residual <= 1e-5, "scale %.9g residual %.3g", g->scale, g->scaled_residual);
    CHECK(r.rec[0].grad_category == AL_GRADS_SCALED, "step 1 category %g", r.rec[0].grad_category);
    CHECK(r.v.grads == AL_GRADS_SCALED && fabs(r.v.factor - 4) < 1e-4, "verdict grads %d factor %.9g", r.v.grads, r.v.factor);
    CHECK(r.v.params == AL_PARAMS_DIFFERENT, "params %d", r.v.params);
    CHECK(has(&r, AL_CAUSE_MEAN_UNSCALED), "causes %#x", r.v.causes);
    CHECK(r.v.k == 4 && r.v.first_different_step == 1, "k %d first different %d", r.v.k, r.v.first_different_step);
    /* element-wise: gradAcc = 4·gradRef up to rounding */
    double worst = 0, scale = 0;
    for (long i = 0; i < r.P; i++) {
        double d = fabs(r.grad_acc1[i] - 4.0 * r.grad_ref1[i]);
        if (d > worst) worst = d;
        if (fabs(r.grad_ref1[i]) > scale) scale = fabs(r.grad_ref1[i]);
    }
    CHECK(scale > 1e-3, "the gradient is not trivially zero (max %.3g)", scale);
    CHECK(worst <= 1e-5 * 4 * scale, "max |acc - 4 ref| %.3g (scale %.3g)", worst, scale);
    /* the record's numbers agree with the vectors */
    double nr = 0, na = 0;
    for (long i = 0; i < r.P; i++) { nr += (double)r.grad_ref1[i] * r.grad_ref1[i]; na += (double)r.grad_acc1[i] * r.grad_acc1[i]; }
    CHECK_CLOSE(r.rec[0].grad_norm_ref, sqrt(nr), 1e-12 * sqrt(nr));
    CHECK_CLOSE(r.rec[0].grad_norm_acc, sqrt(na), 1e-12 * sqrt(na));
    CHECK(r.rec[0].group_size == 32 && r.rec[0].micro_batches == 4 && r.rec[0].step == 1, "group %g micro %g",
          r.rec[0].group_size, r.rec[0].micro_batches);
    CHECK(fabs(r.rec[0].loss_acc - r.rec[0].loss_ref) <= 1e-6 * r.rec[0].loss_ref, "same loss: %.9g vs %.9g",
          r.rec[0].loss_acc, r.rec[0].loss_ref);
    CHECK(r.rec[0].lr_ref == 0.1 && r.rec[0].lr_acc == 0.1, "lr %g %g", r.rec[0].lr_ref, r.rec[0].lr_acc);
    /* after one step the parameters differ by 3·lr·gradRef (SGD: acc moved 4x as far) */
    double pw = 0;
    for (long i = 0; i < r.P; i++) {
        double want = r.params_ref1[i] - 3 * 0.1 * r.grad_ref1[i];
        double d = fabs(r.params_acc1[i] - want);
        if (d > pw) pw = d;
    }
    CHECK(pw <= 1e-6, "params_acc = params_ref - 3 lr gradRef within %.3g", pw);
    done(&r);
}

/* ---- (b) sum reduction: rounding -------------------------------------------------------- */

TEST(sum_reduction_is_equal_up_to_rounding_not_bitwise) {
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"reduction\": \"sum\", \"optimizer\": {\"lr\": 0.01}}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    const al_metrics *g = &r.rec[0].grad;
    CHECK(g->rel_norm_diff < 1e-6 && g->rel_norm_diff > 0, "rel norm diff %.3g", g->rel_norm_diff);
    CHECK(!g->bitwise, "for this data the summation order shows in the bits");
    CHECK(g->max_ulp > 0 && g->max_ulp < 1e6, "max ulp %g", g->max_ulp);
    CHECK(fabs(g->norm_ratio - 1) < 1e-6, "ratio %.9g", g->norm_ratio);
    CHECK(r.v.grads == AL_GRADS_ROUNDING, "verdict grads %d", r.v.grads);
    CHECK(rounding_or_better(r.v.params), "params %d", r.v.params);
    CHECK(r.v.causes == AL_CAUSE_SUMMATION_ORDER, "causes %#x", r.v.causes);
    CHECK(r.v.first_different_step == 0, "first different %d", r.v.first_different_step);
    done(&r);
}

/* ---- (c) scale_loss --------------------------------------------------------------------- */

TEST(scaling_the_loss_by_one_over_k_is_exact_up_to_rounding) {
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"correction\": \"scale_loss\"}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(rounding_or_better(r.v.grads) && r.v.params == AL_PARAMS_ROUNDING, "grads %d params %d", r.v.grads, r.v.params);
    CHECK(fabs(r.rec[0].grad.norm_ratio - 1) < 1e-6, "ratio %.9g", r.rec[0].grad.norm_ratio);
    CHECK(r.v.causes == AL_CAUSE_SUMMATION_ORDER, "causes %#x", r.v.causes);
    done(&r);
}

/* ---- (d) scale_lr: the forum example ---------------------------------------------------- */

#define FORUM "\"data\": {\"name\": \"seed_example\", \"n\": 2, \"shuffle\": false}, \"model\": {\"sizes\": [4, 8, 2], " \
              "\"activation\": \"relu\"}, \"loss\": \"l1\", \"batchSize\": 1, \"accumSteps\": 2, \"steps\": 1, \"correction\": \"scale_lr\""

TEST(scale_lr_with_sgd_gives_k_times_the_gradient_and_the_same_parameters) {
    run_t r = run("{" FORUM ", \"optimizer\": {\"name\": \"sgd\", \"lr\": 1.0}}");
    CHECK_RAN(r, 1);
    if (!r.ok) return;
    CHECK(r.rec[0].lr_ref == 1.0 && r.rec[0].lr_acc == 0.5, "lr %g vs %g", r.rec[0].lr_ref, r.rec[0].lr_acc);
    CHECK(fabs(r.rec[0].grad.norm_ratio - 2) < 1e-6, "ratio %.9g", r.rec[0].grad.norm_ratio);
    CHECK(r.v.grads == AL_GRADS_SCALED && fabs(r.v.factor - 2) < 1e-6, "grads %d factor %.9g", r.v.grads, r.v.factor);
    CHECK(r.v.params == AL_PARAMS_ROUNDING || r.v.params == AL_PARAMS_BITWISE, "params %d", r.v.params);
    CHECK(r.rec[0].params.allclose == 1, "params allclose");
    CHECK(r.rec[0].grad_norm_ref > 1e-3, "gradient not trivially zero");
    CHECK(!has(&r, AL_CAUSE_SCALE_LR_WEIGHT_DECAY), "causes %#x", r.v.causes);
    done(&r);
    /* the same on moons with k = 4 and momentum, several steps */
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"correction\": \"scale_lr\", "
            "\"optimizer\": {\"name\": \"sgd\", \"lr\": 0.1, \"momentum\": 0.9}}");
    CHECK_RAN(r, 4);
    CHECK(r.v.grads == AL_GRADS_SCALED && fabs(r.v.factor - 4) < 1e-4 && r.v.params == AL_PARAMS_ROUNDING,
          "momentum: grads %d factor %.6g params %d", r.v.grads, r.v.factor, r.v.params);
    CHECK(r.rec[0].lr_acc == 0.025, "lr/k %g", r.rec[0].lr_acc);
    done(&r);
}

TEST(scale_lr_with_weight_decay_is_not_exact) {
    run_t r = run("{" FORUM ", \"optimizer\": {\"name\": \"sgd\", \"lr\": 1.0, \"weightDecay\": 0.1}}");
    CHECK_RAN(r, 1);
    if (!r.ok) return;
    CHECK(r.v.params == AL_PARAMS_DIFFERENT, "params %d", r.v.params);
    CHECK(has(&r, AL_CAUSE_SCALE_LR_WEIGHT_DECAY), "causes %#x", r.v.causes);
    /* by hand: ref p - 1·(g + 0.1p), acc p - 0.5·(2g + 0.1p): acc - ref = 0.05·p */
    double worst = 0, scale = 0;
    for (long i = 0; i < r.P; i++) {
        double d = fabs((r.params_acc[i] - r.params_ref[i]) - 0.05 * r.init[i]);
        if (d > worst) worst = d;
        if (fabs(0.05 * r.init[i]) > scale) scale = fabs(0.05 * r.init[i]);
    }
    CHECK(worst <= 1e-6 && scale > 1e-3, "acc - ref = 0.05·init within %.3g (scale %.3g)", worst, scale);
    done(&r);
}

/* ---- (e) dropout ------------------------------------------------------------------------- */

#define DROP_BASE "\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"correction\": \"scale_loss\""

TEST(dropout_stream_masks_differ_with_two_dropout_layers) {
    run_t r = run("{" DROP_BASE ", \"model\": {\"dropout\": 0.5}, \"dropoutRng\": \"stream\"}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(r.v.grads == AL_GRADS_DIFFERENT && r.rec[0].grad_category == AL_GRADS_DIFFERENT, "grads %d", r.v.grads);
    CHECK(has(&r, AL_CAUSE_DROPOUT_STREAM), "causes %#x", r.v.causes);
    CHECK(r.rec[0].grad.rel_norm_diff > 1e-2, "clearly different: %.3g", r.rec[0].grad.rel_norm_diff);
    done(&r);
}

TEST(dropout_keyed_masks_are_exact) {
    run_t r = run("{" DROP_BASE ", \"model\": {\"dropout\": 0.5}, \"dropoutRng\": \"keyed\"}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
    CHECK(r.rec[0].grad.allclose == 1, "step 1 allclose");
    CHECK(!has(&r, AL_CAUSE_DROPOUT_STREAM), "causes %#x", r.v.causes);
    done(&r);
}

TEST(dropout_stream_with_one_dropout_layer_draws_masks_in_the_same_order) {
    run_t r = run("{" DROP_BASE ", \"model\": {\"sizes\": [2, 16, 2], \"dropout\": 0.5}, \"dropoutRng\": \"stream\"}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
    done(&r);
}

/* ---- (f) norms ------------------------------------------------------------------------------ */

TEST(batchnorm_differs_because_statistics_are_over_m_not_m_times_k) {
    run_t r = run("{" DROP_BASE ", \"model\": {\"norm\": \"batchnorm\"}}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(r.v.grads == AL_GRADS_DIFFERENT, "grads %d", r.v.grads);
    CHECK(has(&r, AL_CAUSE_BATCHNORM), "causes %#x", r.v.causes);
    done(&r);
}

TEST(layernorm_is_per_sample_and_stays_exact) {
    run_t r = run("{" DROP_BASE ", \"model\": {\"norm\": \"layernorm\"}}");
    CHECK_RAN(r, 4);
    if (!r.ok) return;
    CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
    CHECK(!has(&r, AL_CAUSE_BATCHNORM), "causes %#x", r.v.causes);
    done(&r);
}

/* ---- (g) clipping ---------------------------------------------------------------------------- */

TEST(clipping_per_micro_batch_differs_clipping_after_accumulation_is_exact) {
    run_t r = run("{" DROP_BASE ", \"clipGradNorm\": 0.01, \"clipPlacement\": \"per_micro_batch\"}");
    CHECK_RAN(r, 4);
    if (r.ok) {
        CHECK(r.v.grads == AL_GRADS_DIFFERENT, "per micro-batch: grads %d", r.v.grads);
        CHECK(has(&r, AL_CAUSE_CLIP_PER_MICRO_BATCH), "causes %#x", r.v.causes);
    }
    done(&r);
    r = run("{" DROP_BASE ", \"clipGradNorm\": 0.01, \"clipPlacement\": \"after_accumulation\"}");
    CHECK_RAN(r, 4);
    if (r.ok) {
        CHECK(r.rec[0].grad_norm_ref > 0.01, "clipping really happens (norm %.3g)", r.rec[0].grad_norm_ref);
        double n = 0;
        for (long i = 0; i < r.P; i++) n += (double)r.grad_ref1[i] * r.grad_ref1[i];
        double want = 0.01 * r.rec[0].grad_norm_ref / (r.rec[0].grad_norm_ref + 1e-6); /* PyTorch's + 1e-6 */
        CHECK(fabs(sqrt(n) - want) < 1e-9, "clipped to 0.01: %.9g, want %.9g", sqrt(n), want);
        CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "after: grads %d params %d", r.v.grads,
              r.v.params);
        CHECK(!has(&r, AL_CAUSE_CLIP_PER_MICRO_BATCH), "causes %#x", r.v.causes);
    }
    done(&r);
}

/* ---- (h) schedules ---------------------------------------------------------------------------- */

TEST(scheduler_stepped_per_micro_batch_runs_k_times_too_fast) {
    run_t r;
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 3, \"correction\": \"scale_loss\", "
            "\"schedule\": {\"name\": \"step\", \"stepSize\": 2, \"gamma\": 0.5}, \"schedulerStepping\": \"per_micro_batch\"}");
    CHECK_RAN(r, 3);
    if (r.ok) {
        /* reference: t = 0, 1, 2 -> 0.1, 0.1, 0.05; accumulated: t = 3, 7, 11 -> 0.1·0.5^1, ^3, ^5 */
        const double ref[3] = {0.1, 0.1, 0.05}, acc[3] = {0.05, 0.0125, 0.003125};
        for (int s = 0; s < 3; s++)
            CHECK(fabs(r.rec[s].lr_ref - ref[s]) < 1e-15 && fabs(r.rec[s].lr_acc - acc[s]) < 1e-15,
                  "step %d: lr %.17g vs %.17g", s + 1, r.rec[s].lr_ref, r.rec[s].lr_acc);
        CHECK(has(&r, AL_CAUSE_SCHEDULER_PER_MICRO_BATCH), "causes %#x", r.v.causes);
        CHECK(r.v.params == AL_PARAMS_DIFFERENT, "params %d", r.v.params);
    }
    done(&r);
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 3, \"correction\": \"scale_loss\", "
            "\"schedule\": {\"name\": \"step\", \"stepSize\": 2, \"gamma\": 0.5}, \"schedulerStepping\": \"per_optimizer_step\"}");
    CHECK_RAN(r, 3);
    if (r.ok) {
        for (int s = 0; s < 3; s++) CHECK(r.rec[s].lr_ref == r.rec[s].lr_acc, "step %d: same lr", s + 1);
        CHECK(r.rec[2].lr_acc == 0.05, "lr at step 3 %.17g", r.rec[2].lr_acc);
        CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
        CHECK(!has(&r, AL_CAUSE_SCHEDULER_PER_MICRO_BATCH), "causes %#x", r.v.causes);
    }
    done(&r);
}

/* ---- (i) uneven last group --------------------------------------------------------------------- */

#define UNEVEN "\"data\": {\"name\": \"moons\", \"n\": 40, \"shuffle\": false}, \"batchSize\": 8, \"accumSteps\": 4, \"steps\": 2"

TEST(uneven_last_group_dividing_by_k_is_wrong_global_count_is_exact) {
    run_t r = run("{" UNEVEN ", \"correction\": \"scale_loss\"}");
    CHECK_RAN(r, 2);
    if (r.ok) {
        CHECK(r.rec[1].group_size == 8 && r.rec[1].micro_batches == 1, "step 2: group %g micro %g", r.rec[1].group_size,
              r.rec[1].micro_batches);
        CHECK(rounding_or_better((int)r.rec[0].grad_category), "step 1 is a full group: %g", r.rec[0].grad_category);
        /* step 2: one micro-batch of 8 scaled by 1/(8·4) instead of 1/8: a quarter of the gradient */
        CHECK(fabs(r.rec[1].grad.norm_ratio - 0.25) < 0.05, "ratio %.6g", r.rec[1].grad.norm_ratio);
        CHECK(r.v.grads == AL_GRADS_DIFFERENT, "grads %d", r.v.grads);
        CHECK(has(&r, AL_CAUSE_UNEVEN_LAST_GROUP), "causes %#x", r.v.causes);
    }
    done(&r);
    r = run("{" UNEVEN ", \"correction\": \"global_count\"}");
    CHECK_RAN(r, 2);
    if (r.ok) {
        CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
        CHECK(!has(&r, AL_CAUSE_UNEVEN_LAST_GROUP), "causes %#x", r.v.causes);
    }
    done(&r);
}

/* ---- (j) variable numbers of valid targets ------------------------------------------------------- */

#define MASKED "\"data\": {\"name\": \"seed_example\", \"n\": 64, \"maskFraction\": 0.3}, \"loss\": \"mse\", \"steps\": 3"

TEST(variable_valid_targets_need_the_global_count) {
    run_t r = run("{" MASKED ", \"correction\": \"scale_loss\"}");
    CHECK_RAN(r, 3);
    if (r.ok) {
        CHECK(r.v.grads == AL_GRADS_DIFFERENT, "grads %d", r.v.grads);
        CHECK(has(&r, AL_CAUSE_VARIABLE_TARGETS), "causes %#x", r.v.causes);
    }
    done(&r);
    r = run("{" MASKED ", \"correction\": \"global_count\"}");
    CHECK_RAN(r, 3);
    if (r.ok) {
        CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
        CHECK(!has(&r, AL_CAUSE_VARIABLE_TARGETS), "causes %#x", r.v.causes);
    }
    done(&r);
}

/* ---- (k) Adam ----------------------------------------------------------------------------------- */

TEST(adam_is_nearly_scale_invariant_an_unscaled_mean_moves_it_far_less_than_sgd) {
    run_t sgd = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 6, \"optimizer\": {\"name\": \"sgd\", \"lr\": 0.001}}");
    run_t adam = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 6, \"optimizer\": {\"name\": \"adam\", \"lr\": 0.001}}");
    CHECK_RAN(sgd, 6);
    CHECK_RAN(adam, 6);
    if (sgd.ok && adam.ok) {
        CHECK(adam.v.grads == AL_GRADS_SCALED && fabs(adam.v.factor - 4) < 1e-4, "adam grads %d factor %.6g", adam.v.grads,
              adam.v.factor);
        CHECK(has(&adam, AL_CAUSE_ADAM_SCALE), "causes %#x", adam.v.causes);
        double a = adam.rec[5].params.rel_norm_diff, s = sgd.rec[5].params.rel_norm_diff;
        CHECK(a * 1000 < s, "adam %.3g vs sgd %.3g: ratio %.3g", a, s, s / a); /* ~1.7e-7 vs ~3e-3 */
        CHECK(s > 1e-4, "sgd really differs: %.3g", s);
    }
    done(&sgd);
    done(&adam);
}

/* ---- (l) determinism -------------------------------------------------------------------------------- */

TEST(the_same_config_twice_gives_identical_bits_in_every_record_and_vector) {
    const char *json = "{\"data\": {\"name\": \"moons\", \"n\": 96, \"noise\": 0.2}, \"steps\": 5, \"seed\": 1234, "
                       "\"model\": {\"sizes\": [2, 12, 10, 2], \"activation\": \"gelu\", \"dropout\": [0.2, 0.4]}, "
                       "\"dropoutRng\": \"stream\", \"optimizer\": {\"name\": \"adamw\", \"lr\": 0.01}, \"clipGradNorm\": 0.5, "
                       "\"schedule\": {\"name\": \"cosine\"}, \"correction\": \"scale_loss\"}";
    run_t a = run(json), b = run(json);
    CHECK_RAN(a, 5);
    CHECK_RAN(b, 5);
    if (a.ok && b.ok) {
        CHECK(memcmp(a.rec, b.rec, sizeof a.rec) == 0, "records differ");
        CHECK(memcmp(&a.v, &b.v, sizeof a.v) == 0, "verdicts differ");
        size_t bytes = sizeof(float) * (size_t)a.P;
        CHECK(memcmp(a.init, b.init, bytes) == 0 && memcmp(a.params_ref, b.params_ref, bytes) == 0 &&
              memcmp(a.params_acc, b.params_acc, bytes) == 0 && memcmp(a.grad_ref, b.grad_ref, bytes) == 0 &&
              memcmp(a.grad_acc, b.grad_acc, bytes) == 0 && memcmp(a.grad_ref1, b.grad_ref1, bytes) == 0 &&
              memcmp(a.grad_acc1, b.grad_acc1, bytes) == 0, "vectors differ");
    }
    done(&a);
    done(&b);
    /* a different seed really changes the numbers (the comparison above is not vacuous) */
    run_t c = run("{\"data\": {\"name\": \"moons\", \"n\": 96}, \"steps\": 2, \"seed\": 1}");
    run_t d = run("{\"data\": {\"name\": \"moons\", \"n\": 96}, \"steps\": 2, \"seed\": 2}");
    if (c.ok && d.ok) CHECK(memcmp(c.init, d.init, sizeof(float) * (size_t)c.P) != 0, "seed changes init");
    done(&c);
    done(&d);
}

/* ---- (m) errors ----------------------------------------------------------------------------------------- */

static int create_fails(const char *json, int code, const char *field) {
    al_error err;
    memset(&err, 0x55, sizeof err);
    al_experiment *e = al_experiment_create(json, strlen(json), &err);
    int ok = e == NULL && err.code == code && strcmp(err.field, field) == 0 && strlen(err.message) > 0;
    if (!ok) fprintf(stderr, "    %s: got %p code %d field '%s' (%s)\n", json, (void *)e, err.code, err.field, err.message);
    al_experiment_free(e);
    return ok;
}

TEST(bad_configs_return_null_with_the_code_and_field) {
    CHECK(create_fails("{\"steps\": 3", AL_ERR_PARSE, ""), "bad JSON");
    CHECK(create_fails("{\"stpes\": 3}", AL_ERR_UNKNOWN, "stpes"), "unknown field");
    CHECK(create_fails("{\"optimizer\": {\"lr\": 0.1, \"betaz\": 1}}", AL_ERR_UNKNOWN, "optimizer.betaz"), "unknown nested field");
    CHECK(create_fails("{\"data\": {\"name\": \"moons\", \"n\": 10}, \"batchSize\": 16}", AL_ERR_RANGE, "batchSize"),
          "batchSize larger than n");
    CHECK(create_fails("{\"data\": {\"name\": \"moons\", \"n\": 64}, \"init\": [0.1, 0.2, 0.3]}", AL_ERR_SHAPE, "init"),
          "init of the wrong length");
    CHECK(create_fails("{\"data\": {\"name\": \"regression\", \"n\": 64}, \"loss\": \"cross_entropy\"}", AL_ERR_SHAPE, "loss"),
          "cross_entropy on regression data");
    CHECK(create_fails("{\"steps\": 4, \"steps\": 3}", AL_ERR_PARSE, "steps"), "a field given twice");
    CHECK(create_fails("{\"optimizer\": {\"lr\": -1}}", AL_ERR_RANGE, "optimizer.lr"), "negative lr");
    CHECK(create_fails("{\"model\": {\"sizes\": [3, 4, 2]}}", AL_ERR_SHAPE, "model.sizes[0]"), "sizes vs data");
    /* fails after the arena is allocated: the leak check (ASan) covers that path too */
    CHECK(create_fails("{\"data\": {\"inputs\": [[0], [1], [2], [3]], \"targets\": [[0], [1], [0], [1]], "
                       "\"mask\": [[0], [0], [1], [1]], \"shuffle\": false}, \"batchSize\": 1, \"accumSteps\": 2}",
                       AL_ERR_SHAPE, "data.mask"), "a group with no valid target");
    CHECK(create_fails("{\"data\": {\"name\": \"moons\", \"n\": 8, \"maskFraction\": 0.999}, \"batchSize\": 1, \"accumSteps\": 1}",
                       AL_ERR_SHAPE, "data.maskFraction"), "maskFraction leaving a group no target is named as such");
    /* NULL error record: still NULL, no crash */
    CHECK(al_experiment_create("{", 1, NULL) == NULL, "NULL err");
}

TEST(an_init_of_the_right_length_is_used_as_given) {
    /* moons [2, 3, 2]: P = 6 + 3 + 6 + 2 = 17 */
    char json[1024];
    int n = snprintf(json, sizeof json, "{\"data\": {\"name\": \"moons\", \"n\": 64}, \"model\": {\"sizes\": [2, 3, 2]}, \"steps\": 1, \"init\": [");
    for (int i = 0; i < 17; i++) n += snprintf(json + n, sizeof json - (size_t)n, "%s%g", i ? ", " : "", 0.05 * (i - 8));
    snprintf(json + n, sizeof json - (size_t)n, "]}");
    run_t r = run(json);
    CHECK_RAN(r, 1);
    if (r.ok) {
        CHECK(r.P == 17, "P %ld", r.P);
        int same = 1;
        for (int i = 0; i < 17; i++) same &= r.init[i] == (float)(0.05 * (i - 8));
        CHECK(same, "init as given");
    }
    done(&r);
}

TEST(the_data_and_epoch_orders_an_export_reads_are_the_runs_own) {
    /* moons n 10, m 2, k 2: groups of 4, 3 per epoch (the last of 2 samples) */
    const char *json = "{\"data\": {\"name\": \"moons\", \"n\": 10, \"maskFraction\": 0.3}, \"loss\": \"mse\", "
                       "\"batchSize\": 2, \"accumSteps\": 2, \"steps\": 7}";
    al_error err;
    al_experiment *e = al_experiment_create(json, strlen(json), &err);
    CHECK(e != NULL, "%s", err.message);
    if (!e) return;
    long nx = 0, ny = 0, nm = 0;
    const float *x = al_experiment_data(e, AL_DATA_INPUTS, &nx), *y = al_experiment_data(e, AL_DATA_TARGETS, &ny);
    const float *mask = al_experiment_data(e, AL_DATA_MASK, &nm);
    CHECK(x && nx == 20, "inputs %ld", nx);
    CHECK(y && ny == 20, "targets one-hot over 2 outputs: %ld", ny);
    CHECK(mask && nm == 20, "mask %ld", nm);
    int32_t a[10], b[10], seen[10] = {0};
    CHECK(al_experiment_epoch_order(e, 0, a) == 10, "N");
    al_experiment_epoch_order(e, 1, b);
    for (int i = 0; i < 10; i++) seen[a[i]]++;
    int perm = 1, differ = 0;
    for (int i = 0; i < 10; i++) { perm &= seen[i] == 1; differ |= a[i] != b[i]; }
    CHECK(perm, "epoch 0's order is a permutation");
    CHECK(differ, "each epoch is shuffled anew");
    /* 3 groups per epoch (4, 4, 2): step 4 starts epoch 1 with a whole group */
    al_step_record rec;
    for (int s = 0; s < 4; s++) al_experiment_step(e, &rec, &err);
    CHECK(rec.group_size == 4, "group size %g", rec.group_size);
    CHECK(al_experiment_epoch_order(e, -1, a) == 0, "a negative epoch is refused");
    al_experiment_free(e);
    CHECK(al_experiment_data(NULL, AL_DATA_INPUTS, &nx) == NULL && nx == 0, "no experiment, no data");
}

TEST(stepping_past_the_end_returns_done_and_leaves_the_record_alone) {
    const char *json = "{\"data\": {\"name\": \"moons\", \"n\": 64}, \"steps\": 2}";
    al_error err;
    al_experiment *e = al_experiment_create(json, strlen(json), &err);
    CHECK(e != NULL, "%s", err.message);
    if (!e) return;
    CHECK(al_experiment_total_steps(e) == 2, "total %d", al_experiment_total_steps(e));
    al_step_record rec;
    CHECK(al_experiment_step(e, &rec, &err) == AL_OK && rec.step == 1, "step 1");
    CHECK(al_experiment_step(e, &rec, &err) == AL_OK && rec.step == 2, "step 2");
    memset(&rec, 0x5a, sizeof rec);
    al_step_record copy = rec;
    CHECK(al_experiment_step(e, &rec, &err) == AL_DONE, "past the end: AL_DONE");
    CHECK(al_experiment_step(e, &rec, &err) == AL_DONE, "and again");
    CHECK(memcmp(&rec, &copy, sizeof rec) == 0, "record untouched");
    al_verdict v;
    al_experiment_verdict(e, &v);
    CHECK(v.steps_done == 2, "steps done %d", v.steps_done);
    CHECK(al_experiment_step(e, NULL, &err) == AL_ERR_STATE, "NULL record");
    CHECK(al_experiment_step(NULL, &rec, &err) == AL_ERR_STATE && err.code == AL_ERR_STATE, "NULL experiment");
    CHECK(al_experiment_vector(e, 99) == NULL, "unknown vector");
    al_experiment_free(e);
    al_experiment_free(NULL);
}

/* ---- (n) divergence ------------------------------------------------------------------------------------------ */

TEST(a_divergent_run_ends_with_the_step_and_verdict_diverged) {
    run_t r = run("{\"data\": {\"name\": \"regression\", \"n\": 64}, \"reduction\": \"sum\", "
                  "\"optimizer\": {\"name\": \"sgd\", \"lr\": 1e6}, \"steps\": 10}");
    CHECK(r.ok && r.status == AL_DONE, "ran");
    CHECK(r.v.diverged_step > 0 && r.v.diverged_step <= 10, "diverged step %d", r.v.diverged_step);
    CHECK(r.n == r.v.diverged_step, "%d records, the last one the divergent step %d", r.n, r.v.diverged_step);
    CHECK(r.n > 0 && r.rec[r.n - 1].diverged == 1 && r.rec[r.n - 1].step == r.v.diverged_step, "the divergent step's record is flagged");
    CHECK(r.v.params == AL_PARAMS_DIVERGED, "params %d", r.v.params);
    CHECK(has(&r, AL_CAUSE_DIVERGED), "causes %#x", r.v.causes);
    /* a run that blew up is explained by its divergence, not by "rounding amplified" */
    CHECK(!has(&r, AL_CAUSE_ROUNDING_AMPLIFIED), "causes %#x", r.v.causes);
    for (int s = 0; s < r.n - 1; s++)
        CHECK(isfinite(r.rec[s].loss_ref) && isfinite(r.rec[s].loss_acc) && !r.rec[s].diverged, "finite losses before divergence");
    done(&r);
}

/* ---- (k) frameworks and data-parallel workers ----------------------------------------------- */

TEST(workers_average_so_a_sum_loss_gives_one_over_w_and_a_scaled_mean_is_exact) {
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 4, \"workers\": 2, \"reduction\": \"sum\", \"optimizer\": {\"lr\": 0.002}}");
    CHECK_RAN(r, 4);
    if (r.ok) {
        for (int i = 0; i < r.n; i++) {
            CHECK_CLOSE(r.rec[i].same_point.norm_ratio, 0.5, 1e-5);
            CHECK(r.rec[i].group_size == 64 && r.rec[i].micro_batches == 4, "step %d: group %g, micro %g", i + 1,
                  r.rec[i].group_size, r.rec[i].micro_batches);
        }
        CHECK(has(&r, AL_CAUSE_WORLD_SIZE_AVERAGE), "causes %#x", r.v.causes);
    }
    done(&r);
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 96}, \"steps\": 4, \"workers\": 3, \"correction\": \"scale_loss\", \"model\": {\"dropout\": 0.2}, \"dropoutRng\": \"keyed\"}");
    CHECK_RAN(r, 4);
    if (r.ok) CHECK(rounding_or_better(r.v.grads) && rounding_or_better(r.v.params), "grads %d params %d", r.v.grads, r.v.params);
    done(&r);
}

TEST(syncbatchnorm_with_k_1_is_the_big_batch_per_replica_batchnorm_is_not) {
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 64}, \"steps\": 3, \"workers\": 2, \"accumSteps\": 1, \"model\": {\"norm\": \"batchnorm\"}, \"syncBatchNorm\": true}");
    CHECK_RAN(r, 3);
    if (r.ok) CHECK(rounding_or_better(r.v.grads) && !has(&r, AL_CAUSE_BATCHNORM), "grads %d causes %#x", r.v.grads, r.v.causes);
    done(&r);
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 64}, \"steps\": 3, \"workers\": 2, \"accumSteps\": 1, \"model\": {\"norm\": \"batchnorm\", \"dropout\": 0.3}}");
    CHECK_RAN(r, 3);
    if (r.ok) CHECK(r.v.grads == AL_GRADS_DIFFERENT && has(&r, AL_CAUSE_BATCHNORM), "grads %d causes %#x", r.v.grads, r.v.causes);
    done(&r);
}

TEST(frameworks_set_the_short_group_and_the_group_boundary) {
    /* 40 samples in 8 x 4: a full group and a short one of 1 micro-batch per epoch */
    run_t r = run("{\"data\": {\"name\": \"moons\", \"n\": 40}, \"steps\": 4, \"framework\": \"lightning\"}");
    CHECK_RAN(r, 4);
    if (r.ok) {
        CHECK(r.rec[1].micro_batches == 1, "step 2: %g micro-batches", r.rec[1].micro_batches);
        CHECK_CLOSE(r.rec[1].same_point.norm_ratio, 0.25, 1e-5);
        CHECK(has(&r, AL_CAUSE_UNEVEN_LAST_GROUP), "causes %#x", r.v.causes);
    }
    done(&r);
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 40}, \"steps\": 4, \"framework\": \"deepspeed\", \"workers\": 1}");
    CHECK_RAN(r, 4);
    if (r.ok) {
        for (int i = 0; i < r.n; i++) CHECK(r.rec[i].micro_batches == 4, "step %d: %g", i + 1, r.rec[i].micro_batches);
        CHECK(rounding_or_better(r.v.grads), "grads %d", r.v.grads);
    }
    done(&r);
    /* a short micro-step split unevenly across 3 replicas (50 = 5 x 9 + 5: each epoch's last micro-step holds 5 of 9) */
    r = run("{\"data\": {\"name\": \"moons\", \"n\": 50, \"maskFraction\": 0.3}, \"loss\": \"mse\", \"steps\": 4, \"batchSize\": 3, \"accumSteps\": 2, \"workers\": 3, \"framework\": \"hf_trainer\"}");
    CHECK_RAN(r, 4);
    if (r.ok) CHECK(rounding_or_better(r.v.grads), "hf_trainer with 3 workers: grads %d causes %#x", r.v.grads, r.v.causes);
    done(&r);
}

int main(void) {
    RUN(unscaled_mean_loss_gives_k_times_the_gradient);
    RUN(workers_average_so_a_sum_loss_gives_one_over_w_and_a_scaled_mean_is_exact);
    RUN(syncbatchnorm_with_k_1_is_the_big_batch_per_replica_batchnorm_is_not);
    RUN(frameworks_set_the_short_group_and_the_group_boundary);
    RUN(sum_reduction_is_equal_up_to_rounding_not_bitwise);
    RUN(scaling_the_loss_by_one_over_k_is_exact_up_to_rounding);
    RUN(scale_lr_with_sgd_gives_k_times_the_gradient_and_the_same_parameters);
    RUN(scale_lr_with_weight_decay_is_not_exact);
    RUN(dropout_stream_masks_differ_with_two_dropout_layers);
    RUN(dropout_keyed_masks_are_exact);
    RUN(dropout_stream_with_one_dropout_layer_draws_masks_in_the_same_order);
    RUN(batchnorm_differs_because_statistics_are_over_m_not_m_times_k);
    RUN(layernorm_is_per_sample_and_stays_exact);
    RUN(clipping_per_micro_batch_differs_clipping_after_accumulation_is_exact);
    RUN(scheduler_stepped_per_micro_batch_runs_k_times_too_fast);
    RUN(uneven_last_group_dividing_by_k_is_wrong_global_count_is_exact);
    RUN(variable_valid_targets_need_the_global_count);
    RUN(adam_is_nearly_scale_invariant_an_unscaled_mean_moves_it_far_less_than_sgd);
    RUN(the_same_config_twice_gives_identical_bits_in_every_record_and_vector);
    RUN(bad_configs_return_null_with_the_code_and_field);
    RUN(an_init_of_the_right_length_is_used_as_given);
    RUN(the_data_and_epoch_orders_an_export_reads_are_the_runs_own);
    RUN(stepping_past_the_end_returns_done_and_leaves_the_record_alone);
    RUN(a_divergent_run_ends_with_the_step_and_verdict_diverged);
    return check_summary("experiment");
}
