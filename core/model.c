/* core/model.c — the MLP's layout, initialisation, forward and backward (see model.h). */
#include <math.h>
#include "model.h"
#include "simd.h" /* and wasm_simd128.h in the SIMD build */
#include "kernels.h"
#include "layers.h"

long al_model_layout(al_model *m, const int *sizes, int n_sizes, al_activation act, al_norm norm,
                     const float *dropout) {
    m->L = n_sizes - 1;
    m->act = act;
    m->norm = norm;
    m->max_width = 0;
    long off = 0;
    for (int i = 0; i < n_sizes; i++) {
        m->sizes[i] = sizes[i];
        if (sizes[i] > m->max_width) m->max_width = sizes[i];
    }
    for (int l = 0; l < m->L; l++) {
        int in = sizes[l], out = sizes[l + 1], hidden = l < m->L - 1;
        m->w[l] = off; off += (long)out * in;
        m->b[l] = off; off += out;
        m->gamma[l] = m->beta[l] = -1;
        if (hidden && norm != AL_NORM_NONE) {
            m->gamma[l] = off; off += out;
            m->beta[l] = off; off += out;
        }
        m->dropout[l] = hidden ? dropout[l] : 0.0f;
    }
    m->P = off;
    return off;
}

/* the packed weights: every layer's for the forward, layers l >= 1 for the backward's din */
static long packs_floats(const al_model *m) {
    long n = 0;
    for (int l = 0; l < m->L; l++) {
        n += al_pack_floats(m->sizes[l + 1], m->sizes[l]);
        if (l > 0) n += al_pack_floats(m->sizes[l], m->sizes[l + 1]);
    }
    return n;
}

long al_acts_floats(const al_model *m, int B) {
    long n = 0;
    for (int l = 0; l < m->L; l++) {
        long bh = (long)B * m->sizes[l + 1];
        n += bh;                                          /* z */
        if (l == m->L - 1) continue;
        if (m->norm != AL_NORM_NONE) n += 2 * bh + (B > m->sizes[l + 1] ? B : m->sizes[l + 1]); /* xhat, n, rstd */
        n += bh;                                          /* a */
        if (m->dropout[l] > 0.0f) n += 2 * bh;            /* mask, d */
    }
    return n + 2L * B * m->max_width + packs_floats(m) + 3L * m->max_width;
}

void al_acts_bind(al_acts *a, const al_model *m, int B, float *mem) {
    for (int l = 0; l < m->L; l++) {
        long bh = (long)B * m->sizes[l + 1];
        a->z[l] = mem; mem += bh;
        a->xhat[l] = a->rstd[l] = a->n[l] = a->a[l] = a->mask[l] = a->d[l] = 0;
        if (l == m->L - 1) continue;
        a->n[l] = a->z[l];
        if (m->norm != AL_NORM_NONE) {
            a->xhat[l] = mem; mem += bh;
            a->n[l] = mem; mem += bh;
            a->rstd[l] = mem; mem += B > m->sizes[l + 1] ? B : m->sizes[l + 1];
        }
        a->a[l] = mem; mem += bh;
        a->d[l] = a->a[l];
        if (m->dropout[l] > 0.0f) {
            a->mask[l] = mem; mem += bh;
            a->d[l] = mem; mem += bh;
        }
    }
    a->g0 = mem; mem += (long)B * m->max_width;
    a->g1 = mem; mem += (long)B * m->max_width;
    for (int l = 0; l < m->L; l++) {
        a->wt[l] = mem; mem += al_pack_floats(m->sizes[l + 1], m->sizes[l]);
        a->wp[l] = 0;
        if (l > 0) { a->wp[l] = mem; mem += al_pack_floats(m->sizes[l], m->sizes[l + 1]); }
        a->wt_packed[l] = a->wp_packed[l] = 0;
    }
    a->keep_packs = 0; /* until al_model_repack says otherwise: pack in every GEMM */
    a->scratch = mem;
}

void al_model_init(float *params, const al_model *m, uint64_t seed) {
    al_rng r;
    al_rng_stream(&r, seed, AL_STREAM_INIT);
    for (int l = 0; l < m->L; l++) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        float bound = 1.0f / sqrtf((float)in);
        for (long i = 0; i < (long)out * in; i++) params[m->w[l] + i] = al_rng_range(&r, -bound, bound);
        for (int i = 0; i < out; i++) params[m->b[l] + i] = al_rng_range(&r, -bound, bound);
        if (m->gamma[l] >= 0)
            for (int i = 0; i < out; i++) { params[m->gamma[l] + i] = 1.0f; params[m->beta[l] + i] = 0.0f; }
    }
}

static void draw_masks(float *mask, const al_mask_source *ms, int layer, float p, int B, int H) {
    float keep_scale = 1.0f / (1.0f - p);
    int stream = 0, rows_left = ms->n_streams > 1 ? ms->stream_rows[0] : B;
    for (int s = 0; s < B; s++) {
        /* each replica's rows from its own generator, in its own call order */
        while (rows_left == 0 && stream + 1 < ms->n_streams) rows_left = ms->stream_rows[++stream];
        rows_left--;
        for (int h = 0; h < H; h++) {
            float u = ms->mode == AL_RNG_STREAM
                          ? al_rng_uniform(&ms->stream[stream])
                          : al_keyed_uniform(ms->seed, (uint64_t)ms->step, (uint64_t)layer,
                                             (uint64_t)ms->sample_ids[s], (uint64_t)h);
            mask[(long)s * H + h] = u < p ? 0.0f : keep_scale;
        }
    }
}

void al_model_repack(al_acts *A, const al_model *m, int passes) {
    for (int l = 0; l < m->L; l++) A->wt_packed[l] = A->wp_packed[l] = 0;
    A->keep_packs = passes > 1;
}

/* how a layer gets its panels this pass (see layers.h) */
static int pack_mode(const al_acts *A, int packed) {
    return !A->keep_packs ? AL_PACK_SCRATCH : packed ? AL_PACK_READY : AL_PACK_FILL;
}

const float *al_model_forward(al_acts *A, float *running, const al_mask_source *ms,
                              const float *x, const float *params, const al_model *m, int B) {
    const float *in = x;
    for (int l = 0; l < m->L; l++) {
        int IN = m->sizes[l], H = m->sizes[l + 1];
        long n = (long)B * H;
        al_linear_forward(A->z[l], in, params + m->w[l], A->wt[l], pack_mode(A, A->wt_packed[l]), params + m->b[l], B, IN, H);
        A->wt_packed[l] = 1;
        if (l == m->L - 1) break;
        if (m->norm == AL_NORM_BATCH) {
            float *rm = running + (long)l * 2 * m->max_width, *rv = rm + m->max_width;
            al_batchnorm_forward(A->n[l], A->xhat[l], A->rstd[l], rm, rv, A->z[l],
                                 params + m->gamma[l], params + m->beta[l], B, H);
        } else if (m->norm == AL_NORM_LAYER) {
            al_layernorm_forward(A->n[l], A->xhat[l], A->rstd[l], A->z[l],
                                 params + m->gamma[l], params + m->beta[l], B, H);
        }
        al_activation_forward(A->a[l], A->n[l], m->act, n);
        if (m->dropout[l] > 0.0f) {
            draw_masks(A->mask[l], ms, l, m->dropout[l], B, H);
            al_dropout_forward(A->d[l], A->a[l], A->mask[l], n);
        }
        in = A->d[l];
    }
    return A->z[m->L - 1];
}

/* ---- the same point's rows in the reference's backward --------------------------------
 * With every nonzero magnitude of a layer's gradient, its weights and its pre-activation
 * gradient in [2^-60, 2^51) and c in [2^-6, 2^6], every product of the chain (dout·w, the
 * dropout scale <= 10, tanh' in {0} ∪ [2^-24, 1]) and c times it lies in the normal range,
 * and sums of at most 4096 of them (multiples of 2^-149·c) neither overflow nor round where
 * they are subnormal: multiplying by the power of two c commutes with every rounding. */
#define SCALE_LO 0x1p-60f
#define SCALE_HI 0x1p51f

/* 1 if every |x| is 0 or in [SCALE_LO, SCALE_HI) (inf and NaN are not): four at a time in
 * the SIMD build, float compares (V8 has no unsigned lane compare to do it on the bits). */
static int scales_exactly(const float *x, long n) {
    long i = 0;
    int ok = 1;
#if defined(__wasm_simd128__)
    const v128_t mask = wasm_i32x4_splat(0x7fffffff), lo = wasm_f32x4_splat(SCALE_LO), hi = wasm_f32x4_splat(SCALE_HI);
    const v128_t zero = wasm_f32x4_splat(0.0f);
    v128_t all = wasm_i32x4_splat(-1);
    for (; i + 4 <= n; i += 4) {
        v128_t a = wasm_v128_and(wasm_v128_load(x + i), mask);
        all = wasm_v128_and(all, wasm_v128_or(wasm_f32x4_eq(a, zero), wasm_v128_and(wasm_f32x4_ge(a, lo), wasm_f32x4_lt(a, hi))));
    }
    ok = wasm_i32x4_all_true(all);
#endif
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        ok &= a == 0.0f || (a >= SCALE_LO && a < SCALE_HI);
    }
    return ok;
}

/* Segment by segment, its rows of dout (times c where scale, in tmp: rows·OUT floats free)
 * into dw, db of layer l, as its own backward would add them. */
static void segments_backward(al_scaled_segments *sp, al_acts *A, const float *dout, int scale, float *tmp,
                              const float *in, const al_model *m, int l) {
    int IN = m->sizes[l], OUT = m->sizes[l + 1];
    for (int j = 0, o = 0; j < sp->n_seg; o += sp->rows[j++]) {
        int rows = sp->rows[j];
        if (!rows) continue;
        const float *d = dout + (long)o * OUT;
        if (scale && sp->c[j] != 1.0f) {
            long n = (long)rows * OUT, n4 = n - n % 4, i = 0;
            v4 c4 = v4_splat(sp->c[j]);
            for (; i < n4; i += 4) v4_store(tmp + i, v4_mul(c4, v4_load(d + i)));
            for (; i < n; i++) tmp[i] = sp->c[j] * d[i];
            d = tmp;
        }
        al_linear_backward(0, sp->grads + m->w[l], sp->grads + m->b[l], A->scratch, d, in + (long)o * IN,
                           0, 0, AL_PACK_SCRATCH, rows, IN, OUT);
    }
}

void al_model_backward(float *grads, al_acts *A, const float *dy, const float *x,
                       const float *params, const al_model *m, int B) {
    al_model_backward_with(grads, A, dy, x, params, m, B, 0);
}

void al_model_backward_with(float *grads, al_acts *A, const float *dy, const float *x,
                            const float *params, const al_model *m, int B, al_scaled_segments *sp) {
    int scaled = 0; /* some c != 1: the magnitudes bound the roundings */
    for (int j = 0; sp && j < sp->n_seg; j++) scaled |= sp->c[j] != 1.0f;
    const float *dout = dy;
    float *bufs[2] = {A->g0, A->g1};
    int which = 0;
    for (int l = m->L - 1; l >= 0; l--) {
        int IN = m->sizes[l];
        const float *in = l == 0 ? x : A->d[l - 1];
        float *din = l == 0 ? 0 : bufs[which];
        if (sp && sp->ok) {
            /* the top layer from the loop's own loss gradient; below it, c·dout (checked above),
             * scaled into the buffer this layer's din is about to fill */
            if (l == m->L - 1) segments_backward(sp, A, sp->sdy, 0, bufs[which], in, m, l);
            else segments_backward(sp, A, dout, 1, bufs[which], in, m, l);
            if (scaled && din)
                sp->ok = scales_exactly(dout, (long)B * m->sizes[l + 1]) && scales_exactly(params + m->w[l], (long)IN * m->sizes[l + 1]);
        }
        al_linear_backward(din, grads + m->w[l], grads + m->b[l], A->scratch, dout, in,
                           params + m->w[l], A->wp[l], pack_mode(A, A->wp_packed[l]), B, IN, m->sizes[l + 1]);
        if (din) A->wp_packed[l] = 1;
        if (l == 0) break;
        if (sp && sp->ok && scaled) sp->ok = scales_exactly(din, (long)B * IN);
        /* din is ∂/∂(output of hidden layer l-1): undo dropout, activation, norm in place */
        int h = l - 1, H = IN;
        long n = (long)B * H;
        if (m->dropout[h] > 0.0f) al_dropout_backward(din, din, A->mask[h], n);
        al_activation_backward(din, din, A->n[h], A->a[h], m->act, n);
        if (m->norm == AL_NORM_BATCH)
            al_batchnorm_backward(din, grads + m->gamma[h], grads + m->beta[h], A->scratch, din,
                                  A->xhat[h], A->rstd[h], params + m->gamma[h], B, H);
        else if (m->norm == AL_NORM_LAYER)
            al_layernorm_backward(din, grads + m->gamma[h], grads + m->beta[h], A->scratch, din,
                                  A->xhat[h], A->rstd[h], params + m->gamma[h], B, H);
        dout = din;
        which ^= 1;
    }
}
