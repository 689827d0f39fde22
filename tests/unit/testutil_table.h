/* testutil_table.h: a lead table read from CSV text, for the unit tests that build one inline. */
#ifndef MQLCAL_TESTUTIL_TABLE_H
#define MQLCAL_TESTUTIL_TABLE_H

#include "testutil.h"

#include <unistd.h>

#include "mqlcal/table.h"
#include "mqlcal/table_cache.h"

/* Column `name` of t; a table without one fails the test. */
static inline const mql_column *table_col(const mql_table *t, const char *name)
{
    long j = mql_table_find(t, name);
    if (j < 0)
        fail_msg("no column %s", name);
    return &t->cols[j];
}

/* Reads text with o through a table cache in a fresh temporary directory, checks the cache's
 * answer (mql_cache_trace.result) is want, and returns the table; the file and the directory
 * are removed (a read the cache stores an entry for fails the test: the directory must stay
 * empty). */
static inline mql_table *table_from_text_cached(const char *text, const mql_read_opts *o,
                                                int want)
{
    char path[64], cdir[] = "/tmp/mqlcal-test-cache-XXXXXX";
    assert_non_null(write_temp(path, sizeof path, text));
    assert_non_null(mkdtemp(cdir));
    mql_cache_opts co = {cdir, 0, 0};
    mql_cache_trace tr;
    mql_table *t = NULL;
    mql_err err;
    assert_int_equal(mql_table_read_cached_traced(path, o, &co, &t, &tr, &err), MQL_OK);
    assert_int_equal(tr.result, want);
    unlink(path);
    assert_int_equal(rmdir(cdir), 0);   /* for reads the cache leaves alone: nothing written */
    return t;
}

/* The 0/1 flag a column spec ("closed_won", "Status=Won") gives each of t's rows (malloc'd). */
static inline unsigned char *table_flag(const mql_table *t, const char *spec)
{
    mql_flag_spec fs = {0};
    mql_err err;
    unsigned char *v = malloc(t->n_rows);
    assert_non_null(v);
    assert_int_equal(mql_flag_spec_parse(spec, &fs, &err), MQL_OK);
    assert_int_equal(mql_flag_eval(t, &fs, v, &err), MQL_OK);
    mql_flag_spec_clear(&fs);
    return v;
}

/* Writes text to a temporary file and reads it with o (NULL: the defaults); a read that fails
 * fails the test with the reader's message. The file is removed either way. */
static inline mql_table *table_from_text(const char *text, const mql_read_opts *o)
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

/* ---- comparing the parallel reader (opts.threads >= 2) with the one-thread reader ---- */

/* A growing text buffer for generated files. */
typedef struct gen_text {
    char *s;
    size_t n, cap;
} gen_text;

static inline void add(gen_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void add(gen_text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(k >= 0);
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = 2 * (t->n + (size_t)k + 1);
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

/* The two tables agree in every field, cell, level and spelling (numbers by their bits). */
static inline void assert_tables_equal(const mql_table *a, const mql_table *b)
{
    assert_int_equal(a->n_rows, b->n_rows);
    assert_int_equal(a->n_cols, b->n_cols);
    assert_int_equal(a->n_bytes, b->n_bytes);
    assert_int_equal(a->delim, b->delim);
    assert_true(a->hash == b->hash);
    assert_int_equal(a->line == NULL, b->line == NULL);
    for (size_t i = 0; a->line && i < a->n_rows; i++)
        assert_int_equal(a->line[i], b->line[i]);
    for (size_t j = 0; j < a->n_cols; j++) {
        const mql_column *x = &a->cols[j], *y = &b->cols[j];
        assert_string_equal(x->name, y->name);
        if (x->type != y->type)
            fail_msg("column %s: %s against %s", x->name, mql_coltype_name(x->type),
                     mql_coltype_name(y->type));
        assert_int_equal(x->n_missing, y->n_missing);
        assert_int_equal(x->n_distinct, y->n_distinct);
        assert_int_equal(x->no_values, y->no_values);
        assert_int_equal(x->n_levels, y->n_levels);
        assert_int_equal(x->has_time, y->has_time);
        assert_int_equal(x->n_rows, y->n_rows);
        for (size_t k = 0; k < x->n_levels; k++) {
            assert_string_equal(x->levels[k], y->levels[k]);
            assert_int_equal(x->level_count[k], y->level_count[k]);
        }
        assert_int_equal(x->true_label == NULL, y->true_label == NULL);
        if (x->true_label) {
            assert_string_equal(x->true_label, y->true_label);
            assert_string_equal(x->false_label, y->false_label);
        }
        assert_int_equal(x->plain_decimal, y->plain_decimal);
        assert_int_equal(x->decimals, y->decimals);
        assert_int_equal(x->date_ambiguous, y->date_ambiguous);
        assert_int_equal(x->n_unreadable, y->n_unreadable);
        if (x->n_unreadable) {
            assert_int_equal(x->unreadable_row, y->unreadable_row);
            assert_string_equal(x->unreadable_text, y->unreadable_text);
        }
        assert_int_equal(x->n_spellings, y->n_spellings);
        for (size_t k = 0; k < x->n_spellings; k++) {
            assert_int_equal(x->spellings[k].level, y->spellings[k].level);
            assert_string_equal(x->spellings[k].text, y->spellings[k].text);
            assert_int_equal(x->spellings[k].count, y->spellings[k].count);
        }
        assert_int_equal(x->num == NULL, y->num == NULL);
        assert_int_equal(x->code == NULL, y->code == NULL);
        for (size_t i = 0; i < a->n_rows; i++) {
            if (x->num && memcmp(&x->num[i], &y->num[i], sizeof x->num[i]) != 0 &&
                !(isnan(x->num[i]) && isnan(y->num[i])))
                fail_msg("column %s row %zu: %.17g against %.17g", x->name, i, x->num[i],
                         y->num[i]);
            if (x->code && x->code[i] != y->code[i])
                fail_msg("column %s row %zu: level %u against %u", x->name, i, x->code[i],
                         y->code[i]);
        }
    }
}

/* Reads text on one thread and in 2, 3 and 5 parts; every table must equal the first. Returns
 * the one-thread table. */
static inline mql_table *read_all_ways(const char *s, const mql_read_opts *base)
{
    mql_read_opts o = base ? *base : (mql_read_opts){0};
    o.threads = 1;
    mql_table *one = table_from_text(s, &o);
    static const size_t ways[] = {2, 3, 5};
    for (size_t w = 0; w < 3; w++) {
        o.threads = ways[w];
        mql_table *par = table_from_text(s, &o);
        assert_tables_equal(one, par);
        mql_table_free(par);
    }
    return one;
}

#endif
