/* core/accumlab.h — accumlab's public C API: one experiment, stepped, compared.
 *
 * An experiment trains two copies of one MLP from the same initial parameters on the same
 * samples in the same order: the reference run (batch m·k, one backward per optimizer
 * step) and the accumulated run (k micro-batches of m, k backwards, one optimizer step).
 * After every optimizer step it compares the two gradients (as the optimizer sees them,
 * after clipping) and the two parameter vectors.
 *
 * All functions are safe to call with bad input: errors come back as codes, with the
 * message in a caller-owned al_error. The core never prints, exits or aborts.
 */
#ifndef ACCUMLAB_H
#define ACCUMLAB_H

#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define AL_VERSION "0.1.0"

typedef struct al_experiment al_experiment;

/* Equality of two float vectors a (accumulated) and b (reference), as torch.allclose(a, b)
 * plus the sizes of the difference. Every field is a double so that JS reads one array.
 * Element-wise allclose is strict where large terms cancel to a small sum (atol 1e-8 is
 * far below the rounding error of such a sum), so the verdict also accepts a norm-wise
 * difference within rtol as "equal up to rounding" (rel_norm_diff <= rtol). */
typedef struct {
    double allclose;        /* 1 if every a = b or |a-b| <= atol + rtol·|b| (torch.isclose: inf = inf is close, NaN never) */
    double bitwise;         /* 1 if the bits are identical */
    double max_abs_diff;    /* max |a-b| */
    double max_rel_diff;    /* max |a-b| / |b| (0 where equal, inf where b = 0 ≠ a) */
    double max_ulp;         /* max distance in float32 units in the last place */
    double cosine;          /* a·b / (|a||b|) in double (1 if both are zero) */
    double norm_ratio;      /* |a| / |b| */
    double rel_norm_diff;   /* |a-b| / |b| over the whole vector: the norm-wise size of the difference */
    double scale;           /* least-squares c in a ≈ c·b */
    double scaled_residual; /* |a - c·b| / |c·b|: how far a is from a scaled copy of b */
    double closeness;       /* AL_CLOSE_*: the one closeness of a to b, in words by its name */
} al_metrics;

/* How close two vectors are, one state for everything that reports it (verdict, CLI, page):
 * bitwise; allclose (element-wise torch.allclose); close_by_norm (element-wise allclose fails,
 * as where large terms cancel to a small sum, but |a-b|/|b| <= rtol); not_close. */
enum { AL_CLOSE_BITWISE, AL_CLOSE_ALLCLOSE, AL_CLOSE_BY_NORM, AL_CLOSE_NOT };

typedef struct {
    double step;            /* 1-based optimizer step */
    double loss_ref;        /* mean loss over the group's valid targets, reference run */
    double loss_acc;        /* the same quantity from the accumulated run's forward passes */
    double lr_ref, lr_acc;  /* learning rates the optimizers used */
    double group_size;      /* samples in this step's group (m·k, or fewer in an uneven last group) */
    double micro_batches;   /* backwards of the accumulated run in this step */
    double grad_norm_ref;   /* gradient L2 norms before clipping */
    double grad_norm_acc;
    double grad_category;   /* AL_GRADS_*: this step's gradient comparison at the same point, in one word */
    double diverged;        /* 1 if this step made a loss, gradient or parameter non-finite (the last record) */
    double clipped;         /* 1 if clipping cut both runs' gradients at the same point */
    al_metrics grad;        /* each run's gradient at its own parameters, as its optimizer saw it (after clipping) */
    al_metrics params;      /* the parameters after the step */
    /* The accumulated loop's gradient evaluated at the reference run's parameters (same
     * micro-batches, correction, clip placement, dropout masks), against the reference
     * gradient: the gradient computation alone, at every step. Equal to grad while the
     * parameters are bitwise equal. */
    al_metrics same_point;
    double unclipped_norm_ref, unclipped_norm_acc, unclipped_norm_ratio; /* at the same point, before any clipping */
    double loss_scale;      /* the scale of this step's micro-batch losses (1 without loss scaling) */
    double skipped;         /* 1 if the scaler found inf/NaN and skipped the accumulated run's step */
    double underflow;       /* entries of the micro-batch gradients that rounded to 0 in gradDtype */
} al_step_record;

enum { AL_GRADS_BITWISE, AL_GRADS_ROUNDING, AL_GRADS_SCALED, AL_GRADS_DIFFERENT, AL_GRADS_UNJUDGED };
enum { AL_PARAMS_BITWISE, AL_PARAMS_ROUNDING, AL_PARAMS_DIFFERENT, AL_PARAMS_DIVERGED };

/* Causes the config can explain (bit flags of al_verdict.causes). */
enum {
    AL_CAUSE_MEAN_UNSCALED = 1 << 0,          /* mean loss summed over k micro-batches: k× gradient */
    AL_CAUSE_SCALE_LR = 1 << 1,               /* lr scaled instead of the loss: gradients k× by design */
    AL_CAUSE_SCALE_LR_WEIGHT_DECAY = 1 << 2,  /* scale_lr with weight decay: decay shrinks k× too */
    AL_CAUSE_SCALE_LR_ADAM = 1 << 3,          /* scale_lr with Adam: steps k× smaller */
    AL_CAUSE_ADAM_SCALE = 1 << 4,             /* Adam with k× gradients: only eps sees the scale */
    AL_CAUSE_SUM_SCALED = 1 << 5,             /* sum reduction divided by k or by the count */
    AL_CAUSE_DROPOUT_STREAM = 1 << 6,         /* masks drawn in call order differ between runs */
    AL_CAUSE_BATCHNORM = 1 << 7,              /* statistics over m samples, not m·k */
    AL_CAUSE_CLIP_PER_MICRO_BATCH = 1 << 8,   /* clipping the partial sums */
    AL_CAUSE_SCHEDULER_PER_MICRO_BATCH = 1 << 9, /* schedule runs k times too fast */
    AL_CAUSE_UNEVEN_LAST_GROUP = 1 << 10,     /* last group has fewer samples: dividing by k is wrong */
    AL_CAUSE_VARIABLE_TARGETS = 1 << 11,      /* micro-batches with different numbers of valid targets */
    AL_CAUSE_SUMMATION_ORDER = 1 << 12,       /* equal up to rounding: sums grouped differently */
    AL_CAUSE_DIVERGED = 1 << 13,              /* a loss, gradient or parameter became NaN or infinite */
    AL_CAUSE_ROUNDING_AMPLIFIED = 1 << 14,    /* the same gradients up to rounding at every step, but the
                                                 optimizer or unstable training grew the rounding differences */
    AL_CAUSE_CLIP_MASKS = 1 << 15,            /* clipping cut both gradients to max_norm and hid a scale */
    AL_CAUSE_ZERO_TOLERANCE = 1 << 16,        /* rtol and atol 0: float rounding itself counts as a difference */
    AL_CAUSE_WORLD_SIZE_AVERAGE = 1 << 17,    /* DDP averages over W replicas a sum-reduced loss: 1/W the gradient */
    AL_CAUSE_SCHEDULER_STEPS_MULTIPLIED = 1 << 18, /* the schedule moves several steps per optimizer step (Accelerate: num_processes) */
    AL_CAUSE_LOW_PRECISION_ACCUMULATION = 1 << 19, /* .grad held in bf16/fp16: every addition rounds */
    AL_CAUSE_GRAD_UNDERFLOW = 1 << 20,        /* gradient entries too small for fp16 became 0 (no or too small loss scale) */
    AL_CAUSE_LOSS_SCALE_OVERFLOW = 1 << 21,   /* the scaled gradient overflowed: the scaler skipped steps the big batch took */
    AL_CAUSE_SCALER_PER_MICRO_BATCH = 1 << 22 /* unscale_ and update after every backward: the early micro-batches unscaled again */
};

typedef struct {
    int32_t grads;          /* AL_GRADS_*, judged at the same point on every step with finite gradients */
    int32_t params;         /* AL_PARAMS_*, worst over all steps */
    int32_t causes;         /* AL_CAUSE_* flags that apply to this config and these numbers */
    int32_t steps_done;     /* optimizer steps recorded */
    int32_t judged_steps;   /* steps the gradient verdict is based on */
    int32_t diverged_step;  /* 1-based step where a non-finite value appeared, 0 if none */
    int32_t first_different_step; /* first step whose gradients were not allclose, 0 if none */
    int32_t k;              /* accumulation steps */
    double factor;          /* gradient scale (accumulated / reference) when grads == AL_GRADS_SCALED */
} al_verdict;

/* Parses and validates the JSON config, builds data, model and both runs in one arena.
 * Returns NULL with err filled on any problem. */
al_experiment *al_experiment_create(const char *json, size_t len, al_error *err);
/* As al_experiment_create, where data.inputs, data.targets, data.mask and init may be
 * {"binary": k, "shape": [rows, cols] | [n]}: floats read from bins[k] (row-major), checked
 * and named element by element as JSON numbers are; the experiment keeps its own copy, so
 * the caller may free bins once this returns. */
al_experiment *al_experiment_create_with(const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err);
/* Runs one optimizer step of both runs and fills rec. Returns AL_OK, AL_DONE when all
 * steps are done (or the run diverged; rec untouched), or an error code. */
int al_experiment_step(al_experiment *e, al_step_record *rec, al_error *err);
#define AL_DONE (-1)
int al_experiment_total_steps(const al_experiment *e);
long al_experiment_param_count(const al_experiment *e);

enum { AL_VEC_INIT, AL_VEC_PARAMS_REF, AL_VEC_PARAMS_ACC, AL_VEC_GRAD_REF, AL_VEC_GRAD_ACC };
/* One of the flat (P) vectors above, valid until the next step or free. */
const float *al_experiment_vector(const al_experiment *e, int which);
/* The data as the runs see it (what an export needs to train the same numbers elsewhere):
 * AL_DATA_INPUTS (N x IN), AL_DATA_TARGETS (N x T: class indices for cross_entropy and a
 * one-logit bce, else one-hot or real rows), AL_DATA_MASK (N x T, NULL without a mask).
 * *len gets the number of floats. Valid until free. */
enum { AL_DATA_INPUTS, AL_DATA_TARGETS, AL_DATA_MASK };
const float *al_experiment_data(const al_experiment *e, int which, long *len);
/* The order in which epoch `epoch` (from 0) visits the samples: N sample indices into out.
 * Step s uses epoch s / groups_per_epoch, group s % groups_per_epoch of it. Returns N. */
int al_experiment_epoch_order(const al_experiment *e, long epoch, int32_t *out);
/* ---- a picture of both models (core/picture.c) ----
 * A run's current parameters (AL_RUN_REF, AL_RUN_ACC) evaluated in eval mode, as PyTorch's
 * model.eval(): no dropout; BatchNorm with that run's own running statistics (mean 0, var 1
 * before the first step); LayerNorm per sample. Each row's prediction is what the loss reads:
 * AL_PREDICT_SOFTMAX class probabilities (cross_entropy), AL_PREDICT_SIGMOID the probability
 * of a 1 per output (bce), AL_PREDICT_VALUES the raw outputs (mse, l1). Without dropout and
 * BatchNorm a row's outputs are the training forward's bits. Costs roughly rows / (8·m·k) of a
 * step; nothing allocates. */
enum { AL_RUN_REF, AL_RUN_ACC };
enum { AL_PREDICT_SOFTMAX, AL_PREDICT_SIGMOID, AL_PREDICT_VALUES };
#define AL_PICTURE_MAX_SIZE 512
#define AL_PREDICT_MAX_ROWS (AL_PICTURE_MAX_SIZE * AL_PICTURE_MAX_SIZE)
int al_experiment_inputs(const al_experiment *e);          /* IN: input features per sample */
int al_experiment_outputs(const al_experiment *e);         /* OUT: the model's outputs, values per prediction */
int al_experiment_prediction_kind(const al_experiment *e); /* AL_PREDICT_*, from the loss */
int al_experiment_classes(const al_experiment *e);         /* classes of class-index data; 0 for real-valued targets */
/* Predictions (rows, OUT) of run `which` for the inputs x (rows, IN), rows 0..AL_PREDICT_MAX_ROWS. */
int al_experiment_predict(al_experiment *e, int which, const float *x, long rows, float *out, al_error *err);
/* The same over a grid of the training inputs' box, each side padded by 10% of its width, for
 * data with 1 or 2 input features (else AL_ERR_SHAPE). bounds (4) gets x0, x1, y0, y1 (y 0, 0
 * for one feature); out gets (size, size, OUT) for 2 features: cell (r, c) at its centre
 * x = x0 + (c + 1/2)(x1 - x0)/size, y = y0 + (r + 1/2)(y1 - y0)/size, row r = 0 at y0; or
 * (size, OUT) along x for 1. size 1..AL_PICTURE_MAX_SIZE. */
int al_experiment_picture_grid(al_experiment *e, int which, int size, float *bounds, float *out, al_error *err);

/* The verdict over the steps so far. */
void al_experiment_verdict(const al_experiment *e, al_verdict *v);
void al_experiment_free(al_experiment *e);

/* The experiment's effective config as JSON (every field of the schema, every default and
 * derived value settled: loss, model.sizes, optimizer.lr, schedule.tMax, data.n) into buf;
 * returns the length the text needs (call with cap 0 to ask). */
long al_experiment_config_json(const al_experiment *e, char *buf, long cap);

/* The causes a config implies when the runs differ, predicted without running (what the
 * run's verdict names, from the config alone: an uneven group if the data does not split
 * into whole groups, unequal target counts with a mask, clipping of partial sums, a schedule
 * stepped per micro-batch). Not clip_masks: whether clipping hid a scale depends on the
 * gradients' norms in the run. Returns AL_OK with the AL_CAUSE_* flags, or the config's error. */
int al_config_causes(const char *json, size_t len, int32_t *causes, al_error *err);
/* The i-th cause (0..al_cause_count()-1, in the order they are explained): its id and bit. */
int al_cause_count(void);
const char *al_cause_id(int i, int *bit);

/* Everything a binding reads: the config schema, the record/verdict/error layouts, cause
 * ids and bits, category names, datasets, limits; JSON into buf, returns the length needed. */
long al_contract_json(char *buf, long cap);

/* Compares two vectors (used by the experiment; exposed for tests). */
void al_compare(al_metrics *out, const float *a, const float *b, long n, double rtol, double atol);

/* Sizes of the structs, for bindings that read them from memory. */
int al_sizeof_error(void);
int al_sizeof_record(void);
int al_sizeof_verdict(void);

#endif
