/* core/config.c — JSON text -> validated al_config, walking the field table (schema.h).
 *
 * Every field is optional; null means "default". Unknown keys are errors with a "did you
 * mean" hint (the object's own keys, then other tools' names for fields: schema aliases).
 * Scalars are read generically from their table entry; lists by their own readers below.
 * Cross-field rules (lr/weightDecay defaults by optimizer, data.n by dataset, nesterov,
 * model.sizes vs model.hidden, batchSize*accumSteps, explicit data shapes) are applied
 * after each object is read, so key order never matters.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_data.h"
#include "fields.h"
#include "json.h"
#include "schema.h"

#define MAX_CHILDREN 40

_Static_assert(sizeof(al_activation) == sizeof(int) && sizeof(al_data_name) == sizeof(int),
               "enums are stored through int pointers (schema.h AL_ST_INT)");

typedef struct {
    al_config *c;
    al_error *e;
    const json_value *given[AL_FIELD_COUNT]; /* non-null members, by field */
    unsigned char seen[AL_FIELD_COUNT];      /* members present (null included) */
} parse_ctx;

/* ---------- names ---------- */

const char *al_activation_name(al_activation a) { return al_option_name(AL_F_MODEL_ACTIVATION, (int)a); }
const char *al_loss_name(al_loss l) { return al_option_name(AL_F_LOSS, (int)l); }

/* ---------- the table's structure ---------- */

static size_t children_of(const char *parent, const char **names, int *ids) {
    size_t n = 0;
    const al_field *t = al_fields();
    for (int i = 0; i < AL_FIELD_COUNT && n < MAX_CHILDREN; i++)
        if (al_field_is_child(&t[i], parent)) { names[n] = al_field_name(t[i].path); ids[n++] = i; }
    return n;
}

/* ---------- defaults and free ---------- */

void al_config_defaults(al_config *c) {
    if (!c) return;
    memset(c, 0, sizeof *c);
    const al_field *t = al_fields();
    for (int i = 0; i < AL_FIELD_COUNT; i++)
        if (t[i].storage != AL_ST_NONE) al_field_set(c, &t[i], t[i].def);
    const al_list_spec *h = t[AL_F_MODEL_HIDDEN].list, *b = t[AL_F_OPT_BETAS].list;
    c->n_hidden = h->n_default;
    for (int i = 0; i < h->n_default; i++) c->hidden[i] = (int)h->defaults[i];
    c->optimizer.beta1 = b->defaults[0];
    c->optimizer.beta2 = b->defaults[1];
    c->schedule.t_max = 0; /* not given: the experiment uses steps */
}

void al_config_free(al_config *c) {
    if (!c) return;
    if (!c->borrowed) {
        free(c->data.inputs);
        free(c->data.targets);
        free(c->data.mask);
        free(c->init);
    }
    c->data.inputs = NULL;
    c->data.targets = NULL;
    c->data.mask = NULL;
    c->init = NULL;
    c->init_len = 0;
    c->borrowed = 0;
}

/* ---------- scalars ---------- */

/* The allowed range in words: "a finite number > 0", "a number in [0, 1)". */
static void range_words(char *buf, size_t cap, double lo, int lo_open, double hi, int hi_open) {
    char a[32], b[32];
    al_fmt_num(a, sizeof a, lo);
    al_fmt_num(b, sizeof b, hi);
    if (isinf(hi)) snprintf(buf, cap, "a finite number %s %s", lo_open ? ">" : ">=", a);
    else snprintf(buf, cap, "a number in %c%s, %s%c", lo_open ? '(' : '[', a, b, hi_open ? ')' : ']');
}

static int read_scalar(parse_ctx *x, const al_field *f, const json_value *v, const char *path) {
    char what[96];
    int rc, k = 0;
    long long ll = 0;
    double d = 0;
    switch (f->type) {
    case AL_FT_INT:
        if ((rc = al_get_int(v, path, (long long)f->min, (long long)f->max, f->over_code, x->e, &ll))) return rc;
        al_field_set(x->c, f, (double)ll);
        return AL_OK;
    case AL_FT_NUMBER:
        range_words(what, sizeof what, f->min, f->min_open, f->max, f->max_open);
        if ((rc = al_get_real(v, path, f->min, f->min_open, f->max, f->max_open, what, x->e, &d))) return rc;
        al_field_set(x->c, f, d);
        return AL_OK;
    case AL_FT_ENUM:
        if ((rc = al_get_enum(v, path, f->options, al_option_count(f->options), x->e, &k))) return rc;
        al_field_set(x->c, f, k);
        return AL_OK;
    case AL_FT_BOOL:
        if ((rc = al_get_bool(v, path, x->e, &k))) return rc;
        al_field_set(x->c, f, k);
        return AL_OK;
    default:
        return al_fail(x->e, AL_ERR_STATE, path, "%s has no scalar reader", path); /* not reached */
    }
}

/* ---------- short lists: model.sizes, model.hidden, model.dropout, optimizer.betas ---------- */

/* Reads a list of numbers with the field's item range and length; out has max_len slots. */
static int read_numbers(parse_ctx *x, const al_field *f, const json_value *v, const char *path, double *out, int *n_out) {
    const al_list_spec *l = f->list;
    char ipath[AL_PATH_MAX], what[96];
    if (v->type != JSON_ARRAY) {
        snprintf(what, sizeof what, "an array of %d..%d %s", l->min_len, l->max_len, l->item == AL_FT_INT ? "integers" : "numbers");
        if (l->number_too) snprintf(what, sizeof what, "a number in [0, 1) or an array of them");
        return al_fail_value(x->e, AL_ERR_TYPE, path, what, v);
    }
    size_t n = v->u.array.count;
    if (l->min_len == l->max_len && n != (size_t)l->min_len)
        return al_fail(x->e, AL_ERR_SHAPE, path, "%s must have %d entries, got %zu", path, l->min_len, n);
    if (n < (size_t)l->min_len)
        return al_fail(x->e, AL_ERR_RANGE, path, "%s must have %d..%d entries, got %zu", path, l->min_len, l->max_len, n);
    if (n > (size_t)l->max_len)
        return al_fail(x->e, f->over_code, path, "%s must have %d..%d entries, got %zu", path, l->min_len, l->max_len, n);
    range_words(what, sizeof what, l->min, l->min_open, l->max, l->max_open);
    for (size_t j = 0; j < n; j++) {
        const json_value *item = &v->u.array.items[j];
        long long ll = 0;
        int rc;
        al_path_index(ipath, path, j);
        if (l->item == AL_FT_INT) {
            rc = al_get_int(item, ipath, (long long)l->min, (long long)l->max, f->over_code, x->e, &ll);
            out[j] = (double)ll;
        } else {
            rc = al_get_real(item, ipath, l->min, l->min_open, l->max, l->max_open, what, x->e, &out[j]);
        }
        if (rc) return rc;
    }
    *n_out = (int)n;
    return AL_OK;
}

static int read_list(parse_ctx *x, al_field_id id, const json_value *v, const char *path) {
    const al_field *f = &al_fields()[id];
    al_config *c = x->c;
    double d[AL_MAX_LAYERS + 1];
    int n = 0, rc;
    char what[96];
    if (id == AL_F_MODEL_DROPOUT && v->type == JSON_NUMBER) { /* one value for every hidden layer */
        range_words(what, sizeof what, f->min, f->min_open, f->max, f->max_open);
        if ((rc = al_get_real(v, path, f->min, f->min_open, f->max, f->max_open, what, x->e, &d[0]))) return rc;
        c->n_dropout = 0;
        c->dropout[0] = (float)d[0];
        return AL_OK;
    }
    if ((rc = read_numbers(x, f, v, path, d, &n))) return rc;
    switch (id) {
    case AL_F_MODEL_SIZES:
        for (int i = 0; i < n; i++) c->sizes[i] = (int)d[i];
        c->n_sizes = n;
        break;
    case AL_F_MODEL_HIDDEN:
        for (int i = 0; i < n; i++) c->hidden[i] = (int)d[i];
        c->n_hidden = n;
        break;
    case AL_F_MODEL_DROPOUT:
        for (int i = 0; i < n; i++) c->dropout[i] = (float)d[i];
        c->n_dropout = n;
        break;
    case AL_F_OPT_BETAS:
        c->optimizer.beta1 = d[0];
        c->optimizer.beta2 = d[1];
        break;
    default: break;
    }
    return AL_OK;
}

/* ---------- objects ---------- */

static int fail_unknown(parse_ctx *x, const json_member *m, const char *parent) {
    char path[AL_PATH_MAX];
    const char *names[MAX_CHILDREN];
    int ids[MAX_CHILDREN];
    size_t n = children_of(parent, names, ids);
    al_path_key(path, parent, m->key, m->key_len);
    int s = al_suggest(m->key, m->key_len, names, n);
    const char *hint = s >= 0 ? names[s] : NULL;
    const al_field *t = al_fields();
    for (int i = 0; !hint && i < AL_FIELD_COUNT; i++) { /* other tools' names for a field */
        for (const char *p = t[i].aliases; p && *p && !hint;) {
            const char *end = strchr(p, ' ');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            if (len == m->key_len && al_edit_distance(m->key, len, p, len) == 0)
                hint = al_field_is_child(&t[i], parent) ? al_field_name(t[i].path) : t[i].path;
            p = end ? end + 1 : p + len;
        }
    }
    if (hint) return al_fail(x->e, AL_ERR_UNKNOWN, path, "unknown field %s; did you mean '%s'?", path, hint);
    char list[256];
    al_join_names(list, sizeof list, names, n);
    if (strlen(path) + strlen(list) < 160)
        return al_fail(x->e, AL_ERR_UNKNOWN, path, "unknown field %s (allowed: %s)", path, list);
    return al_fail(x->e, AL_ERR_UNKNOWN, path, "unknown field %s", path);
}

static int read_object(parse_ctx *x, const json_value *obj, const char *parent);

static int read_member(parse_ctx *x, const json_member *m, const char *parent) {
    char path[AL_PATH_MAX];
    al_path_key(path, parent, m->key, m->key_len);
    const al_field *f = memchr(m->key, '.', m->key_len) ? NULL : al_field_by_path(path, strlen(path));
    if (!f || !al_field_is_child(f, parent)) return fail_unknown(x, m, parent);
    al_field_id id = (al_field_id)(f - al_fields());
    if (x->seen[id]) return al_fail(x->e, AL_ERR_PARSE, path, "%s is given twice", path);
    x->seen[id] = 1;
    const json_value *v = &m->value;
    if (v->type == JSON_NULL) return AL_OK;
    x->given[id] = v;
    if (f->type == AL_FT_OBJECT) return read_object(x, v, path);
    if (!f->list) return read_scalar(x, f, v, path);
    switch (id) {
    case AL_F_DATA_INPUTS: case AL_F_DATA_TARGETS: case AL_F_DATA_MASK:
        return AL_OK; /* read with the rest of data, once every member is known */
    case AL_F_INIT:
        if (v->type == JSON_STRING) { /* "torch" */
            int k = 0, rc = al_get_enum(v, path, f->options, al_option_count(f->options), x->e, &k);
            if (rc == AL_OK) x->c->init_torch = 1;
            return rc;
        }
        return al_config_read_init(x->c, v, x->e);
    default:
        return read_list(x, id, v, path);
    }
}

/* Rules between the fields of one object, applied once all its members are read. */
static int finish_object(parse_ctx *x, const char *path) {
    al_config *c = x->c;
    al_error *e = x->e;
    if (strcmp(path, "optimizer") == 0) {
        al_optimizer_settings *o = &c->optimizer;
        if (!x->given[AL_F_OPT_LR]) o->lr = o->name == AL_OPT_SGD ? 0.1 : 0.001;
        if (!x->given[AL_F_OPT_WEIGHT_DECAY]) o->weight_decay = o->name == AL_OPT_ADAMW ? 0.01 : 0.0;
        if (o->nesterov && (!(o->momentum > 0) || o->dampening != 0)) {
            char mo[32], da[32];
            al_fmt_num(mo, sizeof mo, o->momentum);
            al_fmt_num(da, sizeof da, o->dampening);
            return al_fail(e, AL_ERR_RANGE, "optimizer.nesterov",
                           "optimizer.nesterov true needs momentum > 0 and dampening 0, got momentum %s and dampening %s", mo, da);
        }
    } else if (strcmp(path, "model") == 0 && x->given[AL_F_MODEL_SIZES]) {
        int same = c->n_hidden == c->n_sizes - 2;
        for (int i = 0; same && i < c->n_hidden; i++) same = c->hidden[i] == c->sizes[i + 1];
        if (x->given[AL_F_MODEL_HIDDEN] && !same)
            return al_fail(e, AL_ERR_SHAPE, "model.hidden",
                           "model.hidden and model.sizes disagree: give one of them (sizes are input, hidden..., output)");
        c->n_hidden = c->n_sizes - 2;
        for (int i = 0; i < c->n_hidden; i++) c->hidden[i] = c->sizes[i + 1];
    } else if (strcmp(path, "data") == 0) {
        return al_config_read_data(c, x->given, e);
    }
    return AL_OK;
}

static int read_object(parse_ctx *x, const json_value *obj, const char *parent) {
    int rc;
    if (obj->type != JSON_OBJECT) {
        if (!parent[0]) {
            char got[AL_ECHO_MAX + 16];
            al_got_text(got, sizeof got, obj);
            return al_fail(x->e, AL_ERR_TYPE, "", "the config must be a JSON object, got %s", got);
        }
        return al_fail_value(x->e, AL_ERR_TYPE, parent, "an object", obj);
    }
    for (size_t i = 0; i < obj->u.object.count; i++)
        if ((rc = read_member(x, &obj->u.object.members[i], parent))) return rc;
    return finish_object(x, parent);
}

static int finish_top(parse_ctx *x) {
    al_config *c = x->c;
    if (x->given[AL_F_LOSS]) c->loss_given = 1;
    c->data.seed_given = x->given[AL_F_DATA_SEED] != NULL;
    if (!c->data.seed_given) c->data.seed = c->seed;
    if (!x->given[AL_F_DATA]) { /* data's own rules (data.n by dataset) with every default */
        int rc = al_config_read_data(c, x->given, x->e);
        if (rc) return rc;
    }
    if ((long long)c->batch_size * c->accum_steps > AL_MAX_BATCH)
        return al_fail(x->e, AL_ERR_LIMIT, "accumSteps", "batchSize * accumSteps must be at most %d, got %d * %d = %lld",
                       AL_MAX_BATCH, c->batch_size, c->accum_steps, (long long)c->batch_size * c->accum_steps);
    long long group = (long long)c->workers * c->batch_size * c->accum_steps;
    if (group > AL_MAX_BATCH)
        return al_fail(x->e, AL_ERR_LIMIT, "workers", "workers * batchSize * accumSteps (the reference's batch) must be at most %d, got %d * %d * %d = %lld",
                       AL_MAX_BATCH, c->workers, c->batch_size, c->accum_steps, group);
    al_framework_settle(c, x->given[AL_F_CORRECTION] != NULL, x->given[AL_F_GROUP_BOUNDARY] != NULL,
                        x->given[AL_F_LAST_GROUP_DIVISOR] != NULL, x->given[AL_F_SCHEDULER_STEPS] != NULL);
    if (c->workers > 1 && c->grad_dtype != AL_DTYPE_FP32)
        return al_fail(x->e, AL_ERR_RANGE, "gradDtype",
                       "gradDtype %s with workers > 1 is not simulated (each replica's .grad and the all-reduce would round); use fp32 or workers 1",
                       c->grad_dtype == AL_DTYPE_BF16 ? "bf16" : "fp16");
    if (c->workers > 1 && c->clip_grad_norm > 0 && c->clip_placement == AL_CLIP_PER_MICRO_BATCH)
        return al_fail(x->e, AL_ERR_RANGE, "clipPlacement",
                       "clipPlacement per_micro_batch with workers > 1 is not simulated (each replica would clip its own partial sums); use after_accumulation or workers 1");
    return AL_OK;
}

int al_config_parse(al_config *c, const char *json, size_t len, al_error *err) {
    return al_config_parse_with(c, json, len, NULL, NULL, 0, err);
}

static int parse_text(al_config *c, const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err);

int al_config_parse_with(al_config *c, const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err) {
    int rc = parse_text(c, json, len, bins, bin_lens, n_bins, err);
    if (c) { c->bins = NULL; c->bin_lens = NULL; c->n_bins = 0; } /* the binding's arrays are not kept */
    return rc;
}

static int parse_text(al_config *c, const char *json, size_t len, const float *const *bins, const int32_t *bin_lens, int n_bins, al_error *err) {
    al_error local;
    al_error *e = err ? err : &local;
    e->code = AL_OK;
    e->field[0] = '\0';
    e->message[0] = '\0';
    if (!c) return al_fail(e, AL_ERR_STATE, "", "al_config_parse needs a config to fill, got NULL");
    al_config_defaults(c);
    c->bins = bins;
    c->bin_lens = bin_lens;
    c->n_bins = bins && bin_lens ? n_bins : 0;
    if (!json && len) return al_fail(e, AL_ERR_STATE, "", "al_config_parse got NULL text of length %zu", len);
    if (len > JSON_MAX_BYTES)
        return al_fail(e, AL_ERR_LIMIT, "", "the config must be at most %u bytes, got %zu", JSON_MAX_BYTES, len);
    size_t i = 0;
    while (i < len && (json[i] == ' ' || json[i] == '\t' || json[i] == '\n' || json[i] == '\r')) i++;
    parse_ctx x;
    memset(&x, 0, sizeof x);
    x.c = c;
    x.e = e;
    if (i == len) return finish_top(&x); /* empty or whitespace only: every default */

    json_error je;
    json_value *root = json_parse(json, len, &je);
    if (!root) {
        int code = strcmp(je.message, "out of memory") == 0 ? AL_ERR_MEMORY : AL_ERR_PARSE;
        return al_fail(e, code, "", "the config is not valid JSON: %s at byte %zu", je.message, je.offset);
    }
    int rc = read_object(&x, root, "");
    if (rc == AL_OK) rc = finish_top(&x);
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
