/* core/config.h — the experiment config: the one contract between every part.
 *
 * JSON in (the same object the page keeps in its URL and the CLI reads), validated here,
 * out comes an al_config with every default filled. Field names are the JSON names of the
 * README; every field is optional. Unknown fields are errors (typos must not pass silently).
 * Checks that need the data (model sizes vs data, batch vs N, class targets vs outputs)
 * happen in experiment.c, which owns the data.
 */
#ifndef ACCUMLAB_CONFIG_H
#define ACCUMLAB_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "datasets.h"
#include "error.h"

/* Limits that protect the machine (documented in README). */
#define AL_MAX_LAYERS 8             /* Linear layers; model.sizes has at most 9 entries */
#define AL_MAX_WIDTH 4096           /* any entry of model.sizes */
#define AL_MAX_PARAMS (2 << 20)     /* 2,097,152 parameters */
#define AL_MAX_BATCH 4096           /* m * k */
#define AL_MAX_SAMPLES 100000       /* data.n or explicit rows */
#define AL_MAX_STEPS 100000         /* optimizer steps */
#define AL_MAX_ARENA_BYTES (512u << 20) /* one experiment's memory */
#define AL_MAX_SEED 9007199254740991.0  /* 2^53 - 1: exact in JSON/JS numbers */

typedef enum { AL_ACT_RELU, AL_ACT_TANH, AL_ACT_SIGMOID, AL_ACT_GELU, AL_ACT_IDENTITY } al_activation;
typedef enum { AL_NORM_NONE, AL_NORM_BATCH, AL_NORM_LAYER } al_norm;
typedef enum { AL_LOSS_L1, AL_LOSS_MSE, AL_LOSS_CROSS_ENTROPY, AL_LOSS_BCE } al_loss;
typedef enum { AL_REDUCTION_MEAN, AL_REDUCTION_SUM } al_reduction;
typedef enum { AL_CORR_NONE, AL_CORR_SCALE_LOSS, AL_CORR_SCALE_LR, AL_CORR_GLOBAL_COUNT } al_correction;
typedef enum { AL_OPT_SGD, AL_OPT_ADAM, AL_OPT_ADAMW } al_optimizer_name;
typedef enum { AL_CLIP_AFTER_ACCUMULATION, AL_CLIP_PER_MICRO_BATCH } al_clip_placement;
typedef enum { AL_SCHED_CONSTANT, AL_SCHED_STEP, AL_SCHED_COSINE, AL_SCHED_WARMUP } al_schedule_name;
typedef enum { AL_SCHED_PER_OPTIMIZER_STEP, AL_SCHED_PER_MICRO_BATCH } al_scheduler_stepping;
typedef enum { AL_RNG_STREAM, AL_RNG_KEYED } al_dropout_rng;
typedef enum { AL_LAST_KEEP, AL_LAST_DROP } al_last_group;

typedef struct {
    uint64_t seed;                  /* "seed": integer 0..2^53-1, default 1 */

    /* "model": {sizes, activation, dropout, norm} */
    int n_sizes;                    /* 0 = not given: experiment uses [IN, 16, 16, OUT] */
    int sizes[AL_MAX_LAYERS + 1];   /* "sizes": 2..9 integers, each 1..AL_MAX_WIDTH */
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

    struct {                        /* "optimizer": {name, lr, momentum, dampening, nesterov, weightDecay, betas, eps} */
        al_optimizer_name name;     /* sgd|adam|adamw, default sgd */
        double lr;                  /* > 0, finite; default 0.1 for sgd, 0.001 for adam/adamw */
        double momentum;            /* [0, 1), default 0 */
        double dampening;           /* [0, 1], default 0 */
        int nesterov;               /* boolean, default false; needs momentum > 0 and dampening 0 (as PyTorch) */
        double weight_decay;        /* >= 0, default 0 (adamw: 0.01) */
        double beta1, beta2;        /* "betas": [b1, b2], each in [0, 1), default [0.9, 0.999] */
        double eps;                 /* > 0, default 1e-8 */
    } optimizer;

    double clip_grad_norm;          /* "clipGradNorm": > 0 to clip, 0 or null = off (default) */
    al_clip_placement clip_placement; /* "clipPlacement": after_accumulation (default)|per_micro_batch */

    struct {                        /* "schedule": {name, stepSize, gamma, tMax, etaMin, warmupSteps} */
        al_schedule_name name;      /* constant (default)|step|cosine|warmup */
        int step_size;              /* >= 1, default 10 */
        double gamma;               /* (0, 1], default 0.1 */
        int t_max;                  /* >= 1; 0 = not given: experiment uses steps */
        double eta_min;             /* >= 0, default 0 */
        int warmup_steps;           /* >= 1, default 5 */
    } schedule;
    al_scheduler_stepping scheduler_stepping; /* "schedulerStepping": per_optimizer_step (default)|per_micro_batch */
    al_dropout_rng dropout_rng;     /* "dropoutRng": stream (default)|keyed */

    struct {                        /* "data": {name, n, noise, maskFraction, shuffle} or {inputs, targets, mask, shuffle} */
        al_data_name name;          /* built-in name, default moons; AL_DATA_EXPLICIT when inputs are given */
        int n;                      /* 1..AL_MAX_SAMPLES (digits: ..1797), default 256 (digits: 1797) */
        double noise;               /* [0, 10], default 0.1 */
        double mask_fraction;       /* [0, 1): each target value masked out with this probability, default 0 */
        int shuffle;                /* boolean, default true: a seeded permutation per epoch, same for both runs */
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
void al_config_free(al_config *c);

/* The JSON names of the enums, for messages and for the verdict (index = enum value). */
const char *al_activation_name(al_activation a);
const char *al_loss_name(al_loss l);

#endif
