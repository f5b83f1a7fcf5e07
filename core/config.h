/* core/config.h — the experiment config: the one contract between every part.
 *
 * JSON in (the same object the page keeps in its URL and the CLI reads), validated against
 * the field table (schema.h), out comes an al_config with every default filled. Every field
 * is optional; null means the default. Unknown fields are errors (typos must not pass silently).
 * Checks that need the data (model sizes vs data, batch vs N, class targets vs outputs)
 * happen in experiment.c, which owns the data.
 */
#ifndef ACCUMLAB_CONFIG_H
#define ACCUMLAB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "datasets.h"
#include "error.h"
#include "jsonw.h"
#include "settings.h"

typedef struct al_config_s {
    uint64_t seed;                  /* "seed": integer 0..2^53-1, default 1 */

    /* "model": {sizes, activation, dropout, norm} */
    int n_sizes;                    /* 0 = not given: experiment uses [IN, 16, 16, OUT] */
    int sizes[AL_MAX_LAYERS + 1];   /* "sizes": 2..9 integers, each 1..AL_MAX_WIDTH */
    int n_hidden;                   /* "hidden": the hidden widths, sizes[1..n_sizes-2] when sizes is given */
    int hidden[AL_MAX_LAYERS - 1];
    al_activation activation;       /* "activation": relu|tanh|sigmoid|gelu|identity, default tanh */
    int n_dropout;                  /* 0 = one value for all hidden layers (dropout[0]) */
    float dropout[AL_MAX_LAYERS];   /* "dropout": number in [0,1) or array of them (one per hidden layer), default 0 */
    al_norm norm;                   /* "norm": none|batchnorm|layernorm, default none */

    int loss_given;                 /* 0: experiment picks cross_entropy for class data, mse otherwise */
    al_loss loss;                   /* "loss": l1|mse|cross_entropy|bce */
    al_reduction reduction;         /* "reduction": mean|sum, default mean */
    int batch_size;                 /* "batchSize": m, integer >= 1, default 8 */
    int accum_steps;                /* "accumSteps": k, integer >= 1, default 4; m*k <= AL_MAX_BATCH */
    al_correction correction;       /* "correction": none|scale_loss|scale_lr|global_count, default none */

    al_optimizer_settings optimizer; /* "optimizer": {name, lr, momentum, dampening, nesterov, weightDecay, betas, eps} */

    double clip_grad_norm;          /* "clipGradNorm": > 0 to clip, 0 or null = off (default) */
    al_clip_placement clip_placement; /* "clipPlacement": after_accumulation (default)|per_micro_batch */

    al_schedule_settings schedule;  /* "schedule": {name, stepSize, gamma, tMax, etaMin, warmupSteps} */
    al_scheduler_stepping scheduler_stepping; /* "schedulerStepping": per_optimizer_step (default)|per_micro_batch */
    al_dropout_rng dropout_rng;     /* "dropoutRng": stream (default)|keyed */

    struct {                        /* "data": {name, n, noise, maskFraction, shuffle} or {inputs, targets, mask, shuffle} */
        al_data_name name;          /* built-in name, default moons; AL_DATA_EXPLICIT when inputs are given */
        int n;                      /* 1..AL_MAX_SAMPLES (digits: ..1797), default 256 (digits: 1797) */
        double noise;               /* [0, 10], default 0.1 */
        double mask_fraction;       /* [0, 1): each target value masked out with this probability, default 0 */
        int shuffle;                /* boolean, default true: a seeded permutation per epoch, same for both runs */
        int seed_given;             /* 0: the data is drawn from the top-level seed */
        uint64_t seed;              /* "seed": the data's own seed (torch.manual_seed before torch.rand) */
        al_data_generator generator; /* "generator": lab (default) | torch */
        /* explicit data (name == AL_DATA_EXPLICIT), malloc'd, freed by al_config_free */
        int rows;                   /* N */
        int in_dim;                 /* IN: every row of inputs has this length */
        int target_dim;             /* T: 1 for class indices */
        int class_targets;          /* 1 if "targets" was number[] of non-negative integers */
        float *inputs;              /* (N, IN) */
        float *targets;             /* (N, T) */
        float *mask;                /* (N, T) of 0/1, or NULL */
    } data;

    float *init;                    /* "init": flat number[] (finite), malloc'd, or NULL */
    size_t init_len;
    int init_torch;                 /* "init": "torch": PyTorch's own init after torch.manual_seed(seed) */
    int borrowed;                   /* 1: the arrays above point into an experiment's arena (not freed here) */
    const float *const *bins;       /* while parsing: the binding's float arrays for {"binary": k, "shape"} (not owned) */
    const int32_t *bin_lens;        /* their lengths (a block's shape must match) */
    int n_bins;

    /* data parallelism and what a framework does (core/frameworks.c) */
    al_framework framework;         /* "framework": pytorch (default: a plain loop)|lightning|accelerate|hf_trainer_before_4_46|hf_trainer|deepspeed */
    int workers;                    /* "workers": W simulated data-parallel replicas, 1..AL_MAX_WORKERS; W*m*k <= AL_MAX_BATCH */
    int sync_batchnorm;             /* "syncBatchNorm": BatchNorm statistics over all replicas' micro-batches of a micro-step */
    al_group_boundary group_boundary; /* "groupBoundary": epoch|global (derived from framework) */
    al_last_group_divisor last_group_divisor; /* "lastGroupDivisor": accum_steps|micro_batches (derived) */
    int scheduler_steps;            /* "schedulerStepsPerOptimizerStep": 1.. (derived: workers for accelerate) */
    int count_across_workers;       /* "countAcrossWorkers": global_count counts the whole group on every replica */

    /* precision: what .grad holds between micro-batches, and loss scaling */
    al_grad_dtype grad_dtype;       /* "gradDtype": fp32 (default)|bf16|fp16 */
    al_loss_scale_settings loss_scale; /* "lossScale": {mode, scale, growthFactor, backoffFactor, growthInterval} */
    al_scaler_update scaler_update; /* "scalerUpdate": per_optimizer_step (default)|per_micro_batch */

    int steps;                      /* "steps": 1..AL_MAX_STEPS, default 20 */
    al_last_group last_group;       /* "lastGroup": keep (default)|drop */
    double rtol, atol;              /* "rtol", "atol": >= 0, finite, defaults 1e-5, 1e-8 */
} al_config;

/* Fills c with every default. */
void al_config_defaults(al_config *c);
/* Parses and validates JSON text (UTF-8, len bytes) into c (defaults filled first).
 * Returns AL_OK, or an error code with err naming the field, the value and what is allowed.
 * On error c holds no allocations. Always pair a successful call with al_config_free. */
int al_config_parse(al_config *c, const char *json, size_t len, al_error *err);
/* As al_config_parse, where data.inputs, data.targets, data.mask and init may also be
 * {"binary": k, "shape": [rows, cols]} (or [n]): floats from bins[k], row-major, checked and
 * named element by element as JSON numbers are. bins may be NULL (n_bins 0). */
int al_config_parse_with(al_config *c, const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err);
void al_config_free(al_config *c);

/* Writes c as JSON with every field of the schema (schema.h), nested as the input is:
 * the effective config, after defaults. Fields that do not apply are null (data.n of
 * explicit data, init when the lab initialises). */
void al_config_write(const al_config *c, al_out *o);

/* The framework's defaults (core/frameworks.c) for the knobs not given: correction,
 * groupBoundary, lastGroupDivisor, schedulerStepsPerOptimizerStep. */
void al_framework_settle(al_config *c, int correction_given, int boundary_given, int divisor_given, int steps_given);
/* Each framework's defaults as a JSON array, for the contract. */
void al_frameworks_write(al_out *o);

/* The JSON names of the enums, for messages and for the verdict (index = enum value). */
const char *al_activation_name(al_activation a);
const char *al_loss_name(al_loss l);

#endif
