/* core/rng.h — every random draw in accumlab comes from here.
 *
 * Generator: splitmix64 (Steele, Lea, Flood 2014): state += 0x9E3779B97F4A7C15, then
 * the mix64 finaliser. Floats take the top 24 bits: u = (x >> 40) * 2^-24, in [0, 1).
 * Independent streams for one experiment seed: state = al_mix64(seed ^ (stream * 0xD1B54A32D192ED03)).
 * Keyed draws (counter-based): u = top 24 bits of
 *   mix64(mix64(mix64(mix64(mix64(seed) ^ step) ^ (layer + 0x9E3779B97F4A7C15)) ^ sample)
 *         ^ (unit + 0x632BE59BD9B4E019))
 * (the constants keep layer 0 / unit 0 from cancelling against step or sample).
 * First outputs for al_rng_seed(&r, 42): 0xbdd732262feb6e95 0x28efe333b266f103 0x47526757130f9f52 0x581ce1ff0e4ae394 0x09bc585a244823f2 (tests/c/test_rng.c).
 */
#ifndef ACCUMLAB_RNG_H
#define ACCUMLAB_RNG_H

#include <stdint.h>

typedef struct { uint64_t state; } al_rng;

enum { AL_STREAM_INIT = 1, AL_STREAM_DATA = 2, AL_STREAM_DROPOUT = 3, AL_STREAM_SHUFFLE = 4, AL_STREAM_MASK = 5 };

uint64_t al_mix64(uint64_t x);                                   /* splitmix64 finaliser */
void al_rng_seed(al_rng *r, uint64_t seed);                      /* state = seed */
void al_rng_stream(al_rng *r, uint64_t seed, uint64_t stream);   /* independent stream of a seed */
uint64_t al_rng_next(al_rng *r);                                 /* next 64 bits */
float al_rng_uniform(al_rng *r);                                 /* [0, 1), 24 bits */
float al_rng_range(al_rng *r, float lo, float hi);               /* lo + (hi - lo) * u */
float al_rng_normal(al_rng *r);  /* approx N(0,1): sum of 12 uniforms - 6 (no libm: same bits everywhere) */
uint32_t al_rng_below(al_rng *r, uint32_t n);                    /* uniform integer in [0, n), n >= 1 */
/* Keyed uniform (formula above): a dropout mask bit depends on its key only, never on how
 * a batch was split into micro-batches. */
float al_keyed_uniform(uint64_t seed, uint64_t step, uint64_t layer, uint64_t sample, uint64_t unit);

#endif
