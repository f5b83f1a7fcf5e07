/* tests/c/test_torch_rng.c — core/torch_rng.c: mt19937 against its published reference values,
 * the uniform kernels against libm's fmaf and plain float arithmetic, bounds, determinism,
 * and values printed by real PyTorch (tests/torch/check_init.py compares far more of them). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "torch_rng.h"

static uint32_t bits_of(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static uint64_t dbits_of(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

/* Outputs of real PyTorch 1.13.1 (Debian python3-torch, /usr/bin/python3), printed as float32
 * bits with t.view(torch.int32):
 *   torch.manual_seed(0); torch.rand(5)
 *   torch.manual_seed(0); torch.empty(1500, dtype=torch.int64).random_(-2**63, None)
 *     (each element is one random64() = first output << 32 | second output)
 *   torch.manual_seed(0); torch.empty(8).uniform_(-0.1, 0.1)   with the default AVX2 kernel,
 *     and again with ATEN_CPU_CAPABILITY=default (the kernel without FMA)
 *   torch.manual_seed(2); nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)),
 *     torch.cat of parameters() flattened (AVX2 kernel; the default kernel differs in 11 of them) */
static const uint32_t TORCH_RAW_SEED0[6] = {2357136044u, 2546248239u, 3071714933u, 3626093760u, 2588848963u, 3684848379u};
static const uint32_t TORCH_RAND5_SEED0[5] = {0x3efe1558, 0x3f44aa2f, 0x3db533a8, 0x3e073300, 0x3e9d6686};
static const uint32_t TORCH_U01_SEED0_AVX2[8] = {0xba444333, 0x3d5bba30, 0xbda88f45, 0xbd96b867,
                                                 0xbd1dc25d, 0x3cdbacad, 0xbb01d900, 0x3da2623f};
static const uint32_t TORCH_U01_SEED0_DEFAULT[8] = {0xba444300, 0x3d5bba32, 0xbda88f45, 0xbd96b866,
                                                    0xbd1dc25d, 0x3cdbacac, 0xbb01d900, 0x3da2623f};
static const uint32_t TORCH_SEQ_4_8_2_SEED2[58] = {
    0x3deae540, 0xbdf3af88, 0x3e0c67b4, 0xbcd13700, 0x3e5ab858, 0x3df3c958, 0xbd6b62e0, 0xbecef76a,
    0x3de9cb40, 0xbee2a5f2, 0x3d869510, 0x3d081b10, 0xbde12d08, 0x3ed15496, 0x3d08ad50, 0x3e5450bc,
    0x3e58acfc, 0xbe9705c2, 0xbe44d498, 0x3ef63328, 0xbefabf08, 0xbd0b18c0, 0xbd224db0, 0x3eb5954e,
    0xbd42b3d0, 0x3e06d198, 0xbcc49f80, 0xbe8f58ac, 0xbe91192a, 0xbe78bf34, 0xbee88d32, 0xbea623b4,
    0x3df0ff50, 0x3ea87c42, 0x3cc9c740, 0xbe6ab210, 0x3e6103fc, 0xbe448af4, 0xbde2d5d8, 0xbe8c5750,
    0xbde35cb3, 0xbea7bb83, 0x3e1a7a6d, 0x3e0cc60a, 0x3d8fd378, 0x3e31c112, 0x3e19718a, 0x3c802446,
    0x3d195e1a, 0x3cdd2a64, 0x3e412ed9, 0x3e7332c3, 0x3e81ff8d, 0x3e51d6f2, 0xbdb08973, 0xbc80efd5,
    0xbd932613, 0x3e529c05,
};

TEST(mt19937_matches_the_published_reference_outputs) {
    al_mt19937 g;
    /* std::mt19937's default seed 5489: first output 3499211612, and C++11 [rand.predef]
     * requires the 10000th to be 4123659995 */
    al_mt19937_seed(&g, 5489);
    uint32_t first = al_mt19937_next32(&g), x = first;
    for (int i = 2; i <= 10000; i++) x = al_mt19937_next32(&g);
    CHECK(first == 3499211612u, "first output for seed 5489: %u", first);
    CHECK(x == 4123659995u, "10000th output for seed 5489: %u", x);
}

TEST(manual_seed_0_gives_torchs_raw_stream_and_rand) {
    al_mt19937 g;
    al_mt19937_seed(&g, 0);
    for (int i = 0; i < 6; i++) {
        uint32_t u = al_mt19937_next32(&g);
        CHECK(u == TORCH_RAW_SEED0[i], "output %d: %u, torch %u", i, u, TORCH_RAW_SEED0[i]);
    }
    float r[5];
    al_mt19937_seed(&g, 0);
    al_torch_rand(r, 5, &g);
    for (int i = 0; i < 5; i++)
        CHECK(bits_of(r[i]) == TORCH_RAND5_SEED0[i], "rand[%d] %08x, torch %08x", i, bits_of(r[i]), TORCH_RAND5_SEED0[i]);
    CHECK(fabs(r[0] - 0.49625659) < 1e-8, "torch.rand(5)[0] after manual_seed(0) is 0.49625659: %.8f", r[0]);
}

TEST(uniform_fused_and_unfused_each_match_their_torch_kernel) {
    al_mt19937 g;
    float a[8], b[8];
    al_mt19937_seed(&g, 0);
    al_torch_uniform(a, 8, -0.1, 0.1, &g);
    al_mt19937_seed(&g, 0);
    al_torch_uniform_unfused(b, 8, -0.1, 0.1, &g);
    int differ = 0;
    for (int i = 0; i < 8; i++) {
        CHECK(bits_of(a[i]) == TORCH_U01_SEED0_AVX2[i], "fused [%d] %08x, torch AVX2 %08x", i, bits_of(a[i]), TORCH_U01_SEED0_AVX2[i]);
        CHECK(bits_of(b[i]) == TORCH_U01_SEED0_DEFAULT[i], "unfused [%d] %08x, torch default %08x", i, bits_of(b[i]), TORCH_U01_SEED0_DEFAULT[i]);
        differ += a[i] != b[i];
    }
    CHECK(differ > 0, "the two kernels differ somewhere in these 8 values");
}

TEST(seeds_keep_their_low_32_bits_like_torch) {
    al_mt19937 g, h;
    al_mt19937_seed(&g, (UINT64_C(1) << 40) + 7);
    al_mt19937_seed(&h, 7);
    int same = 0;
    for (int i = 0; i < 2000; i++) same += al_mt19937_next32(&g) == al_mt19937_next32(&h);
    CHECK(same == 2000, "seed 2^40 + 7 and seed 7: %d of 2000 outputs equal", same);
}

TEST(reseeding_replays_and_other_seeds_differ) {
    al_mt19937 g, h;
    uint32_t first[1300];
    al_mt19937_seed(&g, 12345);
    for (int i = 0; i < 1300; i++) first[i] = al_mt19937_next32(&g);   /* crosses two regenerations */
    al_mt19937_seed(&g, 12345);
    al_mt19937_seed(&h, 12346);
    int replay = 0, same = 0;
    for (int i = 0; i < 1300; i++) {
        replay += al_mt19937_next32(&g) == first[i];
        same += al_mt19937_next32(&h) == first[i];
    }
    CHECK(replay == 1300, "reseeded stream replays: %d of 1300", replay);
    CHECK(same < 5, "seed 12346 shares %d of 1300 outputs with seed 12345", same);
}

/* x·range + lo rounded once to float. glibc's fmaf is exact; Emscripten 3.1.6's is not (it
 * rounds in double first: 242 of these 400,000 values differ), so wasm builds use their
 * binary128 long double, in which x·range (48 bits) + lo is exact for every case below. */
static float fused_reference(float x, float range, float lo) {
#if defined(__wasm__) && LDBL_MANT_DIG >= 113
    return (float)((long double)x * (long double)range + (long double)lo);
#else
    return fmaf(x, range, lo);
#endif
}

TEST(fused_uniform_is_fmaf_and_unfused_is_two_roundings) {
    /* independent of core: libm's fmaf and the plain float expression, on the same x */
    al_mt19937 g, h, pick;
    al_mt19937_seed(&pick, 99);
    long bad_fused = 0, bad_unfused = 0, fused_ne_unfused = 0;
    float out[1000], out2[1000];
    /* a tiny lo: x * range often lands exactly on a float midpoint and only lo decides the
     * rounding, where rounding the sum in double and then to float would get it wrong */
    const double tiny_lo[][2] = {{1e-30, 3.0}, {-1e-30, 3.0}, {0x1p-60, 7.0}, {1e-20, 5.0}};
    for (int trial = 0; trial < 400; trial++) {
        /* bounds across magnitudes: lo = ±m1 * 2^e1, hi = lo + m2 * 2^e2 */
        double lo = ((double)al_mt19937_next32(&pick) / 4294967296.0 - 0.5) * ldexp(1.0, (int)(al_mt19937_next32(&pick) % 40) - 20);
        double hi = lo + (double)al_mt19937_next32(&pick) / 4294967296.0 * ldexp(1.0, (int)(al_mt19937_next32(&pick) % 40) - 20);
        if (trial < 4) { lo = tiny_lo[trial][0]; hi = tiny_lo[trial][1]; }
        float flo = (float)lo, range = (float)hi - flo;
        al_mt19937_seed(&g, (uint64_t)trial);
        al_mt19937_seed(&h, (uint64_t)trial);
        al_torch_uniform(out, 1000, lo, hi, &g);
        al_torch_uniform_unfused(out2, 1000, lo, hi, &g);
        for (int i = 0; i < 2000; i++) {
            float x = (float)(al_mt19937_next32(&h) & 0xffffffu) / 16777216.0f;
            float want_fused = fused_reference(x, range, flo), want_unfused = x * range + flo;
            if (i < 1000) bad_fused += bits_of(out[i]) != bits_of(want_fused);
            else bad_unfused += bits_of(out2[i - 1000]) != bits_of(want_unfused);
            if (i < 1000) fused_ne_unfused += want_fused != want_unfused;
        }
    }
    CHECK(bad_fused == 0, "%ld of 400000 fused values differ from fmaf", bad_fused);
    CHECK(bad_unfused == 0, "%ld of 400000 unfused values differ from x * range + lo", bad_unfused);
    CHECK(fused_ne_unfused > 1000, "the test reaches values where one rounding matters (%ld)", fused_ne_unfused);
}

TEST(uniform_stays_in_from_to_and_rand_is_24_bit_in_0_1) {
    al_mt19937 g;
    al_mt19937_seed(&g, 4);
    static float x[100000];
    al_torch_rand(x, 100000, &g);
    long out_of_range = 0, not_24_bit = 0;
    double sum = 0;
    for (long i = 0; i < 100000; i++) {
        out_of_range += !(x[i] >= 0.0f && x[i] < 1.0f);
        not_24_bit += x[i] * 16777216.0f != floorf(x[i] * 16777216.0f);
        sum += x[i];
    }
    CHECK(out_of_range == 0 && not_24_bit == 0, "rand: %ld outside [0, 1), %ld not k / 2^24", out_of_range, not_24_bit);
    CHECK(fabs(sum / 100000 - 0.5) < 0.005, "rand mean %.4f", sum / 100000);
    const double bounds[][2] = {{-3, 5}, {0.1, 0.7}, {-1e-3, 2.5}, {-0.5, -0.25}, {-0.0625, 0.0625}};
    for (int k = 0; k < 5; k++) {
        float lo = (float)bounds[k][0], hi = (float)bounds[k][1], mn = hi, mx = lo;
        al_torch_uniform(x, 100000, bounds[k][0], bounds[k][1], &g);
        out_of_range = 0;
        for (long i = 0; i < 100000; i++) {
            out_of_range += !(x[i] >= lo && x[i] <= hi);
            if (x[i] < mn) mn = x[i];
            if (x[i] > mx) mx = x[i];
        }
        CHECK(out_of_range == 0, "uniform_(%g, %g): %ld outside", lo, hi, out_of_range);
        CHECK(mn - lo < (hi - lo) * 1e-3 && hi - mx < (hi - lo) * 1e-3, "uniform_(%g, %g) spans [%g, %g]", lo, hi, mn, mx);
    }
}

TEST(linear_bounds_are_pythons_doubles) {
    /* printed by torch 1.13.1's Python: math.sqrt(3.0) * (nn.init.calculate_gain('leaky_relu',
     * math.sqrt(5)) / math.sqrt(fan)) and 1 / math.sqrt(fan), as double bits; the kaiming bound
     * is not 1/sqrt(fan) in the last bit */
    const struct { int fan; uint64_t bw, bb; } want[] = {
        {1, UINT64_C(0x3fefffffffffffff), UINT64_C(0x3ff0000000000000)},
        {4, UINT64_C(0x3fdfffffffffffff), UINT64_C(0x3fe0000000000000)},
        {784, UINT64_C(0x3fa2492492492492), UINT64_C(0x3fa2492492492492)},
    };
    for (int i = 0; i < 3; i++) {
        double bw, bb;
        al_torch_linear_bounds(&bw, &bb, want[i].fan);
        CHECK(dbits_of(bw) == want[i].bw && dbits_of(bb) == want[i].bb, "fan %d: bw %016llx bb %016llx",
              want[i].fan, (unsigned long long)dbits_of(bw), (unsigned long long)dbits_of(bb));
    }
}

TEST(sequential_4_8_2_seed_2_is_torchs_parameters) {
    int sizes[3] = {4, 8, 2};
    float dropout[AL_MAX_LAYERS] = {0}, p[58];
    al_model m;
    long P = al_model_layout(&m, sizes, 3, AL_ACT_RELU, AL_NORM_NONE, dropout);
    CHECK(P == 58, "P = %ld", P);
    al_model_init_torch(p, &m, 2);
    int bad = 0, first = -1;
    for (int i = 0; i < 58; i++)
        if (bits_of(p[i]) != TORCH_SEQ_4_8_2_SEED2[i]) { bad++; if (first < 0) first = i; }
    CHECK(bad == 0, "%d of 58 differ, first at %d", bad, first);
}

TEST(norm_layers_get_ones_and_zeros_and_draw_nothing) {
    int sizes[4] = {3, 5, 7, 2};
    float dropout[AL_MAX_LAYERS] = {0};
    static float plain[200], normed[200];
    al_model a, b;
    al_model_layout(&a, sizes, 4, AL_ACT_TANH, AL_NORM_NONE, dropout);
    long P = al_model_layout(&b, sizes, 4, AL_ACT_TANH, AL_NORM_LAYER, dropout);
    al_model_init_torch(plain, &a, 1);
    al_model_init_torch(normed, &b, 1);
    int ok = 1;
    for (int l = 0; l < 3; l++) {
        int in = sizes[l], out = sizes[l + 1];
        ok &= !memcmp(plain + a.w[l], normed + b.w[l], sizeof(float) * (size_t)(in * out));
        ok &= !memcmp(plain + a.b[l], normed + b.b[l], sizeof(float) * (size_t)out);
        if (l < 2)
            for (int i = 0; i < out; i++) ok &= normed[b.gamma[l] + i] == 1.0f && normed[b.beta[l] + i] == 0.0f;
    }
    CHECK(P == 3 * 5 + 5 + 10 + 5 * 7 + 7 + 14 + 7 * 2 + 2, "P = %ld", P);
    CHECK(ok, "Linear values equal with and without a norm; gamma 1, beta 0");
    /* and weights lie within ±1/sqrt(fan_in) (as float) */
    int outside = 0;
    for (int l = 0; l < 3; l++) {
        float bnd = (float)(1.0 / sqrt((double)sizes[l]));
        for (long i = 0; i < (long)sizes[l] * sizes[l + 1]; i++) outside += fabsf(plain[a.w[l] + i]) > bnd;
    }
    CHECK(outside == 0, "%d weights outside ±1/sqrt(fan_in)", outside);
}

int main(void) {
    RUN(mt19937_matches_the_published_reference_outputs);
    RUN(manual_seed_0_gives_torchs_raw_stream_and_rand);
    RUN(uniform_fused_and_unfused_each_match_their_torch_kernel);
    RUN(seeds_keep_their_low_32_bits_like_torch);
    RUN(reseeding_replays_and_other_seeds_differ);
    RUN(fused_uniform_is_fmaf_and_unfused_is_two_roundings);
    RUN(uniform_stays_in_from_to_and_rand_is_24_bit_in_0_1);
    RUN(linear_bounds_are_pythons_doubles);
    RUN(sequential_4_8_2_seed_2_is_torchs_parameters);
    RUN(norm_layers_get_ones_and_zeros_and_draw_nothing);
    return check_summary("torch_rng");
}
