/* test_table.c: the lead table: type inference, placeholders, booleans, dates, thousands
 * separators, identifier detection, flags, joins and every error path. Expected day numbers
 * come from Python's datetime (date - date(1970, 1, 1)). */
#include "testutil.h"

#include <unistd.h>

#include "mqlcal/table.h"

static mql_table *read_text(const char *text, const mql_read_opts *o)
{
    char path[64];
    mql_table *t = NULL;
    mql_err err;
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_table_read(path, o, &t, &err);
    unlink(path);
    if (st)
        fail_msg("read failed: %s", err.msg);
    return t;
}

/* Reads text expecting failure with status and a message containing needle. */
static void expect_fail(const char *text, const mql_read_opts *o, int status, const char *needle)
{
    char path[64];
    mql_table *t = (mql_table *)1;
    mql_err err = {{0}};
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_table_read(path, o, &t, &err);
    unlink(path);
    assert_int_equal(st, status);
    assert_null(t);
    if (!strstr(err.msg, needle))
        fail_msg("message '%s' lacks '%s'", err.msg, needle);
}

static const mql_column *col(const mql_table *t, const char *name)
{
    long j = mql_table_find(t, name);
    if (j < 0)
        fail_msg("no column %s", name);
    return &t->cols[j];
}

static void test_inference(void **state)
{
    (void)state;
    const char *text =
        "amount,flag,yn,created,stamp,segment,tf,always\n"
        "100.0,1,Yes,2018-02-26,2018-02-26 19:58:54,SMB,True,x\n"
        "-36.4,0,no,2000-03-01,2018-02-26T00:00:00,Enterprise,false,x\n"
        "1e3,,Select,,,SMB,TRUE,x\n"
        "\"1,234,567\",1,YES,2020-02-29,,N/A,False,x\n"
        "\"12,500.50\",0,No,1969-12-31,,mid-market,,x\n";
    mql_table *t = read_text(text, NULL);
    assert_int_equal(t->n_rows, 5);
    assert_int_equal(t->n_cols, 8);
    assert_int_equal(t->delim, ',');

    const mql_column *c = col(t, "amount");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    double want[] = {100.0, -36.4, 1000.0, 1234567.0, 12500.5};
    for (int i = 0; i < 5; i++)
        assert_true(c->num[i] == want[i]);           /* exact: the parser rounds correctly */
    assert_int_equal(c->n_distinct, 5);

    c = col(t, "flag");
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "1");
    assert_int_equal(c->n_missing, 1);
    assert_true(isnan(c->num[2]) && c->num[0] == 1 && c->num[1] == 0);

    c = col(t, "yn");                                 /* Select is a placeholder */
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "Yes");     /* the first spellings seen */
    assert_string_equal(c->false_label, "no");
    assert_int_equal(c->n_distinct, 2);
    assert_true(c->num[3] == 1 && c->num[4] == 0 && isnan(c->num[2]));
    assert_int_equal(c->n_missing, 1);

    c = col(t, "created");
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_false(c->has_time);
    assert_true(c->num[0] == 17588 && c->num[1] == 11017 && c->num[3] == 18321 &&
                c->num[4] == -1);
    c = col(t, "stamp");
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_true(c->has_time);
    assert_close(c->num[0], 17588.832569444443, 0, 1e-9);
    char buf[64];
    assert_string_equal(mql_cell_text(c, 0, buf, sizeof buf), "2018-02-26 19:58:54");
    assert_string_equal(mql_cell_text(c, 2, buf, sizeof buf), "");

    c = col(t, "segment");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_levels, 3);
    assert_string_equal(c->levels[0], "SMB");
    assert_int_equal(c->level_count[0], 2);
    assert_int_equal(c->code[3], MQL_NA_CODE);
    assert_int_equal(c->n_missing, 1);

    c = col(t, "tf");   /* spellings differ in case only: still one true/false pair */
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "True");
    assert_string_equal(c->false_label, "false");
    assert_true(c->num[2] == 1 && c->num[3] == 0 && isnan(c->num[4]));

    c = col(t, "always");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_distinct, 1);
    mql_table_free(t);
}

static void test_numbers_and_fallbacks(void **state)
{
    (void)state;
    /* a number with more than 2^53 mantissa or a big exponent takes the strtod path; "1,234"
     * is ambiguous (thousands or decimal comma) so the column falls back to text late */
    const char *text = "big,late,ambig,when\n"
                       "12345678901234567890,1,5,2020-01-01\n"
                       "1.5e-300,2,\"1,234\",2020-01-02\n"
                       "0.1,abc,7,soon\n";
    mql_table *t = read_text(text, NULL);
    const mql_column *c = col(t, "big");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_true(c->num[0] == strtod("12345678901234567890", NULL));
    assert_true(c->num[1] == strtod("1.5e-300", NULL));
    assert_true(c->num[2] == 0.1);
    c = col(t, "late");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    char buf[64];
    assert_string_equal(mql_cell_text(c, 0, buf, sizeof buf), "1");
    assert_string_equal(mql_cell_text(c, 2, buf, sizeof buf), "abc");
    c = col(t, "ambig");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(c, 1, buf, sizeof buf), "1,234");
    c = col(t, "when");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(c, 1, buf, sizeof buf), "2020-01-02");
    mql_table_free(t);
}

static void test_identifiers(void **state)
{
    (void)state;
    char text[8192] = "email,lead_id,seq,revenue,tier,code\n";
    size_t o = strlen(text);
    for (int i = 0; i < 40; i++)
        o += (size_t)snprintf(text + o, sizeof text - o, "u%d@x.com,%d,%d,%d,%s,%03d\n", i,
                              9000 + i * 37, 100 + i, 1000 + i * 104729, i % 2 ? "a" : "b", i % 3);
    mql_table *t = read_text(text, NULL);
    assert_int_equal(col(t, "email")->type, MQL_COL_ID);
    assert_int_equal(col(t, "lead_id")->type, MQL_COL_ID);      /* named id, all distinct */
    assert_int_equal(col(t, "seq")->type, MQL_COL_ID);          /* dense distinct integers */
    assert_int_equal(col(t, "revenue")->type, MQL_COL_NUMERIC); /* sparse: an amount */
    assert_int_equal(col(t, "tier")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(col(t, "code")->type, MQL_COL_NUMERIC);
    char buf[32];
    assert_string_equal(mql_cell_text(col(t, "seq"), 3, buf, sizeof buf), "103");
    mql_table_free(t);

    /* forced categorical keeps the spelling; "only" keeps just the named columns */
    const char *cat[] = {"code"}, *only[] = {"code", "tier"};
    mql_read_opts ro = {.categorical = cat, .n_categorical = 1, .only = only, .n_only = 2};
    t = read_text(text, &ro);
    assert_int_equal(t->n_cols, 2);
    assert_string_equal(t->cols[0].name, "tier");
    assert_int_equal(col(t, "code")->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(col(t, "code"), 0, buf, sizeof buf), "000");
    mql_table_free(t);
}

static void test_placeholders(void **state)
{
    (void)state;
    const char *text = "a,b\nNA,x\nn/a,-\nNULL,none\nUnknown,y\n5,z\n";
    mql_table *t = read_text(text, NULL);
    assert_int_equal(col(t, "a")->n_missing, 4);
    assert_int_equal(col(t, "a")->type, MQL_COL_NUMERIC);
    assert_int_equal(col(t, "b")->n_missing, 2);
    mql_table_free(t);
    const char *na[] = {"", "z"};
    mql_read_opts ro = {.na = na, .n_na = 2};
    t = read_text(text, &ro);
    assert_int_equal(col(t, "a")->n_missing, 0);
    assert_int_equal(col(t, "a")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(col(t, "b")->n_missing, 1);
    mql_table_free(t);
}

static void test_dates(void **state)
{
    (void)state;
    double d;
    int ht;
    assert_int_equal(mql_date_parse("1600-02-29", 10, &d, &ht), 0);
    assert_true(d == -135081 && !ht);
    assert_int_equal(mql_date_parse("2018-02-26 19:58", 16, &d, &ht), 0);
    assert_true(ht);
    const char *bad[] = {"2019-02-29", "1900-02-29", "2020-13-01", "2020-04-31", "2020-00-10",
                         "2020-1-01", "2020-01-01 24:00:00", "2020-01-01X10:00:00", "20200101"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mql_date_parse(bad[i], strlen(bad[i]), &d, &ht) == 0)
            fail_msg("accepted %s", bad[i]);
    assert_int_equal(mql_date_parse("2000-02-29", 10, &d, &ht), 0);
    char buf[32];
    mql_date_format(-135081, 0, buf, sizeof buf);
    assert_string_equal(buf, "1600-02-29");
    mql_date_format(17588.832569444443, 1, buf, sizeof buf);
    assert_string_equal(buf, "2018-02-26 19:58:54");
    for (long k = -719000; k < 2932000; k += 997) {   /* round trip, years 0001-9997 */
        mql_date_format((double)k, 0, buf, sizeof buf);
        assert_int_equal(mql_date_parse(buf, strlen(buf), &d, &ht), 0);
        assert_true(d == (double)k);
    }
}

static void test_flags(void **state)
{
    (void)state;
    const char *text = "status,won,stage,amount,closed,bool\n"
                       "Won,yes,SQL,1.0,2020-01-01,Y\n"
                       "lost,no,mql,2,,N\n"
                       "WON,Won,sql,1,,Y\n"
                       ",TRUE,,3,2020-02-01,\n";
    mql_table *t = read_text(text, NULL);
    unsigned char y[4];
    mql_err err;
    mql_flag_spec s;
    struct {
        const char *spec;
        const char *want;
    } cases[] = {
        {"status=won", "1010"}, {"won", "1011"},   {"stage=SQL", "1010"},
        {"amount=1", "1010"},   {"amount", "1010"}, {"closed", "1001"},
        {"bool", "1010"},       {"bool=n", "0100"}, {"closed=2020-02-01", "0001"},
        {"status", "1010"},     {"amount=x", "0000"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        assert_int_equal(mql_flag_spec_parse(cases[k].spec, &s, &err), MQL_OK);
        assert_int_equal(mql_flag_eval(t, &s, y, &err), MQL_OK);
        char got[5];
        for (int i = 0; i < 4; i++)
            got[i] = (char)('0' + y[i]);
        got[4] = '\0';
        if (strcmp(got, cases[k].want) != 0)
            fail_msg("%s: got %s, want %s", cases[k].spec, got, cases[k].want);
        mql_flag_spec_clear(&s);
    }
    assert_int_equal(mql_flag_spec_parse("nosuch", &s, &err), MQL_OK);
    assert_int_equal(mql_flag_eval(t, &s, y, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "no column 'nosuch' in /tmp/mqlcal-test-"));
    assert_non_null(strstr(err.msg, "(columns: status, won, stage, amount, closed, bool)"));
    mql_flag_spec_clear(&s);
    assert_int_equal(mql_flag_spec_parse("=x", &s, &err), MQL_EUSAGE);
    assert_int_equal(mql_flag_spec_parse("", &s, &err), MQL_EUSAGE);
    assert_true(mql_truthy("WON") && mql_truthy("y") && mql_truthy("1") && !mql_truthy("no") &&
                !mql_truthy("2") && !mql_truthy(NULL));

    /* to categorical: numbers, booleans and dates become their text */
    mql_column *c = &t->cols[mql_table_find(t, "amount")];
    assert_int_equal(mql_column_to_categorical(c, &err), MQL_OK);
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_levels, 3);
    char buf[32];
    assert_string_equal(mql_cell_text(c, 2, buf, sizeof buf), "1");
    c = &t->cols[mql_table_find(t, "bool")];
    assert_int_equal(mql_column_to_categorical(c, &err), MQL_OK);
    assert_string_equal(mql_cell_text(c, 1, buf, sizeof buf), "N");
    assert_int_equal(c->level_count[0], 2);
    c = &t->cols[mql_table_find(t, "closed")];
    assert_int_equal(mql_column_to_categorical(c, &err), MQL_OK);
    assert_string_equal(mql_cell_text(c, 3, buf, sizeof buf), "2020-02-01");
    assert_true(mql_cell_missing(c, 1));
    mql_table_free(t);
}

static void test_join(void **state)
{
    (void)state;
    char deals[64], leads[64];
    assert_non_null(write_temp(deals, sizeof deals,
                               "deal,lead_ref,profile\nd1,L2,\"cat, wolf\"\nd2,L4,eagle\n"
                               "d3,L9,cat\nd4,L2,cat\n"));
    assert_non_null(write_temp(leads, sizeof leads,
                               "lead_ref,n\nL1,1\nL2,2\nL3,3\nL4,4\n,5\n"));
    mql_table *t;
    mql_err err;
    assert_int_equal(mql_table_read(leads, NULL, &t, &err), MQL_OK);
    unsigned char y[5];
    assert_int_equal(mql_join_eval(t, "lead_ref", deals, 0, y, &err), MQL_OK);
    assert_memory_equal(y, "\0\1\0\1\0", 5);
    /* numeric keys compare by value: deals n = 2.0 and 4 match leads 2 and 4 */
    char nums[64];
    assert_non_null(write_temp(nums, sizeof nums, "n\n2.0\n4\nx\n"));
    assert_int_equal(mql_join_eval(t, "n", nums, 0, y, &err), MQL_OK);
    assert_memory_equal(y, "\0\1\0\1\0", 5);
    assert_int_equal(mql_join_eval(t, "nosuch", deals, 0, y, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, leads));
    assert_int_equal(mql_join_eval(t, "n", deals, 0, y, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "no column 'n' in"));
    assert_non_null(strstr(err.msg, deals));
    assert_int_equal(mql_join_eval(t, "n", "/nonexistent.csv", 0, y, &err), MQL_EIO);
    mql_table_free(t);
    unlink(deals);
    unlink(leads);
    unlink(nums);
}

static void test_errors(void **state)
{
    (void)state;
    expect_fail("a,b,a\n1,2,3\n", NULL, MQL_EDATA,
                ":1: duplicate column name 'a' (columns 1 and 3)");
    expect_fail("a,,c\n1,2,3\n", NULL, MQL_EDATA, ":1: column 2 has an empty header name");
    expect_fail("a,b\n", NULL, MQL_EDATA, "no data rows");
    expect_fail("a,b\n\n\n", NULL, MQL_EDATA, "no data rows");
    expect_fail("", NULL, MQL_EDATA, "empty file");
    expect_fail("a,b\n1,2,3\n", NULL, MQL_EDATA, ":2: 3 fields, header has 2");
    const char *only[] = {"zz"};
    mql_read_opts ro = {.only = only, .n_only = 1};
    expect_fail("a,b\n1,2\n", &ro, MQL_EUSAGE, "no column 'zz' in");
    mql_read_opts rc = {.categorical = only, .n_categorical = 1};
    expect_fail("a,b\n1,2\n", &rc, MQL_EUSAGE, "(columns: a, b)");
    mql_table *t = (mql_table *)1;
    mql_err err;
    assert_int_equal(mql_table_read("/nonexistent/x.csv", NULL, &t, &err), MQL_EIO);
    assert_null(t);
    mql_table_free(NULL);
}

static void test_hash_and_stdin_name(void **state)
{
    (void)state;
    const char *text = "a;b\r\n1;x\r\n2;y";
    mql_table *t = read_text(text, NULL);
    assert_int_equal(t->delim, ';');
    assert_int_equal(t->n_bytes, strlen(text));
    assert_true(t->hash == mql_xxh64(text, strlen(text)));
    assert_int_equal(t->n_rows, 2);
    assert_int_equal(mql_table_find(t, "b"), 1);
    assert_int_equal(mql_table_find(t, "c"), -1);
    assert_string_equal(mql_coltype_name(col(t, "b")->type), "categorical");
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_numbers_and_fallbacks),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hash_and_stdin_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
