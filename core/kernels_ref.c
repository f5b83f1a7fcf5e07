/* core/kernels_ref.c — naive GEMM references: the contract of kernels.h in plain loops. */
#include "kernels.h"

void al_gemm_nn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += A[i * K + k] * B[k * N + j];
            C[i * N + j] = accumulate ? C[i * N + j] + acc : acc;
        }
}

void al_gemm_tn_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += A[k * M + i] * B[k * N + j];
            C[i * N + j] = accumulate ? C[i * N + j] + acc : acc;
        }
}

void al_gemm_nt_ref(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float acc = 0.0f;
            for (int k = 0; k < K; k++) acc += A[i * K + k] * B[j * K + k];
            C[i * N + j] = accumulate ? C[i * N + j] + acc : acc;
        }
}
