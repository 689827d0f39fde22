/* test_table.c: the lead table: type inference, placeholders, booleans, dates, thousands
 * separators, identifier detection, flags, joins and every error path. Expected day numbers
 * come from Python's datetime (date - date(1970, 1, 1)). */
#include "testutil_table.h"

#include <unistd.h>

#include "mqlcal/table.h"

#include "../../src/table_num.h"   /* parse_num_plain (not public) */

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
    mql_table *t = table_from_text(text, NULL);
    assert_int_equal(t->n_rows, 5);
    assert_int_equal(t->n_cols, 8);
    assert_int_equal(t->delim, ',');

    const mql_column *c = table_col(t, "amount");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    double want[] = {100.0, -36.4, 1000.0, 1234567.0, 12500.5};
    for (int i = 0; i < 5; i++)
        assert_true(c->num[i] == want[i]);           /* exact: the parser rounds correctly */
    assert_int_equal(c->n_distinct, 5);

    c = table_col(t, "flag");
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "1");
    assert_int_equal(c->n_missing, 1);
    assert_true(isnan(c->num[2]) && c->num[0] == 1 && c->num[1] == 0);

    c = table_col(t, "yn");                                 /* Select is a placeholder */
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "Yes");     /* one row each: the first seen */
    assert_string_equal(c->false_label, "no");
    assert_int_equal(c->n_distinct, 2);
    assert_true(c->num[3] == 1 && c->num[4] == 0 && isnan(c->num[2]));
    assert_int_equal(c->n_missing, 1);

    c = table_col(t, "created");
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_false(c->has_time);
    assert_true(c->num[0] == 17588 && c->num[1] == 11017 && c->num[3] == 18321 &&
                c->num[4] == -1);
    c = table_col(t, "stamp");
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_true(c->has_time);
    assert_close(c->num[0], 17588.832569444443, 0, 1e-9);
    char buf[64];
    assert_string_equal(mql_cell_text(c, 0, buf, sizeof buf), "2018-02-26 19:58:54");
    assert_string_equal(mql_cell_text(c, 2, buf, sizeof buf), "");

    c = table_col(t, "segment");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_levels, 3);
    assert_string_equal(c->levels[0], "SMB");
    assert_int_equal(c->level_count[0], 2);
    assert_int_equal(c->code[3], MQL_NA_CODE);
    assert_int_equal(c->n_missing, 1);

    c = table_col(t, "tf");   /* spellings differ in case only: still one true/false pair */
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "True");
    assert_string_equal(c->false_label, "false");
    assert_true(c->num[2] == 1 && c->num[3] == 0 && isnan(c->num[4]));

    c = table_col(t, "always");
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
    mql_table *t = table_from_text(text, NULL);
    const mql_column *c = table_col(t, "big");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_true(c->num[0] == strtod("12345678901234567890", NULL));
    assert_true(c->num[1] == strtod("1.5e-300", NULL));
    assert_true(c->num[2] == 0.1);
    c = table_col(t, "late");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    char buf[64];
    assert_string_equal(mql_cell_text(c, 0, buf, sizeof buf), "1");
    assert_string_equal(mql_cell_text(c, 2, buf, sizeof buf), "abc");
    c = table_col(t, "ambig");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(c, 1, buf, sizeof buf), "1,234");
    c = table_col(t, "when");
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
    mql_table *t = table_from_text(text, NULL);
    assert_int_equal(table_col(t, "email")->type, MQL_COL_ID);
    assert_int_equal(table_col(t, "lead_id")->type, MQL_COL_ID);      /* named id, all distinct */
    assert_int_equal(table_col(t, "seq")->type, MQL_COL_ID);          /* dense distinct integers */
    assert_int_equal(table_col(t, "revenue")->type, MQL_COL_NUMERIC); /* sparse: an amount */
    assert_int_equal(table_col(t, "tier")->type, MQL_COL_CATEGORICAL);
    /* 000, 001, 002: whole numbers written with leading zeros are codes, read as categories
     * with their spelling (they were numbers, and a range rule grouped unrelated codes) */
    assert_int_equal(table_col(t, "code")->type, MQL_COL_CATEGORICAL);
    char buf[32];
    assert_string_equal(mql_cell_text(table_col(t, "code"), 0, buf, sizeof buf), "000");
    assert_string_equal(mql_cell_text(table_col(t, "seq"), 3, buf, sizeof buf), "103");
    mql_table_free(t);

    /* forced categorical keeps the spelling; "only" keeps just the named columns */
    const char *cat[] = {"code"}, *only[] = {"code", "tier"};
    mql_read_opts ro = {.categorical = cat, .n_categorical = 1, .only = only, .n_only = 2};
    t = table_from_text(text, &ro);
    assert_int_equal(t->n_cols, 2);
    assert_string_equal(t->cols[0].name, "tier");
    assert_int_equal(table_col(t, "code")->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(table_col(t, "code"), 0, buf, sizeof buf), "000");
    mql_table_free(t);
}

/* Leading-zero codes: the first value or a later one turns the column to text, in every reader
 * (read_all_ways: one thread, parts, cell mode); 0, 0.5, 01.5 and -05 stay numbers. */
static void test_leading_zero_codes(void **state)
{
    (void)state;
    const char *text = "zip,late,amount,mixed\n"
                       "02134,10001,0,0.5\n"
                       "10001,94105,12,01.5\n"
                       "2134,07030,0.25,-05\n"
                       "94105,60601,7,3\n";
    mql_table *t = read_all_ways(text, NULL);
    char buf[32];
    assert_int_equal(table_col(t, "zip")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(t, "late")->type, MQL_COL_CATEGORICAL);
    assert_string_equal(mql_cell_text(table_col(t, "late"), 2, buf, sizeof buf), "07030");
    assert_string_equal(mql_cell_text(table_col(t, "late"), 0, buf, sizeof buf), "10001");
    /* '2134' and '02134' are one value (value.h), labelled by the first seen of equals */
    assert_int_equal(table_col(t, "zip")->n_distinct, 3);
    assert_string_equal(mql_cell_text(table_col(t, "zip"), 2, buf, sizeof buf), "02134");
    assert_int_equal(table_col(t, "amount")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(t, "mixed")->type, MQL_COL_NUMERIC);
    mql_table_free(t);
}

/* mql_code_rule in every reader: a stray zero-padded cell among numbers is the number it spells
 * (050 is 50) and the column stays numeric; one width, or 1% and at least 2 cells, keep the
 * codes; a column named as a ZIP, phone or industry code is codes without any zero, except a
 * 0/1 column (boolean) and names where another word follows (phone_calls); --numeric keeps
 * numbers. */
static void test_code_rules(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "amount,three_zeros,one_zero,sku,Mailing Zip,mobile,phone_calls,zip\n");
    for (int i = 0; i < 300; i++)
        add(&t, "%s,%s,%s,%s,%d,%d,%d,%s\n", i == 150 ? "050" : i % 7 ? "1200" : "75",
            i == 10 || i == 200 || i == 250 ? "0042" : i % 2 ? "17" : "123456",
            i == 200 ? "0042" : i % 2 ? "17" : "123456", i == 5 ? "007" : i % 2 ? "123" : "999",
            94100 + i % 9, i % 2, i % 5, i % 4 ? "94105" : "02134");
    mql_table *tb = read_all_ways(t.s, NULL);
    const mql_column *a = table_col(tb, "amount");
    assert_int_equal(a->type, MQL_COL_NUMERIC);
    assert_int_equal(a->code_rule, MQL_CODE_NONE);
    assert_true(a->num[150] == 50.0);
    assert_int_equal(table_col(tb, "three_zeros")->type, MQL_COL_CATEGORICAL);   /* 3 of 300: 1% */
    assert_int_equal(table_col(tb, "three_zeros")->code_rule, MQL_CODE_ZEROS);
    assert_int_equal(table_col(tb, "one_zero")->type, MQL_COL_NUMERIC);
    assert_true(table_col(tb, "one_zero")->num[200] == 42.0);
    assert_int_equal(table_col(tb, "sku")->type, MQL_COL_CATEGORICAL);          /* one width */
    assert_int_equal(table_col(tb, "sku")->code_rule, MQL_CODE_ZEROS);
    const mql_column *z = table_col(tb, "Mailing Zip");
    assert_int_equal(z->type, MQL_COL_CATEGORICAL);
    assert_int_equal(z->code_rule, MQL_CODE_NAME);
    char buf[32];
    assert_string_equal(mql_cell_text(z, 3, buf, sizeof buf), "94103");
    assert_int_equal(table_col(tb, "mobile")->type, MQL_COL_BOOLEAN);
    assert_int_equal(table_col(tb, "phone_calls")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(tb, "zip")->code_rule, MQL_CODE_NAME);
    mql_table_free(tb);
    const char *num[] = {"Mailing Zip", "zip", "sku"};
    mql_read_opts ro = {.numeric = num, .n_numeric = 3};
    tb = read_all_ways(t.s, &ro);
    assert_int_equal(table_col(tb, "Mailing Zip")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(tb, "zip")->type, MQL_COL_NUMERIC);
    assert_true(table_col(tb, "zip")->num[0] == 2134.0);
    assert_int_equal(table_col(tb, "sku")->type, MQL_COL_NUMERIC);
    assert_true(table_col(tb, "sku")->num[5] == 7.0);
    mql_table_free(tb);
    free(t.s);
}

/* mql_code_name: the names a CRM export gives its codes, and the ones that only start alike. */
static void test_code_names(void **state)
{
    (void)state;
    static const char *const yes[] = {
        "zip", "ZIP", "Zip Code (Company)", "Billing Zip/Postal Code", "Mailing Zip", "Postal Code",
        "BillingPostalCode", "zip5", "postcode", "post_code", "PLZ", "Postleitzahl", "cep",
        "codigo_postal", "code postal", "CAP", "Phone", "Mobile Phone", "phone_number", "Fax",
        "Telefono", "Teléfono", "Téléphone", "Código Postal", "area_code", "NaicsCode", "SIC",
        "sic_code", "FIPS", "industry_code"};
    static const char *const no[] = {
        "phone_calls", "zip_count", "mobile_visits", "capital", "cap_table", "Cap Rate",
        "postal_returns", "area", "industry", "country_code", "amount", "zipper"};
    char w[64];
    for (size_t k = 0; k < sizeof yes / sizeof *yes; k++)
        if (!mql_code_name(yes[k], w, sizeof w))
            fail_msg("'%s' should say codes", yes[k]);
    for (size_t k = 0; k < sizeof no / sizeof *no; k++)
        if (mql_code_name(no[k], w, sizeof w))
            fail_msg("'%s' should not say codes (matched '%s')", no[k], w);
    assert_true(mql_code_name("Zip Code (Company)", w, sizeof w));
    assert_string_equal(w, "zip");
    assert_true(mql_code_name("area_code", w, sizeof w));
    assert_string_equal(w, "area code");
}

static void test_placeholders(void **state)
{
    (void)state;
    const char *text = "a,b\nNA,x\nn/a,-\nNULL,none\nUnknown,y\n5,z\n";
    mql_table *t = table_from_text(text, NULL);
    assert_int_equal(table_col(t, "a")->n_missing, 4);
    assert_int_equal(table_col(t, "a")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(t, "b")->n_missing, 2);
    mql_table_free(t);
    const char *na[] = {"", "z"};
    mql_read_opts ro = {.na = na, .n_na = 2};
    t = table_from_text(text, &ro);
    assert_int_equal(table_col(t, "a")->n_missing, 0);
    assert_int_equal(table_col(t, "a")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(t, "b")->n_missing, 1);
    mql_table_free(t);
}

/* The placeholder test rejects a cell on its first byte and length together: numbers sharing
 * the first byte of one placeholder ("-") and the length of another ("unknown", "#NAME?") are
 * numbers; a placeholder is still found in any case and with blanks around it, and a list's
 * placeholders that start alike ("-999", "-") are each found at their own length only. */
static void test_placeholder_first_byte_and_length(void **state)
{
    (void)state;
    const char *text = "x,y\n-123456,-999\n-12345,-\n-,-9999\n #name? ,-99\n"
                       "UNKNOWN,N.A.\n-1.5444,-999 \n";
    mql_table *t = table_from_text(text, NULL);
    const mql_column *c = table_col(t, "x");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_int_equal(c->n_missing, 3);        /* "-", " #name? ", "UNKNOWN" */
    assert_true(c->num[0] == -123456 && c->num[1] == -12345 && c->num[5] == -1.5444);
    assert_true(isnan(c->num[2]) && isnan(c->num[3]) && isnan(c->num[4]));
    c = table_col(t, "y");                           /* "N.A." is text to the default list */
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_missing, 1);
    mql_table_free(t);
    const char *na[] = {"-999", "n.a.", "-"};
    mql_read_opts ro = {.na = na, .n_na = 3};
    t = table_from_text(text, &ro);
    c = table_col(t, "x");                           /* "#name?" and "unknown" are not on the list */
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_missing, 1);
    c = table_col(t, "y");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_int_equal(c->n_missing, 4);         /* "-999" twice, "-", "N.A." */
    assert_true(c->num[2] == -9999 && c->num[3] == -99);
    assert_true(isnan(c->num[0]) && isnan(c->num[1]) && isnan(c->num[4]) && isnan(c->num[5]));
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
    mql_table *t = table_from_text(text, NULL);
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
    expect_fail("a,,c\n1,2,3\n", NULL, MQL_EDATA,
                ":2: column 2 has no name in the header but holds '2' here");
    expect_fail(",,\n1,2,3\n", NULL, MQL_EDATA, ":1: the header line has no column names");
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
    mql_table *t = table_from_text(text, NULL);
    assert_int_equal(t->delim, ';');
    assert_int_equal(t->n_bytes, strlen(text));
    assert_true(t->hash == mql_xxh64(text, strlen(text)));
    assert_int_equal(t->n_rows, 2);
    assert_int_equal(mql_table_find(t, "b"), 1);
    assert_int_equal(mql_table_find(t, "c"), -1);
    assert_string_equal(mql_coltype_name(table_col(t, "b")->type), "categorical");
    mql_table_free(t);
}

/* Distinct counts: small integer ranges (a bitmap: -0 and 0 are one value), wide integer ranges
 * and fractions (hashing), dates; against counts by hand. */
static void test_distinct_counts(void **state)
{
    (void)state;
    mql_table *t = table_from_text("small,wide,frac,day\n"
                             "-0,-20000000,0.25,2024-01-01\n"
                             "0,5,0.5,2024-01-01\n"
                             "3,20000000,0.25,2024-01-03\n"
                             "-5,5,,2024-01-02 12:00:00\n"
                             "1e3,,-0.5,\n"
                             "3,7,1e-3,2024-01-03\n", NULL);
    assert_int_equal(table_col(t, "small")->n_distinct, 4);     /* 0, 3, -5, 1000 */
    assert_int_equal(table_col(t, "wide")->n_distinct, 4);      /* -2e7, 5, 2e7, 7 */
    assert_int_equal(table_col(t, "wide")->n_missing, 1);
    assert_int_equal(table_col(t, "frac")->n_distinct, 4);      /* 0.25, 0.5, -0.5, 0.001 */
    assert_int_equal(table_col(t, "day")->n_distinct, 3);       /* 2 days and one time of day */
    assert_int_equal(table_col(t, "day")->n_missing, 1);
    mql_table_free(t);
}

/* ---- the parallel reader (opts.threads >= 2) against the one-thread reader ---- */

/* The message of a failing read of the n bytes at s (which may hold a NUL) with the given
 * thread count. */
static int fail_bytes(const char *s, size_t n, size_t threads, mql_err *err)
{
    char path[64];
    mql_table *t = NULL;
    mql_read_opts o = {.threads = threads};
    snprintf(path, sizeof path, "/tmp/mqlcal-test-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, n), (ssize_t)n);
    close(fd);
    int st = mql_table_read(path, &o, &t, err);
    unlink(path);
    assert_null(t);
    /* messages name the file: put a fixed name in its place */
    char *p = strstr(err->msg, path);
    if (p)
        memmove(p + 4, p + strlen(path), strlen(p + strlen(path)) + 1), memcpy(p, "FILE", 4);
    return st;
}

/* Reads the n bytes at s on one thread and in 2 and 3 parts expecting the same failure, whose
 * message must contain needle. */
static void expect_same_failure_n(const char *s, size_t n, int status, const char *needle)
{
    mql_err e1 = {{0}}, e2 = {{0}};
    assert_int_equal(fail_bytes(s, n, 1, &e1), status);
    if (!strstr(e1.msg, needle))
        fail_msg("message '%s' lacks '%s'", e1.msg, needle);
    for (size_t w = 2; w <= 3; w++) {
        assert_int_equal(fail_bytes(s, n, w, &e2), status);
        assert_string_equal(e1.msg, e2.msg);
    }
}

static void expect_same_failure(const char *s, int status, const char *needle)
{
    expect_same_failure_n(s, strlen(s), status, needle);
}

/* 400 rows of mixed columns: a quoted field with line breaks (CRLF and LF) and commas around
 * every split point, a categorical whose levels appear first in the second half, a column
 * numeric in the first half and text in the second, identifiers, dates, booleans. */
static void test_parallel_matches_one_thread(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "id,note,late_level,num_then_text,score,created,flag,mostly_empty\n");
    for (int i = 0; i < 400; i++) {
        add(&t, "L%04d,", i);
        if (i % 7 == 3)
            add(&t, "\"multi\r\nline, %d\nnote \"\"q\"\"\",", i);
        else
            add(&t, "plain %d,", i % 11);
        if (i < 200)
            add(&t, "%s,", i % 5 ? "" : "first");
        else
            add(&t, "%s,", (const char *[]){"zeta", "alpha", "first", "mid"}[i % 4]);
        if (i < 210)
            add(&t, "%d.50,", i % 9);
        else
            add(&t, "%s,", i % 3 ? "n/a-ish" : "7.0");
        add(&t, "%d,2024-%02d-%02d,%s,%s\n", (i * 37) % 101, 1 + i % 12, 1 + i % 28,
            i % 2 ? "Yes" : "no", i == 350 ? "late" : "");
    }
    mql_table *one = read_all_ways(t.s, NULL);
    /* the one-thread reading itself, for the record: */
    assert_int_equal(one->n_rows, 400);
    assert_int_equal(table_col(one, "id")->type, MQL_COL_ID);
    assert_int_equal(table_col(one, "late_level")->type, MQL_COL_CATEGORICAL);
    assert_string_equal(table_col(one, "late_level")->levels[0], "first");
    assert_string_equal(table_col(one, "late_level")->levels[1], "zeta");
    const mql_column *c = table_col(one, "num_then_text");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_string_equal(c->levels[0], "0.5");          /* numbers read before turned to text */
    assert_string_equal(c->levels[c->code[399]], "7.0"); /* later cells keep their spelling */
    assert_int_equal(table_col(one, "flag")->type, MQL_COL_BOOLEAN);
    assert_int_equal(table_col(one, "mostly_empty")->n_missing, 399);
    mql_table_free(one);
    free(t.s);
}

/* Line numbers: no array when row i is on line i + 2; with a record spanning lines, every row's
 * line, the same read on one thread or in parts (a part starting after the multi-line record
 * has its lines shifted, one before it has them implicit). */
static void test_line_numbers(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "id,note,x\n");
    for (int i = 0; i < 400; i++)
        add(&t, "L%04d,plain,%d\n", i, i % 7);
    mql_table *one = read_all_ways(t.s, NULL);
    assert_null(one->line);
    mql_table_free(one);
    for (int at = 0; at < 400; at += 133) {
        gen_text u = {0};
        add(&u, "id,note,x\n");
        for (int i = 0; i < 400; i++)
            add(&u, i == at ? "L%04d,\"two\nlines\",%d\n" : "L%04d,plain,%d\n", i, i % 7);
        one = read_all_ways(u.s, NULL);
        /* the last record spanning lines moves no record's first line */
        assert_true((one->line == NULL) == (at == 399));
        for (int i = 0; one->line && i < 400; i++)
            assert_int_equal(one->line[i], (size_t)(i + 2 + (i > at)));
        mql_table_free(one);
        free(u.s);
    }
    free(t.s);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distinct non-missing values by sorting (-0 equal to 0), the reference for n_distinct. */
static size_t distinct_by_sort(const mql_column *c, size_t n)
{
    double *v = malloc(n * sizeof *v);
    size_t m = 0, d = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(c->num[i]))
            v[m++] = c->num[i];
    qsort(v, m, sizeof *v, cmp_dbl);
    for (size_t i = 0; i < m; i++)
        d += i == 0 || v[i] != v[i - 1];
    free(v);
    return d;
}

/* Decimal columns are counted by their written digits when every value is a plain decimal: the
 * distinct counts equal a sort's for short and long forms of one value (1.5, 1.50), -0, negative
 * values, values near the span limit, and the columns that must be hashed (an exponent, a
 * thousands separator, 16 decimals) say so; on one thread and in parts. */
static void test_decimal_distinct(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "rate,amount,wide,expo,thousands,long_dec,ints\n");
    unsigned r = 12345;
    for (int i = 0; i < 5000; i++) {
        r = r * 1103515245u + 12345u;
        int k = (int)(r >> 8) % 20001 - 10000;            /* -1.0000 .. 1.0000 */
        const char *sign = k < 0 ? "-" : "";
        int a = k < 0 ? -k : k;
        if (i % 97 == 0)
            add(&t, "%s%d.%d,", sign, a / 10000, (a % 10000) / 1000);   /* 0.5, not 0.5000 */
        else if (i % 101 == 0)
            add(&t, "-0.0000,");
        else
            add(&t, "%s%d.%04d,", sign, a / 10000, a % 10000);
        add(&t, "%d.%02d,", (int)(r >> 12) % 100000, i % 100);
        add(&t, "%s,", i % 2 ? "1677.7215" : "-1677.7216");      /* 2^24 + 1 steps */
        add(&t, "%s,", i % 3 ? "1.5e2" : "0.25");
        add(&t, "\"%d,%03d.5\",", 1 + i % 9, i % 1000);
        add(&t, "0.%016d,", i % 777);
        add(&t, "%d\n", (int)(r >> 16) % 5000 - 2500);
    }
    mql_table *one = read_all_ways(t.s, NULL);
    static const struct {
        const char *name;
        int plain, dec;
    } want[] = {{"rate", 1, 4},      {"amount", 1, 2},    {"wide", 1, 4},
                {"expo", 0, 0},      {"thousands", 0, 0}, {"long_dec", 0, 0},
                {"ints", 1, 0}};
    for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
        const mql_column *c = table_col(one, want[k].name);
        assert_int_equal(c->type, MQL_COL_NUMERIC);
        assert_int_equal(c->n_distinct, distinct_by_sort(c, one->n_rows));
        if (c->plain_decimal != want[k].plain || c->decimals != want[k].dec)
            fail_msg("%s: plain %d decimals %d", want[k].name, c->plain_decimal, c->decimals);
    }
    assert_int_equal(table_col(one, "wide")->n_distinct, 2);
    mql_table_free(one);
    free(t.s);
}

/* Distinct non-NaN values of v[0..n) by sorting (-0 equal to 0). */
static size_t distinct_sorted(const double *v, size_t n)
{
    double *w = malloc((n ? n : 1) * sizeof *w);
    size_t m = 0, d = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(v[i]))
            w[m++] = v[i];
    qsort(w, m, sizeof *w, cmp_dbl);
    for (size_t i = 0; i < m; i++)
        d += i == 0 || w[i] != w[i - 1];
    free(w);
    return d;
}

/* mql_num_distinct's shortcuts against a sort: the loop without the NaN test (no missing
 * cell), and the stop once every slot of a small span is marked, which must not come before
 * the last block that holds a new value. Arrays over several blocks of 4096 values: small
 * spans filled at once, filled only by their last value (an extreme or a middle value), or
 * never (gaps); missing cells; -0 and 0; one value; all distinct; decimals counted by their
 * digits (dec 1 and 2), and the same values with no digit count (hashed). */
static void test_distinct_shortcuts(void **state)
{
    (void)state;
    size_t n = 3 * 4096 + 77;
    double *v = malloc(n * sizeof *v);
    for (int kind = 0; kind < 9; kind++) {
        for (int nan = 0; nan < 2; nan++) {
            for (size_t i = 0; i < n; i++) {
                switch (kind) {
                case 0: v[i] = (double)(i % 15); break;                /* full in block 1 */
                case 1: v[i] = i == n - 1 ? 14 : (double)(i % 14); break;    /* last: max */
                case 2: v[i] = i == n - 1 ? -3 : (double)(i % 14); break;    /* last: min */
                case 3: v[i] = i == 9000 ? 7 : (double)(i % 7); break; /* middle, 3rd block */
                case 4: v[i] = (double)(2 * (i % 50)); break;          /* gaps: never full */
                case 5: v[i] = i % 3 == 0 ? -0.0 : i % 3 == 1 ? 0.0 : 1; break;
                case 6: v[i] = 42; break;                              /* one value */
                case 7: v[i] = (double)i / 100; break;                 /* all distinct */
                default: v[i] = i == n - 2 ? 2.5 : (double)(i % 25) / 10; break;
                }
                if (nan && i % 11 == 5 && i != n - 1 && i != n - 2 && i != 9000)
                    v[i] = NAN;
            }
            size_t want = distinct_sorted(v, n);
            int dec = kind == 7 ? 2 : kind == 8 ? 1 : 0;
            if (mql_num_distinct(v, n, dec) != want || mql_num_distinct(v, n, -1) != want)
                fail_msg("kind %d nan %d: %zu, %zu (dec %d), want %zu", kind, nan,
                         mql_num_distinct(v, n, -1), mql_num_distinct(v, n, dec), dec, want);
        }
    }
    assert_int_equal(mql_num_distinct(v, 1, 0), 1);
    free(v);
}

/* Column c's counts against a pass over its finished numbers (mql_num_distinct counts afresh;
 * the reader gathers the range, whole-number and 0/1 flags and filled cells while reading). */
static void assert_counts_afresh(const mql_column *c, size_t n)
{
    size_t nan = 0;
    for (size_t i = 0; i < n; i++)
        nan += isnan(c->num[i]) != 0;
    assert_int_equal(c->n_missing, nan);
    assert_int_equal(c->n_distinct,
                     mql_num_distinct(c->num, n, c->plain_decimal ? (int)c->decimals : -1));
}

/* The first pass of the distinct count is gathered while the cells are stored, in every part of
 * a parallel read: the typing it decides matches a pass over the column. Extremes in the last
 * rows (a lost one would make 'sparse' dense, an identifier); whole numbers written with a
 * point ('seq_id' is an identifier, 'flag' boolean); -0 and 0; a column that starts after the
 * first part; placeholders and unreadable cells; a stray leading-zero code whose column is
 * read as numbers again, and one whose column turns to text. */
static void test_counts_while_reading(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "sparse,seq_id,flag,signed_zero,late,holes,stray_zero,turns,rate\n");
    for (int i = 0; i < 400; i++) {
        add(&t, "%d,%d.0,%s,", i < 399 ? i : -500, 400 - i,
            (const char *[]){"1.0", "0", "0.00", "1", "NA"}[i % 5]);
        add(&t, "%s,", i % 3 == 0 ? "-0" : i % 3 == 1 ? "0" : "2.5");
        if (i < 250)
            add(&t, ",");
        else
            add(&t, "%d.%02d,", (i * 7) % 13, i % 100);
        add(&t, "%s,", i % 9 == 4 ? "inf" : i % 9 == 5 ? "-" : i % 2 ? "12" : "-3.25");
        add(&t, "%s,", i == 377 ? "050" : i % 4 ? "17.5" : "18");
        add(&t, "%s,", i == 390 ? "abc" : "7");
        add(&t, "%s%d.%04d\n", i % 2 ? "-" : "", i % 3, (i * 7919) % 10000);
    }
    mql_table *one = read_all_ways(t.s, NULL);
    size_t n = one->n_rows;
    assert_int_equal(table_col(one, "sparse")->type, MQL_COL_NUMERIC);
    assert_true(table_col(one, "sparse")->num[399] == -500);
    assert_int_equal(table_col(one, "seq_id")->type, MQL_COL_ID);
    assert_int_equal(table_col(one, "flag")->type, MQL_COL_BOOLEAN);
    assert_int_equal(table_col(one, "flag")->n_missing, 80);
    assert_int_equal(table_col(one, "turns")->type, MQL_COL_CATEGORICAL);
    static const char *const numeric[] = {"sparse", "signed_zero", "late", "holes",
                                          "stray_zero", "rate"};
    for (size_t k = 0; k < sizeof numeric / sizeof numeric[0]; k++) {
        const mql_column *c = table_col(one, numeric[k]);
        if (c->type != MQL_COL_NUMERIC)
            fail_msg("%s: %s", numeric[k], mql_coltype_name(c->type));
        assert_counts_afresh(c, n);
    }
    assert_int_equal(table_col(one, "signed_zero")->n_distinct, 2);
    assert_int_equal(table_col(one, "late")->n_missing, 250);
    assert_int_equal(table_col(one, "holes")->n_missing, 88);
    assert_int_equal(table_col(one, "holes")->n_unreadable, 44);
    assert_int_equal(table_col(one, "stray_zero")->n_distinct, 3);     /* 17.5, 18 and 50 */
    mql_table_free(one);
    free(t.s);
    /* a ';' file: decimal commas, whose digits are not counted (decimals 99) */
    t = (gen_text){0};
    add(&t, "amount;share\n");
    for (int i = 0; i < 300; i++)
        add(&t, "%d,%02d;%s\n", 1000 + i % 37, i % 7, i % 2 ? "0,5" : "1");
    one = read_all_ways(t.s, NULL);
    assert_counts_afresh(table_col(one, "amount"), one->n_rows);
    assert_int_equal(table_col(one, "amount")->plain_decimal, 0);
    assert_int_equal(table_col(one, "share")->n_distinct, 2);
    assert_int_equal(table_col(one, "share")->type, MQL_COL_NUMERIC);
    mql_table_free(one);
    free(t.s);
}

/* The inline path for plain numbers (put_plain_number) and put_cell's whole rule agree: cells
 * at its edges ('0' then a point or not, signs, a bare point, 19 and 20 digits, past 2^53) and
 * plain numbers that are placeholders on a --na list read as the parser reads them, on one
 * thread (row mode) and in parts (cell mode); the decimals are the most any cell has. */
static void test_plain_number_cells(void **state)
{
    (void)state;
    static const char *const cells[] = {
        "0.5", "0", "-0", "+5", "1.", ".5", "-.5", "12.250", "9007199254740993",
        "1234567890123456789", "12345678901234567890", "-999", "999", "-9990", "0.0", "NA",
        "1e3", "-0.125"};
    const size_t nc = sizeof cells / sizeof cells[0];
    gen_text t = {0};
    add(&t, "edges,amount\n");
    for (size_t i = 0; i < 20 * nc; i++)
        add(&t, "%s,%s\n", cells[i % nc], i % 7 == 3 ? "-999" : i % 2 ? "-12.5" : "40.125");
    const char *na[] = {"", "-999", "999", "NA"};
    mql_read_opts o = {.na = na, .n_na = 4};
    mql_table *one = read_all_ways(t.s, &o);
    const mql_column *c = table_col(one, "edges");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_int_equal(c->plain_decimal, 0);       /* "1e3" and the long ones are not plain */
    for (size_t i = 0; i < one->n_rows; i++) {
        const char *cell = cells[i % nc];
        double want;
        if (strcmp(cell, "-999") == 0 || strcmp(cell, "999") == 0 || strcmp(cell, "NA") == 0)
            assert_true(isnan(c->num[i]));
        else if (mql_parse_number(cell, strlen(cell), &want) != 0 ||
                 memcmp(&want, &c->num[i], sizeof want) != 0)
            fail_msg("row %zu '%s': %.17g", i, cell, c->num[i]);
    }
    assert_int_equal(c->n_missing, 60);
    c = table_col(one, "amount");
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_int_equal(c->plain_decimal, 1);
    assert_int_equal(c->decimals, 3);
    assert_int_equal(c->n_distinct, 2);
    assert_true(c->num[0] == 40.125 && c->num[1] == -12.5 && isnan(c->num[3]));
    mql_table_free(one);
    free(t.s);
}

/* parse_num_plain as it was written with a bound test in each digit loop, the reference for the
 * one that stops at the NUL after the cell instead. */
static int plain_by_bounds(const char *s, size_t n, double *out, int *dec)
{
    size_t i = 0;
    int neg = 0;
    if (n && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    uint64_t m = 0;
    size_t d0 = i;
    while (i < n && (unsigned char)(s[i] - '0') < 10)
        m = m * 10 + (uint64_t)(s[i++] - '0');
    size_t nd = i - d0, nf = 0;
    if (i < n && s[i] == '.') {
        size_t f0 = ++i;
        while (i < n && (unsigned char)(s[i] - '0') < 10)
            m = m * 10 + (uint64_t)(s[i++] - '0');
        nf = i - f0;
    }
    if (i == n && nd + nf > 0 && nd + nf <= 19 && m <= (UINT64_C(1) << 53) && nf <= 22) {
        double v = nf ? (double)m / mql_pow10_exact[nf] : (double)m;
        *out = neg ? -v : v;
        *dec = (int)nf;
        return 0;
    }
    return -1;
}

static void expect_plain_agrees(const char *s, size_t n)
{
    double a = 0, b = 0;
    int da = -1, db = -1;
    int ra = parse_num_plain(s, n, &a, &da), rb = plain_by_bounds(s, n, &b, &db);
    if (ra != rb || (ra == 0 && (memcmp(&a, &b, sizeof a) != 0 || da != db)))
        fail_msg("'%.*s' (%zu bytes): %d %.17g %d against %d %.17g %d", (int)n, s, n, ra, a, da,
                 rb, b, db);
}

/* parse_num_plain's digit loops stop at the NUL after the cell (the readers' cells all have
 * one): every string of up to 6 bytes over digits, the point, signs, the bytes either side of
 * the digits, a letter and a NUL inside the cell, and long runs of digits about the 19-digit and
 * 2^53 limits, read as the bounded loops read them (value bits and decimals). */
static void test_plain_number_sentinel(void **state)
{
    (void)state;
    static const char alpha[] = {'0', '7', '9', '.', '-', '+', '/', ':', 'e', '\0'};
    const size_t na = sizeof alpha;
    char s[40];
    for (size_t n = 0; n <= 6; n++) {
        size_t total = 1;
        for (size_t k = 0; k < n; k++)
            total *= na;
        for (size_t code = 0; code < total; code++) {
            size_t c = code;
            for (size_t k = 0; k < n; k++, c /= na)
                s[k] = alpha[c % na];
            s[n] = '\0';
            s[n + 1] = '5';      /* digits past the NUL must not be read as the cell's */
            s[n + 2] = '\0';
            expect_plain_agrees(s, n);
        }
    }
    static const char *const longs[] = {
        "9007199254740992", "9007199254740993", "-9007199254740992.5", "900719925474099.25",
        "1234567890123456789", "12345678901234567890", "0.0000000000000000001",
        "0.00000000000000000001", "123456789.0123456789", "1234567890.123456789",
        "00000000000000000000001", "-.0000000000000000009", "18446744073709551616"};
    for (size_t k = 0; k < sizeof longs / sizeof longs[0]; k++)
        expect_plain_agrees(longs[k], strlen(longs[k]));
}

/* The parallel reader hands cells over unchecked and the table checks all but plain numbers
 * (csv.h): cells of number columns that start like numbers but hold a line break inside quotes,
 * a control, NUL or non-ASCII byte must be checked as the one-thread reader checks them. Valid
 * ones give the same table (every row's line counted past the quoted line breaks); invalid ones
 * the same message, with the line and column, whichever part they fall in. */
static void test_unchecked_number_cells(void **state)
{
    (void)state;
    static const char *const odd[] = {"\"12\n34\"", "\"5\r\n\"", "\"\r\n7\"", "1\t2",
                                      "\"3\x01\"", "4\xC2\xA0", "\"-0.5\n\"", "6\xE2\x80\xAF" "000"};
    const int n_odd = (int)(sizeof odd / sizeof odd[0]);
    gen_text t = {0};
    add(&t, "c0,c1,c2,c3,c4,c5,c6,c7\n");
    /* column k meets odd[k] once early in the file and once late, each time after numbers only
     * (so in a part that has typed it as numbers) */
    for (int i = 0; i < 300; i++)
        for (int k = 0; k < n_odd; k++)
            add(&t, "%s%c", i == 20 + 9 * k || i == 170 + 13 * k ? odd[k] : k % 2 ? "-1.25" : "7",
                k + 1 < n_odd ? ',' : '\n');
    mql_table *one = read_all_ways(t.s, NULL);
    assert_int_equal(one->n_rows, 300);
    /* 4 odd cells hold a line break (one a CRLF), each twice: the last row is 8 lines down */
    assert_non_null(one->line);
    assert_int_equal(one->line[299], 301 + 8);
    assert_int_equal(table_col(one, "c3")->type, MQL_COL_CATEGORICAL);   /* "1\t2": text */
    mql_table_free(one);
    free(t.s);

    /* a bad byte in a number-shaped cell, after quoted line breaks in number-shaped cells of
     * another column (row i on line 2 + i, plus one per earlier break) */
    static const char *const bad[] = {"12\xFF", "0.\xC0\xAF", "\"1\n2\xC3\x28\"", "-7\x80"};
    static const unsigned bad_byte[] = {0xFF, 0xC0, 0xC3, 0x80};
    for (size_t v = 0; v < 4; v++)
        for (int at = 40; at < 300; at += 110) {
            gen_text u = {0};
            add(&u, "x,y,z\n");
            for (int i = 0; i < 300; i++)
                add(&u, "%s,%s,%d\n", i % 50 == 5 ? "\"1\n\"" : "3.5", i == at ? bad[v] : "8",
                    i % 4);
            char needle[96];
            snprintf(needle, sizeof needle, "FILE:%d: column 2 'y': invalid UTF-8 byte 0x%02X",
                     2 + at + (at + 44) / 50 + (v == 2), bad_byte[v]);
            expect_same_failure(u.s, MQL_EDATA, needle);
            free(u.s);
        }

    /* a NUL inside a number ("12<NUL>5"): not a plain number, so checked, and refused */
    for (int at = 40; at < 300; at += 110) {
        gen_text u = {0};
        add(&u, "x,y\n");
        for (int i = 0; i < 300; i++)
            add(&u, i == at ? "%d,12@5\n" : "%d,8\n", i);
        *strchr(u.s, '@') = '\0';
        char needle[96];
        snprintf(needle, sizeof needle, "FILE:%d: column 2 'y': NUL byte at byte 3", 2 + at);
        expect_same_failure_n(u.s, u.n, MQL_EDATA, needle);
        free(u.s);
    }
}

/* Columns whose first half and second half were typed differently: the second half's cells
 * that the part kept only as numbers or canonical text are read again from the file, so the
 * levels keep the spellings and first-seen order of the one-thread reader. */
static void test_parallel_mixed_modes(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "text_then_num,zip,date_then_num,num_then_date,text_then_date,forced\n");
    for (int i = 0; i < 300; i++) {
        int late = i >= 150;
        /* text first; the second half has numbers only, spelled "1.50", "007", "1e3" */
        add(&t, "%s,", !late ? (i % 2 ? "abc" : "def")
                             : (const char *[]){"1.50", "007", "1e3", "\"12,500.50\""}[i % 4]);
        /* zip codes: numeric until a letter shows up, in each half */
        add(&t, "%s,", i % 150 == 20 ? "SW1A 1AA" : (i % 3 ? "02134" : "2134"));
        add(&t, "%s,", !late ? "2024-03-01 10:00:00" : (i % 2 ? "5" : "2024-03-02"));
        add(&t, "%s,", !late ? "42" : "2024-03-05T08:30:00");
        add(&t, "%s,", !late ? "x" : "2024-01-31 23:59:59");
        add(&t, "%d\n", i % 4);
    }
    const char *cat[] = {"forced"};
    mql_read_opts o = {.categorical = cat, .n_categorical = 1};
    mql_table *one = read_all_ways(t.s, &o);
    const mql_column *c = table_col(one, "text_then_num");
    assert_int_equal(c->n_levels, 6);
    assert_string_equal(c->levels[0], "def");
    assert_string_equal(c->levels[2], "1e3");          /* not 1000: read as text all along */
    assert_string_equal(c->levels[3], "12,500.50");
    assert_string_equal(c->levels[5], "007");
    c = table_col(one, "zip");
    /* "02134" and "2134" are one value (value.h): one level, labelled by the spelling most rows
     * use, with both spellings recorded */
    assert_int_equal(c->n_levels, 2);
    assert_string_equal(c->levels[0], "02134");
    assert_string_equal(c->levels[1], "SW1A 1AA");
    assert_int_equal(c->n_spellings, 2);
    assert_string_equal(c->spellings[0].text, "02134");
    assert_string_equal(c->spellings[1].text, "2134");
    assert_int_equal(c->spellings[0].count + c->spellings[1].count, 298);
    assert_int_equal(table_col(one, "date_then_num")->has_time, 1);
    assert_int_equal(table_col(one, "forced")->type, MQL_COL_CATEGORICAL);
    mql_table_free(one);
    free(t.s);
}

/* Errors: the message (file, line, column) is the one-thread reader's; when both halves are bad
 * the first in the file wins; line numbers count the quoted line breaks of the first half. */
static void test_parallel_errors(void **state)
{
    (void)state;
    for (int variant = 0; variant < 5; variant++) {
        gen_text t = {0};
        add(&t, "a,b,c\r\n");
        for (int i = 0; i < 200; i++) {
            if (variant == 0 && i == 170)
                add(&t, "1,2\r\n");                        /* second half: 2 fields */
            else if (variant == 1 && (i == 30 || i == 170))
                add(&t, "%s\r\n", i == 30 ? "1,2,3,4" : "1,2");   /* both halves bad */
            else if (variant == 2 && i == 160)
                add(&t, "1,\"\xC3\x28\",3\r\n");             /* invalid UTF-8 in the second half */
            else if (variant == 3 && i == 190)
                add(&t, "1,x\"y,3\r\n");                     /* a stray quote */
            else if (variant == 4 && i == 199)
                add(&t, "1,2,\"open");                        /* unterminated at the end */
            else
                add(&t, "%d,\"two\nlines\",%d\r\n", i, i % 3);
        }
        /* row i starts on line 2 + 2 i */
        const char *needle[] = {"FILE:342: 2 fields, header has 3", "FILE:62: 4 fields, header has 3",
                                "FILE:322: column 2 'b': invalid UTF-8", "FILE:382: column 2 'b': "
                                "malformed quoting", "FILE:400: unterminated quoted field"};
        expect_same_failure(t.s, MQL_EDATA, needle[variant]);
        free(t.s);
    }
    /* a refused header, and a file that cannot be split (CR-only line ends) */
    expect_same_failure("a,b,a\n1,2,3\n4,5,6\n7,8,9\n", MQL_EDATA, "duplicate column name 'a'");
    mql_table *one = read_all_ways("a,b\r1,2\r3,x\r5,6\r7,8\r", NULL);
    assert_int_equal(one->n_rows, 4);
    mql_table_free(one);
    expect_same_failure("a,b\n", MQL_EDATA, "no data rows");
}

/* A large file of one long quoted field and few lines: fewer parts than asked, same table. */
static void test_parallel_few_boundaries(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "\xEF\xBB\xBFk;v\n1;\"");
    for (int i = 0; i < 2000; i++)
        add(&t, "line %d of one field\n", i);
    add(&t, "\"\n2;x\n");
    mql_table *one = read_all_ways(t.s, NULL);
    assert_int_equal(one->n_rows, 2);
    assert_int_equal(one->delim, ';');
    assert_true(one->hash == mql_xxh64(t.s, t.n));
    mql_table_free(one);
    free(t.s);
}

/* Spellings of one value are one level (value.h's equality): case, blanks, number spelling in a
 * text column, boolean spellings; the label is the most frequent spelling, the first seen among
 * equally frequent ones; every spelling of a merged value is recorded with its rows; the one- and
 * multi-thread readers agree. Placeholders are missing with blanks around them too. */
/* Identifier columns are read without a dictionary index once their first 16,384 values are
 * nearly all distinct; the distinct levels, their first-seen order, counts and codes must be what
 * an indexed dictionary gives, on one thread and in parts, also for a column whose values start
 * repeating later (categorical after all) and for integer identifiers. */
static void test_identifiers_without_index(void **state)
{
    (void)state;
    enum { N = 70000 };
    gen_text t = {0};
    add(&t, "key,uid,num_id,mixed_id,y\n");
    for (int i = 0; i < N; i++) {
        int k = i < 30000 ? i : i % 500;           /* unique, then repeats of early keys */
        int u = i % 50 == 49 ? i - 1 : i;          /* 2% repeat the row before */
        add(&t, "K%06d,U%d,%d,", k, u, N - i);
        if (i < N / 2)                             /* text keys, then numbers (a replayed part) */
            add(&t, "M%d,%d\n", i, i % 3 == 0);
        else
            add(&t, "%d,%d\n", i, i % 3 == 0);
    }
    mql_table *one = read_all_ways(t.s, NULL);
    const mql_column *key = table_col(one, "key"), *uid = table_col(one, "uid"), *num = table_col(one, "num_id");
    assert_int_equal(key->type, MQL_COL_CATEGORICAL);
    assert_int_equal(key->n_levels, 30000);
    assert_int_equal(key->level_count[0], 1 + (N - 30000) / 500);
    assert_int_equal(uid->type, MQL_COL_ID);
    assert_int_equal(uid->n_levels, N - N / 50);
    assert_string_equal(uid->levels[0], "U0");
    assert_string_equal(uid->levels[49], "U50");   /* U48 twice: level 48; then U50 */
    assert_int_equal(uid->level_count[48], 2);
    assert_int_equal(num->type, MQL_COL_ID);
    assert_int_equal(num->n_levels, N);
    char buf[32];
    for (int i = 0; i < N; i++) {
        snprintf(buf, sizeof buf, "K%06d", i < 30000 ? i : i % 500);
        assert_string_equal(key->levels[key->code[i]], buf);
        snprintf(buf, sizeof buf, "U%d", i % 50 == 49 ? i - 1 : i);
        assert_string_equal(uid->levels[uid->code[i]], buf);
        snprintf(buf, sizeof buf, "%d", N - i);
        assert_string_equal(num->levels[num->code[i]], buf);
    }
    const mql_column *mixed = table_col(one, "mixed_id");
    assert_int_equal(mixed->type, MQL_COL_ID);
    assert_int_equal(mixed->n_levels, N);
    assert_string_equal(mixed->levels[mixed->code[N / 2 - 1]], "M34999");
    assert_string_equal(mixed->levels[mixed->code[N / 2]], "35000");
    size_t sum = 0;
    for (size_t l = 0; l < uid->n_levels; l++)
        sum += uid->level_count[l];
    assert_int_equal(sum, N);
    mql_table_free(one);
    free(t.s);
}

/* A cell spelled as its column's last looked-up category, or last plain date, takes that value
 * without a lookup (put_repeat): categories of 1 to 20 bytes next to ones that differ in a
 * single byte (a digit for a letter, so no spelling merge joins them), placeholders after a
 * category, and days that differ in one digit, a timestamp of the same day and an impossible
 * day twice running (not remembered: both unreadable). Every cell is checked against its own
 * text, on one thread and in parts. */
static void test_repeated_cells(void **state)
{
    (void)state;
    static const char letters[] = "kqzmwxbvtrplhgfdsnay";
    static const char *days[] = {"2024-01-05", "2024-01-06", "2024-01-15", "2024-02-05",
                                 "2024-11-05", "2025-01-05", "2034-01-05", "2124-01-05",
                                 "3024-01-05", "2024-01-05 10:30", "2024-02-30"};
    enum { MAXR = 1200 };
    char(*cat)[24] = calloc(MAXR, sizeof *cat);
    const char **day = calloc(MAXR, sizeof *day);
    assert_non_null(cat);
    assert_non_null(day);
    gen_text t = {0};
    add(&t, "cat,day\n");
    size_t r = 0;
    for (size_t len = 1; len <= 20; len++)
        for (size_t p = 0; p < len; p++) {
            char base[24], var[24];
            memcpy(base, letters, len);
            base[len] = '\0';
            memcpy(var, base, len + 1);
            var[p] = (char)('0' + p % 10);
            const char *cells[5] = {base, base, var, var, NULL};
            for (size_t k = 0; k < 5; k++, r++) {
                assert_true(r < MAXR);
                if (cells[k])
                    snprintf(cat[r], sizeof cat[r], "%s", cells[k]);
                /* runs of three rows of one day, each day a digit or two from the last */
                day[r] = k == 4 && p % 3 == 0 ? NULL : days[(r / 3) % 11];
                add(&t, "%s,%s\n", cells[k] ? cells[k] : (k % 2 ? "NA" : "na"),
                    day[r] ? day[r] : "");
            }
        }
    mql_table *one = read_all_ways(t.s, NULL);
    const mql_column *c = table_col(one, "cat"), *d = table_col(one, "day");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_levels, 20 + 210);       /* each base once, each variant */
    assert_int_equal(d->type, MQL_COL_DATE);
    assert_true(d->has_time);
    size_t bad = 0;
    for (size_t i = 0; i < r; i++) {
        if (!cat[i][0])
            assert_int_equal(c->code[i], MQL_NA_CODE);
        else if (c->code[i] == MQL_NA_CODE || strcmp(c->levels[c->code[i]], cat[i]) != 0)
            fail_msg("row %zu: '%s' read as '%s'", i, cat[i],
                     c->code[i] == MQL_NA_CODE ? "(missing)" : c->levels[c->code[i]]);
        double v = NAN;
        int ht;
        if (day[i] && mql_date_parse(day[i], strlen(day[i]), &v, &ht) != 0)
            bad++;
        if (!(isnan(v) ? isnan(d->num[i]) : d->num[i] == v))
            fail_msg("row %zu: '%s' read as %.6f, not %.6f", i, day[i] ? day[i] : "",
                     d->num[i], v);
    }
    assert_true(bad >= 2);
    assert_int_equal(d->n_unreadable, bad);
    mql_table_free(one);
    free(t.s);
    free(cat);
    free(day);
}

static void test_merge_spellings(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "source,tier,dne,other\n");
    for (int i = 0; i < 120; i++)
        add(&t, "%s,%s,%s,%s\n", i % 10 == 3 ? "google" : i % 10 == 7 ? "\" GOOGLE\"" : i % 2 ? "Google" : "Bing",
            i % 4 == 0 ? "1.0" : i % 4 == 1 ? "1" : i % 4 == 2 ? "Enterprise" : "1",
            i % 3 == 0 ? "yes" : i % 3 == 1 ? "y" : i % 6 == 2 ? "No" : "no",
            i % 5 == 0 ? " NA " : "x");
    mql_table *one = read_all_ways(t.s, NULL);
    const mql_column *c = table_col(one, "source");
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);
    assert_int_equal(c->n_levels, 2);
    assert_string_equal(c->levels[0], "Bing");
    assert_string_equal(c->levels[1], "Google");
    assert_int_equal(c->level_count[1], 60);
    assert_int_equal(c->n_spellings, 3);
    assert_string_equal(c->spellings[0].text, "Google");
    assert_int_equal(c->spellings[0].count, 36);
    assert_string_equal(c->spellings[1].text, "google");
    assert_int_equal(c->spellings[1].count, 12);
    assert_string_equal(c->spellings[2].text, " GOOGLE");
    assert_int_equal(c->spellings[2].level, 1);
    for (size_t i = 0; i < one->n_rows; i++)
        assert_true(c->code[i] < 2);
    char buf[256];
    size_t next;
    mql_spellings_text(c, 0, &next, buf, sizeof buf);
    assert_int_equal(next, 3);
    assert_string_equal(buf, "'Google' (36 rows), 'google' (12) and ' GOOGLE' (12) are one value, "
                             "'Google'");
    c = table_col(one, "tier");
    assert_int_equal(c->n_levels, 2);
    assert_string_equal(c->levels[0], "1");     /* 60 rows "1" against 30 "1.0" */
    assert_int_equal(c->level_count[0], 90);
    c = table_col(one, "dne");
    assert_int_equal(c->type, MQL_COL_BOOLEAN);  /* yes / y / No / no: one true, one false */
    assert_string_equal(c->true_label, "yes");
    assert_string_equal(c->false_label, "No");  /* 20 rows each: the first seen */
    assert_true(c->num[0] == 1 && c->num[1] == 1 && c->num[2] == 0);
    assert_int_equal(c->n_spellings, 4);
    assert_int_equal(c->spellings[0].level, 1);
    c = table_col(one, "other");
    assert_int_equal(c->n_missing, 24);
    mql_table_free(one);
    /* the --outcome COL truth rule is the same equality, plus "won" */
    assert_true(mql_truthy("1.0") && mql_truthy(" T ") && mql_truthy("Won") && mql_truthy("YES"));
    assert_false(mql_truthy("2") || mql_truthy("no") || mql_truthy("") || mql_truthy(NULL) ||
                 mql_truthy("wont"));
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inference),
        cmocka_unit_test(test_numbers_and_fallbacks),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_leading_zero_codes),
        cmocka_unit_test(test_code_rules),
        cmocka_unit_test(test_code_names),
        cmocka_unit_test(test_placeholders),
        cmocka_unit_test(test_placeholder_first_byte_and_length),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_join),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_hash_and_stdin_name),
        cmocka_unit_test(test_distinct_counts),
        cmocka_unit_test(test_parallel_matches_one_thread),
        cmocka_unit_test(test_parallel_mixed_modes),
        cmocka_unit_test(test_line_numbers),
        cmocka_unit_test(test_decimal_distinct),
        cmocka_unit_test(test_distinct_shortcuts),
        cmocka_unit_test(test_counts_while_reading),
        cmocka_unit_test(test_plain_number_cells),
        cmocka_unit_test(test_unchecked_number_cells),
        cmocka_unit_test(test_plain_number_sentinel),
        cmocka_unit_test(test_parallel_errors),
        cmocka_unit_test(test_parallel_few_boundaries),
        cmocka_unit_test(test_merge_spellings),
        cmocka_unit_test(test_identifiers_without_index),
        cmocka_unit_test(test_repeated_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
