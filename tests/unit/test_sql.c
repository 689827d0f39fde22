/* test_sql.c: sql.c's literals, identifiers and dialect names, the statements' error paths, and
 * table_ops.c's expansion of count tables (mql_table_repeat). The statements themselves run in
 * SQLite and PostgreSQL in tests/cli/test_sql.sh. */
#include "testutil.h"

#include "mqlcal/model.h"
#include "mqlcal/rules_csv.h"
#include "mqlcal/sql.h"
#include "mqlcal/table_ops.h"

static void check_lit(mql_sql_dialect d, const char *in, const char *want)
{
    char *s = mql_sql_literal(d, in);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

static void check_ident(mql_sql_dialect d, const char *in, const char *want)
{
    char *s = mql_sql_ident(d, in);
    if (!want) {
        assert_null(s);
        return;
    }
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

/* Quotes, backslashes, UTF-8 and control bytes in each dialect's string syntax. */
static void test_literals(void **state)
{
    (void)state;
    const char *v = "O'Brien \\ \"x\" Café\n";
    check_lit(MQL_SQL_POSTGRES, v, "E'O''Brien \\\\ \"x\" Café\\n'");
    check_lit(MQL_SQL_SQLITE, v, "('' || 'O''Brien \\ \"x\" Café' || char(10))");
    check_lit(MQL_SQL_SQLITE, "plain 'q'", "'plain ''q'''");
    check_lit(MQL_SQL_BIGQUERY, v, "'O\\'Brien \\\\ \"x\" Café\\n'");
    check_lit(MQL_SQL_SNOWFLAKE, "a\x01" "b\tc", "'a\\x01b\\tc'");
    check_lit(MQL_SQL_SPARK, "a\x01" "b\\", "'a\\u0001b\\\\'");
    check_lit(MQL_SQL_POSTGRES, "", "E''");
}

static void test_identifiers(void **state)
{
    (void)state;
    check_ident(MQL_SQL_POSTGRES, "it's \"odd\"", "\"it's \"\"odd\"\"\"");
    check_ident(MQL_SQL_SQLITE, "a b", "\"a b\"");
    check_ident(MQL_SQL_SNOWFLAKE, "job_level", "\"job_level\"");
    check_ident(MQL_SQL_BIGQUERY, "a`b\\c", "`a\\`b\\\\c`");
    check_ident(MQL_SQL_SPARK, "a`b", "`a``b`");
    check_ident(MQL_SQL_SPARK, "Größe", "`Größe`");
    check_ident(MQL_SQL_POSTGRES, "", NULL);
    check_ident(MQL_SQL_POSTGRES, "bad\nname", NULL);
}

static void test_dialects(void **state)
{
    (void)state;
    mql_sql_dialect d;
    assert_int_equal(mql_sql_dialect_parse("PostgreSQL", &d), 0);
    assert_int_equal(d, MQL_SQL_POSTGRES);
    assert_int_equal(mql_sql_dialect_parse("databricks", &d), 0);
    assert_int_equal(d, MQL_SQL_SPARK);
    assert_int_equal(mql_sql_dialect_parse("BigQuery", &d), 0);
    assert_int_equal(d, MQL_SQL_BIGQUERY);
    assert_int_equal(mql_sql_dialect_parse("oracle", &d), -1);
    assert_int_equal(mql_sql_dialect_parse(NULL, &d), -1);
    assert_string_equal(mql_sql_dialect_name(MQL_SQL_SNOWFLAKE), "snowflake");
}

static mql_points *rules(const char *text)
{
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    mql_points *m = NULL;
    mql_err err;
    assert_int_equal(mql_points_read_csv(path, &m, &err), MQL_OK);
    remove(path);
    return m;
}

/* The statements' errors: no rules, a count table without an outcome, bad names. */
static void test_statement_errors(void **state)
{
    (void)state;
    mql_points *empty = mql_points_new();
    mql_sql_opts o;
    mql_sql_opts_init(&o);
    o.table = "leads";
    char *s = NULL;
    mql_err err;
    assert_int_equal(mql_sql_score(empty, &o, &s, &err), MQL_EDATA);
    assert_non_null(strstr(err.msg, "no rules"));
    assert_null(s);
    mql_points_free(empty);

    mql_points *m = rules("feature,operator,value,points\nlevel,=,VP,10\nvisits,>=,2.5,5\n"
                          "threshold,,,10\n");
    assert_int_equal(mql_sql_score_counts(m, &o, &s, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "--outcome"));
    o.table = "a..b";
    assert_int_equal(mql_sql_score(m, &o, &s, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "'a..b'"));
    o.table = "crm.leads";
    const char *keys[] = {"mql_t0"};
    o.keys = keys;
    o.n_keys = 1;
    assert_int_equal(mql_sql_score(m, &o, &s, &err), MQL_EUSAGE);
    o.n_keys = 0;
    /* a statement: the table quoted by parts, the fractional bound as a double cast */
    assert_int_equal(mql_sql_score(m, &o, &s, &err), MQL_OK);
    assert_non_null(strstr(s, "FROM \"crm\".\"leads\""));
    assert_non_null(strstr(s, "mql_x1 >= CAST('2.5' AS DOUBLE PRECISION)"));
    assert_non_null(strstr(s, "CASE WHEN (mql_fit + mql_eng) >= 10 THEN 1 ELSE 0 END AS is_mql"));
    free(s);
    o.dialect = MQL_SQL_SQLITE;
    o.outcome.column = "won";
    o.date = "created";
    assert_int_equal(mql_sql_score_counts(m, &o, &s, &err), MQL_OK);
    assert_non_null(strstr(s, "GROUP BY (mql_fit + mql_eng), mql_period"));
    assert_non_null(strstr(s, "SUBSTR(mql_t3, 1, 7) || '-01' AS mql_period"));
    free(s);
    mql_points_free(m);
}

/* Row i repeated rep[i] times; level counts and missing counts follow; an identifier-like
 * column of the count table becomes numeric or categorical once rows stand for their leads. */
static void test_table_repeat(void **state)
{
    (void)state;
    char path[64], text[4096] = "id,level,x,n\n";
    for (int i = 0; i < 25; i++) {
        char row[64];
        snprintf(row, sizeof row, "%d,L%d,%s,%d\n", 100 + i, i, i == 3 ? "" : "1.5", i < 2 ? 3 : 1);
        strcat(text, row);
    }
    assert_non_null(write_temp(path, sizeof path, text));
    mql_table *t = NULL, *x = NULL;
    mql_err err;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    remove(path);
    assert_int_equal(t->cols[1].type, MQL_COL_ID);   /* 25 distinct in 25 rows */
    size_t rep[25];
    for (int i = 0; i < 25; i++)
        rep[i] = i < 2 ? 30 : i == 4 ? 0 : 1;
    assert_int_equal(mql_table_repeat(t, rep, &x, &err), MQL_OK);
    assert_int_equal(x->n_rows, 60 + 22);
    assert_int_equal(x->cols[1].type, MQL_COL_CATEGORICAL);   /* 24 levels in 82 leads */
    assert_int_equal(x->cols[0].type, MQL_COL_NUMERIC);       /* 100, 101, ... are numbers */
    assert_true(x->cols[0].num[0] == 100 && x->cols[0].num[29] == 100 && x->cols[0].num[30] == 101);
    assert_int_equal(x->cols[1].level_count[0], 30);
    assert_int_equal(x->cols[1].level_count[4], 0);
    assert_int_equal(x->cols[2].n_missing, 1);
    assert_true(isnan(x->cols[2].num[61]));   /* row 3 (L3): after 60 copies and L2 */
    mql_table_free(x);
    size_t huge[25] = {SIZE_MAX / 2, SIZE_MAX / 2};
    assert_int_equal(mql_table_repeat(t, huge, &x, &err), MQL_EDATA);
    assert_null(x);
    mql_table_free(t);
}

/* A count table fitted in its compact form (a won and a lost row per cell, weighted) gives the
 * expanded rows' design (reference level and pooling by leads, not rows) and coefficients. */
static void test_counts_compact_fit(void **state)
{
    (void)state;
    /* level B has the fewest rows but the most leads (the reference by leads); D has 1 row of
     * 12 leads (pooled by rows with min count 10, not by leads) */
    const char *csv = "level,flag,x,n,won\n"
                      "A,yes,1,5,1\nA,no,2,6,2\nA,yes,7,4,0\n"
                      "B,no,3,40,9\nB,yes,8,35,12\n"
                      "C,no,1,11,2\nC,yes,9,13,6\nC,,4,7,1\n"
                      "D,no,5,12,4\n";
    char path[64];
    assert_non_null(write_temp(path, sizeof path, csv));
    mql_table *t = NULL, *x = NULL, *c = NULL;
    mql_err err;
    assert_int_equal(mql_table_read(path, NULL, &t, &err), MQL_OK);
    remove(path);
    size_t rep[9];
    for (size_t i = 0; i < 9; i++)
        rep[i] = (size_t)t->cols[3].num[i];
    assert_int_equal(mql_table_repeat(t, rep, &x, &err), MQL_OK);
    unsigned char *yx = malloc(x->n_rows), *yc = NULL;
    double *w = NULL;
    for (size_t i = 0, r = 0; i < 9; i++)
        for (size_t k = 0; k < rep[i]; k++)
            yx[r++] = k < (size_t)t->cols[4].num[i];
    assert_int_equal(mql_table_counts_compact(t, 3, 4, &c, &yc, &w, &err), MQL_OK);
    assert_int_equal(c->n_rows, 17);   /* 9 cells, the third has no win */
    mql_design_opts o;
    mql_design_opts_init(&o);
    assert_int_equal(mql_design_opts_parse_cuts(&o, "x=3,6", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&o, "n", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    mql_model *mx = NULL, *mc = NULL;
    assert_int_equal(mql_model_train(x, yx, NULL, &o, NULL, &mx, NULL, &err), MQL_OK);
    assert_int_equal(mql_model_train(c, yc, w, &o, NULL, &mc, NULL, &err), MQL_OK);
    assert_string_equal(mx->design->features[0].levels[0], "B");
    assert_string_equal(mc->design->features[0].levels[0], "B");
    assert_int_equal(mc->design->features[0].n_pooled, 0);
    assert_int_equal(mc->design->p, mx->design->p);
    for (size_t j = 0; j < mx->design->p; j++) {
        assert_string_equal(mql_design_label(mc->design, j), mql_design_label(mx->design, j));
        assert_close(mc->fit->beta[j], mx->fit->beta[j], 0, 1e-10);
        /* the standard errors come from the last IRLS weights, and IRLS starts from
         * (w y + 0.5) / (w + 1) (R's mustart), which differs between a weighted cell and its
         * rows: the paths meet at the optimum, the last weights only to the convergence rule */
        assert_close(mc->fit->se[j], mx->fit->se[j], 1e-6, 0);
    }
    assert_close(mc->fit->deviance, mx->fit->deviance, 1e-12, 0);
    /* quantile bins cannot be taken from weighted rows */
    o.bins = 3;
    mql_model *mb = NULL;
    mql_design_opts_clear(&o);
    mql_design_opts_init(&o);
    o.bins = 3;
    assert_int_equal(mql_design_opts_add_role(&o, "n", &err), MQL_OK);
    assert_int_equal(mql_design_opts_add_role(&o, "won", &err), MQL_OK);
    assert_int_equal(mql_model_train(c, yc, w, &o, NULL, &mb, NULL, &err), MQL_EUSAGE);
    assert_non_null(strstr(err.msg, "--cuts x="));
    mql_design_opts_clear(&o);
    mql_model_free(mx);
    mql_model_free(mc);
    mql_table_free(x);
    mql_table_free(c);
    mql_table_free(t);
    free(yx);
    free(yc);
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_identifiers),
        cmocka_unit_test(test_dialects),
        cmocka_unit_test(test_statement_errors),
        cmocka_unit_test(test_table_repeat),
        cmocka_unit_test(test_counts_compact_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
