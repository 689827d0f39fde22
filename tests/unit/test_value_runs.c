/* test_value_runs.c: value_runs.c's routes against the plain ones they replace, bit for bit:
 * mql_sum_repeated against c additions one by one (binade edges, ties to even, signs, zero
 * crossings, huge and tiny values, fixed points), mql_sum_runs against its runs added one by
 * one, and the runs by counting digits or hashing
 * against the runs by sorting (missing values, -0, one value, ranges grown late in the column,
 * spans too wide to count), and the runs counted from a known range against those by digits. Exact comparisons: these are speed routes with no tolerance. */
#include "testutil.h"
#include "mqlcal/value_runs.h"

#include <float.h>
#include <stdint.h>
#include <string.h>

/* c additions one by one: the definition mql_sum_repeated must match. */
static double sum_serial(double s, double v, size_t c)
{
    for (size_t i = 0; i < c; i++)
        s += v;
    return s;
}

static int same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0;
}

static void check_sum(double s, double v, size_t c)
{
    double want = sum_serial(s, v, c), got = mql_sum_repeated(s, v, c);
    if (!same_bits(want, got))
        fail_msg("sum of %.17g + %zu x %.17g: %.17g, one by one %.17g", s, c, v, got, want);
}

static uint64_t lcg(uint64_t *st)
{
    *st = *st * 6364136223846793005ULL + 1442695040888963407ULL;
    return *st >> 11;
}

/* Cases chosen to sit on the jump's edges: a sum starting at or just under a power of two
 * (binade bottom and top), increments of exactly half an ulp (ties: even and odd sums),
 * increments below half an ulp (the sum stuck), runs that cross zero, and runs longer than the
 * whole-run check covers (2^11). */
static void test_sum_edges(void **state)
{
    (void)state;
    const double starts[] = {0.0, -0.0, 1.0, -1.0, 0x1p52, 0x1p53, 0x1p53 - 1, -0x1p52,
                             0x1p52 + 1, 1 - 0x1p-53, 0.1, -0.3, 1e300, 1e-300, DBL_MIN,
                             4.9e-324, 1e17, 123456.789};
    const double incs[] = {0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, 0x1p-53, -0x1p-53,
                           0x1p-54, -0x1p-54, 0.1, -0.1, 0.0001, 3.0e-5, 1e-17, -1e-17, 7.25,
                           1e16, -1e16, 1e-310, 4.9e-324, 1e290};
    const size_t counts[] = {0, 1, 3, 4, 5, 31, 32, 33, 100, 2047, 2048, 2049, 5000, 100000};
    for (size_t a = 0; a < sizeof starts / sizeof *starts; a++)
        for (size_t b = 0; b < sizeof incs / sizeof *incs; b++)
            for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
                check_sum(starts[a], incs[b], counts[k]);
                check_sum(-starts[a], incs[b], counts[k]);
            }
}

/* Random written decimals (the step means' case: a run of one value per distinct value, sums
 * growing through many binades) and random doubles. */
static void test_sum_random(void **state)
{
    (void)state;
    uint64_t st = 42;
    for (int it = 0; it < 20000; it++) {
        uint64_t r = lcg(&st);
        double v;
        switch (r % 4) {
        case 0:   /* 4-decimal values */
            v = (double)((long)(lcg(&st) % 200001) - 100000) / 1e4;
            break;
        case 1:   /* small integers */
            v = (double)((long)(lcg(&st) % 13) - 3);
            break;
        case 2: { /* any double of moderate size */
            double f = (double)lcg(&st) / 9007199254740992.0 - 0.5;
            v = ldexp(f, (int)(lcg(&st) % 60) - 30);
            break;
        }
        default:  /* half-integers: ties once the sum reaches 2^53 */
            v = (double)(lcg(&st) % 7) + 0.5;
            break;
        }
        double f = (double)lcg(&st) / 9007199254740992.0 - 0.3;
        double s = (r >> 8) % 3 == 0 ? 0.0 : ldexp(f, (int)(lcg(&st) % 70) - 10);
        size_t c = (size_t)(lcg(&st) % ((r >> 12) % 2 ? 40 : 30000));
        check_sum(s, v, c);
    }
    /* a long sum through the tie region near 2^53 */
    check_sum(0x1p53 - 3000, 0.5, 20000);
    check_sum(0x1p53 - 3000, 1.5, 20000);
    check_sum(-(0x1p53 - 3000), -2.5, 20000);
}

/* mql_sum_runs against the runs added one by one, on runs drawn from the cases above: written
 * decimals in ascending order from negative to positive (a step's values: the sum falls, then
 * crosses zero and rises through many binades), ties of half-integers near 2^53, tiny and huge
 * values beside common ones, empty runs and runs longer than the whole-run check covers. */
static void test_sum_runs(void **state)
{
    (void)state;
    enum { K = 400 };
    double v[K];
    size_t c[K];
    uint64_t st = 7;
    for (int it = 0; it < 3000; it++) {
        size_t k = (size_t)(lcg(&st) % K);
        int kind = it % 5;
        double x = kind == 0 ? -5.0 : kind == 1 ? 0.5 : -1e-3;
        for (size_t j = 0; j < k; j++) {
            switch (kind) {
            case 0:   /* ascending 4-decimal values, as a column's steps hold them */
            case 2:
                x += (double)(1 + lcg(&st) % 300) / 1e4;
                v[j] = round(x * 1e4) / 1e4;
                break;
            case 1:   /* half-integers: ties once the sum nears 2^53 */
                v[j] = (double)(lcg(&st) % 5) + 0.5;
                break;
            case 3: { /* any double, any sign, huge and tiny among them */
                double f = (double)lcg(&st) / 9007199254740992.0 - 0.5;
                v[j] = ldexp(f, (int)(lcg(&st) % 200) - 100);
                break;
            }
            default:  /* small integers, zeros and negative zeros */
                v[j] = (double)((long)(lcg(&st) % 7) - 3);
                if (v[j] == 0 && lcg(&st) % 2)
                    v[j] = -0.0;
                break;
            }
            uint64_t r = lcg(&st);
            c[j] = r % 11 == 0 ? 0 : r % 13 == 0 ? (size_t)(r % 100000) : (size_t)(r % 40);
        }
        double s0 = kind == 1 ? 0x1p53 - (double)(lcg(&st) % 5000)
                    : it % 7 == 0 ? 0.0 : ldexp((double)lcg(&st) / 9007199254740992.0 - 0.5,
                                                (int)(lcg(&st) % 80) - 20);
        double want = s0;
        for (size_t j = 0; j < k; j++)
            want = sum_serial(want, v[j], c[j]);
        double got = mql_sum_runs(s0, v, c, k);
        if (!same_bits(want, got))
            fail_msg("case %d (%zu runs from %.17g): %.17g, one by one %.17g", it, k, s0, got,
                     want);
    }
    assert_true(same_bits(mql_sum_runs(1.5, NULL, NULL, 0), 1.5));
    /* runs that end exactly on a binade's edge, then go on from there */
    const double starts[] = {0x1p53 - 10, 0x1p52 + 3, 0x1p52, 0x1p53 - 1};
    const double pairs[][4] = {{1, 10, 1, 5}, {-1, 4, -1, 6}, {0.5, 3, 1.5, 3}, {2, 7, -3, 9},
                               {1, 13, -1, 20}, {-2, 2, 4, 3}};
    for (size_t a = 0; a < sizeof starts / sizeof *starts; a++)
        for (size_t b = 0; b < sizeof pairs / sizeof *pairs; b++)
            for (int sg = -1; sg <= 1; sg += 2) {
                double vv[2] = {sg * pairs[b][0], sg * pairs[b][2]};
                size_t cc[2] = {(size_t)pairs[b][1], (size_t)pairs[b][3]};
                double s0 = sg * starts[a];
                double want = sum_serial(sum_serial(s0, vv[0], cc[0]), vv[1], cc[1]);
                double got = mql_sum_runs(s0, vv, cc, 2);
                if (!same_bits(want, got))
                    fail_msg("%.17g + %zu x %g + %zu x %g: %.17g, one by one %.17g", s0, cc[0],
                             vv[0], cc[1], vv[1], got, want);
            }
}

static void check_runs_equal(const mql_value_runs *a, const mql_value_runs *b)
{
    assert_int_equal(a->nd, b->nd);
    assert_int_equal(a->nv, b->nv);
    for (size_t j = 0; j < a->nd; j++) {
        if (!same_bits(a->u[j], b->u[j]))
            fail_msg("run %zu: %.17g against %.17g", j, a->u[j], b->u[j]);
        assert_int_equal(a->c[j], b->c[j]);
    }
}

/* The first row holding v (values compared as numbers: -0 == 0), or SIZE_MAX. */
static size_t first_of(const double *x, size_t n, double v)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] == v)
            return i;
    return SIZE_MAX;
}

/* mql_runs_by_digits_range (one pass, the range known) against mql_runs_by_digits (d, or NULL
 * when it declines): given the column's exact range, the same runs and the same first rows of
 * the lowest and highest value (the first rows holding them); given a wider range, the same runs
 * with the first rows unknown unless a value sits at an end; given a range that leaves a value
 * out, no runs (1, r untouched). */
static void check_range(const double *x, size_t n, int dec, const mql_value_runs *d)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    mql_value_runs e = {0};
    int rc = mql_runs_by_digits_range(x, n, dec, lo, hi, &e);
    assert_int_equal(rc, d ? 0 : 1);
    if (!d) {
        assert_null(e.u);
        return;
    }
    check_runs_equal(d, &e);
    assert_int_equal(e.row_min, d->row_min);
    assert_int_equal(e.row_max, d->row_max);
    assert_int_equal(e.row_min, first_of(x, n, lo));
    assert_int_equal(e.row_max, first_of(x, n, hi));
    mql_runs_free(&e);
    double step = 1;
    for (int k = 0; k < dec; k++)
        step /= 10;
    assert_int_equal(mql_runs_by_digits_range(x, n, dec, lo - 2 * step, hi + step, &e), 0);
    check_runs_equal(d, &e);
    assert_int_equal(e.row_min, SIZE_MAX);
    assert_int_equal(e.row_max, SIZE_MAX);
    mql_runs_free(&e);
    if (lo < hi) {   /* the lowest or the highest value left out */
        assert_int_equal(mql_runs_by_digits_range(x, n, dec, lo + step, hi, &e), 1);
        assert_null(e.u);
        assert_int_equal(mql_runs_by_digits_range(x, n, dec, lo, hi - step, &e), 1);
        assert_null(e.u);
    }
}

/* Runs by digits and by hash equal runs by sort on written decimals, bit for bit (a zero run is
 * +0 whichever zeros the column holds). */
static void check_digits(const double *x, size_t n, int dec, int expect)
{
    mql_value_runs s = {0}, d = {0}, h = {0};
    assert_int_equal(mql_runs_by_sort(x, n, &s), 0);
    int rc = mql_runs_by_digits(x, n, dec, &d);
    assert_int_equal(rc, expect);
    if (rc == 0)
        check_runs_equal(&s, &d);
    check_range(x, n, dec, rc == 0 ? &d : NULL);
    if (s.nd <= 1000) {
        assert_int_equal(mql_runs_by_hash(x, n, s.nd + 1, &h), 0);
        assert_int_equal(h.nd, s.nd);
        check_runs_equal(&s, &h);
        if (s.nd > 1) {   /* one distinct value fewer than there are: the hash gives up */
            mql_value_runs h2 = {0};
            assert_int_equal(mql_runs_by_hash(x, n, s.nd - 1, &h2), 1);
            assert_null(h2.u);
        }
    }
    mql_runs_free(&s), mql_runs_free(&d), mql_runs_free(&h);
}

static void test_runs_routes(void **state)
{
    (void)state;
    enum { N = 50000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    uint64_t st = 7;
    /* 4-decimal values with missing cells and -0 among the zeros */
    for (size_t i = 0; i < N; i++) {
        long w = (long)(lcg(&st) % 20001) - 10000;
        x[i] = i % 97 == 0 ? NAN : (double)w / 1e4;
        if (w == 0 && i % 2)
            x[i] = -0.0;
    }
    check_digits(x, N, 4, 0);
    /* the same without -0 (the zero run is +0) */
    for (size_t i = 0; i < N; i++)
        if (x[i] == 0)
            x[i] = 0.0;
    check_digits(x, N, 4, 0);
    /* small integers, then a range that grows at the very end of the column */
    for (size_t i = 0; i < N; i++)
        x[i] = (double)(lcg(&st) % 6) + 1;
    check_digits(x, N, 0, 0);
    x[N - 1] = -250;
    x[N - 2] = 9000;
    check_digits(x, N, 0, 0);
    /* one value; only missing values (no runs: the counting route leaves it to the sort) */
    for (size_t i = 0; i < N; i++)
        x[i] = 2.5;
    check_digits(x, N, 1, 0);
    for (size_t i = 0; i < N; i++)
        x[i] = NAN;
    check_digits(x, N, 2, 1);
    /* a span too wide to count: the route declines */
    for (size_t i = 0; i < N; i++)
        x[i] = (double)i;
    x[0] = 1e9;
    check_digits(x, N, 0, 1);
    check_digits(x, 0, 0, 1);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_edges),
        cmocka_unit_test(test_sum_random),
        cmocka_unit_test(test_sum_runs),
        cmocka_unit_test(test_runs_routes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
