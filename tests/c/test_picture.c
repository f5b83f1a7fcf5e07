/* tests/c/test_picture.c — a picture of both models (core/picture.c): the runs' predictions in
 * eval mode on given rows and on a grid over the input plane, checked against what the core's
 * own training forward gives (the step's loss), closed forms (probabilities, BatchNorm's running
 * statistics at the start) and the grid's documented geometry; bad arguments are errors, and
 * taking pictures between steps changes no bit of the training.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "accumlab.h"

static al_experiment *make(const char *json) {
    al_error err;
    al_experiment *e = al_experiment_create(json, strlen(json), &err);
    if (!e) fprintf(stderr, "    create failed: %s [%s] for %s\n", err.message, err.field, json);
    return e;
}

/* The inputs (G, IN) and targets (G, T) of step 1's group: the first G samples of epoch 0. */
static void first_group(const al_experiment *e, int G, float *x, float *t) {
    long nx, ny;
    const float *X = al_experiment_data(e, AL_DATA_INPUTS, &nx), *Y = al_experiment_data(e, AL_DATA_TARGETS, &ny);
    int N = (int)(nx / al_experiment_inputs(e)), IN = al_experiment_inputs(e), T = (int)(ny / N);
    int32_t *order = malloc(sizeof(int32_t) * (size_t)N);
    al_experiment_epoch_order(e, 0, order);
    for (int s = 0; s < G; s++) {
        memcpy(x + (long)s * IN, X + (long)order[s] * IN, sizeof(float) * (size_t)IN);
        memcpy(t + (long)s * T, Y + (long)order[s] * T, sizeof(float) * (size_t)T);
    }
    free(order);
}

/* Predictions of run `which` at step 1's group (G rows), then step 1's record. */
static int predict_then_step(const char *json, int G, float *pred, float *t, al_step_record *rec) {
    al_experiment *e = make(json);
    if (!e) return 0;
    al_error err;
    float *x = malloc(sizeof(float) * (size_t)G * al_experiment_inputs(e));
    first_group(e, G, x, t);
    int ok = al_experiment_predict(e, AL_RUN_REF, x, G, pred, &err) == AL_OK;
    ok &= al_experiment_step(e, rec, &err) == AL_OK;
    free(x);
    al_experiment_free(e);
    return ok;
}

TEST(cross_entropy_from_the_predicted_probabilities_is_the_first_steps_loss) {
    enum { G = 32, OUT = 2 };
    float pred[G * OUT], t[G];
    al_step_record rec;
    int ok = predict_then_step("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 2, \"batchSize\": 8, \"accumSteps\": 4}",
                               G, pred, t, &rec);
    CHECK(ok, "predicted and stepped");
    double loss = 0.0;
    for (int s = 0; s < G; s++) loss -= log((double)pred[s * OUT + (int)t[s]]);
    loss /= G;
    CHECK(fabs(loss - rec.loss_ref) <= 1e-6 * fabs(rec.loss_ref), "loss from predictions %.9g, lossRef %.9g", loss, rec.loss_ref);
    CHECK(rec.loss_ref > 0.1, "a loss that is not trivially 0: %g", rec.loss_ref);
}

/* mse and l1 predictions are the raw outputs, the training forward's bits: the loss summed as
 * the core sums it (in double, in sample order, each term in float) is the record's, exactly. */
static void check_exact_loss(const char *json, int G, int OUT, int l1) {
    float *pred = malloc(sizeof(float) * (size_t)G * OUT), *t = malloc(sizeof(float) * (size_t)G * OUT);
    al_step_record rec;
    CHECK(predict_then_step(json, G, pred, t, &rec), "predicted and stepped: %s", json);
    double S = 0.0;
    for (int i = 0; i < G * OUT; i++) {
        float d = pred[i] - t[i], l = l1 ? (d < 0.0f ? -d : d) : d * d;
        S += (double)l;
    }
    double loss = S / ((double)G * OUT);
    CHECK(loss == rec.loss_ref, "loss from predictions %.17g, lossRef %.17g (%s)", loss, rec.loss_ref, json);
    CHECK(rec.loss_ref > 1e-3, "a loss that is not trivially 0: %g", rec.loss_ref);
    free(pred);
    free(t);
}

TEST(mse_and_l1_from_the_predicted_values_are_the_first_steps_loss_bit_for_bit) {
    check_exact_loss("{\"data\": {\"name\": \"seed_example\", \"n\": 64}, \"steps\": 2, \"batchSize\": 8, \"accumSteps\": 4}", 32, 2, 0);
    check_exact_loss("{\"data\": {\"name\": \"seed_example\", \"n\": 64}, \"loss\": \"l1\", \"model\": {\"sizes\": [4, 24, 24, 2], "
                     "\"activation\": \"gelu\", \"norm\": \"layernorm\"}, \"steps\": 2, \"batchSize\": 5, \"accumSteps\": 3}", 15, 2, 1);
    check_exact_loss("{\"data\": {\"name\": \"regression\", \"n\": 600}, \"model\": {\"hidden\": [40, 9]}, "
                     "\"steps\": 1, \"batchSize\": 300, \"accumSteps\": 2}", 600, 1, 0);   /* chunks of 256 rows */
}

TEST(class_probabilities_sum_to_one_and_a_single_logit_is_a_probability) {
    al_error err;
    al_experiment *e = make("{\"data\": {\"name\": \"gaussians\", \"n\": 90}, \"steps\": 3}");
    CHECK(e && al_experiment_prediction_kind(e) == AL_PREDICT_SOFTMAX && al_experiment_outputs(e) == 3 &&
          al_experiment_classes(e) == 3 && al_experiment_inputs(e) == 2, "gaussians: softmax over 3 classes of 2 inputs");
    static float out[20 * 20 * 3];
    float bounds[4];
    for (int step = 0; e && step < 2; step++) {
        al_step_record rec;
        CHECK(al_experiment_picture_grid(e, AL_RUN_ACC, 20, bounds, out, &err) == AL_OK, "%s", err.message);
        double worst = 0.0;
        int in_range = 1;
        for (int c = 0; c < 400; c++) {
            double sum = 0.0;
            for (int o = 0; o < 3; o++) { sum += out[c * 3 + o]; in_range &= out[c * 3 + o] >= 0.0f && out[c * 3 + o] <= 1.0f; }
            if (fabs(sum - 1.0) > worst) worst = fabs(sum - 1.0);
        }
        CHECK(worst < 1e-6 && in_range, "probabilities in [0,1] summing to 1 within %g (step %d)", worst, step);
        al_experiment_step(e, &rec, &err);
    }
    al_experiment_free(e);

    e = make("{\"data\": {\"name\": \"xor\", \"n\": 64}, \"loss\": \"bce\", \"model\": {\"sizes\": [2, 8, 1]}, \"steps\": 2}");
    CHECK(e && al_experiment_prediction_kind(e) == AL_PREDICT_SIGMOID && al_experiment_outputs(e) == 1 && al_experiment_classes(e) == 2,
          "xor with one logit: a sigmoid, 2 classes");
    int ok = e && al_experiment_picture_grid(e, AL_RUN_REF, 20, bounds, out, &err) == AL_OK;
    for (int c = 0; ok && c < 400; c++) ok = out[c] > 0.0f && out[c] < 1.0f;
    CHECK(ok, "every cell a probability");
    al_experiment_free(e);

    e = make("{\"data\": {\"name\": \"moons\", \"n\": 64}, \"loss\": \"mse\", \"steps\": 2}");
    CHECK(e && al_experiment_prediction_kind(e) == AL_PREDICT_VALUES && al_experiment_classes(e) == 2, "moons with mse: raw values");
    al_experiment_free(e);
    e = make("{\"data\": {\"name\": \"regression\", \"n\": 64}, \"steps\": 2}");
    CHECK(e && al_experiment_prediction_kind(e) == AL_PREDICT_VALUES && al_experiment_classes(e) == 0 && al_experiment_inputs(e) == 1,
          "regression: raw values of real targets");
    al_experiment_free(e);
}

TEST(the_grid_covers_the_padded_box_of_the_inputs_at_its_cells_centres) {
    enum { S = 17, OUT = 2, N = 200 };
    al_error err;
    al_experiment *e = make("{\"data\": {\"name\": \"spirals\", \"n\": 200, \"noise\": 0.1}, \"steps\": 2}");
    CHECK(e != NULL, "created");
    if (!e) return;
    long nx;
    const float *X = al_experiment_data(e, AL_DATA_INPUTS, &nx);
    float lo[2] = {X[0], X[1]}, hi[2] = {X[0], X[1]};
    for (int i = 0; i < N; i++)
        for (int d = 0; d < 2; d++) {
            if (X[i * 2 + d] < lo[d]) lo[d] = X[i * 2 + d];
            if (X[i * 2 + d] > hi[d]) hi[d] = X[i * 2 + d];
        }
    static float out[S * S * OUT + 1];
    out[S * S * OUT] = 12345.0f; /* one past the end: untouched */
    for (int i = 0; i < S * S * OUT; i++) out[i] = NAN;
    float b[4];
    al_step_record rec;
    al_experiment_step(e, &rec, &err);
    CHECK(al_experiment_picture_grid(e, AL_RUN_REF, S, b, out, &err) == AL_OK, "%s", err.message);
    int filled = 1;
    for (int i = 0; i < S * S * OUT; i++) filled &= !isnan(out[i]);
    CHECK(filled && out[S * S * OUT] == 12345.0f, "exactly S*S*OUT values written");
    for (int d = 0; d < 2; d++) {
        double pad = 0.1 * ((double)hi[d] - lo[d]);
        CHECK_CLOSE(b[2 * d], lo[d] - pad, 1e-5);
        CHECK_CLOSE(b[2 * d + 1], hi[d] + pad, 1e-5);
        CHECK(b[2 * d] < lo[d] && b[2 * d + 1] > hi[d], "every input inside the bounds");
    }
    /* a cell is the prediction at its centre; row 0 is y0 */
    int cells[3][2] = {{0, 0}, {S - 1, 3}, {8, S - 1}};
    for (int k = 0; k < 3; k++) {
        int r = cells[k][0], c = cells[k][1];
        float x[2] = {(float)(b[0] + (c + 0.5) * ((double)b[1] - b[0]) / S), (float)(b[2] + (r + 0.5) * ((double)b[3] - b[2]) / S)};
        float p[OUT];
        al_experiment_predict(e, AL_RUN_REF, x, 1, p, &err);
        CHECK(p[0] == out[(r * S + c) * OUT] && p[1] == out[(r * S + c) * OUT + 1], "cell (%d, %d) is the prediction at its centre", r, c);
    }
    al_experiment_free(e);

    /* one input feature: a row of S cells along x, y bounds 0 */
    e = make("{\"data\": {\"name\": \"regression\", \"n\": 50}, \"steps\": 2}");
    float line[S + 1];
    line[S] = 777.0f;
    CHECK(e && al_experiment_picture_grid(e, AL_RUN_ACC, S, b, line, &err) == AL_OK && line[S] == 777.0f, "1-D grid");
    CHECK(b[0] < -1.0f + 0.05f && b[0] > -1.3f && b[1] > 0.95f && b[1] < 1.3f && b[2] == 0.0f && b[3] == 0.0f,
          "bounds around U[-1,1): %g %g %g %g", b[0], b[1], b[2], b[3]);
    al_experiment_free(e);
}

TEST(both_runs_are_one_model_before_the_first_step_and_two_after_an_unscaled_mean) {
    enum { S = 12, OUT = 2 };
    al_error err;
    al_step_record rec;
    al_experiment *e = make("{\"data\": {\"name\": \"moons\", \"n\": 128}, \"steps\": 3, \"batchSize\": 8, \"accumSteps\": 4}");
    static float a[S * S * OUT], r[S * S * OUT];
    float b[4];
    CHECK(e && al_experiment_picture_grid(e, AL_RUN_REF, S, b, r, &err) == AL_OK &&
          al_experiment_picture_grid(e, AL_RUN_ACC, S, b, a, &err) == AL_OK, "pictures at the start");
    CHECK(memcmp(a, r, sizeof a) == 0, "identical at the start");
    while (e && al_experiment_step(e, &rec, &err) == AL_OK) {}
    al_experiment_picture_grid(e, AL_RUN_REF, S, b, r, &err);
    al_experiment_picture_grid(e, AL_RUN_ACC, S, b, a, &err);
    double diff = 0.0;
    for (int i = 0; i < S * S * OUT; i++) if (fabs(a[i] - r[i]) > diff) diff = fabs(a[i] - r[i]);
    CHECK(diff > 1e-3, "the accumulated run (4x the step) predicts otherwise: max diff %g", diff);
    al_experiment_free(e);
}

TEST(eval_mode_batchnorm_uses_the_running_statistics_and_dropout_is_off) {
    enum { R = 40, OUT = 2 };
    al_error err;
    const char *plain = "{\"data\": {\"name\": \"circles\", \"n\": 64}, \"model\": {\"activation\": \"relu\"}, \"steps\": 3}";
    const char *bn = "{\"data\": {\"name\": \"circles\", \"n\": 64}, \"model\": {\"activation\": \"relu\", \"norm\": \"batchnorm\"}, \"steps\": 3}";
    const char *drop = "{\"data\": {\"name\": \"circles\", \"n\": 64}, \"model\": {\"activation\": \"relu\", \"dropout\": 0.5}, "
                       "\"dropoutRng\": \"stream\", \"steps\": 3}";
    al_experiment *p = make(plain), *b = make(bn), *d = make(drop);
    CHECK(p && b && d, "created");
    if (!p || !b || !d) { al_experiment_free(p); al_experiment_free(b); al_experiment_free(d); return; }
    long nx;
    const float *X = al_experiment_data(p, AL_DATA_INPUTS, &nx);
    float yp[R * OUT], yb[R * OUT], yd[R * OUT], one[OUT];
    al_experiment_predict(p, AL_RUN_REF, X, R, yp, &err);
    al_experiment_predict(b, AL_RUN_REF, X, R, yb, &err);
    al_experiment_predict(d, AL_RUN_ACC, X, R, yd, &err);
    /* the same Linear weights (init draws no norm parameters); running mean 0, var 1 at the
     * start, gamma 1, beta 0: BatchNorm only scales by 1/sqrt(1 + eps). Batch statistics
     * would normalise each feature to unit variance over the rows, far from this. */
    double worst = 0.0;
    for (int i = 0; i < R * OUT; i++) if (fabs(yb[i] - yp[i]) > worst) worst = fabs(yb[i] - yp[i]);
    CHECK(worst < 1e-4, "batchnorm at the start is the plain model within %g", worst);
    CHECK(memcmp(yd, yp, sizeof yp) == 0, "dropout is the identity in eval mode");
    /* a row's prediction does not depend on the other rows, even with BatchNorm after steps */
    al_step_record rec;
    for (int s = 0; s < 3; s++) al_experiment_step(b, &rec, &err);
    al_experiment_predict(b, AL_RUN_ACC, X, R, yb, &err);
    int same = 1;
    for (int i = 0; i < R; i++) {
        al_experiment_predict(b, AL_RUN_ACC, X + 2 * i, 1, one, &err);
        same &= one[0] == yb[i * OUT] && one[1] == yb[i * OUT + 1];
    }
    CHECK(same, "each row alone gives its bits in the batch");
    al_experiment_free(p);
    al_experiment_free(b);
    al_experiment_free(d);
}

/* Pictures use the activations' scratch between steps: the training must not see them. */
TEST(pictures_between_steps_change_no_bit_of_the_training) {
    const char *configs[] = {
        "{\"data\": {\"name\": \"moons\", \"n\": 96}, \"model\": {\"sizes\": [2, 24, 16, 2], \"dropout\": 0.2}, "
        "\"dropoutRng\": \"stream\", \"steps\": 6, \"batchSize\": 4, \"accumSteps\": 3}",
        "{\"data\": {\"name\": \"gaussians\", \"n\": 96}, \"model\": {\"norm\": \"batchnorm\"}, \"steps\": 6, \"batchSize\": 4, \"accumSteps\": 3}",
        "{\"data\": {\"name\": \"moons\", \"n\": 96}, \"model\": {\"sizes\": [2, 40, 2]}, \"clipGradNorm\": 0.05, \"reduction\": \"sum\", "
        "\"steps\": 6, \"batchSize\": 4, \"accumSteps\": 3}",
    };
    static float out[64 * 64 * 3];
    for (int c = 0; c < 3; c++) {
        al_experiment *a = make(configs[c]), *b = make(configs[c]);
        al_error err;
        al_step_record ra, rb;
        float bounds[4];
        int same = a && b, steps = 0;
        while (same && al_experiment_step(a, &ra, &err) == AL_OK) {
            al_experiment_picture_grid(b, steps % 2, 64, bounds, out, &err);
            same &= al_experiment_step(b, &rb, &err) == AL_OK && memcmp(&ra, &rb, sizeof ra) == 0;
            steps++;
        }
        long P = a ? al_experiment_param_count(a) : 0;
        same &= steps == 6 && memcmp(al_experiment_vector(a, AL_VEC_PARAMS_ACC), al_experiment_vector(b, AL_VEC_PARAMS_ACC), sizeof(float) * (size_t)P) == 0;
        CHECK(same, "the same records and parameters with pictures between steps (config %d, %d steps)", c, steps);
        al_experiment_free(a);
        al_experiment_free(b);
    }
}

TEST(bad_arguments_are_errors_and_the_experiment_stays_usable) {
    al_error err;
    float b[4], out[8 * 8 * 10], x[2] = {0.0f, 0.0f};
    al_experiment *e = make("{\"data\": {\"name\": \"moons\", \"n\": 64}, \"steps\": 2}");
    CHECK(e != NULL, "created");
    CHECK(al_experiment_picture_grid(e, 2, 8, b, out, &err) == AL_ERR_RANGE && strcmp(err.field, "which") == 0, "which 2: %s", err.message);
    CHECK(al_experiment_predict(e, -1, x, 1, out, &err) == AL_ERR_RANGE && strstr(err.message, "-1"), "which -1: %s", err.message);
    CHECK(al_experiment_picture_grid(e, 0, 0, b, out, &err) == AL_ERR_RANGE && strcmp(err.field, "size") == 0, "size 0: %s", err.message);
    CHECK(al_experiment_picture_grid(e, 0, AL_PICTURE_MAX_SIZE + 1, b, out, &err) == AL_ERR_RANGE && strstr(err.message, "513"), "size 513: %s", err.message);
    CHECK(al_experiment_predict(e, 0, x, -1, out, &err) == AL_ERR_RANGE && strcmp(err.field, "rows") == 0, "rows -1: %s", err.message);
    CHECK(al_experiment_predict(e, 0, x, AL_PREDICT_MAX_ROWS + 1L, out, &err) == AL_ERR_RANGE, "too many rows: %s", err.message);
    CHECK(al_experiment_predict(e, 0, NULL, 1, out, &err) == AL_ERR_STATE, "no input: %s", err.message);
    CHECK(al_experiment_picture_grid(e, 0, 8, NULL, out, &err) == AL_ERR_STATE, "no bounds: %s", err.message);
    CHECK(al_experiment_predict(e, 0, NULL, 0, NULL, &err) == AL_OK, "zero rows need no buffers");
    CHECK(al_experiment_predict(NULL, 0, x, 1, out, &err) == AL_ERR_STATE && al_experiment_picture_grid(NULL, 0, 8, b, out, &err) == AL_ERR_STATE,
          "no experiment");
    CHECK(al_experiment_predict(e, 0, x, 1, out, NULL) == AL_OK && al_experiment_picture_grid(e, 1, 8, b, out, NULL) == AL_OK,
          "a NULL error record is allowed");
    al_step_record rec;
    CHECK(al_experiment_step(e, &rec, &err) == AL_OK, "still steps: %s", err.message);
    al_experiment_free(e);

    e = make("{\"data\": {\"name\": \"digits\", \"n\": 100}, \"steps\": 2}");
    CHECK(e && al_experiment_picture_grid(e, 0, 8, b, out, &err) == AL_ERR_SHAPE && strstr(err.message, "64"), "64 features: %s",
          e ? err.message : "");
    float img[64] = {0};
    CHECK(e && al_experiment_predict(e, 1, img, 1, out, &err) == AL_OK, "digits predict: %s", err.message);
    double sum = 0.0;
    for (int o = 0; o < 10; o++) sum += out[o];
    CHECK_CLOSE(sum, 1.0, 1e-6);
    al_experiment_free(e);
    CHECK(al_experiment_inputs(NULL) == 0 && al_experiment_outputs(NULL) == 0 && al_experiment_classes(NULL) == 0 &&
          al_experiment_prediction_kind(NULL) == -1, "accessors on NULL");
}

int main(void) {
    RUN(cross_entropy_from_the_predicted_probabilities_is_the_first_steps_loss);
    RUN(mse_and_l1_from_the_predicted_values_are_the_first_steps_loss_bit_for_bit);
    RUN(class_probabilities_sum_to_one_and_a_single_logit_is_a_probability);
    RUN(the_grid_covers_the_padded_box_of_the_inputs_at_its_cells_centres);
    RUN(both_runs_are_one_model_before_the_first_step_and_two_after_an_unscaled_mean);
    RUN(eval_mode_batchnorm_uses_the_running_statistics_and_dropout_is_off);
    RUN(pictures_between_steps_change_no_bit_of_the_training);
    RUN(bad_arguments_are_errors_and_the_experiment_stays_usable);
    return check_summary("picture");
}
