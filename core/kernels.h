/* core/kernels.h — the matrix kernels of the training step.
 *
 * Sizes: C is (M, N); the shared dimension is K. Row-major, no padding.
 * Summation order is part of the contract: every C[i][j] is the sum over k = 0, 1, ..., K-1
 * in that order, into one float accumulator that starts at 0, then (accumulate) added to
 * C[i][j] once. The SIMD kernels vectorise across j, never across k, so the scalar build,
 * the SIMD build and the native build give the same bits, and so does the naive version.
 */
#ifndef ACCUMLAB_KERNELS_H
#define ACCUMLAB_KERNELS_H

/* C (M,N) (+)= A (M,K) · B (K,N) */
void al_gemm_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C (M,N) (+)= A(K,M)ᵀ · B (K,N)   — weight gradients: dW += doutᵀ · in */
void al_gemm_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
/* C (M,N) (+)= A (M,K) · B(N,K)ᵀ   — the forward: out = in · Wᵀ. pack: (K, N) scratch */
void al_gemm_nt(float *C, const float *A, const float *B, float *pack, int M, int N, int K, int accumulate);

/* The right operand packed once for many products (the weights, fixed within an optimizer
 * step, are the right operand of the forward and of the backward's din): P holds every full
 * panel of 8 columns, al_pack_floats(N, K) floats; the N % 8 columns left over are read from
 * B in place. fill 1: the call packs B into P block by block as it uses it (so the panels are
 * still in cache, as when packing on every call); fill 0: P holds B's panels already (a
 * fill-1 call or al_pack_nt/nn on the same B). Same bits as the forms above, which pack on
 * every call. */
long al_pack_floats(int N, int K);
/* P = the panels of B (N,K)ᵀ, as al_gemm_nt_packed fills them */
void al_pack_nt(float *P, const float *B, int N, int K);
/* P = the panels of B (K,N), as al_gemm_nn_packed fills them */
void al_pack_nn(float *P, const float *B, int N, int K);
/* C (M,N) (+)= A (M,K) · B(N,K)ᵀ, B's panels in P */
void al_gemm_nt_packed(float *C, const float *A, const float *B, float *P, int fill, int M, int N, int K, int accumulate);
/* C (M,N) (+)= A (M,K) · B (K,N), B's panels in P */
void al_gemm_nn_packed(float *C, const float *A, const float *B, float *P, int fill, int M, int N, int K, int accumulate);

/* The naive references (kernels_ref.c): the same contract in three plain loops. */
void al_gemm_nn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
void al_gemm_tn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);
void al_gemm_nt_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate);

#endif
