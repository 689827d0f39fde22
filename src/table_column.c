/* table_column.c: a read table and its columns: freeing, finding a column, a cell's text, the
 * spellings merged into one value, a column's most frequent values. */
#include "mqlcal/table.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table_num.h"

void mql_column_free_levels(mql_column *c)
{
    if (c->levels && !c->level_blocks)
        for (size_t k = 0; k < c->n_levels; k++)
            free(c->levels[k]);
    for (size_t k = 0; k < c->n_level_blocks; k++)
        free(c->level_blocks[k]);
    free(c->level_blocks);
    free(c->levels);
    free(c->level_count);
    c->level_blocks = NULL;
    c->n_level_blocks = 0;
    c->levels = NULL;
    c->level_count = NULL;
    c->n_levels = 0;
}

static void column_clear(mql_column *c)
{
    free(c->name);
    if (!c->borrowed) {
        free(c->num);
        free(c->code);
    }
    mql_column_free_levels(c);
    free(c->true_label);
    free(c->false_label);
    for (size_t k = 0; k < c->n_spellings; k++)
        free(c->spellings[k].text);
    free(c->spellings);
    free(c->unreadable_text);
}

static void table_free_cols(mql_table *t)
{
    if (t->cols)
        for (size_t j = 0; j < t->n_cols; j++)
            column_clear(&t->cols[j]);
    free(t->cols);
    t->cols = NULL;
}

void mql_table_free(mql_table *t)
{
    if (!t)
        return;
    table_free_cols(t);
    if (t->map)
        munmap(t->map, t->map_len);
    free(t->line);
    free(t->source);
    mql_na_clear(&t->na);
    free(t);
}

size_t mql_table_line(const mql_table *t, size_t r)
{
    return t->line ? t->line[r] : r + 2;
}

const char *const *mql_table_na(const mql_table *t)
{
    return t && t->na.v ? (const char *const *)t->na.v : NULL;
}

long mql_table_find(const mql_table *t, const char *name)
{
    for (size_t j = 0; t && name && j < t->n_cols; j++)
        if (strcmp(t->cols[j].name, name) == 0)
            return (long)j;
    return -1;
}

int mql_cell_missing(const mql_column *c, size_t row)
{
    if (c->no_values)            /* an identifier's were all filled; an unread column has none */
        return c->no_values == MQL_NO_VALUES_UNREAD;
    if (c->code)
        return c->code[row] == MQL_NA_CODE;
    return c->num ? isnan(c->num[row]) : 1;
}

const char *mql_cell_text(const mql_column *c, size_t row, char *buf, size_t cap)
{
    if (cap == 0)
        return buf;
    buf[0] = '\0';
    if (mql_cell_missing(c, row))
        return buf;
    switch (c->type) {
    case MQL_COL_CATEGORICAL:
    case MQL_COL_ID:
        snprintf(buf, cap, "%s", c->no_values ? "" : c->levels[c->code[row]]);
        break;
    case MQL_COL_BOOLEAN:
        snprintf(buf, cap, "%s", c->num[row] != 0 ? c->true_label : c->false_label);
        break;
    case MQL_COL_DATE:
        mql_date_format(c->num[row], c->has_time, buf, cap);
        break;
    case MQL_COL_NUMERIC:
        mql_num_text(c->num[row], buf, cap);
        break;
    }
    return buf;
}

const char *mql_spellings_text(const mql_column *c, size_t first, size_t *next, char *buf,
                               size_t cap)
{
    size_t k = first, o = 0;
    if (cap)
        buf[0] = '\0';
    while (k < c->n_spellings && c->spellings[k].level == c->spellings[first].level)
        k++;
    *next = k;
    for (size_t q = first; q < k && o < cap; q++) {
        const mql_spelling *s = &c->spellings[q];
        char rows[32];
        const char *sep = q == first ? "" : q + 1 == k ? " and " : ", ";
        int w = snprintf(buf + o, cap - o, "%s'%s' (%s%s)", sep, s->text,
                         mql_fmt_grouped((double)s->count, rows, sizeof rows),
                         q == first ? " rows" : "");
        o += w > 0 ? (size_t)w : 0;
    }
    size_t lv = c->spellings[first].level;
    const char *label = c->type == MQL_COL_BOOLEAN ? (lv ? c->true_label : c->false_label)
                        : lv < c->n_levels         ? c->levels[lv]
                                                   : "";
    if (o < cap)
        snprintf(buf + o, cap - o, " are one value, '%s'", label);
    return buf;
}

typedef struct value_count {
    size_t count;
    size_t order;        /* level index, or position among the ascending distinct values */
    double v;
} value_count;

static int cmp_count_desc(const void *a, const void *b)
{
    const value_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

const char *mql_column_top_values(const mql_column *c, size_t k, char *buf, size_t cap)
{
    size_t n = c->n_rows, m = 0, o = 0;
    if (cap)
        buf[0] = '\0';
    value_count *vc = NULL;
    if (c->code) {
        vc = malloc((c->n_levels ? c->n_levels : 1) * sizeof *vc);
        for (size_t q = 0; vc && q < c->n_levels; q++)
            vc[m++] = (value_count){c->level_count ? c->level_count[q] : 0, q, NAN};
    } else if (c->num) {
        double *v = malloc((n ? n : 1) * sizeof *v);
        size_t nv = 0;
        for (size_t i = 0; v && i < n; i++)
            if (!isnan(c->num[i]))
                v[nv++] = c->num[i];
        if (v && mql_sort_doubles(v, nv) == 0 && (vc = malloc((nv ? nv : 1) * sizeof *vc)))
            for (size_t i = 0; i < nv; i++) {
                if (m && vc[m - 1].v == v[i])
                    vc[m - 1].count++;
                else
                    vc[m] = (value_count){1, m, v[i]}, m++;
            }
        free(v);
    }
    if (!vc) {
        snprintf(buf, cap, "(out of memory)");
        return buf;
    }
    qsort(vc, m, sizeof *vc, cmp_count_desc);
    for (size_t q = 0; q < m && q < k && o < cap; q++) {
        char text[200], rows[32];
        if (c->code)
            snprintf(text, sizeof text, "%s", c->levels[vc[q].order]);
        else if (c->type == MQL_COL_BOOLEAN)
            snprintf(text, sizeof text, "%s", vc[q].v != 0 ? c->true_label : c->false_label);
        else if (c->type == MQL_COL_DATE)
            mql_date_format(vc[q].v, c->has_time, text, sizeof text);
        else
            mql_num_text(vc[q].v, text, sizeof text);
        int w = snprintf(buf + o, cap - o, "%s'%s' (%s)", q ? ", " : "", text,
                         mql_fmt_grouped((double)vc[q].count, rows, sizeof rows));
        o += w > 0 ? (size_t)w : 0;
    }
    if (m > k && o < cap) {
        int w = snprintf(buf + o, cap - o, " and %zu more", m - k);
        o += w > 0 ? (size_t)w : 0;
    }
    if (m == 0 && o < cap) {
        int w = snprintf(buf + o, cap - o, "no values");
        o += w > 0 ? (size_t)w : 0;
    }
    if (c->n_missing && o < cap) {
        char rows[32];
        snprintf(buf + o, cap - o, ", %s missing", mql_fmt_grouped((double)c->n_missing, rows,
                                                                     sizeof rows));
    }
    free(vc);
    return buf;
}
