/* core/kernels.c — register-blocked GEMM on 4-lane vectors (see kernels.h for the contract).
 *
 * One kernel serves A·B and Aᵀ·B: element a(i, k) of the left operand is
 * A[i * si + k * sk] (A·B: si = K, sk = 1; Aᵀ·B: si = 1, sk = M). A 4x8 block of C lives
 * in eight vector accumulators; each step over k broadcasts four values of A and loads
 * eight of B's row k. Each lane sums over k in order, which is what makes the result
 * identical to the naive loops.
 */
#include "kernels.h"
#include "simd.h"

static inline void store_block(float *c, v4 acc, int accumulate) {
    if (accumulate) acc = v4_add(v4_load(c), acc);
    v4_store(c, acc);
}

/* C[i0..i0+4)[j0..j0+8) */
static void block_4x8(float *C, const float *A, const float *B, int si, int sk, int N, int K,
                      int i0, int j0, int accumulate) {
    v4 c00 = v4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const float *a = A + (long)i0 * si;
    const float *b = B + j0;
    for (int k = 0; k < K; k++, a += sk, b += N) {
        v4 b0 = v4_load(b), b1 = v4_load(b + 4);
        v4 a0 = v4_splat(a[0]), a1 = v4_splat(a[si]), a2 = v4_splat(a[2 * si]), a3 = v4_splat(a[3 * si]);
        c00 = v4_add(c00, v4_mul(a0, b0)); c01 = v4_add(c01, v4_mul(a0, b1));
        c10 = v4_add(c10, v4_mul(a1, b0)); c11 = v4_add(c11, v4_mul(a1, b1));
        c20 = v4_add(c20, v4_mul(a2, b0)); c21 = v4_add(c21, v4_mul(a2, b1));
        c30 = v4_add(c30, v4_mul(a3, b0)); c31 = v4_add(c31, v4_mul(a3, b1));
    }
    float *c = C + (long)i0 * N + j0;
    store_block(c, c00, accumulate); store_block(c + 4, c01, accumulate); c += N;
    store_block(c, c10, accumulate); store_block(c + 4, c11, accumulate); c += N;
    store_block(c, c20, accumulate); store_block(c + 4, c21, accumulate); c += N;
    store_block(c, c30, accumulate); store_block(c + 4, c31, accumulate);
}

/* C[i][j0..j0+4) for one row i */
static void block_1x4(float *C, const float *A, const float *B, int si, int sk, int N, int K,
                      int i, int j0, int accumulate) {
    v4 acc = v4_splat(0.0f);
    const float *a = A + (long)i * si;
    const float *b = B + j0;
    for (int k = 0; k < K; k++, a += sk, b += N) acc = v4_add(acc, v4_mul(v4_splat(a[0]), v4_load(b)));
    store_block(C + (long)i * N + j0, acc, accumulate);
}

/* C[i][j] alone: the columns left over after the vector blocks */
static void element(float *C, const float *A, const float *B, int si, int sk, int N, int K,
                    int i, int j, int accumulate) {
    float acc = 0.0f;
    const float *a = A + (long)i * si;
    const float *b = B + j;
    for (int k = 0; k < K; k++, a += sk, b += N) acc += a[0] * b[0];
    float *c = C + (long)i * N + j;
    *c = accumulate ? *c + acc : acc;
}

static void gemm_strided(float *C, const float *A, const float *B, int si, int sk,
                         int M, int N, int K, int accumulate) {
    int M4 = M - M % 4, N8 = N - N % 8, N4 = N - N % 4;
    for (int i = 0; i < M4; i += 4)
        for (int j = 0; j < N8; j += 8) block_4x8(C, A, B, si, sk, N, K, i, j, accumulate);
    for (int i = 0; i < M; i++) {
        int j = i < M4 ? N8 : 0; /* rows of full 4-blocks already have columns [0, N8) */
        for (; j < N4; j += 4) block_1x4(C, A, B, si, sk, N, K, i, j, accumulate);
        for (; j < N; j++) element(C, A, B, si, sk, N, K, i, j, accumulate);
    }
}

void al_gemm_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    gemm_strided(C, A, B, K, 1, M, N, K, accumulate);
}

void al_gemm_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    gemm_strided(C, A, B, 1, M, M, N, K, accumulate);
}

void al_gemm_nt(float *C, const float *A, const float *B, float *pack, int M, int N, int K, int accumulate) {
    /* pack Bᵀ (K, N) so the columns of C are contiguous in memory; O(N·K) against O(M·N·K) */
    for (int j = 0; j < N; j++)
        for (int k = 0; k < K; k++) pack[(long)k * N + j] = B[(long)j * K + k];
    gemm_strided(C, A, pack, K, 1, M, N, K, accumulate);
}
