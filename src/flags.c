/* flags.c: outcome and stage flags of the table (COL or COL=VALUE), the lead table's column
 * lookups with their messages, and --join (a file of won lead ids) as a flag per lead. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/csv.h"
#include "mqlcal/dict.h"
#include "mqlcal/table.h"
#include "mqlcal/value.h"

/* Index of the spelling in the true/false pairs: pair * 2 + (0 true, 1 false), or -1. */
static int bool_word(const char *s)
{
    static const char *const w[] = {"true", "false", "yes", "no", "y", "n", "t", "f", "1", "0"};
    for (int k = 0; k < 10; k++)
        if (mql_strcasecmp(s, w[k]) == 0)
            return k;
    return -1;
}

int mql_flag_spec_parse(const char *text, mql_flag_spec *spec, mql_err *err)
{
    spec->column = spec->value = NULL;
    if (!text || !*text || *text == '=')
        return mql_err_set(err, MQL_EUSAGE, "expected COL or COL=VALUE, got '%s'",
                           text ? text : "");
    const char *eq = strchr(text, '=');
    spec->column = eq ? mql_strndup(text, (size_t)(eq - text)) : mql_strdup(text);
    if (eq)
        spec->value = mql_strdup(eq + 1);
    if (!spec->column || (eq && !spec->value)) {
        mql_flag_spec_clear(spec);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    return MQL_OK;
}

void mql_flag_spec_clear(mql_flag_spec *spec)
{
    if (!spec)
        return;
    free(spec->column);
    free(spec->value);
    spec->column = spec->value = NULL;
}

const char *mql_table_nearest(const mql_table *t, const char *name)
{
    if (!t || t->n_cols == 0)
        return NULL;
    return mql_nearest_name(name, (const char *const *)&t->cols[0].name, t->n_cols,
                            sizeof(mql_column));
}

/* "no column 'x' in leads.csv; did you mean 'X'? (columns: a, b, ...)" with MQL_EUSAGE. */
static int no_column(const mql_table *t, const char *name, mql_err *err)
{
    char cols[640];
    mql_name_list((const char *const *)&t->cols[0].name, t->n_cols, sizeof(mql_column), cols, sizeof cols);
    const char *near = mql_table_nearest(t, name);
    return mql_err_set(err, MQL_EUSAGE, "no column '%s' in %s%s%s%s%s (columns: %s)", name,
                       t->source, near ? "; did you mean '" : "", near ? near : "",
                       near ? "'?" : "", mql_name_lookalike(name, near), cols);
}

int mql_table_require(const mql_table *t, const char *name, long *col, mql_err *err)
{
    *col = mql_table_find(t, name);
    return *col < 0 ? no_column(t, name, err) : MQL_OK;
}

/* out[i] = 1 where v[i] is want: a missing cell (NaN) equals nothing, and a NaN want matches no
 * cell, so no test for NaN is needed, and the loop has no branch (an outcome column is a coin
 * toss row by row). Returns MQL_OK. */
static int flag_equal(const double *v, size_t n, double want, unsigned char *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = v[i] == want;
    return MQL_OK;
}

int mql_flag_eval(const mql_table *t, const mql_flag_spec *spec, unsigned char *out, mql_err *err)
{
    long j;
    if (mql_table_require(t, spec->column, &j, err))
        return MQL_EUSAGE;
    const mql_column *c = &t->cols[j];
    size_t n = t->n_rows;
    const char *val = spec->value;
    double x;
    switch (c->type) {
    case MQL_COL_NUMERIC:
        if (val && mql_parse_double(val, &x))
            x = NAN;        /* a non-number VALUE matches no number */
        return flag_equal(c->num, n, val ? x : 1.0, out);
    case MQL_COL_BOOLEAN: {
        double want = 1.0;
        if (val) {
            if (mql_strcasecmp(val, c->true_label) == 0 || bool_word(val) % 2 == 0)
                want = 1.0;
            else if (mql_strcasecmp(val, c->false_label) == 0 || bool_word(val) % 2 == 1)
                want = 0.0;
            else
                want = NAN;
        }
        return flag_equal(c->num, n, want, out);
    }
    case MQL_COL_DATE: {
        int ht;
        if (val && mql_date_parse(val, strlen(val), &x, &ht))
            x = NAN;
        for (size_t i = 0; i < n; i++)
            out[i] = !isnan(c->num[i]) && (!val || c->num[i] == x);
        return MQL_OK;
    }
    case MQL_COL_CATEGORICAL:
    case MQL_COL_ID: {
        unsigned char *pos = malloc(c->n_levels ? c->n_levels : 1);
        if (!pos)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        /* VALUE matches by value.h's equality ("won" = "Won", "1" = "1.0"); only a blank VALUE
         * would be missing, so a kept placeholder such as "Unknown" can be the positive value */
        static const char *const blank[] = {""};
        mql_cell want;
        mql_cell_from_text(&want, val, blank, 1);
        for (size_t k = 0; k < c->n_levels; k++) {
            mql_cell lv;
            mql_cell_from_text(&lv, c->levels[k], blank, 1);
            pos[k] = val ? mql_cell_eq(&want, &lv) : mql_truthy(c->levels[k]);
        }
        for (size_t i = 0; i < n; i++)
            out[i] = c->code[i] != MQL_NA_CODE && pos[c->code[i]];
        free(pos);
        return MQL_OK;
    }
    }
    return mql_err_set(err, MQL_EDATA, "column '%s': unknown type", c->name);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int mql_join_eval(const mql_table *t, const char *key, const char *join_path, char delim,
                  unsigned char *out, mql_err *err)
{
    long j;
    if (mql_table_require(t, key, &j, err))
        return MQL_EUSAGE;
    const char *only[1] = {key};
    mql_read_opts o = {.delim = delim, .categorical = only, .n_categorical = 1, .only = only,
                       .n_only = 1};
    mql_table *jt;
    int st = mql_table_read(join_path, &o, &jt, err);
    if (st)
        return st;
    const mql_column *c = &t->cols[j], *k = &jt->cols[0];
    size_t n = t->n_rows;
    if (c->type == MQL_COL_CATEGORICAL || c->type == MQL_COL_ID) {
        /* Index the join keys, then mark each lead level found there. */
        mql_dict d = {0};
        uint32_t code;
        unsigned char *hit = malloc(c->n_levels ? c->n_levels : 1);
        for (size_t q = 0; hit && q < k->n_levels; q++)
            if (mql_dict_add(&d, k->levels[q], strlen(k->levels[q]), &code)) {
                free(hit);
                hit = NULL;
            }
        if (!hit) {
            mql_dict_free(&d);
            mql_table_free(jt);
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        for (size_t q = 0; q < c->n_levels; q++)
            hit[q] = mql_dict_find(&d, c->levels[q], strlen(c->levels[q])) >= 0;
        for (size_t i = 0; i < n; i++)
            out[i] = c->code[i] != MQL_NA_CODE && hit[c->code[i]];
        free(hit);
        mql_dict_free(&d);
    } else {
        /* Numbers, dates and booleans compare by value: "007" in one file matches 7. */
        double *v = malloc((k->n_levels ? k->n_levels : 1) * sizeof *v);
        if (!v) {
            mql_table_free(jt);
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        size_t m = 0;
        for (size_t q = 0; q < k->n_levels; q++) {
            int ht;
            double x;
            if (c->type == MQL_COL_DATE
                    ? mql_date_parse(k->levels[q], strlen(k->levels[q]), &x, &ht) == 0
                    : mql_parse_double(k->levels[q], &x) == 0)
                v[m++] = x;
        }
        qsort(v, m, sizeof *v, cmp_double);
        for (size_t i = 0; i < n; i++)
            out[i] = !isnan(c->num[i]) &&
                     bsearch(&c->num[i], v, m, sizeof *v, cmp_double) != NULL;
        free(v);
    }
    mql_table_free(jt);
    return MQL_OK;
}
