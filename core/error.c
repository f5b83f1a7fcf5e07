/* core/error.c — filling the caller-owned error record. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int al_fail(al_error *err, int code, const char *field, const char *fmt, ...) {
    if (!err) return code;
    err->code = code;
    err->field[0] = '\0';
    if (field) {
        size_t n = strlen(field);
        if (n >= sizeof err->field) n = sizeof err->field - 1; /* truncate long paths */
        memcpy(err->field, field, n);
        err->field[n] = '\0';
    }
    err->message[0] = '\0';
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int r = vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        if (r < 0) err->message[0] = '\0';
    }
    if (!err->message[0] && code != 0) { /* never leave an error without words */
        snprintf(err->message, sizeof err->message, "error %d", code);
    }
    return code;
}
