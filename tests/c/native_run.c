/* tests/c/native_run.c — the native build of an experiment, printed bit-exactly, so that
 * tests/node/native.test.mjs can check native == WebAssembly bit for bit.
 * usage: accumlab_native < config.json
 * Prints one line per step (every double of al_step_record as 16 hex digits), then
 * "init", "ref" and "acc" lines with an FNV-1a hash of the final float vectors' bytes,
 * and "verdict grads params causes diverged_step". Exit 2 with the message on a bad config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "accumlab.h"

static uint64_t fnv(const void *p, size_t n) {
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ull;
    return h;
}

int main(void) {
    size_t cap = 1 << 16, len = 0;
    char *text = malloc(cap);
    for (size_t got; text && (got = fread(text + len, 1, cap - len, stdin)) > 0;) {
        len += got;
        if (len == cap) text = realloc(text, cap *= 2);
    }
    if (!text) return 1;
    al_error err;
    al_experiment *e = al_experiment_create(text, len, &err);
    free(text);
    if (!e) { fprintf(stderr, "%s [%s]\n", err.message, err.field); return 2; }
    al_step_record rec;
    int status;
    while ((status = al_experiment_step(e, &rec, &err)) == AL_OK) {
        const double *d = (const double *)&rec;
        for (size_t i = 0; i < sizeof rec / sizeof(double); i++) {
            uint64_t bits;
            memcpy(&bits, &d[i], sizeof bits);
            printf(i ? " %016llx" : "%016llx", (unsigned long long)bits);
        }
        putchar('\n');
    }
    if (status != AL_DONE) { fprintf(stderr, "%s\n", err.message); return 1; }
    long P = al_experiment_param_count(e);
    printf("init %016llx\n", (unsigned long long)fnv(al_experiment_vector(e, AL_VEC_INIT), sizeof(float) * P));
    printf("ref %016llx\n", (unsigned long long)fnv(al_experiment_vector(e, AL_VEC_PARAMS_REF), sizeof(float) * P));
    printf("acc %016llx\n", (unsigned long long)fnv(al_experiment_vector(e, AL_VEC_PARAMS_ACC), sizeof(float) * P));
    al_verdict v;
    al_experiment_verdict(e, &v);
    printf("verdict %d %d %d %d\n", v.grads, v.params, v.causes, v.diverged_step);
    al_experiment_free(e);
    return 0;
}
