/* core/settings.h — the settings the layers, losses, model and optimizer read: enums,
 * the limits that protect the machine, and the optimizer's and schedule's own structs.
 *
 * The JSON names, defaults, ranges and docs of every setting live in one table
 * (core/schema.c); this header holds only the C types, so that the numeric code does not
 * depend on the parser. Enum values index the name lists of the schema (schema.c).
 */
#ifndef ACCUMLAB_SETTINGS_H
#define ACCUMLAB_SETTINGS_H

/* Limits that protect the machine (documented in README, exported in the schema). */
#define AL_MAX_LAYERS 8             /* Linear layers; model.sizes has at most 9 entries */
#define AL_MAX_WIDTH 4096           /* any entry of model.sizes */
#define AL_MAX_PARAMS (2 << 20)     /* 2,097,152 parameters */
#define AL_MAX_BATCH 4096           /* workers * m * k */
#define AL_MAX_WORKERS 64           /* simulated data-parallel replicas */
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
typedef enum { AL_GEN_LAB, AL_GEN_TORCH } al_data_generator;
/* What a framework's accumulation loop does (core/frameworks.c sets the knobs below). */
typedef enum { AL_FW_PYTORCH, AL_FW_LIGHTNING, AL_FW_ACCELERATE, AL_FW_HF_TRAINER_BEFORE_4_46, AL_FW_HF_TRAINER,
               AL_FW_DEEPSPEED } al_framework;
/* Where a group of k micro-batches ends: with the epoch (a short last group), or by a global
 * micro-batch counter (groups run across the end of an epoch, as DeepSpeed's). */
typedef enum { AL_BOUNDARY_EPOCH, AL_BOUNDARY_GLOBAL } al_group_boundary;
/* What scale_loss divides a short group's losses by: k, or the group's micro-batches. */
typedef enum { AL_DIVISOR_ACCUM_STEPS, AL_DIVISOR_MICRO_BATCHES } al_last_group_divisor;
/* What `.grad` holds between micro-batches (core/lowp.h). */
typedef enum { AL_DTYPE_FP32, AL_DTYPE_BF16, AL_DTYPE_FP16 } al_grad_dtype;
/* Loss scaling (torch.amp.GradScaler's algorithm): none, a constant scale, or dynamic. */
typedef enum { AL_SCALE_NONE, AL_SCALE_STATIC, AL_SCALE_DYNAMIC } al_loss_scale_mode;
/* Where the loop calls scaler.unscale_() and scaler.update(): once per optimizer step (the
 * recipe) or after every backward (the mistake). */
typedef enum { AL_SCALER_PER_OPTIMIZER_STEP, AL_SCALER_PER_MICRO_BATCH } al_scaler_update;

/* "lossScale": GradScaler(init_scale, growth_factor, backoff_factor, growth_interval). */
typedef struct {
    al_loss_scale_mode mode;
    double scale;               /* init_scale, default 2^16 */
    double growth_factor;       /* 2 */
    double backoff_factor;      /* 0.5 */
    int growth_interval;        /* 2000 */
} al_loss_scale_settings;

/* "optimizer": what torch.optim's constructor takes. */
typedef struct {
    al_optimizer_name name;
    double lr;                  /* base learning rate, before the schedule */
    double momentum, dampening; /* sgd */
    int nesterov;               /* sgd, boolean */
    double weight_decay;        /* coupled (sgd, adam) or decoupled (adamw) */
    double beta1, beta2, eps;   /* adam, adamw */
} al_optimizer_settings;

/* "schedule": the learning-rate scheduler (PyTorch closed forms, see optim.h). */
typedef struct {
    al_schedule_name name;
    int step_size;              /* step */
    double gamma;               /* step */
    int t_max;                  /* cosine; 0 = not given (the experiment uses steps) */
    double eta_min;             /* cosine */
    int warmup_steps;           /* warmup */
} al_schedule_settings;

#endif
