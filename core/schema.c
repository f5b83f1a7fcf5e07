/* core/schema.c — the field table of schema.h and the schema it exports.
 *
 * Ranges follow what PyTorch accepts where the field is PyTorch's (betas in [0, 1), lr > 0,
 * momentum in [0, 1)); the AL_MAX_* limits protect the machine and answer AL_ERR_LIMIT.
 */
#include "schema.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "config.h"
#include "error.h"

#define AT(member) AL_ST_NONE, offsetof(al_config, member)
#define INT_AT(member) AL_ST_INT, offsetof(al_config, member)
#define DBL_AT(member) AL_ST_DOUBLE, offsetof(al_config, member)
#define NO_STORE AL_ST_NONE, 0

static const char *const ACTIVATIONS[] = {"relu", "tanh", "sigmoid", "gelu", "identity", 0};
static const char *const NORMS[] = {"none", "batchnorm", "layernorm", 0};
static const char *const LOSSES[] = {"l1", "mse", "cross_entropy", "bce", 0};
static const char *const REDUCTIONS[] = {"mean", "sum", 0};
static const char *const CORRECTIONS[] = {"none", "scale_loss", "scale_lr", "global_count", 0};
static const char *const OPTIMIZERS[] = {"sgd", "adam", "adamw", 0};
static const char *const CLIP_PLACEMENTS[] = {"after_accumulation", "per_micro_batch", 0};
static const char *const SCHEDULES[] = {"constant", "step", "cosine", "warmup", 0};
static const char *const STEPPINGS[] = {"per_optimizer_step", "per_micro_batch", 0};
static const char *const DROPOUT_RNGS[] = {"stream", "keyed", 0};
static const char *const DATA_NAMES[] = {"seed_example", "regression", "moons", "circles", "xor",
                                         "spirals", "gaussians", "digits", 0}; /* al_data_name order */
static const char *const LAST_GROUPS[] = {"keep", "drop", 0};
static const char *const GENERATORS[] = {"lab", "torch", 0};
static const char *const INIT_NAMES[] = {"torch", 0};   /* init's string form; otherwise a list */
static const char *const FRAMEWORKS[] = {"pytorch", "lightning", "accelerate", "hf_trainer_before_4_46", "hf_trainer",
                                         "deepspeed", 0};     /* al_framework order */
static const char *const BOUNDARIES[] = {"epoch", "global", 0};
static const char *const DIVISORS[] = {"accum_steps", "micro_batches", 0};
static const char *const DTYPES[] = {"fp32", "bf16", "fp16", 0};
static const char *const SCALE_MODES[] = {"none", "static", "dynamic", 0};
static const char *const SCALER_UPDATES[] = {"per_optimizer_step", "per_micro_batch", 0};

static const al_list_spec SIZES = {AL_FT_INT, 1, AL_MAX_WIDTH, 0, 0, 2, AL_MAX_LAYERS + 1, -1, {0, 0}, 0};
static const al_list_spec HIDDEN = {AL_FT_INT, 1, AL_MAX_WIDTH, 0, 0, 0, AL_MAX_LAYERS - 1, 2, {16, 16}, 0};
static const al_list_spec DROPOUT = {AL_FT_NUMBER, 0, 1, 0, 1, 1, AL_MAX_LAYERS, -1, {0, 0}, 1};
static const al_list_spec BETAS = {AL_FT_NUMBER, 0, 1, 0, 1, 2, 2, 2, {0.9, 0.999}, 0};
static const al_list_spec ROWS = {AL_FT_LIST, -FLT_MAX, FLT_MAX, 0, 0, 1, AL_MAX_SAMPLES, -1, {0, 0}, 0};
static const al_list_spec TARGETS = {AL_FT_NUMBER, -FLT_MAX, FLT_MAX, 0, 0, 1, AL_MAX_SAMPLES, -1, {0, 0}, 0};
static const al_list_spec MASK = {AL_FT_LIST, 0, 1, 0, 0, 1, AL_MAX_SAMPLES, -1, {0, 0}, 0};
static const al_list_spec INIT = {AL_FT_NUMBER, -FLT_MAX, FLT_MAX, 0, 0, 1, AL_MAX_PARAMS, -1, {0, 0}, 0};

#define INF INFINITY
#define RANGE AL_ERR_RANGE
#define LIMIT AL_ERR_LIMIT

/* path, type, storage, derived, default, min, max, min_open, max_open, over_code, options,
 * aliases, flag, auto, doc, list */
static const al_field FIELDS[AL_FIELD_COUNT] = {
    [AL_F_SEED] = {"seed", AL_FT_INT, AL_ST_U64, offsetof(al_config, seed), 0, 1, 0, AL_MAX_SEED, 0, 0, RANGE, 0,
        0, "seed", 0, "Seed of every random draw: data, initial parameters, dropout masks, shuffling.", 0},
    [AL_F_MODEL] = {"model", AL_FT_OBJECT, NO_STORE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        "The network: nn.Sequential(Linear, [Norm], Act, [Dropout], ..., Linear).", 0},
    [AL_F_MODEL_SIZES] = {"model.sizes", AL_FT_LIST, NO_STORE, 1, 0, 0, 0, 0, 0, LIMIT, 0,
        "layers", "sizes", "[inputs, ...model.hidden, outputs], inputs and outputs from the data and the loss",
        "Every layer's width, input to output (give this or model.hidden).", &SIZES},
    [AL_F_MODEL_HIDDEN] = {"model.hidden", AL_FT_LIST, NO_STORE, 0, 0, 0, 0, 0, 0, LIMIT, 0,
        "hiddenSizes", "hidden", 0,
        "Hidden layer widths; [] is a linear model. Inputs and outputs come from the data and the loss.", &HIDDEN},
    [AL_F_MODEL_ACTIVATION] = {"model.activation", AL_FT_ENUM, INT_AT(activation), 0, AL_ACT_TANH, 0, 0, 0, 0, RANGE,
        ACTIVATIONS, 0, "activation", 0, "Activation after each hidden Linear (and its norm).", 0},
    [AL_F_MODEL_DROPOUT] = {"model.dropout", AL_FT_NUMBER, NO_STORE, 0, 0, 0, 1, 0, 1, LIMIT, 0,
        0, "dropout", 0, "Dropout probability after each hidden activation, or a list with one per hidden layer.", &DROPOUT},
    [AL_F_MODEL_NORM] = {"model.norm", AL_FT_ENUM, INT_AT(norm), 0, AL_NORM_NONE, 0, 0, 0, 0, RANGE, NORMS,
        0, "norm", 0, "Normalisation after each hidden Linear: BatchNorm1d (training mode) or LayerNorm.", 0},
    [AL_F_LOSS] = {"loss", AL_FT_ENUM, INT_AT(loss), 1, AL_LOSS_MSE, 0, 0, 0, 0, RANGE, LOSSES,
        0, "loss", "cross_entropy for class targets, mse otherwise",
        "Loss; class targets are one-hot over the outputs for mse, l1 and bce (bce on a 1-output model: a 0/1 label).", 0},
    [AL_F_REDUCTION] = {"reduction", AL_FT_ENUM, INT_AT(reduction), 0, AL_REDUCTION_MEAN, 0, 0, 0, 0, RANGE, REDUCTIONS,
        0, "reduction", 0, "How each backward's loss reduces over its samples (the big batch's too).", 0},
    [AL_F_BATCH_SIZE] = {"batchSize", AL_FT_INT, INT_AT(batch_size), 0, 8, 1, AL_MAX_BATCH, 0, 0, LIMIT, 0,
        "microBatchSize batch_size", "batch", 0, "m: samples per micro-batch of the accumulated run.", 0},
    [AL_F_ACCUM_STEPS] = {"accumSteps", AL_FT_INT, INT_AT(accum_steps), 0, 4, 1, AL_MAX_BATCH, 0, 0, LIMIT, 0,
        "gradientAccumulationSteps accumulationSteps gradient_accumulation_steps accumulate_grad_batches", "accum", 0,
        "k: micro-batches accumulated per optimizer step; the reference run's batch is m·k (at most 4096).", 0},
    [AL_F_CORRECTION] = {"correction", AL_FT_ENUM, INT_AT(correction), 1, AL_CORR_NONE, 0, 0, 0, 0, RANGE, CORRECTIONS,
        0, "correction", "none; the framework's: scale_loss (lightning, accelerate, deepspeed, hf_trainer_before_4_46), global_count (hf_trainer)",
        "How the accumulated run makes up for k: divide each loss by k, the lr by k, or the summed loss by the group's items.", 0},
    [AL_F_OPTIMIZER] = {"optimizer", AL_FT_OBJECT, NO_STORE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        "torch.optim's optimizer and its arguments.", 0},
    [AL_F_OPT_NAME] = {"optimizer.name", AL_FT_ENUM, INT_AT(optimizer.name), 0, AL_OPT_SGD, 0, 0, 0, 0, RANGE, OPTIMIZERS,
        0, "optimizer", 0, "SGD, Adam or AdamW.", 0},
    [AL_F_OPT_LR] = {"optimizer.lr", AL_FT_NUMBER, DBL_AT(optimizer.lr), 1, 0.1, 0, INF, 1, 0, RANGE, 0,
        "learningRate learning_rate", "lr", "0.1 for sgd, 0.001 for adam and adamw", "Base learning rate (before the schedule).", 0},
    [AL_F_OPT_MOMENTUM] = {"optimizer.momentum", AL_FT_NUMBER, DBL_AT(optimizer.momentum), 0, 0, 0, 1, 0, 1, RANGE, 0,
        0, 0, 0, "SGD momentum.", 0},
    [AL_F_OPT_DAMPENING] = {"optimizer.dampening", AL_FT_NUMBER, DBL_AT(optimizer.dampening), 0, 0, 0, 1, 0, 0, RANGE, 0,
        0, 0, 0, "SGD dampening.", 0},
    [AL_F_OPT_NESTEROV] = {"optimizer.nesterov", AL_FT_BOOL, INT_AT(optimizer.nesterov), 0, 0, 0, 1, 0, 0, RANGE, 0,
        0, 0, 0, "SGD Nesterov momentum (needs momentum > 0 and dampening 0).", 0},
    [AL_F_OPT_WEIGHT_DECAY] = {"optimizer.weightDecay", AL_FT_NUMBER, DBL_AT(optimizer.weight_decay), 1, 0, 0, INF, 0, 0,
        RANGE, 0, "weight_decay", 0, "0 (adamw: 0.01)", "Weight decay: coupled for sgd and adam, decoupled for adamw.", 0},
    [AL_F_OPT_BETAS] = {"optimizer.betas", AL_FT_LIST, NO_STORE, 0, 0, 0, 0, 0, 0, RANGE, 0,
        0, 0, 0, "Adam's [beta1, beta2].", &BETAS},
    [AL_F_OPT_EPS] = {"optimizer.eps", AL_FT_NUMBER, DBL_AT(optimizer.eps), 0, 1e-8, 0, INF, 1, 0, RANGE, 0,
        0, 0, 0, "Adam's eps.", 0},
    [AL_F_CLIP_GRAD_NORM] = {"clipGradNorm", AL_FT_NUMBER, DBL_AT(clip_grad_norm), 0, 0, 0, INF, 0, 0, RANGE, 0,
        "maxGradNorm max_grad_norm gradient_clip_val", "clip", 0, "clip_grad_norm_'s max_norm; 0 = no clipping.", 0},
    [AL_F_CLIP_PLACEMENT] = {"clipPlacement", AL_FT_ENUM, INT_AT(clip_placement), 0, AL_CLIP_AFTER_ACCUMULATION, 0, 0, 0, 0,
        RANGE, CLIP_PLACEMENTS, 0, "clip-placement", 0, "Where the accumulated run clips: once before the step, or after every backward.", 0},
    [AL_F_SCHEDULE] = {"schedule", AL_FT_OBJECT, NO_STORE, 0, 0, 0, 0, 0, 0, 0, 0, "scheduler", 0, 0,
        "The learning-rate schedule.", 0},
    [AL_F_SCHED_NAME] = {"schedule.name", AL_FT_ENUM, INT_AT(schedule.name), 0, AL_SCHED_CONSTANT, 0, 0, 0, 0, RANGE,
        SCHEDULES, 0, "schedule", 0, "constant, StepLR, CosineAnnealingLR or a linear warm-up (LambdaLR).", 0},
    [AL_F_SCHED_STEP_SIZE] = {"schedule.stepSize", AL_FT_INT, INT_AT(schedule.step_size), 0, 10, 1, INT_MAX, 0, 0, RANGE, 0,
        "step_size", 0, 0, "StepLR's step_size.", 0},
    [AL_F_SCHED_GAMMA] = {"schedule.gamma", AL_FT_NUMBER, DBL_AT(schedule.gamma), 0, 0.1, 0, 1, 1, 0, RANGE, 0,
        0, 0, 0, "StepLR's gamma.", 0},
    [AL_F_SCHED_T_MAX] = {"schedule.tMax", AL_FT_INT, INT_AT(schedule.t_max), 1, 0, 1, INT_MAX, 0, 0, RANGE, 0,
        "T_max", 0, "steps", "CosineAnnealingLR's T_max.", 0},
    [AL_F_SCHED_ETA_MIN] = {"schedule.etaMin", AL_FT_NUMBER, DBL_AT(schedule.eta_min), 0, 0, 0, INF, 0, 0, RANGE, 0,
        "eta_min", 0, 0, "CosineAnnealingLR's eta_min.", 0},
    [AL_F_SCHED_WARMUP_STEPS] = {"schedule.warmupSteps", AL_FT_INT, INT_AT(schedule.warmup_steps), 0, 5, 1, INT_MAX, 0, 0,
        RANGE, 0, "warmup_steps", 0, 0, "Steps of the linear warm-up.", 0},
    [AL_F_SCHEDULER_STEPPING] = {"schedulerStepping", AL_FT_ENUM, INT_AT(scheduler_stepping), 0, AL_SCHED_PER_OPTIMIZER_STEP,
        0, 0, 0, 0, RANGE, STEPPINGS, 0, "scheduler-stepping", 0, "Where the accumulated run calls scheduler.step().", 0},
    [AL_F_DROPOUT_RNG] = {"dropoutRng", AL_FT_ENUM, INT_AT(dropout_rng), 0, AL_RNG_STREAM, 0, 0, 0, 0, RANGE, DROPOUT_RNGS,
        0, "dropout-rng", 0, "Dropout masks from one generator in call order, or keyed by (seed, step, layer, sample).", 0},
    [AL_F_DATA] = {"data", AL_FT_OBJECT, NO_STORE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        "A built-in dataset {name, n, noise} or explicit {inputs, targets, mask}.", 0},
    [AL_F_DATA_NAME] = {"data.name", AL_FT_ENUM, INT_AT(data.name), 0, AL_DATA_MOONS, 0, 0, 0, 0, RANGE, DATA_NAMES,
        "dataset", "data", 0, "Built-in dataset.", 0},
    [AL_F_DATA_N] = {"data.n", AL_FT_INT, INT_AT(data.n), 1, 256, 1, AL_MAX_SAMPLES, 0, 0, LIMIT, 0,
        "samples", "n", "256 (digits: all 1797)", "Samples of a built-in dataset (digits: at most 1797).", 0},
    [AL_F_DATA_NOISE] = {"data.noise", AL_FT_NUMBER, DBL_AT(data.noise), 0, 0.1, 0, 10, 0, 0, RANGE, 0,
        0, 0, 0, "Noise of a built-in dataset.", 0},
    [AL_F_DATA_SEED] = {"data.seed", AL_FT_INT, AL_ST_U64, offsetof(al_config, data.seed), 1, 1, 0, AL_MAX_SEED, 0, 0, RANGE, 0,
        0, 0, "the top-level seed", "The data's own seed (torch.manual_seed(seed) before torch.rand with generator torch).", 0},
    [AL_F_DATA_GENERATOR] = {"data.generator", AL_FT_ENUM, INT_AT(data.generator), 0, AL_GEN_LAB, 0, 0, 0, 0, RANGE, GENERATORS,
        0, 0, 0, "seed_example's numbers: the lab's generator, or PyTorch's: x = torch.rand(n, 4), y = torch.rand(n, 2).", 0},
    [AL_F_DATA_MASK_FRACTION] = {"data.maskFraction", AL_FT_NUMBER, DBL_AT(data.mask_fraction), 0, 0, 0, 1, 0, 1, RANGE, 0,
        0, "mask-fraction", 0, "Each target value is masked out with this probability (a variable number of valid targets).", 0},
    [AL_F_DATA_SHUFFLE] = {"data.shuffle", AL_FT_BOOL, INT_AT(data.shuffle), 0, 1, 0, 1, 0, 0, RANGE, 0,
        0, 0, 0, "A seeded permutation every epoch, the same in both runs.", 0},
    [AL_F_DATA_INPUTS] = {"data.inputs", AL_FT_LIST, NO_STORE, 1, 0, 0, 0, 0, 0, LIMIT, 0,
        "x", 0, 0, "Explicit inputs: rows of numbers (N, IN).", &ROWS},
    [AL_F_DATA_TARGETS] = {"data.targets", AL_FT_LIST, NO_STORE, 1, 0, 0, 0, 0, 0, LIMIT, 0,
        "y", 0, 0, "Explicit targets: class indices (N) or rows of numbers (N, T).", &TARGETS},
    [AL_F_DATA_MASK] = {"data.mask", AL_FT_LIST, NO_STORE, 1, 0, 0, 0, 0, 0, LIMIT, 0,
        0, 0, 0, "Explicit 0/1 mask of valid targets, rows like data.targets.", &MASK},
    [AL_F_INIT] = {"init", AL_FT_LIST, NO_STORE, 1, 0, 0, 0, 0, 0, LIMIT, INIT_NAMES,
        0, 0, "U(±1/sqrt(fan_in)) from the seed, as nn.Linear's default, by the lab's generator",
        "Initial parameters, flat, in PyTorch parameters() order; or \"torch\": PyTorch's own, bit for bit, after torch.manual_seed(seed).", &INIT},
    [AL_F_FRAMEWORK] = {"framework", AL_FT_ENUM, INT_AT(framework), 0, AL_FW_PYTORCH, 0, 0, 0, 0, RANGE, FRAMEWORKS,
        0, "framework", 0,
        "Whose accumulation loop: a plain PyTorch loop, or what that framework does (sets correction, groupBoundary, lastGroupDivisor, schedulerStepsPerOptimizerStep; each can be overridden).", 0},
    [AL_F_WORKERS] = {"workers", AL_FT_INT, INT_AT(workers), 0, 1, 1, AL_MAX_WORKERS, 0, 0, LIMIT, 0,
        "worldSize world_size num_processes nprocs", "workers", 0,
        "W simulated data-parallel replicas (DDP): each group of W·m·k samples is split as DistributedSampler splits it, gradients averaged once per step; the reference is one process with batch W·m·k.", 0},
    [AL_F_SYNC_BATCHNORM] = {"syncBatchNorm", AL_FT_BOOL, INT_AT(sync_batchnorm), 0, 0, 0, 1, 0, 0, RANGE, 0,
        "sync_batchnorm", "sync-batchnorm", 0, "SyncBatchNorm: statistics over all replicas' micro-batches of one micro-step (per replica otherwise).", 0},
    [AL_F_GROUP_BOUNDARY] = {"groupBoundary", AL_FT_ENUM, INT_AT(group_boundary), 1, AL_BOUNDARY_EPOCH, 0, 0, 0, 0, RANGE, BOUNDARIES,
        0, "group-boundary", "epoch; global for deepspeed and hf_trainer_before_4_46",
        "Where a group of k micro-batches ends: with the epoch (its last group can be short), or by a global micro-batch counter (groups run across epochs).", 0},
    [AL_F_LAST_GROUP_DIVISOR] = {"lastGroupDivisor", AL_FT_ENUM, INT_AT(last_group_divisor), 1, AL_DIVISOR_ACCUM_STEPS, 0, 0, 0, 0, RANGE,
        DIVISORS, 0, "last-group-divisor", "accum_steps; micro_batches for hf_trainer",
        "What scale_loss divides a short group's losses by: k, or the group's actual number of micro-batches.", 0},
    [AL_F_SCHEDULER_STEPS] = {"schedulerStepsPerOptimizerStep", AL_FT_INT, INT_AT(scheduler_steps), 1, 1, 1, AL_MAX_WORKERS, 0, 0, RANGE, 0,
        0, "scheduler-steps", "1; workers for accelerate (a prepared scheduler steps once per process)",
        "How far the accumulated run's schedule moves per scheduler.step() call.", 0},
    [AL_F_COUNT_ACROSS_WORKERS] = {"countAcrossWorkers", AL_FT_BOOL, INT_AT(count_across_workers), 0, 1, 0, 1, 0, 0, RANGE, 0,
        "average_tokens_across_devices averageTokensAcrossDevices", 0, 0,
        "global_count with workers: count the group's items over every replica (and undo DDP's average), or each replica its own.", 0},
    [AL_F_GRAD_DTYPE] = {"gradDtype", AL_FT_ENUM, INT_AT(grad_dtype), 0, AL_DTYPE_FP32, 0, 0, 0, 0, RANGE, DTYPES,
        "grad_accum_dtype gradAccumDtype", "grad-dtype", 0,
        "What the accumulated run's .grad holds between micro-batches: each micro-batch's float32 gradient is rounded to it and added in it (the reference stays float32).", 0},
    [AL_F_LOSS_SCALE] = {"lossScale", AL_FT_OBJECT, NO_STORE, 0, 0, 0, 0, 0, 0, 0, 0, "gradScaler", 0, 0,
        "Loss scaling of the accumulated run, as torch.amp.GradScaler: scale every micro-batch loss, unscale once before clipping and the step.", 0},
    [AL_F_LS_MODE] = {"lossScale.mode", AL_FT_ENUM, INT_AT(loss_scale.mode), 0, AL_SCALE_NONE, 0, 0, 0, 0, RANGE, SCALE_MODES,
        0, "loss-scale", 0, "none, a constant scale, or dynamic (skip the step on inf/NaN and back off; grow after growthInterval good steps).", 0},
    [AL_F_LS_SCALE] = {"lossScale.scale", AL_FT_NUMBER, DBL_AT(loss_scale.scale), 0, 65536, 0, 1099511627776.0, 1, 0, RANGE, 0,
        "init_scale initScale", 0, 0, "The (initial) scale: GradScaler's init_scale.", 0},
    [AL_F_LS_GROWTH_FACTOR] = {"lossScale.growthFactor", AL_FT_NUMBER, DBL_AT(loss_scale.growth_factor), 0, 2, 1, 1e6, 1, 0, RANGE, 0,
        "growth_factor", 0, 0, "GradScaler's growth_factor (> 1).", 0},
    [AL_F_LS_BACKOFF_FACTOR] = {"lossScale.backoffFactor", AL_FT_NUMBER, DBL_AT(loss_scale.backoff_factor), 0, 0.5, 0, 1, 1, 1, RANGE, 0,
        "backoff_factor", 0, 0, "GradScaler's backoff_factor (in (0, 1)).", 0},
    [AL_F_LS_GROWTH_INTERVAL] = {"lossScale.growthInterval", AL_FT_INT, INT_AT(loss_scale.growth_interval), 0, 2000, 1, INT_MAX, 0, 0, RANGE, 0,
        "growth_interval", 0, 0, "GradScaler's growth_interval: good steps before the scale grows.", 0},
    [AL_F_SCALER_UPDATE] = {"scalerUpdate", AL_FT_ENUM, INT_AT(scaler_update), 0, AL_SCALER_PER_OPTIMIZER_STEP, 0, 0, 0, 0, RANGE,
        SCALER_UPDATES, 0, "scaler-update", 0,
        "Where the loop calls scaler.unscale_() and scaler.update(): once per optimizer step (the recipe), or after every backward (the mistake).", 0},
    [AL_F_STEPS] = {"steps", AL_FT_INT, INT_AT(steps), 0, 20, 1, AL_MAX_STEPS, 0, 0, LIMIT, 0,
        0, "steps", 0, "Optimizer steps of each run.", 0},
    [AL_F_LAST_GROUP] = {"lastGroup", AL_FT_ENUM, INT_AT(last_group), 0, AL_LAST_KEEP, 0, 0, 0, 0, RANGE, LAST_GROUPS,
        0, "last-group", 0, "The epoch's last, uneven group: keep it (shorter) or drop it.", 0},
    [AL_F_RTOL] = {"rtol", AL_FT_NUMBER, DBL_AT(rtol), 0, 1e-5, 0, INF, 0, 0, RANGE, 0,
        0, 0, 0, "allclose's rtol (also the norm-wise and scale tests).", 0},
    [AL_F_ATOL] = {"atol", AL_FT_NUMBER, DBL_AT(atol), 0, 1e-8, 0, INF, 0, 0, RANGE, 0,
        0, 0, 0, "allclose's atol.", 0},
};

const al_field *al_fields(void) { return FIELDS; }

const al_field *al_field_by_path(const char *path, size_t len) {
    for (int i = 0; i < AL_FIELD_COUNT; i++)
        if (strlen(FIELDS[i].path) == len && memcmp(FIELDS[i].path, path, len) == 0) return &FIELDS[i];
    return 0;
}

size_t al_option_count(const char *const *options) {
    size_t n = 0;
    while (options && options[n]) n++;
    return n;
}

const char *al_option_name(al_field_id id, int value) {
    const char *const *o = FIELDS[id].options;
    return value >= 0 && (size_t)value < al_option_count(o) ? o[value] : "unknown";
}

const char *al_field_name(const char *path) {
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

int al_field_is_child(const al_field *f, const char *parent) {
    size_t n = strlen(parent);
    if (!n) return strchr(f->path, '.') == NULL;
    return strncmp(f->path, parent, n) == 0 && f->path[n] == '.' && strchr(f->path + n + 1, '.') == NULL;
}

void al_field_set(al_config *c, const al_field *f, double x) {
    char *p = (char *)c + f->offset;
    if (f->storage == AL_ST_INT) *(int *)p = (int)x;
    else if (f->storage == AL_ST_U64) *(uint64_t *)p = (uint64_t)x;
    else if (f->storage == AL_ST_DOUBLE) *(double *)p = x;
}

double al_field_get(const al_config *c, const al_field *f) {
    const char *p = (const char *)c + f->offset;
    if (f->storage == AL_ST_INT) return *(const int *)p;
    if (f->storage == AL_ST_U64) return (double)*(const uint64_t *)p;
    if (f->storage == AL_ST_DOUBLE) return *(const double *)p;
    return 0;
}

/* ---- the exported schema ---- */

static const char *const TYPE_NAMES[] = {"int", "number", "enum", "bool", "list", "object"};

/* An inclusive bound for the schema: an open end becomes the nearest double inside it. */
static double inclusive(double bound, int open, double toward) {
    return open ? nextafter(bound, toward) : bound;
}

static void write_range(al_out *o, const char *lo_key, const char *hi_key, double lo, int lo_open, double hi, int hi_open) {
    if (isfinite(lo)) { al_out_key(o, lo_key); al_out_number(o, inclusive(lo, lo_open, INF)); }
    if (isfinite(hi)) { al_out_key(o, hi_key); al_out_number(o, inclusive(hi, hi_open, -INF)); }
    if (lo_open) { al_out_key(o, "exclusiveMin"); al_out_number(o, lo); }
    if (hi_open) { al_out_key(o, "exclusiveMax"); al_out_number(o, hi); }
}

static void write_words(al_out *o, const char *key, const char *spaced) {
    al_out_key(o, key);
    al_out_begin(o, '[');
    for (const char *p = spaced; p && *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char word[64];
        if (n >= sizeof word) n = sizeof word - 1;
        memcpy(word, p, n);
        word[n] = '\0';
        al_out_item(o);
        al_out_string(o, word);
        p = end ? end + 1 : p + n;
    }
    al_out_end(o, ']');
}

static void write_default(al_out *o, const al_field *f) {
    al_out_key(o, "default");
    if (f->derived || f->type == AL_FT_OBJECT) { al_out_null(o); return; }
    switch (f->type) {
    case AL_FT_ENUM: al_out_string(o, f->options[(int)f->def]); break;
    case AL_FT_BOOL: al_out_bool(o, f->def != 0); break;
    case AL_FT_LIST:
        if (f->list->n_default < 0) { al_out_null(o); break; }
        al_out_begin(o, '[');
        for (int i = 0; i < f->list->n_default; i++) { al_out_item(o); al_out_number(o, f->list->defaults[i]); }
        al_out_end(o, ']');
        break;
    default: al_out_number(o, f->def); break;
    }
}

static void write_field(al_out *o, const al_field *f) {
    al_out_begin(o, '{');
    al_out_key(o, "path"); al_out_string(o, f->path);
    al_out_key(o, "type"); al_out_string(o, TYPE_NAMES[f->type]);
    write_default(o, f);
    if (f->type == AL_FT_INT || f->type == AL_FT_NUMBER)
        write_range(o, "min", "max", f->min, f->min_open, f->max, f->max_open);
    if (f->options) {
        al_out_key(o, "options");
        al_out_begin(o, '[');
        for (size_t i = 0; f->options[i]; i++) { al_out_item(o); al_out_string(o, f->options[i]); }
        al_out_end(o, ']');
    }
    if (f->list) {
        const al_list_spec *l = f->list;
        al_out_key(o, "items");
        al_out_begin(o, '{');
        al_out_key(o, "type"); al_out_string(o, l->item == AL_FT_LIST ? "list" : TYPE_NAMES[l->item]);
        write_range(o, "min", "max", l->min, l->min_open, l->max, l->max_open);
        al_out_end(o, '}');
        al_out_key(o, "minItems"); al_out_number(o, l->min_len);
        al_out_key(o, "maxItems"); al_out_number(o, l->max_len);
    }
    if (f->auto_text) { al_out_key(o, "auto"); al_out_string(o, f->auto_text); }
    if (f->aliases) write_words(o, "aliases", f->aliases);
    if (f->flag) { al_out_key(o, "flag"); al_out_string(o, f->flag); }
    if (f->over_code == AL_ERR_LIMIT && f->type != AL_FT_OBJECT) { al_out_key(o, "limit"); al_out_bool(o, 1); }
    al_out_key(o, "doc"); al_out_string(o, f->doc);
    al_out_end(o, '}');
}

void al_schema_write(al_out *o) {
    al_out_begin(o, '[');
    for (int i = 0; i < AL_FIELD_COUNT; i++) { al_out_item(o); write_field(o, &FIELDS[i]); }
    al_out_end(o, ']');
}
