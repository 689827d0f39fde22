/* test_design_scan.c: the numeric columns' scan before encoding (design_scan.c): counts with
 * and without frequency weights (fractions rounded, zero and negative weights), missing cells,
 * whole numbers, the range; several columns, so that the second thread takes some, each column
 * against a hand count. */
#include "testutil.h"

#include "mqlcal/design_scan.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
