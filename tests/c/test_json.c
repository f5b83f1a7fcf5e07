/* tests/c/test_json.c — the strict JSON reader: valid documents, escapes, every rejection,
 * truncation at every prefix, limits, numbers bit-identical to strtod's. Runs under
 * ASan/UBSan (leaks are failures). */
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"

static json_value *parse(const char *s, json_error *e) { return json_parse(s, strlen(s), e); }

/* 1 if s is rejected; *offset receives the error offset. */
static int rejects(const char *s, size_t *offset) {
    json_error e;
    json_value *v = json_parse(s, strlen(s), &e);
    if (v) { json_free(v); return 0; }
    if (offset) *offset = e.offset;
    return e.message[0] != '\0';
}

TEST(scalars_of_every_type_parse) {
    json_error e;
    json_value *v = parse("null", &e);
    CHECK(v && v->type == JSON_NULL, "null");
    json_free(v);
    v = parse(" true ", &e);
    CHECK(v && v->type == JSON_BOOL && v->u.boolean == 1, "true");
    json_free(v);
    v = parse("false", &e);
    CHECK(v && v->type == JSON_BOOL && v->u.boolean == 0, "false");
    json_free(v);
    v = parse("-12.5e-1", &e);
    CHECK(v && v->type == JSON_NUMBER && v->u.number == -1.25, "number");
    json_free(v);
    v = parse("\"hi\"", &e);
    CHECK(v && v->type == JSON_STRING && v->u.string.len == 2 && strcmp(v->u.string.s, "hi") == 0, "string");
    json_free(v);
    v = parse("\t\r\n0\n", &e);
    CHECK(v && v->type == JSON_NUMBER && v->u.number == 0, "zero with whitespace");
    json_free(v);
    v = parse("-0", &e);
    CHECK(v && v->type == JSON_NUMBER && v->u.number == 0 && signbit(v->u.number), "negative zero");
    json_free(v);
}

TEST(numbers_follow_the_grammar) {
    const char *good[] = {"0", "1", "-1", "0.5", "1e3", "1E+3", "1e-3", "123456789012345678901234567890",
                          "2.2250738585072014e-308", "4.9e-324", "1e-400", "1.7976931348623157e308"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        json_error e;
        json_value *v = parse(good[i], &e);
        CHECK(v && v->type == JSON_NUMBER, "%s: %s", good[i], v ? "" : e.message);
        json_free(v);
    }
    json_error e;
    json_value *v = parse("1e3", &e);
    CHECK(v && v->u.number == 1000.0, "1e3 value");
    json_free(v);
    const char *bad[] = {"01", "-01", "+1", ".5", "1.", "1.e3", "1e", "1e+", "-", "--1", "0x10", "1_000",
                         "NaN", "nan", "Infinity", "-Infinity", "inf", "1e309", "-1e400", "1.8e308", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(rejects(bad[i], NULL), "should reject %s", bad[i]);
    size_t off = 99;
    CHECK(rejects("[1, 1e999]", &off) && off == 4, "overflow offset %zu", off);
    /* a long but valid number is rejected only above the bounded copy size */
    char big[400];
    memset(big, '1', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    CHECK(rejects(big, NULL), "a 399-digit number is rejected (too long or out of range)");
    big[310] = '\0';
    CHECK(rejects(big, NULL), "a 310-digit number overflows");
    big[300] = '\0';
    CHECK(!rejects(big, NULL), "a 300-digit number is 1.1e299, in range");
}

TEST(arrays_and_objects_nest_in_text_order) {
    json_error e;
    const char *doc = "{\"a\": [1, [2, 3], {\"b\": null}], \"c\": {}, \"d\": [], \"a\": 7}";
    json_value *v = parse(doc, &e);
    CHECK(v != NULL, "%s", e.message);
    if (!v) return;
    CHECK(v->type == JSON_OBJECT && v->u.object.count == 4, "4 members");
    const json_value *a = json_get(v, "a");
    CHECK(a && a->type == JSON_ARRAY && a->u.array.count == 3, "a is array of 3");
    CHECK(a && a->u.array.items[0].u.number == 1, "a[0]");
    CHECK(a && a->u.array.items[1].type == JSON_ARRAY && a->u.array.items[1].u.array.count == 2, "a[1]");
    CHECK(a && a->u.array.items[1].u.array.items[1].u.number == 3, "a[1][1]");
    CHECK(a && json_get(&a->u.array.items[2], "b") && json_get(&a->u.array.items[2], "b")->type == JSON_NULL, "a[2].b");
    const json_value *c = json_get(v, "c");
    CHECK(c && c->type == JSON_OBJECT && c->u.object.count == 0, "c empty object");
    const json_value *d = json_get(v, "d");
    CHECK(d && d->type == JSON_ARRAY && d->u.array.count == 0, "d empty array");
    CHECK(strcmp(v->u.object.members[3].key, "a") == 0 && v->u.object.members[3].value.u.number == 7, "text order");
    CHECK(json_get(v, "zz") == NULL, "absent key");
    CHECK(json_get(a, "a") == NULL, "json_get on a non-object");
    CHECK(json_get(NULL, "a") == NULL, "json_get on NULL");
    json_free(v);
}

TEST(escapes_and_surrogates_decode_to_utf8) {
    json_error e;
    json_value *v = parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", &e);
    CHECK(v && strcmp(v->u.string.s, "\" \\ / \b \f \n \r \t") == 0, "simple escapes");
    json_free(v);
    v = parse("\"\\u0041\\u00e9\\u20AC\\ud83d\\ude00\"", &e);
    CHECK(v && strcmp(v->u.string.s, "A\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80") == 0, "\\u escapes and a pair");
    CHECK(v && v->u.string.len == 10, "decoded length %zu", v ? v->u.string.len : 0);
    json_free(v);
    v = parse("\"a\\u0000b\"", &e);
    CHECK(v && v->u.string.len == 3 && v->u.string.s[1] == '\0' && v->u.string.s[2] == 'b', "embedded NUL kept");
    json_free(v);
    v = parse("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"", &e);
    CHECK(v && v->u.string.len == 10, "raw UTF-8 passes through");
    json_free(v);
    v = parse("{\"k\\u0065y\": 1}", &e);
    CHECK(v && json_get(v, "key") != NULL, "escaped key decoded");
    json_free(v);
    v = parse("{\"a\\u0000b\": 1}", &e);
    CHECK(v && json_get(v, "a") == NULL, "key with NUL does not match its prefix");
    json_free(v);
}

TEST(bad_strings_are_rejected) {
    const char *bad[] = {
        "\"abc", "\"\\", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\ud83d\"", "\"\\ud83dx\"",
        "\"\\ud83d\\u0041\"", "\"\\ude00\"", "\"\\ud83d\\ud83d\"", "\"a\tb\"", "\"a\nb\"", "\"\x01\"",
        "\"\x7f\"x", "\"\xC3\"", "\"\xC0\xAF\"", "\"\xE0\x80\xAF\"", "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"",
        "\"\xFF\"", "\"\x80\"", "\"\xF0\x9F\x98\"", "'single'"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(rejects(bad[i], NULL), "should reject string #%zu", i);
    size_t off = 0;
    CHECK(rejects("[\"ok\", \"a\x01\"]", &off) && off == 9, "control char offset %zu", off);
}

TEST(structural_errors_are_rejected) {
    const char *bad[] = {"", " ", "[", "]", "{", "}", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{\"a\" 1}",
                         "{a:1}", "{\"a\":}", "{,}", "{\"a\":1 \"b\":2}", "[1]]", "{}x", "tru", "truex", "nul",
                         "True", "[1] // c", "/* c */ 1", "\xEF\xBB\xBF{}", "[\"a\":1]", "{1:2}", "[1,,2]"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK(rejects(bad[i], NULL), "should reject '%s'", bad[i]);
    size_t off = 0;
    CHECK(rejects("[1,]", &off) && off == 3, "trailing comma offset %zu", off);
    CHECK(rejects("{\"a\": 1,}", &off) && off == 8, "trailing comma in object offset %zu", off);
    json_error e;
    CHECK(json_parse(NULL, 3, &e) == NULL, "NULL text");
    json_free(json_parse("[1]", 3, NULL));
    CHECK(json_parse("[1,", 3, NULL) == NULL, "failure with NULL err");
}

TEST(never_reads_past_len) {
    /* "[1]" followed by garbage outside len; "tr" cut from "true" */
    json_error e;
    json_value *v = json_parse("[1]garbage", 3, &e);
    CHECK(v && v->type == JSON_ARRAY, "len respected");
    json_free(v);
    CHECK(json_parse("true", 2, &e) == NULL, "cut literal");
    CHECK(json_parse("\"\\u00e9\"", 5, &e) == NULL, "cut \\u escape");
    v = json_parse("12345", 3, &e);
    CHECK(v && v->u.number == 123, "cut number value");
    json_free(v);
    /* exact-size heap copy so ASan catches any over-read */
    const char *s = "{\"x\": [1.5e3, \"\\ud83d\\ude00\", true]}";
    size_t n = strlen(s);
    char *h = malloc(n);
    memcpy(h, s, n);
    v = json_parse(h, n, &e);
    CHECK(v != NULL, "heap copy parses");
    json_free(v);
    free(h);
}

TEST(every_prefix_of_a_valid_document_fails_cleanly_or_parses) {
    const char *doc = "{\"seed\": 42, \"model\": {\"sizes\": [2, 16, 1], \"activation\": \"tanh\"},"
                      " \"s\": \"\\u00e9\\ud83d\\ude00\\n\xC3\xA9\", \"n\": -1.25e-3, \"b\": [true, false, null]}";
    size_t n = strlen(doc);
    int parsed = 0;
    for (size_t k = 0; k <= n; k++) {
        char *h = malloc(k ? k : 1); /* exact size: an over-read is an ASan error */
        memcpy(h, doc, k);
        json_error e;
        memset(&e, 0, sizeof e);
        json_value *v = json_parse(h, k, &e);
        if (v) parsed++;
        else CHECK(e.message[0] != '\0' && e.offset <= k, "prefix %zu: message '%s' offset %zu", k, e.message, e.offset);
        json_free(v);
        free(h);
    }
    CHECK(parsed == 1, "only the whole document parses (%d did)", parsed);
}

static char *nested(int depth, char open, char close) {
    char *s = malloc((size_t)depth * 2 + 1);
    for (int i = 0; i < depth; i++) { s[i] = open; s[depth * 2 - 1 - i] = close; }
    s[depth * 2] = '\0';
    return s;
}

TEST(depth_is_limited) {
    char *s = nested(JSON_MAX_DEPTH, '[', ']');
    json_error e;
    json_value *v = parse(s, &e);
    CHECK(v != NULL, "depth 64 parses: %s", v ? "" : e.message);
    json_free(v);
    free(s);
    s = nested(JSON_MAX_DEPTH + 1, '[', ']');
    v = parse(s, &e);
    CHECK(v == NULL && strstr(e.message, "deep") && e.offset == JSON_MAX_DEPTH, "depth 65 rejected at %zu: %s", e.offset, e.message);
    free(s);
    /* a depth bomb: a million '[' */
    size_t n = 1000000;
    s = malloc(n);
    memset(s, '[', n);
    v = json_parse(s, n, &e);
    CHECK(v == NULL && strstr(e.message, "deep"), "depth bomb: %s", e.message);
    free(s);
    /* objects count too */
    char buf[64 * 6 + 8] = "";
    for (int i = 0; i < 65; i++) strcat(buf, "{\"a\":");
    CHECK(rejects(buf, NULL), "object depth bomb");
}

TEST(large_flat_documents_parse) {
    size_t count = 200000;
    char *s = malloc(count * 2 + 2);
    s[0] = '[';
    for (size_t i = 0; i < count; i++) { s[1 + 2 * i] = '7'; s[2 + 2 * i] = ','; }
    s[count * 2] = ']';
    json_error e;
    json_value *v = json_parse(s, count * 2 + 1, &e);
    CHECK(v && v->u.array.count == count && v->u.array.items[count - 1].u.number == 7, "200000 items");
    json_free(v);
    free(s);
    CHECK(json_parse("[]", (size_t)JSON_MAX_BYTES + 1, &e) == NULL && strstr(e.message, "large"), "over the byte limit");
}

TEST(type_names) {
    CHECK(strcmp(json_type_name(JSON_NULL), "null") == 0, "null");
    CHECK(strcmp(json_type_name(JSON_BOOL), "boolean") == 0, "boolean");
    CHECK(strcmp(json_type_name(JSON_NUMBER), "number") == 0, "number");
    CHECK(strcmp(json_type_name(JSON_STRING), "string") == 0, "string");
    CHECK(strcmp(json_type_name(JSON_ARRAY), "array") == 0, "array");
    CHECK(strcmp(json_type_name(JSON_OBJECT), "object") == 0, "object");
}

/* ---- numbers: always exactly strtod's double ------------------------------------------------ */

static uint64_t bits_of(double d) { uint64_t b; memcpy(&b, &d, sizeof b); return b; }
static double double_of(uint64_t b) { double d; memcpy(&d, &b, sizeof d); return d; }

static uint64_t test_rng = 0x9E3779B97F4A7C15u;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (test_rng += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* The documents of up to BATCH numbers that number_is_strtods() gathers, then checks at once:
 * one json_parse per batch (the counting and the filling pass) against one strtod per text. */
#define BATCH 2048
static struct {
    char text[BATCH * 40];
    size_t len, count, start[BATCH];
    double want[BATCH]; /* strtod's */
    long checked, mismatched, rejected;
    char first_bad[80];
} batch;

static void flush_batch(void) {
    if (!batch.count) return;
    batch.text[batch.len] = ']';
    json_error e;
    json_value *v = json_parse(batch.text, batch.len + 1, &e);
    CHECK(v && v->type == JSON_ARRAY && v->u.array.count == batch.count, "batch of %zu: %s at %zu",
          batch.count, v ? "" : e.message, v ? 0 : e.offset);
    for (size_t i = 0; v && i < batch.count; i++) {
        const char *s = batch.text + batch.start[i];
        batch.checked++;
        if (bits_of(v->u.array.items[i].u.number) != bits_of(batch.want[i]) && batch.mismatched++ == 0) {
            size_t n = strcspn(s, ",]");
            snprintf(batch.first_bad, sizeof batch.first_bad, "%.*s", (int)(n < 60 ? n : 60), s);
        }
    }
    json_free(v);
    batch.count = 0;
    batch.len = 0;
}

/* Queues one number text (a valid JSON number). Texts strtod reads as infinite are not queued:
 * the reader must refuse them alone, with "number out of range". */
static void number_is_strtods(const char *s) {
    size_t n = strlen(s);
    double d = strtod(s, NULL);
    if (isinf(d)) {
        json_error e;
        json_value *v = json_parse(s, n, &e);
        if (v || !strstr(e.message, "number out of range")) {
            if (batch.rejected++ == 0) snprintf(batch.first_bad, sizeof batch.first_bad, "%.60s (inf)", s);
        }
        json_free(v);
        return;
    }
    if (batch.count == BATCH || batch.len + n + 2 > sizeof batch.text) flush_batch();
    batch.text[batch.len++] = batch.count ? ',' : '[';
    batch.want[batch.count] = d;
    batch.start[batch.count++] = batch.len;
    memcpy(batch.text + batch.len, s, n);
    batch.len += n;
}

/* Flushes and reports: every queued text read as strtod did, every infinite one refused. */
static void numbers_checked(const char *what, long at_least) {
    flush_batch();
    CHECK(batch.mismatched == 0, "%s: %ld of %ld differ from strtod, first: %s", what, batch.mismatched,
          batch.checked, batch.first_bad);
    CHECK(batch.rejected == 0, "%s: %ld overflowing texts not refused as out of range, first: %s", what,
          batch.rejected, batch.first_bad);
    CHECK(batch.checked >= at_least, "%s: only %ld checked", what, batch.checked);
    printf("  %s: %ld numbers bit-identical to strtod\n", what, batch.checked);
    batch.checked = batch.mismatched = batch.rejected = 0;
}

/* %.17g, %.16g, %.15g (the shortest round trip is one of them or shorter), %.19e (20 digits:
 * more than the 19 kept), %g at a random precision 1-17, and %f for moderate magnitudes. */
#ifndef RANDOM_DOUBLES /* -DRANDOM_DOUBLES=100000000L for a longer hunt */
#ifdef __EMSCRIPTEN__
#define RANDOM_DOUBLES 100000L /* musl's printf and strtod are slow; the wasm builds run twice in CI */
#else
#define RANDOM_DOUBLES 2000000L
#endif
#endif
TEST(random_doubles_read_as_strtod_does) {
    char s[400];
    for (long i = 0; i < RANDOM_DOUBLES; i++) {
        uint64_t r = next_u64();
        double d = double_of(r);
        if (!isfinite(d)) continue;
        int form = (int)(i % 6);
        switch (form) {
        case 0: snprintf(s, sizeof s, "%.17g", d); break;
        case 1: snprintf(s, sizeof s, "%.16g", d); break;
        case 2: snprintf(s, sizeof s, "%.15g", d); break;
        case 3: snprintf(s, sizeof s, "%.19e", d); break;
        case 4: snprintf(s, sizeof s, "%.*g", 1 + (int)(r >> 59) % 17, d); break;
        default:
            if (fabs(d) > 1e-30 && fabs(d) < 1e20) snprintf(s, sizeof s, "%.*f", (int)(r >> 58) % 40, d);
            else snprintf(s, sizeof s, "%.17g", d);
        }
        number_is_strtods(s);
    }
    numbers_checked("random bit patterns", RANDOM_DOUBLES * 9 / 10);
}

/* Every power of ten of the table and past its ends, with short, 16-19-digit and 20-digit
 * mantissas, and random 1-20-digit mantissas at random exponents. */
TEST(every_decimal_exponent_reads_as_strtod_does) {
    static const char *mantissas[] = {"1", "9", "5", "123456789", "9007199254740993", "4503599627370497",
                                      "9999999999999999999", "1844674407370955161", "12345678901234567890",
                                      "2.2250738585072011", "7.2057594037927933", "1.00000000000000000001"};
    char s[64];
    for (int q = -360; q <= 330; q++)
        for (size_t k = 0; k < sizeof mantissas / sizeof *mantissas; k++) {
            snprintf(s, sizeof s, "%se%d", mantissas[k], q);
            number_is_strtods(s);
        }
    numbers_checked("fixed mantissas at exponents -360..330", 7500);
    for (long i = 0; i < RANDOM_DOUBLES / 8; i++) {
        uint64_t r = next_u64();
        int digits = 1 + (int)(r % 20), q = (int)((r >> 8) % 680) - 350;
        uint64_t m = next_u64();
        if (digits < 20) {
            uint64_t p = 1;
            for (int j = 0; j < digits; j++) p *= 10;
            m %= p;
        }
        snprintf(s, sizeof s, "%llue%d", (unsigned long long)m, q);
        number_is_strtods(s);
    }
    numbers_checked("random mantissas of 1-20 digits", RANDOM_DOUBLES / 10);
}

/* Decimals exactly half-way between two adjacent doubles (h * 2^b, h odd with 54 bits), the
 * ties Eisel-Lemire cannot break, and their neighbours one unit of the last digit away. */
TEST(halfway_cases_read_as_strtod_does) {
    char s[64];
    for (long i = 0; i < RANDOM_DOUBLES / 40; i++) {
        uint64_t h = (next_u64() >> 11) | (UINT64_C(1) << 53) | 1; /* 2^53 <= h < 2^54, odd */
        int b = (int)(i % 15) - 4;
        uint64_t d;
        int q = 0;
        if (b >= 0) { /* h * 2^b as an integer (< 2^64) */
            d = h << b;
        } else { /* h * 2^b = h * 5^-b * 10^b */
            d = h;
            for (int j = 0; j < -b; j++) d *= 5;
            q = b;
        }
        for (int delta = -1; delta <= 1; delta++) {
            snprintf(s, sizeof s, "%llue%d", (unsigned long long)(d + (uint64_t)(int64_t)delta), q);
            number_is_strtods(s);
        }
    }
    /* ties times a power of ten: 5^q * r * 2^b with 5^q * r odd and of 54 bits */
    uint64_t five = 1;
    for (int q = 0; q <= 23; q++, five *= 5) {
        for (uint64_t r = 1; r < 64; r += 2) {
            uint64_t h = five * r;
            if (h >> 54 || !(h >> 53)) continue;
            for (int b = q; b < q + 8; b++) {
                uint64_t d = r << (b - q); /* h * 2^b = d * 10^q */
                snprintf(s, sizeof s, "%llue%d", (unsigned long long)d, q);
                number_is_strtods(s);
                snprintf(s, sizeof s, "%llue%d", (unsigned long long)(d + 1), q);
                number_is_strtods(s);
            }
        }
    }
    numbers_checked("half-way cases and neighbours", RANDOM_DOUBLES / 40);
}

/* Known hard cases: the expected bits, and strtod's. */
TEST(hard_numbers_read_exactly) {
    static const struct { const char *s; uint64_t bits; } cases[] = {
        {"9007199254740993", 0x4340000000000000u},        /* 2^53 + 1: a tie, to even 2^53 */
        {"9007199254740995", 0x4340000000000002u},        /* a tie, to even 2^53 + 4 */
        {"9007199254740993.0000000001", 0x4340000000000001u}, /* just above the tie */
        {"2.2250738585072011e-308", 0x000FFFFFFFFFFFFFu}, /* the largest subnormal */
        {"2.2250738585072012e-308", 0x0010000000000000u}, /* DBL_MIN */
        {"2.2250738585072014e-308", 0x0010000000000000u},
        {"4.9406564584124654e-324", 0x0000000000000001u}, /* the smallest subnormal */
        {"2.4703282292062328e-324", 0x0000000000000001u}, /* just above half of it */
        {"2.4703282292062327e-324", 0x0000000000000000u}, /* just below: zero */
        {"1.7976931348623157e308", 0x7FEFFFFFFFFFFFFFu},  /* DBL_MAX */
        {"1.7976931348623158e308", 0x7FEFFFFFFFFFFFFFu},  /* below the tie with 2^1024 */
        {"8.98846567431158e307", 0x7FE0000000000000u},    /* 2^1023 */
        {"1e23", 0x44B52D02C7E14AF6u},                    /* 10^23 is not a double; strtod's nearest */
        {"1e22", 0x4480F0CF064DD592u},
        {"0.1", 0x3FB999999999999Au},
        {"0.3", 0x3FD3333333333333u},
        {"7.038531e-26", 0x3AB5C87FB0000000u},
        {"9223372036854775807", 0x43E0000000000000u},     /* 2^63 - 1 */
        {"9223372036854775808", 0x43E0000000000000u},     /* 2^63 */
        {"18446744073709551615", 0x43F0000000000000u},    /* 2^64 - 1: 20 digits */
        {"18446744073709551616", 0x43F0000000000000u},
        {"1234567890123456789", 0x43B12210F47DE981u},     /* 19 digits */
        {"12345678901234567890", 0x43E56A95319D63E1u},    /* 20 digits */
        {"0.000000000000000000000000000123", 0x3A237D7906F68D05u},
        {"123e-31", 0x39EF2F280B2414D5u},
        {"3.141592653589793", 0x400921FB54442D18u},
        {"2.718281828459045", 0x4005BF0A8B145769u},
        {"1e-400", 0x0000000000000000u},                  /* underflows to zero: accepted, as before */
        {"-0", 0x8000000000000000u},
        {"-0.0", 0x8000000000000000u},
        {"-0e999999", 0x8000000000000000u},
        {"0.000e-5", 0x0000000000000000u},
        {"-2.2250738585072011e-308", 0x800FFFFFFFFFFFFFu},
        {"-1.7976931348623157e308", 0xFFEFFFFFFFFFFFFFu},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        json_error e;
        json_value *v = parse(cases[i].s, &e);
        CHECK(v && v->type == JSON_NUMBER, "%s: %s", cases[i].s, v ? "" : e.message);
        if (v) {
            uint64_t got = bits_of(v->u.number), want = bits_of(strtod(cases[i].s, NULL));
            CHECK(got == cases[i].bits, "%s: 0x%016llX, want 0x%016llX", cases[i].s, (unsigned long long)got,
                  (unsigned long long)cases[i].bits);
            CHECK(got == want, "%s: 0x%016llX, strtod 0x%016llX", cases[i].s, (unsigned long long)got,
                  (unsigned long long)want);
        }
        json_free(v);
    }
}

TEST(overflowing_numbers_are_out_of_range) {
    const char *bad[] = {"1e309", "-1e309", "1.7976931348623159e308", "1.797693134862315808e308",
                         "17976931348623159e292", "9999999999999999999e290", "1e400", "-1e99999999999",
                         "123456789012345678901234567890e300", "0.1e310"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_error e;
        json_value *v = parse(bad[i], &e);
        CHECK(!v && strcmp(e.message, "number out of range") == 0 && e.offset == 0, "%s: %s", bad[i],
              v ? "accepted" : e.message);
        json_free(v);
    }
    size_t off = 0;
    CHECK(rejects("[0.5, -1.7976931348623159e308]", &off) && off == 6, "offset %zu", off);
}

int main(void) {
    RUN(scalars_of_every_type_parse);
    RUN(numbers_follow_the_grammar);
    RUN(arrays_and_objects_nest_in_text_order);
    RUN(escapes_and_surrogates_decode_to_utf8);
    RUN(bad_strings_are_rejected);
    RUN(structural_errors_are_rejected);
    RUN(never_reads_past_len);
    RUN(every_prefix_of_a_valid_document_fails_cleanly_or_parses);
    RUN(depth_is_limited);
    RUN(large_flat_documents_parse);
    RUN(type_names);
    RUN(random_doubles_read_as_strtod_does);
    RUN(every_decimal_exponent_reads_as_strtod_does);
    RUN(halfway_cases_read_as_strtod_does);
    RUN(hard_numbers_read_exactly);
    RUN(overflowing_numbers_are_out_of_range);
    return check_summary("json");
}
