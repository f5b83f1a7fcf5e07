/* core/json.c — a small, strict JSON reader (RFC 8259) for the config.
 *
 * Two passes over the same recursive-descent code:
 *   pass 1 (count): validates everything, counts values, object members and decoded
 *                   string bytes, and records each container's child count in
 *                   pre-order in a temporary array;
 *   pass 2 (fill):  allocates ONE block [values][members][string bytes] and fills it.
 * Both passes run the same checks, so pass 2 cannot fail on input pass 1 accepted.
 * Never reads past len; recursion depth is bounded by JSON_MAX_DEPTH.
 * Numbers: digits read 8 at a time, then Clinger's fast path or Eisel-Lemire, and strtod for
 * what those cannot decide; the double is always strtod's.
 */
#include "json.h"
#include "pow5_table.h"

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

/* 64 x 64 -> 128-bit product: returns the high half, *lo the low half. One instruction on
 * x86-64 and arm64 through unsigned __int128. WebAssembly has no such instruction and makes
 * __int128 a call to __multi3 (a full 128 x 128 product): the four 32-bit products written
 * out are faster there (~15 vs ~20 ns per Eisel-Lemire call in Node, measured). */
static uint64_t mul_64x64(uint64_t a, uint64_t b, uint64_t *lo) {
#if defined(__SIZEOF_INT128__) && !defined(__wasm__)
    unsigned __int128 p = (unsigned __int128)a * b;
    *lo = (uint64_t)p;
    return (uint64_t)(p >> 64);
#else
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    *lo = (mid << 32) | (uint32_t)p00;
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

static int leading_zeros(uint64_t x) { /* x != 0 */
#if defined(__GNUC__)
    return __builtin_clzll(x);
#else
    int n = 0;
    while (!(x >> 63)) { x <<= 1; n++; }
    return n;
#endif
}

/* Eisel-Lemire (D. Lemire, "Number Parsing at a Gigabyte per Second", 2021), in the form with
 * explicit fallbacks of Go's strconv and Wuffs: the double nearest m * 10^q (m != 0) from the
 * top bits of m times the truncated 128-bit mantissa of 10^q (= that of 5^q, pow5_table.c).
 * The table being truncated, the product is a lower bound of the exact one; returns 0 when
 * the shortfall could carry into the 54 bits kept (all ones below them), when the value may
 * be exactly half-way between two doubles (a tie rounds to even, which this cannot see), and
 * for subnormal or infinite results. strtod then decides, so every result is strtod's. */
static int eisel_lemire(uint64_t m, int q, int neg, double *out) {
    if (q < AL_POW5_MIN || q > AL_POW5_MAX) return 0;
    int lz = leading_zeros(m);
    m <<= lz;
    const uint64_t *pow5 = al_pow5_128[q - AL_POW5_MIN];
    uint64_t lo, hi = mul_64x64(m, pow5[0], &lo);
    /* The 9 bits below the kept ones are all ones and the low word could carry: add the
     * product with the table's low word; still ambiguous -> give up. */
    if ((hi & 0x1FF) == 0x1FF && lo + m < m) {
        uint64_t lo2, hi2 = mul_64x64(m, pow5[1], &lo2);
        uint64_t merged = lo + hi2;
        if (merged < lo) hi++;
        if ((hi & 0x1FF) == 0x1FF && merged + 1 == 0 && lo2 + m < m) return 0;
        lo = merged;
    }
    /* 54 bits (53 and a rounding bit). The biased binary exponent: floor(q * log2(10)) is
     * (217706 * q) >> 16 for |q| < 350; 2048 * 65536 is added first so the shifted value is
     * never negative (a right shift of a negative int is implementation-defined). */
    int msb = (int)(hi >> 63);
    uint64_t mant = hi >> (msb + 9);
    int e2 = ((217706 * q + 2048 * 65536) >> 16) - 2048 + 64 + 1023 - lz - (1 ^ msb);
    if (lo == 0 && (hi & 0x1FF) == 0 && (mant & 3) == 1) return 0; /* maybe a tie */
    mant += mant & 1; /* round half up: ties were excluded above */
    mant >>= 1;
    if (mant >> 53) { mant >>= 1; e2++; } /* rounding carried into a new bit */
    if (e2 <= 0 || e2 >= 0x7FF) return 0; /* subnormal or infinite */
    uint64_t bits = (uint64_t)e2 << 52 | (mant & ((UINT64_C(1) << 52) - 1)) | (uint64_t)neg << 63;
    memcpy(out, &bits, sizeof bits);
    return 1;
}

static int is_digit(char c) { return (unsigned char)(c - '0') < 10; }

/* Reads the digits at s[i..len) into *m (as m * 10 + digit, modulo 2^64); returns where they end.
 * Eight at a time while eight bytes remain (the SWAR tricks of Lemire's fast_float): the bytes
 * as one little-endian word, all digits when each byte's high nibble is 3 and adding 6 leaves
 * it 3, then pairs, quads and the eight combined by three multiplications. */
static size_t scan_digits(const char *s, size_t i, size_t len, uint64_t *m) {
    uint64_t v = *m;
    while (len - i >= 8) {
        const unsigned char *u = (const unsigned char *)s + i; /* gcc and clang make one load of it */
        uint64_t w = (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
                     (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
        if ((((w + 0x0606060606060606u) & 0xF0F0F0F0F0F0F0F0u) >> 4 | (w & 0xF0F0F0F0F0F0F0F0u)) !=
            0x3333333333333333u)
            break;
        w -= 0x3030303030303030u;
        w = w * 10 + (w >> 8); /* byte pairs: 2-digit values in the even bytes */
        w = ((w & 0x000000FF000000FFu) * (100 + (UINT64_C(1000000) << 32)) +
             ((w >> 16) & 0x000000FF000000FFu) * (1 + (UINT64_C(10000) << 32))) >> 32;
        v = v * 100000000 + (uint32_t)w;
        i += 8;
    }
    for (; i < len && is_digit(s[i]); i++) v = v * 10 + (uint64_t)(s[i] - '0');
    *m = v;
    return i;
}

/* More than 19 significant digits: keeps the first 19 in *m (m < 10^19 < 2^64); returns the
 * power of ten of the last one kept (before the exponent); *dropped: a nonzero digit was not. */
static int first_19_digits(const char *s, size_t n, uint64_t *m, int *dropped) {
    int digits = 0, q = 0, frac = 0;
    uint64_t v = 0;
    for (size_t i = s[0] == '-'; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') { frac = 1; continue; }
        if (digits == 0 && s[i] == '0') { q -= frac; continue; } /* leading zeros */
        if (digits < 19) { v = v * 10 + (uint64_t)(s[i] - '0'); digits++; q -= frac; }
        else { *dropped |= s[i] != '0'; q += !frac; }
    }
    *m = v;
    return q;
}

/* The double m * 10^q (m exact, or the first 19 digits when dropped), or 0: strtod decides.
 * Clinger's fast path first: m <= 2^53 and |q| <= 22 make m and 10^q exact doubles, so one
 * multiplication or division rounds once, to the nearest. Else Eisel-Lemire; with digits
 * dropped the value lies in [m, m + 1) * 10^q, decided only when both ends give one double. */
static int fast_number(uint64_t m, int q, int neg, int dropped, double *out) {
    static const double POW10[23] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (m == 0) { *out = neg ? -0.0 : 0.0; return 1; } /* only zeros: any exponent gives zero */
    if (!dropped && m <= (UINT64_C(1) << 53) && q >= -22 && q <= 22) {
        double v = (double)m;
        v = q < 0 ? v / POW10[-q] : v * POW10[q];
        *out = neg ? -v : v;
        return 1;
    }
    if (!eisel_lemire(m, q, neg, out)) return 0;
    if (dropped) {
        double up;
        if (!eisel_lemire(m + 1, q, neg, &up) || up != *out) return 0;
    }
    return 1;
}

#if defined(__GNUC__)
#define NOINLINE __attribute__((noinline))
#else
#define NOINLINE
#endif

/* strtod on a NUL-terminated copy of the token. Kept out of parse_value, where parse_number is
 * inlined, so that the number path does not reserve its 321-byte buffer on every call (gcc and
 * clang keep it out; Emscripten's wasm-opt inlines it again, inside the cold branch). */
static NOINLINE int number_by_strtod(parser *p, size_t start, size_t n, double *out) {
    char buf[NUMBER_MAX_CHARS + 1];
    memcpy(buf, p->s + start, n);
    buf[n] = '\0';
    char *end = NULL;
    double v = strtod(buf, &end);
    if (end != buf + n) { fail_at(p, start, "malformed number"); return 0; }
    if (!isfinite(v)) { fail_at(p, start, "number out of range"); return 0; }
    *out = v;
    return 1;
}

/* Checks the grammar and, in the fill pass (out != NULL), reads the value: the digits go into
 * one integer as they are scanned, so the text is read once. */
static int parse_number(parser *p, json_value *out) {
    size_t start = p->pos, i = p->pos, len = p->len;
    const char *s = p->s;
    uint64_t m = 0;
    int neg = 0;
    if (i < len && s[i] == '-') { neg = 1; i++; }
    if (i >= len) { p->pos = i; fail_unexpected(p, "a digit"); return 0; }
    size_t first = i, frac = 0; /* first digit; fraction digits */
    if (s[i] == '0') {
        i++;
        if (i < len && is_digit(s[i])) { fail_at(p, start, "leading zeros are not allowed"); return 0; }
    } else if (is_digit(s[i])) {
        i = scan_digits(s, i, len, &m);
    } else { p->pos = i; fail_unexpected(p, "a digit"); return 0; }
    size_t digits = i - first;
    if (i < len && s[i] == '.') {
        i++;
        if (i >= len || !is_digit(s[i])) { p->pos = i; fail_unexpected(p, "a digit after '.'"); return 0; }
        size_t f = i;
        i = scan_digits(s, i, len, &m);
        frac = i - f;
        digits += frac;
    }
    int e = 0; /* the exponent; past 99999 strtod decides (the table ends long before) */
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
        if (i >= len || !is_digit(s[i])) { p->pos = i; fail_unexpected(p, "a digit in the exponent"); return 0; }
        for (; i < len && is_digit(s[i]); i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        if (eneg) e = -e;
    }
    size_t n = i - start;
    if (n > NUMBER_MAX_CHARS) { fail_at(p, start, "number too long"); return 0; }
    if (!out) { p->pos = i; return 1; }
    /* Up to 19 digits, m holds them exactly; past that it may have wrapped: read the first 19
     * significant ones again (rare: JSON.stringify and %.17g write at most 17). */
    int q = e - (int)frac, dropped = 0;
    if (digits > 19) q = e + first_19_digits(s + start, n, &m, &dropped);
    out->type = JSON_NUMBER;
    if (!fast_number(m, q, neg, dropped, &out->u.number) && !number_by_strtod(p, start, n, &out->u.number))
        return 0;
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

/* Containers, strings and literals, apart from the number path of parse_value (which then
 * needs no json_value on the stack: ~4% fewer instructions natively on number arrays). */
static NOINLINE int parse_other(parser *p, json_value *out, int depth, char c) {
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
        fail_unexpected(p, "a value");
        return 0;
    }
}

/* out is NULL in the count pass. Numbers first: most values of a big document are. */
static int parse_value(parser *p, json_value *out, int depth) {
    skip_ws(p);
    if (p->pos >= p->len) { fail_unexpected(p, "a value"); return 0; }
    char c = p->s[p->pos];
    if (c == '-' || is_digit(c)) return parse_number(p, out); /* the count pass only checks the syntax */
    return parse_other(p, out, depth, c);
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
