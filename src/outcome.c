/* outcome.c: the outcome column read as won / lost / open, so open deals never count as lost
 * and values nobody placed are named instead of silently read as lost. */
#include "mqlcal/outcome.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/value.h"

enum { CLS_UNKNOWN = -1, CLS_LOST = 0, CLS_POS = 1, CLS_OPEN = 2 };

/* One distinct value of the outcome column. */
typedef struct item {
    const char *text;        /* a level, or the number's text in buf */
    char buf[40];
    double v;                /* numeric columns */
    size_t count;
    int cls;
} item;

void mql_outcome_clear(mql_outcome *o)
{
    if (!o)
        return;
    free(o->y);
    free(o->open);
    memset(o, 0, sizeof *o);
}

/* A false value by value.h's equality (0, 0.0, false, no, n, f in any case) or lost. */
static int falsy_word(const char *s)
{
    mql_cell c;
    mql_cell_from_text(&c, s, NULL, 0);
    return mql_cell_truth(&c) == 0 || mql_value_eq(s, "lost");
}

/* Whether list value s names item it (text ignoring case; numbers by value). */
static int names(const char *s, const item *it, int numeric)
{
    double x;
    if (numeric)
        return mql_parse_double(s, &x) == 0 && x == it->v;
    return mql_value_eq(s, it->text);     /* value.h's equality: case, blanks, spelling */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_count(const void *a, const void *b)
{
    const item *x = *(const item *const *)a, *y = *(const item *const *)b;
    if (x->count != y->count)
        return (x->count < y->count) - (x->count > y->count);
    return strcmp(x->text, y->text);
}

/* "Lost 2,473, Engaging 1,589" of the items with class cls, most rows first, into buf. */
static void list_items(item *it, size_t n, int cls, char *buf, size_t cap)
{
    item **p = malloc((n ? n : 1) * sizeof *p);
    size_t m = 0, o = 0;
    buf[0] = '\0';
    if (!p)
        return;
    for (size_t k = 0; k < n; k++)
        if (it[k].cls == cls)
            p[m++] = &it[k];
    qsort(p, m, sizeof *p, cmp_count);
    for (size_t k = 0; k < m && o + 1 < cap; k++) {
        char g[32];
        if (k == 12) {
            snprintf(buf + o, cap - o, ", and %zu more", m - k);
            break;
        }
        int w = snprintf(buf + o, cap - o, "%s%s (%s lead%s)", k ? ", " : "", p[k]->text,
                         mql_fmt_grouped((double)p[k]->count, g, sizeof g),
                         p[k]->count == 1 ? "" : "s");
        if (w < 0 || (size_t)w >= cap - o)
            break;
        o += (size_t)w;
    }
    free(p);
}

/* Checks a list option's values against the items and marks them with cls. */
static int mark(const char *opt, const char *const *list, size_t n_list, item *it, size_t n,
                int numeric, int cls, const char *col, mql_err *err)
{
    for (size_t q = 0; q < n_list; q++) {
        int found = 0;
        for (size_t k = 0; k < n; k++) {
            if (!names(list[q], &it[k], numeric))
                continue;
            found = 1;
            if (it[k].cls == CLS_POS || (it[k].cls != CLS_UNKNOWN && it[k].cls != cls))
                return mql_err_set(err, MQL_EUSAGE, "%s: '%s' is %s already", opt, list[q],
                                   it[k].cls == CLS_POS ? "the won value" : "listed as lost");
            it[k].cls = cls;
        }
        if (!found) {
            char vals[512];
            vals[0] = '\0';
            size_t o = 0;
            for (size_t k = 0; k < n && o + 1 < sizeof vals; k++) {
                int w = snprintf(vals + o, sizeof vals - o, "%s%s", k ? ", " : "", it[k].text);
                if (w < 0 || (size_t)w >= sizeof vals - o)
                    break;
                o += (size_t)w;
            }
            return mql_err_set(err, MQL_EUSAGE, "%s: '%s' is not a value of column '%s' "
                               "(values: %s)", opt, list[q], col, vals);
        }
    }
    return MQL_OK;
}

int mql_outcome_eval(const mql_table *t, const mql_outcome_spec *spec, mql_outcome *out,
                     mql_err *err)
{
    memset(out, 0, sizeof *out);
    out->col = -1;
    mql_flag_spec fs;
    int st = mql_flag_spec_parse(spec->text, &fs, err);
    if (st)
        return st;
    long j;
    item *it = NULL;
    double *vals = NULL;
    size_t n_it = 0, n = t->n_rows;
    int lists = spec->n_lost || spec->n_open;
    if ((st = mql_table_require(t, fs.column, &j, err))) {
        mql_err_prefix(err, st, "--outcome");
        goto done;
    }
    out->col = j;
    const mql_column *c = &t->cols[j];
    if (!(out->y = malloc(n ? n : 1))) {
        st = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if ((st = mql_flag_eval(t, &fs, out->y, err)))
        goto done;
    if (c->type == MQL_COL_BOOLEAN || c->type == MQL_COL_DATE) {
        if (lists) {
            st = mql_err_set(err, MQL_EUSAGE, "%s: column '%s' is %s: won is %s, and it takes "
                             "no --lost or --open", spec->n_lost ? "--lost" : "--open", c->name,
                             mql_coltype_name(c->type),
                             c->type == MQL_COL_DATE ? "a filled date" : "true");
            goto done;
        }
        for (size_t i = 0; i < n; i++) {
            out->n_pos += out->y[i];
            out->n_missing_lost += c->type == MQL_COL_BOOLEAN && mql_cell_missing(c, i);
        }
        out->n_lost = n - out->n_pos;
        goto done;
    }
    int numeric = c->num != NULL;
    /* The distinct values with their row counts. */
    if (numeric) {
        if (!(vals = malloc((n ? n : 1) * sizeof *vals))) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (!isnan(c->num[i]))
                vals[m++] = c->num[i];
        qsort(vals, m, sizeof *vals, cmp_double);
        for (size_t k = 0; k < m; k++)
            n_it += k == 0 || vals[k] != vals[k - 1];
        if (!(it = calloc(n_it ? n_it : 1, sizeof *it))) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        size_t q = 0;
        for (size_t k = 0; k < m; k++) {
            if (k > 0 && vals[k] == vals[k - 1]) {
                it[q - 1].count++;
                continue;
            }
            it[q].v = vals[k];
            it[q].count = 1;
            mql_fmt_shortest(vals[k], it[q].buf, sizeof it[q].buf);
            it[q].text = it[q].buf;
            q++;
        }
    } else {
        n_it = c->n_levels;
        if (!(it = calloc(n_it ? n_it : 1, sizeof *it))) {
            st = mql_err_set(err, MQL_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t k = 0; k < n_it; k++)
            it[k].text = c->levels[k];
        for (size_t i = 0; i < n; i++)
            if (c->code[i] != MQL_NA_CODE)
                it[c->code[i]].count++;
    }
    for (size_t k = 0; k < n_it; k++)
        it[k].cls = CLS_UNKNOWN;
    /* Positive values, as mql_flag_eval placed their rows. */
    for (size_t i = 0; i < n; i++) {
        if (!out->y[i])
            continue;
        if (numeric) {
            item key = {.v = c->num[i]};
            for (size_t lo = 0, hi = n_it; lo < hi;) {
                size_t mid = lo + (hi - lo) / 2;
                if (it[mid].v < key.v)
                    lo = mid + 1;
                else if (it[mid].v > key.v)
                    hi = mid;
                else {
                    it[mid].cls = CLS_POS;
                    break;
                }
            }
        } else {
            it[c->code[i]].cls = CLS_POS;
        }
    }
    if ((st = mark("--lost", spec->lost, spec->n_lost, it, n_it, numeric, CLS_LOST, c->name,
                   err)) ||
        (st = mark("--open", spec->open, spec->n_open, it, n_it, numeric, CLS_OPEN, c->name,
                   err)))
        goto done;
    /* The values no list placed. */
    size_t n_unknown = 0;
    for (size_t k = 0; k < n_it; k++)
        n_unknown += it[k].cls == CLS_UNKNOWN && it[k].count > 0;
    if (n_unknown) {
        if (spec->n_open && !spec->n_lost) {
            for (size_t k = 0; k < n_it; k++)
                if (it[k].cls == CLS_UNKNOWN)
                    it[k].cls = CLS_LOST;
        } else if (!lists) {
            /* The reading before open outcomes: the other of two values, or the false words. */
            size_t n_vals = 0;
            for (size_t k = 0; k < n_it; k++)
                n_vals += it[k].count > 0;
            for (size_t k = 0; k < n_it; k++)
                if (it[k].cls == CLS_UNKNOWN &&
                    (fs.value ? n_vals <= 2
                              : numeric ? it[k].v == 0 : falsy_word(it[k].text)))
                    it[k].cls = CLS_LOST;
        }
    }
    n_unknown = 0;
    int any_pos = 0;
    for (size_t k = 0; k < n_it; k++) {
        n_unknown += it[k].cls == CLS_UNKNOWN && it[k].count > 0;
        any_pos |= it[k].cls == CLS_POS;
    }
    if (n_unknown && !any_pos) {
        /* No won value at all: the caller's "no positive rows" message (with the column's
         * common values) says more than a list of unplaced values would. */
        for (size_t k = 0; k < n_it; k++)
            if (it[k].cls == CLS_UNKNOWN)
                it[k].cls = CLS_LOST;
        n_unknown = 0;
    }
    if (n_unknown) {
        char unk[640], pos[160] = "", lost[160] = "";
        list_items(it, n_it, CLS_UNKNOWN, unk, sizeof unk);
        for (size_t k = 0, o = 0; k < n_it && o + 1 < sizeof pos; k++)
            if (it[k].cls == CLS_POS) {
                int w = snprintf(pos + o, sizeof pos - o, "%s%s", o ? ", " : "", it[k].text);
                if (w < 0 || (size_t)w >= sizeof pos - o)
                    break;
                o += (size_t)w;
            }
        for (size_t k = 0, o = 0; k < n_it && o + 1 < sizeof lost; k++)
            if (it[k].cls == CLS_LOST && it[k].count) {
                int w = snprintf(lost + o, sizeof lost - o, "%s%s", o ? ", " : "", it[k].text);
                if (w < 0 || (size_t)w >= sizeof lost - o)
                    break;
                o += (size_t)w;
            }
        st = mql_err_set(err, MQL_EDATA,
                         "--outcome %s: %zu value%s of column '%s' %s neither won%s%s%s nor "
                         "lost%s%s%s: %s; say which are lost (--lost A,B) and which are not "
                         "closed yet (--open C,D)",
                         spec->text, n_unknown, n_unknown == 1 ? "" : "s", c->name,
                         n_unknown == 1 ? "is" : "are", *pos ? " (" : "", pos, *pos ? ")" : "",
                         *lost ? " (" : "", lost, *lost ? ")" : "", unk);
        goto done;
    }
    /* Rows. */
    for (size_t i = 0; i < n; i++) {
        int cls;
        if (mql_cell_missing(c, i)) {
            cls = lists ? CLS_OPEN : CLS_LOST;
            out->n_open_missing += lists != 0;
            out->n_missing_lost += lists == 0;
        } else if (numeric) {
            size_t lo = 0, hi = n_it;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (it[mid].v < c->num[i])
                    lo = mid + 1;
                else
                    hi = mid;
            }
            cls = it[lo].cls;
        } else {
            cls = it[c->code[i]].cls;
        }
        if (cls == CLS_OPEN) {
            if (!out->open && !(out->open = calloc(n ? n : 1, 1))) {
                st = mql_err_set(err, MQL_ENOMEM, "out of memory");
                goto done;
            }
            out->open[i] = 1;
            out->y[i] = 0;
            out->n_open++;
        } else if (out->y[i]) {
            out->n_pos++;
        } else {
            out->n_lost++;
        }
    }
done:
    free(it);
    free(vals);
    mql_flag_spec_clear(&fs);
    if (st)
        mql_outcome_clear(out);
    return st;
}
