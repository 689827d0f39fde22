/* table_ops.c: tables derived from tables: row subsets (the training part of a time split, a
 * cross-validation fold). Kept apart from table.c, which reads CSV files. */
#include "mqlcal/table_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Copies rows idx[0..n_dst) of column s into d (d zeroed by the caller). Returns 0 or -1 (no
 * memory); on failure d holds whatever was allocated, for the caller's mql_table_free. */
static int gather_column(const mql_column *s, const size_t *idx, size_t n_dst, mql_column *d)
{
    d->type = s->type;
    d->has_time = s->has_time;
    d->n_rows = n_dst;
    d->n_distinct = s->n_distinct;
    if (!(d->name = mql_strdup(s->name)))
        return -1;
    if ((s->true_label && !(d->true_label = mql_strdup(s->true_label))) ||
        (s->false_label && !(d->false_label = mql_strdup(s->false_label))))
        return -1;
    size_t cap = n_dst ? n_dst : 1;
    if (s->num) {
        if (!(d->num = malloc(cap * sizeof *d->num)))
            return -1;
        for (size_t k = 0; k < n_dst; k++) {
            d->num[k] = s->num[idx[k]];
            d->n_missing += isnan(d->num[k]) != 0;
        }
    }
    if (s->levels || s->code) {
        size_t L = s->n_levels;
        d->levels = calloc(L ? L : 1, sizeof *d->levels);
        d->level_count = calloc(L ? L : 1, sizeof *d->level_count);
        if (!d->levels || !d->level_count)
            return -1;
        for (size_t k = 0; k < L; k++, d->n_levels++)
            if (!(d->levels[k] = mql_strdup(s->levels[k])))
                return -1;
    }
    if (s->code) {
        if (!(d->code = malloc(cap * sizeof *d->code)))
            return -1;
        for (size_t k = 0; k < n_dst; k++) {
            uint32_t c = s->code[idx[k]];
            d->code[k] = c;
            if (c == MQL_NA_CODE)
                d->n_missing++;
            else if (c < d->n_levels)
                d->level_count[c]++;
        }
        d->n_distinct = 0;
        for (size_t l = 0; l < d->n_levels; l++)
            d->n_distinct += d->level_count[l] > 0;
    }
    return 0;
}

int mql_table_gather(const mql_table *t, const size_t *idx, size_t n, mql_table **out,
                     mql_err *err)
{
    *out = NULL;
    mql_table *s = calloc(1, sizeof *s);
    if (!s)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    s->n_rows = n;
    s->delim = t->delim;
    s->n_bytes = t->n_bytes;
    s->hash = t->hash;
    if ((t->source && !(s->source = mql_strdup(t->source))) ||
        !(s->cols = calloc(t->n_cols ? t->n_cols : 1, sizeof *s->cols))) {
        mql_table_free(s);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t j = 0; j < t->n_cols; j++) {
        s->n_cols = j + 1;
        if (gather_column(&t->cols[j], idx, n, &s->cols[j])) {
            mql_table_free(s);
            return mql_err_set(err, MQL_ENOMEM, "out of memory for a %zu-row table", n);
        }
    }
    s->n_cols = t->n_cols;
    *out = s;
    return MQL_OK;
}

int mql_table_subset(const mql_table *t, const unsigned char *mask, mql_table **out,
                     mql_err *err)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        n += mask[i] != 0;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < t->n_rows; i++)
        if (mask[i])
            idx[k++] = i;
    int st = mql_table_gather(t, idx, n, out, err);
    free(idx);
    return st;
}

int mql_table_add_numeric(mql_table *t, const char *name, const double *v, mql_err *err)
{
    if (mql_table_find(t, name) >= 0)
        return mql_err_set(err, MQL_EDATA, "%s already has a column '%s'", t->source, name);
    mql_column *cols = realloc(t->cols, (t->n_cols + 1) * sizeof *cols);
    if (!cols)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    t->cols = cols;
    mql_column *c = &t->cols[t->n_cols];
    memset(c, 0, sizeof *c);
    c->type = MQL_COL_NUMERIC;
    c->n_rows = t->n_rows;
    c->name = mql_strdup(name);
    c->num = malloc((t->n_rows ? t->n_rows : 1) * sizeof *c->num);
    if (!c->name || !c->num) {
        free(c->name);
        free(c->num);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    if (v)
        memcpy(c->num, v, t->n_rows * sizeof *v);
    else
        for (size_t i = 0; i < t->n_rows; i++)
            c->num[i] = 0.0;
    mql_column_recount(c);
    t->n_cols++;
    return MQL_OK;
}

void mql_column_recount(mql_column *c)
{
    /* n_missing exactly; n_distinct as an upper bound that is exact for the few-valued columns
     * the design cares about (it decides linear vs step rules only through the values). */
    c->n_missing = 0;
    for (size_t i = 0; i < c->n_rows; i++)
        c->n_missing += isnan(c->num[i]) != 0;
    size_t distinct = 0;
    double *tmp = malloc((c->n_rows ? c->n_rows : 1) * sizeof *tmp);
    if (tmp) {
        size_t m = 0;
        for (size_t i = 0; i < c->n_rows; i++)
            if (!isnan(c->num[i]))
                tmp[m++] = c->num[i];
        if (mql_sort_doubles(tmp, m) == 0)
            for (size_t i = 0; i < m; i++)
                distinct += i == 0 || tmp[i] != tmp[i - 1];
        else
            distinct = m;
        free(tmp);
    } else {
        distinct = c->n_rows - c->n_missing;
    }
    c->n_distinct = distinct;
}
