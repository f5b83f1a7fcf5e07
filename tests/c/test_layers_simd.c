/* tests/c/test_layers_simd.c — the 4-lane paths of core/layers.c (ReLU forward and backward,
 * bias add, bias gradient) against their scalar definitions bit for bit, on lengths that are
 * not a multiple of 4 and on the values where a vector max or mask could differ from
 * `x > 0 ? x : 0`: -0, +0, NaN of both signs, infinities, subnormals. */
#include <math.h>
#include <string.h>
#include "check.h"
#include "kernels.h"
#include "layers.h"

static const float EDGE[] = {-0.0f, 0.0f, NAN, -NAN, 1.0f, -1.0f, INFINITY, -INFINITY, 1e-45f, -1e-45f, 3.0f};
#define NE (int)(sizeof EDGE / sizeof EDGE[0])

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

TEST(relu_forward_and_backward_match_the_scalar_definition_bit_for_bit) {
    float in[64], out[64], dout[64], din[64];
    for (int n = 1; n <= 64; n++) {
        for (int i = 0; i < n; i++) { in[i] = EDGE[(i * 7 + n) % NE]; dout[i] = 0.5f + (float)i; }
        al_activation_forward(out, in, AL_ACT_RELU, n);
        al_activation_backward(din, dout, in, out, AL_ACT_RELU, n);
        for (int i = 0; i < n; i++) {
            float want = in[i] > 0.0f ? in[i] : 0.0f, want_d = in[i] > 0.0f ? dout[i] : 0.0f;
            CHECK(same_bits(out[i], want), "n %d i %d: relu(%g) = %g, want %g", n, i, in[i], out[i], want);
            CHECK(same_bits(din[i], want_d), "n %d i %d: relu'(%g) gives %g, want %g", n, i, in[i], din[i], want_d);
        }
        memcpy(out, in, sizeof(float) * n); /* in place, as the model calls it */
        al_activation_forward(out, out, AL_ACT_RELU, n);
        for (int i = 0; i < n; i++) CHECK(same_bits(out[i], in[i] > 0.0f ? in[i] : 0.0f), "in place n %d i %d", n, i);
    }
}

TEST(bias_add_and_bias_gradient_match_the_scalar_loops_bit_for_bit) {
    /* a 1x1 weight-free check: IN = 1 with w = 0 leaves out = bias exactly added to 0 */
    enum { B = 5, OUT = 11 };
    float x[B], w[OUT], b[OUT], out[B * OUT], wt[OUT], dout[B * OUT], dw[OUT], db[OUT], scratch[OUT];
    for (int s = 0; s < B; s++) x[s] = 1.0f;
    for (int o = 0; o < OUT; o++) { w[o] = 0.0f; b[o] = 0.1f * (float)o - 0.37f; dw[o] = 0.0f; db[o] = 0.25f; }
    for (int i = 0; i < B * OUT; i++) dout[i] = 1.0f / (float)(i + 3);
    al_linear_forward(out, x, w, wt, AL_PACK_FILL, b, B, 1, OUT);
    for (int s = 0; s < B; s++)
        for (int o = 0; o < OUT; o++) CHECK(same_bits(out[s * OUT + o], 0.0f + b[o]), "out[%d][%d]", s, o);
    al_linear_backward(0, dw, db, scratch, dout, x, w, 0, AL_PACK_SCRATCH, B, 1, OUT);
    for (int o = 0; o < OUT; o++) {
        float sum = 0.0f; /* Σ_s in order, then added to db once */
        for (int s = 0; s < B; s++) sum += dout[s * OUT + o];
        CHECK(same_bits(db[o], 0.25f + sum), "db[%d] = %.9g, want %.9g", o, db[o], 0.25f + sum);
    }
}

int main(void) {
    RUN(relu_forward_and_backward_match_the_scalar_definition_bit_for_bit);
    RUN(bias_add_and_bias_gradient_match_the_scalar_loops_bit_for_bit);
    return check_summary("layers_simd");
}
