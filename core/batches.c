/* core/batches.c — the experiment's data and batches: the data's shape, fitting the model
 * to it (inputs, outputs, the loss's target form), making the data, each epoch's order and
 * each step's group. Sizes as in experiment_internal.h.
 *
 * Class targets and the loss: cross_entropy takes the class index; bce on a model given one
 * output (model.sizes ending in 1, two classes) takes it as a 0/1 label, as
 * BCEWithLogitsLoss on one logit; every other pairing (mse, l1, bce with several outputs)
 * sees the class one-hot over the model's outputs. By default the model has one output per
 * class (at least 2), whatever the loss.
 */
#include <string.h>
#include "experiment_internal.h"
#include "losses.h"
#include "schema.h"
#include "torch_rng.h"

void al_data_facts_of(al_data_facts *f, const al_config *c) {
    if (c->data.name == AL_DATA_EXPLICIT) {
        f->N = c->data.rows;
        f->IN = c->data.in_dim;
        f->raw_T = c->data.target_dim;
        f->classes = 0;
        if (c->data.class_targets)
            for (int i = 0; i < f->N; i++)
                if ((int)c->data.targets[i] + 1 > f->classes) f->classes = (int)c->data.targets[i] + 1;
        return;
    }
    al_data_shape s = al_dataset_shape(c->data.name);
    f->N = c->data.n;
    f->IN = s.inputs;
    f->raw_T = s.targets;
    f->classes = s.classes;
}

static int is_class_data(const al_config *c, const al_data_facts *f) {
    return c->data.name == AL_DATA_EXPLICIT ? c->data.class_targets : f->classes > 0;
}

static const char *data_label(const al_config *c) {
    return c->data.name == AL_DATA_EXPLICIT ? "explicit data" : al_option_name(AL_F_DATA_NAME, c->data.name);
}

int al_fit_model_to_data(al_experiment *e, const al_data_facts *f, al_error *err) {
    al_config *c = &e->cfg;
    int classes = is_class_data(c, f);
    if (!c->loss_given) c->loss = classes ? AL_LOSS_CROSS_ENTROPY : AL_LOSS_MSE;
    c->loss_given = 1;
    if (c->loss == AL_LOSS_CROSS_ENTROPY && !classes)
        return al_fail(err, AL_ERR_SHAPE, "loss",
                       "loss cross_entropy needs class-index targets, but %s has real-valued targets; use mse, l1 or bce",
                       data_label(c));
    int bce_label_ok = c->loss == AL_LOSS_BCE && f->classes <= 2; /* one logit for two classes */
    int out_default = !classes ? f->raw_T : (f->classes > 1 ? f->classes : 2); /* one-hot, or an index */
    if (!c->n_sizes) {
        c->n_sizes = c->n_hidden + 2;
        c->sizes[0] = f->IN;
        for (int i = 0; i < c->n_hidden; i++) c->sizes[i + 1] = c->hidden[i];
        c->sizes[c->n_sizes - 1] = out_default;
    }
    int OUT = c->sizes[c->n_sizes - 1];
    if (c->sizes[0] != f->IN)
        return al_fail(err, AL_ERR_SHAPE, "model.sizes[0]",
                       "model.sizes[0] must be the number of inputs of %s (%d), got %d", data_label(c), f->IN, c->sizes[0]);
    e->label_targets = 0;
    if (classes) {
        int label = c->loss == AL_LOSS_CROSS_ENTROPY || (OUT == 1 && bce_label_ok);
        if (c->data.name != AL_DATA_EXPLICIT && OUT != f->classes && !(OUT == 1 && bce_label_ok))
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "the last entry of model.sizes must be %d (the classes of %s)%s, got %d",
                           f->classes, data_label(c), bce_label_ok ? ", or 1 with bce" : "", OUT);
        if (!label && f->classes > OUT)
            return al_fail(err, AL_ERR_RANGE, "data.targets",
                           "class targets must be below the %d outputs of the model, got class %d", OUT, f->classes - 1);
        if (c->loss == AL_LOSS_CROSS_ENTROPY && OUT < 2)
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "cross_entropy needs at least 2 outputs, got %d", OUT);
        if (c->loss == AL_LOSS_CROSS_ENTROPY && f->classes > OUT)
            return al_fail(err, AL_ERR_RANGE, "data.targets",
                           "class targets must be below the %d outputs of the model, got class %d", OUT, f->classes - 1);
        e->label_targets = label;
        e->T = label ? 1 : OUT;
    } else {
        if (OUT != f->raw_T)
            return al_fail(err, AL_ERR_SHAPE, "model.sizes", "the last entry of model.sizes must be %d (the targets per sample of %s), got %d",
                           f->raw_T, data_label(c), OUT);
        e->T = f->raw_T;
    }
    c->n_hidden = c->n_sizes - 2;
    for (int i = 0; i < c->n_hidden; i++) c->hidden[i] = c->sizes[i + 1];
    return AL_OK;
}

void al_fill_data(al_experiment *e, const al_data_facts *f) {
    const al_config *c = &e->cfg;
    long n_raw = (long)f->N * f->raw_T;
    if (c->data.name == AL_DATA_EXPLICIT) {
        memcpy(e->x, c->data.inputs, sizeof(float) * (size_t)f->N * f->IN);
        memcpy(e->raw, c->data.targets, sizeof(float) * (size_t)n_raw);
        if (e->raw_mask) memcpy(e->raw_mask, c->data.mask, sizeof(float) * (size_t)n_raw);
    } else if (c->data.generator == AL_GEN_TORCH) { /* torch.manual_seed(s); x = torch.rand(n, 4); y = torch.rand(n, 2) */
        al_mt19937 g;
        al_mt19937_seed(&g, c->data.seed);
        al_torch_rand(e->x, (long)f->N * f->IN, &g);
        al_torch_rand(e->raw, n_raw, &g);
    } else {
        al_dataset_make(c->data.name, f->N, c->data.noise, c->data.seed, e->x, e->raw);
    }
    int one_hot = is_class_data(c, f) && !e->label_targets;
    for (int i = 0; i < f->N; i++) {
        if (one_hot) {
            for (int t = 0; t < e->T; t++) e->y[(long)i * e->T + t] = (int)e->raw[i] == t ? 1.0f : 0.0f;
        } else {
            memcpy(e->y + (long)i * e->T, e->raw + (long)i * f->raw_T, sizeof(float) * f->raw_T);
        }
    }
    if (!e->mask) return;
    if (e->raw_mask) { /* explicit mask (N, raw_T); a class sample's mask covers its one-hot row */
        for (int i = 0; i < f->N; i++)
            for (int t = 0; t < e->T; t++)
                e->mask[(long)i * e->T + t] = e->raw_mask[(long)i * f->raw_T + (one_hot ? 0 : t)];
    } else {           /* maskFraction: each target value masked out independently */
        al_rng r;
        al_rng_stream(&r, c->seed, AL_STREAM_MASK);
        for (long i = 0; i < (long)f->N * e->T; i++)
            e->mask[i] = al_rng_uniform(&r) < (float)c->data.mask_fraction ? 0.0f : 1.0f;
    }
}

/* The order of epoch `epoch`: identity, or a Fisher-Yates shuffle seeded by (seed, epoch). */
static void epoch_order(int32_t *perm, int N, const al_config *c, long epoch) {
    for (int i = 0; i < N; i++) perm[i] = i;
    if (!c->data.shuffle) return;
    al_rng r;
    al_rng_stream(&r, c->seed ^ al_mix64((uint64_t)epoch + 1), AL_STREAM_SHUFFLE);
    for (int i = N - 1; i > 0; i--) {
        int j = (int)al_rng_below(&r, (uint32_t)i + 1);
        int t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
}

int al_experiment_epoch_order(const al_experiment *e, long epoch, int32_t *out) {
    if (!e || !out || epoch < 0) return 0;
    epoch_order(out, e->N, &e->cfg, epoch);
    return e->N;
}

const float *al_experiment_data(const al_experiment *e, int which, long *len) {
    if (len) *len = 0;
    if (!e) return 0;
    long n = which == AL_DATA_INPUTS ? (long)e->N * e->IN : (long)e->N * e->T;
    const float *p = which == AL_DATA_INPUTS ? e->x : which == AL_DATA_TARGETS ? e->y : which == AL_DATA_MASK ? e->mask : 0;
    if (len && p) *len = n;
    return p;
}

/* The micro-steps of step s. groupBoundary epoch: the epoch's group g of W·m·k positions
 * (the last one shorter, or dropped), cut into micro-steps of W·m; global: micro-steps
 * s·k .. s·k+k-1 of a counter that runs across epochs, each within its epoch. */
static int step_slices(const al_experiment *e, long s, al_slice *out) {
    int Wm = e->W * e->m;
    if (e->cfg.group_boundary == AL_BOUNDARY_GLOBAL) {
        for (int j = 0; j < e->k; j++) {
            long u = s * e->k + j;
            int start = (int)(u % e->micro_per_epoch) * Wm;
            out[j] = (al_slice){u / e->micro_per_epoch, start, e->N - start < Wm ? e->N - start : Wm};
        }
        return e->k;
    }
    long epoch = s / e->groups_per_epoch;
    int start = (int)(s % e->groups_per_epoch) * e->G, size = e->N - start < e->G ? e->N - start : e->G;
    int J = (size + Wm - 1) / Wm;
    for (int j = 0; j < J; j++)
        out[j] = (al_slice){epoch, start + j * Wm, size - j * Wm < Wm ? size - j * Wm : Wm};
    return J;
}

static void order_of_epoch(al_experiment *e, long epoch) {
    if (epoch != e->perm_epoch) { epoch_order(e->perm, e->N, &e->cfg, epoch); e->perm_epoch = epoch; }
}

/* Replica r of W gets positions r, r+W, r+2W, ... of a micro-step: DistributedSampler's
 * indices[rank::num_replicas] (without its padding: a short micro-step leaves some replicas
 * one sample fewer, or none). */
int al_gather_group(al_experiment *e, long s) {
    int J = step_slices(e, s, e->slices), n = 0;
    for (int j = 0; j < J; j++) {
        const al_slice *sl = &e->slices[j];
        order_of_epoch(e, sl->epoch);
        for (int r = 0; r < e->W; r++) {
            int rows = 0;
            for (int i = r; i < sl->len; i += e->W, rows++, n++) {
                int id = e->perm[sl->start + i];
                e->gids[n] = id;
                memcpy(e->gx + (long)n * e->IN, e->x + (long)id * e->IN, sizeof(float) * e->IN);
                memcpy(e->gy + (long)n * e->T, e->y + (long)id * e->T, sizeof(float) * e->T);
                if (e->mask) memcpy(e->gmask + (long)n * e->T, e->mask + (long)id * e->T, sizeof(float) * e->T);
            }
            e->seg_rows[j * e->W + r] = rows;
        }
    }
    e->n_micro = J;
    return n;
}

int al_fail_empty_group(const al_experiment *e, long s, int size, al_error *err) {
    return al_fail(err, AL_ERR_SHAPE, e->cfg.data.mask ? "data.mask" : "data.maskFraction",
                   "the %s leaves the group of step %ld (%d samples) with no valid target; a mean over none is undefined",
                   e->cfg.data.mask ? "mask" : "maskFraction", s + 1, size);
}

/* Creation looks at the groups of the first steps, up to AL_MASK_CHECK_SAMPLES samples (all
 * of them without shuffling: every epoch has the same groups), so that it stays fast for any
 * legal size; a later group with no valid target fails its step with the same error. It reads
 * the mask through each epoch's order, without gathering the groups' inputs. */
int al_check_masks(al_experiment *e, al_error *err) {
    if (!e->mask) return AL_OK;
    long checked = 0;
    int same_every_epoch = !e->cfg.data.shuffle && e->cfg.group_boundary == AL_BOUNDARY_EPOCH;
    for (long s = 0; s < e->total_steps && checked < AL_MASK_CHECK_SAMPLES; s++) {
        if (same_every_epoch && s >= e->groups_per_epoch) break;
        int J = step_slices(e, s, e->slices), size = 0;
        double count = 0.0;
        for (int j = 0; j < J; j++) {
            const al_slice *sl = &e->slices[j];
            order_of_epoch(e, sl->epoch);
            for (int i = 0; i < sl->len; i++)
                for (int t = 0; t < e->T; t++) count += e->mask[(long)e->perm[sl->start + i] * e->T + t];
            size += sl->len;
        }
        checked += size;
        if (count == 0.0) return al_fail_empty_group(e, s, size, err);
    }
    e->perm_epoch = -1;
    return AL_OK;
}
