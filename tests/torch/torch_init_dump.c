/* tests/torch/torch_init_dump.c — prints what core/torch_rng.c computes, for
 * tests/torch/check_init.py to compare with real PyTorch. One value a line:
 *   params SEED NORM SIZE...     al_model_init_torch (NORM: none|batchnorm|layernorm), float bits as 8 hex digits
 *   rand SEED N                  al_torch_rand, float bits
 *   uniform SEED N FROM TO       al_torch_uniform (FROM, TO as C/Python hex floats), float bits
 *   raw SEED N                   al_mt19937_next32, decimal
 *   bounds MAXFAN                for IN = 1..MAXFAN: "bw bb" of al_torch_linear_bounds, double bits as 16 hex digits
 * A first argument --unfused makes params and uniform use al_torch_uniform_unfused (torch's
 * DEFAULT-capability kernel); params then walks the layout here, from the public pieces.
 * Build (tests/torch/check_init.py does it): gcc -std=c11 -O2 -ffp-contract=off -Icore
 *   tests/torch/torch_init_dump.c, every core .c file, -lm -o build/torch_init_dump
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "torch_rng.h"

static uint32_t float_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t double_bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static int print_floats(const float *x, long n) {
    for (long i = 0; i < n; i++) printf("%08" PRIx32 "\n", float_bits(x[i]));
    return 0;
}

/* al_model_init_torch with the unfused uniform: the same walk over the layout */
static void init_unfused(float *params, const al_model *m, uint64_t seed) {
    al_mt19937 g;
    al_mt19937_seed(&g, seed);
    for (int l = 0; l < m->L; l++) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        double bw, bb;
        al_torch_linear_bounds(&bw, &bb, in);
        al_torch_uniform_unfused(params + m->w[l], (long)out * in, -bw, bw, &g);
        al_torch_uniform_unfused(params + m->b[l], out, -bb, bb, &g);
        if (m->gamma[l] >= 0)
            for (int i = 0; i < out; i++) { params[m->gamma[l] + i] = 1.0f; params[m->beta[l] + i] = 0.0f; }
    }
}

static int usage(void) {
    fprintf(stderr, "usage: torch_init_dump [--unfused] params SEED NORM SIZE... | rand SEED N | "
                    "uniform SEED N FROM TO | raw SEED N | bounds MAXFAN\n");
    return 2;
}

int main(int argc, char **argv) {
    int unfused = argc > 1 && !strcmp(argv[1], "--unfused");
    if (unfused) { argc--; argv++; }
    if (argc < 3) return usage();
    const char *mode = argv[1];
    if (!strcmp(mode, "bounds")) {
        int maxfan = atoi(argv[2]);
        for (int in = 1; in <= maxfan; in++) {
            double bw, bb;
            al_torch_linear_bounds(&bw, &bb, in);
            printf("%016" PRIx64 " %016" PRIx64 "\n", double_bits(bw), double_bits(bb));
        }
        return 0;
    }
    uint64_t seed = strtoull(argv[2], 0, 10);
    al_mt19937 g;
    al_mt19937_seed(&g, seed);
    if (!strcmp(mode, "params")) {
        if (argc < 6 || argc - 4 > AL_MAX_LAYERS + 1) return usage();
        al_norm norm = !strcmp(argv[3], "batchnorm") ? AL_NORM_BATCH
                     : !strcmp(argv[3], "layernorm") ? AL_NORM_LAYER : AL_NORM_NONE;
        int sizes[AL_MAX_LAYERS + 1], n_sizes = argc - 4;
        for (int i = 0; i < n_sizes; i++) sizes[i] = atoi(argv[4 + i]);
        float dropout[AL_MAX_LAYERS] = {0};
        al_model m;
        long P = al_model_layout(&m, sizes, n_sizes, AL_ACT_RELU, norm, dropout);
        float *params = malloc((size_t)P * sizeof *params);
        if (!params) return 1;
        if (unfused) init_unfused(params, &m, seed);
        else al_model_init_torch(params, &m, seed);
        print_floats(params, P);
        free(params);
        return 0;
    }
    if (argc < 4) return usage();
    long n = strtol(argv[3], 0, 10);
    if (!strcmp(mode, "raw")) {
        for (long i = 0; i < n; i++) printf("%" PRIu32 "\n", al_mt19937_next32(&g));
        return 0;
    }
    float *x = malloc((size_t)(n > 0 ? n : 1) * sizeof *x);
    if (!x) return 1;
    if (!strcmp(mode, "rand")) al_torch_rand(x, n, &g);
    else if (!strcmp(mode, "uniform") && argc == 6)
        (unfused ? al_torch_uniform_unfused : al_torch_uniform)(x, n, strtod(argv[4], 0), strtod(argv[5], 0), &g);
    else { free(x); return usage(); }
    print_floats(x, n);
    free(x);
    return 0;
}
