/* tests/c/fuzz_config.c — libFuzzer entry point for the config parser (and the JSON reader
 * under it). Build and run:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Icore tests/c/fuzz_config.c \
 *         core/config.c core/json.c core/error.c -lm -o /tmp/fuzz_config
 *   /tmp/fuzz_config -max_total_time=60
 * Traps if an error comes back with an unknown code, an empty or unterminated message,
 * an unterminated field, or allocations left in the config. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "json.h"

static int terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    al_config c;
    al_error e;
    memset(&e, 0x7f, sizeof e); /* no NUL anywhere: the parser must write one */
    int rc = al_config_parse(&c, (const char *)data, size, &e);
    if (rc != e.code) __builtin_trap();
    if (rc == AL_OK) {
        if (c.data.name == AL_DATA_EXPLICIT &&
            (!c.data.inputs || !c.data.targets || c.data.rows < 1 || c.data.in_dim < 1 || c.data.target_dim < 1))
            __builtin_trap();
        if (c.init && c.init_len == 0) __builtin_trap();
        al_config_free(&c);
        if (c.data.inputs || c.data.targets || c.data.mask || c.init) __builtin_trap();
    } else {
        if (rc < AL_ERR_PARSE || rc > AL_ERR_STATE) __builtin_trap();
        if (!terminated(e.message, sizeof e.message) || e.message[0] == '\0') __builtin_trap();
        if (strlen(e.message) >= 200) __builtin_trap(); /* messages stay short */
        if (!terminated(e.field, sizeof e.field)) __builtin_trap();
        if (c.data.inputs || c.data.targets || c.data.mask || c.init) __builtin_trap();
    }
    /* the JSON reader on its own, with the same bytes */
    json_error je;
    json_value *v = json_parse((const char *)data, size, &je);
    if (!v && (!terminated(je.message, sizeof je.message) || je.message[0] == '\0' || je.offset > size))
        __builtin_trap();
    json_free(v);
    return 0;
}
