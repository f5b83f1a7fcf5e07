/* core/fields.h — typed reads from a JSON tree (json.h) with errors that name the field.
 *
 * Every getter takes the value (never JSON null: null means "default" and is handled by the
 * caller), the field's dotted path for messages, and fills err on failure:
 * "<path> must be <what>, got <value as written>". */
#ifndef ACCUMLAB_FIELDS_H
#define ACCUMLAB_FIELDS_H

#include <stddef.h>
#include "error.h"
#include "json.h"

#define AL_ECHO_MAX 40     /* bytes of a user string echoed in a message */
#define AL_PATH_MAX 128    /* path buffers (err->field keeps 63 chars) */

/* Shortest %g form that reads back as v. */
void al_fmt_num(char *buf, size_t cap, double v);
/* At most AL_ECHO_MAX bytes of s (cut on a UTF-8 boundary, "..." when cut), control bytes as '?';
 * dst needs AL_ECHO_MAX + 4 bytes. */
void al_echo(char *dst, const char *s, size_t len);
/* The value as written in a message: null, true, -1, "abc", an array, an object. */
void al_got_text(char *buf, size_t cap, const json_value *v);
/* out = parent.key (or key at the top); out has AL_PATH_MAX bytes. */
void al_path_key(char *out, const char *parent, const char *key, size_t key_len);
/* out = parent[i]; out has AL_PATH_MAX bytes. */
void al_path_index(char *out, const char *parent, size_t i);
/* "<path> must be <what>, got <v>" with the given code. */
int al_fail_value(al_error *e, int code, const char *path, const char *what, const json_value *v);

/* Case-insensitive Levenshtein distance (both strings at most 63 bytes). */
size_t al_edit_distance(const char *a, size_t na, const char *b, size_t nb);
/* Index of the closest of n names (distance <= 2, case-insensitive), or -1. */
int al_suggest(const char *s, size_t len, const char *const *names, size_t n);
/* "a, b, c" into buf (cut at cap). */
void al_join_names(char *buf, size_t cap, const char *const *names, size_t n);

int al_get_bool(const json_value *v, const char *path, al_error *e, int *out);
/* One of n names; its index in *out. */
int al_get_enum(const json_value *v, const char *path, const char *const *names, size_t n,
                al_error *e, int *out);
/* A finite number in [lo, hi] (open ends when lo_open / hi_open); what: the range in words. */
int al_get_real(const json_value *v, const char *path, double lo, int lo_open, double hi, int hi_open,
                const char *what, al_error *e, double *out);
/* An integer in lo..hi; above hi gives over_code (AL_ERR_LIMIT for the AL_MAX_* limits). */
int al_get_int(const json_value *v, const char *path, long long lo, long long hi, int over_code,
               al_error *e, long long *out);
int al_get_int32(const json_value *v, const char *path, int lo, int hi, int over_code, al_error *e, int *out);
int al_need_object(const json_value *v, const char *path, al_error *e);
/* A finite number that fits a float. */
int al_get_float(const json_value *v, const char *path, al_error *e, float *out);

#endif
