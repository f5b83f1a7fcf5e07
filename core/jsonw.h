/* core/jsonw.h — writing JSON text into a caller's buffer, for what the core exports (the
 * schema, the effective config, the record layout). Never overflows: past cap it only counts,
 * so a caller can ask for the size with cap 0 and call again with a buffer that fits. */
#ifndef ACCUMLAB_JSONW_H
#define ACCUMLAB_JSONW_H

#include <stddef.h>

typedef struct {
    char *buf;      /* may be NULL when cap is 0 */
    size_t cap;
    size_t len;     /* bytes the whole text needs (without the NUL) */
    int first;      /* no member written yet in the innermost object/array */
} al_out;

void al_out_init(al_out *o, char *buf, size_t cap);
/* NUL-terminates (when it fits); returns the length the text needs. */
size_t al_out_finish(al_out *o);

void al_out_raw(al_out *o, const char *s);
void al_out_begin(al_out *o, char bracket);           /* '{' or '[' */
void al_out_end(al_out *o, char bracket);             /* '}' or ']' */
void al_out_key(al_out *o, const char *key);          /* "key": (with the comma before it) */
void al_out_item(al_out *o);                          /* the comma before an array item */
void al_out_string(al_out *o, const char *s);         /* a JSON string, escaped */
void al_out_number(al_out *o, double x);              /* shortest text that reads back as x; null if not finite */
void al_out_float(al_out *o, float x);               /* shortest text that reads back as this float */
void al_out_bool(al_out *o, int b);
void al_out_null(al_out *o);

#endif
