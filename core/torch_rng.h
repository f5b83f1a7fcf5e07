/* core/torch_rng.h — PyTorch's CPU random generator and nn.Linear init, bit for bit.
 *
 * Sizes: IN, OUT of a Linear; n elements of a tensor (contiguous, row-major).
 *
 * What torch does (1.13.1 as installed here; the same in the 2.x sources read, see below):
 *   torch.manual_seed(s)   mt19937 (Matsumoto & Nishimura, init_genrand) seeded with
 *                          s & 0xffffffff: seeds 7 and 2^40 + 7 give the same stream.
 *                          (aten/src/ATen/core/MT19937RNGEngine.h, CPUGeneratorImpl.cpp)
 *   float32 uniform_(a, b) from = (float)a, to = (float)b, then per element, in float:
 *                          x = (float)(u32 & 0xffffff) * 2^-24; out = x * (to - from) + from
 *                          with one 32-bit output u32 per element, in memory order
 *                          (core/TransformationHelper.h uniform_real, dist_acctype<float> is
 *                          float; native/cpu/DistributionTemplates.h uniform_kernel).
 *                          The multiply-add is FUSED (one rounding) in the copies of the kernel
 *                          torch runs on x86 CPUs with AVX2 or AVX-512 (built with -mfma; GCC
 *                          contracts x * r + f into an FMA: torch's results are single-rounded,
 *                          also where only a tiny `from` decides). Its DEFAULT copy (older CPUs,
 *                          ATEN_CPU_CAPABILITY=default) rounds twice. The two differ by an ulp
 *                          in about half the weights and biases of a Linear, unless IN is a
 *                          power of 4 (then the float bound is a power of 2 and x * r exact);
 *                          tests/torch/check_init.py checks each against torch.
 *                          al_torch_uniform and everything built on it do the fused one.
 *   torch.rand(n)          empty(n).uniform_(0, 1): out = x.
 *   nn.Linear(IN, OUT)     weight.uniform_(-bw, bw) then bias.uniform_(-bb, bb), in double:
 *                          bw = sqrt(3) * (sqrt(2 / (1 + sqrt(5)^2)) / sqrt(IN)) (kaiming_uniform_,
 *                          a = sqrt(5), leaky_relu gain), bb = 1 / sqrt(IN) (torch/nn/init.py,
 *                          torch/nn/modules/linear.py reset_parameters).
 * Norm layers (BatchNorm1d, LayerNorm) fill ones and zeros; activations and dropout draw
 * nothing, so nn.Sequential draws for its Linear layers in order.
 * Newer versions: the 2.x CPUGeneratorImpl.cpp, MT19937RNGEngine.h and uniform_real read are
 * unchanged; a recent main's uniform_kernel computes in opmath_type<float> (= float, same
 * bits) and maps a value that rounded up to `to` back to `from` (here it stays `to`; for
 * torch.rand it cannot happen: x < 1).
 *
 * First outputs after al_mt19937_seed(&g, 0) (= torch.manual_seed(0), torch 1.13.1):
 *   al_mt19937_next32: 2357136044 2546248239 3071714933 3626093760 2588848963
 *   al_torch_rand:     0.49625659 0.76822180 0.08847743 0.13203049 0.30742282 (torch.rand(5))
 * (tests/c/test_torch_rng.c checks them; tests/torch/check_init.py compares with torch.)
 */
#ifndef ACCUMLAB_TORCH_RNG_H
#define ACCUMLAB_TORCH_RNG_H

#include <stdint.h>
#include "model.h"

typedef struct {
    uint32_t state[624];   /* (624) the mt19937 state words */
    int next;              /* index of the next word to temper; 624: regenerate first */
} al_mt19937;

/* Seeds as torch.manual_seed(seed) seeds the default CPU generator. */
void al_mt19937_seed(al_mt19937 *g, uint64_t seed);
/* The next 32-bit output (CPUGeneratorImpl::random()). */
uint32_t al_mt19937_next32(al_mt19937 *g);
/* out (n) = a float32 tensor's uniform_(from, to) on an AVX2/AVX-512 CPU: one 32-bit draw
 * per element, fused multiply-add. */
void al_torch_uniform(float *out, long n, double from, double to, al_mt19937 *g);
/* The same as torch's DEFAULT (non-AVX2) kernel computes it: two roundings. */
void al_torch_uniform_unfused(float *out, long n, double from, double to, al_mt19937 *g);
/* out (n) = torch.rand(n) (both kernels agree: x * 1 + 0 is exact); torch.rand(R, C) is R*C of them, row-major. */
void al_torch_rand(float *out, long n, al_mt19937 *g);
/* The bounds nn.Linear(IN, OUT) draws in: weight ±*bw (kaiming_uniform_), bias ±*bb; IN >= 1. */
void al_torch_linear_bounds(double *bw, double *bb, int in);
/* w (OUT, IN), b (OUT) = nn.Linear(IN, OUT).reset_parameters(); IN, OUT >= 1. */
void al_torch_linear_init(float *w, float *b, int in, int out, al_mt19937 *g);
/* params (P) as after torch.manual_seed(seed); model = nn.Sequential(...) for m
 * (Linear, [Norm], Act, [Dropout], ..., Linear), in parameters() order. */
void al_model_init_torch(float *params, const al_model *m, uint64_t seed);

#endif
