/* test_common.c: the number parsers every option and rules file goes through. */
#include "testutil.h"

#include <float.h>

#include "mqlcal/common.h"

/* Whole-string doubles: blanks around are fine, junk is not; overflow fails; underflow gives the
 * correctly rounded subnormal (mqlcal writes "below 0" bounds as -4.9406564584124654e-324, so
 * they must read back). */
static void test_parse_double(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(mql_parse_double(" 12.5 ", &v), 0);
    assert_true(v == 12.5);
    assert_int_equal(mql_parse_double("-4.9406564584124654e-324", &v), 0);
    assert_true(v < 0 && v > -DBL_MIN);
    assert_true(v == -nextafter(0.0, 1.0));
    assert_int_equal(mql_parse_double("2.2250738585072014e-308", &v), 0);
    assert_true(v == DBL_MIN);
    assert_int_equal(mql_parse_double("1e-400", &v), 0);
    assert_true(v == 0);
    assert_int_not_equal(mql_parse_double("1e400", &v), 0);
    assert_int_not_equal(mql_parse_double("inf", &v), 0);
    assert_int_not_equal(mql_parse_double("nan", &v), 0);
    assert_int_not_equal(mql_parse_double("12abc", &v), 0);
    assert_int_not_equal(mql_parse_double("", &v), 0);
    assert_int_not_equal(mql_parse_double("   ", &v), 0);
    assert_int_not_equal(mql_parse_double(NULL, &v), 0);
}

static void test_parse_long(void **state)
{
    (void)state;
    long v = 0;
    assert_int_equal(mql_parse_long("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_not_equal(mql_parse_long("101", 0, 100, &v), 0);
    assert_int_not_equal(mql_parse_long("-1", 0, 100, &v), 0);
    assert_int_not_equal(mql_parse_long("4.5", 0, 100, &v), 0);
    assert_int_not_equal(mql_parse_long("99999999999999999999999", 0, 100, &v), 0);
    assert_int_not_equal(mql_parse_long("", 0, 100, &v), 0);
}

/* Display grouping: whole numbers with a comma every three digits, sign kept, rounding as %.0f. */
static void test_fmt_grouped(void **state)
{
    (void)state;
    char b[32];
    assert_string_equal(mql_fmt_grouped(0, b, sizeof b), "0");
    assert_string_equal(mql_fmt_grouped(999, b, sizeof b), "999");
    assert_string_equal(mql_fmt_grouped(1000, b, sizeof b), "1,000");
    assert_string_equal(mql_fmt_grouped(1234567.4, b, sizeof b), "1,234,567");
    assert_string_equal(mql_fmt_grouped(-41188, b, sizeof b), "-41,188");
    assert_string_equal(mql_fmt_grouped(9007199254740992.0, b, sizeof b), "9,007,199,254,740,992");
    char small[5];
    /* a short buffer gets a NUL-terminated prefix */
    assert_string_equal(mql_fmt_grouped(1234567, small, sizeof small), "1,2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_double),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_fmt_grouped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
