/* test_table_parts.c: the parallel reader's parts write their rows straight into shared column
 * arrays, each part from the row its first line bounds (table.c "slabs"). Every table here is
 * compared cell by cell, level by level, with the one-thread reader's (read_all_ways), on files
 * that take each route: rows already in place, rows moved down over the lines a multi-line record
 * or a blank line took, a part without records, and parts that outgrow the row estimate and go
 * on in arrays of their own. */
#include "testutil_table.h"

#include <unistd.h>

#include "mqlcal/csv.h"

/* ---- where the parts fall: mql_csv_read_parts on the same text ---- */

typedef struct part_count {
    size_t records;
} part_count;

static int count_row(const mql_csv_row *row, void *ctx, mql_err *err)
{
    (void)err;
    part_count *c = ctx;
    c->records += row->index > 0;
    return MQL_OK;
}

/* Splits text into n_ways parts as the reader does; parts[] receives them. Returns the number
 * of parts. */
static size_t split_text(const char *s, size_t n_ways, mql_csv_part *parts)
{
    char path[64];
    assert_non_null(write_temp(path, sizeof path, s));
    part_count c[16] = {{0}};
    void *ctx[16];
    for (size_t k = 0; k < 16; k++)
        ctx[k] = &c[k];
    size_t n = 0;
    mql_err err;
    assert_int_equal(mql_csv_read_parts(path, NULL, n_ways, 0, count_row, NULL, ctx, parts, &n,
                                        NULL, &err),
                     MQL_OK);
    unlink(path);
    for (size_t k = 0; k < n; k++)
        assert_int_equal(parts[k].n_records, c[k].records);
    return n;
}

/* Whether byte `at` of s lies inside a quoted field (an odd number of quotes before it). */
static int inside_quotes(const char *s, size_t at)
{
    size_t q = 0;
    for (size_t i = 0; i < at; i++)
        q += s[i] == '"';
    return q % 2 == 1;
}

/* ---- rows in place, and rows moved down ---- */

/* Every third record has a quoted note over two to four lines (LF and CRLF), so the parts'
 * first lines run ahead of their first rows and the rows move down in the merge. Columns take
 * every merge case: numbers, dates, text, a column numeric in the first part and text later
 * (to text in the shared arrays), text first and numbers later (read again), one empty until
 * the last part, identifiers. */
static void test_parts_multiline_records(void **state)
{
    (void)state;
    gen_text t = {0};
    add(&t, "id,note,amount,created,level,num_then_text,text_then_num,late,flag\n");
    enum { N = 900 };
    for (int i = 0; i < N; i++) {
        add(&t, "L%05d,", i);
        if (i % 3 == 1)
            add(&t, "\"line one of %d\n%s%s\",", i, i % 2 ? "two\r\nthree" : "two",
                i % 5 == 0 ? "\nfour" : "");
        else
            add(&t, "short %d,", i % 13);
        add(&t, "%d.%02d,2024-%02d-%02d,%s,", (i * 37) % 1009, i % 100, 1 + i % 12, 1 + i % 28,
            (const char *[]){"Gold", "Silver", "Bronze", "gold"}[i % 4]);
        add(&t, i < N / 2 ? "%d," : "v%d,", i % 17);
        add(&t, i < N / 3 ? "t%d," : "%d,", i % 7);
        add(&t, i < N - 40 ? "," : "%d,", i);
        add(&t, "%s\n", i % 2 ? "yes" : "no");
    }
    /* some part boundary falls inside a multi-line record (the reader looks past it for the
     * next line end outside quotes), and some part starts after lines its rows do not use */
    size_t data0 = (size_t)(strchr(t.s, '\n') - t.s) + 1, crossed = 0, shifted = 0;
    for (size_t w = 2; w <= 5; w++) {
        mql_csv_part parts[16];
        size_t n = split_text(t.s, w, parts);
        assert_int_equal(n, w);
        size_t rows = 0;
        for (size_t k = 1; k < n; k++) {
            size_t floor = data0 + (t.n - data0) / w * k;
            crossed += inside_quotes(t.s, floor);
            rows += parts[k - 1].n_records;
            shifted += parts[k].line - 2 > rows;
        }
    }
    assert_true(crossed > 0);
    assert_true(shifted > 0);
    mql_table *one = read_all_ways(t.s, NULL);
    assert_int_equal(one->n_rows, N);
    assert_non_null(one->line);
    assert_int_equal(table_col(one, "id")->type, MQL_COL_ID);
    assert_int_equal(table_col(one, "amount")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(one, "created")->type, MQL_COL_DATE);
    assert_int_equal(table_col(one, "level")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(one, "num_then_text")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(one, "text_then_num")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(table_col(one, "late")->n_missing, N - 40);
    assert_int_equal(table_col(one, "flag")->type, MQL_COL_BOOLEAN);
    mql_table_free(one);
    free(t.s);
}

/* A stretch of blank lines longer than a part: a part with no records at all, and the parts
 * after it start thousands of rows below their first line. The boundary scan counts the line
 * ends of a long run of them (LF only: 8 per word for thousands of bytes) exactly. */
static void without_records(int crlf)
{
    gen_text t = {0};
    add(&t, "k,x,late\n");
    for (int i = 0; i < 120; i++)
        add(&t, "a%d,%d,\n", i % 9, i);
    for (int i = 0; i < 6000; i++)
        add(&t, crlf && i % 2 ? "\r\n" : "\n");
    for (int i = 0; i < 120; i++)
        add(&t, "b%d,%d.5,%s\n", i % 5, i, i % 3 ? "2024-01-02" : "");
    mql_csv_part parts[16];
    size_t n = split_text(t.s, 5, parts), empty = 0;
    for (size_t k = 0; k < n; k++)
        empty += parts[k].n_records == 0;
    assert_true(empty > 0);
    mql_table *one = read_all_ways(t.s, NULL);
    assert_int_equal(one->n_rows, 240);
    assert_int_equal(one->line[120], 122 + 6000);
    const mql_column *k = table_col(one, "k");
    assert_int_equal(k->n_levels, 14);
    assert_string_equal(k->levels[k->code[239]], "b4");
    assert_int_equal(table_col(one, "x")->type, MQL_COL_NUMERIC);
    assert_int_equal(table_col(one, "late")->type, MQL_COL_DATE);
    assert_int_equal(table_col(one, "late")->n_missing, 120 + 40);
    mql_table_free(one);
    free(t.s);
}

static void test_parts_without_records(void **state)
{
    (void)state;
    without_records(0);
    without_records(1);
}

/* ---- parts beyond the row estimate ---- */

/* The reader estimates the rows from the first 256 KiB; here they are long and the rest short,
 * so the file has more rows than the shared arrays hold: part 0 fills them, later parts start
 * beyond them or outgrow them half way, and go on in arrays of their own. short_rows sets how
 * far the estimate falls short. */
static void estimate_low(int short_rows, int with_lines)
{
    gen_text t = {0};
    add(&t, "id,note,v,w,late\n");
    int i = 0;
    while (t.n < (300u << 10)) {
        if (with_lines && i % 50 == 7)
            add(&t, "R%d,\"a\nb %0200d\",%d,%d.25,\n", i, i, i % 11, i % 4);
        else
            add(&t, "R%d,%0200d,%d,%d.25,\n", i, i, i % 11, i % 4);
        i++;
    }
    int long_rows = i;
    for (int r = 0; r < short_rows; r++, i++)
        add(&t, "R%d,%s,%d,%s,%s\n", i, with_lines && r % 90 == 5 ? "\"c\nd\"" : "s",
            i % 11, r % 1000 == 999 ? "text" : "1.5", r > short_rows - 300 ? "x" : "");
    mql_table *one = read_all_ways(t.s, NULL);
    assert_int_equal(one->n_rows, (size_t)i);
    assert_int_equal(table_col(one, "id")->type, MQL_COL_ID);
    assert_int_equal(table_col(one, "v")->n_distinct, 11);
    assert_int_equal(table_col(one, "w")->type, short_rows >= 1000 ? MQL_COL_CATEGORICAL
                                                              : MQL_COL_NUMERIC);
    assert_int_equal(table_col(one, "late")->n_missing, (size_t)(long_rows + short_rows - 299));
    mql_table_free(one);
    free(t.s);
}

static void test_parts_beyond_estimate(void **state)
{
    (void)state;
    estimate_low(4000, 0);      /* the last part outgrows the shared arrays half way */
    estimate_low(40000, 0);     /* part 0 alone outgrows them */
    estimate_low(40000, 1);     /* ... with records over two lines */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parts_multiline_records),
        cmocka_unit_test(test_parts_without_records),
        cmocka_unit_test(test_parts_beyond_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
