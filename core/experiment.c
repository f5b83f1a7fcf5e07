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
#include "lowp.h"
#include "losses.h"
#include "torch_rng.h"

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
    int Wm = e->W * e->m, keep = c->last_group == AL_LAST_KEEP, global = c->group_boundary == AL_BOUNDARY_GLOBAL;
    if (e->m > e->N)
        return al_fail(err, AL_ERR_RANGE, "batchSize", "batchSize %d is larger than the data (%d samples)", e->m, e->N);
    if (Wm > e->N)
        return al_fail(err, AL_ERR_RANGE, "workers", "workers x batchSize = %d is larger than the data (%d samples)", Wm, e->N);
    if (!keep && !global && e->G > e->N)
        return al_fail(err, AL_ERR_RANGE, "accumSteps",
                       "with lastGroup drop, %sbatchSize x accumSteps = %d must not exceed the data (%d samples)",
                       e->W > 1 ? "workers x " : "", e->G, e->N);
    if (c->norm == AL_NORM_BATCH) {
        /* the smallest batch a BatchNorm sees: a replica's micro-batch (all replicas' with
         * SyncBatchNorm), the epoch's short micro-step included */
        int r = !keep ? 0 : global ? e->N % Wm : (e->N % e->G) % Wm;
        int full = c->sync_batchnorm ? Wm : e->m, last = !r ? full : c->sync_batchnorm ? r : r < e->W ? 1 : r / e->W;
        if (full < 2 || last == 1)
            return al_fail(err, AL_ERR_RANGE, "batchSize",
                           "batchnorm needs at least 2 samples per micro-batch in training mode (as PyTorch); %s",
                           full < 2 ? "batchSize is 1" : "the last micro-batch of each epoch has 1 sample");
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
static int backward_is_per_sample(const al_experiment *e);

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
    e->slices = take(a, sizeof(al_slice) * e->k);
    e->seg_rows = take(a, sizeof(int) * e->k * e->W);
    e->dy = take(a, fl * e->G * e->OUT);
    e->init = take(a, fl * e->model.P);
    float *acts = take(a, fl * al_acts_floats(&e->model, e->G));
    if (a->base) al_acts_bind(&e->acts, &e->model, e->G, acts);
    run_lay_out(&e->ref, a, e);
    run_lay_out(&e->acc, a, e);
    long Rn = 2L * (e->model.L - 1) * e->model.max_width;
    e->sp_grads = take(a, sizeof(float) * e->model.P);
    e->sp_running = Rn ? take(a, sizeof(float) * Rn) : 0;
    /* the same point inside the reference's backward: only where it can be taken */
    int sp_in_reference = e->k * e->W > 1 && backward_is_per_sample(e);
    e->sp_dy = sp_in_reference ? take(a, fl * e->G * e->OUT) : 0;
    e->sp_seg = sp_in_reference ? take(a, fl * 2 * e->k * e->W) : 0;
    e->rep_running = Rn ? take(a, sizeof(float) * Rn) : 0;
    e->micro_g = c->grad_dtype != AL_DTYPE_FP32 ? take(a, sizeof(float) * e->model.P) : 0;
    e->sp_unclipped = c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH ? take(a, sizeof(float) * e->model.P) : 0;
    return a->used;
}

/* The field a too-big experiment is mostly made of: the data, or the model and its batch. */
static const char *biggest_part(const al_experiment *e, const al_data_facts *f, size_t bytes) {
    size_t data = sizeof(float) * (size_t)f->N * ((size_t)f->IN + 2u * f->raw_T + 2u * e->T);
    return data > bytes / 2 ? "data" : "model.sizes";
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
    /* every replica's generator starts where the reference's does, as torch.manual_seed(seed)
     * on every rank leaves them; each then draws for its own samples */
    for (int w = 0; w < e->W; w++) al_rng_stream(&r->dropout[w], e->cfg.seed, AL_STREAM_DROPOUT);
    r->sched_t = 0;
    r->scaler = (al_scaler){e->cfg.loss_scale.mode != AL_SCALE_NONE ? e->cfg.loss_scale.scale : 1.0, 0};
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
    return al_experiment_create_with(json, len, NULL, NULL, 0, err);
}

al_experiment *al_experiment_create_with(const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err) {
    if (err) { err->code = AL_OK; err->field[0] = err->message[0] = 0; }
    if (!json && len) { al_fail(err, AL_ERR_STATE, "", "no config text"); return 0; }
    al_experiment *e = calloc(1, sizeof *e);
    if (!e) { al_fail(err, AL_ERR_MEMORY, "", "out of memory"); return 0; }
    if (al_config_parse_with(&e->cfg, json ? json : "", len, bins, bin_lens, n_bins, err) != AL_OK) { free(e); return 0; }
    al_config *c = &e->cfg;
    al_data_facts f;
    al_data_facts_of(&f, c);
    if (al_fit_model_to_data(e, &f, err) != AL_OK || build_model(e, err) != AL_OK) goto fail;
    e->N = f.N; e->IN = f.IN; e->OUT = c->sizes[c->n_sizes - 1];
    e->m = c->batch_size; e->k = c->accum_steps; e->W = c->workers; e->G = e->W * e->m * e->k;
    if (check_batch(e, err) != AL_OK) goto fail;
    e->groups_per_epoch = c->last_group == AL_LAST_KEEP ? (e->N + e->G - 1) / e->G : e->N / e->G;
    e->micro_per_epoch = c->last_group == AL_LAST_KEEP ? (e->N + e->W * e->m - 1) / (e->W * e->m) : e->N / (e->W * e->m);
    e->total_steps = c->steps;
    if (c->schedule.t_max == 0) c->schedule.t_max = c->steps;

    arena_cursor a = {NULL, 0};
    size_t bytes = lay_out(e, &a, &f);
    if (bytes > AL_MAX_ARENA_BYTES) {
        al_fail(err, AL_ERR_LIMIT, biggest_part(e, &f, bytes), "this experiment needs %zu MiB; the limit is %u MiB",
                bytes >> 20, AL_MAX_ARENA_BYTES >> 20);
        goto fail;
    }
    a.base = e->arena = malloc(bytes);
    a.used = 0;
    if (!a.base) {
        al_fail(err, AL_ERR_MEMORY, biggest_part(e, &f, bytes), "could not allocate %zu MiB for the experiment", bytes >> 20);
        goto fail;
    }
    lay_out(e, &a, &f);
    al_fill_data(e, &f);
    if (c->init) memcpy(e->init, c->init, sizeof(float) * e->model.P);
    else if (c->init_torch) al_model_init_torch(e->init, &e->model, c->seed);
    else al_model_init(e->init, &e->model, c->seed);
    run_init(&e->ref, e);
    run_init(&e->acc, e);
    e->params_equal = 1; /* both runs start from init */
    e->perm_epoch = -1;
    if (al_check_masks(e, err) != AL_OK) goto fail;
    borrow_arrays(e);
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

/* The loss gradient (into dy (B, OUT)) of rows [off, off+B) of the group from outputs out
 * (B, OUT): n_seg consecutive segments of rows[r] rows, each reduced with its own scale (a
 * replica, or a micro-batch). Returns S, the summed loss. */
static double loss_backward(al_experiment *e, float *dy, const float *out, int off, int n_seg, const int *rows, const float *scales) {
    double S = 0.0;
    for (int r = 0, o = 0; r < n_seg; o += rows[r++]) {
        if (!rows[r]) continue;
        long at = off + o;
        S += al_loss_forward_backward(dy + (long)o * e->OUT, e->acts.scratch, out + (long)o * e->OUT, e->gy + at * e->T,
                                      e->mask ? e->gmask + at * e->T : 0, e->cfg.loss, scales[r], rows[r], e->OUT, e->T);
    }
    return S;
}

/* Forward, loss and backward of rows [off, off+B) of the group, adding into p->grads: one
 * batch made of n_seg replicas' segments (one for a single process; all of a micro-step's
 * with SyncBatchNorm, whose statistics span them), each with its own dropout generator
 * (p->dropout[r]) and loss scale. Returns S. */
static double forward_backward(al_experiment *e, const al_pass *p, int off, int n_seg, const int *rows, const float *scales, long step) {
    int B = 0;
    for (int r = 0; r < n_seg; r++) B += rows[r];
    al_mask_source ms = {e->cfg.dropout_rng, p->dropout, e->cfg.seed, step, e->gids + off, n_seg, rows};
    const float *x = e->gx + (long)off * e->IN;
    const float *out = al_model_forward(&e->acts, p->running, &ms, x, p->params, &e->model, B);
    double S = loss_backward(e, e->dy, out, off, n_seg, rows, scales);
    al_model_backward(p->grads, &e->acts, e->dy, x, p->params, &e->model, B);
    return S;
}

static al_pass pass_of(al_run *r) { return (al_pass){r->params, r->grads, r->running, r->dropout, &r->scaler}; }

/* Before the first of `passes` micro-batches over the same parameters: zero the gradients
 * (optimizer.zero_grad()) and have the weights packed anew for the GEMMs (by the first
 * micro-batch; the later ones reuse the packs). Every pass over other parameters starts
 * here, so none uses another's packs. */
static void begin_pass(al_experiment *e, const al_pass *p, int passes) {
    al_zero(p->grads, e->model.P);
    al_model_repack(&e->acts, &e->model, passes);
}

static double base_lr(const al_config *c, long t) {
    return al_schedule_lr(&c->schedule, c->optimizer.lr, t);
}


/* A phase of the step begins / one more of its micro-batches (or its one big batch) is done. */
static void phase_begin(al_experiment *e, int phase) { e->pass_phase = phase; e->pass_done = 0; }
static void passed(al_experiment *e, int total) { al_progress(e->pass_phase, ++e->pass_done, total); }

/* What the accumulated loop multiplies a replica's micro-batch's summed loss by: its
 * reduction over its n_j valid targets, then the correction (÷k or ÷ the group's
 * micro-batches, or ÷ the count for global_count: the whole group's, times W to undo DDP's
 * average, or the replica's own), then DDP's average over the W replicas. */
static float micro_batch_scale(const al_experiment *e, double n_j, double count, double replica_count, double loss_scale) {
    const al_config *c = &e->cfg;
    double base = c->reduction == AL_REDUCTION_MEAN ? (n_j > 0 ? 1.0 / n_j : 0.0) : 1.0;
    int divisor = c->last_group_divisor == AL_DIVISOR_MICRO_BATCHES ? e->n_micro : e->k;
    double scale = c->correction == AL_CORR_SCALE_LOSS ? base / divisor
                 : c->correction == AL_CORR_GLOBAL_COUNT ? (c->count_across_workers ? e->W / count
                                                         : replica_count > 0 ? 1.0 / replica_count : 0.0) /* nothing to count: nothing added */
                 : base;
    return (float)(scale * loss_scale / e->W); /* loss_scale 1 without loss scaling */
}

/* Each replica's valid targets over the whole group (global_count without countAcrossWorkers). */
static void replica_counts(const al_experiment *e, double *out) {
    for (int r = 0; r < e->W; r++) out[r] = 0.0;
    for (int j = 0, off = 0; j < e->n_micro; j++)
        for (int r = 0; r < e->W; r++) {
            int B = e->seg_rows[j * e->W + r];
            out[r] += al_loss_count(e->mask ? e->gmask + (long)off * e->T : 0, B, e->T);
            off += B;
        }
}

/* What a group's first non-empty micro-batch looked like, to compare the others with. */
typedef struct { int rows; double per_sample; } first_micro;

/* The scale of each replica's segment of micro-step j (rows at off); observe: note in e->seen
 * short micro-batches, micro-batches of different sizes in one group, and different numbers
 * of valid targets per sample (a size difference alone is the uneven group's, not this). */
static void segment_scales(al_experiment *e, int j, int off, const double *rep_count, double count, double loss_scale,
                           int observe, first_micro *first, float *scales) {
    const int *rows = e->seg_rows + j * e->W;
    for (int r = 0; r < e->W; r++) {
        double n_j = al_loss_count(e->mask ? e->gmask + (long)off * e->T : 0, rows[r], e->T);
        if (observe && rows[r] != e->m) e->seen.short_micro = e->seen.uneven = 1;
        if (rows[r] && first->rows) {
            if (observe && rows[r] != first->rows) e->seen.mixed_micro = 1;
            if (observe && n_j / rows[r] != first->per_sample) e->seen.unequal_counts = 1;
        }
        if (rows[r] && !first->rows) *first = (first_micro){rows[r], n_j / rows[r]};
        scales[r] = micro_batch_scale(e, n_j, count, rep_count[r], loss_scale);
        off += rows[r];
    }
}

/* GradScaler.update(): on inf/NaN back off and restart the count; after growthInterval good
 * steps in a row grow. A static scale never changes. */
static void scaler_update(const al_config *c, al_scaler *sc, int found_inf) {
    if (c->loss_scale.mode != AL_SCALE_DYNAMIC) return;
    if (found_inf) { sc->scale *= c->loss_scale.backoff_factor; sc->growth_tracker = 0; return; }
    if (++sc->growth_tracker == c->loss_scale.growth_interval) { sc->scale *= c->loss_scale.growth_factor; sc->growth_tracker = 0; }
}

/* GradScaler.unscale_(): .grad times 1/scale (the reciprocal in double, then float, as
 * PyTorch's inv_scale), each product rounded to gradDtype while .grad is held in it
 * (in_dtype), float32 otherwise (the optimizer's float32 copy); returns 1 if any entry is
 * inf or NaN. With update, also GradScaler.update() (the per-micro-batch mistake). */
static int scaler_unscale_and_update(al_experiment *e, const al_pass *p, int update) {
    const al_config *c = &e->cfg;
    float inv = (float)(1.0 / p->scaler->scale);
    int found_inf = 0;
    for (long i = 0; i < e->model.P; i++) {
        float g = p->grads[i] * inv;
        if (update && e->micro_g) g = c->grad_dtype == AL_DTYPE_BF16 ? al_round_bf16(g) : al_round_fp16(g);
        p->grads[i] = g;
        found_inf |= !isfinite(g);
    }
    if (update) scaler_update(c, p->scaler, found_inf);
    return found_inf;
}

/* The end of the accumulated loop before clipping: unscale once (loss scaling), and say if
 * the scaler must skip the step. Without loss scaling nothing changes. */
static int unscale_group(al_experiment *e, const al_pass *p) {
    if (!p->scaler || e->cfg.loss_scale.mode == AL_SCALE_NONE) return 0;
    return scaler_unscale_and_update(e, p, 0);
}

/* The accumulated loop's backwards over the group (its micro-steps: e->n_micro, each one
 * micro-batch per replica), into p->grads: each loss reduced, corrected, averaged over the
 * replicas and multiplied by the loss scale; each micro-batch's gradient added in gradDtype;
 * clipped after every backward when clipping is per micro-batch and `clip` is set; the
 * scaler unscaled and updated after every backward when scalerUpdate says so (the mistake).
 * Returns S; *last_norm: the norm the last per-micro clip saw. observe: note in e->seen
 * what happened (the accumulated run only); sched_t: counts scheduler.step() calls (the
 * accumulated run only, else NULL). */
static double accumulate(al_experiment *e, const al_pass *p, long s, double count, int clip,
                         int observe, long *sched_t, double *last_norm) {
    const al_config *c = &e->cfg;
    int J = e->n_micro, W = e->W, per_micro = clip && c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH;
    int one_batch = W == 1 || c->sync_batchnorm; /* a micro-step is one forward (SyncBatchNorm: across replicas) */
    double S = 0.0, rep_count[AL_MAX_WORKERS];
    first_micro first = {0, 0.0};
    float scales[AL_MAX_WORKERS];
    replica_counts(e, rep_count);
    if (observe && W > 1)
        for (int r = 1; r < W; r++) if (rep_count[r] != rep_count[0]) e->seen.unequal_worker_counts = 1;
    begin_pass(e, p, one_batch ? J : J * W);
    /* gradDtype bf16/fp16: each micro-batch's gradient goes to float32 scratch, then is added in that type */
    al_pass into = *p;
    if (e->micro_g) into.grads = e->micro_g;
    e->underflow = 0;
    for (int j = 0, off = 0; j < J; j++) {
        const int *rows = e->seg_rows + j * W;
        int Bj = 0;
        for (int r = 0; r < W; r++) Bj += rows[r];
        segment_scales(e, j, off, rep_count, count, p->scaler ? p->scaler->scale : 1.0, observe, &first, scales);
        if (e->micro_g) al_zero(e->micro_g, e->model.P);
        if (one_batch) {
            S += forward_backward(e, &into, off, W, rows, scales, s);
        } else { /* each replica its own forward: its own BatchNorm statistics (rank 0's running ones kept) */
            for (int r = 0, o = off; r < W; o += rows[r++]) {
                if (!rows[r]) continue;
                al_pass q = {p->params, into.grads, r ? e->rep_running : p->running, &p->dropout[r], p->scaler};
                S += forward_backward(e, &q, o, 1, &rows[r], &scales[r], s);
            }
        }
        if (e->micro_g) e->underflow += al_accumulate_in(p->grads, e->micro_g, e->model.P, c->grad_dtype);
        if (p->scaler && c->loss_scale.mode != AL_SCALE_NONE && c->scaler_update == AL_SCALER_PER_MICRO_BATCH)
            scaler_unscale_and_update(e, p, 1); /* the mistake: the whole .grad unscaled again, the scale updated */
        off += Bj;
        passed(e, J);
        if (per_micro) {
            *last_norm = al_clip_grad_norm(p->grads, e->model.P, c->clip_grad_norm);
            if (observe && *last_norm + 1e-6 > c->clip_grad_norm) e->seen.clip_acc = 1;
        }
        if (sched_t) (*sched_t)++;
    }
    if (observe && J < e->k) e->seen.uneven = 1;
    return S;
}

/* The same-point loop without its forward passes: where a sample's activations do not depend
 * on the rest of its batch (no BatchNorm, masks keyed by sample or none), the reference run's
 * forward over the group at these very parameters already holds every micro-batch's
 * activations, bit for bit; each micro-batch then needs only its loss gradient and backward. */
static int forward_is_per_sample(const al_experiment *e) {
    int stream_masks = 0;
    for (int l = 0; l < e->model.L - 1; l++) stream_masks |= e->model.dropout[l] > 0.0f && e->cfg.dropout_rng == AL_RNG_STREAM;
    /* rounding each micro-batch to gradDtype and loss scaling go through the full pass; so does
     * syncBatchNorm with W > 1, whose loop backwards all replicas' rows of a micro-step at once
     * (one weight gradient over their union, not one per replica) */
    return e->cfg.norm != AL_NORM_BATCH && !stream_masks && e->cfg.grad_dtype == AL_DTYPE_FP32 &&
           e->cfg.loss_scale.mode == AL_SCALE_NONE && !(e->W > 1 && e->cfg.sync_batchnorm);
}

/* ...and where, besides, every sample's gradient flows back through its own row alone, with
 * the products whose magnitudes al_model_backward_with bounds (no norm; relu, tanh or
 * identity; dropout at most 0.9), the reference's backward over the group can take the loop's
 * gradient too (al_scaled_segments): no backward of its own. */
static int backward_is_per_sample(const al_experiment *e) {
    const al_model *m = &e->model;
    for (int l = 0; l < m->L - 1; l++) if (m->dropout[l] > 0.9f) return 0;
    int act = m->act == AL_ACT_RELU || m->act == AL_ACT_TANH || m->act == AL_ACT_IDENTITY;
    return act && m->norm == AL_NORM_NONE && forward_is_per_sample(e);
}

/* c[j]: each micro-batch's loss scale over the reference's. Returns 1 if every one is a power
 * of two in [2^-6, 2^6] and the loop's loss gradient (sp_dy) is c[j] times the reference's
 * (dy), bit for bit, on every row of its micro-batch. */
static int scaled_like_reference(const al_experiment *e, const float *scales, float ref_scale, float *c, int n_seg) {
    const int *rows = e->seg_rows;
    for (int j = 0, o = 0; j < n_seg; o += rows[j++]) {
        c[j] = 1.0f;
        if (!rows[j]) continue;
        float q = scales[j] / ref_scale;
        int ex;
        if (!(frexpf(q, &ex) == 0.5f && ex >= -5 && ex <= 7 && q * ref_scale == scales[j])) return 0;
        c[j] = q;
        const float *d = e->dy + (long)o * e->OUT, *sd = e->sp_dy + (long)o * e->OUT;
        for (long i = 0, n = (long)rows[j] * e->OUT; i < n; i++) {
            float t = q * d[i];
            if (memcmp(&t, &sd[i], sizeof t) != 0) return 0;
        }
    }
    return 1;
}

/* The reference's forward and backward over the group (as forward_backward). With
 * same_point, where backward_is_per_sample, its backward also takes the same-point loop's
 * gradient into sp_grads (sp_done says if it did: a magnitude out of range leaves it to the
 * loop's own backwards). */
static double reference_pass(al_experiment *e, const al_pass *p, int size, float scale, long s, double count, int same_point) {
#ifdef AL_SAME_POINT_FULL_PASS /* the full pass is the oracle of the shortcuts */
    same_point = 0;
#endif
    if (!same_point || !e->sp_dy) return forward_backward(e, p, 0, 1, &size, &scale, s);
    al_mask_source ms = {e->cfg.dropout_rng, p->dropout, e->cfg.seed, s, e->gids, 1, &size};
    const float *out = al_model_forward(&e->acts, p->running, &ms, e->gx, p->params, &e->model, size);
    double S = loss_backward(e, e->dy, out, 0, 1, &size, &scale);
    /* the loop's loss gradient over the same outputs: each micro-batch (per replica) its scale */
    int J = e->n_micro, W = e->W, n_seg = J * W;
    float *scales = e->sp_seg, *c = e->sp_seg + n_seg;
    double rep_count[AL_MAX_WORKERS];
    first_micro first = {0, 0.0};
    replica_counts(e, rep_count);
    for (int j = 0, off = 0; j < J; j++) {
        segment_scales(e, j, off, rep_count, count, 1.0, 0, &first, scales + j * W);
        for (int r = 0; r < W; r++) off += e->seg_rows[j * W + r];
    }
    loss_backward(e, e->sp_dy, out, 0, n_seg, e->seg_rows, scales);
    al_zero(e->sp_grads, e->model.P);
    al_scaled_segments sp = {n_seg, e->seg_rows, c, e->sp_dy, e->sp_grads, 1};
    int alike = scaled_like_reference(e, scales, scale, c, n_seg);
    al_model_backward_with(p->grads, &e->acts, e->dy, e->gx, p->params, &e->model, size, alike ? &sp : 0);
    e->sp_done = alike && sp.ok;
    return S;
}

/* The reference run's gradient: one backward over the whole group, clipped (with same_point,
 * the same-point loop's gradient too where reference_pass can take it). Its parameters
 * change only in update_reference, after the same-point pass has used them. */
static void reference_gradient(al_experiment *e, al_step_record *rec, long s, int size, double count, int same_point) {
    const al_config *c = &e->cfg;
    al_pass p = pass_of(&e->ref);
    begin_pass(e, &p, 1);
    float scale = c->reduction == AL_REDUCTION_MEAN ? (float)(1.0 / count) : 1.0f;
    phase_begin(e, AL_PHASE_REFERENCE);
    rec->loss_ref = reference_pass(e, &p, size, scale, s, count, same_point) / count;
    passed(e, 1);
    /* without clipping, the norm comes from the comparison's sums (al_experiment_step) */
    if (c->clip_grad_norm > 0) rec->grad_norm_ref = al_clip_grad_norm(p.grads, e->model.P, c->clip_grad_norm);
}

static void update_reference(al_experiment *e, al_step_record *rec, long s) {
    const al_config *c = &e->cfg;
    al_run *r = &e->ref;
    r->sched_t++;
    rec->lr_ref = base_lr(c, s); /* one micro-batch per step: either stepping gives t = s */
    al_optim_step(r->params, r->grads, &r->opt, &c->optimizer, rec->lr_ref, e->model.P);
}

/* The accumulated run: its loop, then one optimizer step. */
static void step_accumulated(al_experiment *e, al_step_record *rec, long s, int size, double count) {
    const al_config *c = &e->cfg;
    al_run *r = &e->acc;
    al_pass p = pass_of(r);
    double norm = 0.0;
    phase_begin(e, AL_PHASE_ACCUMULATED);
    rec->loss_scale = r->scaler.scale;
    double S = accumulate(e, &p, s, count, 1, 1, &r->sched_t, &norm);
    rec->loss_acc = S / count;
    rec->micro_batches = e->n_micro;
    rec->underflow = (double)e->underflow;
    if (e->underflow) e->seen.underflow = 1;
    int found_inf = unscale_group(e, &p);
    if (c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH) rec->grad_norm_acc = norm;
    else if (c->clip_grad_norm > 0) rec->grad_norm_acc = al_clip_grad_norm(r->grads, e->model.P, c->clip_grad_norm);
    /* schedulerStepsPerOptimizerStep: each scheduler.step() moves the schedule that far */
    long t = c->scheduler_steps * (c->scheduler_stepping == AL_SCHED_PER_MICRO_BATCH ? r->sched_t - 1 : s);
    rec->lr_acc = base_lr(c, t) / (c->correction == AL_CORR_SCALE_LR ? e->k : 1);
    if (base_lr(c, t) != rec->lr_ref) e->seen.lr_differ = 1;
    if (found_inf) { /* GradScaler.step skips optimizer.step(); the loop still steps its scheduler */
        rec->skipped = 1;
        e->seen.skipped = 1;
    } else {
        al_optim_step(r->params, r->grads, &r->opt, &c->optimizer, rec->lr_acc, e->model.P);
    }
    if (c->loss_scale.mode != AL_SCALE_NONE) scaler_update(c, &r->scaler, found_inf);
}

#ifndef AL_SAME_POINT_FULL_PASS /* defined only to check the shortcut against the full pass */
/* The activations of rows [off, off+B) of the reference run's forward over the group, as a
 * forward over those rows alone would have saved them: every layer computes each sample's
 * row from that row and the parameters alone (no BatchNorm, no masks drawn in call order). */
static void rows_of(al_acts *v, const al_acts *ref, const al_model *m, int off) {
    for (int l = 0; l < m->L; l++) {
        long H = m->sizes[l + 1];
        v->z[l] = ref->z[l] + off * H;
        if (l == m->L - 1) break;
        v->xhat[l] = ref->xhat[l] ? ref->xhat[l] + off * H : 0;
        v->rstd[l] = ref->rstd[l] ? ref->rstd[l] + off : 0; /* layernorm: one per sample */
        v->n[l] = ref->n[l] + off * H;
        v->a[l] = ref->a[l] + off * H;
        v->mask[l] = ref->mask[l] ? ref->mask[l] + off * H : 0;
        v->d[l] = ref->d[l] + off * H;
    }
}

static void accumulate_from_reference(al_experiment *e, double count) {
    const float *params = e->ref.params;
    int J = e->n_micro, W = e->W;
    double rep_count[AL_MAX_WORKERS];
    first_micro first = {0, 0.0};
    float scales[AL_MAX_WORKERS];
    replica_counts(e, rep_count);
    al_acts saved = e->acts;                 /* the reference forward's buffers, group-sized */
    al_zero(e->sp_grads, e->model.P);
    al_model_repack(&e->acts, &e->model, J * W);
    al_acts v = e->acts;                     /* one view: its pack flags carry across micro-batches */
    for (int j = 0, off = 0; j < J; j++) {
        const int *rows = e->seg_rows + j * W;
        segment_scales(e, j, off, rep_count, count, 1.0, 0, &first, scales);
        /* one backward per micro-step (W 1), or per replica, as the full pass does */
        for (int r = 0, o = off; r < W; o += rows[r++]) {
            if (!rows[r]) continue;
            rows_of(&v, &saved, &e->model, o);
            loss_backward(e, e->dy, v.z[e->model.L - 1], o, 1, &rows[r], &scales[r]);
            al_model_backward(e->sp_grads, &v, e->dy, e->gx + (long)o * e->IN, params, &e->model, rows[r]);
        }
        for (int r = 0; r < W; r++) off += rows[r];
        passed(e, J);
    }
}

#endif

/* The accumulated loop at the reference run's parameters, before either run updates: the
 * same micro-batches, correction and clipping, the masks the accumulated run draws at this
 * step (a copy of its generator), BatchNorm statistics into scratch. Fills e->sp_grads and
 * returns the norm of the loop's gradient before any clipping, where clipping took it (else
 * NaN: the comparison's sums give it, in the order of the reference's norm). Changes neither run. */
static double same_point_gradient(al_experiment *e, long s, int size, double count) {
    const al_config *c = &e->cfg;
    int per_micro = c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH;
    if (e->sp_done) /* the reference's backward took it */
        return c->clip_grad_norm > 0 ? al_clip_grad_norm(e->sp_grads, e->model.P, c->clip_grad_norm) : NAN;
    phase_begin(e, AL_PHASE_SAME_POINT);
#ifndef AL_SAME_POINT_FULL_PASS
    if (!per_micro && forward_is_per_sample(e)) {
        accumulate_from_reference(e, count);
        return c->clip_grad_norm > 0 ? al_clip_grad_norm(e->sp_grads, e->model.P, c->clip_grad_norm) : NAN;
    }
#endif
    al_rng masks[AL_MAX_WORKERS];
    memcpy(masks, e->acc.dropout, sizeof masks);
    al_scaler scaler = e->acc.scaler; /* the scale the accumulated run uses at this step, a copy */
    al_pass p = {e->ref.params, e->sp_grads, e->sp_running, masks, &scaler};
    double norm = 0.0;
    accumulate(e, &p, s, count, 1, 0, NULL, &norm);
    unscale_group(e, &p);
    if (per_micro) {
        /* the partial sums were clipped: the unclipped loop needs a pass of its own */
        memcpy(masks, e->acc.dropout, sizeof masks);
        scaler = e->acc.scaler;
        al_pass u = {e->ref.params, e->sp_unclipped, e->sp_running, masks, &scaler};
        phase_begin(e, AL_PHASE_SAME_POINT); /* the unclipped pass: counted again from 0 */
        accumulate(e, &u, s, count, 0, 0, NULL, &norm);
        unscale_group(e, &u);
        return al_grad_norm(e->sp_unclipped, e->model.P);
    }
    return c->clip_grad_norm > 0 ? al_clip_grad_norm(e->sp_grads, e->model.P, c->clip_grad_norm) : NAN;
}

/* This step's gradient category at the same point. Where clipping cut both gradients, their
 * clipped values agree while the loop is off by the ratio of the unclipped norms: that ratio
 * is the category (a scale that clipping hid), not the clipped agreement. */
static int same_point_category(al_experiment *e, const al_step_record *rec) {
    int cat = al_grad_category(&rec->same_point, e->cfg.rtol);
    double ratio = rec->unclipped_norm_ratio;
    if (rec->clipped && cat <= AL_GRADS_ROUNDING && fabs(ratio - 1.0) > 1e-3) {
        e->seen.clip_masked = 1;
        return AL_GRADS_SCALED;
    }
    return cat;
}

int al_experiment_step(al_experiment *e, al_step_record *rec, al_error *err) {
    if (!e) return al_fail(err, AL_ERR_STATE, "", "no experiment");
    if (!rec) return al_fail(err, AL_ERR_STATE, "", "no record to fill");
    if (e->step >= e->total_steps || e->v.diverged_step) return AL_DONE;
    const al_config *c = &e->cfg;
    long s = e->step, P = e->model.P;
    memset(rec, 0, sizeof *rec);
    int size = al_gather_group(e, s);
    double count = al_loss_count(e->mask ? e->gmask : 0, size, e->T);
    if (count == 0.0) /* a group beyond those creation checked (al_check_masks) */
        return al_fail_empty_group(e, s, size, err);
    rec->step = (double)(s + 1);
    rec->group_size = size;
    if (size < e->G) e->seen.uneven = 1;
    /* While the parameters are bitwise equal (and nothing clips partial sums), the same-point
     * gradient is the accumulated run's own: no extra pass. */
    int per_micro = c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH;
    int same_params = !per_micro && e->params_equal;
    e->sp_done = 0;
    reference_gradient(e, rec, s, size, count, !same_params && !per_micro);
    double sp_norm = same_params ? 0.0 : same_point_gradient(e, s, size, count);
    update_reference(e, rec, s);
    step_accumulated(e, rec, s, size, count);
    e->step++;
    /* one pass over each pair: the metrics, the gradient norms and the finiteness check; the
     * two gradients against the reference's in one pass */
    double norm_acc, norm_ref, norm_sp = 0.0;
    int finite_grads, finite_sp = 1;
    if (same_params) {
        finite_grads = al_compare_norms(&rec->grad, &norm_acc, &norm_ref, e->acc.grads, e->ref.grads, P, c->rtol, c->atol);
    } else {
        int f = al_compare_pair(&rec->grad, &norm_acc, &rec->same_point, &norm_sp, &norm_ref, e->acc.grads, e->sp_grads,
                                e->ref.grads, P, c->rtol, c->atol);
        finite_grads = f & 1;
        finite_sp = f >> 1;
    }
    int finite_params = al_compare_norms(&rec->params, 0, 0, e->acc.params, e->ref.params, P, c->rtol, c->atol);
    e->params_equal = rec->params.bitwise != 0.0; /* the next step's start: its same point needs no pass */
    /* a step the scaler skipped holds an inf/NaN gradient by design: not a divergence */
    int finite = finite_params && (finite_grads || (rec->skipped && isfinite(norm_ref)));
    if (!(c->clip_grad_norm > 0)) { rec->grad_norm_ref = norm_ref; rec->grad_norm_acc = norm_acc; }
    rec->unclipped_norm_ref = rec->grad_norm_ref;    /* before clipping (al_clip_grad_norm's norm) */
    if (same_params) {
        rec->same_point = rec->grad;
        rec->unclipped_norm_acc = rec->grad_norm_acc;
    } else {
        finite_grads &= finite_sp;
        rec->unclipped_norm_acc = c->clip_grad_norm > 0 ? sp_norm : norm_sp;
    }
    rec->unclipped_norm_ratio = rec->unclipped_norm_ref != 0.0 ? rec->unclipped_norm_acc / rec->unclipped_norm_ref
                              : rec->unclipped_norm_acc == 0.0 ? 1.0 : INFINITY;
    rec->clipped = c->clip_grad_norm > 0 && !per_micro && rec->unclipped_norm_ref > c->clip_grad_norm &&
                   rec->unclipped_norm_acc > c->clip_grad_norm;
    finite_grads &= isfinite(rec->unclipped_norm_ref) && isfinite(rec->unclipped_norm_acc);
    if (finite_grads) {
        rec->grad_category = same_point_category(e, rec);
        al_fold_verdict(e, rec);
    } else {
        rec->grad_category = AL_GRADS_UNJUDGED;
        if (finite) al_fold_verdict(e, rec); /* the parameters of a skipped step */
    }
    if (!isfinite(rec->loss_ref) || !isfinite(rec->loss_acc) || !finite) {
        /* this step is the last: its record says so, and the verdict is diverged from here */
        rec->diverged = 1;
        e->v.diverged_step = (int)(s + 1);
        e->v.params = AL_PARAMS_DIVERGED;
        e->v.steps_done = (int)(s + 1);
    }
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
