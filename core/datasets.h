/* core/datasets.h — the built-in datasets, generated from a seed (same bits everywhere).
 *
 * Sizes: N samples, IN input features, T target values per sample.
 * Classification sets store class indices (T = 1, classes = C); regression sets store
 * real targets (T values per sample, classes = 0).
 *
 *   name          IN  C   T   what
 *   seed_example   4  0   2   x ~ U[0,1)^4, y ~ U[0,1)^2 (the forum example; noise unused)
 *   regression     1  0   1   x ~ U[-1,1), y = sin(pi*x) + noise * N(0,1)
 *   moons          2  2   1   sklearn-style two interleaving half circles + noise*N(0,1)
 *   circles        2  2   1   two concentric circles (radius 1 and 0.5) + noise*N(0,1)
 *   xor            2  2   1   x ~ U[-1,1)^2, class = (x0 > 0) xor (x1 > 0), inputs + noise*N
 *   spirals        2  2   1   two interleaved spirals + noise*N(0,1)
 *   gaussians      2  3   1   three Gaussian blobs (std 0.5 + noise) around fixed centres
 *   digits        64 10   1   UCI optical digits (1797 8x8 images, values 0..16 scaled to
 *                             [0,1]); n <= 1797 takes the first n after a seeded shuffle
 */
#ifndef ACCUMLAB_DATASETS_H
#define ACCUMLAB_DATASETS_H

#include <stdint.h>

typedef enum {
    AL_DATA_SEED_EXAMPLE, AL_DATA_REGRESSION, AL_DATA_MOONS, AL_DATA_CIRCLES, AL_DATA_XOR,
    AL_DATA_SPIRALS, AL_DATA_GAUSSIANS, AL_DATA_DIGITS, AL_DATA_EXPLICIT, AL_DATA_COUNT
} al_data_name;

typedef struct {
    int inputs;   /* IN */
    int targets;  /* T: values per sample (1 for class indices) */
    int classes;  /* C: > 0 for class-index targets, 0 for real targets */
    int max_n;    /* largest N it can make (1797 for digits, else AL_MAX_SAMPLES) */
} al_data_shape;

#define AL_DIGITS_N 1797

/* Shape of a built-in set (name < AL_DATA_EXPLICIT). */
al_data_shape al_dataset_shape(al_data_name name);

/* Fills x (N, IN) and y (N, T) — class indices stored as floats 0.0, 1.0, ... —
 * for N = n samples. seed drives every draw (through al_rng_stream(.., AL_STREAM_DATA)).
 * Returns 0, or -1 if n is out of range for the set. */
int al_dataset_make(al_data_name name, int n, double noise, uint64_t seed, float *x, float *y);

#endif
