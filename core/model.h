/* core/model.h — the MLP: nn.Sequential(Linear, [Norm], Act, [Dropout], ..., Linear).
 *
 * Sizes: L Linear layers; sizes[0] = IN, sizes[L] = OUT, H_l = sizes[l+1] for hidden
 * layer l < L-1; B samples; P parameters. All parameters live in one flat buffer in
 * PyTorch parameters() order: for each layer l, weight (H_l, sizes[l]) row-major, bias
 * (H_l), then for hidden layers with a norm its weight (gamma) and bias (beta).
 */
#ifndef ACCUMLAB_MODEL_H
#define ACCUMLAB_MODEL_H

#include "settings.h"
#include "rng.h"

typedef struct {
    int L;                               /* number of Linear layers */
    int sizes[AL_MAX_LAYERS + 1];
    al_activation act;
    al_norm norm;
    float dropout[AL_MAX_LAYERS];        /* per hidden layer */
    long w[AL_MAX_LAYERS], b[AL_MAX_LAYERS];          /* offsets into the flat buffer */
    long gamma[AL_MAX_LAYERS], beta[AL_MAX_LAYERS];   /* -1 without a norm */
    long P;                              /* parameter count */
    int max_width;                       /* max over sizes */
} al_model;

/* Everything forward saves for backward, for batches of up to B_max samples. */
typedef struct {
    float *z[AL_MAX_LAYERS];      /* (B, sizes[l+1]) Linear outputs; z[L-1] are the network outputs */
    float *xhat[AL_MAX_LAYERS];   /* (B, H) normalised values */
    float *rstd[AL_MAX_LAYERS];   /* batchnorm (H), layernorm (B) */
    float *n[AL_MAX_LAYERS];      /* (B, H) norm outputs (= z without a norm) */
    float *a[AL_MAX_LAYERS];      /* (B, H) activation outputs */
    float *mask[AL_MAX_LAYERS];   /* (B, H) dropout masks: 0 or 1/(1-p) */
    float *d[AL_MAX_LAYERS];      /* (B, H) dropout outputs (= a without dropout) */
    float *g0, *g1;               /* (B_max, max_width) gradients flowing backward */
    float *wt[AL_MAX_LAYERS];     /* layer l's weight packed for the forward (al_pack_nt) */
    float *wp[AL_MAX_LAYERS];     /* ... and for the backward's din, l >= 1 (al_pack_nn) */
    int wt_packed[AL_MAX_LAYERS], wp_packed[AL_MAX_LAYERS]; /* 1 once packed since al_model_repack */
    int keep_packs;               /* the step has several passes: pack once, reuse */
    float *scratch;               /* (3 · max_width) */
} al_acts;

/* Where dropout masks come from: one generator in call order, or keyed by
 * (seed, step, layer, sample, unit) so a sample's mask does not depend on the batch split. */
typedef struct {
    al_dropout_rng mode;
    al_rng *stream;          /* mode stream: this run's generator; with n_streams > 1, one per replica */
    uint64_t seed;           /* mode keyed */
    long step;               /* optimizer step (0-based) */
    const int *sample_ids;   /* (B) dataset index of each sample */
    int n_streams;           /* 0 or 1: every row from stream[0]; else rows [r0, r0+stream_rows[r]) from stream[r] */
    const int *stream_rows;  /* (n_streams) consecutive rows of each replica (SyncBatchNorm's union batch) */
} al_mask_source;

/* Fills the layout from (validated) sizes; returns P. */
long al_model_layout(al_model *m, const int *sizes, int n_sizes, al_activation act, al_norm norm,
                     const float *dropout);
/* Floats the activations need for B_max samples (used to size the arena). */
long al_acts_floats(const al_model *m, int B_max);
/* Points the activation buffers into mem (al_acts_floats(m, B_max) floats). */
void al_acts_bind(al_acts *a, const al_model *m, int B_max, float *mem);

/* PyTorch's nn.Linear default init: weight and bias ~ U(±1/sqrt(fan_in)), drawn in
 * parameters() order from al_rng_stream(seed, AL_STREAM_INIT); norm gamma 1, beta 0. */
void al_model_init(float *params, const al_model *m, uint64_t seed);

/* Starts an optimizer step of `passes` forward/backward passes over the same parameters (k
 * micro-batches, or 1): with several, the first forward and backward pack each layer's
 * weights for the GEMMs (block by block, as the GEMM uses them, so they are in cache) and the
 * later passes reuse the packs; with one, each GEMM packs into cache-sized scratch (a
 * persistent copy of every layer's weights would only push other data out of cache). Call
 * it whenever the params passed to forward/backward are new or changed (each optimizer step,
 * each run), before the next al_model_forward. */
void al_model_repack(al_acts *a, const al_model *m, int passes);

/* Forward in training mode over x (B, IN); returns the outputs (B, OUT) (= acts->z[L-1]).
 * running (2·(L-1)·max_width): batchnorm running mean then var of each hidden layer. */
const float *al_model_forward(al_acts *acts, float *running, const al_mask_source *ms,
                              const float *x, const float *params, const al_model *m, int B);
/* Backward from dy (B, OUT) = ∂loss/∂outputs; ADDS into grads (P). */
void al_model_backward(float *grads, al_acts *acts, const float *dy, const float *x,
                       const float *params, const al_model *m, int B);

/* A second gradient taken in the same backward: the accumulated loop's at these parameters
 * (the same point), whose micro-batches are n_seg consecutive segments of the B rows and whose
 * loss gradient sdy (B, OUT) is dy times c[j], a power of two, on segment j. Every sample's
 * gradient flows back through its own row alone (no BatchNorm; relu, tanh or identity; masks
 * per sample), so each layer's gradient of the loop is c[j] times the backward's own, bit for
 * bit, wherever no product of that chain rounds below the normal range or overflows: the
 * backward checks the magnitudes that bound them (al_model_backward_with). Then each segment's
 * weight and bias gradients are added into grads from c[j]·dout as that micro-batch's own
 * backward adds them, and the loop needs no backward of its own. */
typedef struct {
    int n_seg;
    const int *rows;     /* (n_seg) rows of each segment, in order */
    const float *c;      /* (n_seg) */
    const float *sdy;    /* (B, OUT) */
    float *grads;        /* (P) where the loop's gradient is added */
    int ok;              /* in 1; out 0 if a magnitude was out of range (grads then partial) */
} al_scaled_segments;

/* al_model_backward, and with sp (may be NULL) the loop's gradient into sp->grads. */
void al_model_backward_with(float *grads, al_acts *acts, const float *dy, const float *x,
                            const float *params, const al_model *m, int B, al_scaled_segments *sp);

#endif
