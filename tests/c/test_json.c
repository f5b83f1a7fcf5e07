/* tests/c/test_json.c — the strict JSON reader: valid documents, escapes, every rejection,
 * truncation at every prefix, limits. Runs under ASan/UBSan (leaks are failures). */
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
    return check_summary("json");
}
