/* core/kernels.c — packed, register-blocked GEMM on 4-lane vectors (see kernels.h for the
 * contract: every C[i][j] sums k = 0..K-1 in order into one float that starts at 0, then is
 * stored, or added to C once).
 *
 * Operands are read through strides, so one driver serves the three forms:
 *   a(i, k) = A[i·si + k·sk]      A·B, A·Bᵀ: si = K, sk = 1;   Aᵀ·B: si = 1, sk = M
 *   b(k, j) = B[k·bk + j·bj]      A·B, Aᵀ·B: bk = N, bj = 1;   A·Bᵀ: bk = 1, bj = K
 * The driver walks C in column panels of NR = 8. Each panel of B (K rows of 8) is first
 * packed contiguously (k-major, 8 floats per k), so the micro-kernel streams it from L1
 * whatever N is (rows of B N floats apart map to few cache sets when N·4 is a multiple of
 * a large power of two). A·Bᵀ packs into the caller's scratch, A·B and Aᵀ·B into a bounded
 * stack buffer (K <= KC; longer K reads B in place, which is slower but the same bits).
 * The 4x8 micro-kernel keeps C's block in eight vector accumulators: each k broadcasts four
 * values of A and loads eight of B. Rows left over use a 1x8 kernel; columns left over
 * (N % 8) a 4-lane and a scalar path. Every path vectorises across j only, so each lane
 * sums over k in order: the same bits as the naive loops, in every build.
 */
#include "kernels.h"
#include "simd.h"

#define MR 4        /* rows of the register block */
#define NR 8        /* columns of the register block and of a packed panel of B */

static inline void store4(float *c, v4 acc, int accumulate) {
    if (accumulate) acc = v4_add(v4_load(c), acc);
    v4_store(c, acc);
}

/* The 4x8 block: C[0..4)[0..8) (+)= a(0..4, k) · b(k, 0..8) over k < K, b's rows ldb floats
 * apart. Two forms of the A side, both with plain pointer bumps in the loop (Emscripten
 * builds without loop strength reduction, so a k·stride product would stay in the loop):
 * rows: a(r, k) = a[r·si + k] (A·B, A·Bᵀ);  cols: a(r, k) = a[k·sk + r] (Aᵀ·B). */
#define BLOCK_4x8_STEP(x0, x1, x2, x3)                                                    \
    do {                                                                                  \
        v4 b0 = v4_load(b), b1 = v4_load(b + 4), x;                                       \
        x = v4_splat(x0); c00 = v4_add(c00, v4_mul(x, b0)); c01 = v4_add(c01, v4_mul(x, b1)); \
        x = v4_splat(x1); c10 = v4_add(c10, v4_mul(x, b0)); c11 = v4_add(c11, v4_mul(x, b1)); \
        x = v4_splat(x2); c20 = v4_add(c20, v4_mul(x, b0)); c21 = v4_add(c21, v4_mul(x, b1)); \
        x = v4_splat(x3); c30 = v4_add(c30, v4_mul(x, b0)); c31 = v4_add(c31, v4_mul(x, b1)); \
        b += ldb;                                                                         \
    } while (0)

#define BLOCK_4x8_STORE()                                                                 \
    do {                                                                                  \
        store4(c, c00, accumulate); store4(c + 4, c01, accumulate); c += ldc;             \
        store4(c, c10, accumulate); store4(c + 4, c11, accumulate); c += ldc;             \
        store4(c, c20, accumulate); store4(c + 4, c21, accumulate); c += ldc;             \
        store4(c, c30, accumulate); store4(c + 4, c31, accumulate);                       \
    } while (0)

static void kernel_4x8_rows(float *c, int ldc, const float *a, int si, const float *b, int ldb,
                            int K, int accumulate) {
    v4 c00 = v4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const float *a0 = a, *a1 = a0 + si, *a2 = a1 + si, *a3 = a2 + si;
    for (int k = 0; k < K; k++) BLOCK_4x8_STEP(a0[k], a1[k], a2[k], a3[k]);
    BLOCK_4x8_STORE();
}

static void kernel_4x8_cols(float *c, int ldc, const float *a, int sk, const float *b, int ldb,
                            int K, int accumulate) {
    v4 c00 = v4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    for (int k = 0; k < K; k++, a += sk) BLOCK_4x8_STEP(a[0], a[1], a[2], a[3]);
    BLOCK_4x8_STORE();
}

/* both operands packed: a (K, 4), b (K, 8), contiguous: constant offsets only */
static void kernel_4x8_packed(float *c, int ldc, const float *a, const float *b, int K, int accumulate) {
    v4 c00 = v4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    const int ldb = NR;
    for (int k = 0; k < K; k++, a += MR) BLOCK_4x8_STEP(a[0], a[1], a[2], a[3]);
    BLOCK_4x8_STORE();
}

/* one row: C[0][0..8) (+)= a(0, k) · b(k, 0..8) */
static void kernel_1x8(float *c, const float *a, int sk, const float *b, int ldb, int K, int accumulate) {
    v4 c0 = v4_splat(0.0f), c1 = c0;
    for (int k = 0; k < K; k++, b += ldb) {
        v4 x = v4_splat(a[(long)k * sk]);
        c0 = v4_add(c0, v4_mul(x, v4_load(b)));
        c1 = v4_add(c1, v4_mul(x, v4_load(b + 4)));
    }
    store4(c, c0, accumulate);
    store4(c + 4, c1, accumulate);
}

/* one row, four columns of B read in place: b(k, j) = B[k·bk + j·bj] */
static void row_4(float *c, const float *a, int sk, const float *B, long bk, long bj, int K, int accumulate) {
    v4 acc = v4_splat(0.0f);
    if (bj == 1) {
        for (int k = 0; k < K; k++) acc = v4_add(acc, v4_mul(v4_splat(a[(long)k * sk]), v4_load(B + k * bk)));
    } else {
        for (int k = 0; k < K; k++) {
            float t[4];
            for (int q = 0; q < 4; q++) t[q] = B[k * bk + q * bj];
            acc = v4_add(acc, v4_mul(v4_splat(a[(long)k * sk]), v4_load(t)));
        }
    }
    store4(c, acc, accumulate);
}

/* one element */
static void element(float *c, const float *a, int sk, const float *B, long bk, int K, int accumulate) {
    float acc = 0.0f;
    for (int k = 0; k < K; k++) acc += a[(long)k * sk] * B[k * bk];
    *c = accumulate ? *c + acc : acc;
}

/* p (K, 8) = b(k, j0..j0+8) */
static void pack_panel(float *p, const float *B, long bk, long bj, int K) {
    if (bj == 1) {
        for (int k = 0; k < K; k++, p += NR) {
            const float *r = B + k * bk;
            v4_store(p, v4_load(r));
            v4_store(p + 4, v4_load(r + 4));
        }
    } else {
        /* transposing: eight rows of the (N, K) operand, read along k, four k at a time as
         * two 4x4 transposes (the scalar copy took ~5% of W3's forward GEMM, ~10% at batch 32) */
        const float *r0 = B, *r1 = B + bj, *r2 = B + 2 * bj, *r3 = B + 3 * bj;
        const float *r4 = B + 4 * bj, *r5 = B + 5 * bj, *r6 = B + 6 * bj, *r7 = B + 7 * bj;
        int k = 0;
        for (; k + 4 <= K; k += 4, p += 4 * NR) {
            v4 x0 = v4_load(r0 + k), x1 = v4_load(r1 + k), x2 = v4_load(r2 + k), x3 = v4_load(r3 + k);
            v4 y0 = v4_load(r4 + k), y1 = v4_load(r5 + k), y2 = v4_load(r6 + k), y3 = v4_load(r7 + k);
            v4_transpose(&x0, &x1, &x2, &x3);
            v4_transpose(&y0, &y1, &y2, &y3);
            v4_store(p, x0); v4_store(p + 4, y0); v4_store(p + 8, x1); v4_store(p + 12, y1);
            v4_store(p + 16, x2); v4_store(p + 20, y2); v4_store(p + 24, x3); v4_store(p + 28, y3);
        }
        for (; k < K; k++, p += NR) {
            p[0] = r0[k]; p[1] = r1[k]; p[2] = r2[k]; p[3] = r3[k];
            p[4] = r4[k]; p[5] = r5[k]; p[6] = r6[k]; p[7] = r7[k];
        }
    }
}

/* Aᵀ·B's left operand, rows i0..i0+mc (mc a multiple of 4): panel q at p + q·K·4 holds
 * a(i0+4q .. i0+4q+4, k) k-major. Reads mc contiguous floats per k. */
static void pack_cols(float *p, const float *a, long sk, int K, int mc) {
    for (int k = 0; k < K; k++, a += sk)
        for (int q = 0; q < mc / MR; q++) v4_store(p + ((long)q * K + k) * MR, v4_load(a + q * MR));
}

/* The edges: rows M4..M of the column panels below N8 (1x8), then columns N8..N of every row
 * (4 lanes, then scalar). b(k, j) read in place, or from packed panels where given. */
static void edges(float *C, const float *A, long si, long sk, const float *B, long bk, long bj,
                  int M, int N, int K, int accumulate) {
    int M4 = M - M % MR, N8 = N - N % NR, N4 = N - N % 4;
    if (bj == 1)
        for (int i = M4; i < M; i++)
            for (int j = 0; j < N8; j += NR)
                kernel_1x8(C + (long)i * N + j, A + i * si, (int)sk, B + j, (int)bk, K, accumulate);
    for (int i = 0; i < M; i++) {
        const float *a = A + i * si;
        float *c = C + (long)i * N;
        int j = N8;
        for (; j < N4; j += 4) row_4(c + j, a, (int)sk, B + j * bj, bk, bj, K, accumulate);
        for (; j < N; j++) element(c + j, a, (int)sk, B + j * bj, bk, K, accumulate);
    }
}

/* A·B and A·Bᵀ: a(i, k) = A[i·si + k]. Column panels outer: a block of nc columns of B is
 * packed into bbuf (as many panels of K·8 as bcap floats hold; bcap < K·8 reads B in place,
 * only with bj == 1), then every 4-row block of A runs over it. With prepacked (room for
 * every panel, at p·K·8), the block's panels are packed there (fill: while they are about to
 * be used, so still in cache) or read from an earlier call's packing: the same micro-kernel
 * calls on the same values, so the same bits. */
static void gemm_rows(float *C, const float *A, long si, const float *B, long bk, long bj,
                      float *bbuf, long bcap, float *prepacked, int fill, int M, int N, int K, int accumulate) {
    int M4 = M - M % MR, N8 = N - N % NR;
    int packed = K > 0 && (prepacked || bcap >= (long)K * NR);
    int nc = packed ? (int)(bcap / ((long)K * NR)) * NR : NR;
    if (nc < NR) nc = NR;   /* prepacked with a small block size: one panel per block */
    if (nc > N8) nc = N8;
    for (int jc = 0; jc < N8; jc += nc) {
        int w = N8 - jc < nc ? N8 - jc : nc;
        const float *bp = B + jc * bj;   /* panel p at bp + p·pstride, rows ldb apart */
        long pstride = NR * bj;
        int ldb = (int)bk;
        if (prepacked) {   /* the panels of this block: packed now (fill), or by an earlier call */
            bp = prepacked + (long)(jc / NR) * K * NR;
            if (fill)
                for (int p = 0; p < w / NR; p++) pack_panel(prepacked + (long)(jc / NR + p) * K * NR, B + (long)(jc + p * NR) * bj, bk, bj, K);
            pstride = (long)K * NR;
            ldb = NR;
        } else if (packed) {
            for (int p = 0; p < w / NR; p++) pack_panel(bbuf + (long)p * K * NR, bp + p * NR * bj, bk, bj, K);
            bp = bbuf;
            pstride = (long)K * NR;
            ldb = NR;
        }
        for (int i = 0; i < M4; i += MR) {
            float *c = C + (long)i * N + jc;
            for (int p = 0; p < w / NR; p++, c += NR)
                kernel_4x8_rows(c, N, A + i * si, (int)si, bp + p * pstride, ldb, K, accumulate);
        }
        if (bj != 1)   /* the edge rows need B's panels packed: do them here */
            for (int i = M4; i < M; i++)
                for (int p = 0; p < w / NR; p++)
                    kernel_1x8(C + (long)i * N + jc + p * NR, A + i * si, 1, bp + p * pstride, ldb, K, accumulate);
    }
    edges(C, A, si, 1, B, bk, bj, M, N, K, accumulate);
}

/* Aᵀ·B: a(i, k) = A[k·sk + i], B (K, N) row-major. Row blocks outer: mc rows of A are packed
 * once into abuf (acap floats, 4-row panels k-major), then for each column panel of B, packed
 * into bbuf (K·8 floats), every panel of A runs over it. Without buffers (abuf NULL): in place. */
static void gemm_cols(float *C, const float *A, long sk, const float *B, float *abuf, long acap,
                      float *bbuf, int M, int N, int K, int accumulate) {
    int M4 = M - M % MR, N8 = N - N % NR;
    int mc = abuf && K > 0 ? (int)(acap / K) / MR * MR : 0;
    if (mc > 64) mc = 64;   /* keep the block of A (and a panel of B) within L1 */
    if (mc == 0) {
        for (int j = 0; j < N8; j += NR)
            for (int i = 0; i < M4; i += MR)
                kernel_4x8_cols(C + (long)i * N + j, N, A + i, (int)sk, B + j, N, K, accumulate);
    } else {
        for (int ic = 0; ic < M4; ic += mc) {
            int h = M4 - ic < mc ? M4 - ic : mc;
            pack_cols(abuf, A + ic, sk, K, h);
            for (int j = 0; j < N8; j += NR) {
                pack_panel(bbuf, B + j, N, 1, K);
                for (int q = 0; q < h / MR; q++)
                    kernel_4x8_packed(C + (long)(ic + q * MR) * N + j, N, abuf + (long)q * K * MR, bbuf, K, accumulate);
            }
        }
    }
    edges(C, A, 1, sk, B, N, 1, M, N, K, accumulate);
}

/* Stack buffers (KiB: 32 for B, 32 for A, within L1 together only partly: A·B's block of B
 * stays in L1 with four rows of A; Aᵀ·B's block of A stays in L1 with one panel of B).
 * K > BCAP / 8 reads the operands in place: the same bits, slower. */
#define BCAP 8192
#define ACAP 8192
/* Below this many rows a panel of B is used too few times to pay for packing it. */
#define PACK_MIN_M 8

void al_gemm_nn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    float bbuf[BCAP];
    gemm_rows(C, A, K, B, N, 1, bbuf, M >= PACK_MIN_M ? BCAP : 0, 0, 0, M, N, K, accumulate);
}

void al_gemm_tn(float *C, const float *A, const float *B, int M, int N, int K, int accumulate) {
    float bbuf[BCAP], abuf[ACAP];
    int pack = M >= PACK_MIN_M && (long)K * NR <= BCAP;
    gemm_cols(C, A, M, B, pack ? abuf : 0, ACAP, bbuf, M, N, K, accumulate);
}

/* A·Bᵀ packs B (N, K) transposing, in blocks of panels that stay in L2 (64K floats), at
 * least one panel */
#define NT_BLOCK 65536

void al_gemm_nt(float *C, const float *A, const float *B, float *pack, int M, int N, int K, int accumulate) {
    long cap = (long)K * N, want = NT_BLOCK;
    if (want < (long)K * NR) want = (long)K * NR;
    gemm_rows(C, A, K, B, 1, K, pack, cap < want ? cap : want, 0, 0, M, N, K, accumulate);
}

/* ---- operands packed once for many products ------------------------------------------ */

long al_pack_floats(int N, int K) { return (long)K * (N - N % NR); }

/* every full panel of 8 columns of b(k, j) = B[k·bk + j·bj], panel p at P + p·K·8 */
static void pack_all(float *P, const float *B, long bk, long bj, int N, int K) {
    for (int j = 0; j + NR <= N; j += NR, P += (long)K * NR) pack_panel(P, B + j * bj, bk, bj, K);
}

void al_pack_nt(float *P, const float *B, int N, int K) { pack_all(P, B, 1, K, N, K); }
void al_pack_nn(float *P, const float *B, int N, int K) { pack_all(P, B, N, 1, N, K); }

void al_gemm_nn_packed(float *C, const float *A, const float *B, float *P, int fill, int M, int N, int K, int accumulate) {
    gemm_rows(C, A, K, B, N, 1, 0, BCAP, P, fill, M, N, K, accumulate);
}

void al_gemm_nt_packed(float *C, const float *A, const float *B, float *P, int fill, int M, int N, int K, int accumulate) {
    gemm_rows(C, A, K, B, 1, K, 0, NT_BLOCK, P, fill, M, N, K, accumulate);
}
