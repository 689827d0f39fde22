/* test_value.c: the one equality of cells (case, blanks, number and boolean spellings), its key,
 * the placeholder lists of --na, the short cut bounds of rules, and the nearest-name hint. */
#include <ctype.h>

#include "testutil.h"

#include "mqlcal/value.h"

static int eq(const char *a, const char *b)
{
    return mql_value_eq(a, b);
}

/* The spellings seen in real exports that must be one value, and near misses that must not. */
static void test_equality(void **state)
{
    (void)state;
    assert_true(eq("Google", "google"));
    assert_true(eq(" Google ", "GOOGLE"));
    assert_true(eq("\tWeb\t", "web"));
    assert_true(eq("1", "1.0"));
    assert_true(eq("1", "1.00"));
    assert_true(eq("-0", "0"));
    assert_true(eq("1000", "1,000.0"));
    assert_true(eq("1234567", "1,234,567"));
    assert_true(eq("yes", "y"));
    assert_true(eq("Yes", "TRUE"));
    assert_true(eq("t", "1"));
    assert_true(eq("no", "N"));
    assert_true(eq("false", "0.0"));
    assert_false(eq("yes", "no"));
    assert_false(eq("Google", "Googl"));
    assert_false(eq("1", "1a"));
    assert_false(eq("1", "one"));
    assert_false(eq("2", "yes"));
    assert_false(eq("1,5", "1.5"));          /* one group: maybe a decimal comma, so text */
    assert_false(eq("0x10", "16"));          /* hexadecimal is text */
    assert_true(eq("inf", "INF"));
    /* missing equals nothing, not even another placeholder */
    assert_false(eq("", ""));
    assert_false(eq("NA", "na"));
    assert_false(eq("Select", "select"));
}

/* Equal cells share a key, different cells do not. */
static void test_key(void **state)
{
    (void)state;
    const char *same[][2] = {{"Google", " google"}, {"1", "1.0"}, {"yes", "Y"}, {"0", "-0"},
                             {"1,000.5", "1000.50"}, {"TRUE", "1"}};
    const char *diff[][2] = {{"Google", "Googl"}, {"1", "l"}, {"yes", "no"}, {"1.5", "1,5"},
                             {"12", "t:12"}, {"n:1", "1"}};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        mql_cell a, b;
        char ka[64], kb[64];
        mql_cell_from_text(&a, same[i][0], NULL, 0);
        mql_cell_from_text(&b, same[i][1], NULL, 0);
        mql_cell_key(&a, ka, sizeof ka);
        mql_cell_key(&b, kb, sizeof kb);
        assert_string_equal(ka, kb);
        assert_true(mql_cell_eq(&a, &b));
    }
    for (size_t i = 0; i < sizeof diff / sizeof diff[0]; i++) {
        mql_cell a, b;
        char ka[64], kb[64];
        mql_cell_from_text(&a, diff[i][0], NULL, 0);
        mql_cell_from_text(&b, diff[i][1], NULL, 0);
        mql_cell_key(&a, ka, sizeof ka);
        mql_cell_key(&b, kb, sizeof kb);
        assert_string_not_equal(ka, kb);
        assert_false(mql_cell_eq(&a, &b));
    }
    mql_cell m;
    char k[16];
    mql_cell_from_text(&m, " n/a ", NULL, 0);
    assert_true(m.missing);
    assert_int_equal(mql_cell_key(&m, k, sizeof k), 0);
    mql_cell_from_span(&m, "Google,Bing", 6, NULL, 0);
    assert_int_equal(mql_cell_key(&m, k, sizeof k), 8);
    assert_string_equal(k, "t:google");
}

static void test_truth(void **state)
{
    (void)state;
    const char *t[] = {"1", "1.0", "yes", "Y", "true", "T"}, *f[] = {"0", "no", "N", "False", "f"},
               *neither[] = {"2", "maybe", "", "NA"};
    mql_cell c;
    for (size_t i = 0; i < 6; i++) {
        mql_cell_from_text(&c, t[i], NULL, 0);
        assert_int_equal(mql_cell_truth(&c), 1);
    }
    for (size_t i = 0; i < 5; i++) {
        mql_cell_from_text(&c, f[i], NULL, 0);
        assert_int_equal(mql_cell_truth(&c), 0);
    }
    for (size_t i = 0; i < 4; i++) {
        mql_cell_from_text(&c, neither[i], NULL, 0);
        assert_int_equal(mql_cell_truth(&c), -1);
    }
}

/* The default list (na NULL) rules most cells out by length and first byte before comparing:
 * every default placeholder, in upper and lower case and padded, still matches, and cells that
 * pass the length test but begin otherwise, or differ after the first byte, do not. */
static void test_na_defaults_fast_path(void **state)
{
    (void)state;
    for (size_t i = 0; i < mql_n_default_na; i++) {
        char up[32], low[32];
        size_t n = strlen(mql_default_na[i]);
        for (size_t k = 0; k <= n; k++) {
            up[k] = (char)toupper((unsigned char)mql_default_na[i][k]);
            low[k] = (char)tolower((unsigned char)mql_default_na[i][k]);
        }
        assert_true(mql_na_match(mql_default_na[i], n, NULL, 0));
        assert_true(mql_na_match(up, n, NULL, 0));
        assert_true(mql_na_match(low, n, NULL, 0));
    }
    assert_true(mql_na_match(" NULL\t", 6, NULL, 0));
    const char *const not_na[] = {"7", "12", "Other", "VP", "-1", "#N/B", "Nope", "uk", "sel",
                                  "none!", "N/A2", "Manager", "Paid"};
    for (size_t i = 0; i < sizeof not_na / sizeof not_na[0]; i++)
        assert_false(mql_na_match(not_na[i], strlen(not_na[i]), NULL, 0));
}

/* --na: replace, add (+), keep (-); "" always present; the format gives the spec back. */
static void test_na_lists(void **state)
{
    (void)state;
    mql_na_list l;
    mql_err err;
    char buf[256];
    assert_int_equal(mql_na_parse("NA, null", &l, &err), MQL_OK);
    assert_int_equal(l.n, 3);
    assert_true(mql_na_match("  null ", 7, (const char *const *)l.v, l.n));
    assert_true(mql_na_match("", 0, (const char *const *)l.v, l.n));
    assert_false(mql_na_match("Select", 6, (const char *const *)l.v, l.n));
    assert_false(mql_na_is_default((const char *const *)l.v, l.n));
    assert_string_equal(mql_na_format((const char *const *)l.v, l.n, buf, sizeof buf), "NA,null");
    mql_na_clear(&l);

    assert_int_equal(mql_na_parse("+TBD,n.a.", &l, &err), MQL_OK);
    assert_int_equal(l.n, mql_n_default_na + 2);
    assert_true(mql_na_match("tbd", 3, (const char *const *)l.v, l.n));
    assert_true(mql_na_match("Select", 6, (const char *const *)l.v, l.n));
    assert_string_equal(mql_na_format((const char *const *)l.v, l.n, buf, sizeof buf),
                        "NA,N/A,null,Select,unknown,none,-,#N/A,#DIV/0!,#VALUE!,#REF!,#NAME?,"
                        "#NUM!,#NULL!,#ERROR!,TBD,n.a.");
    mql_na_clear(&l);

    /* as a hand-written rules file's "# na: -Select" reaches it: blanks before the sign */
    assert_int_equal(mql_na_parse(" -Select", &l, &err), MQL_OK);
    assert_int_equal(l.n, mql_n_default_na - 1);
    assert_false(mql_na_match("Select", 6, (const char *const *)l.v, l.n));
    assert_false(mql_na_match("-Select", 7, (const char *const *)l.v, l.n));
    mql_na_clear(&l);

    assert_int_equal(mql_na_parse("-select, Unknown", &l, &err), MQL_OK);
    assert_int_equal(l.n, mql_n_default_na - 2);
    assert_false(mql_na_match("Select", 6, (const char *const *)l.v, l.n));
    assert_false(mql_na_match("unknown", 7, (const char *const *)l.v, l.n));
    assert_true(mql_na_match("N/A", 3, (const char *const *)l.v, l.n));
    assert_true(mql_na_match(" ", 1, (const char *const *)l.v, l.n));
    /* the format reads back to the same list */
    mql_na_format((const char *const *)l.v, l.n, buf, sizeof buf);
    assert_string_equal(buf, "NA,N/A,null,none,-,#N/A,#DIV/0!,#VALUE!,#REF!,#NAME?,#NUM!,"
                             "#NULL!,#ERROR!");
    mql_na_list back;
    assert_int_equal(mql_na_parse(buf, &back, &err), MQL_OK);
    assert_int_equal(back.n, l.n);
    mql_na_clear(&back);
    mql_na_clear(&l);

    /* "-" alone and "-,x" are the placeholder "-" itself */
    assert_int_equal(mql_na_parse("-", &l, &err), MQL_OK);
    assert_int_equal(l.n, 2);
    assert_true(mql_na_match("-", 1, (const char *const *)l.v, l.n));
    mql_na_clear(&l);
    assert_int_equal(mql_na_parse("-,NA", &l, &err), MQL_OK);
    assert_int_equal(l.n, 3);
    mql_na_clear(&l);

    assert_int_equal(mql_na_parse("-Nope", &l, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "'Nope' is not a default placeholder"));
    assert_int_equal(l.n, 0);

    assert_true(mql_na_is_default(NULL, 0));
    assert_int_equal(mql_na_copy(NULL, 0, &l), MQL_OK);
    assert_true(mql_na_is_default((const char *const *)l.v, l.n));
    mql_na_clear(&l);
    mql_na_clear(&l);   /* twice is fine */
}

/* Cut bounds print as a person would type them and keep every value on its side. */
static void test_cut_bounds(void **state)
{
    (void)state;
    double hi, lo;
    char a[40], b[40];
    /* data with one decimal: 1.5 | 2 -> "..1.9" and "2.." (was 1.9999999999999998) */
    assert_int_equal(mql_cut_bounds(1.5, 2.0, 1, &hi, &lo), 1);
    assert_true(lo == 2.0);
    assert_true(hi == 1.9);
    /* cents: 375.43 | 894.37 -> 894.36 (was 894.3699999999999) */
    assert_int_equal(mql_cut_bounds(375.43, 894.37, 2, &hi, &lo), 2);
    mql_fmt_shortest(hi, a, sizeof a);
    mql_fmt_shortest(lo, b, sizeof b);
    assert_string_equal(a, "894.36");
    assert_string_equal(b, "894.37");
    /* whole numbers: 3 | 10 -> 9 and 10 */
    assert_int_equal(mql_cut_bounds(3, 10, 0, &hi, &lo), 0);
    assert_true(hi == 9 && lo == 10);
    /* no short form in the data: the shortest decimals that separate the neighbours */
    assert_int_equal(mql_cut_bounds(1.0 / 3, 0.5, -1, &hi, &lo), 1);
    assert_true(hi == 0.4 && lo == 0.5);
    assert_true(1.0 / 3 <= hi && hi < lo && lo <= 0.5);
    double x = 0.1 + 0.2;   /* 0.30000000000000004 */
    int e = mql_cut_bounds(0.3, x, -1, &hi, &lo);
    assert_true(0.3 <= hi && hi < lo && lo <= x);
    assert_int_equal(e, -1);   /* nothing short fits between neighbours one ulp apart */
    /* a stated precision that the neighbour does not have falls back to the shortest search */
    e = mql_cut_bounds(1.25, 2.0, 1, &hi, &lo);
    assert_true(1.25 <= hi && hi < lo && lo <= 2.0);
    assert_true(hi == 1.9 && lo == 2.0);
    e = mql_cut_bounds(1.95, 2.0, 1, &hi, &lo);
    assert_true(1.95 <= hi && hi < lo && lo <= 2.0);
    assert_int_equal(e, 2);
    /* negative values */
    assert_int_equal(mql_cut_bounds(-3.5, -1.25, 2, &hi, &lo), 2);
    assert_true(hi == -1.26 && lo == -1.25);

    assert_int_equal(mql_decimals(3), 0);
    assert_int_equal(mql_decimals(894.37), 2);
    assert_int_equal(mql_decimals(-0.125), 3);
    assert_int_equal(mql_decimals(0.1 + 0.2), -1);
    assert_int_equal(mql_decimals(1.0 / 3), -1);
    assert_int_equal(mql_decimals(NAN), -1);
}

static void test_nearest_name(void **state)
{
    (void)state;
    const char *cols[] = {"Lead Source", "Converted", "Total Time Spent on Website", "TotalVisits"};
    assert_string_equal(mql_nearest_name("converted", cols, 4, sizeof(char *)), "Converted");
    assert_string_equal(mql_nearest_name("lead_source", cols, 4, sizeof(char *)), "Lead Source");
    assert_string_equal(mql_nearest_name("Convertd", cols, 4, sizeof(char *)), "Converted");
    assert_string_equal(mql_nearest_name("totalvisit", cols, 4, sizeof(char *)), "TotalVisits");
    assert_null(mql_nearest_name("revenue", cols, 4, sizeof(char *)));
    assert_null(mql_nearest_name("x", cols, 4, sizeof(char *)));
    assert_null(mql_nearest_name("x", NULL, 0, sizeof(char *)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equality),   cmocka_unit_test(test_key),
        cmocka_unit_test(test_truth),      cmocka_unit_test(test_na_lists),
        cmocka_unit_test(test_na_defaults_fast_path),
        cmocka_unit_test(test_cut_bounds), cmocka_unit_test(test_nearest_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
