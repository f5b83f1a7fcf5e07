/* core/json.c — a small, strict JSON reader (RFC 8259) for the config.
 *
 * Two passes over the same recursive-descent code:
 *   pass 1 (count): validates everything, counts values, object members and decoded
 *                   string bytes, and records each container's child count in
 *                   pre-order in a temporary array;
 *   pass 2 (fill):  allocates ONE block [values][members][string bytes] and fills it.
 * Both passes run the same checks, so pass 2 cannot fail on input pass 1 accepted.
 * Never reads past len; recursion depth is bounded by JSON_MAX_DEPTH.
 */
#include "json.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUMBER_MAX_CHARS 320 /* longest number token accepted (bounded strtod copy) */

typedef struct {
    const char *s;        /* input */
    size_t len, pos;
    json_error *err;
    int failed;
    int fill;             /* 0: count pass, 1: fill pass */
    /* count pass */
    size_t n_values;      /* root + array items */
    size_t n_members;     /* object members */
    size_t n_bytes;       /* decoded string bytes, each with its NUL */
    uint32_t *counts;     /* child count of each container, pre-order */
    size_t n_counts, cap_counts;
    /* fill pass */
    size_t next_count;
    json_value *values; size_t next_value;
    json_member *members; size_t next_member;
    char *bytes; size_t next_byte;
} parser;

static void fail_at(parser *p, size_t offset, const char *msg) {
    if (p->failed) return;
    p->failed = 1;
    if (p->err) {
        p->err->offset = offset;
        snprintf(p->err->message, sizeof p->err->message, "%s", msg);
    }
}

/* "unexpected character 'x'" or "unexpected byte 0xNN" or "unexpected end of input". */
static void fail_unexpected(parser *p, const char *what) {
    char msg[96];
    if (p->pos >= p->len) {
        snprintf(msg, sizeof msg, "unexpected end of input%s%s", what ? ", expected " : "", what ? what : "");
    } else {
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c >= 0x20 && c < 0x7f)
            snprintf(msg, sizeof msg, "unexpected character '%c'%s%s", c, what ? ", expected " : "", what ? what : "");
        else
            snprintf(msg, sizeof msg, "unexpected byte 0x%02X%s%s", c, what ? ", expected " : "", what ? what : "");
    }
    fail_at(p, p->pos, msg);
}

static void skip_ws(parser *p) {
    while (p->pos < p->len) {
        char c = p->s[p->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') p->pos++;
        else break;
    }
}

static int push_count(parser *p, size_t *index) {
    if (p->n_counts == p->cap_counts) {
        size_t cap = p->cap_counts ? p->cap_counts * 2 : 64;
        uint32_t *n = (uint32_t *)realloc(p->counts, cap * sizeof *n);
        if (!n) { fail_at(p, p->pos, "out of memory"); return 0; }
        p->counts = n;
        p->cap_counts = cap;
    }
    *index = p->n_counts;
    p->counts[p->n_counts++] = 0;
    return 1;
}

/* Writes code point cp as UTF-8 into dst (if non-NULL); returns the byte count. */
static size_t put_utf8(char *dst, uint32_t cp) {
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) { b[0] = (unsigned char)cp; n = 1; }
    else if (cp < 0x800) { b[0] = (unsigned char)(0xC0 | (cp >> 6)); b[1] = (unsigned char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12)); b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18)); b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)); b[3] = (unsigned char)(0x80 | (cp & 0x3F)); n = 4;
    }
    if (dst) memcpy(dst, b, n);
    return n;
}

static int hex4(parser *p, size_t at, uint32_t *out) {
    uint32_t v = 0;
    if (at > p->len || p->len - at < 4) { p->pos = p->len; fail_unexpected(p, "4 hex digits"); return 0; }
    for (size_t i = 0; i < 4; i++) {
        char c = p->s[at + i];
        uint32_t d;
        if (c >= '0' && c <= '9') d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (uint32_t)(c - 'A' + 10);
        else { p->pos = at + i; fail_unexpected(p, "a hex digit"); return 0; }
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

/* Length of the valid UTF-8 sequence starting at s[pos] (first byte >= 0x80), 0 if invalid. */
static size_t utf8_len(const parser *p, size_t pos) {
    const unsigned char *u = (const unsigned char *)p->s;
    unsigned char c = u[pos];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; if (c == 0xE0) lo = 0xA0; else if (c == 0xED) hi = 0x9F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; if (c == 0xF0) lo = 0x90; else if (c == 0xF4) hi = 0x8F; }
    else return 0;
    if (p->len - pos < n) return 0;
    if (u[pos + 1] < lo || u[pos + 1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (u[pos + i] < 0x80 || u[pos + i] > 0xBF) return 0;
    return n;
}

/* Parses a string at p->pos (the opening quote). In the fill pass, writes the decoded
 * bytes and a NUL into p->bytes and returns them through out/out_len. */
static int parse_string(parser *p, const char **out, size_t *out_len) {
    size_t start = p->pos;
    char *dst = p->fill ? p->bytes + p->next_byte : NULL;
    size_t n = 0;
    p->pos++; /* opening quote */
    for (;;) {
        if (p->pos >= p->len) { fail_at(p, start, "unterminated string"); return 0; }
        unsigned char c = (unsigned char)p->s[p->pos];
        if (c == '"') { p->pos++; break; }
        if (c < 0x20) {
            char msg[64];
            snprintf(msg, sizeof msg, "control character 0x%02X in string (escape it)", c);
            fail_at(p, p->pos, msg);
            return 0;
        }
        if (c == '\\') {
            if (p->len - p->pos < 2) { p->pos = p->len; fail_unexpected(p, "an escape"); return 0; }
            char e = p->s[p->pos + 1];
            char simple = 0;
            switch (e) {
            case '"': simple = '"'; break;
            case '\\': simple = '\\'; break;
            case '/': simple = '/'; break;
            case 'b': simple = '\b'; break;
            case 'f': simple = '\f'; break;
            case 'n': simple = '\n'; break;
            case 'r': simple = '\r'; break;
            case 't': simple = '\t'; break;
            case 'u': break;
            default: p->pos++; fail_unexpected(p, "a valid escape"); return 0;
            }
            if (simple) {
                if (dst) dst[n] = simple;
                n++;
                p->pos += 2;
                continue;
            }
            uint32_t cp, lo;
            size_t esc = p->pos;
            if (!hex4(p, p->pos + 2, &cp)) return 0;
            p->pos += 6;
            if (cp >= 0xDC00 && cp <= 0xDFFF) { fail_at(p, esc, "lone low surrogate in \\u escape"); return 0; }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
                    fail_at(p, esc, "high surrogate not followed by a \\u low surrogate"); return 0;
                }
                if (!hex4(p, p->pos + 2, &lo)) return 0;
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    fail_at(p, esc, "high surrogate not followed by a \\u low surrogate"); return 0;
                }
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            n += put_utf8(dst ? dst + n : NULL, cp);
            continue;
        }
        if (c < 0x80) {
            if (dst) dst[n] = (char)c;
            n++;
            p->pos++;
            continue;
        }
        size_t k = utf8_len(p, p->pos);
        if (!k) { fail_at(p, p->pos, "invalid UTF-8 in string"); return 0; }
        if (dst) memcpy(dst + n, p->s + p->pos, k);
        n += k;
        p->pos += k;
    }
    if (dst) {
        dst[n] = '\0';
        p->next_byte += n + 1;
        *out = dst;
        *out_len = n;
    } else {
        p->n_bytes += n + 1;
    }
    return 1;
}

/* Clinger's fast path: at most 15 significant digits and a decimal exponent within ±22 make
 * the value one exact double (the digits) times or divided by one exact power of ten, so one
 * rounding: the same double strtod gives. Returns 0 for anything else (strtod then decides).
 * The text is a syntactically valid JSON number. */
static int fast_number(const char *s, size_t n, double *out) {
    static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = s[0] == '-', digits = 0, exp10 = 0, leading = 1;
    uint64_t m = 0;
    if (neg) i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (leading && s[i] == '0') continue;
        leading = 0;
        if (++digits > 15) return 0;
        m = m * 10 + (uint64_t)(s[i] - '0');
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            exp10--;
            if (leading && s[i] == '0') continue;
            leading = 0;
            if (++digits > 15) return 0;
            m = m * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (i < n) { /* exponent */
        int eneg = 0, e = 0;
        i++;
        if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
        for (; i < n; i++) { if (e > 1000) return 0; e = e * 10 + (s[i] - '0'); }
        exp10 += eneg ? -e : e;
    }
    if (exp10 < -22 || exp10 > 22) return 0;
    double v = (double)m; /* exact: m < 10^15 < 2^53 */
    v = exp10 < 0 ? v / POW10[-exp10] : v * POW10[exp10];
    *out = neg ? -v : v;
    return 1;
}

static int parse_number(parser *p, double *out) {
    size_t start = p->pos, i = p->pos;
    const char *s = p->s;
    if (i < p->len && s[i] == '-') i++;
    if (i >= p->len) { p->pos = i; fail_unexpected(p, "a digit"); return 0; }
    if (s[i] == '0') {
        i++;
        if (i < p->len && s[i] >= '0' && s[i] <= '9') { fail_at(p, start, "leading zeros are not allowed"); return 0; }
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    } else { p->pos = i; fail_unexpected(p, "a digit"); return 0; }
    if (i < p->len && s[i] == '.') {
        i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') { p->pos = i; fail_unexpected(p, "a digit after '.'"); return 0; }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < p->len && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= p->len || s[i] < '0' || s[i] > '9') { p->pos = i; fail_unexpected(p, "a digit in the exponent"); return 0; }
        while (i < p->len && s[i] >= '0' && s[i] <= '9') i++;
    }
    size_t n = i - start;
    if (n > NUMBER_MAX_CHARS) { fail_at(p, start, "number too long"); return 0; }
    if (!out) { p->pos = i; return 1; }
    if (fast_number(s + start, n, out)) { p->pos = i; return 1; }
    char buf[NUMBER_MAX_CHARS + 1];
    memcpy(buf, s + start, n);
    buf[n] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + n) { fail_at(p, start, "malformed number"); return 0; }
    if (!isfinite(v)) { fail_at(p, start, "number out of range"); return 0; }
    *out = v;
    p->pos = i;
    return 1;
}

static int parse_literal(parser *p, const char *word) {
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0) {
        /* point at the first byte that differs */
        size_t i = 0;
        while (p->pos + i < p->len && i < n && p->s[p->pos + i] == word[i]) i++;
        p->pos += i;
        fail_unexpected(p, word);
        return 0;
    }
    p->pos += n;
    return 1;
}

static int parse_value(parser *p, json_value *out, int depth);

static int parse_array(parser *p, json_value *out, int depth) {
    size_t index = 0, count = 0;
    json_value *items = NULL;
    if (p->fill) {
        count = p->counts[p->next_count++];
        items = count ? p->values + p->next_value : NULL;
        p->next_value += count;
        out->type = JSON_ARRAY;
        out->u.array.items = items;
        out->u.array.count = count;
    } else if (!push_count(p, &index)) {
        return 0;
    }
    size_t n = 0;
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == ']') { p->pos++; return 1; }
    for (;;) {
        if (p->fill && n >= count) { fail_at(p, p->pos, "internal error: array count"); return 0; }
        if (!parse_value(p, p->fill ? &items[n] : NULL, depth + 1)) return 0;
        n++;
        if (!p->fill) p->n_values++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; skip_ws(p); continue; }
        if (p->pos < p->len && p->s[p->pos] == ']') { p->pos++; break; }
        fail_unexpected(p, "',' or ']'");
        return 0;
    }
    if (!p->fill) {
        if (n > UINT32_MAX) { fail_at(p, p->pos, "array too long"); return 0; }
        p->counts[index] = (uint32_t)n;
    }
    return 1;
}

static int parse_object(parser *p, json_value *out, int depth) {
    size_t index = 0, count = 0;
    json_member *members = NULL;
    if (p->fill) {
        count = p->counts[p->next_count++];
        members = count ? p->members + p->next_member : NULL;
        p->next_member += count;
        out->type = JSON_OBJECT;
        out->u.object.members = members;
        out->u.object.count = count;
    } else if (!push_count(p, &index)) {
        return 0;
    }
    size_t n = 0;
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') { p->pos++; return 1; }
    for (;;) {
        if (p->pos >= p->len || p->s[p->pos] != '"') { fail_unexpected(p, "a string key"); return 0; }
        if (p->fill && n >= count) { fail_at(p, p->pos, "internal error: object count"); return 0; }
        json_member *m = p->fill ? &members[n] : NULL;
        const char *key = NULL;
        size_t key_len = 0;
        if (!parse_string(p, &key, &key_len)) return 0;
        if (m) { m->key = key; m->key_len = key_len; }
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':') { fail_unexpected(p, "':'"); return 0; }
        p->pos++;
        if (!parse_value(p, m ? &m->value : NULL, depth + 1)) return 0;
        n++;
        if (!p->fill) p->n_members++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') { p->pos++; skip_ws(p); continue; }
        if (p->pos < p->len && p->s[p->pos] == '}') { p->pos++; break; }
        fail_unexpected(p, "',' or '}'");
        return 0;
    }
    if (!p->fill) {
        if (n > UINT32_MAX) { fail_at(p, p->pos, "object too large"); return 0; }
        p->counts[index] = (uint32_t)n;
    }
    return 1;
}

/* out is NULL in the count pass. */
static int parse_value(parser *p, json_value *out, int depth) {
    skip_ws(p);
    if (p->pos >= p->len) { fail_unexpected(p, "a value"); return 0; }
    char c = p->s[p->pos];
    json_value tmp;
    json_value *v = out ? out : &tmp;
    switch (c) {
    case '{':
    case '[':
        if (depth >= JSON_MAX_DEPTH) { fail_at(p, p->pos, "nesting too deep (limit 64)"); return 0; }
        return c == '{' ? parse_object(p, v, depth) : parse_array(p, v, depth);
    case '"': {
        const char *s = NULL;
        size_t n = 0;
        if (!parse_string(p, &s, &n)) return 0;
        v->type = JSON_STRING;
        v->u.string.s = s;
        v->u.string.len = n;
        return 1;
    }
    case 't':
        if (!parse_literal(p, "true")) return 0;
        v->type = JSON_BOOL; v->u.boolean = 1;
        return 1;
    case 'f':
        if (!parse_literal(p, "false")) return 0;
        v->type = JSON_BOOL; v->u.boolean = 0;
        return 1;
    case 'n':
        if (!parse_literal(p, "null")) return 0;
        v->type = JSON_NULL;
        return 1;
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            double d = 0;
            if (!parse_number(p, out ? &d : NULL)) return 0; /* the count pass only checks the syntax */
            v->type = JSON_NUMBER;
            v->u.number = d;
            return 1;
        }
        fail_unexpected(p, "a value");
        return 0;
    }
}

static int parse_document(parser *p, json_value *root) {
    p->pos = 0;
    if (!parse_value(p, root, 0)) return 0;
    skip_ws(p);
    if (p->pos != p->len) { fail_unexpected(p, "end of input after the value"); return 0; }
    return 1;
}

json_value *json_parse(const char *text, size_t len, json_error *err) {
    parser p;
    memset(&p, 0, sizeof p);
    p.err = err;
    if (err) { err->offset = 0; err->message[0] = '\0'; }
    if (!text && len) { fail_at(&p, 0, "no input"); return NULL; }
    if (len > JSON_MAX_BYTES) { fail_at(&p, JSON_MAX_BYTES, "input too large (limit 64 MiB)"); return NULL; }
    p.s = text ? text : "";
    p.len = len;

    /* pass 1: validate and count */
    p.n_values = 1; /* the root */
    if (!parse_document(&p, NULL)) { free(p.counts); return NULL; }

    /* one block: [values][members][string bytes] */
    size_t vsz = sizeof(json_value), msz = sizeof(json_member);
    if (p.n_values > SIZE_MAX / vsz || p.n_members > SIZE_MAX / msz) {
        free(p.counts); fail_at(&p, 0, "out of memory"); return NULL;
    }
    size_t a = p.n_values * vsz, b = p.n_members * msz;
    if (a > SIZE_MAX - b || a + b > SIZE_MAX - p.n_bytes) {
        free(p.counts); fail_at(&p, 0, "out of memory"); return NULL;
    }
    char *block = (char *)malloc(a + b + p.n_bytes);
    if (!block) { free(p.counts); fail_at(&p, 0, "out of memory"); return NULL; }
    p.values = (json_value *)block;
    p.members = (json_member *)(block + a);
    p.bytes = block + a + b;
    p.next_value = 1; /* values[0] is the root */

    /* pass 2: fill */
    p.fill = 1;
    p.failed = 0;
    if (!parse_document(&p, p.values)) { free(p.counts); free(block); return NULL; }
    free(p.counts);
    return p.values;
}

void json_free(json_value *root) { free(root); }

const json_value *json_get(const json_value *obj, const char *key) {
    if (!obj || obj->type != JSON_OBJECT || !key) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->u.object.count; i++) {
        const json_member *m = &obj->u.object.members[i];
        if (m->key_len == n && memcmp(m->key, key, n) == 0) return &m->value;
    }
    return NULL;
}

const char *json_type_name(json_type t) {
    switch (t) {
    case JSON_NULL: return "null";
    case JSON_BOOL: return "boolean";
    case JSON_NUMBER: return "number";
    case JSON_STRING: return "string";
    case JSON_ARRAY: return "array";
    case JSON_OBJECT: return "object";
    }
    return "unknown";
}
