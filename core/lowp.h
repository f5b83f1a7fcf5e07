/* core/lowp.h — bfloat16 and IEEE half precision in software: what `.grad` holds between
 * micro-batches with gradDtype bf16 or fp16 (the same bits in every build: integer
 * arithmetic on the float's bits, no hardware half types).
 *
 * Rounding is to nearest, ties to even, as PyTorch's float -> bfloat16 / float16
 * conversions do; NaN stays a (quiet) NaN. fp16: normals to 65504, subnormals down to
 * 2^-24, overflow to ±inf (from 65520 up), underflow to ±0. A sum in these types is a
 * float32 sum rounded once (PyTorch computes bf16 + bf16 in float32, then rounds).
 */
#ifndef ACCUMLAB_LOWP_H
#define ACCUMLAB_LOWP_H

#include <stdint.h>

uint16_t al_bf16_bits(float x);        /* x rounded to bfloat16, as its 16 bits */
float al_bf16_value(uint16_t bits);    /* exact */
uint16_t al_fp16_bits(float x);        /* x rounded to IEEE binary16, as its 16 bits */
float al_fp16_value(uint16_t bits);    /* exact */

float al_round_bf16(float x);          /* al_bf16_value(al_bf16_bits(x)) */
float al_round_fp16(float x);

/* dtype: AL_DTYPE_* (settings.h). x[i] rounded in place; fp32 leaves x alone. */
void al_round_to(float *x, long n, int dtype);
/* acc[i] = round(acc[i] + round(g[i])): one micro-batch's float32 gradient added to a
 * `.grad` held in dtype. Returns how many entries of g were nonzero but rounded to 0
 * (underflow). */
long al_accumulate_in(float *acc, const float *g, long n, int dtype);

#endif
