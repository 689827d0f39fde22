/* table_ops.c: tables derived from tables: row subsets (the training part of a time split, a
 * cross-validation fold), gathered rows, and count tables expanded to one row per lead or kept
 * compact for weighted fitting. Kept apart from table.c, which reads CSV files. */
#include "mqlcal/table_ops.h"

#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* Row k of a gathered column: idx[k], or r0 + k for a run of rows (idx NULL). */
#define ROW(k) (idx ? idx[k] : r0 + (k))

/* gather_column for an identifier column with more levels than rows taken (a part of a file of
 * unique keys): only the levels those rows use are copied, in their original order, and the codes
 * renumbered; copying a million keys for each part of a split would cost more than the split. */
static int gather_id(const mql_column *s, const size_t *idx, size_t r0, size_t n_dst,
                     mql_column *d)
{
    size_t L = s->n_levels;
    uint32_t *map = mql_alloc_big(L * sizeof *map);
    if (!map)
        return -1;
    memset(map, 0xFF, L * sizeof *map);          /* UINT32_MAX: not used */
    for (size_t k = 0; k < n_dst; k++) {
        uint32_t c = s->code[ROW(k)];
        if (c != MQL_NA_CODE && c < L)
            map[c] = 0;
    }
    size_t used = 0;
    for (size_t l = 0; l < L; l++)
        if (map[l] == 0)
            map[l] = (uint32_t)used++;
    /* the used levels' text in one block of the column's own (mql_column.level_blocks) */
    size_t bytes = 0;
    for (size_t l = 0; l < L; l++)
        if (map[l] != UINT32_MAX)
            bytes += strlen(s->levels[l]) + 1;
    d->levels = calloc(used ? used : 1, sizeof *d->levels);
    d->level_count = calloc(used ? used : 1, sizeof *d->level_count);
    d->code = mql_alloc_big((n_dst ? n_dst : 1) * sizeof *d->code);
    d->level_blocks = malloc(sizeof *d->level_blocks);
    char *text = d->level_blocks ? mql_alloc_big(bytes ? bytes : 1) : NULL;
    int bad = !d->levels || !d->level_count || !d->code || !text;
    if (text) {
        d->level_blocks[0] = text;
        d->n_level_blocks = 1;
    }
    for (size_t l = 0; !bad && l < L; l++)
        if (map[l] != UINT32_MAX) {
            size_t len = strlen(s->levels[l]) + 1;
            memcpy(text, s->levels[l], len);
            d->levels[map[l]] = text;
            text += len;
            d->n_levels++;
        }
    for (size_t k = 0; !bad && k < n_dst; k++) {
        uint32_t c = s->code[ROW(k)];
        d->code[k] = c == MQL_NA_CODE || c >= L ? MQL_NA_CODE : map[c];
        if (d->code[k] == MQL_NA_CODE)
            d->n_missing++;
        else
            d->level_count[d->code[k]]++;
    }
    free(map);
    d->n_distinct = used;
    return bad ? -1 : 0;
}

/* Copies rows idx[0..n_dst) of column s into d (d zeroed by the caller). With idx NULL the rows
 * are the run r0 .. r0 + n_dst - 1 and d borrows s's arrays at that offset instead of copying
 * them (mql_column.borrowed), except for an identifier column whose levels are narrowed, whose
 * codes are renumbered and so copied. Returns 0 or -1 (no memory); on failure d holds whatever
 * was allocated, for the caller's mql_table_free. */
static int gather_column(const mql_column *s, const size_t *idx, size_t r0, size_t n_dst,
                         mql_column *d)
{
    d->type = s->type;
    d->has_time = s->has_time;
    d->plain_decimal = s->plain_decimal;   /* some of the same values */
    d->decimals = s->decimals;
    d->n_rows = n_dst;
    d->n_distinct = s->n_distinct;
    d->no_values = s->no_values;
    if (!(d->name = mql_strdup(s->name)))
        return -1;
    if (s->no_values) {          /* an identifier's cells are filled and distinct: so are any
                                    n_dst of them; nothing is known of an unread column's */
        d->n_distinct = s->no_values == MQL_NO_VALUES_ID ? n_dst : 0;
        return 0;
    }
    if ((s->true_label && !(d->true_label = mql_strdup(s->true_label))) ||
        (s->false_label && !(d->false_label = mql_strdup(s->false_label))))
        return -1;
    size_t cap = n_dst ? n_dst : 1;
    int narrow_id = s->type == MQL_COL_ID && s->code && s->n_levels > n_dst;
    /* a run shares both arrays or neither (one flag says whether the column frees them) */
    int share = !idx && !narrow_id;
    if (s->num) {
        if (share) {
            d->num = s->num + r0;
            d->borrowed = 1;
        } else if (!(d->num = mql_alloc_big(cap * sizeof *d->num))) {
            return -1;
        }
        for (size_t k = 0; k < n_dst; k++) {
            if (!share)
                d->num[k] = s->num[ROW(k)];
            d->n_missing += isnan(d->num[k]) != 0;
        }
    }
    if (narrow_id)
        return gather_id(s, idx, r0, n_dst, d);
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
        if (share) {
            d->code = s->code + r0;
            d->borrowed = 1;
        } else if (!(d->code = mql_alloc_big(cap * sizeof *d->code))) {
            return -1;
        }
        for (size_t k = 0; k < n_dst; k++) {
            uint32_t c = share ? d->code[k] : (d->code[k] = s->code[ROW(k)]);
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

typedef struct gather_ctx {
    const mql_table *t;
    const size_t *idx;         /* NULL: the run of rows from r0 */
    size_t r0, n;
    mql_table *s;
} gather_ctx;

static int gather_one(void *ctx, size_t j)
{
    gather_ctx *g = ctx;
    return gather_column(&g->t->cols[j], g->idx, g->r0, g->n, &g->s->cols[j]);
}

static int gather(const mql_table *t, const size_t *idx, size_t r0, size_t n, mql_table **out,
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
    /* Columns are copied on every CPU (each its own work item); s->cols is zeroed, so on failure
     * mql_table_free releases whatever each column holds. */
    s->n_cols = t->n_cols;
    gather_ctx g = {t, idx, r0, n, s};
    if (mql_parallel_for(t->n_cols, n >= 65536 ? mql_cpu_count() : 1, gather_one, &g)) {
        mql_table_free(s);
        return mql_err_set(err, MQL_ENOMEM, "out of memory for a %zu-row table", n);
    }
    *out = s;
    return MQL_OK;
}

int mql_table_gather(const mql_table *t, const size_t *idx, size_t n, mql_table **out,
                     mql_err *err)
{
    return gather(t, idx, 0, n, out, err);
}

/* Copies the n rows that mask keeps (n counted by the caller). */
static int gather_mask(const mql_table *t, const unsigned char *mask, size_t n, mql_table **out,
                       mql_err *err)
{
    *out = NULL;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0, k = 0; i < t->n_rows; i++)
        if (mask[i])
            idx[k++] = i;
    int st = gather(t, idx, 0, n, out, err);
    free(idx);
    return st;
}

int mql_table_subset(const mql_table *t, const unsigned char *mask, mql_table **out,
                     mql_err *err)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        n += mask[i] != 0;
    return gather_mask(t, mask, n, out, err);
}

int mql_table_subset_view(const mql_table *t, const unsigned char *mask, mql_table **out,
                          mql_err *err)
{
    size_t n = 0, first = t->n_rows, last = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        if (mask[i]) {
            n++;
            first = first < i ? first : i;
            last = i;
        }
    if (n == 0 || last - first + 1 != n)
        return gather_mask(t, mask, n, out, err);
    return gather(t, NULL, first, n, out, err);
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
    c->num = mql_alloc_big((t->n_rows ? t->n_rows : 1) * sizeof *c->num);
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
    c->n_missing = 0;
    for (size_t i = 0; i < c->n_rows; i++)
        c->n_missing += isnan(c->num[i]) != 0;
    size_t distinct = mql_num_distinct(c->num, c->n_rows, c->plain_decimal ? c->decimals : -1);
    /* out of memory: every value counted, an upper bound */
    c->n_distinct = distinct != (size_t)-1 ? distinct : c->n_rows - c->n_missing;
}

/* An identifier-like column of a count table that is not one once its rows are counted as the
 * leads they stand for: back to what mql_table_read makes of such values (numbers when every
 * level reads as one, else categories). Returns 0 or -1 (no memory). */
static int retype_id(mql_column *c)
{
    size_t filled = c->n_rows - c->n_missing;
    if (c->type != MQL_COL_ID || mql_id_like(c->name, c->n_distinct, filled))
        return 0;
    double *v = malloc((c->n_levels ? c->n_levels : 1) * sizeof *v);
    if (!v)
        return -1;
    int numeric = 1;
    for (size_t k = 0; k < c->n_levels && numeric; k++)
        numeric = mql_parse_double(c->levels[k], &v[k]) == 0;
    if (!numeric) {
        free(v);
        c->type = MQL_COL_CATEGORICAL;
        return 0;
    }
    if (!(c->num = mql_alloc_big((c->n_rows ? c->n_rows : 1) * sizeof *c->num))) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < c->n_rows; i++)
        c->num[i] = c->code[i] == MQL_NA_CODE ? NAN : v[c->code[i]];
    free(v);
    mql_column_free_levels(c);
    if (!c->borrowed)
        free(c->code);
    c->borrowed = 0;             /* num is the column's own */
    c->code = NULL;
    c->n_levels = 0;
    c->type = MQL_COL_NUMERIC;
    mql_column_recount(c);
    return 0;
}

/* Row i of t rep[i] times, through mql_table_gather. */
static int repeat_rows(const mql_table *t, const size_t *rep, mql_table **out, mql_err *err)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        if (rep[i] > SIZE_MAX / (2 * sizeof(size_t)) - n)
            return mql_err_set(err, MQL_EDATA, "the counts add up to more leads than fit in "
                               "memory");
        n += rep[i];
    }
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx)
        return mql_err_set(err, MQL_ENOMEM, "out of memory for %zu leads", n);
    for (size_t i = 0, k = 0; i < t->n_rows; i++)
        for (size_t r = 0; r < rep[i]; r++)
            idx[k++] = i;
    int rc = mql_table_gather(t, idx, n, out, err);
    free(idx);
    return rc;
}

int mql_table_repeat(const mql_table *t, const size_t *rep, mql_table **out, mql_err *err)
{
    *out = NULL;
    int rc = repeat_rows(t, rep, out, err);
    for (size_t j = 0; rc == MQL_OK && j < (*out)->n_cols; j++)
        if (retype_id(&(*out)->cols[j])) {
            mql_table_free(*out);
            *out = NULL;
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
    return rc;
}

int mql_table_counts_compact(const mql_table *t, long count_col, long won_col, mql_table **out,
                             unsigned char **y, double **w, mql_err *err)
{
    *out = NULL;
    *y = NULL;
    *w = NULL;
    if (count_col < 0 || won_col < 0 || (size_t)count_col >= t->n_cols ||
        (size_t)won_col >= t->n_cols || !t->cols[count_col].num || !t->cols[won_col].num)
        return mql_err_set(err, MQL_EDATA, "count table: the count and won columns must be "
                           "numeric");
    const double *n = t->cols[count_col].num, *k = t->cols[won_col].num;
    size_t *rep = malloc((t->n_rows ? t->n_rows : 1) * sizeof *rep);
    if (!rep)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < t->n_rows; i++) {
        if (!(k[i] >= 0) || !(n[i] >= k[i])) {
            free(rep);
            return mql_err_set(err, MQL_EDATA, "%s: line %zu: won must be between 0 and the "
                               "count", t->source ? t->source : "count table", i + 2);
        }
        rep[i] = (size_t)(k[i] > 0) + (size_t)(n[i] > k[i]);
    }
    int rc = repeat_rows(t, rep, out, err);
    if (rc == MQL_OK && (!(*y = malloc((*out)->n_rows + 1)) ||
                         !(*w = malloc(((*out)->n_rows + 1) * sizeof **w))))
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0, r = 0; rc == MQL_OK && i < t->n_rows; i++) {
        if (k[i] > 0)
            (*y)[r] = 1, (*w)[r++] = k[i];
        if (n[i] > k[i])
            (*y)[r] = 0, (*w)[r++] = n[i] - k[i];
    }
    free(rep);
    if (rc) {
        mql_table_free(*out);
        free(*y);
        free(*w);
        *out = NULL;
        *y = NULL;
        *w = NULL;
    }
    return rc;
}

/* The numeric date forms, each over 1990-01-01 to 2100-01-01 (where they do not overlap): Excel's
 * serial day numbers (day 25569 is 1970-01-01), and Unix seconds and milliseconds. */
static const struct {
    const char *name;
    double lo, hi, per_day, day0;
} numeric_dates[] = {
    {"Excel serial day numbers", 32874.0, 73051.0, 1.0, 25569.0},
    {"Unix timestamps in seconds", 631152000.0, 4102444800.0, 86400.0, 0.0},
    {"Unix timestamps in milliseconds", 631152000000.0, 4102444800000.0, 86400000.0, 0.0},
};

int mql_column_numeric_to_date(mql_column *c, const char **form)
{
    *form = NULL;
    if (c->type != MQL_COL_NUMERIC || c->n_missing >= c->n_rows)
        return MQL_EDATA;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < c->n_rows; i++)
        if (!isnan(c->num[i])) {
            lo = c->num[i] < lo ? c->num[i] : lo;
            hi = c->num[i] > hi ? c->num[i] : hi;
        }
    size_t f = 0, nf = sizeof numeric_dates / sizeof numeric_dates[0];
    while (f < nf && !(lo >= numeric_dates[f].lo && hi <= numeric_dates[f].hi))
        f++;
    if (f == nf)
        return MQL_EDATA;
    double *v = c->num;
    if (c->borrowed) {           /* never written through: converted into an array of its own */
        if (!(v = malloc((c->n_rows ? c->n_rows : 1) * sizeof *v)))
            return MQL_ENOMEM;
        memcpy(v, c->num, c->n_rows * sizeof *v);
        c->num = v;
        c->borrowed = 0;
    }
    int has_time = 0;
    for (size_t i = 0; i < c->n_rows; i++) {
        if (isnan(v[i]))
            continue;
        v[i] = v[i] / numeric_dates[f].per_day - numeric_dates[f].day0;
        has_time |= v[i] != floor(v[i]);
    }
    c->type = MQL_COL_DATE;
    c->has_time = has_time;
    c->plain_decimal = 0;
    c->decimals = 0;
    *form = numeric_dates[f].name;
    return MQL_OK;
}

/* The words that label a totals row, compared ignoring case, blanks, a trailing colon and a
 * count in parentheses after them (Salesforce's "Grand Totals (2,000 records)"). */
int mql_totals_label(const char *s, size_t len)
{
    static const char *const words[] = {"total", "totals", "grand total", "grand totals",
                                        "subtotal", "sum"};
    size_t n = mql_trim_span(s, len, &s);
    if (n && s[n - 1] == ')') {
        size_t k = n - 1;
        while (k > 0 && s[k] != '(')
            k--;
        if (s[k] == '(')
            n = mql_trim_span(s, k, &s);
    }
    if (n && s[n - 1] == ':')
        n--;
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (mql_span_ieq(s, n, words[k], strlen(words[k])))
            return 1;
    return 0;
}

int mql_totals_row_cells(const char *first, size_t n, size_t n_empty, size_t n_other)
{
    return n_other > 0 && mql_totals_label(first, n) && 2 * n_empty >= n_other;
}

int mql_table_totals_row(const mql_table *t, size_t *n_empty)
{
    *n_empty = 0;
    if (t->n_rows < 2 || t->n_cols < 2)
        return 0;
    const mql_column *c = &t->cols[0];
    size_t r = t->n_rows - 1;
    if ((c->type != MQL_COL_CATEGORICAL && c->type != MQL_COL_ID) || !c->code || !c->levels ||
        c->code[r] == MQL_NA_CODE || c->code[r] >= c->n_levels)
        return 0;
    const char *first = c->levels[c->code[r]];
    if (!mql_totals_label(first, strlen(first)))
        return 0;
    for (size_t j = 1; j < t->n_cols; j++)
        *n_empty += mql_cell_missing(&t->cols[j], r) != 0;
    return mql_totals_row_cells(first, strlen(first), *n_empty, t->n_cols - 1);
}

/* Whether cell s (n bytes) is the header name h, or h after a UTF-8 byte order mark: the
 * second export of `cat a.csv b.csv` brings its own mark, where only the file's first is taken
 * off. */
int mql_header_cell_is(const char *s, size_t n, const char *h)
{
    size_t nh = strlen(h);
    if (n == nh + 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
        s += 3;
        n -= 3;
    }
    return n == nh && memcmp(s, h, n) == 0;
}

/* The level of text column c that reads name (mql_header_cell_is), or c->n_levels when there is
 * none (a column of numbers, dates or yes/no has no level that is a name). */
static size_t level_named(const mql_column *c, const char *name)
{
    if ((c->type != MQL_COL_CATEGORICAL && c->type != MQL_COL_ID) || !c->levels || !c->code)
        return c->n_levels;
    for (size_t k = 0; k < c->n_levels; k++)
        if (c->levels[k] && mql_header_cell_is(c->levels[k], strlen(c->levels[k]), name))
            return k;
    return c->n_levels;
}

int mql_table_header_row(const mql_table *t, size_t *row)
{
    if (t->n_rows == 0 || t->n_cols < 2)
        return 0;
    /* A header line among the data makes every column text: a column of numbers, dates or
     * yes/no rules the file out at once, before any level is searched. */
    for (size_t j = 0; j < t->n_cols; j++)
        if (t->cols[j].type != MQL_COL_CATEGORICAL && t->cols[j].type != MQL_COL_ID)
            return 0;
    const mql_column *c0 = &t->cols[0];
    size_t k0 = level_named(c0, c0->name);
    if (k0 == c0->n_levels)
        return 0;
    for (size_t r = 0; r < t->n_rows; r++) {
        if (c0->code[r] != k0)
            continue;
        size_t j = 1;
        for (; j < t->n_cols; j++) {
            const mql_column *c = &t->cols[j];
            if (c->no_values)        /* no cell of it is its name (mql_column.no_values) */
                break;
            uint32_t code = c->code[r];
            if (code == MQL_NA_CODE || code >= c->n_levels || strcmp(c->levels[code], c->name))
                break;
        }
        if (j == t->n_cols) {
            *row = r;
            return 1;
        }
    }
    return 0;
}

int mql_header_row_error(const char *path, size_t line, mql_err *err)
{
    return mql_err_set(err, MQL_EDATA, "%s:%zu: the header line again (each cell is its "
                       "column's name): two exports joined into one file? Delete the repeated "
                       "header lines", path, line);
}

size_t mql_column_db_nulls(const mql_column *c)
{
    if (c->type != MQL_COL_CATEGORICAL || !c->levels)
        return 0;
    for (size_t k = 0; k < c->n_levels; k++)
        if (c->levels[k] && strcmp(c->levels[k], "\\N") == 0) {
            if (c->level_count)
                return c->level_count[k];
            size_t n = 0;
            for (size_t r = 0; r < c->n_rows; r++)
                n += c->code[r] == k;
            return n;
        }
    return 0;
}

/* Whether text s reads as a number once a percent sign, or a currency sign or code, and the
 * grouping around it are taken away: "65%", "$1,234.50", "1.234,50 EUR", "EUR 1 234". Returns
 * 1 for a percentage, 2 for an amount, 0 otherwise. */
static int formatted_number(const char *s)
{
    static const char *const marks[] = {"$", "\xe2\x82\xac", "\xc2\xa3", "EUR", "USD", "GBP",
                                        "CHF"};
    size_t n = mql_trim_span(s, strlen(s), &s);
    int kind = 0;
    if (n > 1 && s[n - 1] == '%') {
        kind = 1;
        n--;
    } else {
        for (size_t k = 0; k < sizeof marks / sizeof *marks && !kind; k++) {
            size_t m = strlen(marks[k]);
            if (n > m && strncmp(s, marks[k], m) == 0) {
                s += m;
                n -= m;
                kind = 2;
            } else if (n > m && strncmp(s + n - m, marks[k], m) == 0) {
                n -= m;
                kind = 2;
            }
        }
    }
    if (!kind)
        return 0;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= '0' && c <= '9')
            digits++;
        else if (c != '.' && c != ',' && c != ' ' && c != '-' && c != '+' && c != '\'')
            return 0;
    }
    return digits ? kind : 0;
}

int mql_column_formatted_numbers(const mql_column *c)
{
    if (c->type != MQL_COL_CATEGORICAL || !c->levels || c->n_levels < 2)
        return 0;
    size_t pct = 0, money = 0;
    for (size_t k = 0; k < c->n_levels; k++) {
        int f = formatted_number(c->levels[k]);
        pct += f == 1;
        money += f == 2;
    }
    if (10 * pct >= 9 * c->n_levels)
        return 1;
    return 10 * money >= 9 * c->n_levels ? 2 : 0;
}
