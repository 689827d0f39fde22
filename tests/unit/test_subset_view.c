/* test_subset_view.c: mql_table_subset_view, a run of rows that borrows the source table's
 * arrays, against mql_table_subset's copy: the same table either way, the source never written,
 * and the view's columns copied before an operation writes them. */
#include "testutil_table.h"

#include "mqlcal/table.h"
#include "mqlcal/table_ops.h"

#define ROWS 40

/* 40 leads: a unique identifier, a number with gaps, a category (one level only in the first
 * rows), a yes/no flag, a date and a repeated amount. */
static mql_table *leads(void)
{
    static const char *const job[] = {"VP", "Director", "Manager", "Staff"};
    char *text = malloc(8192);
    assert_non_null(text);
    size_t k = (size_t)snprintf(text, 8192, "lead_id,visits,job,demo,created,amount\n");
    for (int i = 0; i < ROWS; i++) {
        char visits[16] = "";
        if (i % 7 != 3)
            snprintf(visits, sizeof visits, "%d.%d", i % 5, i % 3);
        k += (size_t)snprintf(text + k, 8192 - k, "L%03d,%s,%s,%s,2024-01-%02d,%d\n", i, visits,
                              i < 4 ? "Intern" : job[i % 4], i % 3 ? "yes" : "no", 1 + i % 28,
                              100 * (i % 4));
    }
    mql_read_opts o = {0};
    mql_table *t = table_from_text(text, &o);
    free(text);
    return t;
}

/* Both tables hold the same rows, column by column (NaN equal to NaN). */
static void assert_same_table(const mql_table *a, const mql_table *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    for (size_t j = 0; j < a->n_cols; j++) {
        const mql_column *x = &a->cols[j], *y = &b->cols[j];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->n_rows, y->n_rows);
        assert_int_equal(x->n_missing, y->n_missing);
        assert_int_equal(x->n_distinct, y->n_distinct);
        assert_int_equal(x->n_levels, y->n_levels);
        assert_int_equal(x->plain_decimal, y->plain_decimal);
        assert_int_equal(x->decimals, y->decimals);
        assert_int_equal(!x->num, !y->num);
        assert_int_equal(!x->code, !y->code);
        for (size_t i = 0; i < x->n_rows; i++) {
            if (x->num && !(isnan(x->num[i]) && isnan(y->num[i])))
                assert_memory_equal(&x->num[i], &y->num[i], sizeof(double));
            if (x->code)
                assert_int_equal(x->code[i], y->code[i]);
        }
        for (size_t l = 0; l < x->n_levels; l++) {
            assert_string_equal(x->levels[l], y->levels[l]);
            assert_int_equal(x->level_count[l], y->level_count[l]);
        }
    }
}

static mql_table *copy_of(const mql_table *t, const unsigned char *mask)
{
    mql_table *c = NULL;
    mql_err err;
    assert_int_equal(mql_table_subset(t, mask, &c, &err), MQL_OK);
    return c;
}

static mql_table *view_of(const mql_table *t, const unsigned char *mask)
{
    mql_table *v = NULL;
    mql_err err;
    assert_int_equal(mql_table_subset_view(t, mask, &v, &err), MQL_OK);
    return v;
}

static void test_run_borrows(void **state)
{
    (void)state;
    mql_table *t = leads();
    long id = mql_table_find(t, "lead_id"), job = mql_table_find(t, "job");
    long visits = mql_table_find(t, "visits"), demo = mql_table_find(t, "demo");
    assert_true(id >= 0 && job >= 0 && visits >= 0 && demo >= 0);
    assert_int_equal(t->cols[id].type, MQL_COL_ID);
    assert_int_equal(t->cols[job].type, MQL_COL_CATEGORICAL);
    unsigned char mask[ROWS] = {0};
    for (int i = 10; i < 30; i++)
        mask[i] = 1;
    mql_table *v = view_of(t, mask), *c = copy_of(t, mask);
    assert_same_table(v, c);
    /* every column but the identifier (its levels narrowed to the 20 used) points into t */
    for (size_t j = 0; j < t->n_cols; j++) {
        const mql_column *s = &t->cols[j], *d = &v->cols[j];
        if ((long)j == id) {
            assert_int_equal(d->borrowed, 0);
            assert_int_equal(d->n_levels, 20);
            continue;
        }
        assert_int_equal(d->borrowed, 1);
        if (s->num)
            assert_ptr_equal(d->num, s->num + 10);
        if (s->code)
            assert_ptr_equal(d->code, s->code + 10);
    }
    /* "Intern" (rows 0-3 only) keeps its level with a zero count, as in the copy */
    assert_string_equal(v->cols[job].levels[0], "Intern");
    assert_int_equal(v->cols[job].level_count[0], 0);
    assert_int_equal(v->cols[visits].n_missing, 3);   /* rows 10, 17 and 24 */
    mql_table_free(c);
    mql_table_free(v);
    mql_table_free(t);
}

static void test_other_masks_copy(void **state)
{
    (void)state;
    mql_table *t = leads();
    unsigned char gap[ROWS] = {0}, all[ROWS], none[ROWS] = {0};
    for (int i = 0; i < ROWS; i++) {
        gap[i] = i % 2 == 0 || i > 30;
        all[i] = 1;
    }
    mql_table *v = view_of(t, gap), *c = copy_of(t, gap);
    assert_same_table(v, c);
    for (size_t j = 0; j < v->n_cols; j++)
        assert_int_equal(v->cols[j].borrowed, 0);
    mql_table_free(v);
    mql_table_free(c);
    /* every row: one run (the identifier keeps its levels, so it is shared too) */
    v = view_of(t, all);
    c = copy_of(t, all);
    assert_same_table(v, c);
    for (size_t j = 0; j < v->n_cols; j++)
        assert_int_equal(v->cols[j].borrowed, 1);
    mql_table_free(v);
    mql_table_free(c);
    v = view_of(t, none);
    assert_int_equal(v->n_rows, 0);
    assert_int_equal(v->n_cols, t->n_cols);
    mql_table_free(v);
    mql_table_free(t);
}

/* Retyping a view's column gives it its own values; the source's stay as they were. */
static void test_writes_copy_first(void **state)
{
    (void)state;
    mql_table *t = leads();
    long visits = mql_table_find(t, "visits"), demo = mql_table_find(t, "demo");
    double before[ROWS], demo_before[ROWS];
    memcpy(before, t->cols[visits].num, sizeof before);
    memcpy(demo_before, t->cols[demo].num, sizeof demo_before);
    unsigned char mask[ROWS] = {0};
    for (int i = 5; i < ROWS; i++)
        mask[i] = 1;
    mql_table *v = view_of(t, mask);
    mql_err err;
    assert_int_equal(mql_column_to_categorical(&v->cols[visits], &err), MQL_OK);
    assert_int_equal(mql_column_to_categorical(&v->cols[demo], &err), MQL_OK);
    assert_int_equal(v->cols[visits].borrowed, 0);
    assert_int_equal(v->cols[visits].type, MQL_COL_CATEGORICAL);
    assert_null(v->cols[visits].num);
    mql_table_free(v);               /* frees the view's own arrays, not t's */
    assert_int_equal(t->cols[visits].type, MQL_COL_NUMERIC);
    assert_memory_equal(t->cols[visits].num, before, sizeof before);
    assert_memory_equal(t->cols[demo].num, demo_before, sizeof demo_before);
    mql_table_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_borrows),
        cmocka_unit_test(test_other_masks_copy),
        cmocka_unit_test(test_writes_copy_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
