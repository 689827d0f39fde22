/* test_design_scan.c: the numeric columns' scan before encoding (design_scan.c): counts with
 * and without frequency weights (fractions rounded, zero and negative weights), missing cells,
 * whole numbers, the range; several columns, so that the second thread takes some, each column
 * against a hand count. */
#include "testutil.h"

#include "mqlcal/design_scan.h"

#include <string.h>

#include "mqlcal/common.h"

static void test_scan_counts(void **state)
{
    (void)state;
    double a[6] = {1.0, NAN, -3.0, 2.0, NAN, 7.0};          /* whole */
    double b[6] = {0.5, 2.0, NAN, -1e300, 4.0, 3.0};        /* one fraction */
    double c[6] = {NAN, NAN, NAN, NAN, NAN, NAN};           /* all missing */
    double d[6] = {9007199254740992.0, 1.0, 2.0, 3.0, 4.0, 5.0};   /* 2^53: not whole here */
    double w[6] = {1.0, 2.4, 0.0, 2.6, -1.0, 0.2};          /* leads: 1 2 0 3 0 0 */
    mql_column cols[4] = {{.name = "a", .num = a}, {.name = "b", .num = b},
                          {.name = "c", .num = c}, {.name = "d", .num = d}};
    mql_numeric_scan sc[8];
    for (size_t k = 0; k < 8; k++)
        sc[k] = (mql_numeric_scan){.col = &cols[k % 4], .n_rows = 6, .w = k < 4 ? NULL : w};
    mql_design_scan_numeric(sc, 8);
    /* unweighted */
    assert_int_equal(sc[0].nv, 4);
    assert_int_equal(sc[0].na, 2);
    assert_int_equal(sc[0].integer, 1);
    assert_true(sc[0].lo == -3.0 && sc[0].hi == 7.0);
    assert_int_equal(sc[1].nv, 5);
    assert_int_equal(sc[1].integer, 0);
    assert_true(sc[1].lo == -1e300 && sc[1].hi == 4.0);
    assert_int_equal(sc[2].nv, 0);
    assert_int_equal(sc[2].na, 6);
    assert_true(isinf(sc[2].lo) && sc[2].lo > 0 && isinf(sc[2].hi) && sc[2].hi < 0);
    assert_int_equal(sc[3].integer, 0);
    /* weighted: a value counts its rounded weight, a weight-0 row only when missing (0 leads) */
    assert_int_equal(sc[4].nv, 1 + 3);          /* rows 0 and 3; rows 2 and 5 weigh 0 */
    assert_int_equal(sc[4].na, 2 + 0);          /* rows 1 and 4 */
    assert_true(sc[4].lo == 1.0 && sc[4].hi == 2.0);
    assert_int_equal(sc[5].nv, 1 + 2 + 3);      /* rows 0, 1, 3 */
    assert_int_equal(sc[5].integer, 0);         /* 0.5 */
    assert_true(sc[5].lo == -1e300 && sc[5].hi == 2.0);
    assert_int_equal(sc[6].na, 1 + 2 + 0 + 3 + 0 + 0);
    assert_int_equal(sc[7].nv, 1 + 2 + 3);
    assert_int_equal(sc[7].integer, 0);         /* row 0 counts, 2^53 */
    /* one column: no thread */
    mql_numeric_scan one = {.col = &cols[0], .n_rows = 6};
    mql_design_scan_numeric(&one, 1);
    assert_int_equal(one.nv, 4);
    assert_int_equal(mql_design_row_weight(w, 1), 2);
    assert_int_equal(mql_design_row_weight(w, 4), 0);
    assert_int_equal(mql_design_row_weight(NULL, 4), 1);
}

/* The scan before design_scan.c's unweighted route (scan_plain): one loop, mql_is_integral per
 * value until the first fraction. */
static mql_numeric_scan old_scan(const double *v, size_t n)
{
    mql_numeric_scan sc = {.nv = 0, .na = 0, .integer = 1, .lo = INFINITY, .hi = -INFINITY};
    for (size_t r = 0; r < n; r++) {
        double x = v[r];
        if (isnan(x)) {
            sc.na++;
            continue;
        }
        sc.nv++;
        if (sc.integer && !mql_is_integral(x))
            sc.integer = 0;
        sc.lo = x < sc.lo ? x : sc.lo;
        sc.hi = x > sc.hi ? x : sc.hi;
    }
    return sc;
}

/* The unweighted route against the old scan, bit for bit (the extremes' zero signs too), on
 * columns whose one odd value sits in any block: whole numbers at and around 2^52 and 2^53
 * (whole below 2^53, "not whole" from 2^53 on, as mql_is_integral says), halves that round
 * to even, -0 and 0 in either order, missing cells, lengths around the 1,024-row blocks. */
static void test_plain_route_equals_old(void **state)
{
    (void)state;
    const double odd[] = {0.5, -0.5, 1.5, 2.5, 4503599627370495.5, 4503599627370496.0,
                          4503599627370497.0, 9007199254740991.0, 9007199254740992.0,
                          -9007199254740992.0, 1e300, -1e300, 1e-300, -0.0, 0.0, NAN,
                          3.0000000000000004, 123456789.0, -7.0};
    const size_t lens[] = {0, 1, 3, 1023, 1024, 1025, 3000};
    const size_t nodd = sizeof odd / sizeof *odd, nlens = sizeof lens / sizeof *lens;
    double *v = malloc(3000 * sizeof *v);
    assert_non_null(v);
    uint64_t seed = 17;
    size_t checked = 0;
    for (size_t L = 0; L < nlens; L++)
        for (size_t o = 0; o <= nodd; o++)
            for (size_t at = 0; at < 3; at++) {
                size_t n = lens[L];
                for (size_t r = 0; r < n; r++) {
                    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                    unsigned u = (unsigned)(seed >> 33);
                    v[r] = u % 11 == 0 ? NAN : (double)(u % 2001) - 1000.0;
                }
                if (o < nodd && n > 0)   /* o == nodd: whole numbers and missing cells only */
                    v[at == 0 ? 0 : at == 1 ? n / 2 : n - 1] = odd[o];
                if (o < nodd && n > 2 && odd[o] == 0.0)
                    v[n - 2] = -odd[o];   /* the other zero later */
                mql_column col = {.name = "x", .num = v};
                mql_numeric_scan sc[2] = {{.col = &col, .n_rows = n}, {.col = &col, .n_rows = n}};
                mql_design_scan_numeric(sc, 2);
                mql_numeric_scan ref = old_scan(v, n);
                for (size_t k = 0; k < 2; k++) {
                    assert_int_equal(sc[k].nv, ref.nv);
                    assert_int_equal(sc[k].na, ref.na);
                    assert_int_equal(sc[k].integer, ref.integer);
                    assert_memory_equal(&sc[k].lo, &ref.lo, sizeof ref.lo);
                    assert_memory_equal(&sc[k].hi, &ref.hi, sizeof ref.hi);
                }
                checked++;
            }
    assert_int_equal(checked, nlens * (nodd + 1) * 3);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_counts),
        cmocka_unit_test(test_plain_route_equals_old),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
