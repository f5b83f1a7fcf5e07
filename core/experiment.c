/* core/experiment.c — the experiment: creation (one arena for everything), one optimizer
 * step of both runs, and the comparison. The data and batches are batches.c's; the
 * categories, causes and verdict verdict.c's. Sizes as in experiment_internal.h.
 * Nothing allocates inside the training loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "experiment_internal.h"
#include "compare.h"
#include "layers.h"
#include "losses.h"

/* ---- creation ----------------------------------------------------------------------- */

/* Hands out 16-byte aligned blocks of an arena; with base NULL it only counts, so sizing
 * the arena and pointing into it are one walk (lay_out) and cannot disagree. */
typedef struct { unsigned char *base; size_t used; } arena_cursor;

static void *take(arena_cursor *a, size_t bytes) {
    void *r = a->base ? a->base + a->used : NULL;
    a->used += (bytes + 15) & ~(size_t)15;
    return r;
}

static int check_batch(al_experiment *e, al_error *err) {
    const al_config *c = &e->cfg;
    if (e->m > e->N)
        return al_fail(err, AL_ERR_RANGE, "batchSize", "batchSize %d is larger than the data (%d samples)", e->m, e->N);
    if (c->last_group == AL_LAST_DROP && e->G > e->N)
        return al_fail(err, AL_ERR_RANGE, "accumSteps",
                       "with lastGroup drop, batchSize x accumSteps = %d must not exceed the data (%d samples)", e->G, e->N);
    if (c->norm == AL_NORM_BATCH) {
        int r = e->N % e->G, last_micro = c->last_group == AL_LAST_KEEP && r ? r % e->m : 0;
        if (e->m < 2 || last_micro == 1)
            return al_fail(err, AL_ERR_RANGE, "batchSize",
                           "batchnorm needs at least 2 samples per micro-batch in training mode (as PyTorch); %s",
                           e->m < 2 ? "batchSize is 1" : "the last micro-batch of each epoch has 1 sample");
    }
    return AL_OK;
}

static void run_lay_out(al_run *r, arena_cursor *a, const al_experiment *e) {
    const al_optimizer_settings *o = &e->cfg.optimizer;
    long P = e->model.P, Rn = 2L * (e->model.L - 1) * e->model.max_width;
    int need1 = o->name != AL_OPT_SGD || o->momentum != 0.0, need2 = o->name != AL_OPT_SGD;
    r->params = take(a, sizeof(float) * P);
    r->grads = take(a, sizeof(float) * P);
    r->opt.buf1 = need1 ? take(a, sizeof(float) * P) : 0;
    r->opt.buf2 = need2 ? take(a, sizeof(float) * P) : 0;
    r->running = Rn ? take(a, sizeof(float) * Rn) : 0;
}

/* Every buffer of the experiment, in one walk; returns the bytes (a->base NULL: count only). */
static size_t lay_out(al_experiment *e, arena_cursor *a, const al_data_facts *f) {
    const al_config *c = &e->cfg;
    size_t fl = sizeof(float), NT = (size_t)f->N * e->T, N_raw = (size_t)f->N * f->raw_T;
    e->x = take(a, fl * f->N * f->IN);
    e->y = take(a, fl * NT);
    e->mask = c->data.mask || c->data.mask_fraction > 0.0 ? take(a, fl * NT) : 0;
    e->raw = take(a, fl * N_raw);
    e->raw_mask = c->data.mask ? take(a, fl * N_raw) : 0;
    e->perm = take(a, sizeof(int) * f->N);
    e->gx = take(a, fl * e->G * f->IN);
    e->gy = take(a, fl * e->G * e->T);
    e->gmask = take(a, fl * e->G * e->T);
    e->gids = take(a, sizeof(int) * e->G);
    e->dy = take(a, fl * e->G * e->OUT);
    e->init = take(a, fl * e->model.P);
    float *acts = take(a, fl * al_acts_floats(&e->model, e->G));
    if (a->base) al_acts_bind(&e->acts, &e->model, e->G, acts);
    run_lay_out(&e->ref, a, e);
    run_lay_out(&e->acc, a, e);
    return a->used;
}

static void run_init(al_run *r, const al_experiment *e) {
    long P = e->model.P;
    memcpy(r->params, e->init, sizeof(float) * P);
    al_zero(r->grads, P);
    if (r->opt.buf1) al_zero(r->opt.buf1, P);
    if (r->opt.buf2) al_zero(r->opt.buf2, P);
    r->opt.t = 0;
    for (int l = 0; l < e->model.L - 1; l++) { /* running mean 0, running var 1 */
        float *rm = r->running + (long)l * 2 * e->model.max_width;
        for (int h = 0; h < e->model.max_width; h++) { rm[h] = 0.0f; rm[e->model.max_width + h] = 1.0f; }
    }
    al_rng_stream(&r->dropout, e->cfg.seed, AL_STREAM_DROPOUT);
    r->sched_t = 0;
}

/* The model from the settled sizes; checks dropout per layer, the parameter limit and init. */
static int build_model(al_experiment *e, al_error *err) {
    al_config *c = &e->cfg;
    int hidden = c->n_sizes - 2;
    float dropout[AL_MAX_LAYERS] = {0};
    if (c->n_dropout && c->n_dropout != hidden)
        return al_fail(err, AL_ERR_SHAPE, "model.dropout", "model.dropout has %d values but the model has %d hidden layers",
                       c->n_dropout, hidden);
    for (int l = 0; l < hidden; l++) dropout[l] = c->n_dropout ? c->dropout[l] : c->dropout[0];
    long P = al_model_layout(&e->model, c->sizes, c->n_sizes, c->activation, c->norm, dropout);
    if (P > AL_MAX_PARAMS)
        return al_fail(err, AL_ERR_LIMIT, "model.sizes", "the model has %ld parameters; the limit is %d", P, AL_MAX_PARAMS);
    if (c->init && (long)c->init_len != P)
        return al_fail(err, AL_ERR_SHAPE, "init", "init has %zu numbers but the model has %ld parameters", c->init_len, P);
    return AL_OK;
}

/* After creation the config's arrays point into the arena (the data is held once) and
 * stay readable for the effective config (al_experiment_config_json). */
static void borrow_arrays(al_experiment *e) {
    al_config *c = &e->cfg;
    int explicit_data = c->data.name == AL_DATA_EXPLICIT, given_init = c->init != NULL;
    size_t init_len = c->init_len;
    al_config_free(c);
    if (explicit_data) {
        c->data.inputs = e->x;
        c->data.targets = e->raw;
        c->data.mask = e->raw_mask;
    }
    if (given_init) { c->init = e->init; c->init_len = init_len; }
    c->borrowed = 1;
}

al_experiment *al_experiment_create(const char *json, size_t len, al_error *err) {
    if (err) { err->code = AL_OK; err->field[0] = err->message[0] = 0; }
    if (!json && len) { al_fail(err, AL_ERR_STATE, "", "no config text"); return 0; }
    al_experiment *e = calloc(1, sizeof *e);
    if (!e) { al_fail(err, AL_ERR_MEMORY, "", "out of memory"); return 0; }
    if (al_config_parse(&e->cfg, json ? json : "", len, err) != AL_OK) { free(e); return 0; }
    al_config *c = &e->cfg;
    al_data_facts f;
    al_data_facts_of(&f, c);
    if (al_fit_model_to_data(e, &f, err) != AL_OK || build_model(e, err) != AL_OK) goto fail;
    e->N = f.N; e->IN = f.IN; e->OUT = c->sizes[c->n_sizes - 1];
    e->m = c->batch_size; e->k = c->accum_steps; e->G = e->m * e->k;
    if (check_batch(e, err) != AL_OK) goto fail;
    e->groups_per_epoch = c->last_group == AL_LAST_KEEP ? (e->N + e->G - 1) / e->G : e->N / e->G;
    e->total_steps = c->steps;
    if (c->schedule.t_max == 0) c->schedule.t_max = c->steps;

    arena_cursor a = {NULL, 0};
    size_t bytes = lay_out(e, &a, &f);
    if (bytes > AL_MAX_ARENA_BYTES) {
        al_fail(err, AL_ERR_LIMIT, "model.sizes", "this experiment needs %zu MiB; the limit is %u MiB",
                bytes >> 20, AL_MAX_ARENA_BYTES >> 20);
        goto fail;
    }
    a.base = e->arena = malloc(bytes);
    a.used = 0;
    if (!a.base) { al_fail(err, AL_ERR_MEMORY, "", "could not allocate %zu MiB for the experiment", bytes >> 20); goto fail; }
    lay_out(e, &a, &f);
    al_fill_data(e, &f);
    if (c->init) memcpy(e->init, c->init, sizeof(float) * e->model.P);
    else al_model_init(e->init, &e->model, c->seed);
    run_init(&e->ref, e);
    run_init(&e->acc, e);
    e->perm_epoch = -1;
    if (al_check_masks(e, err) != AL_OK) goto fail;
    borrow_arrays(e);
    e->params_close = 1;
    e->v.k = e->k;
    e->v.grads = AL_GRADS_BITWISE;
    e->v.params = AL_PARAMS_BITWISE;
    return e;
fail:
    al_config_free(&e->cfg);
    free(e->arena);
    free(e);
    return 0;
}

void al_experiment_free(al_experiment *e) {
    if (!e) return;
    free(e->arena);
    free(e);
}

/* ---- one step ------------------------------------------------------------------------ */

/* Forward, loss and backward of the samples [off, off+B) of the group; returns S. */
static double forward_backward(al_experiment *e, al_run *r, int off, int B, float scale, long step) {
    al_mask_source ms = {e->cfg.dropout_rng, &r->dropout, e->cfg.seed, step, e->gids + off};
    const float *x = e->gx + (long)off * e->IN;
    const float *out = al_model_forward(&e->acts, r->running, &ms, x, r->params, &e->model, B);
    double S = al_loss_forward_backward(e->dy, e->acts.scratch, out, e->gy + (long)off * e->T,
                                        e->mask ? e->gmask + (long)off * e->T : 0, e->cfg.loss, scale,
                                        B, e->OUT, e->T);
    al_model_backward(r->grads, &e->acts, e->dy, x, r->params, &e->model, B);
    return S;
}

/* What a run does before the first of its `passes` micro-batches of an optimizer step: zero
 * its gradients (optimizer.zero_grad()) and have its weights packed anew for the GEMMs (by
 * the first micro-batch). The parameters do not change until al_optim_step ends the step, so
 * every micro-batch of the step uses those packs; both runs share the packing buffers, and
 * each run's step starts here, so neither uses the other's packs or last step's. */
static void begin_step(al_experiment *e, al_run *r, int passes) {
    al_zero(r->grads, e->model.P);
    al_model_repack(&e->acts, &e->model, passes);
}

static double base_lr(const al_config *c, long t) {
    return al_schedule_lr(&c->schedule, c->optimizer.lr, t);
}

/* The reference run: one backward over the whole group. */
static void step_reference(al_experiment *e, al_step_record *rec, long s, int size, double count) {
    const al_config *c = &e->cfg;
    al_run *r = &e->ref;
    long P = e->model.P;
    begin_step(e, r, 1);
    float scale = c->reduction == AL_REDUCTION_MEAN ? (float)(1.0 / count) : 1.0f;
    rec->loss_ref = forward_backward(e, r, 0, size, scale, s) / count;
    /* without clipping, the norm comes from the comparison's sums (al_experiment_step) */
    if (c->clip_grad_norm > 0) rec->grad_norm_ref = al_clip_grad_norm(r->grads, P, c->clip_grad_norm);
    r->sched_t++;
    rec->lr_ref = base_lr(c, s); /* one micro-batch per step: either stepping gives t = s */
    al_optim_step(r->params, r->grads, &r->opt, &c->optimizer, rec->lr_ref, P);
}

/* The accumulated run: micro-batches of m, each backward adding into the gradients. */
static void step_accumulated(al_experiment *e, al_step_record *rec, long s, int size, double count) {
    const al_config *c = &e->cfg;
    al_run *r = &e->acc;
    long P = e->model.P;
    int J = (size + e->m - 1) / e->m, per_micro = c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH;
    double S = 0.0, first_count = -1.0, norm = 0.0;
    begin_step(e, r, J);
    for (int j = 0; j < J; j++) {
        int off = j * e->m, B = size - off < e->m ? size - off : e->m;
        double n_j = al_loss_count(e->mask ? e->gmask + (long)off * e->T : 0, B, e->T);
        if (first_count < 0) first_count = n_j;
        else if (n_j != first_count) e->seen.unequal_counts = 1;
        if (B != e->m) e->seen.uneven = 1;
        double base = c->reduction == AL_REDUCTION_MEAN ? (n_j > 0 ? 1.0 / n_j : 0.0) : 1.0;
        double scale = c->correction == AL_CORR_SCALE_LOSS ? base / e->k
                     : c->correction == AL_CORR_GLOBAL_COUNT ? 1.0 / count : base;
        S += forward_backward(e, r, off, B, (float)scale, s);
        if (per_micro) {
            norm = al_clip_grad_norm(r->grads, P, c->clip_grad_norm);
            if (norm + 1e-6 > c->clip_grad_norm) e->seen.clip_acc = 1;
        }
        r->sched_t++;
    }
    if (J < e->k) e->seen.uneven = 1;
    rec->loss_acc = S / count;
    rec->micro_batches = J;
    if (per_micro) rec->grad_norm_acc = norm;
    else if (c->clip_grad_norm > 0) rec->grad_norm_acc = al_clip_grad_norm(r->grads, P, c->clip_grad_norm);
    long t = c->scheduler_stepping == AL_SCHED_PER_MICRO_BATCH ? r->sched_t - 1 : s;
    rec->lr_acc = base_lr(c, t) / (c->correction == AL_CORR_SCALE_LR ? e->k : 1);
    if (base_lr(c, t) != rec->lr_ref) e->seen.lr_differ = 1;
    al_optim_step(r->params, r->grads, &r->opt, &c->optimizer, rec->lr_acc, P);
}

int al_experiment_step(al_experiment *e, al_step_record *rec, al_error *err) {
    if (!e) return al_fail(err, AL_ERR_STATE, "", "no experiment");
    if (!rec) return al_fail(err, AL_ERR_STATE, "", "no record to fill");
    if (e->step >= e->total_steps || e->v.diverged_step) return AL_DONE;
    long s = e->step, P = e->model.P;
    memset(rec, 0, sizeof *rec);
    int size = al_gather_group(e, s);
    double count = al_loss_count(e->mask ? e->gmask : 0, size, e->T);
    if (count == 0.0) /* cannot happen after check_masks; kept as a guard */
        return al_fail(err, AL_ERR_SHAPE, "data.mask", "the group of step %ld has no valid target", s + 1);
    rec->step = (double)(s + 1);
    rec->group_size = size;
    if (size < e->G) e->seen.uneven = 1;
    step_reference(e, rec, s, size, count);
    step_accumulated(e, rec, s, size, count);
    e->step++;
    /* one pass over each pair: the metrics, the gradient norms and the finiteness check */
    double norm_acc, norm_ref;
    int finite = al_compare_norms(&rec->grad, &norm_acc, &norm_ref, e->acc.grads, e->ref.grads, P, e->cfg.rtol, e->cfg.atol);
    finite &= al_compare_norms(&rec->params, 0, 0, e->acc.params, e->ref.params, P, e->cfg.rtol, e->cfg.atol);
    if (!(e->cfg.clip_grad_norm > 0)) { rec->grad_norm_ref = norm_ref; rec->grad_norm_acc = norm_acc; }
    if (!isfinite(rec->loss_ref) || !isfinite(rec->loss_acc) || !finite) {
        e->v.diverged_step = (int)(s + 1);
        e->v.params = AL_PARAMS_DIVERGED;
        return AL_DONE;
    }
    rec->grad_category = al_grad_category(&rec->grad, e->cfg.rtol);
    al_fold_verdict(e, rec);
    return AL_OK;
}

/* ---- accessors ----------------------------------------------------------------------- */

int al_experiment_total_steps(const al_experiment *e) { return e ? e->total_steps : 0; }
long al_experiment_param_count(const al_experiment *e) { return e ? e->model.P : 0; }

const float *al_experiment_vector(const al_experiment *e, int which) {
    if (!e) return 0;
    switch (which) {
    case AL_VEC_INIT: return e->init;
    case AL_VEC_PARAMS_REF: return e->ref.params;
    case AL_VEC_PARAMS_ACC: return e->acc.params;
    case AL_VEC_GRAD_REF: return e->ref.grads;
    case AL_VEC_GRAD_ACC: return e->acc.grads;
    default: return 0;
    }
}

long al_experiment_config_json(const al_experiment *e, char *buf, long cap) {
    if (!e) return 0;
    al_out o;
    al_out_init(&o, buf, cap > 0 ? (size_t)cap : 0);
    al_config_write(&e->cfg, &o);
    return (long)al_out_finish(&o);
}

int al_sizeof_error(void) { return (int)sizeof(al_error); }
int al_sizeof_record(void) { return (int)sizeof(al_step_record); }
int al_sizeof_verdict(void) { return (int)sizeof(al_verdict); }
