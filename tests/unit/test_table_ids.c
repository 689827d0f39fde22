/* test_table_ids.c: identifier columns read without their values (mql_read_opts.ids_unused,
 * mql_column.no_values). Every table read so is compared with the table read the usual way, on
 * one thread and in 2, 3 and 5 parts: the same table, except that the identifier columns whose
 * every cell is filled and distinct, none of them the column's name and the last no totals
 * label, keep their type and counts but no values. The columns take every route: hashed keys
 * from the first rows (M_KEY), a dictionary in parts too short to go M_KEY, keys in one part and
 * a dictionary or numbers in another, and keys that turn back into a dictionary. */
#include "testutil_table.h"

#include <unistd.h>

#include "mqlcal/csv.h"
#include "mqlcal/table_cache.h"
#include "mqlcal/table_ops.h"

static int count_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    (void)row;
    (void)ctx;
    (void)err;
    return MQL_OK;
}

/* Turns identifier column `name` of t, read the usual way, into what ids_unused makes of it,
 * checking first that it qualifies (filled and distinct). */
static void drop_values(mql_table *t, const char *name)
{
    mql_column *c = &t->cols[mql_table_find(t, name)];
    assert_int_equal(c->type, MQL_COL_ID);
    assert_int_equal(c->n_missing, 0);
    assert_int_equal(c->n_distinct, t->n_rows);
    mql_column_free_levels(c);
    free(c->code);
    c->code = NULL;
    c->no_values = MQL_NO_VALUES_ID;
}

/* The table of text read with ids_unused (columns `used` kept whole), the same whatever parts it
 * is read in (read_all_ways), against the usual table with the columns `dropped` made value-less
 * by hand. */
static void expect_ids_unused(const char *text, const char *const *used, size_t n_used,
                              const char *const *dropped, size_t n_dropped)
{
    mql_read_opts o = {.ids_unused = 1, .used = used, .n_used = n_used};
    mql_table *got = read_all_ways(text, &o);
    mql_table *want = read_all_ways(text, NULL);
    for (size_t k = 0; k < n_dropped; k++)
        drop_values(want, dropped[k]);
    assert_tables_equal(want, got);
    mql_table_free(got);
    mql_table_free(want);
}

/* 70,000 rows: each part of a 2- or 3-way read goes M_KEY for a unique column, a 5-way read's
 * parts (14,000 rows) never do. */
static void test_ids_dropped_and_kept(void **state)
{
    (void)state;
    enum { N = 70000 };
    gen_text t = {0};
    add(&t, "lead_id,email,uid,late_key,num_first,text_then_num,zip,kept_id,y\n");
    for (int i = 0; i < N; i++) {
        add(&t, "L%06d,", i);
        if (i == 777)
            add(&t, ",");                              /* one missing cell: values kept */
        else
            add(&t, "e%d@x.com,", i);
        add(&t, "U%d,", i % 50 == 49 ? i - 1 : i);     /* 2% repeats: distinct check fails */
        if (i < N / 2)                                 /* repeats, then unique: categorical */
            add(&t, "A%d,%d,K%d,", i % 300, i % 50, i);
        else                                           /* (numbers first, then text; text, */
            add(&t, "B%d,T%d,%d,", i, i, i);           /*  then unique numbers: dropped) */
        add(&t, "%06d,Q%d,%d\n", i, i, i % 3 == 0);    /* zero-padded numbers: codes, kept */
    }
    static const char *const used[] = {"kept_id"};
    static const char *const dropped[] = {"lead_id", "text_then_num"};
    expect_ids_unused(t.s, used, 1, dropped, 2);
    /* what the usual read makes of the kept ones */
    mql_table *u = read_all_ways(t.s, NULL);
    assert_int_equal(table_col(u, "email")->type, MQL_COL_ID);
    assert_int_equal(table_col(u, "uid")->type, MQL_COL_ID);
    assert_int_equal(table_col(u, "late_key")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(u, "num_first")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(u, "zip")->type, MQL_COL_ID);
    assert_int_equal(table_col(u, "kept_id")->type, MQL_COL_ID);
    mql_table_free(u);
    /* with no column named, kept_id goes too */
    static const char *const all[] = {"lead_id", "text_then_num", "kept_id"};
    expect_ids_unused(t.s, NULL, 0, all, 3);
    free(t.s);
}

/* The first row of the second part of a 2-way read of text. */
static size_t second_part_row(const char *text)
{
    char path[64];
    assert_non_null(write_temp(path, sizeof path, text));
    mql_csv_part parts[16];
    size_t n = 0;
    mql_err err;
    void *ctx[16] = {0};
    assert_int_equal(mql_csv_read_parts(path, NULL, 2, 0, count_row, NULL, ctx, parts, &n, NULL,
                                        &err),
                     MQL_OK);
    unlink(path);
    assert_int_equal(n, 2);
    return parts[1].line - 2;           /* one line per record */
}

/* Columns that change at the first row of a 2-way read's second part, so that each merge route
 * of an M_KEY column is taken: keys then numbers (the numbers replayed as keys), keys then a
 * dictionary (from its first row, and after replayed numbers), numbers, a dictionary or dates
 * then keys (turned to keys in the merge). Every value has a fixed width, so the split falls on
 * the same row whatever the values. */
static char *merge_routes_text(size_t s, size_t n)
{
    gen_text t = {0};
    add(&t, "key_then_num,key_then_cat,key_num_cat,num_then_key,cat_then_key,date_then_key,y\n");
    for (size_t i = 0; i < n; i++) {
        if (i < s)
            add(&t, "K%05zu,K%05zu,K%05zu,1%05zu,A%05zu,2024-01-%02zu,", i, i, i, i, i % 300,
                1 + i % 28);
        else
            add(&t, "1%05zu,C%05zu,%s%05zu,T%05zu,B%05zu,D%09zu,", i, i % 100,
                i < s + 10 ? "1" : "C", i < s + 10 ? i : i % 100, i, i, i);
        add(&t, "%d\n", i % 3 == 0);
    }
    return t.s;
}

static void test_ids_merge_routes(void **state)
{
    (void)state;
    enum { N = 70000 };
    char *probe = merge_routes_text(N / 2, N);
    size_t s = second_part_row(probe);
    free(probe);
    assert_true(s > 17000 && s < N - 17000);
    char *text = merge_routes_text(s, N);
    assert_int_equal(second_part_row(text), s);
    static const char *const dropped[] = {"key_then_num", "num_then_key"};
    expect_ids_unused(text, NULL, 0, dropped, 2);
    mql_table *u = read_all_ways(text, NULL);
    assert_int_equal(table_col(u, "key_then_cat")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(u, "key_num_cat")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(u, "cat_then_key")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(u, "date_then_key")->type, MQL_COL_CATEGORICAL);
    mql_table_free(u);
    free(text);
}

/* Records of three lines each (a quoted note), so that the parts' guessed boundaries mostly fall
 * inside a note and the parts start again (on_part_reset) with their columns as the header left
 * them, keyable ones included. */
static void test_ids_parts_restarted(void **state)
{
    (void)state;
    enum { N = 60000 };
    gen_text t = {0};
    add(&t, "lead_id,note,y\n");
    for (int i = 0; i < N; i++)
        add(&t, "L%06d,\"first line %d\nsecond\nthird\",%d\n", i, i % 7, i % 3 == 0);
    static const char *const dropped[] = {"lead_id"};
    expect_ids_unused(t.s, NULL, 0, dropped, 1);
    free(t.s);
}

/* A unique column one of whose cells is its name (a header line again), or whose last cell is a
 * totals label, keeps its values: the checks for both read them. */
static void test_ids_header_and_totals(void **state)
{
    (void)state;
    enum { N = 40000 };
    for (int v = 0; v < 3; v++) {
        gen_text t = {0};
        add(&t, "lead_id,source\n");
        for (int i = 0; i < N; i++) {
            if (v == 0 && i == 30000)
                add(&t, "lead_id,");
            else if (v == 1 && i == N - 1)
                add(&t, "Grand Total,");
            else
                add(&t, "L%d,", i);
            add(&t, "%s\n", v == 1 && i == N - 1 ? "" : i % 2 ? "Web" : "Event");
        }
        static const char *const dropped[] = {"lead_id"};
        expect_ids_unused(t.s, NULL, 0, dropped, v == 2);
        free(t.s);
    }
}

/* Small files never go M_KEY: the dictionary route drops the values by the same rule (an
 * id-like name with 5 distinct values; without the name, 5 values are too few for the
 * identifier rule). */
static void test_ids_small_files(void **state)
{
    (void)state;
    const char *text = "lead_id,code,y\nA1,c1,1\nA2,c2,0\nA3,c3,1\nA4,c4,0\nA5,c5,1\n";
    static const char *const dropped[] = {"lead_id"};
    expect_ids_unused(text, NULL, 0, dropped, 1);
    mql_read_opts o = {.ids_unused = 1};
    mql_table *t = table_from_text(text, &o);
    assert_int_equal(table_col(t, "code")->type, MQL_COL_CATEGORICAL);
    mql_table_free(t);
    /* numbers that are ids (dense integers) stay as they were: read as numbers first */
    expect_ids_unused("id,y\n1,1\n2,0\n3,1\n", NULL, 0, NULL, 0);
}

/* What the library does with a column without values: no cell is missing, its text is "", a
 * subset keeps it value-less with as many distinct values as rows, the header-line and totals
 * checks pass over it, and the table cache never stores such a table. */
static void test_ids_no_values_column(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "stage,lead_id\n");   /* rows whose stage is its name: lead_id is checked */
    for (int i = 0; i < 30; i++)
        add(&t, "%s,L%d\n", i == 29 ? "Total" : i % 3 ? "stage" : "Open", i);
    mql_read_opts o = {.ids_unused = 1};
    mql_table *tb = table_from_text(t.s, &o);
    const mql_column *c = table_col(tb, "lead_id");
    assert_true(c->no_values);
    assert_null(c->code);
    assert_null(c->levels);
    assert_int_equal(c->n_distinct, 30);
    assert_int_equal(mql_cell_missing(c, 4), 0);
    char buf[16] = "x";
    assert_string_equal(mql_cell_text(c, 4, buf, sizeof buf), "");
    size_t r, n_empty;
    assert_int_equal(mql_table_header_row(tb, &r), 0);
    assert_int_equal(mql_table_totals_row(tb, &n_empty), 0);   /* lead_id is filled there */
    assert_int_equal(n_empty, 0);
    unsigned char mask[30];
    for (int i = 0; i < 30; i++)
        mask[i] = i % 4 == 0;
    mql_table *sub = NULL;
    mql_err err;
    assert_int_equal(mql_table_subset(tb, mask, &sub, &err), MQL_OK);
    assert_true(sub->cols[1].no_values);
    assert_int_equal(sub->cols[1].n_distinct, 8);
    assert_int_equal(sub->cols[1].n_missing, 0);
    mql_table_free(sub);
    mql_table_free(tb);
    /* a cache directory given, the read goes around it */
    mql_table *ct = table_from_text_cached(t.s, &o, MQL_CACHE_OFF);
    assert_true(ct->cols[1].no_values);
    mql_table_free(ct);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_dropped_and_kept),
        cmocka_unit_test(test_ids_merge_routes),
        cmocka_unit_test(test_ids_parts_restarted),
        cmocka_unit_test(test_ids_header_and_totals),
        cmocka_unit_test(test_ids_small_files),
        cmocka_unit_test(test_ids_no_values_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
