/* test_exports.c: what real CRM exports need from the library (issue 10): the reader's decimal
 * commas, day/month dates, cells without a value and NUL bytes, each the same on one thread and
 * in parts; lookup joins; the outcome read as won / lost / open. Expected day numbers are from
 * Python's datetime (date - date(1970, 1, 1)). */
#include "testutil_table.h"

#include <unistd.h>

#include "mqlcal/lookup.h"
#include "mqlcal/outcome.h"
#include "mqlcal/table.h"
#include "mqlcal/table_ops.h"

static int read_file(const char *text, const mql_read_opts *o, mql_table **t, mql_err *err)
{
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    int st = mql_table_read(path, o, t, err);
    unlink(path);
    return st;
}

static mql_table *read_ok(const char *text, const mql_read_opts *o)
{
    mql_table *t = NULL;
    mql_err err;
    if (read_file(text, o, &t, &err))
        fail_msg("read failed: %s", err.msg);
    return t;
}

/* ---- the reader ---------------------------------------------------------------------------- */

static void test_decimal_comma(void **state)
{
    (void)state;
    mql_table *t = read_ok("id;amount;rate;code\n"
                           "1;8170,38;0,5;1,234\n"
                           "2;1.234,5;-0,25;7\n"
                           "3;12;1e3;2,5\n"
                           "4;1.234.567;3,0e2;x\n", NULL);
    const mql_column *a = table_col(t, "amount"), *r = table_col(t, "rate"), *c = table_col(t, "code");
    assert_int_equal(a->type, MQL_COL_NUMERIC);
    assert_true(a->num[0] == 8170.38 && a->num[1] == 1234.5 && a->num[2] == 12 &&
                a->num[3] == 1234567);
    assert_int_equal(r->type, MQL_COL_NUMERIC);
    assert_true(r->num[0] == 0.5 && r->num[1] == -0.25 && r->num[2] == 1000 && r->num[3] == 300);
    assert_int_equal(c->type, MQL_COL_CATEGORICAL);   /* "x": text, numbers kept canonical */
    mql_table_free(t);
    /* In a ',' file a quoted "8170,38" stays text: the comma is no decimal mark there. */
    t = read_ok("id,amount\n1,\"8170,38\"\n2,\"12,5\"\n", NULL);
    assert_int_equal(table_col(t, "amount")->type, MQL_COL_CATEGORICAL);
    mql_table_free(t);
}

/* Spaces as thousands separators of decimal-comma locales (a blank, U+00A0, U+202F), one kind
 * per number; a single space group is a number (it cannot be a decimal point), and the scorer
 * reads the same cells the same way (mql_parse_decimal_comma). */
static void test_space_groups(void **state)
{
    (void)state;
    mql_table *t = read_ok("id;fr;nbsp;nnbsp;mixed\n"
                           "1;1 234,50;1\xc2\xa0" "234,5;12\xe2\x80\xaf" "500;1 234\n"
                           "2;12 500;1\xc2\xa0" "234\xc2\xa0" "567;980,1;1 234.567,1\n", NULL);
    const mql_column *fr = table_col(t, "fr"), *nb = table_col(t, "nbsp"), *nn = table_col(t, "nnbsp");
    assert_int_equal(fr->type, MQL_COL_NUMERIC);
    assert_true(fr->num[0] == 1234.5 && fr->num[1] == 12500);
    assert_int_equal(nb->type, MQL_COL_NUMERIC);
    assert_true(nb->num[0] == 1234.5 && nb->num[1] == 1234567);
    assert_int_equal(nn->type, MQL_COL_NUMERIC);
    assert_true(nn->num[0] == 12500 && nn->num[1] == 980.1);
    assert_int_equal(table_col(t, "mixed")->type, MQL_COL_CATEGORICAL);   /* ' ' then '.': text */
    mql_table_free(t);
    double v;
    assert_int_equal(mql_parse_decimal_comma("1 234 567,89", 12, &v), 0);
    assert_true(v == 1234567.89);
    assert_int_equal(mql_parse_decimal_comma("12  500", 7, &v), -1);    /* two blanks */
    assert_int_equal(mql_parse_decimal_comma("1234 567", 8, &v), -1);   /* 4 digits before */
    assert_int_equal(mql_parse_decimal_comma("1 23", 4, &v), -1);       /* a short group */
    assert_int_equal(mql_parse_decimal_comma(" 234", 4, &v), -1);
}

/* ISO timestamps with a zone and YYYY/MM/DD read as written; a malformed zone does not. */
static void test_zone_dates(void **state)
{
    (void)state;
    double d;
    int ht;
    static const char *const ok[] = {"2024-03-05T10:22:31+02:00", "2024-03-05T10:22:31-0500",
                                     "2024-03-05T10:22:31.123Z", "2024-03-05 10:22:31 UTC",
                                     "2024-03-05T10:22:31+05", "2024-03-05T10:22Z",
                                     "2024-03-05 10:22:31 GMT", "2024-03-05T10:22:31 +01:00"};
    for (size_t k = 0; k < sizeof ok / sizeof *ok; k++) {
        assert_int_equal(mql_date_parse(ok[k], strlen(ok[k]), &d, &ht), 0);
        assert_true(floor(d) == 19787 && ht == 1);                  /* 2024-03-05 */
    }
    assert_int_equal(mql_date_parse("2024-03-05T10:22:31+02:00", 25, &d, &ht), 0);
    assert_true(fabs(d - (19787 + (10 * 3600 + 22 * 60 + 31) / 86400.0)) < 1e-12);
    assert_int_equal(mql_date_parse("2024/03/05", 10, &d, &ht), 0);
    assert_true(d == 19787 && ht == 0);
    static const char *const bad[] = {"2024-03-05T10:22:31+5:00", "2024-03-05T10:22:31+02:0",
                                      "2024-03-05T10:22:31+15:00", "2024-03-05T10:22:31 EST",
                                      "2024/03-05", "2024-03-05T10:22:31ZZ"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++)
        assert_int_equal(mql_date_parse(bad[k], strlen(bad[k]), &d, &ht), -1);
}

/* --date's numeric forms: Excel serial days, Unix seconds and milliseconds, each only when every
 * value lies in 1990-2100; anything else leaves the column as it was. */
static void test_numeric_dates(void **state)
{
    (void)state;
    mql_table *t = read_ok("xl,sec,ms,count\n45292,1704067200,1704067200000,3\n"
                           "45293.5,1704153600,1704110400000,45292\n", NULL);
    const char *form;
    mql_column *xl = (mql_column *)table_col(t, "xl"), *sec = (mql_column *)table_col(t, "sec"),
               *ms = (mql_column *)table_col(t, "ms"), *cnt = (mql_column *)table_col(t, "count");
    assert_int_equal(mql_column_numeric_to_date(xl, &form), MQL_OK);
    assert_string_equal(form, "Excel serial day numbers");
    assert_int_equal(xl->type, MQL_COL_DATE);
    assert_true(xl->num[0] == 19723 && xl->num[1] == 19724.5 && xl->has_time);  /* 2024-01-01 */
    assert_int_equal(mql_column_numeric_to_date(sec, &form), MQL_OK);
    assert_string_equal(form, "Unix timestamps in seconds");
    assert_true(sec->num[0] == 19723 && sec->num[1] == 19724 && !sec->has_time);
    assert_int_equal(mql_column_numeric_to_date(ms, &form), MQL_OK);
    assert_string_equal(form, "Unix timestamps in milliseconds");
    assert_true(ms->num[0] == 19723 && ms->num[1] == 19723.5);
    assert_int_equal(mql_column_numeric_to_date(cnt, &form), MQL_EDATA);   /* 3 is no date */
    assert_true(form == NULL && cnt->type == MQL_COL_NUMERIC && cnt->num[0] == 3);
    mql_table_free(t);
}

static void test_day_month_dates(void **state)
{
    (void)state;
    mql_table *t = read_ok("us,eu,iso,dash,clock\n"
                           "10/20/2016,20.10.2016,2016-10-20T10:00:00Z,20-10-2016,10/20/2016 1:30 PM\n"
                           "1/2/2016,3.1.2016,2016-10-21,01-02-2016,1/2/2016 12:00 AM\n", NULL);
    const mql_column *us = table_col(t, "us"), *eu = table_col(t, "eu"), *iso = table_col(t, "iso"),
                     *dash = table_col(t, "dash"), *clk = table_col(t, "clock");
    assert_int_equal(us->type, MQL_COL_DATE);
    assert_true(us->num[0] == 17094 && us->num[1] == 16802);     /* 2016-10-20, 2016-01-02 */
    assert_int_equal(eu->type, MQL_COL_DATE);
    assert_true(eu->num[0] == 17094 && eu->num[1] == 16803);     /* 2016-01-03 */
    assert_int_equal(iso->type, MQL_COL_DATE);
    assert_close(iso->num[0], 17094 + 10.0 / 24, 0, 1e-12);
    assert_int_equal(dash->type, MQL_COL_DATE);
    assert_true(dash->num[1] == 16832);                          /* day first: 2016-02-01 */
    assert_int_equal(clk->type, MQL_COL_DATE);
    assert_int_equal(clk->has_time, 1);
    assert_close(clk->num[0], 17094 + 13.5 / 24, 0, 1e-12);
    assert_close(clk->num[1], 16802, 0, 1e-12);                  /* 12:00 AM is midnight */
    mql_table_free(t);

    const char *amb = "d\n03/04/2016\n05/06/2016\n";
    t = read_ok(amb, NULL);
    assert_int_equal(table_col(t, "d")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(t, "d")->date_ambiguous, 1);
    mql_table_free(t);
    mql_read_opts o = {.date_order = MQL_DATE_DMY};
    t = read_ok(amb, &o);
    assert_true(table_col(t, "d")->num[0] == 16894);                   /* 03/04/2016: 3 April */
    mql_table_free(t);
    o.date_order = MQL_DATE_MDY;
    t = read_ok(amb, &o);
    assert_true(table_col(t, "d")->num[0] == 16864);                   /* 03/04/2016: 4 March */
    mql_table_free(t);
    /* a text column that only looks like dates in part stays text */
    t = read_ok("v\n1/2/2016\nsoon\n", NULL);
    assert_int_equal(table_col(t, "v")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(t, "v")->date_ambiguous, 0);
    mql_table_free(t);
}

static void test_cells_without_value(void **state)
{
    (void)state;
    mql_table *t = read_ok("id,acv,created,us\n"
                           "1,100,2023-02-28,02/28/2023\n"
                           "2,NaN,2023-02-30,02/30/2023\n"
                           "3,inf,2023-03-01,03/15/2023\n"
                           "4,-Infinity,2023-13-01,03/16/2023\n"
                           "5,1e400,2023-03-02,03/17/2023\n"
                           "6,2.5,2023-03-03,03/18/2023\n", NULL);
    const mql_column *a = table_col(t, "acv"), *c = table_col(t, "created"), *u = table_col(t, "us");
    assert_int_equal(a->type, MQL_COL_NUMERIC);
    assert_int_equal(a->n_unreadable, 4);
    assert_int_equal(a->n_missing, 4);
    assert_int_equal(a->unreadable_row, 1);
    assert_string_equal(a->unreadable_text, "NaN");
    assert_int_equal(mql_table_line(t, a->unreadable_row), 3);
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_int_equal(c->n_unreadable, 2);
    assert_string_equal(c->unreadable_text, "2023-02-30");
    assert_int_equal(u->type, MQL_COL_DATE);
    assert_int_equal(u->n_unreadable, 1);
    assert_int_equal(u->unreadable_row, 1);
    assert_string_equal(u->unreadable_text, "02/30/2023");
    mql_table_free(t);
    /* a text column keeps "NaN" as a level and reports nothing */
    t = read_ok("s\nabc\nNaN\n", NULL);
    assert_int_equal(table_col(t, "s")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(t, "s")->n_unreadable, 0);
    assert_string_equal(table_col(t, "s")->levels[1], "NaN");
    mql_table_free(t);
}

static void test_nul_byte(void **state)
{
    (void)state;
    char path[64];
    FILE *f;
    assert_non_null(write_temp(path, sizeof path, ""));
    assert_non_null(f = fopen(path, "wb"));
    fwrite("a,b\n1,x\n2,\"p\nq\0r\"\n", 1, 19, f);
    fclose(f);
    mql_table *t = NULL;
    mql_err err;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_EDATA);
    unlink(path);
    assert_null(t);
    if (!strstr(err.msg, ":4: column 2 'b': NUL byte at byte 4 of the value"))
        fail_msg("message: %s", err.msg);
}

/* The parallel reader must give the one-thread reader's table, including the new counts. */
static void test_parallel_equal(void **state)
{
    (void)state;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "id;amount;created;iso;late_nan;mixed\n");
    for (int i = 0; i < 600; i++) {
        const char *amount = i == 433 ? "NaN" : i == 77 ? "1e400" : NULL;
        char buf[32];
        if (!amount) {
            snprintf(buf, sizeof buf, "%d,%02d", 100 + i, i % 100);
            amount = buf;
        }
        n += (size_t)snprintf(s + n, cap - n, "%d;%s;%d.%d.2019;%s;%s;%s\n", i, amount,
                              1 + i % 28, 1 + i % 12,
                              i == 500 ? "2019-02-29" : i % 2 ? "2019-05-01" : "2019-06-01",
                              i < 300 ? "1" : i == 450 ? "inf" : "2,5",
                              i < 350 ? "7" : i == 351 ? "NaN" : "word");
    }
    mql_read_opts o = {.threads = 1};
    mql_table *one = read_ok(s, &o);
    for (size_t w = 2; w <= 5; w++) {
        o.threads = w;
        mql_table *par = read_ok(s, &o);
        assert_int_equal(one->n_cols, par->n_cols);
        for (size_t r = 0; r < one->n_rows; r++)
            assert_int_equal(mql_table_line(one, r), mql_table_line(par, r));
        for (size_t j = 0; j < one->n_cols; j++) {
            const mql_column *x = &one->cols[j], *y = &par->cols[j];
            assert_int_equal(x->type, y->type);
            assert_int_equal(x->n_missing, y->n_missing);
            assert_int_equal(x->n_levels, y->n_levels);
            assert_int_equal(x->n_unreadable, y->n_unreadable);
            assert_int_equal(x->unreadable_row, y->unreadable_row);
            assert_int_equal(x->unreadable_text == NULL, y->unreadable_text == NULL);
            if (x->unreadable_text)
                assert_string_equal(x->unreadable_text, y->unreadable_text);
            for (size_t k = 0; k < x->n_levels; k++)
                assert_string_equal(x->levels[k], y->levels[k]);
            for (size_t r = 0; r < one->n_rows; r++) {
                if (x->num && !(isnan(x->num[r]) && isnan(y->num[r])))
                    assert_true(x->num[r] == y->num[r]);
                if (x->code)
                    assert_int_equal(x->code[r], y->code[r]);
            }
        }
        mql_table_free(par);
    }
    assert_int_equal(table_col(one, "amount")->n_unreadable, 2);
    assert_int_equal(table_col(one, "amount")->unreadable_row, 77);
    assert_int_equal(table_col(one, "created")->type, MQL_COL_DATE);
    assert_int_equal(table_col(one, "iso")->n_unreadable, 1);
    assert_int_equal(table_col(one, "late_nan")->n_unreadable, 1);
    assert_true(table_col(one, "late_nan")->num[599] == 2.5);
    assert_int_equal(table_col(one, "mixed")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(mql_table_line(one, 599), 601);
    mql_table_free(one);
    free(s);
}

/* ---- lookup joins -------------------------------------------------------------------------- */

static void test_lookup(void **state)
{
    (void)state;
    mql_table *leads = read_ok("id,product,region,won\n"
                               "1,GTX Basic,East,1\n2,GTXPro,West,0\n3,MG Special,East,1\n"
                               "4,,West,0\n5,GTXPro,East,1\n6,GTX Basic,West,0\n", NULL);
    const char *cat[] = {"product"};
    mql_read_opts o = {.categorical = cat, .n_categorical = 1};
    mql_table *lk = read_ok("product,series,sales_price,region,launch_year\n"
                            "GTX Basic,GTX,550,EMEA,2011\nGTX Pro,GTX,4821,EMEA,2012\n"
                            "MG Special,MG,55,APAC,2013\n", &o);
    mql_lookup_report rep;
    mql_err err;
    assert_int_equal(mql_table_lookup(leads, "product", lk, "product", &rep, &err), MQL_OK);
    assert_int_equal(rep.n_matched, 3);
    assert_int_equal(rep.n_unmatched, 2);
    assert_int_equal(rep.n_no_key, 1);
    assert_int_equal(rep.n_added, 4);
    assert_int_equal(rep.n_miss, 1);
    assert_string_equal(rep.miss[0].key, "GTXPro");
    assert_int_equal(rep.miss[0].rows, 2);
    assert_string_equal(rep.miss[0].near, "GTX Pro");
    assert_int_equal(rep.n_renamed, 1);
    assert_true(strncmp(rep.renamed[0], "region -> mqlcal-test-", 22) == 0);  /* base name */
    const mql_column *price = table_col(leads, "sales_price");
    assert_int_equal(price->type, MQL_COL_NUMERIC);
    assert_true(price->num[0] == 550 && isnan(price->num[1]) && price->num[2] == 55 &&
                isnan(price->num[3]) && price->num[5] == 550);
    const mql_column *series = table_col(leads, "series");
    assert_int_equal(series->n_missing, 3);
    assert_string_equal(series->levels[series->code[2]], "MG");
    assert_int_equal(table_col(leads, "launch_year")->type, MQL_COL_NUMERIC);   /* no longer an id */
    assert_int_equal(leads->cols[leads->n_cols - 2].type, MQL_COL_CATEGORICAL);   /* region */
    mql_lookup_report_clear(&rep);
    mql_table_free(lk);

    /* a repeated key names both lines; the leads are left as they were */
    size_t cols = leads->n_cols;
    lk = read_ok("product,x\nA,1\nB,2\n\"A\",3\n", &o);
    assert_int_equal(mql_table_lookup(leads, "product", lk, "product", &rep, &err), MQL_EDATA);
    if (!strstr(err.msg, ":4: key 'A' repeats line 2"))
        fail_msg("message: %s", err.msg);
    assert_int_equal(leads->n_cols, cols);
    assert_int_equal(mql_table_lookup(leads, "nosuch", lk, "product", &rep, &err), MQL_EUSAGE);
    mql_table_free(lk);
    mql_table_free(leads);

    /* a numeric key matches by value */
    leads = read_ok("acct,won\n7,1\n8,0\n9,1\n", NULL);
    const char *cat2[] = {"acct"};
    o.categorical = cat2;
    lk = read_ok("acct,tier\n007,gold\n8.0,silver\n", &o);
    assert_int_equal(mql_table_lookup(leads, "acct", lk, "acct", &rep, &err), MQL_OK);
    assert_int_equal(rep.n_matched, 2);
    const mql_column *tier = table_col(leads, "tier");
    assert_string_equal(tier->levels[tier->code[0]], "gold");
    assert_int_equal(tier->code[2], MQL_NA_CODE);
    mql_lookup_report_clear(&rep);
    mql_table_free(lk);
    mql_table_free(leads);
}

/* ---- outcomes ------------------------------------------------------------------------------ */

static void test_outcome(void **state)
{
    (void)state;
    mql_table *t = read_ok("stage,flag\nWon,1\nLost,0\nEngaging,2\nwon,1\n,0\nProspecting,-1\n"
                           "Lost,0\n", NULL);
    mql_outcome o;
    mql_err err;
    mql_outcome_spec sp = {.text = "stage=Won"};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_EDATA);
    if (!strstr(err.msg, "3 values of column 'stage' are neither won (Won) nor lost: "
                         "Lost (2 leads), Engaging (1 lead), Prospecting (1 lead)"))
        fail_msg("message: %s", err.msg);
    const char *lost[] = {"lost"}, *open[] = {"Engaging", "prospecting"};
    sp = (mql_outcome_spec){"stage=Won", lost, 1, open, 2};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_OK);
    assert_int_equal(o.n_pos, 2);
    assert_int_equal(o.n_lost, 2);
    assert_int_equal(o.n_open, 3);               /* Engaging, Prospecting and the empty cell */
    assert_int_equal(o.n_open_missing, 1);
    static const unsigned char y[] = {1, 0, 0, 1, 0, 0, 0}, op[] = {0, 0, 1, 0, 1, 1, 0};
    assert_memory_equal(o.y, y, 7);
    assert_memory_equal(o.open, op, 7);
    mql_outcome_clear(&o);
    /* --lost alone leaves values unplaced; --open alone makes the rest lost */
    sp = (mql_outcome_spec){"stage=Won", lost, 1, NULL, 0};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_EDATA);
    sp = (mql_outcome_spec){"stage=Won", NULL, 0, open, 2};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_OK);
    assert_int_equal(o.n_lost, 2);
    assert_int_equal(o.n_open, 3);
    mql_outcome_clear(&o);
    /* usage errors: an unknown value, the won value listed */
    const char *bad[] = {"Engagin"}, *won[] = {"WON"};
    sp = (mql_outcome_spec){"stage=Won", NULL, 0, bad, 1};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "--open: 'Engagin' is not a value of column 'stage'"));
    sp = (mql_outcome_spec){"stage=Won", won, 1, NULL, 0};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_EUSAGE);
    /* numeric codes: 1 won, 0 lost, others named unless listed */
    sp = (mql_outcome_spec){"flag", NULL, 0, NULL, 0};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "neither won (1) nor lost (0): -1 (1 lead), 2 (1 lead)"));
    const char *codes[] = {"2", "-1"};
    sp = (mql_outcome_spec){"flag", NULL, 0, codes, 2};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_OK);
    assert_int_equal(o.n_pos, 2);
    assert_int_equal(o.n_open, 2);
    mql_outcome_clear(&o);
    mql_table_free(t);
    /* two values and COL=VALUE alone: read as before, a missing cell lost */
    t = read_ok("status,x\nWon,1\nLost,1\n,1\nLost,1\n", NULL);
    sp = (mql_outcome_spec){"status=Won", NULL, 0, NULL, 0};
    assert_int_equal(mql_outcome_eval(t, &sp, &o, &err), MQL_OK);
    assert_int_equal(o.n_pos, 1);
    assert_int_equal(o.n_lost, 3);
    assert_null(o.open);
    mql_outcome_clear(&o);
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_comma),
        cmocka_unit_test(test_space_groups),
        cmocka_unit_test(test_zone_dates),
        cmocka_unit_test(test_numeric_dates),
        cmocka_unit_test(test_day_month_dates),
        cmocka_unit_test(test_cells_without_value),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_parallel_equal),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
