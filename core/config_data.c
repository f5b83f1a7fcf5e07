/* core/config_data.c — the config's explicit data (data.inputs, data.targets, data.mask)
 * and explicit initial parameters (init): big arrays, read into malloc'd float buffers with
 * every element checked and named in errors (data.inputs[3][1]). */
#include "config_data.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fields.h"

#define MAX_EXPLICIT_VALUES (16u << 20)   /* N*IN and N*T of explicit data */


/* ---- binary blocks: {"binary": k, "shape": [rows, cols] | [n]} -------------------------
 * The binding passes big arrays as floats (bins[k], row-major) instead of JSON text; every
 * value is still checked, and an error names its element as for JSON (data.inputs[3][1]). */
enum { VAL_FLOAT, VAL_MASK, VAL_CLASS };

typedef struct { const float *values; size_t rows, cols; int dims; } block;

static int is_block(const json_value *v) { return v->type == JSON_OBJECT && json_get(v, "binary"); }

static int read_block(const al_config *c, const json_value *v, const char *path, block *b, al_error *e) {
    const json_value *k = json_get(v, "binary"), *shape = json_get(v, "shape");
    for (size_t i = 0; i < v->u.object.count; i++) {
        const char *key = v->u.object.members[i].key;
        if (strcmp(key, "binary") != 0 && strcmp(key, "shape") != 0)
            return al_fail(e, AL_ERR_UNKNOWN, path, "%s: a binary block has only binary and shape, got '%s'", path, key);
    }
    long long idx = 0;
    char kpath[AL_PATH_MAX];
    snprintf(kpath, sizeof kpath, "%s.binary", path);
    int rc = al_get_int(k, kpath, 0, 1 << 20, AL_ERR_RANGE, e, &idx);
    if (rc) return rc;
    if (idx >= c->n_bins)
        return al_fail(e, AL_ERR_SHAPE, path, "%s refers to binary array %lld, but the binding passed %d (binary blocks come from the API's typed arrays, not from JSON)",
                       path, idx, c->n_bins);
    if (!shape || shape->type != JSON_ARRAY || shape->u.array.count < 1 || shape->u.array.count > 2)
        return al_fail(e, AL_ERR_SHAPE, path, "%s.shape must be [rows, cols] or [n]", path);
    long long dim[2] = {1, 1};
    for (size_t d = 0; d < shape->u.array.count; d++) {
        snprintf(kpath, sizeof kpath, "%s.shape[%zu]", path, d);
        if ((rc = al_get_int(&shape->u.array.items[d], kpath, 0, 1 << 30, AL_ERR_LIMIT, e, &dim[d]))) return rc; /* the callers hold the limits */
    }
    b->values = c->bins[idx];
    b->rows = (size_t)dim[0];
    b->cols = (size_t)dim[1];
    b->dims = (int)shape->u.array.count;
    unsigned long long n = (unsigned long long)dim[0] * (unsigned long long)dim[1]; /* no size_t overflow in wasm32 */
    if (c->bin_lens[idx] < 0 || n != (unsigned long long)c->bin_lens[idx])
        return al_fail(e, AL_ERR_SHAPE, path, "%s.shape holds %llu values, but its binary array has %d", path, n, (int)c->bin_lens[idx]);
    return AL_OK;
}

/* Copies a block's n values into a malloc'd buffer, each checked as `mode` says. */
static int copy_block(const block *b, const char *path, int mode, al_error *e, float **out) {
    size_t n = b->rows * b->cols;
    float *data = (float *)malloc((n ? n : 1) * sizeof *data);
    if (!data) return al_fail(e, AL_ERR_MEMORY, path, "out of memory for %s (%zu values)", path, n);
    for (size_t i = 0; i < n; i++) {
        float x = b->values[i];
        int bad = mode == VAL_MASK ? !(x == 0.0f || x == 1.0f)
                : mode == VAL_CLASS ? !(x >= 0.0f && x <= (float)(AL_MAX_WIDTH - 1) && x == floorf(x)) : !isfinite(x);
        if (bad) {
            char ipath[AL_PATH_MAX], jpath[AL_PATH_MAX];
            al_path_index(ipath, path, b->dims == 2 ? i / b->cols : i);
            if (b->dims == 2) al_path_index(jpath, ipath, i % b->cols);
            free(data);
            return al_fail(e, AL_ERR_RANGE, b->dims == 2 ? jpath : ipath, "%s must be %s, got %g", b->dims == 2 ? jpath : ipath,
                           mode == VAL_MASK ? "0 or 1" : mode == VAL_CLASS ? "a class index (integer >= 0)" : "a finite number",
                           (double)x);
        }
        data[i] = x;
    }
    *out = data;
    return AL_OK;
}

/* number[][]: rows of equal length; mode 0 = any float, 1 = mask (0 or 1).
 * want_rows / want_cols: required shape (0 = free). Allocates *out. */
/* The shape rules of parse_rows, for a binary block of rows. */
static int parse_rows_block(const al_config *c, const json_value *v, const char *path, int want_rows, int want_cols, int mode,
                            al_error *e, int *rows_out, int *cols_out, float **out) {
    block b;
    int rc = read_block(c, v, path, &b, e);
    if (rc) return rc;
    if (b.dims != 2) return al_fail(e, AL_ERR_SHAPE, path, "%s.shape must be [rows, cols]", path);
    if (want_rows && b.rows != (size_t)want_rows)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d rows (one per row of data.inputs), got %zu", path, want_rows, b.rows);
    if (b.rows < 1 || b.cols < 1) return al_fail(e, AL_ERR_RANGE, path, "%s must have at least 1 row and 1 column", path);
    if (b.rows > AL_MAX_SAMPLES)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %d rows, got %zu", path, AL_MAX_SAMPLES, b.rows);
    if (want_cols && b.cols != (size_t)want_cols)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d values per row (the targets' shape), got %zu", path, want_cols, b.cols);
    if (b.cols > AL_MAX_WIDTH)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %d values per row, got %zu", path, AL_MAX_WIDTH, b.cols);
    if (b.rows * b.cols > MAX_EXPLICIT_VALUES)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %u values in all, got %zu x %zu", path, MAX_EXPLICIT_VALUES, b.rows, b.cols);
    if ((rc = copy_block(&b, path, mode == 1 ? VAL_MASK : VAL_FLOAT, e, out))) return rc;
    *rows_out = (int)b.rows;
    *cols_out = (int)b.cols;
    return AL_OK;
}

static int parse_rows(const al_config *c, const json_value *v, const char *path, int want_rows, int want_cols, int mode,
                      al_error *e, int *rows_out, int *cols_out, float **out) {
    char ipath[AL_PATH_MAX], jpath[AL_PATH_MAX];
    if (is_block(v)) return parse_rows_block(c, v, path, want_rows, want_cols, mode, e, rows_out, cols_out, out);
    if (v->type != JSON_ARRAY) return al_fail_value(e, AL_ERR_TYPE, path, "an array of rows (number[][])", v);
    size_t rows = v->u.array.count;
    if (want_rows && rows != (size_t)want_rows)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d rows (one per row of data.inputs), got %zu", path, want_rows, rows);
    if (rows < 1) return al_fail(e, AL_ERR_RANGE, path, "%s must have at least 1 row, got 0", path);
    if (rows > AL_MAX_SAMPLES)
        return al_fail(e, AL_ERR_LIMIT, path, "%s must have at most %d rows, got %zu", path, AL_MAX_SAMPLES, rows);
    const json_value *first = &v->u.array.items[0];
    al_path_index(ipath, path, 0);
    if (first->type != JSON_ARRAY) return al_fail_value(e, AL_ERR_TYPE, ipath, "an array of numbers", first);
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
        al_path_index(ipath, path, i);
        int rc = AL_OK;
        if (row->type != JSON_ARRAY) rc = al_fail_value(e, AL_ERR_TYPE, ipath, "an array of numbers", row);
        else if (row->u.array.count != cols)
            rc = al_fail(e, AL_ERR_SHAPE, ipath, "%s must have %zu values like %s[0], got %zu", ipath, cols, path,
                         row->u.array.count);
        for (size_t j = 0; rc == AL_OK && j < cols; j++) {
            const json_value *x = &row->u.array.items[j];
            if (mode == 0 && x->type == JSON_NUMBER && fabs(x->u.number) <= (double)FLT_MAX) { /* the common case: no path to build */
                data[i * cols + j] = (float)x->u.number;
                continue;
            }
            al_path_index(jpath, ipath, j);
            if (mode == 1) {
                if (x->type != JSON_NUMBER) rc = al_fail_value(e, AL_ERR_TYPE, jpath, "0 or 1", x);
                else if (x->u.number != 0 && x->u.number != 1) rc = al_fail_value(e, AL_ERR_RANGE, jpath, "0 or 1", x);
                else data[i * cols + j] = (float)x->u.number;
            } else {
                rc = al_get_float(x, jpath, e, &data[i * cols + j]);
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
    char ipath[AL_PATH_MAX];
    int n = c->data.rows;
    if (is_block(v)) { /* [n]: class indices; [n, T]: rows */
        block b;
        int rc = read_block(c, v, path, &b, e);
        if (rc) return rc;
        if (b.dims == 2) {
            int rows = 0, cols = 0;
            if ((rc = parse_rows(c, v, path, n, 0, 0, e, &rows, &cols, &c->data.targets))) return rc;
            c->data.target_dim = cols;
            c->data.class_targets = 0;
            return AL_OK;
        }
        if (b.rows != (size_t)n)
            return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d entries (one per row of data.inputs), got %zu", path, n, b.rows);
        if ((rc = copy_block(&b, path, VAL_CLASS, e, &c->data.targets))) return rc;
        c->data.target_dim = 1;
        c->data.class_targets = 1;
        return AL_OK;
    }
    if (v->type != JSON_ARRAY)
        return al_fail_value(e, AL_ERR_TYPE, path, "an array (class indices number[] or rows number[][])", v);
    if (v->u.array.count != (size_t)n)
        return al_fail(e, AL_ERR_SHAPE, path, "%s must have %d entries (one per row of data.inputs), got %zu", path, n,
                       v->u.array.count);
    const json_value *first = &v->u.array.items[0]; /* n >= 1 */
    if (first->type == JSON_ARRAY) {
        int rows = 0, cols = 0;
        int rc = parse_rows(c, v, path, n, 0, 0, e, &rows, &cols, &c->data.targets);
        if (rc) return rc;
        c->data.target_dim = cols;
        c->data.class_targets = 0;
        return AL_OK;
    }
    if (first->type != JSON_NUMBER) {
        al_path_index(ipath, path, 0);
        return al_fail_value(e, AL_ERR_TYPE, ipath, "a class index (integer >= 0) or an array of numbers", first);
    }
    float *t = (float *)malloc((size_t)n * sizeof *t);
    if (!t) return al_fail(e, AL_ERR_MEMORY, path, "out of memory for %s", path);
    for (int i = 0; i < n; i++) {
        long long k = 0;
        al_path_index(ipath, path, (size_t)i);
        const json_value *x = &v->u.array.items[i];
        int rc;
        if (x->type != JSON_NUMBER)
            rc = al_fail_value(e, AL_ERR_TYPE, ipath, "a class index (integer >= 0) like data.targets[0]", x);
        else
            rc = al_get_int(x, ipath, 0, AL_MAX_WIDTH - 1, AL_ERR_RANGE, e, &k);
        if (rc) { free(t); return rc; }
        t[i] = (float)k;
    }
    c->data.targets = t;
    c->data.target_dim = 1;
    c->data.class_targets = 1;
    return AL_OK;
}

/* data's rules once every member is read: data.n by dataset, or explicit data in the order
 * inputs, targets, mask. given: the config's non-null members, by field id. */
int al_config_read_data(al_config *c, const json_value *const *given, al_error *e) {
    int rc;
    if (!given[AL_F_DATA_INPUTS]) {
        if (given[AL_F_DATA_TARGETS])
            return al_fail(e, AL_ERR_SHAPE, "data.targets", "data.targets needs data.inputs (explicit data), or use a built-in data.name");
        if (given[AL_F_DATA_MASK])
            return al_fail(e, AL_ERR_SHAPE, "data.mask", "data.mask needs data.inputs and data.targets (explicit data)");
        if (!given[AL_F_DATA_N]) c->data.n = c->data.name == AL_DATA_DIGITS ? AL_DIGITS_N : 256;
        if (c->data.name == AL_DATA_DIGITS && c->data.n > AL_DIGITS_N)
            return al_fail(e, AL_ERR_LIMIT, "data.n", "data.n must be an integer in 1..%d for digits, got %d", AL_DIGITS_N, c->data.n);
        if (c->data.generator == AL_GEN_TORCH && c->data.name != AL_DATA_SEED_EXAMPLE)
            return al_fail(e, AL_ERR_SHAPE, "data.generator",
                           "data.generator torch is for seed_example (x = torch.rand(n, 4), y = torch.rand(n, 2)), not for %s",
                           al_option_name(AL_F_DATA_NAME, c->data.name));
        return AL_OK;
    }
    /* explicit data */
    if (given[AL_F_DATA_NAME])
        return al_fail(e, AL_ERR_SHAPE, "data.name", "data.name and data.inputs exclude each other: give a built-in name or explicit inputs, not both");
    if (given[AL_F_DATA_GENERATOR] || given[AL_F_DATA_SEED])
        return al_fail(e, AL_ERR_SHAPE, given[AL_F_DATA_SEED] ? "data.seed" : "data.generator",
                       "%s is only for built-in data, not with data.inputs", given[AL_F_DATA_SEED] ? "data.seed" : "data.generator");
    if (given[AL_F_DATA_N])
        return al_fail(e, AL_ERR_SHAPE, "data.n", "data.n is only for built-in data; explicit data has one sample per row of data.inputs");
    if (given[AL_F_DATA_NOISE])
        return al_fail(e, AL_ERR_SHAPE, "data.noise", "data.noise is only for built-in data, not with data.inputs");
    if (given[AL_F_DATA_MASK] && c->data.mask_fraction > 0)
        return al_fail(e, AL_ERR_SHAPE, "data.maskFraction", "data.maskFraction and data.mask exclude each other: give one of them");
    if ((rc = parse_rows(c, given[AL_F_DATA_INPUTS], "data.inputs", 0, 0, 0, e, &c->data.rows, &c->data.in_dim, &c->data.inputs)))
        return rc;
    if (!given[AL_F_DATA_TARGETS])
        return al_fail(e, AL_ERR_SHAPE, "data.targets", "data.targets is required with data.inputs");
    c->data.name = AL_DATA_EXPLICIT;
    c->data.n = c->data.rows;
    if ((rc = parse_targets(c, given[AL_F_DATA_TARGETS], e))) return rc;
    if (given[AL_F_DATA_MASK]) {
        int rows = 0, cols = 0;
        if ((rc = parse_rows(c, given[AL_F_DATA_MASK], "data.mask", c->data.rows, c->data.target_dim, 1, e, &rows, &cols, &c->data.mask)))
            return rc;
    }
    return AL_OK;
}

int al_config_read_init(al_config *c, const json_value *v, al_error *e) {
    char ipath[AL_PATH_MAX];
    if (is_block(v)) {
        block b;
        int rc = read_block(c, v, "init", &b, e);
        if (rc) return rc;
        if (b.dims != 1) return al_fail(e, AL_ERR_SHAPE, "init", "init.shape must be [n] (init is flat)");
        if (b.rows > AL_MAX_PARAMS) return al_fail(e, AL_ERR_LIMIT, "init", "init must have at most %d values, got %zu", AL_MAX_PARAMS, b.rows);
        if (b.rows < 1) return al_fail(e, AL_ERR_RANGE, "init", "init must have at least 1 value, got 0");
        if ((rc = copy_block(&b, "init", VAL_FLOAT, e, &c->init))) return rc;
        c->init_len = b.rows;
        return AL_OK;
    }
    if (v->type != JSON_ARRAY) return al_fail_value(e, AL_ERR_TYPE, "init", "a flat array of numbers", v);
    size_t n = v->u.array.count;
    if (n < 1) return al_fail(e, AL_ERR_RANGE, "init", "init must have at least 1 value, got 0");
    if (n > AL_MAX_PARAMS)
        return al_fail(e, AL_ERR_LIMIT, "init", "init must have at most %d values, got %zu", AL_MAX_PARAMS, n);
    float *p = (float *)malloc(n * sizeof *p);
    if (!p) return al_fail(e, AL_ERR_MEMORY, "init", "out of memory for init (%zu values)", n);
    for (size_t i = 0; i < n; i++) {
        al_path_index(ipath, "init", i);
        int rc = al_get_float(&v->u.array.items[i], ipath, e, &p[i]);
        if (rc) { free(p); return rc; }
    }
    c->init = p;
    c->init_len = n;
    return AL_OK;
}

