/* core/experiment.c — the experiment: data, two runs, one step of each, the comparison.
 *
 * Sizes: N samples, IN inputs, T target values per sample, OUT outputs, P parameters,
 * m micro-batch, k accumulation steps, G = m·k samples per optimizer step (fewer in an
 * uneven last group). Everything lives in one arena allocated at creation: nothing
 * allocates inside the training loop.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "accumlab.h"
#include "compare.h"
#include "config.h"
#include "layers.h"
#include "losses.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

typedef struct {
    float *params;        /* (P) */
    float *grads;         /* (P) what p.grad holds */
    al_optim_state opt;
    float *running;       /* (2·(L-1)·max_width) batchnorm running mean, var */
    al_rng dropout;       /* this run's own generator, seeded like the other's */
    long sched_t;         /* scheduler.step() calls so far */
} al_run;

struct al_experiment {
    al_config cfg;
    al_model model;
    int N, IN, T, OUT, m, k, G, groups_per_epoch, total_steps, step;
    float *x;             /* (N, IN) */
    float *y;             /* (N, T) */
    float *mask;          /* (N, T) or NULL */
    int *perm;            /* (N) this epoch's order */
    long perm_epoch;
    float *gx, *gy, *gmask; /* (G, IN), (G, T), (G, T): this step's group, gathered */
    int *gids;            /* (G) dataset index of each sample of the group */
    float *dy;            /* (G, OUT) */
    float *init;          /* (P) */
    al_acts acts;
    al_run ref, acc;
    void *arena;
    /* verdict, built up step by step */
    al_verdict v;
    int params_close;     /* the parameters going into the next step are allclose */
    int first_category;   /* AL_GRADS_* of step 1 */
    int saw_uneven, saw_unequal_counts, saw_clip_acc, saw_lr_differ, saw_grads_off;
};

/* ---- data ------------------------------------------------------------------------- */

typedef struct { int N, IN, raw_T, classes; } data_facts;

static int data_facts_of(data_facts *f, const al_config *c) {
    if (c->data.name == AL_DATA_EXPLICIT) {
        f->N = c->data.rows;
        f->IN = c->data.in_dim;
        f->raw_T = c->data.target_dim;
        f->classes = 0;
        if (c->data.class_targets)
            for (int i = 0; i < f->N; i++)
                if ((int)c->data.targets[i] + 1 > f->classes) f->classes = (int)c->data.targets[i] + 1;
        return AL_OK;
    }
    al_data_shape s = al_dataset_shape(c->data.name);
    f->N = c->data.n;
    f->IN = s.inputs;
    f->raw_T = s.targets;
    f->classes = s.classes;
    return AL_OK;
}

static int is_class_data(const al_config *c, const data_facts *f) {
    return c->data.name == AL_DATA_EXPLICIT ? c->data.class_targets : f->classes > 0;
}

static const char *data_label(const al_config *c) {
    static const char *names[] = {"seed_example", "regression", "moons", "circles", "xor",
                                  "spirals", "gaussians", "digits", "explicit data"};
    return names[c->data.name];
}

/* Settles loss, model sizes and T against the data. */
static int fit_model_to_data(al_config *c, const data_facts *f, int *sizes, int *n_sizes, int *T, al_error *err) {
    int classes = is_class_data(c, f);
    if (!c->loss_given) c->loss = classes ? AL_LOSS_CROSS_ENTROPY : AL_LOSS_MSE;
    if (c->loss == AL_LOSS_CROSS_ENTROPY && !classes)
        return al_fail(err, AL_ERR_SHAPE, "loss",
                       "loss cross_entropy needs class-index targets, but %s has real-valued targets; use mse, l1 or bce",
                       data_label(c));
    int out_default = classes ? (f->classes > 1 ? f->classes : 2) : f->raw_T;
    if (c->n_sizes) {
        *n_sizes = c->n_sizes;
        memcpy(sizes, c->sizes, sizeof(int) * c->n_sizes);
    } else {
        *n_sizes = 4;
        sizes[0] = f->IN; sizes[1] = 16; sizes[2] = 16; sizes[3] = out_default;
    }
    int OUT = sizes[*n_sizes - 1];
    if (sizes[0] != f->IN)
        return al_fail(err, AL_ERR_SHAPE, "model.sizes[0]",
                       "model.sizes[0] must be the number of inputs of %s (%d), got %d", data_label(c), f->IN, sizes[0]);
    if (classes) {
        if (c->data.name != AL_DATA_EXPLICIT && OUT != f->classes)
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "the last entry of model.sizes must be %d (the classes of %s), got %d",
                           f->classes, data_label(c), OUT);
        if (f->classes > OUT)
            return al_fail(err, AL_ERR_RANGE, "data.targets",
                           "class targets must be below the %d outputs of the model, got class %d", OUT, f->classes - 1);
        if (c->loss == AL_LOSS_CROSS_ENTROPY && OUT < 2)
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "cross_entropy needs at least 2 outputs, got %d", OUT);
        *T = c->loss == AL_LOSS_CROSS_ENTROPY ? 1 : OUT; /* other losses see one-hot targets */
    } else {
        if (OUT != f->raw_T)
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "the last entry of model.sizes must be %d (the targets per sample of %s), got %d",
                           f->raw_T, data_label(c), OUT);
        *T = f->raw_T;
    }
    return AL_OK;
}

/* Fills x, y (one-hot where needed) and mask from the config. raw: (N, raw_T) scratch. */
static void fill_data(al_experiment *e, const data_facts *f, float *raw) {
    const al_config *c = &e->cfg;
    const float *src_y = raw;
    if (c->data.name == AL_DATA_EXPLICIT) {
        memcpy(e->x, c->data.inputs, sizeof(float) * (size_t)f->N * f->IN);
        src_y = c->data.targets;
    } else {
        al_dataset_make(c->data.name, f->N, c->data.noise, c->seed, e->x, raw);
    }
    int one_hot = is_class_data(c, f) && e->T > 1;
    for (int i = 0; i < f->N; i++) {
        if (one_hot) {
            for (int t = 0; t < e->T; t++) e->y[(long)i * e->T + t] = (int)src_y[i] == t ? 1.0f : 0.0f;
        } else {
            memcpy(e->y + (long)i * e->T, src_y + (long)i * f->raw_T, sizeof(float) * f->raw_T);
        }
    }
    if (!e->mask) return;
    if (c->data.mask) { /* explicit mask (N, raw_T); a class sample's mask covers its one-hot row */
        for (int i = 0; i < f->N; i++)
            for (int t = 0; t < e->T; t++)
                e->mask[(long)i * e->T + t] = c->data.mask[(long)i * f->raw_T + (one_hot ? 0 : t)];
    } else {            /* maskFraction: each target value masked out independently */
        al_rng r;
        al_rng_stream(&r, c->seed, AL_STREAM_MASK);
        for (long i = 0; i < (long)f->N * e->T; i++)
            e->mask[i] = al_rng_uniform(&r) < (float)c->data.mask_fraction ? 0.0f : 1.0f;
    }
}

/* The order of epoch `epoch`: identity, or a Fisher-Yates shuffle seeded by (seed, epoch). */
static void epoch_order(int *perm, int N, const al_config *c, long epoch) {
    for (int i = 0; i < N; i++) perm[i] = i;
    if (!c->data.shuffle) return;
    al_rng r;
    al_rng_stream(&r, c->seed ^ al_mix64((uint64_t)epoch + 1), AL_STREAM_SHUFFLE);
    for (int i = N - 1; i > 0; i--) {
        int j = (int)al_rng_below(&r, (uint32_t)i + 1);
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
}

/* Gathers the group of step s into gx, gy, gmask, gids; returns its size. */
static int gather_group(al_experiment *e, long s) {
    long epoch = s / e->groups_per_epoch;
    int g = (int)(s % e->groups_per_epoch);
    if (epoch != e->perm_epoch) { epoch_order(e->perm, e->N, &e->cfg, epoch); e->perm_epoch = epoch; }
    int start = g * e->G, size = e->N - start < e->G ? e->N - start : e->G;
    for (int i = 0; i < size; i++) {
        int id = e->perm[start + i];
        e->gids[i] = id;
        memcpy(e->gx + (long)i * e->IN, e->x + (long)id * e->IN, sizeof(float) * e->IN);
        memcpy(e->gy + (long)i * e->T, e->y + (long)id * e->T, sizeof(float) * e->T);
        if (e->mask) memcpy(e->gmask + (long)i * e->T, e->mask + (long)id * e->T, sizeof(float) * e->T);
    }
    return size;
}

/* Every group the run will see must have a valid target (a mean over none is 0/0). */
static int check_masks(al_experiment *e, al_error *err) {
    if (!e->mask) return AL_OK;
    for (long s = 0; s < e->total_steps; s++) {
        if (!e->cfg.data.shuffle && s >= e->groups_per_epoch) break; /* same groups every epoch */
        int size = gather_group(e, s);
        if (al_loss_count(e->gmask, size, e->T) == 0.0)
            return al_fail(err, AL_ERR_SHAPE, "data.mask",
                           "the mask leaves the group of step %ld (%d samples) with no valid target; a mean over none is undefined",
                           s + 1, size);
    }
    e->perm_epoch = -1;
    return AL_OK;
}

/* ---- creation ----------------------------------------------------------------------- */

static void *take(unsigned char **p, size_t bytes) {
    void *r = *p;
    *p += (bytes + 15) & ~(size_t)15;
    return r;
}

static size_t rounded(size_t bytes) { return (bytes + 15) & ~(size_t)15; }

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

static void run_init(al_run *r, unsigned char **p, const al_experiment *e, int need1, int need2) {
    long P = e->model.P, Rn = 2L * (e->model.L - 1) * e->model.max_width;
    r->params = take(p, sizeof(float) * P);
    r->grads = take(p, sizeof(float) * P);
    r->opt.buf1 = need1 ? take(p, sizeof(float) * P) : 0;
    r->opt.buf2 = need2 ? take(p, sizeof(float) * P) : 0;
    r->opt.t = 0;
    r->running = Rn ? take(p, sizeof(float) * Rn) : 0;
    memcpy(r->params, e->init, sizeof(float) * P);
    al_zero(r->grads, P);
    if (need1) al_zero(r->opt.buf1, P);
    if (need2) al_zero(r->opt.buf2, P);
    for (int l = 0; l < e->model.L - 1; l++) { /* running mean 0, running var 1 */
        float *rm = r->running + (long)l * 2 * e->model.max_width;
        for (int h = 0; h < e->model.max_width; h++) { rm[h] = 0.0f; rm[e->model.max_width + h] = 1.0f; }
    }
    al_rng_stream(&r->dropout, e->cfg.seed, AL_STREAM_DROPOUT);
    r->sched_t = 0;
}

al_experiment *al_experiment_create(const char *json, size_t len, al_error *err) {
    if (err) { err->code = AL_OK; err->field[0] = err->message[0] = 0; }
    if (!json && len) { al_fail(err, AL_ERR_STATE, "", "no config text"); return 0; }
    al_experiment *e = calloc(1, sizeof *e);
    if (!e) { al_fail(err, AL_ERR_MEMORY, "", "out of memory"); return 0; }
    if (al_config_parse(&e->cfg, json ? json : "", len, err) != AL_OK) { free(e); return 0; }
    al_config *c = &e->cfg;
    data_facts f;
    int sizes[AL_MAX_LAYERS + 1], n_sizes = 0;
    if (data_facts_of(&f, c) != AL_OK || fit_model_to_data(c, &f, sizes, &n_sizes, &e->T, err) != AL_OK) goto fail;
    int hidden = n_sizes - 2;
    float dropout[AL_MAX_LAYERS] = {0};
    if (c->n_dropout && c->n_dropout != hidden) {
        al_fail(err, AL_ERR_SHAPE, "model.dropout", "model.dropout has %d values but the model has %d hidden layers",
                c->n_dropout, hidden);
        goto fail;
    }
    for (int l = 0; l < hidden; l++) dropout[l] = c->n_dropout ? c->dropout[l] : c->dropout[0];
    long P = al_model_layout(&e->model, sizes, n_sizes, c->activation, c->norm, dropout);
    if (P > AL_MAX_PARAMS) {
        al_fail(err, AL_ERR_LIMIT, "model.sizes", "the model has %ld parameters; the limit is %d", P, AL_MAX_PARAMS);
        goto fail;
    }
    if (c->init && (long)c->init_len != P) {
        al_fail(err, AL_ERR_SHAPE, "init", "init has %zu numbers but the model has %ld parameters", c->init_len, P);
        goto fail;
    }
    e->N = f.N; e->IN = f.IN; e->OUT = sizes[n_sizes - 1];
    e->m = c->batch_size; e->k = c->accum_steps; e->G = e->m * e->k;
    if (check_batch(e, err) != AL_OK) goto fail;
    e->groups_per_epoch = c->last_group == AL_LAST_KEEP ? (e->N + e->G - 1) / e->G : e->N / e->G;
    e->total_steps = c->steps;
    if (c->schedule.t_max == 0) c->schedule.t_max = c->steps;

    /* one arena for everything */
    int has_mask = c->data.mask != 0 || c->data.mask_fraction > 0.0;
    int need1 = c->optimizer.name != AL_OPT_SGD || c->optimizer.momentum != 0.0;
    int need2 = c->optimizer.name != AL_OPT_SGD;
    long Rn = 2L * (e->model.L - 1) * e->model.max_width;
    size_t fl = sizeof(float), bytes = 0;
    bytes += rounded(fl * f.N * f.IN) + rounded(fl * f.N * e->T) + (has_mask ? rounded(fl * f.N * e->T) : 0);
    bytes += rounded(fl * f.N * f.raw_T) + rounded(sizeof(int) * f.N);
    bytes += rounded(fl * e->G * f.IN) + 2 * rounded(fl * e->G * e->T) + rounded(sizeof(int) * e->G);
    bytes += rounded(fl * e->G * e->OUT) + rounded(fl * P) + rounded(fl * al_acts_floats(&e->model, e->G));
    bytes += 2 * (2 * rounded(fl * P) + (need1 ? rounded(fl * P) : 0) + (need2 ? rounded(fl * P) : 0) + (Rn ? rounded(fl * Rn) : 0));
    if (bytes > AL_MAX_ARENA_BYTES) {
        al_fail(err, AL_ERR_LIMIT, "model.sizes", "this experiment needs %zu MiB; the limit is %u MiB",
                bytes >> 20, AL_MAX_ARENA_BYTES >> 20);
        goto fail;
    }
    unsigned char *p = e->arena = malloc(bytes);
    if (!p) { al_fail(err, AL_ERR_MEMORY, "", "could not allocate %zu MiB for the experiment", bytes >> 20); goto fail; }
    e->x = take(&p, fl * f.N * f.IN);
    e->y = take(&p, fl * f.N * e->T);
    e->mask = has_mask ? take(&p, fl * f.N * e->T) : 0;
    float *raw = take(&p, fl * f.N * f.raw_T);
    e->perm = take(&p, sizeof(int) * f.N);
    e->gx = take(&p, fl * e->G * f.IN);
    e->gy = take(&p, fl * e->G * e->T);
    e->gmask = take(&p, fl * e->G * e->T);
    e->gids = take(&p, sizeof(int) * e->G);
    e->dy = take(&p, fl * e->G * e->OUT);
    e->init = take(&p, fl * P);
    al_acts_bind(&e->acts, &e->model, e->G, take(&p, fl * al_acts_floats(&e->model, e->G)));
    fill_data(e, &f, raw);
    if (c->init) memcpy(e->init, c->init, fl * P);
    else al_model_init(e->init, &e->model, c->seed);
    run_init(&e->ref, &p, e, need1, need2);
    run_init(&e->acc, &p, e, need1, need2);
    e->perm_epoch = -1;
    if (check_masks(e, err) != AL_OK) goto fail;
    al_config_free(c); /* the experiment keeps its own copies; the settings stay in c */
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
    return al_schedule_lr(c, c->optimizer.lr, t, c->schedule.t_max);
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
    al_optim_step(r->params, r->grads, &r->opt, c, rec->lr_ref, P);
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
        else if (n_j != first_count) e->saw_unequal_counts = 1;
        if (B != e->m) e->saw_uneven = 1;
        double base = c->reduction == AL_REDUCTION_MEAN ? (n_j > 0 ? 1.0 / n_j : 0.0) : 1.0;
        double scale = c->correction == AL_CORR_SCALE_LOSS ? base / e->k
                     : c->correction == AL_CORR_GLOBAL_COUNT ? 1.0 / count : base;
        S += forward_backward(e, r, off, B, (float)scale, s);
        if (per_micro) {
            norm = al_clip_grad_norm(r->grads, P, c->clip_grad_norm);
            if (norm + 1e-6 > c->clip_grad_norm) e->saw_clip_acc = 1;
        }
        r->sched_t++;
    }
    if (J < e->k) e->saw_uneven = 1;
    rec->loss_acc = S / count;
    rec->micro_batches = J;
    if (per_micro) rec->grad_norm_acc = norm;
    else if (c->clip_grad_norm > 0) rec->grad_norm_acc = al_clip_grad_norm(r->grads, P, c->clip_grad_norm);
    long t = c->scheduler_stepping == AL_SCHED_PER_MICRO_BATCH ? r->sched_t - 1 : s;
    rec->lr_acc = base_lr(c, t) / (c->correction == AL_CORR_SCALE_LR ? e->k : 1);
    if (base_lr(c, t) != rec->lr_ref) e->saw_lr_differ = 1;
    al_optim_step(r->params, r->grads, &r->opt, c, rec->lr_acc, P);
}

/* Equal up to rounding: allclose, or a norm-wise difference within rtol (see accumlab.h). */
static int rounding_close(const al_metrics *m, double rtol) {
    return m->allclose || m->rel_norm_diff <= rtol;
}

static int grad_category(const al_metrics *g, double rtol) {
    if (g->bitwise) return AL_GRADS_BITWISE;
    if (rounding_close(g, rtol)) return AL_GRADS_ROUNDING;
    if (g->scaled_residual <= rtol && fabs(g->scale - 1.0) > 1e-3) return AL_GRADS_SCALED;
    return AL_GRADS_DIFFERENT;
}

/* Folds one step into the verdict. Gradients are judged only on steps that started from
 * allclose parameters: after the runs part, gradient differences are partly consequences. */
static void fold_verdict(al_experiment *e, const al_step_record *rec) {
    al_verdict *v = &e->v;
    int cat = (int)rec->grad_category;
    double rtol = e->cfg.rtol;
    if (cat >= AL_GRADS_SCALED && !v->first_different_step) v->first_different_step = (int)rec->step;
    if (e->params_close) {
        if (v->judged_steps == 0) {
            e->first_category = cat;
            v->grads = cat;
            v->factor = rec->grad.scale;
        } else if (cat == AL_GRADS_SCALED || v->grads == AL_GRADS_SCALED) {
            int same = cat == v->grads && fabs(rec->grad.scale / v->factor - 1.0) <= 1e-3;
            if (!same) v->grads = AL_GRADS_DIFFERENT;
        } else if (cat > v->grads) {
            v->grads = cat;
        }
        v->judged_steps++;
    }
    int pc = rec->params.bitwise ? AL_PARAMS_BITWISE
           : rounding_close(&rec->params, rtol) ? AL_PARAMS_ROUNDING : AL_PARAMS_DIFFERENT;
    if (pc > v->params) v->params = pc;
    e->params_close = pc != AL_PARAMS_DIFFERENT;
    if (cat >= AL_GRADS_SCALED) e->saw_grads_off = 1;
    v->steps_done = (int)rec->step;
}

int al_experiment_step(al_experiment *e, al_step_record *rec, al_error *err) {
    if (!e) return al_fail(err, AL_ERR_STATE, "", "no experiment");
    if (!rec) return al_fail(err, AL_ERR_STATE, "", "no record to fill");
    if (e->step >= e->total_steps || e->v.diverged_step) return AL_DONE;
    long s = e->step, P = e->model.P;
    memset(rec, 0, sizeof *rec);
    int size = gather_group(e, s);
    double count = al_loss_count(e->mask ? e->gmask : 0, size, e->T);
    if (count == 0.0) /* cannot happen after check_masks; kept as a guard */
        return al_fail(err, AL_ERR_SHAPE, "data.mask", "the group of step %ld has no valid target", s + 1);
    rec->step = (double)(s + 1);
    rec->group_size = size;
    if (size < e->G) e->saw_uneven = 1;
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
    rec->grad_category = grad_category(&rec->grad, e->cfg.rtol);
    fold_verdict(e, rec);
    return AL_OK;
}

/* ---- verdict ------------------------------------------------------------------------- */

static int dropout_layers(const al_model *m) {
    int n = 0;
    for (int l = 0; l < m->L - 1; l++) n += m->dropout[l] > 0.0f;
    return n;
}

void al_experiment_verdict(const al_experiment *e, al_verdict *out) {
    if (!e || !out) return;
    *out = e->v;
    const al_config *c = &e->cfg;
    int differs = e->saw_grads_off || e->v.params >= AL_PARAMS_DIFFERENT, k1 = e->k > 1, causes = 0;
    int mean = c->reduction == AL_REDUCTION_MEAN, adam = c->optimizer.name != AL_OPT_SGD;
    if (differs) {
        if (mean && c->correction == AL_CORR_NONE && k1) causes |= AL_CAUSE_MEAN_UNSCALED;
        if (c->correction == AL_CORR_SCALE_LR && k1) {
            if (mean) causes |= AL_CAUSE_SCALE_LR;
            if (c->optimizer.weight_decay > 0) causes |= AL_CAUSE_SCALE_LR_WEIGHT_DECAY;
            if (adam) causes |= AL_CAUSE_SCALE_LR_ADAM;
        }
        if (adam && mean && c->correction == AL_CORR_NONE && k1) causes |= AL_CAUSE_ADAM_SCALE;
        if (!mean && c->correction != AL_CORR_NONE) causes |= AL_CAUSE_SUM_SCALED;
        if (c->dropout_rng == AL_RNG_STREAM && dropout_layers(&e->model) > 1 && k1) causes |= AL_CAUSE_DROPOUT_STREAM;
        if (c->norm == AL_NORM_BATCH && k1) causes |= AL_CAUSE_BATCHNORM;
        if (e->saw_clip_acc && k1) causes |= AL_CAUSE_CLIP_PER_MICRO_BATCH;
        if (e->saw_lr_differ) causes |= AL_CAUSE_SCHEDULER_PER_MICRO_BATCH;
        if (e->saw_uneven && mean && c->correction != AL_CORR_GLOBAL_COUNT) causes |= AL_CAUSE_UNEVEN_LAST_GROUP;
        if (e->saw_unequal_counts && mean && c->correction != AL_CORR_GLOBAL_COUNT) causes |= AL_CAUSE_VARIABLE_TARGETS;
        /* rounding that grew over the steps: only when nothing else explains it, and not
         * for a run that blew up (divergence is the explanation then) */
        if (causes == 0 && !e->v.diverged_step && e->first_category <= AL_GRADS_ROUNDING)
            causes |= AL_CAUSE_AMPLIFIED_ROUNDING;
    } else if (e->v.grads == AL_GRADS_ROUNDING || e->v.params == AL_PARAMS_ROUNDING) {
        causes |= AL_CAUSE_SUMMATION_ORDER;
    }
    if (e->v.diverged_step) causes |= AL_CAUSE_DIVERGED;
    out->causes = causes;
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

int al_sizeof_error(void) { return (int)sizeof(al_error); }
int al_sizeof_record(void) { return (int)sizeof(al_step_record); }
int al_sizeof_verdict(void) { return (int)sizeof(al_verdict); }
