/* lookup.c: lookup joins (--lookup FILE --on COL): a second file's columns brought into each lead
 * by key, as a left join, with the counts and near misses a person needs to trust it. */
#include "mqlcal/lookup.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mql_lookup_report_clear(mql_lookup_report *r)
{
    if (!r)
        return;
    for (size_t k = 0; k < r->n_renamed; k++)
        free(r->renamed[k]);
    free(r->renamed);
    for (size_t k = 0; k < r->n_miss; k++) {
        free(r->miss[k].key);
        free(r->miss[k].near);
    }
    free(r->miss);
    memset(r, 0, sizeof *r);
}

/* One lookup key: its text (borrowed from the lookup table), its number when the leads' key is
 * numeric or a date, and its row. */
typedef struct lkey {
    const char *s;
    double v;
    size_t row;
} lkey;

static int cmp_text(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    int c = strcmp(x->s, y->s);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

static int cmp_num(const void *a, const void *b)
{
    const lkey *x = a, *y = b;
    if (x->v != y->v)
        return (x->v > y->v) - (x->v < y->v);
    return (x->row > y->row) - (x->row < y->row);
}

/* The key with the lowest row equal to probe, or NULL. */
static const lkey *find_key(const lkey *v, size_t n, const lkey *probe, int numeric)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = numeric ? (v[mid].v < probe->v ? -1 : v[mid].v > probe->v)
                        : strcmp(v[mid].s, probe->s);
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n)
        return NULL;
    int eq = numeric ? v[lo].v == probe->v : strcmp(v[lo].s, probe->s) == 0;
    return eq ? &v[lo] : NULL;
}

/* The key folded for near matches: letters and digits only, lower case. malloc'd. */
static char *fold(const char *s)
{
    char *o = malloc(strlen(s) + 1);
    size_t k = 0;
    if (!o)
        return NULL;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            o[k++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
            o[k++] = (char)c;
    }
    o[k] = '\0';
    return o;
}

/* The lookup file's base name without directory and extension ("sales_teams"). */
static void base_name(const char *path, char *buf, size_t cap)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot > b ? (size_t)(dot - b) : strlen(b);
    snprintf(buf, cap, "%.*s", (int)n, b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Column s of the lookup gathered into d for the leads: row_of[i] is the lookup row of lead i
 * or -1. d is zeroed by the caller; on failure it holds what was allocated. */
static int gather(const mql_column *s, const long *row_of, size_t n, const char *name,
                  mql_column *d)
{
    d->type = s->type;
    d->has_time = s->has_time;
    d->n_rows = n;
    if (!(d->name = mql_strdup(name)) ||
        (s->true_label && !(d->true_label = mql_strdup(s->true_label))) ||
        (s->false_label && !(d->false_label = mql_strdup(s->false_label))))
        return -1;
    size_t cap = n ? n : 1;
    if (s->num) {
        double *used = malloc(cap * sizeof *used);
        if (!used || !(d->num = malloc(cap * sizeof *d->num))) {
            free(used);
            return -1;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double x = row_of[i] >= 0 ? s->num[row_of[i]] : NAN;
            d->num[i] = x;
            if (isnan(x))
                d->n_missing++;
            else
                used[m++] = x;
        }
        qsort(used, m, sizeof *used, cmp_double);
        for (size_t k = 0; k < m; k++)
            d->n_distinct += k == 0 || used[k] != used[k - 1];
        free(used);
    }
    if (s->code) {
        size_t L = s->n_levels;
        d->levels = calloc(L ? L : 1, sizeof *d->levels);
        d->level_count = calloc(L ? L : 1, sizeof *d->level_count);
        if (!d->levels || !d->level_count || !(d->code = malloc(cap * sizeof *d->code)))
            return -1;
        for (size_t k = 0; k < L; k++, d->n_levels++)
            if (!(d->levels[k] = mql_strdup(s->levels[k])))
                return -1;
        for (size_t i = 0; i < n; i++) {
            uint32_t c = row_of[i] >= 0 ? s->code[row_of[i]] : MQL_NA_CODE;
            d->code[i] = c;
            if (c == MQL_NA_CODE)
                d->n_missing++;
            else
                d->level_count[c]++;
        }
        for (size_t k = 0; k < L; k++)
            d->n_distinct += d->level_count[k] > 0;
    }
    if (s->type == MQL_COL_BOOLEAN)
        d->n_distinct = d->n_distinct > 2 ? 2 : d->n_distinct;
    return 0;
}

/* A column identifier-like in the lookup file (one row per key: every attribute of a small file
 * looks distinct there) is judged again on the leads by the share rule of the reader: at least
 * 95% distinct among the filled cells stays an identifier; otherwise it becomes numeric when
 * every level is a number (year_established), else categorical. Returns 0 or -1. */
static int retype(mql_column *d)
{
    size_t filled = d->n_rows - d->n_missing;
    if (d->type != MQL_COL_ID || (filled >= 20 && (double)d->n_distinct >= 0.95 * (double)filled))
        return 0;
    double *v = malloc((d->n_levels ? d->n_levels : 1) * sizeof *v);
    if (!v)
        return -1;
    int numeric = 1;
    for (size_t k = 0; numeric && k < d->n_levels; k++)
        numeric = mql_parse_double(d->levels[k], &v[k]) == 0;
    if (!numeric) {
        free(v);
        d->type = MQL_COL_CATEGORICAL;
        return 0;
    }
    double *num = malloc((d->n_rows ? d->n_rows : 1) * sizeof *num);
    if (!num) {
        free(v);
        return -1;
    }
    for (size_t i = 0; i < d->n_rows; i++)
        num[i] = d->code[i] == MQL_NA_CODE ? NAN : v[d->code[i]];
    free(v);
    mql_column_free_levels(d);
    free(d->code);
    d->code = NULL;
    d->n_levels = 0;
    d->num = num;
    d->type = MQL_COL_NUMERIC;
    return 0;
}

static void column_free(mql_column *c)
{
    free(c->name);
    free(c->num);
    free(c->code);
    mql_column_free_levels(c);
    free(c->true_label);
    free(c->false_label);
    free(c->unreadable_text);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_miss(const void *a, const void *b)
{
    const mql_lookup_miss *x = a, *y = b;
    if (x->rows != y->rows)
        return x->rows < y->rows ? 1 : -1;
    return strcmp(x->key, y->key);
}

/* Counts the unmatched keys of the leads and looks for near matches among the lookup keys.
 * keys[i] is lead i's key text or NULL when missing; fills rep->miss (most leads first). */
static int collect_misses(const char *const *keys, const long *row_of, size_t n,
                          const lkey *lk, size_t n_lk, mql_lookup_report *rep)
{
    size_t m = 0;
    const char **u = malloc((n ? n : 1) * sizeof *u);
    char **folded = calloc(n_lk ? n_lk : 1, sizeof *folded);
    int st = 0;
    if (!u || !folded) {
        free(u);
        free(folded);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (row_of[i] < 0 && keys[i])
            u[m++] = keys[i];
    qsort(u, m, sizeof *u, cmp_str_ptr);
    size_t groups = 0;
    for (size_t i = 0; i < m; i++)
        groups += i == 0 || strcmp(u[i], u[i - 1]) != 0;
    if (groups && !(rep->miss = calloc(groups, sizeof *rep->miss)))
        st = -1;
    for (size_t k = 0; !st && k < n_lk; k++)
        if (!(folded[k] = fold(lk[k].s)))
            st = -1;
    for (size_t i = 0; !st && i < m; i++) {
        if (i > 0 && strcmp(u[i], u[i - 1]) == 0) {
            rep->miss[rep->n_miss - 1].rows++;
            continue;
        }
        mql_lookup_miss *x = &rep->miss[rep->n_miss++];
        x->rows = 1;
        char *f = fold(u[i]);
        if (!(x->key = mql_strdup(u[i])) || !f) {
            free(f);
            st = -1;
            break;
        }
        for (size_t k = 0; *f && k < n_lk; k++)
            if (strcmp(folded[k], f) == 0) {
                if (!(x->near = mql_strdup(lk[k].s)))
                    st = -1;
                break;
            }
        free(f);
    }
    if (!st && rep->n_miss)       /* with no miss, rep->miss is NULL: not for qsort */
        qsort(rep->miss, rep->n_miss, sizeof *rep->miss, cmp_miss);
    for (size_t k = 0; k < n_lk; k++)
        free(folded[k]);
    free(folded);
    free(u);
    return st;
}

int mql_table_lookup(mql_table *t, const char *key, const mql_table *lk, const char *lk_key,
                     mql_lookup_report *rep, mql_err *err)
{
    memset(rep, 0, sizeof *rep);
    long kj, lj;
    int st;
    if ((st = mql_table_require(t, key, &kj, err)) || (st = mql_table_require(lk, lk_key, &lj, err)))
        return st;
    const mql_column *kc = &t->cols[kj], *lc = &lk->cols[lj];
    if (!lc->code)
        return mql_err_set(err, MQL_EUSAGE, "%s: key column '%s' must be read as text",
                           lk->source, lk_key);
    size_t n = t->n_rows, n_lk = 0;
    int numeric = kc->type == MQL_COL_NUMERIC || kc->type == MQL_COL_DATE;
    lkey *v = malloc((lk->n_rows ? lk->n_rows : 1) * sizeof *v);
    long *row_of = malloc((n ? n : 1) * sizeof *row_of);
    const char **keys = calloc(n ? n : 1, sizeof *keys);
    char *texts = NULL;
    mql_column *add = NULL;
    size_t n_add = 0;
    st = MQL_ENOMEM;
    if (!v || !row_of || !keys)
        goto oom;
    for (size_t r = 0; r < lk->n_rows; r++) {
        uint32_t c = lc->code[r];
        if (c == MQL_NA_CODE) {
            st = mql_err_set(err, MQL_EDATA, "%s:%zu: the key '%s' is empty (every row of a "
                             "lookup file needs its key)", lk->source, mql_table_line(lk, r), lk_key);
            goto fail;
        }
        lkey *x = &v[n_lk++];
        x->s = lc->levels[c];
        x->row = r;
        x->v = NAN;
        if (numeric) {
            int ht;
            if (kc->type == MQL_COL_DATE ? mql_date_parse(x->s, strlen(x->s), &x->v, &ht)
                                         : mql_parse_double(x->s, &x->v))
                x->v = NAN;      /* never equal to a lead's key */
        }
    }
    qsort(v, n_lk, sizeof *v, numeric ? cmp_num : cmp_text);
    for (size_t k = 1; k < n_lk; k++) {
        int dup = numeric ? !isnan(v[k].v) && v[k].v == v[k - 1].v : strcmp(v[k].s, v[k - 1].s) == 0;
        if (dup) {
            st = mql_err_set(err, MQL_EDATA, "%s:%zu: key '%s' repeats line %zu: a lookup file "
                             "needs one row per %s", lk->source, mql_table_line(lk, v[k].row), v[k].s,
                             mql_table_line(lk, v[k - 1].row), lk_key);
            goto fail;
        }
    }
    /* The leads' keys as text (for misses) and their lookup rows. */
    const size_t tcap = 64;
    if (!kc->code && !(texts = malloc((n ? n : 1) * tcap)))
        goto oom;
    for (size_t i = 0; i < n; i++) {
        row_of[i] = -1;
        if (mql_cell_missing(kc, i)) {
            rep->n_no_key++;
            continue;
        }
        lkey probe = {NULL, NAN, 0};
        if (kc->code) {
            keys[i] = kc->levels[kc->code[i]];
        } else {
            keys[i] = mql_cell_text(kc, i, texts + i * tcap, tcap);
            probe.v = kc->num[i];
        }
        probe.s = keys[i];
        const lkey *hit = find_key(v, n_lk, &probe, numeric);
        if (hit) {
            row_of[i] = (long)hit->row;
            rep->n_matched++;
        } else {
            rep->n_unmatched++;
        }
    }
    if (collect_misses(keys, row_of, n, v, n_lk, rep))
        goto oom;
    /* The new columns, named and checked before t changes. */
    char base[256];
    base_name(lk->source, base, sizeof base);
    if (!(add = calloc(lk->n_cols ? lk->n_cols : 1, sizeof *add)))
        goto oom;
    for (size_t j = 0; j < lk->n_cols; j++) {
        if ((long)j == lj)
            continue;
        const char *nm = lk->cols[j].name;
        char pref[512];
        int clash = mql_table_find(t, nm) >= 0;
        for (size_t q = 0; q < n_add && !clash; q++)
            clash = strcmp(add[q].name, nm) == 0;
        if (clash) {
            snprintf(pref, sizeof pref, "%s.%s", base, nm);
            int again = mql_table_find(t, pref) >= 0;
            for (size_t q = 0; q < n_add && !again; q++)
                again = strcmp(add[q].name, pref) == 0;
            if (again) {
                st = mql_err_set(err, MQL_EDATA, "%s: column '%s' is in the leads already, and "
                                 "so is '%s'", lk->source, nm, pref);
                goto fail;
            }
            char **rn = realloc(rep->renamed, (rep->n_renamed + 1) * sizeof *rn);
            if (!rn)
                goto oom;
            rep->renamed = rn;
            size_t len = strlen(nm) + strlen(pref) + 8;
            if (!(rn[rep->n_renamed] = malloc(len)))
                goto oom;
            snprintf(rn[rep->n_renamed++], len, "%s -> %s", nm, pref);
            nm = pref;
        }
        n_add++;
        if (gather(&lk->cols[j], row_of, n, nm, &add[n_add - 1]) || retype(&add[n_add - 1]))
            goto oom;
    }
    mql_column *cols = realloc(t->cols, (t->n_cols + n_add ? t->n_cols + n_add : 1) * sizeof *cols);
    if (!cols)
        goto oom;
    t->cols = cols;
    memcpy(t->cols + t->n_cols, add, n_add * sizeof *add);
    t->n_cols += n_add;
    rep->n_rows = n;
    rep->n_lookup_rows = lk->n_rows;
    rep->n_added = n_add;
    free(add);
    free(v);
    free(row_of);
    free(keys);
    free(texts);
    return MQL_OK;
oom:
    st = mql_err_set(err, MQL_ENOMEM, "%s: out of memory", lk->source);
fail:
    for (size_t q = 0; add && q < n_add; q++)
        column_free(&add[q]);
    free(add);
    free(v);
    free(row_of);
    free(keys);
    free(texts);
    mql_lookup_report_clear(rep);
    return st;
}
