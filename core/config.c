/* core/config.c — JSON text -> validated al_config with every default filled.
 *
 * Every field is optional; null means "default". Unknown keys are errors with a
 * "did you mean" hint. Errors name the dotted field path (with indices), the value
 * given (strings echoed at most ECHO_MAX bytes) and what is allowed.
 * Cross-field rules (lr/weightDecay defaults by optimizer, data.n by dataset, nesterov,
 * batchSize*accumSteps, explicit data shapes) are applied after each object is read,
 * so key order never matters.
 */
#include "config.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define ECHO_MAX 40                       /* bytes of a user string echoed in a message */
#define PATH_MAX_CHARS 128                /* path buffers (err->field keeps 63 chars) */
#define MAX_EXPLICIT_VALUES (16u << 20)   /* N*IN and N*T of explicit data */
#define COUNT(a) (sizeof(a) / sizeof(*(a)))

static const char *const ACTIVATIONS[] = {"relu", "tanh", "sigmoid", "gelu", "identity"};
static const char *const NORMS[] = {"none", "batchnorm", "layernorm"};
static const char *const LOSSES[] = {"l1", "mse", "cross_entropy", "bce"};
static const char *const REDUCTIONS[] = {"mean", "sum"};
static const char *const CORRECTIONS[] = {"none", "scale_loss", "scale_lr", "global_count"};
static const char *const OPTIMIZERS[] = {"sgd", "adam", "adamw"};
static const char *const CLIP_PLACEMENTS[] = {"after_accumulation", "per_micro_batch"};
static const char *const SCHEDULES[] = {"constant", "step", "cosine", "warmup"};
static const char *const STEPPINGS[] = {"per_optimizer_step", "per_micro_batch"};
static const char *const DROPOUT_RNGS[] = {"stream", "keyed"};
static const char *const DATA_NAMES[] = {"seed_example", "regression", "moons", "circles",
                                         "xor", "spirals", "gaussians", "digits"};
static const char *const LAST_GROUPS[] = {"keep", "drop"};

static const char *const TOP_KEYS[] = {
    "seed", "model", "loss", "reduction", "batchSize", "accumSteps", "correction", "optimizer",
    "clipGradNorm", "clipPlacement", "schedule", "schedulerStepping", "dropoutRng", "data",
    "init", "steps", "lastGroup", "rtol", "atol"};
enum { K_SEED, K_MODEL, K_LOSS, K_REDUCTION, K_BATCH, K_ACCUM, K_CORRECTION, K_OPTIMIZER,
       K_CLIP, K_CLIP_PLACEMENT, K_SCHEDULE, K_STEPPING, K_DROPOUT_RNG, K_DATA, K_INIT,
       K_STEPS, K_LAST_GROUP, K_RTOL, K_ATOL };
static const char *const MODEL_KEYS[] = {"sizes", "activation", "dropout", "norm"};
enum { M_SIZES, M_ACTIVATION, M_DROPOUT, M_NORM };
static const char *const OPT_KEYS[] = {"name", "lr", "momentum", "dampening", "nesterov",
                                       "weightDecay", "betas", "eps"};
enum { O_NAME, O_LR, O_MOMENTUM, O_DAMPENING, O_NESTEROV, O_WD, O_BETAS, O_EPS };
static const char *const SCHED_KEYS[] = {"name", "stepSize", "gamma", "tMax", "etaMin", "warmupSteps"};
enum { S_NAME, S_STEP_SIZE, S_GAMMA, S_TMAX, S_ETA_MIN, S_WARMUP };
static const char *const DATA_KEYS[] = {"name", "n", "noise", "maskFraction", "shuffle",
                                        "inputs", "targets", "mask"};
enum { D_NAME, D_N, D_NOISE, D_MASK_FRACTION, D_SHUFFLE, D_INPUTS, D_TARGETS, D_MASK };

/* ---------- names ---------- */

const char *al_activation_name(al_activation a) {
    return (unsigned)a < COUNT(ACTIVATIONS) ? ACTIVATIONS[a] : "unknown";
}

const char *al_loss_name(al_loss l) {
    return (unsigned)l < COUNT(LOSSES) ? LOSSES[l] : "unknown";
}

/* ---------- defaults and free ---------- */

void al_config_defaults(al_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    c->seed = 1;
    c->n_sizes = 0;
    c->activation = AL_ACT_TANH;
    c->n_dropout = 0;
    c->dropout[0] = 0.0f;
    c->norm = AL_NORM_NONE;
    c->loss_given = 0;
    c->loss = AL_LOSS_MSE;
    c->reduction = AL_REDUCTION_MEAN;
    c->batch_size = 8;
    c->accum_steps = 4;
    c->correction = AL_CORR_NONE;
    c->optimizer.name = AL_OPT_SGD;
    c->optimizer.lr = 0.1;
    c->optimizer.momentum = 0.0;
    c->optimizer.dampening = 0.0;
    c->optimizer.nesterov = 0;
    c->optimizer.weight_decay = 0.0;
    c->optimizer.beta1 = 0.9;
    c->optimizer.beta2 = 0.999;
    c->optimizer.eps = 1e-8;
    c->clip_grad_norm = 0.0;
    c->clip_placement = AL_CLIP_AFTER_ACCUMULATION;
    c->schedule.name = AL_SCHED_CONSTANT;
    c->schedule.step_size = 10;
    c->schedule.gamma = 0.1;
    c->schedule.t_max = 0;
    c->schedule.eta_min = 0.0;
    c->schedule.warmup_steps = 5;
    c->scheduler_stepping = AL_SCHED_PER_OPTIMIZER_STEP;
    c->dropout_rng = AL_RNG_STREAM;
    c->data.name = AL_DATA_MOONS;
    c->data.n = 256;
    c->data.noise = 0.1;
    c->data.mask_fraction = 0.0;
    c->data.shuffle = 1;
    c->data.rows = 0;
    c->data.in_dim = 0;
    c->data.target_dim = 0;
    c->data.class_targets = 0;
    c->data.inputs = NULL;
    c->data.targets = NULL;
    c->data.mask = NULL;
    c->init = NULL;
    c->init_len = 0;
    c->steps = 20;
    c->last_group = AL_LAST_KEEP;
    c->rtol = 1e-5;
    c->atol = 1e-8;
}

void al_config_free(al_config *c) {
    if (!c) return;
    free(c->data.inputs);
    free(c->data.targets);
    free(c->data.mask);
    free(c->init);
    c->data.inputs = NULL;
    c->data.targets = NULL;
    c->data.mask = NULL;
    c->init = NULL;
    c->init_len = 0;
}

/* ---------- message helpers ---------- */

/* Shortest %g form that reads back as v. */
static void fmt_num(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, cap, "%.17g", v);
}

/* Copies at most ECHO_MAX bytes of s (cut on a UTF-8 boundary), control bytes as '?',
 * "..." when cut. dst needs ECHO_MAX + 4 bytes. */
static void echo(char *dst, const char *s, size_t len) {
    size_t n = len;
    int cut = 0;
    if (n > ECHO_MAX) {
        n = ECHO_MAX;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--; /* s[n] starts a char */
        cut = 1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (cut) { memcpy(dst + n, "...", 4); }
    else dst[n] = '\0';
}

/* The value as written in a message: "null", "true", "-1", "\"abc\"", "an array", ... */
static void got_text(char *buf, size_t cap, const json_value *v) {
    char tmp[ECHO_MAX + 4];
    switch (v->type) {
    case JSON_NULL: snprintf(buf, cap, "null"); break;
    case JSON_BOOL: snprintf(buf, cap, "%s", v->u.boolean ? "true" : "false"); break;
    case JSON_NUMBER: fmt_num(buf, cap, v->u.number); break;
    case JSON_STRING:
        echo(tmp, v->u.string.s, v->u.string.len);
        snprintf(buf, cap, "\"%s\"", tmp);
        break;
    case JSON_ARRAY: snprintf(buf, cap, "an array"); break;
    case JSON_OBJECT: snprintf(buf, cap, "an object"); break;
    default: snprintf(buf, cap, "a value"); break;
    }
}

/* Paths longer than PATH_MAX_CHARS are cut (err->field keeps 63 chars anyway). */
static void path_key(char *out, const char *parent, const char *key, size_t key_len) {
    char k[ECHO_MAX + 4];
    int w;
    echo(k, key, key_len);
    if (parent[0]) w = snprintf(out, PATH_MAX_CHARS, "%s.%s", parent, k);
    else w = snprintf(out, PATH_MAX_CHARS, "%s", k);
    if (w < 0) out[0] = '\0';
}

static void path_index(char *out, const char *parent, size_t i) {
    if (snprintf(out, PATH_MAX_CHARS, "%s[%zu]", parent, i) < 0) out[0] = '\0';
}

/* "<path> must be <what>, got <value>" */
static int fail_value(al_error *e, int code, const char *path, const char *what, const json_value *v) {
    char got[ECHO_MAX + 16];
    got_text(got, sizeof got, v);
    return al_fail(e, code, path, "%s must be %s, got %s", path, what, got);
}

/* ---------- "did you mean" ---------- */

static char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch; }

/* Case-insensitive Levenshtein distance (both strings at most 63 bytes). */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb) {
    size_t row[64];
    for (size_t j = 0; j <= nb; j++) row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[nb];
}

/* Index of the closest name (distance <= 2, case-insensitive), or -1. */
static int suggest(const char *s, size_t len, const char *const *names, size_t n) {
    int best = -1;
    size_t best_d = 3;
    if (len > 63) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (nl > 63 || (nl > len ? nl - len : len - nl) > 2) continue;
        size_t d = edit_distance(s, len, names[i], nl);
        if (d < best_d) { best_d = d; best = (int)i; }
    }
    return best;
}

static void join_names(char *buf, size_t cap, const char *const *names, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* ---------- member dispatch ---------- */

/* Other spellings of a field (compared case-insensitively) -> its name here. */
static const char *const ALIASES[][2] = {
    {"learningRate", "lr"}, {"learning_rate", "lr"}, {"gradientAccumulationSteps", "accumSteps"},
    {"accumulationSteps", "accumSteps"}, {"gradient_accumulation_steps", "accumSteps"},
    {"microBatchSize", "batchSize"}, {"maxGradNorm", "clipGradNorm"}, {"max_grad_norm", "clipGradNorm"},
    {"scheduler", "schedule"}, {"x", "inputs"}, {"y", "targets"}, {"layers", "sizes"}};

/* Finds m's key in keys; on an unknown or repeated key fills e and returns -1. */
static int member_index(const json_member *m, const char *parent, const char *const *keys, size_t n,
                        unsigned *seen, al_error *e) {
    char path[PATH_MAX_CHARS];
    for (size_t i = 0; i < n; i++) {
        if (m->key_len == strlen(keys[i]) && memcmp(m->key, keys[i], m->key_len) == 0) {
            if (*seen & (1u << i)) {
                path_key(path, parent, keys[i], strlen(keys[i]));
                al_fail(e, AL_ERR_PARSE, path, "%s is given twice", path);
                return -1;
            }
            *seen |= 1u << i;
            return (int)i;
        }
    }
    path_key(path, parent, m->key, m->key_len);
    int s = suggest(m->key, m->key_len, keys, n);
    for (size_t a = 0; s < 0 && a < COUNT(ALIASES); a++) { /* common names from other tools */
        size_t al = strlen(ALIASES[a][0]);
        if (m->key_len == al && edit_distance(m->key, al, ALIASES[a][0], al) == 0) {
            for (size_t i = 0; i < n; i++)
                if (strcmp(keys[i], ALIASES[a][1]) == 0) s = (int)i;
        }
    }
    if (s >= 0) {
        al_fail(e, AL_ERR_UNKNOWN, path, "unknown field %s; did you mean '%s'?", path, keys[s]);
    } else {
        char list[256];
        join_names(list, sizeof list, keys, n);
        if (strlen(path) + strlen(list) < 160)
            al_fail(e, AL_ERR_UNKNOWN, path, "unknown field %s (allowed: %s)", path, list);
        else
            al_fail(e, AL_ERR_UNKNOWN, path, "unknown field %s", path);
    }
    return -1;
}

/* ---------- typed getters (v is never null here) ---------- */

static int get_bool(const json_value *v, const char *path, al_error *e, int *out) {
    if (v->type != JSON_BOOL) return fail_value(e, AL_ERR_TYPE, path, "true or false", v);
    *out = v->u.boolean;
    return AL_OK;
}

static int get_enum(const json_value *v, const char *path, const char *const *names, size_t n,
                    al_error *e, int *out) {
    char list[200];
    join_names(list, sizeof list, names, n);
    if (v->type != JSON_STRING) {
        char what[230];
        snprintf(what, sizeof what, "one of %s", list);
        return fail_value(e, AL_ERR_TYPE, path, what, v);
    }
    for (size_t i = 0; i < n; i++) {
        if (v->u.string.len == strlen(names[i]) && memcmp(v->u.string.s, names[i], v->u.string.len) == 0) {
            *out = (int)i;
            return AL_OK;
        }
    }
    char got[ECHO_MAX + 4];
    echo(got, v->u.string.s, v->u.string.len);
    int s = suggest(v->u.string.s, v->u.string.len, names, n);
    if (s >= 0)
        return al_fail(e, AL_ERR_UNKNOWN, path, "%s must be one of %s, got \"%s\"; did you mean '%s'?",
                       path, list, got, names[s]);
    return al_fail(e, AL_ERR_UNKNOWN, path, "%s must be one of %s, got \"%s\"", path, list, got);
}

/* A number in [lo, hi] (open ends when lo_open/hi_open); what = the allowed range in words. */
static int get_real(const json_value *v, const char *path, double lo, int lo_open, double hi, int hi_open,
                    const char *what, al_error *e, double *out) {
    if (v->type != JSON_NUMBER) return fail_value(e, AL_ERR_TYPE, path, what, v);
    double x = v->u.number;
    if (!isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo)) || (hi_open ? !(x < hi) : !(x <= hi)))
        return fail_value(e, AL_ERR_RANGE, path, what, v);
    *out = x;
    return AL_OK;
}

/* An integer in lo..hi; above hi gives over_code (AL_ERR_LIMIT for the AL_MAX_* limits). */
static int get_int(const json_value *v, const char *path, long long lo, long long hi, int over_code,
                   al_error *e, long long *out) {
    char what[96];
    snprintf(what, sizeof what, "an integer in %lld..%lld", lo, hi);
    if (v->type != JSON_NUMBER) return fail_value(e, AL_ERR_TYPE, path, what, v);
    double x = v->u.number;
    if (!isfinite(x) || x != floor(x) || x < (double)lo) return fail_value(e, AL_ERR_RANGE, path, what, v);
    if (x > (double)hi) return fail_value(e, over_code, path, what, v);
    *out = (long long)x;
    return AL_OK;
}

static int get_int32(const json_value *v, const char *path, int lo, int hi, int over_code, al_error *e, int *out) {
    long long x = 0;
    int rc = get_int(v, path, lo, hi, over_code, e, &x);
    if (rc == AL_OK) *out = (int)x;
    return rc;
}

static int need_object(const json_value *v, const char *path, al_error *e) {
    if (v->type != JSON_OBJECT) return fail_value(e, AL_ERR_TYPE, path, "an object", v);
    return AL_OK;
}

/* A finite number that fits a float. */
static int get_float(const json_value *v, const char *path, al_error *e, float *out) {
    if (v->type != JSON_NUMBER) return fail_value(e, AL_ERR_TYPE, path, "a number", v);
    double x = v->u.number;
    if (!isfinite(x) || fabs(x) > (double)FLT_MAX)
        return fail_value(e, AL_ERR_RANGE, path, "a finite number within float range (|x| <= 3.4e38)", v);
    *out = (float)x;
    return AL_OK;
}

/* ---------- sections ---------- */

static int parse_model(al_config *c, const json_value *obj, al_error *e) {
    char path[PATH_MAX_CHARS], ipath[PATH_MAX_CHARS];
    unsigned seen = 0;
    int rc = need_object(obj, "model", e);
    if (rc) return rc;
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        const json_value *v = &m->value;
        int k = member_index(m, "model", MODEL_KEYS, COUNT(MODEL_KEYS), &seen, e);
        if (k < 0) return e->code;
        if (v->type == JSON_NULL) continue;
        path_key(path, "model", MODEL_KEYS[k], strlen(MODEL_KEYS[k]));
        int x = 0;
        switch (k) {
        case M_SIZES: {
            if (v->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, path, "an array of 2..9 integers", v);
            size_t n = v->u.array.count;
            if (n < 2)
                return al_fail(e, AL_ERR_RANGE, path, "%s must have 2..%d entries, got %zu", path, AL_MAX_LAYERS + 1, n);
            if (n > AL_MAX_LAYERS + 1)
                return al_fail(e, AL_ERR_LIMIT, path, "%s must have 2..%d entries, got %zu", path, AL_MAX_LAYERS + 1, n);
            for (size_t j = 0; j < n; j++) {
                path_index(ipath, path, j);
                if ((rc = get_int32(&v->u.array.items[j], ipath, 1, AL_MAX_WIDTH, AL_ERR_LIMIT, e, &c->sizes[j]))) return rc;
            }
            c->n_sizes = (int)n;
            break;
        }
        case M_ACTIVATION:
            if ((rc = get_enum(v, path, ACTIVATIONS, COUNT(ACTIVATIONS), e, &x))) return rc;
            c->activation = (al_activation)x;
            break;
        case M_DROPOUT: {
            const char *what = "a number in [0, 1) or an array of them";
            double d = 0;
            if (v->type == JSON_NUMBER) {
                if ((rc = get_real(v, path, 0, 0, 1, 1, what, e, &d))) return rc;
                c->n_dropout = 0;
                c->dropout[0] = (float)d;
                break;
            }
            if (v->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, path, what, v);
            size_t n = v->u.array.count;
            if (n < 1)
                return al_fail(e, AL_ERR_RANGE, path, "%s must have 1..%d entries (one per hidden layer), got 0", path, AL_MAX_LAYERS);
            if (n > AL_MAX_LAYERS)
                return al_fail(e, AL_ERR_LIMIT, path, "%s must have 1..%d entries (one per hidden layer), got %zu", path, AL_MAX_LAYERS, n);
            for (size_t j = 0; j < n; j++) {
                path_index(ipath, path, j);
                if ((rc = get_real(&v->u.array.items[j], ipath, 0, 0, 1, 1, "a number in [0, 1)", e, &d))) return rc;
                c->dropout[j] = (float)d;
            }
            c->n_dropout = (int)n;
            break;
        }
        case M_NORM:
            if ((rc = get_enum(v, path, NORMS, COUNT(NORMS), e, &x))) return rc;
            c->norm = (al_norm)x;
            break;
        }
    }
    return AL_OK;
}

static int parse_optimizer(al_config *c, const json_value *obj, al_error *e) {
    char path[PATH_MAX_CHARS], ipath[PATH_MAX_CHARS];
    unsigned seen = 0;
    int lr_given = 0, wd_given = 0, rc = need_object(obj, "optimizer", e);
    if (rc) return rc;
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        const json_value *v = &m->value;
        int k = member_index(m, "optimizer", OPT_KEYS, COUNT(OPT_KEYS), &seen, e);
        if (k < 0) return e->code;
        if (v->type == JSON_NULL) continue;
        path_key(path, "optimizer", OPT_KEYS[k], strlen(OPT_KEYS[k]));
        int x = 0;
        switch (k) {
        case O_NAME:
            if ((rc = get_enum(v, path, OPTIMIZERS, COUNT(OPTIMIZERS), e, &x))) return rc;
            c->optimizer.name = (al_optimizer_name)x;
            break;
        case O_LR:
            if ((rc = get_real(v, path, 0, 1, INFINITY, 0, "a finite number > 0", e, &c->optimizer.lr))) return rc;
            lr_given = 1;
            break;
        case O_MOMENTUM:
            if ((rc = get_real(v, path, 0, 0, 1, 1, "a number in [0, 1)", e, &c->optimizer.momentum))) return rc;
            break;
        case O_DAMPENING:
            if ((rc = get_real(v, path, 0, 0, 1, 0, "a number in [0, 1]", e, &c->optimizer.dampening))) return rc;
            break;
        case O_NESTEROV:
            if ((rc = get_bool(v, path, e, &c->optimizer.nesterov))) return rc;
            break;
        case O_WD:
            if ((rc = get_real(v, path, 0, 0, INFINITY, 0, "a finite number >= 0", e, &c->optimizer.weight_decay))) return rc;
            wd_given = 1;
            break;
        case O_BETAS: {
            if (v->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, path, "an array [beta1, beta2]", v);
            if (v->u.array.count != 2)
                return al_fail(e, AL_ERR_SHAPE, path, "%s must have 2 entries [beta1, beta2], got %zu", path, v->u.array.count);
            double b[2];
            for (size_t j = 0; j < 2; j++) {
                path_index(ipath, path, j);
                if ((rc = get_real(&v->u.array.items[j], ipath, 0, 0, 1, 1, "a number in [0, 1)", e, &b[j]))) return rc;
            }
            c->optimizer.beta1 = b[0];
            c->optimizer.beta2 = b[1];
            break;
        }
        case O_EPS:
            if ((rc = get_real(v, path, 0, 1, INFINITY, 0, "a finite number > 0", e, &c->optimizer.eps))) return rc;
            break;
        }
    }
    if (!lr_given) c->optimizer.lr = c->optimizer.name == AL_OPT_SGD ? 0.1 : 0.001;
    if (!wd_given) c->optimizer.weight_decay = c->optimizer.name == AL_OPT_ADAMW ? 0.01 : 0.0;
    if (c->optimizer.nesterov && (!(c->optimizer.momentum > 0) || c->optimizer.dampening != 0)) {
        char mo[32], da[32];
        fmt_num(mo, sizeof mo, c->optimizer.momentum);
        fmt_num(da, sizeof da, c->optimizer.dampening);
        return al_fail(e, AL_ERR_RANGE, "optimizer.nesterov",
                       "optimizer.nesterov true needs momentum > 0 and dampening 0, got momentum %s and dampening %s", mo, da);
    }
    return AL_OK;
}

static int parse_schedule(al_config *c, const json_value *obj, al_error *e) {
    char path[PATH_MAX_CHARS];
    unsigned seen = 0;
    int rc = need_object(obj, "schedule", e);
    if (rc) return rc;
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        const json_value *v = &m->value;
        int k = member_index(m, "schedule", SCHED_KEYS, COUNT(SCHED_KEYS), &seen, e);
        if (k < 0) return e->code;
        if (v->type == JSON_NULL) continue;
        path_key(path, "schedule", SCHED_KEYS[k], strlen(SCHED_KEYS[k]));
        int x = 0;
        switch (k) {
        case S_NAME:
            if ((rc = get_enum(v, path, SCHEDULES, COUNT(SCHEDULES), e, &x))) return rc;
            c->schedule.name = (al_schedule_name)x;
            break;
        case S_STEP_SIZE:
            if ((rc = get_int32(v, path, 1, INT_MAX, AL_ERR_RANGE, e, &c->schedule.step_size))) return rc;
            break;
        case S_GAMMA:
            if ((rc = get_real(v, path, 0, 1, 1, 0, "a number in (0, 1]", e, &c->schedule.gamma))) return rc;
            break;
        case S_TMAX:
            if ((rc = get_int32(v, path, 1, INT_MAX, AL_ERR_RANGE, e, &c->schedule.t_max))) return rc;
            break;
        case S_ETA_MIN:
            if ((rc = get_real(v, path, 0, 0, INFINITY, 0, "a finite number >= 0", e, &c->schedule.eta_min))) return rc;
            break;
        case S_WARMUP:
            if ((rc = get_int32(v, path, 1, INT_MAX, AL_ERR_RANGE, e, &c->schedule.warmup_steps))) return rc;
            break;
        }
    }
    return AL_OK;
}

/* ---------- explicit data ---------- */

/* number[][]: rows of equal length; mode 0 = any float, 1 = mask (0 or 1).
 * want_rows / want_cols: required shape (0 = free). Allocates *out. */
static int parse_rows(const json_value *v, const char *path, int want_rows, int want_cols, int mode,
                      al_error *e, int *rows_out, int *cols_out, float **out) {
    char ipath[PATH_MAX_CHARS], jpath[PATH_MAX_CHARS];
    if (v->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, path, "an array of rows (number[][])", v);
    size_t rows = v->u.array.count;
    if (want_rows && rows != (size_t)want_rows)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d rows (one per row of data.inputs), got %zu", path, want_rows, rows);
    if (rows < 1) return al_fail(e, AL_ERR_RANGE, path, "%s must have at least 1 row, got 0", path);
    if (rows > AL_MAX_SAMPLES)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %d rows, got %zu", path, AL_MAX_SAMPLES, rows);
    const json_value *first = &v->u.array.items[0];
    path_index(ipath, path, 0);
    if (first->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, ipath, "an array of numbers", first);
    size_t cols = first->u.array.count;
    if (want_cols && cols != (size_t)want_cols)
        return al_fail(e, AL_ERR_SHAPE, ipath, "%s must have %d values (the targets' shape), got %zu", ipath, want_cols, cols);
    if (cols < 1) return al_fail(e, AL_ERR_RANGE, ipath, "%s must have at least 1 value, got 0", ipath);
    if (cols > AL_MAX_WIDTH)
        return al_fail(e, AL_ERR_LIMIT, ipath, "%s must have at most %d values, got %zu", ipath, AL_MAX_WIDTH, cols);
    if (rows * cols > MAX_EXPLICIT_VALUES)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %u values in all, got %zu x %zu", path,
                       MAX_EXPLICIT_VALUES, rows, cols);
    float *data = (float *)malloc(rows * cols * sizeof *data);
    if (!data) return al_fail(e, AL_ERR_MEMORY, path, "out of memory for %s (%zu x %zu)", path, rows, cols);
    for (size_t i = 0; i < rows; i++) {
        const json_value *row = &v->u.array.items[i];
        path_index(ipath, path, i);
        int rc = AL_OK;
        if (row->type != JSON_ARRAY) rc = fail_value(e, AL_ERR_TYPE, ipath, "an array of numbers", row);
        else if (row->u.array.count != cols)
            rc = al_fail(e, AL_ERR_SHAPE, ipath, "%s must have %zu values like %s[0], got %zu", ipath, cols, path,
                         row->u.array.count);
        for (size_t j = 0; rc == AL_OK && j < cols; j++) {
            const json_value *x = &row->u.array.items[j];
            path_index(jpath, ipath, j);
            if (mode == 1) {
                if (x->type != JSON_NUMBER) rc = fail_value(e, AL_ERR_TYPE, jpath, "0 or 1", x);
                else if (x->u.number != 0 && x->u.number != 1) rc = fail_value(e, AL_ERR_RANGE, jpath, "0 or 1", x);
                else data[i * cols + j] = (float)x->u.number;
            } else {
                rc = get_float(x, jpath, e, &data[i * cols + j]);
            }
        }
        if (rc) { free(data); return rc; }
    }
    *rows_out = (int)rows;
    *cols_out = (int)cols;
    *out = data;
    return AL_OK;
}

/* data.targets: number[] of class indices or number[][] of values, N entries. */
static int parse_targets(al_config *c, const json_value *v, al_error *e) {
    const char *path = "data.targets";
    char ipath[PATH_MAX_CHARS];
    int n = c->data.rows;
    if (v->type != JSON_ARRAY)
        return fail_value(e, AL_ERR_TYPE, path, "an array (class indices number[] or rows number[][])", v);
    if (v->u.array.count != (size_t)n)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d entries (one per row of data.inputs), got %zu", path, n,
                       v->u.array.count);
    const json_value *first = &v->u.array.items[0]; /* n >= 1 */
    if (first->type == JSON_ARRAY) {
        int rows = 0, cols = 0;
        int rc = parse_rows(v, path, n, 0, 0, e, &rows, &cols, &c->data.targets);
        if (rc) return rc;
        c->data.target_dim = cols;
        c->data.class_targets = 0;
        return AL_OK;
    }
    if (first->type != JSON_NUMBER) {
        path_index(ipath, path, 0);
        return fail_value(e, AL_ERR_TYPE, ipath, "a class index (integer >= 0) or an array of numbers", first);
    }
    float *t = (float *)malloc((size_t)n * sizeof *t);
    if (!t) return al_fail(e, AL_ERR_MEMORY, path, "out of memory for %s", path);
    for (int i = 0; i < n; i++) {
        long long k = 0;
        path_index(ipath, path, (size_t)i);
        const json_value *x = &v->u.array.items[i];
        int rc;
        if (x->type != JSON_NUMBER)
            rc = fail_value(e, AL_ERR_TYPE, ipath, "a class index (integer >= 0) like data.targets[0]", x);
        else
            rc = get_int(x, ipath, 0, AL_MAX_WIDTH - 1, AL_ERR_RANGE, e, &k);
        if (rc) { free(t); return rc; }
        t[i] = (float)k;
    }
    c->data.targets = t;
    c->data.target_dim = 1;
    c->data.class_targets = 1;
    return AL_OK;
}

static int parse_data(al_config *c, const json_value *obj, al_error *e) {
    char path[PATH_MAX_CHARS];
    unsigned seen = 0;
    const json_value *given[COUNT(DATA_KEYS)] = {0}; /* non-null members */
    int rc = need_object(obj, "data", e);
    if (rc) return rc;
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        const json_value *v = &m->value;
        int k = member_index(m, "data", DATA_KEYS, COUNT(DATA_KEYS), &seen, e);
        if (k < 0) return e->code;
        if (v->type == JSON_NULL) continue;
        given[k] = v;
        path_key(path, "data", DATA_KEYS[k], strlen(DATA_KEYS[k]));
        int x = 0;
        switch (k) {
        case D_NAME:
            if ((rc = get_enum(v, path, DATA_NAMES, COUNT(DATA_NAMES), e, &x))) return rc;
            c->data.name = (al_data_name)x;
            break;
        case D_N:
            if ((rc = get_int32(v, path, 1, AL_MAX_SAMPLES, AL_ERR_LIMIT, e, &c->data.n))) return rc;
            break;
        case D_NOISE:
            if ((rc = get_real(v, path, 0, 0, 10, 0, "a number in [0, 10]", e, &c->data.noise))) return rc;
            break;
        case D_MASK_FRACTION:
            if ((rc = get_real(v, path, 0, 0, 1, 1, "a number in [0, 1)", e, &c->data.mask_fraction))) return rc;
            break;
        case D_SHUFFLE:
            if ((rc = get_bool(v, path, e, &c->data.shuffle))) return rc;
            break;
        default: /* inputs, targets, mask: read below, once the order is known */
            break;
        }
    }
    if (!given[D_INPUTS]) {
        if (given[D_TARGETS])
            return al_fail(e, AL_ERR_SHAPE, "data.targets", "data.targets needs data.inputs (explicit data), or use a built-in data.name");
        if (given[D_MASK])
            return al_fail(e, AL_ERR_SHAPE, "data.mask", "data.mask needs data.inputs and data.targets (explicit data)");
        if (!given[D_N]) c->data.n = c->data.name == AL_DATA_DIGITS ? AL_DIGITS_N : 256;
        if (c->data.name == AL_DATA_DIGITS && c->data.n > AL_DIGITS_N)
            return al_fail(e, AL_ERR_LIMIT, "data.n", "data.n must be an integer in 1..%d for digits, got %d", AL_DIGITS_N, c->data.n);
        return AL_OK;
    }
    /* explicit data */
    if (given[D_NAME])
        return al_fail(e, AL_ERR_SHAPE, "data.name", "data.name and data.inputs exclude each other: give a built-in name or explicit inputs, not both");
    if (given[D_N])
        return al_fail(e, AL_ERR_SHAPE, "data.n", "data.n is only for built-in data; explicit data has one sample per row of data.inputs");
    if (given[D_NOISE])
        return al_fail(e, AL_ERR_SHAPE, "data.noise", "data.noise is only for built-in data, not with data.inputs");
    if (!given[D_TARGETS])
        return al_fail(e, AL_ERR_SHAPE, "data.targets", "data.targets is required with data.inputs");
    if (given[D_MASK] && c->data.mask_fraction > 0)
        return al_fail(e, AL_ERR_SHAPE, "data.maskFraction", "data.maskFraction and data.mask exclude each other: give one of them");
    if ((rc = parse_rows(given[D_INPUTS], "data.inputs", 0, 0, 0, e, &c->data.rows, &c->data.in_dim, &c->data.inputs)))
        return rc;
    c->data.name = AL_DATA_EXPLICIT;
    c->data.n = c->data.rows;
    if ((rc = parse_targets(c, given[D_TARGETS], e))) return rc;
    if (given[D_MASK]) {
        int rows = 0, cols = 0;
        if ((rc = parse_rows(given[D_MASK], "data.mask", c->data.rows, c->data.target_dim, 1, e, &rows, &cols, &c->data.mask)))
            return rc;
    }
    return AL_OK;
}

static int parse_init(al_config *c, const json_value *v, al_error *e) {
    char ipath[PATH_MAX_CHARS];
    if (v->type != JSON_ARRAY) return fail_value(e, AL_ERR_TYPE, "init", "a flat array of numbers", v);
    size_t n = v->u.array.count;
    if (n < 1) return al_fail(e, AL_ERR_RANGE, "init", "init must have at least 1 value, got 0");
    if (n > AL_MAX_PARAMS)
        return al_fail(e, AL_ERR_LIMIT, "init", "init must have at most %d values, got %zu", AL_MAX_PARAMS, n);
    float *p = (float *)malloc(n * sizeof *p);
    if (!p) return al_fail(e, AL_ERR_MEMORY, "init", "out of memory for init (%zu values)", n);
    for (size_t i = 0; i < n; i++) {
        path_index(ipath, "init", i);
        int rc = get_float(&v->u.array.items[i], ipath, e, &p[i]);
        if (rc) { free(p); return rc; }
    }
    c->init = p;
    c->init_len = n;
    return AL_OK;
}

static int parse_top(al_config *c, const json_value *root, al_error *e) {
    unsigned seen = 0;
    int rc;
    if (root->type != JSON_OBJECT) {
        char got[ECHO_MAX + 16];
        got_text(got, sizeof got, root);
        return al_fail(e, AL_ERR_TYPE, "", "the config must be a JSON object, got %s", got);
    }
    for (size_t i = 0; i < root->u.object.count; i++) {
        const json_member *m = &root->u.object.members[i];
        const json_value *v = &m->value;
        int k = member_index(m, "", TOP_KEYS, COUNT(TOP_KEYS), &seen, e);
        if (k < 0) return e->code;
        if (v->type == JSON_NULL) continue;
        const char *path = TOP_KEYS[k];
        int x = 0;
        long long ll = 0;
        switch (k) {
        case K_SEED:
            if ((rc = get_int(v, path, 0, (long long)AL_MAX_SEED, AL_ERR_RANGE, e, &ll))) return rc;
            c->seed = (uint64_t)ll;
            break;
        case K_MODEL:
            if ((rc = parse_model(c, v, e))) return rc;
            break;
        case K_LOSS:
            if ((rc = get_enum(v, path, LOSSES, COUNT(LOSSES), e, &x))) return rc;
            c->loss = (al_loss)x;
            c->loss_given = 1;
            break;
        case K_REDUCTION:
            if ((rc = get_enum(v, path, REDUCTIONS, COUNT(REDUCTIONS), e, &x))) return rc;
            c->reduction = (al_reduction)x;
            break;
        case K_BATCH:
            if ((rc = get_int32(v, path, 1, AL_MAX_BATCH, AL_ERR_LIMIT, e, &c->batch_size))) return rc;
            break;
        case K_ACCUM:
            if ((rc = get_int32(v, path, 1, AL_MAX_BATCH, AL_ERR_LIMIT, e, &c->accum_steps))) return rc;
            break;
        case K_CORRECTION:
            if ((rc = get_enum(v, path, CORRECTIONS, COUNT(CORRECTIONS), e, &x))) return rc;
            c->correction = (al_correction)x;
            break;
        case K_OPTIMIZER:
            if ((rc = parse_optimizer(c, v, e))) return rc;
            break;
        case K_CLIP:
            if ((rc = get_real(v, path, 0, 0, INFINITY, 0, "a finite number >= 0 (0 or null = off)", e, &c->clip_grad_norm))) return rc;
            break;
        case K_CLIP_PLACEMENT:
            if ((rc = get_enum(v, path, CLIP_PLACEMENTS, COUNT(CLIP_PLACEMENTS), e, &x))) return rc;
            c->clip_placement = (al_clip_placement)x;
            break;
        case K_SCHEDULE:
            if ((rc = parse_schedule(c, v, e))) return rc;
            break;
        case K_STEPPING:
            if ((rc = get_enum(v, path, STEPPINGS, COUNT(STEPPINGS), e, &x))) return rc;
            c->scheduler_stepping = (al_scheduler_stepping)x;
            break;
        case K_DROPOUT_RNG:
            if ((rc = get_enum(v, path, DROPOUT_RNGS, COUNT(DROPOUT_RNGS), e, &x))) return rc;
            c->dropout_rng = (al_dropout_rng)x;
            break;
        case K_DATA:
            if ((rc = parse_data(c, v, e))) return rc;
            break;
        case K_INIT:
            if ((rc = parse_init(c, v, e))) return rc;
            break;
        case K_STEPS:
            if ((rc = get_int32(v, path, 1, AL_MAX_STEPS, AL_ERR_LIMIT, e, &c->steps))) return rc;
            break;
        case K_LAST_GROUP:
            if ((rc = get_enum(v, path, LAST_GROUPS, COUNT(LAST_GROUPS), e, &x))) return rc;
            c->last_group = (al_last_group)x;
            break;
        case K_RTOL:
            if ((rc = get_real(v, path, 0, 0, INFINITY, 0, "a finite number >= 0", e, &c->rtol))) return rc;
            break;
        case K_ATOL:
            if ((rc = get_real(v, path, 0, 0, INFINITY, 0, "a finite number >= 0", e, &c->atol))) return rc;
            break;
        }
    }
    if ((long long)c->batch_size * c->accum_steps > AL_MAX_BATCH)
        return al_fail(e, AL_ERR_LIMIT, "accumSteps", "batchSize * accumSteps must be at most %d, got %d * %d = %lld",
                       AL_MAX_BATCH, c->batch_size, c->accum_steps, (long long)c->batch_size * c->accum_steps);
    return AL_OK;
}

int al_config_parse(al_config *c, const char *json, size_t len, al_error *err) {
    al_error local;
    al_error *e = err ? err : &local;
    e->code = AL_OK;
    e->field[0] = '\0';
    e->message[0] = '\0';
    if (!c) return al_fail(e, AL_ERR_STATE, "", "al_config_parse needs a config to fill, got NULL");
    al_config_defaults(c);
    if (!json && len) return al_fail(e, AL_ERR_STATE, "", "al_config_parse got NULL text of length %zu", len);
    if (len > JSON_MAX_BYTES)
        return al_fail(e, AL_ERR_LIMIT, "", "the config must be at most %u bytes, got %zu", JSON_MAX_BYTES, len);
    size_t i = 0;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) i++;
    if (i == len) return AL_OK; /* empty or whitespace only: every default */

    json_error je;
    json_value *root = json_parse(json, len, &je);
    if (!root) {
        int code = strcmp(je.message, "out of memory") == 0 ? AL_ERR_MEMORY : AL_ERR_PARSE;
        return al_fail(e, code, "", "the config is not valid JSON: %s at byte %zu", je.message, je.offset);
    }
    int rc = parse_top(c, root, e);
    json_free(root);
    if (rc != AL_OK) {
        al_config_free(c);
        al_config_defaults(c);
        if (e->code == AL_OK) al_fail(e, rc, "", "invalid config"); /* not reached: every path fills e */
        return rc;
    }
    e->code = AL_OK;
    e->field[0] = '\0';
    e->message[0] = '\0';
    return AL_OK;
}
