/* core/picture.c — a picture of both models: a run's current parameters evaluated in eval
 * mode on given rows (al_experiment_predict) or on a grid over the training inputs' box
 * (al_experiment_picture_grid), what the page draws as the two runs' decision regions.
 *
 * Sizes as in experiment_internal.h; R rows evaluated, S the grid's cells per side.
 *
 * Eval mode is PyTorch's model.eval(): dropout is the identity (its masks scale by 1/(1-p) in
 * training, so nothing else changes), BatchNorm normalises with the run's own running
 * statistics (mean 0, var 1 before the first step; each run updates its own, the accumulated
 * run once per micro-batch), LayerNorm is per sample as in training. The forward is the
 * training forward's kernels: for a model without dropout or BatchNorm a row's outputs are
 * the training forward's bits (a row depends on itself and the parameters alone).
 *
 * Scratch: rows go through in chunks of up to min(G, AL_PICTURE_CHUNK), through the
 * activations' gradient buffers g0, g1 (G, max_width) and weight packs wt, which hold nothing
 * between optimizer steps (every pass of a step packs anew, al_model_repack). Nothing
 * allocates.
 */
#include <float.h>
#include <math.h>
#include "experiment_internal.h"
#include "layers.h"
#include "mathfn.h"

#define AL_PICTURE_CHUNK 256

int al_experiment_inputs(const al_experiment *e) { return e ? e->IN : 0; }
int al_experiment_outputs(const al_experiment *e) { return e ? e->OUT : 0; }

int al_experiment_prediction_kind(const al_experiment *e) {
    if (!e) return -1;
    switch (e->cfg.loss) {
    case AL_LOSS_CROSS_ENTROPY: return AL_PREDICT_SOFTMAX;
    case AL_LOSS_BCE: return AL_PREDICT_SIGMOID;
    default: return AL_PREDICT_VALUES;
    }
}

int al_experiment_classes(const al_experiment *e) {
    if (!e) return 0;
    al_data_facts f;
    al_data_facts_of(&f, &e->cfg);
    return f.classes;
}

/* BatchNorm1d in eval mode: out = gamma · (in - running_mean) / sqrt(running_var + eps) + beta,
 * in place over z (B, H); rstd: (H) scratch. */
static void batchnorm_eval(float *z, float *rstd, const float *running_mean, const float *running_var,
                           const float *gamma, const float *beta, int B, int H) {
    for (int h = 0; h < H; h++) rstd[h] = 1.0f / sqrtf(running_var[h] + AL_NORM_EPS);
    for (int s = 0; s < B; s++)
        for (int h = 0; h < H; h++) {
            long i = (long)s * H + h;
            z[i] = gamma[h] * ((z[i] - running_mean[h]) * rstd[h]) + beta[h];
        }
}

/* The network's outputs (B, OUT) for x (B, IN) at run r's parameters, in eval mode. first: the
 * first chunk of this call (packs r's weights; later chunks reuse the packs). */
static void forward_eval(float *out, al_experiment *e, const al_run *r, const float *x, int B, int first) {
    const al_model *m = &e->model;
    al_acts *A = &e->acts;
    const float *p = r->params, *in = x;
    float *bufs[2] = {A->g0, A->g1};
    for (int l = 0; l < m->L; l++) {
        int IN = m->sizes[l], H = m->sizes[l + 1];
        float *z = l == m->L - 1 ? out : bufs[l & 1];
        al_linear_forward(z, in, p + m->w[l], A->wt[l], first ? AL_PACK_FILL : AL_PACK_READY, p + m->b[l], B, IN, H);
        if (l == m->L - 1) break;
        if (m->norm == AL_NORM_BATCH) {
            const float *rm = r->running + (long)l * 2 * m->max_width, *rv = rm + m->max_width;
            batchnorm_eval(z, A->scratch, rm, rv, p + m->gamma[l], p + m->beta[l], B, H);
        } else if (m->norm == AL_NORM_LAYER) {
            for (int s = 0; s < B; s++) /* in place, one sample at a time: xhat and rstd in scratch */
                al_layernorm_forward(z + (long)s * H, A->scratch, A->scratch + H, z + (long)s * H,
                                     p + m->gamma[l], p + m->beta[l], 1, H);
        }
        al_activation_forward(z, z, m->act, (long)B * H);
        in = z; /* dropout in eval mode: the identity */
    }
}

/* The outputs (B, OUT) as the loss reads them, in place: softmax (cross_entropy, computed as
 * the loss computes it), sigmoid (bce), or left as they are (mse, l1). */
static void to_predictions(float *y, int B, int OUT, int kind) {
    if (kind == AL_PREDICT_VALUES) return;
    if (kind == AL_PREDICT_SIGMOID) {
        am_sigmoidf_n(y, y, B * OUT);
        return;
    }
    for (int s = 0; s < B; s++) {
        float *row = y + (long)s * OUT, mx = row[0], sum = 0.0f;
        for (int o = 1; o < OUT; o++) if (row[o] > mx) mx = row[o];
        for (int o = 0; o < OUT; o++) { row[o] = am_expf(row[o] - mx); sum += row[o]; }
        for (int o = 0; o < OUT; o++) row[o] /= sum;
    }
}

/* The packs and buffers used were scratch: no pass may take them for its own. */
static void release_scratch(al_experiment *e) {
    for (int l = 0; l < e->model.L; l++) e->acts.wt_packed[l] = 0;
}

static int check_run(const al_experiment *e, int which, al_error *err) {
    if (!e) return al_fail(err, AL_ERR_STATE, "", "no experiment");
    if (which != AL_RUN_REF && which != AL_RUN_ACC)
        return al_fail(err, AL_ERR_RANGE, "which", "which must be 0 (the reference run) or 1 (the accumulated run), got %d", which);
    return AL_OK;
}

static int chunk_rows(const al_experiment *e) { return e->G < AL_PICTURE_CHUNK ? e->G : AL_PICTURE_CHUNK; }

int al_experiment_predict(al_experiment *e, int which, const float *x, long rows, float *out, al_error *err) {
    if (err) { err->code = AL_OK; err->field[0] = err->message[0] = 0; }
    int rc = check_run(e, which, err);
    if (rc != AL_OK) return rc;
    if (rows < 0 || rows > AL_PREDICT_MAX_ROWS)
        return al_fail(err, AL_ERR_RANGE, "rows", "rows must be 0..%d, got %ld", AL_PREDICT_MAX_ROWS, rows);
    if (rows && (!x || !out)) return al_fail(err, AL_ERR_STATE, "", "no %s buffer", !x ? "input" : "output");
    const al_run *r = which == AL_RUN_REF ? &e->ref : &e->acc;
    int C = chunk_rows(e), kind = al_experiment_prediction_kind(e);
    for (long off = 0; off < rows; off += C) {
        int B = rows - off < C ? (int)(rows - off) : C;
        float *y = out + off * e->OUT;
        forward_eval(y, e, r, x + off * e->IN, B, off == 0);
        to_predictions(y, B, e->OUT, kind);
    }
    release_scratch(e);
    return AL_OK;
}

/* lo - pad, hi + pad with pad 10% of hi - lo (1 if all inputs are equal), within float range */
static void padded(float *b, double lo, double hi) {
    double pad = hi > lo ? 0.1 * (hi - lo) : 1.0;
    double a = lo - pad, z = hi + pad;
    b[0] = (float)(a < -FLT_MAX ? -FLT_MAX : a);
    b[1] = (float)(z > FLT_MAX ? FLT_MAX : z);
}

int al_experiment_picture_grid(al_experiment *e, int which, int size, float *bounds, float *out, al_error *err) {
    if (err) { err->code = AL_OK; err->field[0] = err->message[0] = 0; }
    int rc = check_run(e, which, err);
    if (rc != AL_OK) return rc;
    if (e->IN != 1 && e->IN != 2)
        return al_fail(err, AL_ERR_SHAPE, "model.sizes[0]",
                       "a picture grid needs data with 1 or 2 input features; this experiment has %d", e->IN);
    if (size < 1 || size > AL_PICTURE_MAX_SIZE)
        return al_fail(err, AL_ERR_RANGE, "size", "size must be 1..%d, got %d", AL_PICTURE_MAX_SIZE, size);
    if (!bounds || !out) return al_fail(err, AL_ERR_STATE, "", "no %s buffer", !bounds ? "bounds" : "output");
    /* the training inputs' box, padded */
    float b[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (int d = 0; d < e->IN; d++) {
        double lo = e->x[d], hi = e->x[d];
        for (long i = 1; i < e->N; i++) {
            double v = e->x[i * e->IN + d];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        padded(b + 2 * d, lo, hi);
    }
    for (int i = 0; i < 4; i++) bounds[i] = b[i];
    /* cell (r, c) at its centre: x = x0 + (c + ½)·(x1 - x0)/S, y = y0 + (r + ½)·(y1 - y0)/S;
     * row r = 0 at y0; one row of S cells for one input feature */
    const al_run *r = which == AL_RUN_REF ? &e->ref : &e->acc;
    long cells = e->IN == 2 ? (long)size * size : size;
    int C = chunk_rows(e), kind = al_experiment_prediction_kind(e);
    double wx = ((double)b[1] - b[0]) / size, wy = ((double)b[3] - b[2]) / size;
    float x[AL_PICTURE_CHUNK * 2]; /* (C, IN) */
    for (long off = 0; off < cells; off += C) {
        int B = cells - off < C ? (int)(cells - off) : C;
        for (int s = 0; s < B; s++) {
            long cell = off + s, row = cell / size, col = cell % size;
            x[s * e->IN] = (float)(b[0] + (col + 0.5) * wx);
            if (e->IN == 2) x[s * e->IN + 1] = (float)(b[2] + (row + 0.5) * wy);
        }
        float *y = out + off * e->OUT;
        forward_eval(y, e, r, x, B, off == 0);
        to_predictions(y, B, e->OUT, kind);
    }
    release_scratch(e);
    return AL_OK;
}
