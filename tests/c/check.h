/* tests/c/check.h — a minimal test harness for the C unit tests.
 * TEST(name) { ... CHECK(cond, "fmt", ...); ... }  and a main() that runs them:
 *   int main(void) { RUN(name); ...; return check_summary("rng"); }
 * Each binary prints "<suite>: N passed, N failed" and exits non-zero on failure.
 */
#ifndef ACCUMLAB_CHECK_H
#define ACCUMLAB_CHECK_H
#include <stdio.h>
#include <math.h>

static int check_failures_total = 0, check_passed_tests = 0, check_failed_tests = 0;
static int check_failures_here = 0;

#define TEST(name) static void name(void)
#define CHECK(cond, ...) do { if (!(cond)) { check_failures_here++; \
    fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_CLOSE(a, b, tol) do { double a_ = (a), b_ = (b); \
    CHECK(fabs(a_ - b_) <= (tol), "%s = %.9g, %s = %.9g, tol %.3g", #a, a_, #b, b_, (double)(tol)); } while (0)
#define RUN(name) do { check_failures_here = 0; name(); \
    if (check_failures_here) { check_failed_tests++; check_failures_total += check_failures_here; \
        fprintf(stderr, "not ok - %s\n", #name); } \
    else { check_passed_tests++; printf("ok - %s\n", #name); } } while (0)

static int check_summary(const char *suite) {
    printf("%s: %d passed, %d failed\n", suite, check_passed_tests, check_failed_tests);
    return check_failed_tests ? 1 : 0;
}
#endif
