/* core/jsonw.c — the JSON writer of jsonw.h. */
#include "jsonw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void al_out_init(al_out *o, char *buf, size_t cap) {
    o->buf = buf;
    o->cap = buf ? cap : 0;
    o->len = 0;
    o->first = 1;
}

static void put(al_out *o, const char *s, size_t n) {
    if (o->len < o->cap) {
        size_t room = o->cap - o->len, k = n < room ? n : room;
        memcpy(o->buf + o->len, s, k);
    }
    o->len += n;
}

size_t al_out_finish(al_out *o) {
    if (o->cap) o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    return o->len;
}

void al_out_raw(al_out *o, const char *s) { put(o, s, strlen(s)); }

void al_out_begin(al_out *o, char bracket) {
    put(o, &bracket, 1);
    o->first = 1;
}

void al_out_end(al_out *o, char bracket) {
    put(o, &bracket, 1);
    o->first = 0;
}

void al_out_item(al_out *o) {
    if (!o->first) put(o, ",", 1);
    o->first = 0;
}

void al_out_key(al_out *o, const char *key) {
    al_out_item(o);
    al_out_string(o, key);
    put(o, ":", 1);
    o->first = 1; /* the value that follows is not an item */
}

void al_out_string(al_out *o, const char *s) {
    put(o, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') { esc[0] = '\\'; esc[1] = (char)*p; put(o, esc, 2); }
        else if (*p < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", *p); put(o, esc, 6); }
        else put(o, (const char *)p, 1);
    }
    put(o, "\"", 1);
    o->first = 0;
}

void al_out_number(al_out *o, double x) {
    char b[32];
    if (!isfinite(x)) { al_out_null(o); return; }
    if (x == 0) { put(o, "0", 1); o->first = 0; return; } /* also -0: JSON readers differ on it */
    for (int digits = 15; digits <= 17; digits++) { /* shortest of 15..17 significant digits that round-trips */
        snprintf(b, sizeof b, "%.*g", digits, x);
        if (strtod(b, NULL) == x) break;
    }
    put(o, b, strlen(b));
    o->first = 0;
}

void al_out_bool(al_out *o, int b) {
    put(o, b ? "true" : "false", b ? 4 : 5);
    o->first = 0;
}

void al_out_null(al_out *o) {
    put(o, "null", 4);
    o->first = 0;
}

void al_out_float(al_out *o, float x) {
    char b[32];
    if (!isfinite(x)) { al_out_null(o); return; }
    if (x == 0) { put(o, "0", 1); o->first = 0; return; }
    for (int digits = 6; digits <= 9; digits++) { /* shortest text that reads back as this float */
        snprintf(b, sizeof b, "%.*g", digits, (double)x);
        if ((float)strtod(b, NULL) == x) break;
    }
    put(o, b, strlen(b));
    o->first = 0;
}
