/* table_ops.c: tables derived from tables: row subsets (the training part of a time split, a
 * cross-validation fold). Kept apart from table.c, which reads CSV files. */
#include "mqlcal/table_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Copies the subset of column s into d (d zeroed by the caller). Returns 0 or -1 (no memory);
 * on failure d holds whatever was allocated, for the caller's mql_table_free. */
static int subset_column(const mql_column *s, const unsigned char *mask, size_t n_src,
                         size_t n_dst, mql_column *d)
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
        size_t k = 0;
        for (size_t i = 0; i < n_src; i++)
            if (mask[i]) {
                d->num[k] = s->num[i];
                d->n_missing += isnan(s->num[i]) != 0;
                k++;
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
        size_t k = 0;
        for (size_t i = 0; i < n_src; i++)
            if (mask[i]) {
                uint32_t c = s->code[i];
                d->code[k++] = c;
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

int mql_table_subset(const mql_table *t, const unsigned char *mask, mql_table **out,
                     mql_err *err)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        n += mask[i] != 0;
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
        if (subset_column(&t->cols[j], mask, t->n_rows, n, &s->cols[j])) {
            mql_table_free(s);
            return mql_err_set(err, MQL_ENOMEM, "out of memory for a %zu-row subset", n);
        }
    }
    s->n_cols = t->n_cols;
    *out = s;
    return MQL_OK;
}
