/* core/optim.h — optimizers, schedules and gradient clipping with PyTorch's semantics.
 *
 * Sizes: P parameters. Parameters, gradients and optimizer state share one flat layout
 * (PyTorch parameters() order), so each optimizer is one loop over P.
 */
#ifndef ACCUMLAB_OPTIM_H
#define ACCUMLAB_OPTIM_H

#include "settings.h"

typedef struct {
    float *buf1;  /* (P) sgd: momentum_buffer; adam(w): exp_avg */
    float *buf2;  /* (P) adam(w): exp_avg_sq */
    long t;       /* optimizer steps taken so far */
} al_optim_state;

/* One optimizer.step() with learning rate lr (the scheduler's value, already scaled). */
void al_optim_step(float *params, const float *grads, al_optim_state *st, const al_optimizer_settings *o,
                   double lr, long P);

/* Learning rate after t scheduler.step() calls (PyTorch closed forms):
 * constant lr; step lr·gamma^⌊t/stepSize⌋; cosine etaMin + (lr-etaMin)(1+cos(π t/tMax))/2;
 * warmup lr·min(1, (t+1)/warmupSteps) (LambdaLR with a linear ramp). tMax: s->t_max (>= 1). */
double al_schedule_lr(const al_schedule_settings *s, double base_lr, long t);

/* The total L2 norm of P gradients (summed in double, in index order). */
double al_grad_norm(const float *grads, long P);

/* clip_grad_norm_(max_norm): total L2 norm over all P gradients; if it exceeds max_norm,
 * multiplies by max_norm / (norm + 1e-6). Returns the norm before clipping. */
double al_clip_grad_norm(float *grads, long P, double max_norm);

#endif
