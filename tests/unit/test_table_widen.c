/* test_table_widen.c: a text column that becomes booleans, numbers or dates once the file is read
 * takes its values in the block its codes are in when that block has room for a double a row
 * (colb.code_wide: the parallel reader's shared arrays, the large arrays of one thread), and in a
 * fresh array when it has none. Both routes must give the same values bit for bit, NAN for a
 * missing cell: mql_colb_finish is driven directly with and without the room, and the reader
 * on one thread and in parts, on files small and large. An identifier's keys that end as text
 * leave their codes in the keys' block. */
#include "testutil_table.h"

#include "../../src/dates.h"         /* mql_date_civil_days (not public) */
#include "../../src/table_build.h"   /* colb, mql_colb_finish (not public) */
#include "mqlcal/value.h"

/* ---- mql_colb_finish on a column built by hand ---- */

/* A text column of n rows as the reader leaves it: row i's text is text(i) (NULL: missing), its
 * code in an array with room for wide doubles (0: 4 bytes a row, no room). */
static colb text_colb(const char *(*text)(size_t, char *), size_t n, size_t wide)
{
    colb c = {.mode = M_TEXT, .origin = M_TEXT};
    c.code = malloc(wide ? wide * sizeof(double) : n * sizeof *c.code);
    assert_non_null(c.code);
    c.code_wide = wide;
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        const char *s = text(i, buf);
        if (!s)
            c.code[i] = MQL_NA_CODE;
        else
            assert_int_equal(mql_dict_add(&c.d, s, strlen(s), &c.code[i]), 0);
    }
    return c;
}

/* Finishes c (n rows) into column `name` of a table of its own, freeing what c keeps after. */
static mql_table *finish(colb *c, size_t n, const char *name)
{
    builder b = {.path = "t.csv", .na = mql_default_na, .n_na = mql_n_default_na};
    mql_table *t = calloc(1, sizeof *t);
    assert_non_null(t);
    assert_non_null(t->cols = calloc(1, sizeof *t->cols));
    t->n_cols = 1;
    t->n_rows = n;
    assert_non_null(t->cols[0].name = strdup(name));
    assert_int_equal(mql_colb_finish(&b, c, &t->cols[0], n), 0);
    free(c->num);
    free(c->code);
    free(c->bad_text);
    mql_dict_free(&c->d);
    mql_keytext_free(&c->kt);
    return t;
}

/* The same doubles, bit for bit (any NAN equal to any NAN). */
static void assert_values_equal(const mql_column *a, const mql_column *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_missing, b->n_missing);
    assert_int_equal(a->n_distinct, b->n_distinct);
    assert_int_equal(a->n_unreadable, b->n_unreadable);
    assert_non_null(a->num);
    assert_non_null(b->num);
    assert_null(a->code);
    assert_null(b->code);
    for (size_t i = 0; i < a->n_rows; i++)
        if (memcmp(&a->num[i], &b->num[i], sizeof a->num[i]) != 0 &&
            !(isnan(a->num[i]) && isnan(b->num[i])))
            fail_msg("row %zu: %.17g against %.17g", i, a->num[i], b->num[i]);
}

/* Finishes the column text makes (n rows) with its codes' block wide enough for its values, one
 * double short of that, and with no room: the values must be written over the codes in the
 * first case only, and be the same in all three. Returns the first table. */
static mql_table *three_routes(const char *(*text)(size_t, char *), size_t n, const char *name)
{
    colb c = text_colb(text, n, n);
    void *block = c.code;
    mql_table *wide = finish(&c, n, name);
    assert_ptr_equal(wide->cols[0].num, block);   /* in place */
    colb s = text_colb(text, n, n - 1);            /* (ASan: an in-place write would overrun) */
    mql_table *shy = finish(&s, n, name);
    colb f = text_colb(text, n, 0);
    mql_table *fresh = finish(&f, n, name);
    assert_values_equal(&wide->cols[0], &shy->cols[0]);
    assert_values_equal(&wide->cols[0], &fresh->cols[0]);
    mql_table_free(shy);
    mql_table_free(fresh);
    return wide;
}

/* Booleans: every seventh row missing, Yes and No in no regular order. */
static const char *yes_no(size_t i, char *buf)
{
    (void)buf;
    return i % 7 == 3 ? NULL : (i * i + i / 3) % 5 < 2 ? "Yes" : "No";
}

static void test_boolean_in_place(void **state)
{
    (void)state;
    const size_t n = 1001;
    mql_table *t = three_routes(yes_no, n, "became_sql");
    const mql_column *c = &t->cols[0];
    assert_int_equal(c->type, MQL_COL_BOOLEAN);
    assert_string_equal(c->true_label, "Yes");
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        const char *s = yes_no(i, buf);
        if (!s)
            assert_true(isnan(c->num[i]));
        else
            assert_true(c->num[i] == (strcmp(s, "Yes") == 0 ? 1.0 : 0.0));
    }
    mql_table_free(t);
}

/* Month-first dates, one of them no day (February 30th): missing and counted as unreadable,
 * its first row and text kept, although the days overwrite the codes they were read from. */
static const char *us_dates(size_t i, char *buf)
{
    if (i % 11 == 5)
        return NULL;
    if (i == 40 || i == 700)
        return "02/30/2016";
    snprintf(buf, 64, "%zu/%zu/2016", 1 + i % 12, 13 + i % 15);
    return buf;
}

static void test_dates_in_place(void **state)
{
    (void)state;
    const size_t n = 900;
    mql_table *t = three_routes(us_dates, n, "signup");
    const mql_column *c = &t->cols[0];
    assert_int_equal(c->type, MQL_COL_DATE);
    assert_int_equal(c->n_unreadable, 2);
    assert_int_equal(c->unreadable_row, 40);
    assert_string_equal(c->unreadable_text, "02/30/2016");
    assert_true(isnan(c->num[40]) && isnan(c->num[700]) && isnan(c->num[5]));
    double day;
    assert_int_equal(mql_date_civil_days(2016, 2, 14, &day), 0);
    assert_true(c->num[1] == day);            /* 2/14/2016 */
    mql_table_free(t);
}

/* Amounts with one leading-zero cell, too few to make the column codes: numbers again. */
static const char *amounts(size_t i, char *buf)
{
    if (i % 13 == 2)
        return NULL;
    if (i == 77)
        return "050";
    snprintf(buf, 64, "%zu.%zu", i % 97, i % 4 * 25);
    return buf;
}

static void test_numbers_in_place(void **state)
{
    (void)state;
    const size_t n = 1200;
    mql_table *t = three_routes(amounts, n, "amount");
    const mql_column *c = &t->cols[0];
    assert_int_equal(c->type, MQL_COL_NUMERIC);
    assert_true(c->num[77] == 50.0);
    assert_true(c->num[98] == 1.5);
    assert_true(isnan(c->num[2]));
    mql_table_free(t);
}

/* Timestamps, month first, one cell missing. */
static const char *stamps(size_t i, char *buf)
{
    if (i == 123)
        return NULL;
    snprintf(buf, 64, "%zu/%zu/2016 %02zu:%02zu", 1 + i / 1440 % 12, 13 + i / 60 % 15,
             i / 60 % 24, i % 60);
    return buf;
}

/* An identifier's keys (mql_read_opts.ids_unused) whose column does not qualify to lose its
 * values (a cell is missing): the codes are written over the keys, from the first row up, and
 * must read as the column read as text does (here timestamps, which then become dates). */
static void test_keys_in_place(void **state)
{
    (void)state;
    const size_t n = 3000;
    colb k = {.mode = M_KEY, .origin = M_TEXT, .keyable = 1};
    assert_non_null(k.num = malloc(n * sizeof *k.num));
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        const char *s = stamps(i, buf);
        if (!s) {
            k.num[i] = NAN;
            continue;
        }
        uint64_t key = key_of(s, strlen(s));
        memcpy(&k.num[i], &key, sizeof key);
        assert_int_equal(mql_keytext_put(&k.kt, s, strlen(s)), 0);
    }
    mql_table *keys = finish(&k, n, "stamp");
    colb f = text_colb(stamps, n, 0);
    mql_table *fresh = finish(&f, n, "stamp");
    assert_int_equal(keys->cols[0].type, MQL_COL_DATE);
    assert_int_equal(keys->cols[0].has_time, 1);
    assert_values_equal(&keys->cols[0], &fresh->cols[0]);
    mql_table_free(keys);
    mql_table_free(fresh);
}

/* ---- the reader: one thread and in parts ---- */

/* A lead file of n rows whose text columns end as booleans (flag: yes/no/Y with blanks; webinar:
 * False/True; late: blank for the first 60% of the rows, so a later part's column becomes the
 * merged one), numbers (amount, one leading-zero cell) and dates (signup, an impossible day;
 * stamp, distinct timestamps but one, which ids_unused reads as keys first), besides a
 * categorical column that stays codes. */
static char *lead_file(size_t n)
{
    gen_text t = {0};
    add(&t, "lead_id,flag,webinar,late,amount,signup,stamp,tier\n");
    for (size_t i = 0; i < n; i++) {
        char d[64], s[64], a[64];
        const char *amount = amounts(i, a), *signup = us_dates(i, d), *stamp = stamps(i, s);
        add(&t, "L%07zu,%s,%s,%s,%s,%s,%s,%s\n", i,
            i % 9 == 4 ? "" : i % 50 == 7 ? "Y" : (i * 7 + i / 5) % 3 ? "no" : "yes",
            i % 4 == 1 ? "True" : "False",
            i < n / 10 * 6 ? "" : i % 3 ? "No" : "Yes",
            amount ? amount : "", signup ? signup : "", stamp ? stamp : "",
            i % 3 == 0 ? "gold" : "silver");
    }
    return t.s;
}

/* What the file's rows must read as, whichever route they took. */
static void assert_leads(const mql_table *t, size_t n)
{
    assert_int_equal(t->n_rows, n);
    const mql_column *flag = table_col(t, "flag"), *web = table_col(t, "webinar"), *late = table_col(t, "late");
    const mql_column *amount = table_col(t, "amount"), *signup = table_col(t, "signup");
    assert_int_equal(flag->type, MQL_COL_BOOLEAN);
    assert_int_equal(web->type, MQL_COL_BOOLEAN);
    assert_int_equal(late->type, MQL_COL_BOOLEAN);
    assert_int_equal(amount->type, MQL_COL_NUMERIC);
    assert_int_equal(signup->type, MQL_COL_DATE);
    assert_int_equal(table_col(t, "stamp")->type, MQL_COL_DATE);
    assert_int_equal(table_col(t, "tier")->type, MQL_COL_CATEGORICAL);
    assert_int_equal(signup->n_unreadable, 2);
    assert_int_equal(signup->unreadable_row, 40);
    for (size_t i = 0; i < n; i++) {
        char a[64];
        double want = i % 9 == 4 ? NAN : i % 50 == 7 || (i * 7 + i / 5) % 3 == 0;
        if (memcmp(&flag->num[i], &want, sizeof want) != 0 && !(isnan(want) && isnan(flag->num[i])))
            fail_msg("flag row %zu: %g, expected %g", i, flag->num[i], want);
        if (web->num[i] != (i % 4 == 1))
            fail_msg("webinar row %zu: %g", i, web->num[i]);
        if (i < n / 10 * 6 ? !isnan(late->num[i]) : late->num[i] != (i % 3 == 0))
            fail_msg("late row %zu: %g", i, late->num[i]);
        const char *s = amounts(i, a);
        if (s ? amount->num[i] != strtod(s, NULL) : !isnan(amount->num[i]))
            fail_msg("amount row %zu: %g", i, amount->num[i]);
    }
}

/* Small: the one-thread reader's codes have no room (fresh arrays), the parts' shared arrays do;
 * read_all_ways compares the two cell by cell. */
static void test_reader_small(void **state)
{
    (void)state;
    const size_t n = 20000;
    char *s = lead_file(n);
    mql_read_opts o = {.ids_unused = 1};
    mql_table *t = read_all_ways(s, &o);
    assert_leads(t, n);
    mql_table_free(t);
    free(s);
}

/* Large enough for the one-thread reader's arrays to have room too (a double a row from 2 MiB of
 * it on, code_room). */
static void test_reader_large(void **state)
{
    (void)state;
    const size_t n = 300000;
    char *s = lead_file(n);
    mql_read_opts o = {.ids_unused = 1, .threads = 1};
    mql_table *one = table_from_text(s, &o);
    assert_leads(one, n);
    for (size_t th = 2; th <= 3; th++) {
        o.threads = th;
        mql_table *par = table_from_text(s, &o);
        assert_tables_equal(one, par);
        mql_table_free(par);
    }
    mql_table_free(one);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_boolean_in_place),
        cmocka_unit_test(test_dates_in_place),
        cmocka_unit_test(test_numbers_in_place),
        cmocka_unit_test(test_keys_in_place),
        cmocka_unit_test(test_reader_small),
        cmocka_unit_test(test_reader_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
