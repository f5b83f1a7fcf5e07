/* bench/bench_step.c — benchmark entry points over the core's internal API.
 *
 * Compiled with the core into build/bench/bench.wasm (SIMD), bench-scalar.wasm and a native
 * binary (bench/bench_native.c drives it there). No clock in here: the caller times each call
 * (JS performance.now() around an export, clock_gettime natively), so the same C runs in all
 * three builds.
 *
 *   bench_peak(iters)                       independent f32x4 mul+add chains: the SIMD limit
 *   bench_gemm_setup(M, N, K)               operands for the three GEMM forms
 *   bench_gemm(form, reps)                  form 0: A·B (nn), 1: A·Bᵀ (nt, packs Bᵀ), 2: Aᵀ·B (tn)
 *   bench_step_setup(L+1, sizes..., act, B) an MLP, random data and class targets
 *   bench_step(n)                           n SGD training steps (zero grads, pack weights, forward,
 *                                           softmax cross-entropy, backward, sgd step)
 *   bench_accum_step(n, k)                  n steps of the accumulated run: k micro-batches of B/k
 *   bench_compare_setup(n, differ)          two vectors of n floats: equal, or b = 4·a
 *                                           (as the gradients of an unscaled mean loss, k = 4)
 *   bench_compare(reps)                     al_compare on them, reps times
 *
 * Everything is allocated in the setup calls, never in the timed calls.
 */
#include <stdlib.h>
#include "../core/accumlab.h"
#include "../core/kernels.h"
#include "../core/simd.h"
#include "../core/model.h"
#include "../core/layers.h"
#include "../core/losses.h"
#include "../core/config.h"
#include "../core/optim.h"
#include "../core/rng.h"

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#define EXPORT EMSCRIPTEN_KEEPALIVE
#else
#define EXPORT
#endif

static volatile float sink;

/* ---- peak: C independent chains c_i = c_i + a_i·b ---------------------------------------
 * The shape of a GEMM inner loop: a_i and b are loaded from L1 each step (as a GEMM loads
 * B's row and A's broadcast), every product is independent of the accumulators, so only the
 * add latency chains them, and the mul and add throughput is what is measured. How many
 * chains is best depends on the engine's register allocation (V8 allocates xmm0-15 and, with
 * its loads scheduled first, spills accumulators beyond about 6), so bench/run.mjs takes the
 * best over C = 4, 6, 8, 10, 12: the measured peak. */

static float peak_a[48 + 8 + 64];
static float *volatile peak_base = peak_a;   /* opaque: loads use base + constant offset */

#define CH(i) c##i = v4_add(c##i, v4_mul(v4_load(pa + 4 * i), b));
#define PEAK_FN(NAME, BODY, RED)                                                     \
    static void NAME(int iters) {                                                    \
        v4 z = v4_splat(0.0f), c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z;       \
        v4 c6 = z, c7 = z, c8 = z, c9 = z, c10 = z, c11 = z;                         \
        const float *base = peak_base;                                               \
        for (int i = 0; i < iters; i++) {                                            \
            const float *pa = base + (i & 1) * 4; /* varies: loads stay in the loop */  \
            v4 b = v4_load(base + 56 + ((i * 4) & 63));                              \
            BODY                                                                     \
        }                                                                            \
        v4 s = RED;                                                                  \
        float out[4];                                                                \
        v4_store(out, s);                                                            \
        sink = out[0] + out[1] + out[2] + out[3];                                    \
    }
PEAK_FN(peak4, CH(0) CH(1) CH(2) CH(3), v4_add(v4_add(c0, c1), v4_add(c2, c3)))
PEAK_FN(peak6, CH(0) CH(1) CH(2) CH(3) CH(4) CH(5),
        v4_add(v4_add(v4_add(c0, c1), v4_add(c2, c3)), v4_add(c4, c5)))
PEAK_FN(peak8, CH(0) CH(1) CH(2) CH(3) CH(4) CH(5) CH(6) CH(7),
        v4_add(v4_add(v4_add(c0, c1), v4_add(c2, c3)), v4_add(v4_add(c4, c5), v4_add(c6, c7))))
PEAK_FN(peak10, CH(0) CH(1) CH(2) CH(3) CH(4) CH(5) CH(6) CH(7) CH(8) CH(9),
        v4_add(v4_add(v4_add(v4_add(c0, c1), v4_add(c2, c3)), v4_add(v4_add(c4, c5), v4_add(c6, c7))),
               v4_add(c8, c9)))
PEAK_FN(peak12, CH(0) CH(1) CH(2) CH(3) CH(4) CH(5) CH(6) CH(7) CH(8) CH(9) CH(10) CH(11),
        v4_add(v4_add(v4_add(v4_add(c0, c1), v4_add(c2, c3)), v4_add(v4_add(c4, c5), v4_add(c6, c7))),
               v4_add(v4_add(c8, c9), v4_add(c10, c11))))

/* 8 chains as a GEMM micro-kernel on L1-resident data: each step loads a row of 8 from a
 * (64, 8) panel and broadcasts 4 values from a (64, 4) panel: 6 loads per 8 mul + 8 add.
 * The loads are what keep V8 from hoisting the products and reordering them into spills. */
static float peak_pa[64 * 4], peak_pb[64 * 8];

static void peak_kernel(int iters) {
    v4 z = v4_splat(0.0f), c0 = z, c1 = z, c2 = z, c3 = z, c4 = z, c5 = z, c6 = z, c7 = z;
    for (int i = 0; i < iters; i += 64) {
        const float *pa = peak_pa, *pb = peak_pb;
        for (int k = 0; k < 64; k++, pa += 4, pb += 8) {
            v4 b0 = v4_load(pb), b1 = v4_load(pb + 4);
            v4 a0 = v4_splat(pa[0]), a1 = v4_splat(pa[1]), a2 = v4_splat(pa[2]), a3 = v4_splat(pa[3]);
            c0 = v4_add(c0, v4_mul(a0, b0)); c1 = v4_add(c1, v4_mul(a0, b1));
            c2 = v4_add(c2, v4_mul(a1, b0)); c3 = v4_add(c3, v4_mul(a1, b1));
            c4 = v4_add(c4, v4_mul(a2, b0)); c5 = v4_add(c5, v4_mul(a2, b1));
            c6 = v4_add(c6, v4_mul(a3, b0)); c7 = v4_add(c7, v4_mul(a3, b1));
        }
    }
    v4 s = v4_add(v4_add(v4_add(c0, c1), v4_add(c2, c3)), v4_add(v4_add(c4, c5), v4_add(c6, c7)));
    float out[4];
    v4_store(out, s);
    sink = out[0] + out[1] + out[2] + out[3];
}

/* iters steps of `chains` chains (4, 6, 8, 10 or 12; 9: 8 chains as a 4x8 micro-kernel on L1 data); returns the flops done */
EXPORT double bench_peak(int chains, int iters) {
    for (int i = 0; i < 48 + 8 + 64; i++) peak_a[i] = 1e-7f * (float)(i + 1);
    switch (chains) {
    case 4: peak4(iters); break;
    case 6: peak6(iters); break;
    case 8: peak8(iters); break;
    case 9: /* the 4x8 micro-kernel form */
        for (int i = 0; i < 64 * 4; i++) peak_pa[i] = 1e-7f * (float)i;
        for (int i = 0; i < 64 * 8; i++) peak_pb[i] = 1e-7f * (float)i;
        iters = (iters + 63) / 64 * 64;
        peak_kernel(iters);
        chains = 8;
        break;
    case 10: peak10(iters); break;
    default: chains = 12; peak12(iters); break;
    }
    return (double)chains * 4.0 * 2.0 * (double)iters;   /* chains x 4 lanes x (mul + add) */
}

/* ---- GEMM ------------------------------------------------------------------------------ */

static float *gA, *gB, *gC, *gPack;
static int gM, gN, gK;

static void fill(float *x, long n, uint64_t seed) {
    al_rng r;
    al_rng_seed(&r, seed);
    for (long i = 0; i < n; i++) x[i] = al_rng_range(&r, -1.0f, 1.0f);
}

EXPORT int bench_gemm_setup(int M, int N, int K) {
    free(gA); free(gB); free(gC); free(gPack);
    long big = (long)(M > N ? M : N) * K;
    gA = malloc(sizeof(float) * big);
    gB = malloc(sizeof(float) * big);
    gC = malloc(sizeof(float) * (long)M * N);
    gPack = malloc(sizeof(float) * (long)N * K);
    if (!gA || !gB || !gC || !gPack) return -1;
    fill(gA, big, 1);
    fill(gB, big, 2);
    gM = M; gN = N; gK = K;
    return 0;
}

EXPORT double bench_gemm(int form, int reps) {
    for (int r = 0; r < reps; r++) {
        switch (form) {
        case 0: al_gemm_nn(gC, gA, gB, gM, gN, gK, 0); break;          /* A (M,K) · B (K,N) */
        case 1: al_gemm_nt(gC, gA, gB, gPack, gM, gN, gK, 0); break;   /* A (M,K) · B (N,K)ᵀ */
        case 2: al_gemm_tn(gC, gA, gB, gM, gN, gK, 1); break;          /* A (K,M)ᵀ · B (K,N), += */
        default: al_gemm_tn(gC, gA, gB, gM, gN, gK, 0); break;         /* the same, = */
        }
    }
    sink = gC[0];
    return 2.0 * gM * gN * gK * (double)reps;
}

/* The bits of C after one call of each form, for checking builds against each other. */
EXPORT unsigned bench_gemm_hash(int form) {
    switch (form) {
    case 0: al_gemm_nn(gC, gA, gB, gM, gN, gK, 0); break;
    case 1: al_gemm_nt(gC, gA, gB, gPack, gM, gN, gK, 0); break;
    default: al_gemm_nn(gC, gA, gB, gM, gN, gK, 0); al_gemm_tn(gC, gA, gB, gM, gN, gK, 1); break;
    }
    unsigned h = 2166136261u;
    const unsigned char *p = (const unsigned char *)gC;
    for (long i = 0; i < 4L * gM * gN; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* ---- training step --------------------------------------------------------------------- */

static al_model sM;
static al_acts sActs;
static al_config sCfg;
static al_optim_state sOpt;
static float *sParams, *sGrads, *sActMem, *sX, *sT, *sDy;
static int sB;

EXPORT long bench_step_setup(int n_sizes, int s0, int s1, int s2, int s3, int act, int B) {
    int sizes[4] = {s0, s1, s2, s3};
    float dropout[AL_MAX_LAYERS] = {0};
    free(sParams); free(sGrads); free(sActMem); free(sX); free(sT); free(sDy);
    long P = al_model_layout(&sM, sizes, n_sizes, act ? AL_ACT_TANH : AL_ACT_RELU, AL_NORM_NONE, dropout);
    int IN = sizes[0], OUT = sizes[n_sizes - 1];
    sParams = malloc(sizeof(float) * P);
    sGrads = malloc(sizeof(float) * P);
    sActMem = malloc(sizeof(float) * al_acts_floats(&sM, B));
    sX = malloc(sizeof(float) * (long)B * IN);
    sT = malloc(sizeof(float) * B);
    sDy = malloc(sizeof(float) * (long)B * OUT);
    if (!sParams || !sGrads || !sActMem || !sX || !sT || !sDy) return -1;
    al_acts_bind(&sActs, &sM, B, sActMem);
    al_model_init(sParams, &sM, 1);
    al_config_defaults(&sCfg);
    sCfg.optimizer.lr = 0.01;
    sOpt.buf1 = sOpt.buf2 = 0;
    sOpt.t = 0;
    al_rng r;
    al_rng_seed(&r, 7);
    for (long i = 0; i < (long)B * IN; i++) sX[i] = al_rng_range(&r, -1.0f, 1.0f);
    for (int s = 0; s < B; s++) sT[s] = (float)al_rng_below(&r, (uint32_t)OUT);
    sB = B;
    return P;
}

/* n training steps on the same batch; returns the last loss (mean over the batch) */
EXPORT double bench_step(int n) {
    int OUT = sM.sizes[sM.L];
    double S = 0.0;
    al_mask_source ms = {AL_RNG_STREAM, 0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        al_zero(sGrads, sM.P);
        al_model_repack(&sActs, &sM, 1);   /* one pass: packed into scratch, as the experiment */
        const float *y = al_model_forward(&sActs, 0, &ms, sX, sParams, &sM, sB);
        S = al_loss_forward_backward(sDy, sActs.scratch, y, sT, 0, AL_LOSS_CROSS_ENTROPY,
                                     1.0f / (float)sB, sB, OUT, 1);
        al_model_backward(sGrads, &sActs, sDy, sX, sParams, &sM, sB);
        al_optim_step(sParams, sGrads, &sOpt, &sCfg.optimizer, sCfg.optimizer.lr, sM.P);
    }
    return S / sB;
}

/* n optimizer steps of the accumulated run on the batch of bench_step_setup: weights packed
 * once per step, then k micro-batches of B/k samples, each backward adding into the
 * gradients, then one sgd step (the loss scaled by 1/B, as the scale_loss correction) */
EXPORT double bench_accum_step(int n, int k) {
    int OUT = sM.sizes[sM.L], IN = sM.sizes[0], m = sB / k;
    double S = 0.0;
    al_mask_source ms = {AL_RNG_STREAM, 0, 0, 0, 0};
    for (int i = 0; i < n; i++) {
        al_zero(sGrads, sM.P);
        al_model_repack(&sActs, &sM, k);   /* k passes: packed once, as the experiment */
        for (int j = 0; j < k; j++) {
            const float *x = sX + (long)j * m * IN;
            const float *y = al_model_forward(&sActs, 0, &ms, x, sParams, &sM, m);
            S = al_loss_forward_backward(sDy, sActs.scratch, y, sT + j * m, 0, AL_LOSS_CROSS_ENTROPY,
                                         1.0f / (float)sB, m, OUT, 1);
            al_model_backward(sGrads, &sActs, sDy, x, sParams, &sM, m);
        }
        al_optim_step(sParams, sGrads, &sOpt, &sCfg.optimizer, sCfg.optimizer.lr, sM.P);
    }
    return S;
}

/* The bits of the parameters, for checking builds against each other. */
EXPORT unsigned bench_params_hash(void) {
    unsigned h = 2166136261u;
    const unsigned char *p = (const unsigned char *)sParams;
    for (long i = 0; i < 4L * sM.P; i++) h = (h ^ p[i]) * 16777619u;
    return h;
}

/* ---- the comparison ------------------------------------------------------------------------ */

static float *cA, *cB;
static long cN;

EXPORT int bench_compare_setup(long n, int differ) {
    free(cA); free(cB);
    cA = malloc(sizeof(float) * n);
    cB = malloc(sizeof(float) * n);
    if (!cA || !cB) return -1;
    fill(cB, n, 3);
    for (long i = 0; i < n; i++) cA[i] = differ ? 4.0f * cB[i] : cB[i];
    cN = n;
    return 0;
}

#ifdef __wasm_simd128__
void probe_compare_f32(double out[8], uint32_t *ulp_out, const float *a, const float *b, long n);

/* bench/compare_f32_probe.c on the vectors of bench_compare_setup (n rounded down to 32) */
EXPORT double bench_compare_f32_probe(int reps) {
    double out[8] = {0};
    uint32_t ulp = 0;
    for (int r = 0; r < reps; r++) probe_compare_f32(out, &ulp, cA, cB, cN & ~31L);
    sink = (float)out[0];
    return out[7] + ulp;
}
#endif

EXPORT double bench_compare(int reps) {
    al_metrics m;
    for (int r = 0; r < reps; r++) al_compare(&m, cA, cB, cN, 1e-5, 1e-8);
    sink = (float)m.cosine;
    return m.scale;
}
