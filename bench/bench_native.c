/* bench/bench_native.c — the native driver of bench_step.c: times each call with a monotonic
 * clock and prints one line of per-round milliseconds, for bench/run.mjs to read.
 *
 *   bench_native peak ITERS ROUNDS CHAINS
 *   bench_native gemm M N K FORM REPS ROUNDS
 *   bench_native step N_SIZES S0 S1 S2 S3 ACT B STEPS ROUNDS
 *   bench_native hash M N K | stephash N_SIZES S0 S1 S2 S3 ACT B STEPS
 */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double bench_peak(int chains, int iters);
int bench_gemm_setup(int M, int N, int K);
double bench_gemm(int form, int reps);
unsigned bench_gemm_hash(int form);
long bench_step_setup(int n_sizes, int s0, int s1, int s2, int s3, int act, int B);
double bench_step(int n);
unsigned bench_params_hash(void);

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: see bench/bench_native.c\n"); return 2; }
    int a[12] = {0};
    for (int i = 2; i < argc && i < 14; i++) a[i - 2] = atoi(argv[i]);
    const char *mode = argv[1];
    if (!strcmp(mode, "peak")) {
        bench_peak(a[2], a[0] / 10);   /* warm-up */
        for (int r = 0; r < a[1]; r++) {
            double t = now_ms();
            bench_peak(a[2], a[0]);
            printf("%s%.6f", r ? " " : "", now_ms() - t);
        }
    } else if (!strcmp(mode, "gemm")) {
        if (bench_gemm_setup(a[0], a[1], a[2])) return 1;
        bench_gemm(a[3], 1);
        for (int r = 0; r < a[5]; r++) {
            double t = now_ms();
            bench_gemm(a[3], a[4]);
            printf("%s%.6f", r ? " " : "", now_ms() - t);
        }
    } else if (!strcmp(mode, "step")) {
        if (bench_step_setup(a[0], a[1], a[2], a[3], a[4], a[5], a[6]) < 0) return 1;
        bench_step(a[7] > 2 ? a[7] / 2 : 1);
        for (int r = 0; r < a[8]; r++) {
            double t = now_ms();
            bench_step(a[7]);
            printf("%s%.6f", r ? " " : "", now_ms() - t);
        }
    } else if (!strcmp(mode, "hash")) {
        if (bench_gemm_setup(a[0], a[1], a[2])) return 1;
        printf("%u %u %u", bench_gemm_hash(0), bench_gemm_hash(1), bench_gemm_hash(2));
    } else if (!strcmp(mode, "stephash")) {
        if (bench_step_setup(a[0], a[1], a[2], a[3], a[4], a[5], a[6]) < 0) return 1;
        bench_step(a[7]);
        printf("%u", bench_params_hash());
    } else {
        fprintf(stderr, "unknown mode %s\n", mode);
        return 2;
    }
    printf("\n");
    return 0;
}
