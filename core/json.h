/* core/json.h — a small, strict JSON reader (RFC 8259) for the config.
 *
 * The whole tree lives in ONE malloc'd block: free it with json_free(root).
 * Strict: no comments, no trailing commas, no NaN/Infinity, no leading zeros,
 * UTF-8 passed through, \uXXXX escapes decoded to UTF-8 (surrogate pairs joined),
 * nesting depth at most JSON_MAX_DEPTH, input at most JSON_MAX_BYTES.
 * Never reads past `len`; never aborts; all failures come back through json_error.
 */
#ifndef ACCUMLAB_JSON_H
#define ACCUMLAB_JSON_H

#include <stddef.h>

#define JSON_MAX_DEPTH 64
#define JSON_MAX_BYTES (64u << 20)

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json_value json_value;
typedef struct json_member json_member;

struct json_value {
    json_type type;
    union {
        int boolean;                                       /* JSON_BOOL: 0 or 1 */
        double number;                                     /* JSON_NUMBER: finite */
        struct { const char *s; size_t len; } string;      /* JSON_STRING: decoded, NUL-terminated too */
        struct { json_value *items; size_t count; } array; /* JSON_ARRAY */
        struct { json_member *members; size_t count; } object; /* JSON_OBJECT, in text order */
    } u;
};

struct json_member {
    const char *key; /* decoded, NUL-terminated */
    size_t key_len;
    json_value value;
};

typedef struct {
    size_t offset;        /* byte offset of the problem in the input */
    char message[96];     /* e.g. "unexpected character 'x'", "number out of range" */
} json_error;

/* Parses text[0..len). Returns the root (free with json_free) or NULL with *err filled. */
json_value *json_parse(const char *text, size_t len, json_error *err);
void json_free(json_value *root);

/* Object lookup by key (first match), NULL if absent or obj is not an object. */
const json_value *json_get(const json_value *obj, const char *key);
/* Name of a type for messages: "null", "boolean", "number", "string", "array", "object". */
const char *json_type_name(json_type t);

#endif
