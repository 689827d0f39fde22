/* test_reliability.c: library guarantees of issue 12 that need no CLI: GSL errors never abort a
 * program that did not turn GSL's handler off; the one number syntax of cells and tables (any
 * length); an in rule with many values (binary search) matches exactly as the linear scan;
 * the model reader takes a file in one read. */
#include "testutil.h"

#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>

#include "mqlcal/metrics.h"
#include "mqlcal/model.h"
#include "mqlcal/rule.h"
#include "mqlcal/table.h"

/* A GSL error: the Cholesky factor of the 1 x 1 matrix [-1] (not positive definite). */
static int gsl_fails(void)
{
    double a = -1;
    gsl_matrix_view m = gsl_matrix_view_array(&a, 1, 1);
    return gsl_linalg_cholesky_decomp1(&m.matrix);
}

/* This program never calls gsl_set_error_handler_off: after a library function that uses GSL
 * (here mql_z_for_level) a GSL error returns its status instead of aborting. */
static void test_gsl_error_does_not_abort(void **state)
{
    (void)state;
    assert_close(mql_z_for_level(0.95), 1.959963984540054, 1e-12, 0);
    assert_int_equal(gsl_fails(), GSL_EDOM);
}

/* A handler the program installed is kept. */
static int calls;
static void count_handler(const char *reason, const char *file, int line, int gsl_errno)
{
    (void)reason, (void)file, (void)line, (void)gsl_errno;
    calls++;
}

static void test_gsl_program_handler_kept(void **state)
{
    (void)state;
    gsl_error_handler_t *old = gsl_set_error_handler(count_handler);
    mql_gsl_quiet();
    calls = 0;
    mql_z_for_level(0.5);
    assert_int_equal(gsl_fails(), GSL_EDOM);
    assert_int_equal(calls, 1);
    gsl_set_error_handler(old);
}

static void test_number_any_length(void **state)
{
    (void)state;
    char s[300];
    memset(s, '0', sizeof s);
    s[0] = '1';
    s[120] = '\0';
    double v;
    assert_int_equal(mql_parse_number(s, strlen(s), &v), 0);
    assert_close(v, 1e119, 1e-15, 0);
    mql_cell c;
    mql_cell_from_text(&c, s, NULL, 0);
    assert_true(c.is_num);
    assert_true(c.num == v);
    assert_int_equal(mql_parse_number("0x1p3", 5, &v), -1);
    assert_int_equal(mql_parse_number("inf", 3, &v), -1);
    assert_int_equal(mql_parse_number("1e400", 5, &v), -1);
    assert_int_equal(mql_parse_number("1,234,567", 9, &v), 0);
    assert_true(v == 1234567);
}

/* 40 values (sorted search) against the same list cut to 15 pieces (linear scan) and each value
 * alone: every probe matches the same way. */
static void test_in_many_values(void **state)
{
    (void)state;
    char list[2048] = "";
    const char *vals[40];
    char store[40][16];
    for (int k = 0; k < 40; k++) {
        if (k % 3 == 0)
            snprintf(store[k], sizeof store[k], "%d", k * 7 - 50);
        else
            snprintf(store[k], sizeof store[k], "%sLevel%d", k % 2 ? "" : "x", k);
        vals[k] = store[k];
        strcat(list, k ? "|" : "");
        strcat(list, store[k]);
    }
    mql_rule big;
    mql_err err;
    assert_int_equal(mql_rule_init(&big, "f", "in", list, 5, MQL_GROUP_FIT, &err), MQL_OK);
    assert_non_null(big.cond[0].vindex);
    const char *probes[] = {"level1", "LEVEL1", "xlevel2", "-50", "-50.0", "13", "1", "Level",
                            "zz", "true", "", "NA", "1e1", "-43", "xLevel4 "};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        mql_cell c;
        mql_cell_from_text(&c, probes[i], NULL, 0);
        int want = 0;
        for (int k = 0; k < 40 && !want; k++) {
            mql_rule one;
            assert_int_equal(mql_rule_init(&one, "f", "=", vals[k], 5, MQL_GROUP_FIT, &err),
                             MQL_OK);
            want = mql_rule_match(&one, &c);
            mql_rule_clear(&one);
        }
        if (mql_rule_match(&big, &c) != want)
            fail_msg("probe '%s': in-search %d, linear %d", probes[i], !want, want);
    }
    mql_rule_clear(&big);
}

/* A model file is read in one pass: a FIFO fed once loads. */
static void test_model_read_once(void **state)
{
    (void)state;
    char path[64];
    const char *rules = "feature,operator,value,points,group\nvisits,>=,3,10,engagement\n"
                        "threshold,,,10,\n";
    assert_non_null(write_temp(path, sizeof path, rules));
    mql_model *m = NULL;
    mql_err err;
    assert_int_equal(mql_model_load_any(path, &m, &err), MQL_OK);
    assert_int_equal(m->points->n_rules, 1);
    mql_model_free(m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gsl_error_does_not_abort),
        cmocka_unit_test(test_gsl_program_handler_kept),
        cmocka_unit_test(test_number_any_length),
        cmocka_unit_test(test_in_many_values),
        cmocka_unit_test(test_model_read_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
