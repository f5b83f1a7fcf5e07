/* core/fields.c — reading typed values out of a parsed JSON tree, with messages that name
 * the field: dotted paths with indices, typed getters with ranges, the value as the user
 * wrote it (strings echoed at most AL_ECHO_MAX bytes) and "did you mean" hints.
 * What the fields are (names, ranges, defaults) is the schema's (schema.c); this file
 * only knows how to read and how to complain.
 */
#include "fields.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ECHO_MAX AL_ECHO_MAX
#define PATH_MAX_CHARS AL_PATH_MAX

/* ---------- messages ---------- */

/* Shortest %g form that reads back as v. */
void al_fmt_num(char *buf, size_t cap, double v) {
    snprintf(buf, cap, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, cap, "%.17g", v);
}

/* Copies at most ECHO_MAX bytes of s (cut on a UTF-8 boundary), control bytes as '?',
 * "..." when cut. dst needs ECHO_MAX + 4 bytes. */
void al_echo(char *dst, const char *s, size_t len) {
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
void al_got_text(char *buf, size_t cap, const json_value *v) {
    char tmp[ECHO_MAX + 4];
    switch (v->type) {
    case JSON_NULL: snprintf(buf, cap, "null"); break;
    case JSON_BOOL: snprintf(buf, cap, "%s", v->u.boolean ? "true" : "false"); break;
    case JSON_NUMBER: al_fmt_num(buf, cap, v->u.number); break;
    case JSON_STRING:
        al_echo(tmp, v->u.string.s, v->u.string.len);
        snprintf(buf, cap, "\"%s\"", tmp);
        break;
    case JSON_ARRAY: snprintf(buf, cap, "an array"); break;
    case JSON_OBJECT: snprintf(buf, cap, "an object"); break;
    default: snprintf(buf, cap, "a value"); break;
    }
}

/* Paths longer than PATH_MAX_CHARS are cut (err->field keeps 63 chars anyway). */
void al_path_key(char *out, const char *parent, const char *key, size_t key_len) {
    char k[ECHO_MAX + 4];
    int w;
    al_echo(k, key, key_len);
    if (parent[0]) w = snprintf(out, PATH_MAX_CHARS, "%s.%s", parent, k);
    else w = snprintf(out, PATH_MAX_CHARS, "%s", k);
    if (w < 0) out[0] = '\0';
}

void al_path_index(char *out, const char *parent, size_t i) {
    if (snprintf(out, PATH_MAX_CHARS, "%s[%zu]", parent, i) < 0) out[0] = '\0';
}

/* "<path> must be <what>, got <value>" */
int al_fail_value(al_error *e, int code, const char *path, const char *what, const json_value *v) {
    char got[ECHO_MAX + 16];
    al_got_text(got, sizeof got, v);
    return al_fail(e, code, path, "%s must be %s, got %s", path, what, got);
}

/* ---------- "did you mean" ---------- */

static char lower(char ch) { return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch; }

/* Case-insensitive Levenshtein distance (both strings at most 63 bytes). */
size_t al_edit_distance(const char *a, size_t na, const char *b, size_t nb) {
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
int al_suggest(const char *s, size_t len, const char *const *names, size_t n) {
    int best = -1;
    size_t best_d = 3;
    if (len > 63) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        if (nl > 63 || (nl > len ? nl - len : len - nl) > 2) continue;
        size_t d = al_edit_distance(s, len, names[i], nl);
        if (d < best_d) { best_d = d; best = (int)i; }
    }
    return best;
}

void al_join_names(char *buf, size_t cap, const char *const *names, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* ---------- typed getters (v is never null here) ---------- */

int al_get_bool(const json_value *v, const char *path, al_error *e, int *out) {
    if (v->type != JSON_BOOL) return al_fail_value(e, AL_ERR_TYPE, path, "true or false", v);
    *out = v->u.boolean;
    return AL_OK;
}

int al_get_enum(const json_value *v, const char *path, const char *const *names, size_t n,
                    al_error *e, int *out) {
    char list[200];
    al_join_names(list, sizeof list, names, n);
    if (v->type != JSON_STRING) {
        char what[230];
        snprintf(what, sizeof what, "one of %s", list);
        return al_fail_value(e, AL_ERR_TYPE, path, what, v);
    }
    for (size_t i = 0; i < n; i++) {
        if (v->u.string.len == strlen(names[i]) && memcmp(v->u.string.s, names[i], v->u.string.len) == 0) {
            *out = (int)i;
            return AL_OK;
        }
    }
    char got[ECHO_MAX + 4];
    al_echo(got, v->u.string.s, v->u.string.len);
    int s = al_suggest(v->u.string.s, v->u.string.len, names, n);
    if (s >= 0)
        return al_fail(e, AL_ERR_UNKNOWN, path, "%s must be one of %s, got \"%s\"; did you mean '%s'?",
                       path, list, got, names[s]);
    return al_fail(e, AL_ERR_UNKNOWN, path, "%s must be one of %s, got \"%s\"", path, list, got);
}

/* A number in [lo, hi] (open ends when lo_open/hi_open); what = the allowed range in words. */
int al_get_real(const json_value *v, const char *path, double lo, int lo_open, double hi, int hi_open,
                    const char *what, al_error *e, double *out) {
    if (v->type != JSON_NUMBER) return al_fail_value(e, AL_ERR_TYPE, path, what, v);
    double x = v->u.number;
    if (!isfinite(x) || (lo_open ? !(x > lo) : !(x >= lo)) || (hi_open ? !(x < hi) : !(x <= hi)))
        return al_fail_value(e, AL_ERR_RANGE, path, what, v);
    *out = x;
    return AL_OK;
}

/* An integer in lo..hi; above hi gives over_code (AL_ERR_LIMIT for the AL_MAX_* limits). */
int al_get_int(const json_value *v, const char *path, long long lo, long long hi, int over_code,
                   al_error *e, long long *out) {
    char what[96];
    snprintf(what, sizeof what, "an integer in %lld..%lld", lo, hi);
    if (v->type != JSON_NUMBER) return al_fail_value(e, AL_ERR_TYPE, path, what, v);
    double x = v->u.number;
    if (!isfinite(x) || x != floor(x) || x < (double)lo) return al_fail_value(e, AL_ERR_RANGE, path, what, v);
    if (x > (double)hi) return al_fail_value(e, over_code, path, what, v);
    *out = (long long)x;
    return AL_OK;
}

int al_get_int32(const json_value *v, const char *path, int lo, int hi, int over_code, al_error *e, int *out) {
    long long x = 0;
    int rc = al_get_int(v, path, lo, hi, over_code, e, &x);
    if (rc == AL_OK) *out = (int)x;
    return rc;
}

int al_need_object(const json_value *v, const char *path, al_error *e) {
    if (v->type != JSON_OBJECT) return al_fail_value(e, AL_ERR_TYPE, path, "an object", v);
    return AL_OK;
}

/* A finite number that fits a float. */
int al_get_float(const json_value *v, const char *path, al_error *e, float *out) {
    if (v->type != JSON_NUMBER) return al_fail_value(e, AL_ERR_TYPE, path, "a number", v);
    double x = v->u.number;
    if (!isfinite(x) || fabs(x) > (double)FLT_MAX)
        return al_fail_value(e, AL_ERR_RANGE, path, "a finite number within float range (|x| <= 3.4e38)", v);
    *out = (float)x;
    return AL_OK;
}

