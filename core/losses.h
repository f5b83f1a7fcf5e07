/* core/losses.h — losses on the network's outputs, with an optional 0/1 mask per target.
 *
 * Sizes: B samples, OUT outputs, T target values per sample (T = 1 for class indices,
 * T = OUT otherwise). Per value: l1 |y - t|, mse (y - t)², bce (with logits)
 * max(y,0) - y·t + log1p(exp(-|y|)); cross_entropy per sample: logsumexp(y) - y[t].
 * S = Σ mask · loss. The caller turns S into the reduced loss by a scale (1/count for
 * mean, 1 for sum, and the accumulation correction), and the gradient is scale · ∂S/∂y.
 */
#ifndef ACCUMLAB_LOSSES_H
#define ACCUMLAB_LOSSES_H

#include "settings.h"

/* Number of valid target values in the batch: Σ mask, or B·T without a mask. */
double al_loss_count(const float *mask, int B, int T);

/* Returns S (summed in double, in sample order); writes dy (B,OUT) = scale · ∂S/∂y.
 * y (B,OUT) outputs, t (B,T) targets (class indices as floats for cross_entropy),
 * mask (B,T) or NULL, scratch (OUT). */
double al_loss_forward_backward(float *dy, float *scratch, const float *y, const float *t,
                                const float *mask, al_loss loss, float scale, int B, int OUT, int T);

#endif
