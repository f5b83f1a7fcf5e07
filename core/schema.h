/* core/schema.h — the config's one field table: every field's JSON path, type, default,
 * range, names, aliases, CLI flag and one line of doc.
 *
 * The parser (config.c), the defaults (al_config_defaults), the effective config written
 * back to callers and the schema exported to JavaScript (al_schema_write) are all walks
 * over this table; nothing else in the core or in JS spells a default or a range again.
 * Fields are indexed by al_field_id; a container (type OBJECT) is followed by its children.
 */
#ifndef ACCUMLAB_SCHEMA_H
#define ACCUMLAB_SCHEMA_H

#include <stddef.h>
#include "jsonw.h"

typedef enum { AL_FT_INT, AL_FT_NUMBER, AL_FT_ENUM, AL_FT_BOOL, AL_FT_LIST, AL_FT_OBJECT } al_field_type;
/* How a scalar is kept in al_config (at al_field.offset). Lists and objects: AL_ST_NONE. */
typedef enum { AL_ST_NONE, AL_ST_INT, AL_ST_U64, AL_ST_DOUBLE } al_storage;

typedef enum {
    AL_F_SEED,
    AL_F_MODEL, AL_F_MODEL_SIZES, AL_F_MODEL_HIDDEN, AL_F_MODEL_ACTIVATION, AL_F_MODEL_DROPOUT, AL_F_MODEL_NORM,
    AL_F_LOSS, AL_F_REDUCTION, AL_F_BATCH_SIZE, AL_F_ACCUM_STEPS, AL_F_CORRECTION,
    AL_F_OPTIMIZER, AL_F_OPT_NAME, AL_F_OPT_LR, AL_F_OPT_MOMENTUM, AL_F_OPT_DAMPENING, AL_F_OPT_NESTEROV,
    AL_F_OPT_WEIGHT_DECAY, AL_F_OPT_BETAS, AL_F_OPT_EPS,
    AL_F_CLIP_GRAD_NORM, AL_F_CLIP_PLACEMENT,
    AL_F_SCHEDULE, AL_F_SCHED_NAME, AL_F_SCHED_STEP_SIZE, AL_F_SCHED_GAMMA, AL_F_SCHED_T_MAX, AL_F_SCHED_ETA_MIN,
    AL_F_SCHED_WARMUP_STEPS,
    AL_F_SCHEDULER_STEPPING, AL_F_DROPOUT_RNG,
    AL_F_DATA, AL_F_DATA_NAME, AL_F_DATA_N, AL_F_DATA_NOISE, AL_F_DATA_SEED, AL_F_DATA_GENERATOR,
    AL_F_DATA_MASK_FRACTION, AL_F_DATA_SHUFFLE,
    AL_F_DATA_INPUTS, AL_F_DATA_TARGETS, AL_F_DATA_MASK,
    AL_F_INIT,
    AL_F_FRAMEWORK, AL_F_WORKERS, AL_F_SYNC_BATCHNORM, AL_F_GROUP_BOUNDARY, AL_F_LAST_GROUP_DIVISOR,
    AL_F_SCHEDULER_STEPS, AL_F_COUNT_ACROSS_WORKERS,
    AL_F_GRAD_DTYPE, AL_F_LOSS_SCALE, AL_F_LS_MODE, AL_F_LS_SCALE, AL_F_LS_GROWTH_FACTOR, AL_F_LS_BACKOFF_FACTOR,
    AL_F_LS_GROWTH_INTERVAL, AL_F_SCALER_UPDATE,
    AL_F_STEPS, AL_F_LAST_GROUP, AL_F_RTOL, AL_F_ATOL,
    AL_FIELD_COUNT
} al_field_id;

/* Items of a list field. */
typedef struct {
    al_field_type item;          /* AL_FT_INT or AL_FT_NUMBER; AL_FT_LIST for rows of numbers */
    double min, max;             /* item range */
    unsigned char min_open, max_open;
    int min_len, max_len;        /* entries */
    int n_default;               /* default items (-1: the default is null) */
    double defaults[2];
    int number_too;              /* a single number is accepted too (model.dropout) */
} al_list_spec;

typedef struct {
    const char *path;            /* "optimizer.lr" */
    al_field_type type;
    al_storage storage;
    size_t offset;               /* offsetof(al_config, ...) for scalars */
    int derived;                 /* 1: the default is null here and settled later (auto says how) */
    double def;                  /* int, number, bool (0/1), enum (index) */
    double min, max;             /* int and number range */
    unsigned char min_open, max_open;
    int over_code;               /* error code above max: AL_ERR_LIMIT for the machine's limits */
    const char *const *options;  /* enum names, NULL-terminated, index = C enum value */
    const char *aliases;         /* other tools' names, space separated ("did you mean" and attributes) */
    const char *flag;            /* CLI flag without "--" (NULL: only --set path=value) */
    const char *auto_text;       /* what a null default becomes, in words */
    const char *doc;             /* one line */
    const al_list_spec *list;    /* AL_FT_LIST */
} al_field;

/* The table (AL_FIELD_COUNT entries, in al_field_id order). */
const al_field *al_fields(void);
/* The field with this dotted path, or NULL. */
const al_field *al_field_by_path(const char *path, size_t len);
/* Number of names in a NULL-terminated options list. */
size_t al_option_count(const char *const *options);
/* The JSON name of an enum value of this field ("unknown" if out of range). */
const char *al_option_name(al_field_id id, int value);

/* "lr" for "optimizer.lr": the key of a field in its object. */
const char *al_field_name(const char *path);
/* 1 if f sits directly in the object `parent` ("" = the top). */
int al_field_is_child(const al_field *f, const char *parent);
/* A scalar field's value in a config (al_config, config.h), as a double; storage by the table. */
struct al_config_s;
double al_field_get(const struct al_config_s *c, const al_field *f);
void al_field_set(struct al_config_s *c, const al_field *f, double x);

/* Writes the schema as a JSON array of {path, type, default, min, max, options, doc, ...}. */
void al_schema_write(al_out *o);

#endif
