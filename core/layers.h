/* core/layers.h — the layers of the MLP as forward/backward pairs.
 *
 * Sizes: B samples in the batch, IN inputs, OUT outputs, H features of a hidden layer.
 * Argument order everywhere: outputs (and what backward needs saved), inputs, parameters,
 * sizes. Backward ADDS into parameter gradients (+=): a backward computes its batch's
 * gradient from zero and adds it once, as PyTorch's autograd adds into .grad. That is
 * exactly what gradient accumulation is; al_zero clears them.
 */
#ifndef ACCUMLAB_LAYERS_H
#define ACCUMLAB_LAYERS_H

#include "settings.h"

#define AL_NORM_EPS 1e-5f
#define AL_BN_MOMENTUM 0.1f

void al_zero(float *x, long n);

/* How a Linear layer gets its weights' GEMM panels (wt, wp below: al_pack_floats floats):
 * the weights are fixed within an optimizer step, so a step with several passes (k
 * micro-batches) packs them in its first pass and reuses them; a step with one pass packs
 * them block by block into the start of the buffer, as scratch that stays in cache. */
enum { AL_PACK_SCRATCH, AL_PACK_FILL, AL_PACK_READY };

/* out (B,OUT) = in (B,IN) · wᵀ + b;  w (OUT,IN), b (OUT); wt: w's panels for the forward,
 * pack: AL_PACK_* (READY: filled by an earlier FILL call on the same w) */
void al_linear_forward(float *out, const float *in, const float *w, float *wt, int pack, const float *b,
                       int B, int IN, int OUT);
/* din (B,IN) = dout·w (skipped if din is NULL); dw (OUT,IN) += doutᵀ·in; db (OUT) += Σ_b dout;
 * wp: w's panels for din, pack: AL_PACK_* (SCRATCH packs on the stack; both unused if din is
 * NULL); scratch: (OUT) floats */
void al_linear_backward(float *din, float *dw, float *db, float *scratch, const float *dout,
                        const float *in, const float *w, float *wp, int pack, int B, int IN, int OUT);

/* out = f(in), n values (out may equal in) */
void al_activation_forward(float *out, const float *in, al_activation f, long n);
/* din = dout · f'(in); out = f(in) as saved by forward (din may equal dout) */
void al_activation_backward(float *din, const float *dout, const float *in, const float *out,
                            al_activation f, long n);

/* out = in · mask;  mask (B,H) holds 0 or 1/(1-p), drawn by the caller */
void al_dropout_forward(float *out, const float *in, const float *mask, long n);
void al_dropout_backward(float *din, const float *dout, const float *mask, long n);

/* BatchNorm1d in training mode over the B samples of the batch (biased variance);
 * running_mean/var (H) updated with momentum 0.1 and the unbiased variance, as PyTorch.
 * Saved for backward: xhat (B,H), rstd (H). */
void al_batchnorm_forward(float *out, float *xhat, float *rstd, float *running_mean, float *running_var,
                          const float *in, const float *gamma, const float *beta, int B, int H);
/* scratch: (3·H) floats */
void al_batchnorm_backward(float *din, float *dgamma, float *dbeta, float *scratch, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma, int B, int H);

/* LayerNorm over the H features of each sample. Saved: xhat (B,H), rstd (B). */
void al_layernorm_forward(float *out, float *xhat, float *rstd, const float *in, const float *gamma,
                          const float *beta, int B, int H);
/* scratch: (2·H) floats */
void al_layernorm_backward(float *din, float *dgamma, float *dbeta, float *scratch, const float *dout,
                           const float *xhat, const float *rstd, const float *gamma, int B, int H);

#endif
