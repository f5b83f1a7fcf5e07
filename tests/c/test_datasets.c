/* tests/c/test_datasets.c — the built-in datasets: shapes, determinism, class balance and
 * interleaving, value ranges, the digits data against the CSV, rejected sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "config.h"
#include "datasets.h"

/* core/digits_data.c: the table in the CSV's order */
extern const char al_digits_pixels[AL_DIGITS_N][65];
extern const char al_digits_labels[AL_DIGITS_N + 1];

static const char *NAMES[] = {"seed_example", "regression", "moons", "circles", "xor",
                              "spirals", "gaussians", "digits"};

typedef struct { float *x, *y; int n; al_data_shape s; } data;

static data make(al_data_name name, int n, double noise, uint64_t seed) {
    data d;
    d.s = al_dataset_shape(name);
    d.n = n;
    d.x = calloc((size_t)n * (size_t)d.s.inputs, sizeof(float));
    d.y = calloc((size_t)n * (size_t)d.s.targets, sizeof(float));
    int rc = al_dataset_make(name, n, noise, seed, d.x, d.y);
    CHECK(rc == 0, "%s n=%d: rc %d", NAMES[name], n, rc);
    return d;
}
static void release(data *d) { free(d->x); free(d->y); }

static int same_bits(const float *a, const float *b, size_t n) { return memcmp(a, b, n * sizeof(float)) == 0; }

TEST(shapes_match_the_table) {
    static const int want[][4] = {   /* inputs, targets, classes, max_n */
        {4, 2, 0, AL_MAX_SAMPLES}, {1, 1, 0, AL_MAX_SAMPLES}, {2, 1, 2, AL_MAX_SAMPLES},
        {2, 1, 2, AL_MAX_SAMPLES}, {2, 1, 2, AL_MAX_SAMPLES}, {2, 1, 2, AL_MAX_SAMPLES},
        {2, 1, 3, AL_MAX_SAMPLES}, {64, 1, 10, AL_DIGITS_N}};
    for (int k = 0; k < AL_DATA_EXPLICIT; k++) {
        al_data_shape s = al_dataset_shape((al_data_name)k);
        CHECK(s.inputs == want[k][0] && s.targets == want[k][1] && s.classes == want[k][2] &&
              s.max_n == want[k][3], "%s: %d %d %d %d", NAMES[k], s.inputs, s.targets, s.classes, s.max_n);
    }
    al_data_shape e = al_dataset_shape(AL_DATA_EXPLICIT);
    CHECK(e.inputs == 0 && e.max_n == 0, "explicit has no built-in shape");
}

TEST(same_seed_same_bits_different_seed_different_data) {
    for (int k = 0; k < AL_DATA_EXPLICIT; k++) {
        int n = 301;
        data a = make((al_data_name)k, n, 0.1, 7), b = make((al_data_name)k, n, 0.1, 7);
        data c = make((al_data_name)k, n, 0.1, 8);
        size_t nx = (size_t)n * (size_t)a.s.inputs, ny = (size_t)n * (size_t)a.s.targets;
        CHECK(same_bits(a.x, b.x, nx) && same_bits(a.y, b.y, ny), "%s: same seed differs", NAMES[k]);
        CHECK(!same_bits(a.x, c.x, nx), "%s: seeds 7 and 8 give the same inputs", NAMES[k]);
        /* a prefix is the same set: make(n) starts like make(2n) (except digits, whose
         * shuffle is the same too, so it holds there as well) */
        data d = make((al_data_name)k, 2 * n, 0.1, 7);
        if (k != AL_DATA_SEED_EXAMPLE)   /* seed_example draws all x, then all y */
            CHECK(same_bits(a.x, d.x, nx), "%s: the first n of 2n differ", NAMES[k]);
        release(&a); release(&b); release(&c); release(&d);
    }
}

TEST(noise_zero_gives_the_clean_geometry_and_noise_only_perturbs) {
    for (int k = AL_DATA_REGRESSION; k < AL_DATA_GAUSSIANS; k++) {
        int n = 200;
        data clean = make((al_data_name)k, n, 0.0, 3), noisy = make((al_data_name)k, n, 0.2, 3);
        double max_dev = 0.0;
        for (int i = 0; i < n * clean.s.inputs; i++) {
            double dv = fabs((double)clean.x[i] - (double)noisy.x[i]);
            if (dv > max_dev) max_dev = dv;
        }
        if (clean.s.classes)
            CHECK(same_bits(clean.y, noisy.y, (size_t)n), "%s: labels change with noise", NAMES[k]);
        if (k != AL_DATA_REGRESSION) CHECK(max_dev > 0.0 && max_dev < 0.2 * 6.0 + 1e-6,
                                           "%s: noise deviation %g", NAMES[k], max_dev);
        release(&clean); release(&noisy);
    }
    data a = make(AL_DATA_REGRESSION, 100, 0.0, 5), b = make(AL_DATA_REGRESSION, 100, 0.3, 5);
    CHECK(same_bits(a.x, b.x, 100), "regression x does not depend on noise");
    CHECK(!same_bits(a.y, b.y, 100), "regression y does");
    release(&a); release(&b);
}

TEST(classes_are_balanced_and_interleaved) {
    for (int k = AL_DATA_MOONS; k <= AL_DATA_DIGITS; k++) {
        int n = k == AL_DATA_DIGITS ? AL_DIGITS_N : 999;
        data d = make((al_data_name)k, n, 0.1, 11);
        int C = d.s.classes, count[10] = {0}, bad = 0;
        for (int i = 0; i < n; i++) {
            float v = d.y[i];
            int c = (int)v;
            if ((float)c != v || c < 0 || c >= C) { bad++; continue; }
            count[c]++;
        }
        CHECK(bad == 0, "%s: %d labels not in 0..%d", NAMES[k], bad, C - 1);
        for (int c = 0; c < C; c++) {
            int lo = k == AL_DATA_DIGITS ? 170 : n / C, hi = k == AL_DATA_DIGITS ? 185 : n / C + 1;
            CHECK(count[c] >= lo && count[c] <= hi, "%s: class %d has %d of %d", NAMES[k], c, count[c], n);
        }
        /* interleaved: every class appears among the first 3*C samples */
        int seen[10] = {0};
        for (int i = 0; i < 3 * C; i++) seen[(int)d.y[i]] = 1;
        int all = 1;
        for (int c = 0; c < C; c++) all &= seen[c];
        CHECK(k == AL_DATA_DIGITS ? 1 : all, "%s: classes not interleaved", NAMES[k]);
        release(&d);
    }
    /* digits: the first 100 of the shuffle hold at least 6 distinct digits */
    data d = make(AL_DATA_DIGITS, 100, 0.0, 11);
    int seen[10] = {0}, distinct = 0;
    for (int i = 0; i < 100; i++) seen[(int)d.y[i]] = 1;
    for (int c = 0; c < 10; c++) distinct += seen[c];
    CHECK(distinct >= 6, "digits: only %d distinct labels in the first 100", distinct);
    release(&d);
}

static void minmax(const float *v, int n, int stride, int off, float *lo, float *hi) {
    *lo = INFINITY; *hi = -INFINITY;
    for (int i = 0; i < n; i++) {
        float a = v[i * stride + off];
        if (a < *lo) *lo = a;
        if (a > *hi) *hi = a;
    }
}

TEST(values_lie_in_their_ranges) {
    int n = 5000;
    float lo, hi;
    data s = make(AL_DATA_SEED_EXAMPLE, n, 0.0, 1);
    minmax(s.x, n * 4, 1, 0, &lo, &hi);
    CHECK(lo >= 0.0f && hi < 1.0f && hi > 0.99f && lo < 0.01f, "seed_example x in [%g, %g]", lo, hi);
    minmax(s.y, n * 2, 1, 0, &lo, &hi);
    CHECK(lo >= 0.0f && hi < 1.0f, "seed_example y in [%g, %g]", lo, hi);
    release(&s);

    data r = make(AL_DATA_REGRESSION, n, 0.0, 1);
    minmax(r.x, n, 1, 0, &lo, &hi);
    CHECK(lo >= -1.0f && hi < 1.0f && lo < -0.99f && hi > 0.99f, "regression x in [%g, %g]", lo, hi);
    double maxerr = 0.0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)r.y[i] - sin(3.14159265358979323846 * (double)r.x[i]));
        if (e > maxerr) maxerr = e;
    }
    CHECK(maxerr < 1e-6, "regression y = sin(pi x) without noise (err %g)", maxerr);
    release(&r);

    data m = make(AL_DATA_MOONS, n, 0.0, 1);   /* noise 0: on the two half circles */
    double maxdev = 0.0;
    for (int i = 0; i < n; i++) {
        double x0 = m.x[2 * i], x1 = m.x[2 * i + 1];
        double rr = m.y[i] == 0.0f ? x0 * x0 + x1 * x1 : (x0 - 1) * (x0 - 1) + (x1 - 0.5) * (x1 - 0.5);
        if (fabs(rr - 1.0) > maxdev) maxdev = fabs(rr - 1.0);
        CHECK(m.y[i] == 0.0f ? x1 >= 0.0 : x1 <= 0.5, "moons sample %d on the wrong half", i);
    }
    CHECK(maxdev < 1e-6, "moons radius deviation %g", maxdev);
    release(&m);

    data c = make(AL_DATA_CIRCLES, n, 0.0, 1);
    maxdev = 0.0;
    for (int i = 0; i < n; i++) {
        double rad = sqrt((double)c.x[2 * i] * c.x[2 * i] + (double)c.x[2 * i + 1] * c.x[2 * i + 1]);
        double want = c.y[i] == 0.0f ? 1.0 : 0.5;
        if (fabs(rad - want) > maxdev) maxdev = fabs(rad - want);
    }
    CHECK(maxdev < 1e-6, "circles radius deviation %g", maxdev);
    release(&c);

    data x = make(AL_DATA_XOR, n, 0.0, 1);
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        int cls = (x.x[2 * i] > 0.0f) != (x.x[2 * i + 1] > 0.0f);
        wrong += (float)cls != x.y[i];
        if (fabsf(x.x[2 * i]) > 1.0f || fabsf(x.x[2 * i + 1]) > 1.0f) wrong++;
    }
    CHECK(wrong == 0, "xor: %d samples off the rule or outside [-1, 1]", wrong);
    release(&x);

    data sp = make(AL_DATA_SPIRALS, n, 0.0, 1);
    minmax(sp.x, n * 2, 1, 0, &lo, &hi);
    CHECK(lo >= -1.0f && hi <= 1.0f && lo < -0.8f && hi > 0.8f, "spirals in [%g, %g]", lo, hi);
    release(&sp);

    data g = make(AL_DATA_GAUSSIANS, 3000, 0.0, 1);
    double mean[3][2] = {{0}}, cnt[3] = {0};
    for (int i = 0; i < 3000; i++) {
        int k = (int)g.y[i];
        mean[k][0] += g.x[2 * i]; mean[k][1] += g.x[2 * i + 1]; cnt[k]++;
    }
    for (int k = 0; k < 3; k++) {
        double mx = mean[k][0] / cnt[k], my = mean[k][1] / cnt[k];
        double cx = 2.0 * cos(3.14159265358979323846 * (0.5 + 2.0 * k / 3.0));
        double cy = 2.0 * sin(3.14159265358979323846 * (0.5 + 2.0 * k / 3.0));
        CHECK(fabs(mx - cx) < 0.06 && fabs(my - cy) < 0.06 && fabs(sqrt(cx * cx + cy * cy) - 2.0) < 1e-12,
              "gaussians centre %d at (%g, %g), want (%g, %g)", k, mx, my, cx, cy);
    }
    release(&g);

    data d = make(AL_DATA_DIGITS, AL_DIGITS_N, 0.0, 1);
    int off = 0;
    for (int i = 0; i < AL_DIGITS_N * 64; i++) {
        float v = d.x[i] * 16.0f;
        off += !(d.x[i] >= 0.0f && d.x[i] <= 1.0f && v == (float)(int)v);
    }
    CHECK(off == 0, "digits: %d pixels not k/16 in [0, 1]", off);
    release(&d);
}

/* First row of sklearn/datasets/data/digits.csv.gz (python3-sklearn, read with
 * `zcat digits.csv.gz | head -1`): 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,... label 0.
 * Second row: 0,0,0,12,13,5,0,0,... label 1. */
TEST(digits_rows_match_the_csv) {
    static const int row0[10] = {0, 0, 5, 13, 9, 1, 0, 0, 0, 0};
    static const int row1[10] = {0, 0, 0, 12, 13, 5, 0, 0, 0, 0};
    for (int j = 0; j < 10; j++) {
        CHECK(al_digits_pixels[0][j] - 'a' == row0[j], "table row 0 pixel %d", j);
        CHECK(al_digits_pixels[1][j] - 'a' == row1[j], "table row 1 pixel %d", j);
    }
    CHECK(al_digits_labels[0] == '0' && al_digits_labels[1] == '1', "table labels 0, 1");
    CHECK(strlen(al_digits_pixels[AL_DIGITS_N - 1]) == 64 && strlen(al_digits_labels) == AL_DIGITS_N,
          "table sizes");
    /* all 1797 images, shuffled: find the CSV's rows 0 and 1 by their first 10 pixels */
    data d = make(AL_DATA_DIGITS, AL_DIGITS_N, 0.0, 123);
    int found0 = 0, found1 = 0;
    for (int i = 0; i < AL_DIGITS_N; i++) {
        int m0 = 1, m1 = 1;
        for (int j = 0; j < 10; j++) {
            m0 &= d.x[64 * i + j] == (float)row0[j] / 16.0f;
            m1 &= d.x[64 * i + j] == (float)row1[j] / 16.0f;
        }
        /* the rest of row 0, from the CSV: ...,13,15,10,15,5,0,0,3,15,2,0,11,8,0 */
        if (m0 && d.x[64 * i + 10] == 13.0f / 16.0f && d.x[64 * i + 13] == 15.0f / 16.0f && d.y[i] == 0.0f) found0++;
        if (m1 && d.y[i] == 1.0f) found1++;
    }
    CHECK(found0 == 1, "CSV row 0 found %d times", found0);
    CHECK(found1 >= 1, "CSV row 1 found %d times", found1);
    /* labels over all images: the counts of the CSV */
    static const int counts[10] = {178, 182, 177, 183, 181, 182, 181, 179, 174, 180};
    int got[10] = {0};
    for (int i = 0; i < AL_DIGITS_N; i++) got[(int)d.y[i]]++;
    for (int c = 0; c < 10; c++) CHECK(got[c] == counts[c], "digit %d: %d images, CSV has %d", c, got[c], counts[c]);
    release(&d);
}

TEST(digits_noise_is_added_only_when_positive) {
    data a = make(AL_DATA_DIGITS, 50, 0.0, 9), b = make(AL_DATA_DIGITS, 50, 0.05, 9);
    CHECK(same_bits(a.y, b.y, 50), "same images with and without noise");
    CHECK(!same_bits(a.x, b.x, 50 * 64), "noise changes the pixels");
    release(&a); release(&b);
}

TEST(out_of_range_requests_are_rejected) {
    float x[64 * 2], y[2];
    CHECK(al_dataset_make(AL_DATA_MOONS, 0, 0.1, 1, x, y) == -1, "n = 0");
    CHECK(al_dataset_make(AL_DATA_MOONS, -5, 0.1, 1, x, y) == -1, "n < 0");
    CHECK(al_dataset_make(AL_DATA_MOONS, AL_MAX_SAMPLES + 1, 0.1, 1, x, y) == -1, "n > AL_MAX_SAMPLES");
    CHECK(al_dataset_make(AL_DATA_DIGITS, AL_DIGITS_N + 1, 0.0, 1, x, y) == -1, "digits n > 1797");
    CHECK(al_dataset_make(AL_DATA_EXPLICIT, 2, 0.0, 1, x, y) == -1, "explicit is not built in");
    CHECK(al_dataset_make((al_data_name)99, 2, 0.0, 1, x, y) == -1, "unknown name");
    CHECK(al_dataset_make(AL_DATA_MOONS, 2, -0.1, 1, x, y) == -1, "negative noise");
    CHECK(al_dataset_make(AL_DATA_MOONS, 2, NAN, 1, x, y) == -1, "NaN noise");
    CHECK(al_dataset_make(AL_DATA_MOONS, 2, 0.1, 1, NULL, y) == -1, "NULL x");
    CHECK(al_dataset_make(AL_DATA_DIGITS, 2, 0.0, 1, x, y) == 0, "digits n = 2 is fine");
    CHECK(al_dataset_make(AL_DATA_MOONS, 1, 0.0, 1, x, y) == 0, "n = 1 is fine");
}

/* Golden hashes: FNV-1a 64 over the bytes of x then y (little-endian floats) of each set
 * made with n = 5000 (digits: 1797), noise 0.1, seed 12345. The same numbers must come out
 * of every build (native, wasm SIMD, wasm scalar); recorded from the native build. */
static uint64_t dataset_hash(al_data_name name) {
    al_data_shape s = al_dataset_shape(name);
    int n = name == AL_DATA_DIGITS ? AL_DIGITS_N : 5000;
    size_t nx = (size_t)n * (size_t)s.inputs, ny = (size_t)n * (size_t)s.targets;
    float *x = calloc(nx, sizeof(float)), *y = calloc(ny, sizeof(float));
    uint64_t h = 0xcbf29ce484222325ull;
    if (x && y && al_dataset_make(name, n, 0.1, 12345, x, y) == 0) {
        for (size_t i = 0; i < nx + ny; i++) {
            uint32_t u;
            memcpy(&u, i < nx ? &x[i] : &y[i - nx], 4);
            for (int b = 0; b < 4; b++) { h ^= (u >> (8 * b)) & 0xffu; h *= 0x100000001b3ull; }
        }
    }
    free(x); free(y);
    return h;
}

TEST(golden_hashes_match_recorded_values) {
    static const uint64_t expected[AL_DATA_EXPLICIT] = {
        0x7288c5392e9b5313ull, 0x637dcf8e845dfb49ull, 0xd6efe586d5544c90ull, 0x94028ab1b37f39a1ull,
        0xc4196fccffc095bdull, 0x4bf14536bb13242eull, 0x3930cad17738f713ull, 0xa203829d5fb4ddfaull,
    };
    for (int k = 0; k < AL_DATA_EXPLICIT; k++) {
        uint64_t h = dataset_hash((al_data_name)k);
        printf("  golden %-12s 0x%016llx\n", NAMES[k], (unsigned long long)h);
        CHECK(h == expected[k], "golden %s: 0x%016llx, recorded 0x%016llx", NAMES[k],
              (unsigned long long)h, (unsigned long long)expected[k]);
    }
}

int main(void) {
    RUN(shapes_match_the_table);
    RUN(same_seed_same_bits_different_seed_different_data);
    RUN(noise_zero_gives_the_clean_geometry_and_noise_only_perturbs);
    RUN(classes_are_balanced_and_interleaved);
    RUN(values_lie_in_their_ranges);
    RUN(digits_rows_match_the_csv);
    RUN(digits_noise_is_added_only_when_positive);
    RUN(out_of_range_requests_are_rejected);
    RUN(golden_hashes_match_recorded_values);
    return check_summary("datasets");
}
