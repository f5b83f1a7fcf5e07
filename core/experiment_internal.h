/* core/experiment_internal.h — the experiment's state, shared by its three parts:
 * batches.c (data, epochs, groups), experiment.c (creation and the step) and verdict.c
 * (categories, causes, the verdict). Not part of the public API (accumlab.h).
 *
 * Sizes: N samples, IN inputs, T target values per sample, OUT outputs, P parameters,
 * m micro-batch, k accumulation steps, G = m·k samples per optimizer step (fewer in an
 * uneven last group).
 */
#ifndef ACCUMLAB_EXPERIMENT_INTERNAL_H
#define ACCUMLAB_EXPERIMENT_INTERNAL_H

#include "accumlab.h"
#include "config.h"
#include "model.h"
#include "optim.h"
#include "rng.h"

/* GradScaler's state: the current scale and the good steps since it last changed. */
typedef struct { double scale; int growth_tracker; } al_scaler;

typedef struct {
    float *params;        /* (P) */
    float *grads;         /* (P) what p.grad holds */
    al_optim_state opt;
    float *running;       /* (2·(L-1)·max_width) batchnorm running mean, var */
    al_rng dropout[AL_MAX_WORKERS]; /* this run's generator (one per replica), each seeded like the other run's */
    long sched_t;         /* scheduler.step() calls so far */
    al_scaler scaler;     /* loss scaling (the accumulated run; lossScale none: scale 1) */
} al_run;

/* One pass of forward and backward: the parameters it runs at, where its gradients add up,
 * its BatchNorm running statistics and its dropout generator. */
typedef struct {
    const float *params;  /* (P) */
    float *grads;         /* (P) */
    float *running;       /* (2·(L-1)·max_width) */
    al_rng *dropout;      /* (workers) one generator per replica; the reference uses [0] */
    al_scaler *scaler;    /* the accumulated loop's loss scaler (its own, or a copy); NULL: the reference */
} al_pass;

/* What a run showed that the config alone cannot say (observed), or what the config
 * makes likely (predicted, al_config_causes). */
typedef struct {
    int uneven;           /* a group or micro-batch was smaller than m·k or m */
    int short_micro;      /* a replica's micro-batch was smaller than m (the epoch's last) */
    int mixed_micro;      /* one group held micro-batches of different sizes (a mean per micro-batch weights them unequally) */
    int unequal_worker_counts; /* replicas' groups held different numbers of valid targets */
    int unequal_counts;   /* micro-batches of a group held different numbers of valid targets per sample */
    int clip_acc;         /* clipping per micro-batch really clipped */
    int lr_differ;        /* the runs used different learning rates */
    int clip_masked;      /* clipping after accumulation cut both gradients and hid a scale */
    int underflow;        /* gradient entries became 0 in gradDtype (fp16 without enough loss scale) */
    int skipped;          /* the scaler skipped an optimizer step (inf/NaN in the scaled gradient) */
} al_signs;

/* A micro-step: positions [start, start+len) of epoch `epoch`'s order, at most W·m samples
 * (each replica's micro-batch is its share, as DistributedSampler deals them). */
typedef struct { long epoch; int start, len; } al_slice;

/* The data's shape, known before any data is made. */
typedef struct { int N, IN, raw_T, classes; } al_data_facts;

struct al_experiment {
    al_config cfg;        /* the effective config: every default and every derived value settled */
    al_model model;
    int N, IN, T, OUT, m, k, W, G, groups_per_epoch, total_steps, step;
    int micro_per_epoch;  /* groupBoundary global: micro-steps of W·m per epoch */
    al_slice *slices;     /* (k) this step's micro-steps */
    int n_micro;          /* how many */
    int *seg_rows;        /* (k·W) rows of replica r in micro-step j at [j·W + r]; the group holds them in this order */
    float *rep_running;   /* BatchNorm statistics of replicas > 0 (DDP keeps rank 0's: broadcast_buffers) */
    float *micro_g;       /* (P) one micro-batch's float32 gradient, before it is added in gradDtype (else NULL) */
    long underflow;       /* entries of this pass's micro-batch gradients that rounded to 0 */
    int label_targets;    /* class data used as an index (cross_entropy) or a 0/1 label (bce, 1 output) */
    float *x;             /* (N, IN) */
    float *y;             /* (N, T) */
    float *mask;          /* (N, T) or NULL */
    float *raw;           /* (N, raw_T) the targets as given (class indices or values) */
    float *raw_mask;      /* (N, raw_T) an explicit mask as given, or NULL */
    int *perm;            /* (N) this epoch's order */
    long perm_epoch;
    float *gx, *gy, *gmask; /* (G, IN), (G, T), (G, T): this step's group, gathered */
    int *gids;            /* (G) dataset index of each sample of the group */
    float *dy;            /* (G, OUT) */
    float *init;          /* (P) */
    al_acts acts;
    al_run ref, acc;
    float *sp_grads;      /* (P) the accumulated loop's gradient at the reference parameters */
    float *sp_unclipped;  /* (P) the same without clipping, when clipping is per micro-batch; else NULL */
    float *sp_running;    /* (2·(L-1)·max_width) scratch BatchNorm statistics of that pass */
    float *sp_dy;         /* (G, OUT) that loop's loss gradients, where the reference's backward can take it; else NULL */
    float *sp_seg;        /* (2·k·W) its micro-batches' loss scales, then their ratios to the reference's; or NULL */
    int sp_done;          /* 1 once this step's reference backward has filled sp_grads */
    int params_equal;     /* 1 while both runs' parameters are bitwise equal (the last comparison's flag) */
    void *arena;
    /* verdict, built up step by step */
    al_verdict v;
    al_signs seen;
    int saw_grads_off;
    int pass_phase, pass_done; /* progress inside the current step (al_progress) */
};

/* Progress inside one step, for a host that shows it (the page: "accumulated run,
 * micro-batch 812 of 4096"): phase AL_PHASE_*, micro-batches done of total in that phase.
 * The wasm build calls the host's import env.al_progress (wasm/host-imports.js: the binding
 * gives it); numbers never depend on it. Native builds have no host to tell. */
enum { AL_PHASE_REFERENCE, AL_PHASE_SAME_POINT, AL_PHASE_ACCUMULATED };
#ifdef __EMSCRIPTEN__
void al_progress(int phase, int done, int total);
#else
static inline void al_progress(int phase, int done, int total) { (void)phase; (void)done; (void)total; }
#endif

/* ---- batches.c ---- */
void al_data_facts_of(al_data_facts *f, const al_config *c);
/* Settles loss, model sizes (c->sizes, c->hidden), T and label_targets against the data. */
int al_fit_model_to_data(al_experiment *e, const al_data_facts *f, al_error *err);
/* Fills x, y (one-hot where needed), mask, raw and raw_mask from the config. */
void al_fill_data(al_experiment *e, const al_data_facts *f);
/* Gathers the group of step s into gx, gy, gmask, gids, micro-step by micro-step and in each
 * replica by replica (seg_rows, n_micro); returns its size. */
int al_gather_group(al_experiment *e, long s);
/* Every group the run will see must have a valid target (a mean over none is 0/0). */
int al_check_masks(al_experiment *e, al_error *err);
/* The error of a group of step s (from 0) whose mask leaves no valid target. */
int al_fail_empty_group(const al_experiment *e, long s, int size, al_error *err);
/* Samples of the first groups that creation checks for a valid target (see al_check_masks). */
#define AL_MASK_CHECK_SAMPLES (1L << 20)

/* ---- verdict.c ---- */
int al_grad_category(const al_metrics *g, double rtol);
/* Folds one step's record into the verdict. */
void al_fold_verdict(al_experiment *e, const al_step_record *rec);
/* The causes this config (and these signs) explain when the runs differ. hidden_dropout:
 * hidden layers with dropout > 0. */
int al_causes_of(const al_config *c, int hidden_dropout, const al_signs *s);

#endif
