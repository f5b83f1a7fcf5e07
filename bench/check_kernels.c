/* bench/check_kernels.c — the fast GEMM kernels against the naive references, bit for bit
 * (memcmp), on awkward shapes, both accumulate modes, all three forms. A development check
 * beside tests/c/test_kernels.c; exits non-zero on the first mismatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../core/kernels.h"
#include "../core/rng.h"

static void fill(float *x, long n, al_rng *r) { for (long i = 0; i < n; i++) x[i] = al_rng_range(r, -1.0f, 1.0f); }

int main(void) {
    int dims[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 31, 33, 64, 100};
    int nd = sizeof dims / sizeof dims[0];
    int big[][3] = {{128, 512, 784}, {512, 784, 128}, {128, 784, 512}, {9, 1030, 1100}, {37, 13, 1500},
                    {8, 24, 1025}, {64, 10, 256}, {10, 512, 128}};
    al_rng r;
    al_rng_seed(&r, 3);
    long checked = 0;
    for (int t = 0; t < nd * nd * nd + 8; t++) {
        int M, N, K;
        if (t < nd * nd * nd) { M = dims[t % nd]; N = dims[t / nd % nd]; K = dims[t / nd / nd]; }
        else { M = big[t - nd * nd * nd][0]; N = big[t - nd * nd * nd][1]; K = big[t - nd * nd * nd][2]; }
        long sa = (long)(M > N ? M : N) * K;
        float *A = malloc(4 * sa), *B = malloc(4 * sa), *C0 = malloc(4L * M * N), *C1 = malloc(4L * M * N);
        float *pack = malloc(4L * N * K + 4);
        fill(A, sa, &r); fill(B, sa, &r);
        for (int form = 0; form < 3; form++)
            for (int acc = 0; acc < 2; acc++) {
                fill(C0, (long)M * N, &r);
                memcpy(C1, C0, 4L * M * N);
                if (form == 0) { al_gemm_nn(C0, A, B, M, N, K, acc); al_gemm_nn_ref(C1, A, B, M, N, K, acc); }
                if (form == 1) { al_gemm_nt(C0, A, B, pack, M, N, K, acc); al_gemm_nt_ref(C1, A, B, M, N, K, acc); }
                if (form == 2) { al_gemm_tn(C0, A, B, M, N, K, acc); al_gemm_tn_ref(C1, A, B, M, N, K, acc); }
                if (memcmp(C0, C1, 4L * M * N)) {
                    printf("MISMATCH form %d acc %d M %d N %d K %d\n", form, acc, M, N, K);
                    return 1;
                }
                checked++;
            }
        free(A); free(B); free(C0); free(C1); free(pack);
    }
    printf("check_kernels: %ld cases bit-identical to the references\n", checked);
    return 0;
}
