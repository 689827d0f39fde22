/* test_table_unread.c: columns read without typing or storing their values (mql_read_opts.unread
 * and unread_rest, mql_column.no_values MQL_NO_VALUES_UNREAD; fit's --exclude). Every table read
 * so is compared with the table read the usual way, on one thread and in 2, 3 and 5 parts: the
 * same table, except that the unread columns keep their name and place but nothing of their
 * cells; a file whose checks for a repeated header line or a totals row need those cells is read
 * whole; and a file the CSV rules refuse is refused with the same message. */
#include "testutil_table.h"

#include <unistd.h>

#include "mqlcal/table_cache.h"
#include "mqlcal/table_ops.h"

/* Turns column `name` of t, read the usual way, into what an unread read makes of it: its name
 * and row count kept, nothing else. */
static void make_unread(mql_table *t, const char *name)
{
    mql_column *c = &t->cols[mql_table_find(t, name)];
    mql_column_free_levels(c);
    free(c->num);
    free(c->code);
    for (size_t k = 0; k < c->n_spellings; k++)
        free(c->spellings[k].text);
    free(c->spellings);
    free(c->true_label);
    free(c->false_label);
    free(c->unreadable_text);
    *c = (mql_column){.name = c->name, .n_rows = c->n_rows, .type = MQL_COL_ID,
                      .no_values = MQL_NO_VALUES_UNREAD};
}

/* The table of text read with o, the same whatever parts it is read in (read_all_ways), against
 * the table read with want_o (NULL: the usual read) with the columns `unread` made value-less by
 * hand. */
static void expect_unread(const char *text, const mql_read_opts *o, const mql_read_opts *want_o,
                          const char *const *unread, size_t n_unread)
{
    mql_table *got = read_all_ways(text, o);
    mql_table *want = read_all_ways(text, want_o);
    for (size_t k = 0; k < n_unread; k++)
        make_unread(want, unread[k]);
    assert_tables_equal(want, got);
    mql_table_free(got);
    mql_table_free(want);
}

/* 70,000 rows of columns of every kind, the unread ones among them: dates with empty and
 * impossible cells (a warning in the usual read), text with two spellings of a value, dates whose
 * day and month no value decides, codes with leading zeros, and text that turns to numbers. */
static char *kinds_text(size_t n)
{
    gen_text t = {0};
    add(&t, "lead_id,created,sql_date,amount,notes,stage,ambiguous,code,mixed,y\n");
    for (size_t i = 0; i < n; i++) {
        add(&t, "L%06zu,2024-01-%02zu,", i, 1 + i % 28);
        if (i == 4321)
            add(&t, "2024-02-30,");                     /* not a day of the calendar */
        else if (i % 3)
            add(&t, ",");
        else
            add(&t, "2024-02-%02zu,", 1 + i % 28);
        add(&t, "%zu.%zu,%s,%s,", i % 997, i % 10, i % 5 ? "yes" : i % 2 ? "Yes" : "no",
            i % 4 ? "Open" : "Won");
        add(&t, "0%zu/0%zu/2016,0%03zu,", 1 + i % 9, 1 + i % 7, i % 50);
        add(&t, i < n / 2 ? "T%zu," : "%zu,", i % 40);
        add(&t, "%d\n", i % 3 == 0);
    }
    return t.s;
}

static void test_unread_kinds(void **state)
{
    (void)state;
    char *text = kinds_text(70000);
    static const char *const unread[] = {"sql_date", "notes", "ambiguous", "code", "mixed"};
    mql_read_opts o = {.unread = unread, .n_unread = 5};
    expect_unread(text, &o, NULL, unread, 5);
    /* what the usual read makes of them: every kind the reader has */
    mql_table *u = read_all_ways(text, NULL);
    assert_int_equal(table_col(u, "sql_date")->type, MQL_COL_DATE);
    assert_int_equal(table_col(u, "sql_date")->n_unreadable, 1);
    assert_int_equal(table_col(u, "notes")->type, MQL_COL_BOOLEAN);
    assert_true(table_col(u, "ambiguous")->date_ambiguous);
    assert_int_equal(table_col(u, "code")->code_rule, MQL_CODE_ZEROS);
    assert_int_equal(table_col(u, "mixed")->type, MQL_COL_CATEGORICAL);
    mql_table_free(u);
    /* with the identifiers' values unused too: lead_id goes its own way (ids_unused) */
    static const char *const used[] = {"created", "y"};
    mql_read_opts oi = {.ids_unused = 1, .used = used, .n_used = 2, .unread = unread,
                        .n_unread = 5};
    mql_read_opts wi = {.ids_unused = 1, .used = used, .n_used = 2};
    expect_unread(text, &oi, &wi, unread, 5);
    /* every column `used` does not name (fit with --features), the first one included */
    static const char *const rest[] = {"lead_id", "sql_date", "notes", "stage",
                                       "ambiguous", "code", "mixed"};
    static const char *const features[] = {"created", "amount", "y"};
    mql_read_opts orest = {.used = features, .n_used = 3, .unread_rest = 1};
    expect_unread(text, &orest, NULL, rest, 7);
    free(text);
}

/* Records of three lines each in an unread column (a quoted note), so that the parts' guessed
 * boundaries mostly fall inside a note and the parts start again (on_part_reset). */
static void test_unread_parts_restarted(void **state)
{
    (void)state;
    enum { N = 60000 };
    gen_text t = {0};
    add(&t, "lead_id,note,amount,y\n");
    for (int i = 0; i < N; i++)
        add(&t, "L%06d,\"first line %d\nsecond\nthird\",%d,%d\n", i, i % 7, i % 13,
            i % 3 == 0);
    static const char *const unread[] = {"note"};
    mql_read_opts o = {.unread = unread, .n_unread = 1};
    expect_unread(t.s, &o, NULL, unread, 1);
    free(t.s);
}

/* Files whose checks need an unread column's cells are read whole: a cell that is the column's
 * name (a header line again; the name after a byte order mark or between blanks), a first
 * column that ends in a totals label, whether unread itself or not (the totals row counts the
 * unread columns' empty cells). A label elsewhere leaves the columns unread. A name that reads
 * as a number or a date is never unread. */
static void test_unread_read_whole(void **state)
{
    (void)state;
    enum { N = 40000 };
    static const char *const unread[] = {"lead_id", "sql_date", "2024"};
    static const char *const gone[] = {"lead_id", "sql_date"};
    for (int v = 0; v < 7; v++) {
        /* v 5: the first column is read, its last cell a totals label */
        mql_read_opts o = {.unread = v == 5 ? unread + 1 : unread, .n_unread = v == 5 ? 2 : 3};
        gen_text t = {0};
        add(&t, "lead_id,source,sql_date,2024,y\n");
        for (int i = 0; i < N; i++) {
            int last = i == N - 1;
            if (v == 0 && i == 30000)
                add(&t, "lead_id,source,sql_date,2024,y\n");
            else if ((v == 3 || v == 5) && last)
                add(&t, "Grand Total,,,,\n");
            else if (v == 4 && last)
                add(&t, "Sum (all leads),Web,2024-03-01,x,1\n");
            else
                add(&t, "L%d,%s,%s,%s,%d\n", i,
                    v == 6 && last ? "Totals:" : i % 2 ? "Web" : "Event",
                    v == 1 && i == 2000   ? "\xEF\xBB\xBFsql_date"
                    : v == 2 && i == 2000 ? " sql_date\t"
                    : i % 3               ? ""
                                          : "2024-02-01",
                    i % 5 ? "x" : "y", i % 3 == 0);
        }
        if (v < 6) {                 /* read whole: the usual table */
            mql_table *got = read_all_ways(t.s, &o);
            mql_table *want = read_all_ways(t.s, NULL);
            assert_tables_equal(want, got);
            mql_table_free(got);
            mql_table_free(want);
        } else {
            expect_unread(t.s, &o, NULL, gone, 2);
        }
        free(t.s);
    }
}

/* A file the CSV rules refuse is refused with the same message whether a column is unread or
 * not: a record with a field too many, a quote inside an unread cell. */
static void test_unread_bad_csv(void **state)
{
    (void)state;
    static const char *const unread[] = {"note"};
    for (int v = 0; v < 2; v++) {
        gen_text t = {0};
        add(&t, "lead_id,note,y\n");
        for (int i = 0; i < 30000; i++)
            if (i != 20000)
                add(&t, "L%d,n%d,%d\n", i, i % 7, i % 3 == 0);
            else if (v == 0)
                add(&t, "L%d,extra,x,%d\n", i, i % 3 == 0);
            else
                add(&t, "L%d,a\"b\"c,%d\n", i, i % 3 == 0);
        char path[64];
        assert_non_null(write_temp(path, sizeof path, t.s));
        for (size_t threads = 1; threads <= 3; threads++) {
            mql_read_opts plain = {.threads = threads};
            mql_read_opts o = {.threads = threads, .unread = unread, .n_unread = 1};
            mql_table *a = NULL, *b = NULL;   /* (NULL on failure) */
            mql_err ea, eb;
            int sa = mql_table_read(path, &plain, &a, &ea);
            int sb = mql_table_read(path, &o, &b, &eb);
            assert_int_equal(sa, MQL_EDATA);
            assert_int_equal(sb, MQL_EDATA);
            assert_string_equal(ea.msg, eb.msg);
        }
        unlink(path);
        free(t.s);
    }
}

/* What the library does with an unread column: every cell is missing, its text is "", a subset
 * keeps it unread with no distinct value, the header-line and totals checks pass over it, and
 * the table cache never stores such a table. */
static void test_unread_column(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "stage,note,y\n");
    for (int i = 0; i < 30; i++)
        add(&t, "%s,n%d,%d\n", i % 3 ? "stage" : "Open", i % 4, i % 2);
    static const char *const unread[] = {"note"};
    mql_read_opts o = {.unread = unread, .n_unread = 1};
    mql_table *tb = table_from_text(t.s, &o);
    const mql_column *c = table_col(tb, "note");
    assert_int_equal(c->no_values, MQL_NO_VALUES_UNREAD);
    assert_int_equal(c->type, MQL_COL_ID);
    assert_null(c->code);
    assert_null(c->num);
    assert_null(c->levels);
    assert_int_equal(c->n_rows, 30);
    assert_int_equal(mql_cell_missing(c, 4), 1);
    char buf[16] = "x";
    assert_string_equal(mql_cell_text(c, 4, buf, sizeof buf), "");
    size_t r, n_empty;
    assert_int_equal(mql_table_header_row(tb, &r), 0);
    assert_int_equal(mql_table_totals_row(tb, &n_empty), 0);
    unsigned char mask[30];
    for (int i = 0; i < 30; i++)
        mask[i] = i % 4 == 0;
    mql_table *sub = NULL;
    mql_err err;
    assert_int_equal(mql_table_subset(tb, mask, &sub, &err), MQL_OK);
    assert_int_equal(sub->cols[1].no_values, MQL_NO_VALUES_UNREAD);
    assert_int_equal(sub->cols[1].n_rows, 8);
    assert_int_equal(sub->cols[1].n_distinct, 0);
    mql_table_free(sub);
    mql_table_free(tb);
    /* a cache directory given, the read goes around it */
    mql_table *ct = table_from_text_cached(t.s, &o, MQL_CACHE_OFF);
    assert_int_equal(ct->cols[1].no_values, MQL_NO_VALUES_UNREAD);
    mql_table_free(ct);
    free(t.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unread_kinds),
        cmocka_unit_test(test_unread_parts_restarted),
        cmocka_unit_test(test_unread_read_whole),
        cmocka_unit_test(test_unread_bad_csv),
        cmocka_unit_test(test_unread_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
