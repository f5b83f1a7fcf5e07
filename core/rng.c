/* core/rng.c — splitmix64 streams and keyed (counter-based) uniforms. See rng.h. */
#include "rng.h"

uint64_t al_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void al_rng_seed(al_rng *r, uint64_t seed) { r->state = seed; }

void al_rng_stream(al_rng *r, uint64_t seed, uint64_t stream) {
    r->state = al_mix64(seed ^ (stream * 0xD1B54A32D192ED03ull));
}

uint64_t al_rng_next(al_rng *r) {
    r->state += 0x9E3779B97F4A7C15ull;
    return al_mix64(r->state);
}

static float top24(uint64_t x) { return (float)(x >> 40) * (1.0f / 16777216.0f); }

float al_rng_uniform(al_rng *r) { return top24(al_rng_next(r)); }

float al_rng_range(al_rng *r, float lo, float hi) { return lo + (hi - lo) * al_rng_uniform(r); }

float al_rng_normal(al_rng *r) {
    float s = 0.0f;
    for (int i = 0; i < 12; i++) s += al_rng_uniform(r);
    return s - 6.0f;
}

uint32_t al_rng_below(al_rng *r, uint32_t n) {
    /* multiply-shift: bias below 2^-32 for the small n used here */
    return (uint32_t)(((al_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

float al_keyed_uniform(uint64_t seed, uint64_t step, uint64_t layer, uint64_t sample, uint64_t unit) {
    uint64_t h = al_mix64(seed);
    h = al_mix64(h ^ step);
    h = al_mix64(h ^ (layer + 0x9E3779B97F4A7C15ull));
    h = al_mix64(h ^ sample);
    h = al_mix64(h ^ (unit + 0x632BE59BD9B4E019ull));
    return top24(h);
}
