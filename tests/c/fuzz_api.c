/* tests/c/fuzz_api.c — libFuzzer over the whole C API: the input is the config text, hostile
 * or not. Creation must either succeed or fail with a known code and a terminated,
 * non-empty message naming what was wrong; a created experiment is stepped (a few steps at
 * most, to keep executions fast), every record must be finite unless the run diverged,
 * and the verdict must be one of the documented values. Run with `make fuzz` (60 s, corpus
 * in tests/c/corpus/api). */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "accumlab.h"

#define MAX_FUZZ_STEPS 3

static int terminated(const char *s, size_t cap) { return memchr(s, '\0', cap) != NULL; }

static void check_metrics(const al_metrics *m) {
    if (m->allclose != 0.0 && m->allclose != 1.0) __builtin_trap();
    if (m->bitwise != 0.0 && m->bitwise != 1.0) __builtin_trap();
    /* the same bits: 0 apart, or inf where inf - inf is NaN (a run that diverged) */
    if (m->bitwise == 1.0 && m->max_abs_diff != 0.0 && m->max_abs_diff != INFINITY) __builtin_trap();
    if (!(m->max_abs_diff >= 0.0) || !(m->max_ulp >= 0.0)) __builtin_trap();
    if (m->closeness < AL_CLOSE_BITWISE || m->closeness > AL_CLOSE_NOT || (m->closeness == AL_CLOSE_BITWISE && m->bitwise != 1.0)) __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    al_error err;
    memset(&err, 0x7f, sizeof err);
    /* two binary arrays, as the JS binding passes for {"binary": k, "shape": [...]} blocks:
     * 64 values with a NaN and non-integers, and 16 zeros and ones */
    static float a64[64], a16[16];
    for (int i = 0; i < 64; i++) a64[i] = i == 37 ? NAN : (float)(i % 7) * 0.5f;
    for (int i = 0; i < 16; i++) a16[i] = (float)(i % 2);
    static const float *const bins[2] = {a64, a16};
    static const int32_t lens[2] = {64, 16};
    al_experiment *e = al_experiment_create_with((const char *)data, size, bins, lens, 2, &err);
    if (!e) {
        if (err.code <= AL_OK || err.code > AL_ERR_STATE) __builtin_trap();
        if (!terminated(err.message, sizeof err.message) || !err.message[0]) __builtin_trap();
        if (!terminated(err.field, sizeof err.field)) __builtin_trap();
        return 0;
    }
    long P = al_experiment_param_count(e);
    if (P <= 0 || !al_experiment_vector(e, AL_VEC_INIT)) __builtin_trap();
    long nx = 0, ny = 0;
    if (!al_experiment_data(e, AL_DATA_INPUTS, &nx) || !al_experiment_data(e, AL_DATA_TARGETS, &ny) || nx <= 0 || ny <= 0) __builtin_trap();
    { /* the export's reads: each epoch order a permutation of the samples (at most AL_MAX_SAMPLES) */
        static int32_t order[100000];
        static unsigned char seen[100000];
        int N = al_experiment_epoch_order(e, 1, order);
        if (N <= 0 || N > 100000) __builtin_trap();
        memset(seen, 0, (size_t)N);
        for (int i = 0; i < N; i++) { if (order[i] < 0 || order[i] >= N || seen[order[i]]) __builtin_trap(); seen[order[i]] = 1; }
    }
    al_step_record rec;
    int status = AL_OK, steps = 0, diverged = 0;
    while (steps < MAX_FUZZ_STEPS && (status = al_experiment_step(e, &rec, &err)) == AL_OK) {
        steps++;
        if (diverged) __builtin_trap();              /* the divergent step's record is the last */
        if (rec.step != steps) __builtin_trap();
        diverged = rec.diverged == 1.0;
        if (!diverged && (!isfinite(rec.loss_ref) || !isfinite(rec.loss_acc))) __builtin_trap();
        if (rec.diverged != 0.0 && rec.diverged != 1.0) __builtin_trap();
        if (rec.grad_category < AL_GRADS_BITWISE || rec.grad_category > AL_GRADS_UNJUDGED) __builtin_trap();
        check_metrics(&rec.grad);
        check_metrics(&rec.params);
        check_metrics(&rec.same_point);
    }
    if (status != AL_OK && status != AL_DONE) __builtin_trap();
    { /* the picture's reads after the run: predictions on the first inputs, and a small grid */
        static float out[64 * 64 * 16];
        const float *x = al_experiment_data(e, AL_DATA_INPUTS, &nx);
        int in = al_experiment_inputs(e), outs = al_experiment_outputs(e);
        if (in <= 0 || outs <= 0) __builtin_trap();
        long rows = nx / in < 4 ? nx / in : 4;
        if (outs <= 16 && rows > 0) {
            for (int which = 0; which < 2; which++)
                if (al_experiment_predict(e, which, x, rows, out, &err) != AL_OK) __builtin_trap();
        }
        if (al_experiment_predict(e, 2, x, 1, out, &err) == AL_OK) __builtin_trap(); /* no third run */
        float bounds[4];
        int grid = 1 + (int)(size % 16);
        int g = al_experiment_picture_grid(e, AL_RUN_ACC, grid, bounds, out, &err);
        if ((in == 1 || in == 2) && outs <= 16 && g != AL_OK) __builtin_trap();
        if (g == AL_OK && (in == 2) && !(bounds[0] < bounds[1] && bounds[2] < bounds[3])) __builtin_trap();
    }
    al_verdict v;
    al_experiment_verdict(e, &v);
    if (v.grads < AL_GRADS_BITWISE || v.grads > AL_GRADS_UNJUDGED) __builtin_trap();
    if (diverged != (v.diverged_step == steps)) __builtin_trap();
    if (v.params < AL_PARAMS_BITWISE || v.params > AL_PARAMS_DIVERGED) __builtin_trap();
    if ((v.params == AL_PARAMS_DIVERGED) != (v.diverged_step > 0)) __builtin_trap();
    if (v.steps_done != steps) __builtin_trap();
    al_experiment_free(e);
    return 0;
}
