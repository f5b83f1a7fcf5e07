/* core/verdict.c — each step's gradient category, the verdict folded step by step, and the
 * causes: which of them a config explains (al_causes_of, the one rule for both the run's
 * verdict and al_config_causes, which predicts without running), and their ids.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "experiment_internal.h"

/* The causes in the order they are explained (what breaks equivalence first, then what
 * softens it, then rounding), with the ids the binding and the docs use. */
static const struct { int bit; const char *id; } CAUSES[] = {
    {AL_CAUSE_DIVERGED, "diverged"},
    /* what breaks equivalence */
    {AL_CAUSE_MEAN_UNSCALED, "mean_unscaled"},
    {AL_CAUSE_SUM_SCALED, "sum_scaled"},
    {AL_CAUSE_WORLD_SIZE_AVERAGE, "world_size_average"},
    {AL_CAUSE_SCALE_LR, "scale_lr"},
    {AL_CAUSE_SCALE_LR_WEIGHT_DECAY, "scale_lr_weight_decay"},
    {AL_CAUSE_SCALE_LR_ADAM, "scale_lr_adam"},
    {AL_CAUSE_DROPOUT_STREAM, "dropout_stream"},
    {AL_CAUSE_BATCHNORM, "batchnorm"},
    {AL_CAUSE_CLIP_PER_MICRO_BATCH, "clip_per_micro_batch"},
    {AL_CAUSE_SCHEDULER_PER_MICRO_BATCH, "scheduler_per_micro_batch"},
    {AL_CAUSE_SCHEDULER_STEPS_MULTIPLIED, "scheduler_steps_multiplied"},
    {AL_CAUSE_UNEVEN_LAST_GROUP, "uneven_last_group"},
    {AL_CAUSE_VARIABLE_TARGETS, "variable_targets"},
    {AL_CAUSE_SCALER_PER_MICRO_BATCH, "scaler_per_micro_batch"},
    {AL_CAUSE_LOSS_SCALE_OVERFLOW, "loss_scale_overflow"},
    {AL_CAUSE_GRAD_UNDERFLOW, "grad_underflow"},
    {AL_CAUSE_LOW_PRECISION_ACCUMULATION, "low_precision_accumulation"},
    /* what hides or softens it */
    {AL_CAUSE_CLIP_MASKS, "clip_masks"},
    {AL_CAUSE_ADAM_SCALE, "adam_scale"},
    /* rounding */
    {AL_CAUSE_ZERO_TOLERANCE, "zero_tolerance"},
    {AL_CAUSE_ROUNDING_AMPLIFIED, "rounding_amplified"},
    {AL_CAUSE_SUMMATION_ORDER, "summation_order"},
};

int al_cause_count(void) { return (int)(sizeof CAUSES / sizeof *CAUSES); }
const char *al_cause_id(int i, int *bit) {
    if (i < 0 || i >= al_cause_count()) return 0;
    if (bit) *bit = CAUSES[i].bit;
    return CAUSES[i].id;
}

/* Equal up to rounding: allclose, or a norm-wise difference within rtol (see accumlab.h). */
static int rounding_close(const al_metrics *m, double rtol) {
    return m->allclose || m->rel_norm_diff <= rtol;
}

int al_grad_category(const al_metrics *g, double rtol) {
    if (g->bitwise) return AL_GRADS_BITWISE;
    if (rounding_close(g, rtol)) return AL_GRADS_ROUNDING;
    if (g->scaled_residual <= rtol && fabs(g->scale - 1.0) > 1e-3) return AL_GRADS_SCALED;
    return AL_GRADS_DIFFERENT;
}

/* The factor of a scaled step: where clipping hid it, the ratio of the unclipped norms. */
static double step_factor(const al_step_record *rec) {
    return rec->clipped ? rec->unclipped_norm_ratio : rec->same_point.scale;
}

/* Folds one step into the verdict: its gradients when they were judged (finite; not on a
 * step the scaler skipped), always its parameters. Gradients are judged at the same point on
 * every such step, so the lesson (k×, rounding, masks) holds at every step, not only while
 * the runs' parameters agree. */
void al_fold_verdict(al_experiment *e, const al_step_record *rec) {
    al_verdict *v = &e->v;
    int cat = (int)rec->grad_category;
    double rtol = e->cfg.rtol;
    if (cat == AL_GRADS_UNJUDGED) goto params; /* a skipped step: nothing to judge the gradients on */
    if (cat >= AL_GRADS_SCALED && !v->first_different_step) v->first_different_step = (int)rec->step;
    if (v->judged_steps == 0) {
        v->grads = cat;
        v->factor = step_factor(rec);
    } else if (cat == AL_GRADS_SCALED || v->grads == AL_GRADS_SCALED) {
        int same = cat == v->grads && fabs(step_factor(rec) / v->factor - 1.0) <= 1e-3;
        if (!same) v->grads = AL_GRADS_DIFFERENT;
    } else if (cat > v->grads) {
        v->grads = cat;
    }
    v->judged_steps++;
params:;
    int pc = rec->params.bitwise ? AL_PARAMS_BITWISE
           : rounding_close(&rec->params, rtol) ? AL_PARAMS_ROUNDING : AL_PARAMS_DIFFERENT;
    if (pc > v->params) v->params = pc;
    if (cat >= AL_GRADS_SCALED && cat != AL_GRADS_UNJUDGED) e->saw_grads_off = 1;
    v->steps_done = (int)rec->step;
}

int al_causes_of(const al_config *c, int hidden_dropout, const al_signs *s) {
    int k1 = c->accum_steps > 1, causes = 0;
    int mean = c->reduction == AL_REDUCTION_MEAN, adam = c->optimizer.name != AL_OPT_SGD;
    if (mean && c->correction == AL_CORR_NONE && k1) causes |= AL_CAUSE_MEAN_UNSCALED;
    if (c->correction == AL_CORR_SCALE_LR && k1) {
        if (mean) causes |= AL_CAUSE_SCALE_LR;
        if (c->optimizer.weight_decay > 0) causes |= AL_CAUSE_SCALE_LR_WEIGHT_DECAY;
        if (adam) causes |= AL_CAUSE_SCALE_LR_ADAM;
    }
    if (adam && mean && c->correction == AL_CORR_NONE && k1) causes |= AL_CAUSE_ADAM_SCALE;
    if (!mean && c->correction != AL_CORR_NONE) causes |= AL_CAUSE_SUM_SCALED;
    if (c->dropout_rng == AL_RNG_STREAM && hidden_dropout > 1 && k1) causes |= AL_CAUSE_DROPOUT_STREAM;
    int W1 = c->workers > 1, global_count = c->correction == AL_CORR_GLOBAL_COUNT;
    if (W1 && !mean && !global_count) causes |= AL_CAUSE_WORLD_SIZE_AVERAGE;
    /* statistics over a replica's micro-batch (all replicas' with SyncBatchNorm), not the group */
    if (c->norm == AL_NORM_BATCH && (k1 || (W1 && !c->sync_batchnorm))) causes |= AL_CAUSE_BATCHNORM;
    if (s->clip_acc && k1) causes |= AL_CAUSE_CLIP_PER_MICRO_BATCH;
    if (s->lr_differ && c->scheduler_stepping == AL_SCHED_PER_MICRO_BATCH) causes |= AL_CAUSE_SCHEDULER_PER_MICRO_BATCH;
    if (s->lr_differ && c->scheduler_steps > 1) causes |= AL_CAUSE_SCHEDULER_STEPS_MULTIPLIED;
    /* a short group of whole micro-batches divided by its own number of them is exact */
    int short_group_exact = c->correction == AL_CORR_SCALE_LOSS && c->last_group_divisor == AL_DIVISOR_MICRO_BATCHES && !s->mixed_micro;
    if (s->uneven && mean && !global_count && !short_group_exact) causes |= AL_CAUSE_UNEVEN_LAST_GROUP;
    if (s->unequal_counts && mean && !global_count) causes |= AL_CAUSE_VARIABLE_TARGETS;
    if (s->unequal_worker_counts && global_count && W1 && !c->count_across_workers) causes |= AL_CAUSE_VARIABLE_TARGETS;
    int scaling = c->loss_scale.mode != AL_SCALE_NONE;
    if (scaling && c->scaler_update == AL_SCALER_PER_MICRO_BATCH && k1) causes |= AL_CAUSE_SCALER_PER_MICRO_BATCH;
    if (s->skipped) causes |= AL_CAUSE_LOSS_SCALE_OVERFLOW;
    if (s->underflow) causes |= AL_CAUSE_GRAD_UNDERFLOW;
    if (c->grad_dtype != AL_DTYPE_FP32) causes |= AL_CAUSE_LOW_PRECISION_ACCUMULATION;
    if (s->clip_masked) causes |= AL_CAUSE_CLIP_MASKS;
    return causes;
}

static int dropout_layers(const al_model *m) {
    int n = 0;
    for (int l = 0; l < m->L - 1; l++) n += m->dropout[l] > 0.0f;
    return n;
}

void al_experiment_verdict(const al_experiment *e, al_verdict *out) {
    if (!e || !out) return;
    *out = e->v;
    if (e->v.judged_steps == 0 && e->v.steps_done > 0) out->grads = AL_GRADS_UNJUDGED; /* nothing to judge them on */
    int differs = e->saw_grads_off || e->v.params >= AL_PARAMS_DIFFERENT, causes = 0;
    if (differs) {
        causes = al_causes_of(&e->cfg, dropout_layers(&e->model), &e->seen);
        /* the same gradients up to rounding at every step, yet the parameters parted: the
         * optimizer (Adam normalising rounding residuals) or unstable training grew the
         * rounding; only when nothing else explains it, and not for a run that blew up */
        if (causes == 0 && !e->v.diverged_step && e->v.judged_steps > 0 && e->v.grads <= AL_GRADS_ROUNDING)
            causes |= AL_CAUSE_ROUNDING_AMPLIFIED;
        /* nothing breaks equivalence, but with no tolerance at all the rounding of a different
         * summation order is itself "different": say so rather than name nothing */
        if (causes == 0 && !e->v.diverged_step && e->cfg.rtol == 0.0 && e->cfg.atol == 0.0)
            causes |= AL_CAUSE_ZERO_TOLERANCE;
    } else if (e->v.grads == AL_GRADS_ROUNDING || e->v.params == AL_PARAMS_ROUNDING) {
        causes |= AL_CAUSE_SUMMATION_ORDER;
    }
    if (e->v.diverged_step) causes |= AL_CAUSE_DIVERGED;
    out->causes = causes;
}

/* What the config makes happen, without running: an uneven group (the data does not split
 * into whole groups and micro-batches), unequal target counts (a mask, k > 1), clipping of
 * partial sums, learning rates that part (a schedule stepped per micro-batch). */
static al_signs predicted_signs(const al_config *c, int N) {
    al_signs s;
    memset(&s, 0, sizeof s);
    int m = c->batch_size, k = c->accum_steps, Wm = c->workers * m, G = Wm * k, keep = c->last_group == AL_LAST_KEEP;
    int masked = c->data.mask_fraction > 0 || c->data.mask != NULL;
    int W = c->workers;
    if (c->group_boundary == AL_BOUNDARY_GLOBAL) { /* every group has k micro-steps; an epoch's last can be short */
        int L = keep ? N % Wm : 0;
        s.uneven = s.short_micro = L != 0;
        s.mixed_micro = L != 0 && (k > 1 || (L / W > 0 && L % W != 0));
    } else {
        int r = keep ? N % G : 0, L = r % Wm;
        s.uneven = r != 0;
        s.short_micro = L != 0;
        /* the last group mixes full micro-batches with its short one, or the replicas' shares differ */
        s.mixed_micro = L != 0 && (r > Wm || (L / W > 0 && L % W != 0));
    }
    s.unequal_counts = (k > 1 || c->workers > 1) && masked;
    s.unequal_worker_counts = c->workers > 1 && masked;
    s.clip_acc = c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH;
    s.underflow = c->grad_dtype == AL_DTYPE_FP16 && c->loss_scale.mode == AL_SCALE_NONE; /* likely, not certain */
    s.lr_differ = c->schedule.name != AL_SCHED_CONSTANT &&
                  ((k > 1 && c->scheduler_stepping == AL_SCHED_PER_MICRO_BATCH) || c->scheduler_steps > 1);
    return s;
}

int al_config_causes(const char *json, size_t len, int32_t *causes, al_error *err) {
    al_config c;
    int rc = al_config_parse(&c, json, len, err);
    if (rc != AL_OK) return rc;
    al_data_facts f;
    al_data_facts_of(&f, &c);
    int hidden = c.n_sizes ? c.n_sizes - 2 : c.n_hidden, with_dropout = 0;
    for (int l = 0; l < hidden; l++) with_dropout += (c.n_dropout ? c.dropout[l < c.n_dropout ? l : 0] : c.dropout[0]) > 0.0f;
    al_signs s = predicted_signs(&c, f.N);
    if (causes) *causes = al_causes_of(&c, with_dropout, &s); /* clip_masks is what a run shows, never predicted */
    al_config_free(&c);
    return AL_OK;
}
