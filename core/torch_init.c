/* core/torch_init.c — the whole parameter vector as PyTorch initialises nn.Sequential (see torch_rng.h). */
#include "torch_rng.h"

void al_model_init_torch(float *params, const al_model *m, uint64_t seed) {
    al_mt19937 g;
    al_mt19937_seed(&g, seed);
    for (int l = 0; l < m->L; l++) {
        int in = m->sizes[l], out = m->sizes[l + 1];
        al_torch_linear_init(params + m->w[l], params + m->b[l], in, out, &g);
        if (m->gamma[l] >= 0)   /* BatchNorm1d / LayerNorm: weight ones, bias zeros, no draws */
            for (int i = 0; i < out; i++) { params[m->gamma[l] + i] = 1.0f; params[m->beta[l] + i] = 0.0f; }
    }
}
