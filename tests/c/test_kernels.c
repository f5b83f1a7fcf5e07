/* tests/c/test_kernels.c — the packed GEMM kernels against the naive references, bit for bit,
 * and the references against a double-precision product.
 *
 * Shapes (M,N,K): each triple below is permuted six ways and run through all three forms
 * (nn, tn, nt), with accumulate 0 and 1. Values are seeded uniforms in [-1, 1) (negatives
 * included), C starts from seeded garbage so accumulate = 0 must overwrite it. Guard floats
 * around C check that nothing outside it is written, and A, B must come back unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "rng.h"

static const int SHAPES[][3] = {
    {1, 1, 1}, {3, 5, 7}, {4, 8, 1}, {5, 9, 3}, {13, 17, 19}, {33, 31, 65}, {64, 64, 64}, {128, 10, 256},
    {9, 17, 1100}, /* K·8 > 8192: the A·B and Aᵀ·B paths that read B in place */
};
#define NSHAPES ((int)(sizeof SHAPES / sizeof SHAPES[0]))
static const int PERMS[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
#define GUARD 16
#define GUARD_VALUE 12345.678f

enum { NN, TN, NT };
static const char *FORM[] = {"nn", "tn", "nt"};

static void fill(float *x, long n, al_rng *r) {
    for (long i = 0; i < n; i++) x[i] = al_rng_range(r, -1.0f, 1.0f);
}

/* a(i,k) and b(k,j) of each form, for the double-precision product */
static double a_at(int form, const float *A, int i, int k, int M, int K) {
    return form == TN ? A[(long)k * M + i] : A[(long)i * K + k];
}
static double b_at(int form, const float *B, int k, int j, int N, int K) {
    return form == NT ? B[(long)j * K + k] : B[(long)k * N + j];
}

static void run_fast(int form, float *C, const float *A, const float *B, float *pack, int M, int N, int K, int acc) {
    if (form == NN) al_gemm_nn(C, A, B, M, N, K, acc);
    else if (form == TN) al_gemm_tn(C, A, B, M, N, K, acc);
    else al_gemm_nt(C, A, B, pack, M, N, K, acc);
}
static void run_ref(int form, float *C, const float *A, const float *B, int M, int N, int K, int acc) {
    if (form == NN) al_gemm_nn_ref(C, A, B, M, N, K, acc);
    else if (form == TN) al_gemm_tn_ref(C, A, B, M, N, K, acc);
    else al_gemm_nt_ref(C, A, B, M, N, K, acc);
}

/* Runs one (form, M, N, K, accumulate): returns 1 if fast == ref bit for bit, guards intact,
 * inputs untouched. */
static int fast_equals_ref(int form, int M, int N, int K, int acc, uint64_t seed) {
    long na = (long)M * K, nb = (long)K * N, nc = (long)M * N;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *A0 = malloc(sizeof(float) * na), *B0 = malloc(sizeof(float) * nb);
    float *Cf = malloc(sizeof(float) * (nc + 2 * GUARD)), *Cr = malloc(sizeof(float) * nc);
    float *pack = malloc(sizeof(float) * (nb + GUARD));
    al_rng r;
    al_rng_seed(&r, seed);
    fill(A, na, &r);
    fill(B, nb, &r);
    memcpy(A0, A, sizeof(float) * na);
    memcpy(B0, B, sizeof(float) * nb);
    for (int g = 0; g < GUARD; g++) { Cf[g] = GUARD_VALUE; Cf[GUARD + nc + g] = GUARD_VALUE; pack[nb + g] = GUARD_VALUE; }
    float *C = Cf + GUARD;
    fill(C, nc, &r); /* garbage (accumulate 0) or the values to add to (accumulate 1) */
    memcpy(Cr, C, sizeof(float) * nc);
    run_fast(form, C, A, B, pack, M, N, K, acc);
    run_ref(form, Cr, A, B, M, N, K, acc);
    int ok = memcmp(C, Cr, sizeof(float) * nc) == 0;
    if (!ok) {
        for (long i = 0; i < nc; i++)
            if (memcmp(&C[i], &Cr[i], sizeof(float)) != 0) {
                fprintf(stderr, "    gemm_%s %dx%dx%d acc %d: C[%ld] fast %.9g ref %.9g\n", FORM[form], M, N, K, acc, i,
                        C[i], Cr[i]);
                break;
            }
    }
    for (int g = 0; g < GUARD; g++)
        if (Cf[g] != GUARD_VALUE || Cf[GUARD + nc + g] != GUARD_VALUE || pack[nb + g] != GUARD_VALUE) {
            fprintf(stderr, "    gemm_%s %dx%dx%d acc %d: wrote outside C or pack\n", FORM[form], M, N, K, acc);
            ok = 0;
            break;
        }
    if (memcmp(A, A0, sizeof(float) * na) != 0 || memcmp(B, B0, sizeof(float) * nb) != 0) {
        fprintf(stderr, "    gemm_%s %dx%dx%d acc %d: changed an input\n", FORM[form], M, N, K, acc);
        ok = 0;
    }
    free(A); free(B); free(A0); free(B0); free(Cf); free(Cr); free(pack);
    return ok;
}

TEST(packed_gemm_equals_naive_reference_bit_for_bit_on_awkward_shapes) {
    int runs = 0, failures = 0;
    for (int s = 0; s < NSHAPES; s++)
        for (int p = 0; p < 6; p++) {
            int M = SHAPES[s][PERMS[p][0]], N = SHAPES[s][PERMS[p][1]], K = SHAPES[s][PERMS[p][2]];
            for (int form = 0; form < 3; form++)
                for (int acc = 0; acc < 2; acc++) {
                    uint64_t seed = 1000u * (uint64_t)s + 100u * (uint64_t)p + 10u * (uint64_t)form + (uint64_t)acc;
                    runs++;
                    if (!fast_equals_ref(form, M, N, K, acc, seed)) failures++;
                }
        }
    CHECK(failures == 0, "%d of %d runs differ from the reference", failures, runs);
    CHECK(runs == NSHAPES * 6 * 3 * 2, "ran %d", runs);
}

/* The weights packed once per optimizer step give the bits of packing on every call: the
 * first product of a step packs B into P as it goes (fill 1), the next ones (the k
 * micro-batches of a step: different A, the same B) read P (fill 0); P then holds what
 * al_pack_nt / al_pack_nn give, and nothing past it is written. */
static int packed_once_equals_every_call(int form, int M, int N, int K, int acc, uint64_t seed) {
    long na = (long)M * K, nb = (long)K * N, nc = (long)M * N, np = al_pack_floats(N, K);
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb), *B0 = malloc(sizeof(float) * nb);
    float *C0 = malloc(sizeof(float) * nc), *C1 = malloc(sizeof(float) * nc), *C2 = malloc(sizeof(float) * nc);
    float *scratch = malloc(sizeof(float) * nb), *P = malloc(sizeof(float) * (np + GUARD));
    float *Q = malloc(sizeof(float) * (np + 1));
    al_rng r;
    al_rng_seed(&r, seed);
    fill(B, nb, &r);
    fill(P, np, &r); /* garbage: the first call must pack over it */
    memcpy(B0, B, sizeof(float) * nb);
    for (int g = 0; g < GUARD; g++) P[np + g] = GUARD_VALUE;
    int ok = np == (long)K * (N - N % 8);
    for (int micro = 0; micro < 3; micro++) {
        fill(A, na, &r);
        fill(C0, nc, &r);
        memcpy(C1, C0, sizeof(float) * nc);
        memcpy(C2, C0, sizeof(float) * nc);
        if (form == NT) {
            al_gemm_nt(C0, A, B, scratch, M, N, K, acc);
            al_gemm_nt_packed(C1, A, B, P, micro == 0, M, N, K, acc);
            al_gemm_nt_ref(C2, A, B, M, N, K, acc);
        } else {
            al_gemm_nn(C0, A, B, M, N, K, acc);
            al_gemm_nn_packed(C1, A, B, P, micro == 0, M, N, K, acc);
            al_gemm_nn_ref(C2, A, B, M, N, K, acc);
        }
        if (memcmp(C0, C1, sizeof(float) * nc) != 0 || memcmp(C1, C2, sizeof(float) * nc) != 0) {
            fprintf(stderr, "    gemm_%s_packed %dx%dx%d acc %d micro %d: differs\n", FORM[form], M, N, K, acc, micro);
            ok = 0;
        }
    }
    if (form == NT) al_pack_nt(Q, B, N, K);
    else al_pack_nn(Q, B, N, K);
    if (K > 0 && M > 0 && memcmp(P, Q, sizeof(float) * np) != 0) {
        fprintf(stderr, "    gemm_%s_packed %dx%dx%d: the panels differ from al_pack_%s\n", FORM[form], M, N, K, FORM[form]);
        ok = 0;
    }
    for (int g = 0; g < GUARD; g++) ok &= P[np + g] == GUARD_VALUE;
    ok &= memcmp(B, B0, sizeof(float) * nb) == 0;
    free(A); free(B); free(B0); free(C0); free(C1); free(C2); free(scratch); free(P); free(Q);
    return ok;
}

TEST(weights_packed_once_give_the_bits_of_packing_every_call) {
    int runs = 0, failures = 0;
    for (int s = 0; s < NSHAPES; s++)
        for (int p = 0; p < 6; p++) {
            int M = SHAPES[s][PERMS[p][0]], N = SHAPES[s][PERMS[p][1]], K = SHAPES[s][PERMS[p][2]];
            for (int form = NN; form <= NT; form += NT - NN)
                for (int acc = 0; acc < 2; acc++) {
                    runs++;
                    if (!packed_once_equals_every_call(form, M, N, K, acc, 7000u + 100u * (uint64_t)s + 10u * (uint64_t)p + (uint64_t)acc))
                        failures++;
                }
        }
    /* the shapes of the lab's layers at micro-batch 8: W2 and W3 */
    static const int LAB[][3] = {{8, 256, 64}, {8, 256, 256}, {8, 10, 256}, {8, 64, 256}, {8, 512, 784}, {8, 784, 512}};
    for (int i = 0; i < 6; i++)
        for (int form = NN; form <= NT; form += NT - NN) {
            runs++;
            if (!packed_once_equals_every_call(form, LAB[i][0], LAB[i][1], LAB[i][2], 0, 9000u + (uint64_t)i)) failures++;
        }
    CHECK(failures == 0, "%d of %d runs differ", failures, runs);
    CHECK(runs == NSHAPES * 6 * 2 * 2 + 12, "ran %d", runs);
}

/* The references themselves: each C[i][j] within 1e-5 of the double product, relative to
 * Σ_k |a(i,k) b(k,j)| (+ |C0| when accumulating): a float sum of K terms in order is within
 * about K·2^-24 of that scale in the worst case, far less in practice, while an index error
 * (a transposed operand, a wrong stride) is off by the scale itself. */
static double ref_error(int form, int M, int N, int K, int acc, uint64_t seed) {
    long na = (long)M * K, nb = (long)K * N, nc = (long)M * N;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * nb);
    float *C = malloc(sizeof(float) * nc), *C0 = malloc(sizeof(float) * nc);
    al_rng r;
    al_rng_seed(&r, seed);
    fill(A, na, &r);
    fill(B, nb, &r);
    fill(C, nc, &r);
    memcpy(C0, C, sizeof(float) * nc);
    run_ref(form, C, A, B, M, N, K, acc);
    double worst = 0.0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double sum = acc ? C0[(long)i * N + j] : 0.0, mag = acc ? fabs(C0[(long)i * N + j]) : 0.0;
            for (int k = 0; k < K; k++) {
                double t = a_at(form, A, i, k, M, K) * b_at(form, B, k, j, N, K);
                sum += t;
                mag += fabs(t);
            }
            double e = fabs(C[(long)i * N + j] - sum) / (mag > 0 ? mag : 1.0);
            if (e > worst) worst = e;
        }
    free(A); free(B); free(C); free(C0);
    return worst;
}

TEST(naive_references_match_a_double_precision_product) {
    for (int s = 0; s < NSHAPES; s++)
        for (int p = 0; p < 6; p += 3) {
            int M = SHAPES[s][PERMS[p][0]], N = SHAPES[s][PERMS[p][1]], K = SHAPES[s][PERMS[p][2]];
            for (int form = 0; form < 3; form++)
                for (int acc = 0; acc < 2; acc++) {
                    double e = ref_error(form, M, N, K, acc, 77 + 10u * (uint64_t)s + (uint64_t)form);
                    CHECK(e <= 1e-5, "gemm_%s_ref %dx%dx%d acc %d: relative error %.3g", FORM[form], M, N, K, acc, e);
                }
        }
}

/* A known product by hand, so the reference is right in its layout, not only self-consistent:
 * A (2,3) = [[1,2,3],[4,5,6]], B (3,2) = [[7,8],[9,10],[11,12]]: A·B = [[58,64],[139,154]]. */
TEST(a_product_by_hand_in_all_three_layouts) {
    const float A[6] = {1, 2, 3, 4, 5, 6}, At[6] = {1, 4, 2, 5, 3, 6};
    const float B[6] = {7, 8, 9, 10, 11, 12}, Bt[6] = {7, 9, 11, 8, 10, 12};
    const float want[4] = {58, 64, 139, 154};
    float C[4], pack[6];
    for (int acc = 0; acc < 2; acc++) {
        float base = acc ? 0.5f : 99.0f;
        float c[4];
        for (int form = 0; form < 3; form++)
            for (int fast = 0; fast < 2; fast++) {
                for (int i = 0; i < 4; i++) C[i] = base;
                const float *a = form == TN ? At : A, *b = form == NT ? Bt : B;
                if (fast) run_fast(form, C, a, b, pack, 2, 2, 3, acc);
                else run_ref(form, C, a, b, 2, 2, 3, acc);
                for (int i = 0; i < 4; i++) c[i] = want[i] + (acc ? base : 0.0f);
                CHECK(memcmp(C, c, sizeof C) == 0, "gemm_%s%s acc %d: [%g %g %g %g]", FORM[form], fast ? "" : "_ref", acc,
                      C[0], C[1], C[2], C[3]);
            }
    }
}

/* The summation order is the contract: with values where order matters (1e8, 1, -1e8 in
 * float), the result is the in-order float sum, not the exact one. */
TEST(each_entry_sums_k_in_order_into_one_float) {
    const float A[3] = {1e8f, 1.0f, -1e8f}, B[3] = {1.0f, 1.0f, 1.0f};
    float C = 7.0f, pack[3];
    float inorder = (1e8f + 1.0f) + -1e8f; /* 0 in float: the 1 is lost */
    al_gemm_nn(&C, A, B, 1, 1, 3, 0);
    CHECK(C == inorder, "nn: %g, in-order float sum %g", C, inorder);
    al_gemm_nt(&C, A, B, pack, 1, 1, 3, 0);
    CHECK(C == inorder, "nt: %g", C);
    al_gemm_tn(&C, A, B, 1, 1, 3, 0);
    CHECK(C == inorder, "tn: %g", C);
    CHECK(inorder == 0.0f, "the test's premise: float loses the 1 (%g)", inorder);
    /* accumulate adds the finished sum once: 0.25 + (sum) rather than folding 0.25 in first */
    const float A2[2] = {1e8f, -1e8f}, B2[2] = {1.0f, 1.0f};
    C = 0.25f;
    al_gemm_nn(&C, A2, B2, 1, 1, 2, 1);
    CHECK(C == 0.25f, "accumulate: %g (0.25 + 0)", C);
}

int main(void) {
    RUN(packed_gemm_equals_naive_reference_bit_for_bit_on_awkward_shapes);
    RUN(weights_packed_once_give_the_bits_of_packing_every_call);
    RUN(naive_references_match_a_double_precision_product);
    RUN(a_product_by_hand_in_all_three_layouts);
    RUN(each_entry_sums_k_in_order_into_one_float);
    return check_summary("kernels");
}
