/* design.c: lead table -> design matrix for logistic regression. Building chooses the encoding
 * from the training table; binding maps any table onto it (design_fill.c writes the rows). */
#include "mqlcal/design.h"
#include "mqlcal/design_scan.h"
#include "mqlcal/value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== small helpers ======================================================================== */

/* malloc'd printf; NULL on allocation failure. */
static char *xprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Shortest "%.Ng" that reads back as v, so labels show 3 and 2.5 rather than 2.5000000000000000. */
static void fmt_num(double v, char *buf, size_t cap)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
}

static int list_push(char ***arr, size_t *n, const char *s)
{
    char *c = mql_strdup(s);
    if (!c)
        return -1;
    char **a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a) {
        free(c);
        return -1;
    }
    a[(*n)++] = c;
    *arr = a;
    return 0;
}

static void list_free(char **arr, size_t n)
{
    for (size_t i = 0; arr && i < n; i++)
        free(arr[i]);
    free(arr);
}

static int list_has(char *const *arr, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(arr[i], s) == 0)
            return 1;
    return 0;
}

static long table_find(const mql_table *t, const char *name)
{
    for (size_t i = 0; i < t->n_cols; i++)
        if (t->cols[i].name && strcmp(t->cols[i].name, name) == 0)
            return (long)i;
    return -1;
}

static const char *type_word(mql_coltype t)
{
    switch (t) {
    case MQL_COL_NUMERIC: return "numeric";
    case MQL_COL_BOOLEAN: return "boolean";
    case MQL_COL_CATEGORICAL: return "categorical";
    case MQL_COL_DATE: return "a date";
    case MQL_COL_ID: return "identifier-like";
    }
    return "of unknown type";
}

static const char *enc_word(mql_encoding e)
{
    switch (e) {
    case MQL_ENC_CATEGORICAL: return "categorical";
    case MQL_ENC_BOOLEAN: return "boolean";
    case MQL_ENC_LINEAR: return "linear";
    case MQL_ENC_BINNED: return "binned";
    }
    return "unknown";
}

static const char *src_name(const mql_table *t)
{
    return t->source ? t->source : "the table";
}

/* Trims blanks around [s, s+n) and returns a malloc'd copy. */
static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return mql_strndup(s, n);
}

/* Splits a comma list into *arr (appending). Empty items are a usage error naming opt. */
static int split_names(const char *opt, const char *text, char ***arr, size_t *n, mql_err *err)
{
    if (!text || !*text)
        return mql_err_set(err, MQL_EUSAGE, "%s: expected a comma-separated list of columns", opt);
    const char *p = text;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char *name = trimmed(p, len);
        if (!name)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if (!*name) {
            free(name);
            return mql_err_set(err, MQL_EUSAGE, "%s: empty column name in '%s'", opt, text);
        }
        int dup = list_has(*arr, *n, name);
        int rc = dup ? 0 : list_push(arr, n, name);
        free(name);
        if (rc)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        if (!q)
            return MQL_OK;
        p = q + 1;
    }
}

/* ==== options ============================================================================== */

void mql_design_opts_init(mql_design_opts *o)
{
    memset(o, 0, sizeof *o);
    o->min_level_count = 10;
    o->reference = MQL_REF_FREQUENT;
}

void mql_design_opts_clear(mql_design_opts *o)
{
    if (!o)
        return;
    list_free(o->features, o->n_features);
    list_free(o->exclude, o->n_exclude);
    list_free(o->roles, o->n_roles);
    list_free(o->fit, o->n_fit);
    list_free(o->engagement, o->n_engagement);
    list_free(o->skip, o->n_skip);
    list_free(o->skip_why, o->n_skip);
    list_free(o->interactions, o->n_interactions);
    for (size_t i = 0; o->ref && i < o->n_ref; i++) {
        free(o->ref[i].column);
        free(o->ref[i].level);
    }
    free(o->ref);
    for (size_t i = 0; o->col_bins && i < o->n_col_bins; i++)
        free(o->col_bins[i].column);
    free(o->col_bins);
    for (size_t i = 0; o->cuts && i < o->n_cuts; i++) {
        free(o->cuts[i].column);
        free(o->cuts[i].cuts);
    }
    free(o->cuts);
    mql_design_opts_init(o);
}

int mql_design_opts_parse_reference(mql_design_opts *o, const char *text, mql_err *err)
{
    if (text && strcmp(text, "first") == 0) {
        o->reference = MQL_REF_FIRST;
        return MQL_OK;
    }
    if (text && strcmp(text, "frequent") == 0) {
        o->reference = MQL_REF_FREQUENT;
        return MQL_OK;
    }
    const char *eq = text ? strchr(text, '=') : NULL;
    if (!eq || eq == text || !eq[1])
        return mql_err_set(err, MQL_EUSAGE,
                           "--reference: expected 'first', 'frequent' or COLUMN=LEVEL, got '%s'",
                           text ? text : "");
    char *col = mql_strndup(text, (size_t)(eq - text));
    char *lev = mql_strdup(eq + 1);
    if (!col || !lev) {
        free(col);
        free(lev);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < o->n_ref; i++)
        if (strcmp(o->ref[i].column, col) == 0) {
            mql_err_set(err, MQL_EUSAGE, "--reference: column '%s' given twice", col);
            free(col);
            free(lev);
            return MQL_EUSAGE;
        }
    mql_ref_spec *r = realloc(o->ref, (o->n_ref + 1) * sizeof *r);
    if (!r) {
        free(col);
        free(lev);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    o->ref = r;
    o->ref[o->n_ref++] = (mql_ref_spec){col, lev};
    return MQL_OK;
}

int mql_design_opts_parse_cuts(mql_design_opts *o, const char *text, mql_err *err)
{
    const char *eq = text ? strrchr(text, '=') : NULL;
    if (!eq || eq == text || !eq[1])
        return mql_err_set(err, MQL_EUSAGE, "--cuts: expected COLUMN=a,b,c, got '%s'",
                           text ? text : "");
    size_t n = 1;
    for (const char *p = eq + 1; *p; p++)
        n += *p == ',';
    double *cuts = malloc(n * sizeof *cuts);
    char *col = mql_strndup(text, (size_t)(eq - text));
    if (!cuts || !col) {
        free(cuts);
        free(col);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    int rc = MQL_OK;
    const char *p = eq + 1;
    for (size_t k = 0; k < n && rc == MQL_OK; k++) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char *item = mql_strndup(p, len);
        if (!item)
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        else if (mql_parse_double(item, &cuts[k]) != 0)
            rc = mql_err_set(err, MQL_EUSAGE, "--cuts %s: '%s' is not a number", text, item);
        else if (k > 0 && !(cuts[k] > cuts[k - 1]))
            rc = mql_err_set(err, MQL_EUSAGE,
                             "--cuts %s: cut points must be strictly increasing", text);
        free(item);
        p = q ? q + 1 : p + len;
    }
    for (size_t i = 0; rc == MQL_OK && i < o->n_cuts; i++)
        if (strcmp(o->cuts[i].column, col) == 0)
            rc = mql_err_set(err, MQL_EUSAGE, "--cuts: column '%s' given twice", col);
    if (rc == MQL_OK) {
        mql_cuts_spec *c = realloc(o->cuts, (o->n_cuts + 1) * sizeof *c);
        if (!c) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        } else {
            o->cuts = c;
            o->cuts[o->n_cuts++] = (mql_cuts_spec){col, cuts, n};
            return MQL_OK;
        }
    }
    free(cuts);
    free(col);
    return rc;
}

int mql_design_opts_parse_bins(mql_design_opts *o, const char *text, mql_err *err)
{
    const char *eq = text ? strrchr(text, '=') : NULL;
    const char *num = eq ? eq + 1 : text;
    long nb;
    if (!text || eq == text || mql_parse_long(num, 2, 100, &nb) != 0)
        return mql_err_set(err, MQL_EUSAGE,
                           "--bins: expected N or COLUMN=N with N an integer from 2 to 100, "
                           "got '%s'",
                           text ? text : "");
    if (!eq) {
        o->bins = (size_t)nb;
        return MQL_OK;
    }
    char *col = mql_strndup(text, (size_t)(eq - text));
    if (!col)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < o->n_col_bins; i++)
        if (strcmp(o->col_bins[i].column, col) == 0) {
            mql_err_set(err, MQL_EUSAGE, "--bins: column '%s' given twice", col);
            free(col);
            return MQL_EUSAGE;
        }
    mql_bins_spec *b = realloc(o->col_bins, (o->n_col_bins + 1) * sizeof *b);
    if (!b) {
        free(col);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    o->col_bins = b;
    o->col_bins[o->n_col_bins++] = (mql_bins_spec){col, (size_t)nb};
    return MQL_OK;
}

int mql_design_opts_parse_group(mql_design_opts *o, mql_group g, const char *text, mql_err *err)
{
    const char *opt = g == MQL_GROUP_FIT ? "--fit" : "--engagement";
    const char *other = g == MQL_GROUP_FIT ? "--engagement" : "--fit";
    char ***arr = g == MQL_GROUP_FIT ? &o->fit : &o->engagement;
    size_t *n = g == MQL_GROUP_FIT ? &o->n_fit : &o->n_engagement;
    char **oarr = g == MQL_GROUP_FIT ? o->engagement : o->fit;
    size_t on = g == MQL_GROUP_FIT ? o->n_engagement : o->n_fit;
    size_t before = *n;
    int rc = split_names(opt, text, arr, n, err);
    for (size_t i = before; rc == MQL_OK && i < *n; i++)
        if (list_has(oarr, on, (*arr)[i]))
            rc = mql_err_set(err, MQL_EUSAGE, "%s: column '%s' is also given to %s", opt,
                             (*arr)[i], other);
    return rc;
}

int mql_design_opts_parse_features(mql_design_opts *o, const char *text, mql_err *err)
{
    return split_names("--features", text, &o->features, &o->n_features, err);
}

int mql_design_opts_parse_interactions(mql_design_opts *o, const char *text, mql_err *err)
{
    if (text && strcmp(text, "auto") == 0) {
        o->interactions_auto = 1;
        return MQL_OK;
    }
    int rc = split_names("--interactions", text, &o->interactions, &o->n_interactions, err);
    for (size_t i = 0; rc == MQL_OK && i < o->n_interactions; i++) {
        const char *c = strchr(o->interactions[i], ':');
        if (!c || c == o->interactions[i] || !c[1] || strchr(c + 1, ':'))
            rc = mql_err_set(err, MQL_EUSAGE, "--interactions: '%s' is not a pair 'a:b' (or use "
                             "'auto')", o->interactions[i]);
    }
    return rc;
}

int mql_design_opts_parse_exclude(mql_design_opts *o, const char *text, mql_err *err)
{
    return split_names("--exclude", text, &o->exclude, &o->n_exclude, err);
}

int mql_design_opts_parse_min_level_count(mql_design_opts *o, const char *text, mql_err *err)
{
    long v;
    if (mql_parse_long(text, 0, 1000000000L, &v) != 0)
        return mql_err_set(err, MQL_EUSAGE,
                           "--min-level-count: expected a non-negative integer, got '%s'",
                           text ? text : "");
    o->min_level_count = (size_t)v;
    return MQL_OK;
}

int mql_design_opts_add_role(mql_design_opts *o, const char *name, mql_err *err)
{
    if (!name || list_has(o->roles, o->n_roles, name))
        return MQL_OK;
    if (list_push(&o->roles, &o->n_roles, name))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

int mql_design_opts_add_skip(mql_design_opts *o, const char *name, const char *why,
                             mql_err *err)
{
    if (!name || list_has(o->skip, o->n_skip, name))
        return MQL_OK;
    size_t n = o->n_skip;
    if (list_push(&o->skip, &n, name) ||
        list_push(&o->skip_why, &o->n_skip, why ? why : "flagged by screening")) {
        if (n > o->n_skip) {                /* keep the two lists the same length */
            free(o->skip[n - 1]);
            o->skip[n - 1] = NULL;
        }
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    return MQL_OK;
}

/* ==== features and designs ================================================================= */

static void feature_clear(mql_feature *f)
{
    free(f->name);
    list_free(f->levels, f->n_levels);
    free(f->level_count);
    list_free(f->pooled, f->n_pooled);
    free(f->cuts);
    free(f->cut_top);
    free(f->bin_count);
    free(f->true_label);
    free(f->false_label);
    list_free(f->bin_text, f->bin_text ? f->n_cuts + 1 : 0);
    memset(f, 0, sizeof *f);
}

void mql_design_free(mql_design *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->features && i < d->n_features; i++)
        feature_clear(&d->features[i]);
    free(d->features);
    list_free(d->labels, d->labels ? d->p : 0);
    list_free(d->texts, d->texts ? d->p : 0);
    free(d->term_feature);
    free(d->term_ix);
    for (size_t k = 0; d->ix && k < d->n_ix; k++) {
        free(d->ix[k].ta);
        free(d->ix[k].tb);
    }
    free(d->ix);
    list_free(d->notes, d->n_notes);
    free(d);
}

/* Frees what design_derive computes, so it can run again (interactions changed). */
static void design_underive(mql_design *d)
{
    list_free(d->labels, d->labels ? d->p : 0);
    list_free(d->texts, d->texts ? d->p : 0);
    free(d->term_feature);
    free(d->term_ix);
    d->labels = d->texts = NULL;
    d->term_feature = d->term_ix = NULL;
    for (size_t i = 0; i < d->n_features; i++) {
        mql_feature *f = &d->features[i];
        list_free(f->bin_text, f->bin_text ? f->n_cuts + 1 : 0);
        f->bin_text = NULL;
    }
}

const char *mql_design_label(const mql_design *d, size_t j)
{
    return d && j < d->p ? d->labels[j] : NULL;
}

const char *mql_design_term_text(const mql_design *d, size_t j)
{
    return d && j < d->p ? d->texts[j] : NULL;
}

long mql_design_find(const mql_design *d, const char *name)
{
    for (size_t i = 0; d && i < d->n_features; i++)
        if (strcmp(d->features[i].name, name) == 0)
            return (long)i;
    return -1;
}

/* Human label of bin b: "below 3", "3-5", "6", "500+"; "2.5 to under 10" when the data or the
 * cuts are not integers. */
static char *bin_human(const mql_feature *f, size_t b)
{
    char lo[40], hi[40];
    if (b == 0) {
        fmt_num(f->cuts[0], hi, sizeof hi);
        return xprintf("below %s", hi);
    }
    fmt_num(f->cuts[b - 1], lo, sizeof lo);
    if (b == f->n_cuts)
        return xprintf("%s+", lo);
    double a = f->cuts[b - 1], z = f->cuts[b];
    if (f->integer && mql_is_integral(a) && mql_is_integral(z)) {
        if (z - 1 == a)
            return xprintf("%s", lo);
        fmt_num(z - 1, hi, sizeof hi);
        return xprintf(a < 0 ? "%s to %s" : "%s-%s", lo, hi);
    }
    fmt_num(z, hi, sizeof hi);
    return xprintf("%s to under %s", lo, hi);
}

static size_t feature_terms(const mql_feature *f)
{
    size_t k = f->has_missing ? 1 : 0;
    switch (f->enc) {
    case MQL_ENC_CATEGORICAL: return k + f->n_levels - 1 + (f->n_pooled > 0);
    case MQL_ENC_BOOLEAN:
    case MQL_ENC_LINEAR: return k + 1;
    case MQL_ENC_BINNED: return k + f->n_cuts;
    }
    return k;
}

/* Computes term0, n_terms, bin_text, labels, texts, term_feature and term_ix from the "in"
 * fields (interactions included). */
static int design_derive(mql_design *d, mql_err *err)
{
    size_t p = 1;
    for (size_t i = 0; i < d->n_features; i++) {
        mql_feature *f = &d->features[i];
        f->term0 = p;
        f->n_terms = feature_terms(f);
        p += f->n_terms;
        if (f->enc == MQL_ENC_BINNED) {
            f->bin_text = calloc(f->n_cuts + 1, sizeof *f->bin_text);
            if (!f->bin_text)
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
            for (size_t b = 0; b <= f->n_cuts; b++)
                if (!(f->bin_text[b] = bin_human(f, b)))
                    return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        d->ix[k].term0 = p;
        p += d->ix[k].n_cells;
    }
    d->p = p;
    d->labels = calloc(p, sizeof *d->labels);
    d->texts = calloc(p, sizeof *d->texts);
    d->term_feature = malloc(p * sizeof *d->term_feature);
    d->term_ix = malloc(p * sizeof *d->term_ix);
    if (!d->labels || !d->texts || !d->term_feature || !d->term_ix)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t j = 0; j < p; j++)
        d->term_ix[j] = -1;
    d->labels[0] = mql_strdup("(Intercept)");
    d->texts[0] = mql_strdup("baseline");
    d->term_feature[0] = -1;
    if (!d->labels[0] || !d->texts[0])
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; i < d->n_features; i++) {
        const mql_feature *f = &d->features[i];
        const char *nm = f->name;
        size_t j = f->term0;
        char lo[40], hi[40];
        switch (f->enc) {
        case MQL_ENC_CATEGORICAL:
            for (size_t k = 1; k < f->n_levels; k++, j++) {
                d->labels[j] = xprintf("%s=%s", nm, f->levels[k]);
                d->texts[j] = xprintf("%s = %s", nm, f->levels[k]);
            }
            if (f->n_pooled > 0) {
                d->labels[j] = xprintf("%s=(other)", nm);
                d->texts[j] = xprintf("%s = (other)", nm);
                j++;
            }
            break;
        case MQL_ENC_BOOLEAN:
            d->labels[j] = xprintf("%s", nm);
            d->texts[j] = xprintf("%s = %s", nm, f->true_label ? f->true_label : "true");
            j++;
            break;
        case MQL_ENC_LINEAR:
            d->labels[j] = xprintf("%s", nm);
            d->texts[j] = xprintf("%s (per unit)", nm);
            j++;
            break;
        case MQL_ENC_BINNED:
            for (size_t b = 1; b <= f->n_cuts; b++, j++) {
                fmt_num(f->cuts[b - 1], lo, sizeof lo);
                if (b < f->n_cuts)
                    fmt_num(f->cuts[b], hi, sizeof hi);
                else
                    snprintf(hi, sizeof hi, "inf");
                d->labels[j] = xprintf("%s=[%s,%s)", nm, lo, hi);
                d->texts[j] = xprintf("%s %s", nm, f->bin_text[b]);
            }
            break;
        }
        if (f->has_missing) {
            d->labels[j] = xprintf("%s=(missing)", nm);
            d->texts[j] = xprintf("%s (missing)", nm);
            j++;
        }
        for (size_t k = f->term0; k < j; k++) {
            d->term_feature[k] = (long)i;
            if (!d->labels[k] || !d->texts[k])
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
    }
    for (size_t k = 0; k < d->n_ix; k++) {
        const mql_interaction *ix = &d->ix[k];
        const mql_feature *fa = &d->features[ix->a], *fb = &d->features[ix->b];
        for (size_t c = 0; c < ix->n_cells; c++) {
            size_t j = ix->term0 + c, ja = fa->term0 + ix->ta[c], jb = fb->term0 + ix->tb[c];
            d->labels[j] = xprintf("%s:%s", d->labels[ja], d->labels[jb]);
            d->texts[j] = xprintf("%s and %s", d->texts[ja], d->texts[jb]);
            d->term_feature[j] = -1;
            d->term_ix[j] = (long)k;
            if (!d->labels[j] || !d->texts[j])
                return mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
    }
    return MQL_OK;
}

int mql_feature_interactable(const mql_feature *f)
{
    return f->enc == MQL_ENC_CATEGORICAL || f->enc == MQL_ENC_BOOLEAN ||
           f->enc == MQL_ENC_BINNED;
}

int mql_design_set_interactions(mql_design *d, const mql_interaction *ix, size_t n,
                                mql_err *err)
{
    mql_interaction *nx = calloc(n ? n : 1, sizeof *nx);
    int rc = nx ? MQL_OK : mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n && rc == MQL_OK; k++) {
        const mql_interaction *s = &ix[k];
        if (s->a >= s->b || s->b >= d->n_features ||
            !mql_feature_interactable(&d->features[s->a]) ||
            !mql_feature_interactable(&d->features[s->b])) {
            rc = mql_err_set(err, MQL_EDATA, "design: interaction %zu: features %zu and %zu "
                             "cannot interact (two different categorical, boolean or binned "
                             "features, the first before the second)", k, s->a, s->b);
            break;
        }
        nx[k].a = s->a;
        nx[k].b = s->b;
        nx[k].n_cells = s->n_cells;
        nx[k].ta = malloc((s->n_cells ? s->n_cells : 1) * sizeof *nx[k].ta);
        nx[k].tb = malloc((s->n_cells ? s->n_cells : 1) * sizeof *nx[k].tb);
        if (!nx[k].ta || !nx[k].tb) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        for (size_t c = 0; c < s->n_cells; c++) {
            if (s->ta[c] >= feature_terms(&d->features[s->a]) ||
                s->tb[c] >= feature_terms(&d->features[s->b])) {
                rc = mql_err_set(err, MQL_EDATA, "design: interaction %zu: cell %zu names a term "
                                 "the features do not have", k, c);
                break;
            }
            nx[k].ta[c] = s->ta[c];
            nx[k].tb[c] = s->tb[c];
        }
    }
    design_underive(d);
    for (size_t k = 0; d->ix && k < d->n_ix; k++) {
        free(d->ix[k].ta);
        free(d->ix[k].tb);
    }
    free(d->ix);
    d->ix = NULL;
    d->n_ix = 0;
    if (rc) {
        for (size_t k = 0; nx && k < n; k++) {
            free(nx[k].ta);
            free(nx[k].tb);
        }
        free(nx);
        int r2 = design_derive(d, err);
        return r2 && rc == MQL_OK ? r2 : rc;
    }
    d->ix = nx;
    d->n_ix = n;
    return design_derive(d, err);
}

int mql_design_copy(const mql_design *d, mql_design **out, mql_err *err)
{
    *out = NULL;
    mql_design *c = NULL;
    int rc = mql_design_from_parts(d->features, d->n_features, &c, err);
    if (rc == MQL_OK && d->n_ix)
        rc = mql_design_set_interactions(c, d->ix, d->n_ix, err);
    if (rc == MQL_OK && d->n_notes) {
        if (!(c->notes = calloc(d->n_notes, sizeof *c->notes)))
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t k = 0; rc == MQL_OK && k < d->n_notes; k++, c->n_notes++)
            if (!(c->notes[k] = mql_strdup(d->notes[k])))
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    if (rc) {
        mql_design_free(c);
        return rc;
    }
    *out = c;
    return MQL_OK;
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Checks the "in" fields of one saved feature. */
static int feature_check(const mql_feature *f, mql_err *err)
{
    if (!f->name || !*f->name)
        return mql_err_set(err, MQL_EDATA, "design: a feature has no name");
    const char *nm = f->name;
    int ok = (f->type == MQL_COL_CATEGORICAL && f->enc == MQL_ENC_CATEGORICAL) ||
             (f->type == MQL_COL_BOOLEAN && f->enc == MQL_ENC_BOOLEAN) ||
             (f->type == MQL_COL_NUMERIC &&
              (f->enc == MQL_ENC_LINEAR || f->enc == MQL_ENC_BINNED));
    if (!ok)
        return mql_err_set(err, MQL_EDATA, "design: feature '%s': a %s encoding does not fit a %s "
                           "column", nm, enc_word(f->enc), type_word(f->type));
    if (f->group != MQL_GROUP_FIT && f->group != MQL_GROUP_ENGAGEMENT)
        return mql_err_set(err, MQL_EDATA, "design: feature '%s': unknown group %d", nm,
                           (int)f->group);
    if (f->enc == MQL_ENC_CATEGORICAL) {
        if (f->n_levels == 0 || !f->levels)
            return mql_err_set(err, MQL_EDATA, "design: feature '%s' has no reference level", nm);
        if (f->n_pooled && !f->pooled)
            return mql_err_set(err, MQL_EDATA, "design: feature '%s': pooled levels missing", nm);
        size_t n = f->n_levels + f->n_pooled;
        const char **all = malloc(n * sizeof *all);
        if (!all)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t k = 0; k < n; k++)
            all[k] = k < f->n_levels ? f->levels[k] : f->pooled[k - f->n_levels];
        int rc = MQL_OK;
        for (size_t k = 0; k < n && rc == MQL_OK; k++)
            if (!all[k])
                rc = mql_err_set(err, MQL_EDATA, "design: feature '%s': a level is NULL", nm);
        if (rc == MQL_OK) {
            qsort(all, n, sizeof *all, cmp_str_ptr);
            for (size_t k = 1; k < n && rc == MQL_OK; k++)
                if (strcmp(all[k - 1], all[k]) == 0)
                    rc = mql_err_set(err, MQL_EDATA,
                                     "design: feature '%s': level '%s' appears twice", nm, all[k]);
        }
        free(all);
        return rc;
    }
    if (f->enc == MQL_ENC_BINNED) {
        if (f->n_cuts == 0 || !f->cuts)
            return mql_err_set(err, MQL_EDATA,
                               "design: feature '%s' is binned but has no cut points", nm);
        for (size_t k = 0; k < f->n_cuts; k++)
            if (!isfinite(f->cuts[k]) || (k > 0 && !(f->cuts[k] > f->cuts[k - 1])))
                return mql_err_set(err, MQL_EDATA,
                                   "design: feature '%s': cut points must be finite and "
                                   "strictly increasing", nm);
    }
    return MQL_OK;
}

static char **copy_strs(char *const *src, size_t n, int *fail)
{
    if (!src || n == 0)
        return NULL;
    char **dst = calloc(n, sizeof *dst);
    if (!dst) {
        *fail = 1;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (src[i] && !(dst[i] = mql_strdup(src[i])))
            *fail = 1;
    return dst;
}

static void *copy_mem(const void *src, size_t bytes, int *fail)
{
    if (!src || bytes == 0)
        return NULL;
    void *dst = malloc(bytes);
    if (!dst)
        *fail = 1;
    else
        memcpy(dst, src, bytes);
    return dst;
}

int mql_design_from_parts(const mql_feature *features, size_t n, mql_design **out, mql_err *err)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++) {
        int rc = feature_check(&features[i], err);
        if (rc)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (strcmp(features[k].name, features[i].name) == 0)
                return mql_err_set(err, MQL_EDATA, "design: feature '%s' appears twice",
                                   features[i].name);
    }
    mql_design *d = calloc(1, sizeof *d);
    if (!d || (n && !(d->features = calloc(n, sizeof *d->features)))) {
        free(d);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    d->n_features = n;
    int fail = 0;
    for (size_t i = 0; i < n; i++) {
        const mql_feature *s = &features[i];
        mql_feature *f = &d->features[i];
        f->name = mql_strdup(s->name);
        fail |= !f->name;
        f->type = s->type;
        f->enc = s->enc;
        f->group = s->group;
        f->table_col = s->table_col;
        f->integer = s->integer;
        f->has_missing = s->has_missing != 0;
        f->missing_count = s->missing_count;
        f->other_count = s->other_count;
        f->true_label = mql_strdup(s->true_label);
        f->false_label = mql_strdup(s->false_label);
        fail |= (s->true_label && !f->true_label) || (s->false_label && !f->false_label);
        if (s->enc == MQL_ENC_CATEGORICAL) {
            f->levels = copy_strs(s->levels, s->n_levels, &fail);
            f->n_levels = f->levels ? s->n_levels : 0;
            if (s->level_count)
                f->level_count = copy_mem(s->level_count, s->n_levels * sizeof(size_t), &fail);
            f->pooled = copy_strs(s->pooled, s->n_pooled, &fail);
            f->n_pooled = f->pooled ? s->n_pooled : 0;
        }
        if (s->enc == MQL_ENC_BINNED) {
            f->cuts = copy_mem(s->cuts, s->n_cuts * sizeof(double), &fail);
            f->n_cuts = f->cuts ? s->n_cuts : 0;
            if (s->bin_count)
                f->bin_count = copy_mem(s->bin_count, (s->n_cuts + 1) * sizeof(size_t), &fail);
        }
    }
    int rc = fail ? mql_err_set(err, MQL_ENOMEM, "out of memory") : design_derive(d, err);
    if (rc) {
        mql_design_free(d);
        return rc;
    }
    *out = d;
    return MQL_OK;
}

/* ==== building from a training table ======================================================= */

mql_group mql_design_group(const mql_design_opts *o, const mql_column *c, char *why, size_t cap)
{
    int fit = list_has(o->fit, o->n_fit, c->name);
    if (fit || list_has(o->engagement, o->n_engagement, c->name)) {
        if (why && cap)
            snprintf(why, cap, "%s", fit ? "--fit" : "--engagement");
        return fit ? MQL_GROUP_FIT : MQL_GROUP_ENGAGEMENT;
    }
    return mql_group_infer(c->name, c, why, cap);
}

/* "OPT: no column 'x' in leads.csv; did you mean 'X'?" (the hint when a column is near). */
static int no_column(const mql_table *t, const char *opt, const char *name, mql_err *err)
{
    const char *near = mql_table_nearest(t, name);
    return mql_err_set(err, MQL_EUSAGE, "%s: no column '%s' in %s%s%s%s%s", opt, name,
                       src_name(t), near ? "; did you mean '" : "", near ? near : "",
                       near ? "'?" : "", mql_name_lookalike(name, near));
}

/* Every column an option names must exist and have a type the option can use. */
static int check_opts(const mql_table *t, const mql_design_opts *o, mql_err *err)
{
    for (size_t i = 0; i < o->n_features; i++) {
        long c = table_find(t, o->features[i]);
        if (c < 0)
            return no_column(t, "--features", o->features[i], err);
        if (list_has(o->roles, o->n_roles, o->features[i]))
            return mql_err_set(err, MQL_EUSAGE,
                               "--features: column '%s' is the outcome, SQL, date, ACV or key "
                               "column", o->features[i]);
        mql_coltype ty = t->cols[c].type;
        if (ty == MQL_COL_ID)
            return mql_err_set(err, MQL_EUSAGE,
                               "--features: column '%s' is identifier-like (use --categorical %s "
                               "to treat its values as levels)", o->features[i], o->features[i]);
        if (ty == MQL_COL_DATE)
            return mql_err_set(err, MQL_EUSAGE, "--features: column '%s' is a date, not a feature",
                               o->features[i]);
    }
    for (size_t i = 0; i < o->n_exclude; i++)
        if (table_find(t, o->exclude[i]) < 0)
            return no_column(t, "--exclude", o->exclude[i], err);
    for (size_t i = 0; i < o->n_fit + o->n_engagement; i++) {
        const char *nm = i < o->n_fit ? o->fit[i] : o->engagement[i - o->n_fit];
        if (table_find(t, nm) < 0)
            return no_column(t, i < o->n_fit ? "--fit" : "--engagement", nm, err);
    }
    for (size_t i = 0; i < o->n_ref; i++) {
        const mql_ref_spec *r = &o->ref[i];
        long c = table_find(t, r->column);
        if (c < 0)
            return no_column(t, "--reference", r->column, err);
        const mql_column *col = &t->cols[c];
        if (col->type != MQL_COL_CATEGORICAL)
            return mql_err_set(err, MQL_EUSAGE, "--reference: column '%s' is %s, not categorical",
                               r->column, type_word(col->type));
        int found = 0;
        for (size_t k = 0; k < col->n_levels && !found; k++)
            found = mql_value_eq(col->levels[k], r->level);   /* "google" finds "Google" */
        if (!found)
            return mql_err_set(err, MQL_EUSAGE, "--reference %s=%s: column '%s' has no level '%s'",
                               r->column, r->level, r->column, r->level);
    }
    for (size_t i = 0; i < o->n_cuts + o->n_col_bins; i++) {
        int is_cut = i < o->n_cuts;
        const char *nm = is_cut ? o->cuts[i].column : o->col_bins[i - o->n_cuts].column;
        const char *opt = is_cut ? "--cuts" : "--bins";
        long c = table_find(t, nm);
        if (c < 0)
            return no_column(t, opt, nm, err);
        if (t->cols[c].type != MQL_COL_NUMERIC)
            return mql_err_set(err, MQL_EUSAGE, "%s: column '%s' is %s, not numeric", opt, nm,
                               type_word(t->cols[c].type));
        for (size_t k = 0; is_cut && k < o->n_col_bins; k++)
            if (strcmp(o->col_bins[k].column, nm) == 0)
                return mql_err_set(err, MQL_EUSAGE, "--cuts and --bins both name column '%s'", nm);
    }
    return MQL_OK;
}

typedef struct level_rank {
    const char *s;
    size_t count;
} level_rank;

/* Descending count, ties in byte order: the documented, deterministic level order. */
static int cmp_level_rank(const void *a, const void *b)
{
    const level_rank *x = a, *y = b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->s, y->s);
}

static int note(mql_design *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note(mql_design *d, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return list_push(&d->notes, &d->n_notes, buf);
}

size_t mql_design_bin_of(const double *cuts, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cuts[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Quantile cut points for nb bins over sorted values v[0..n) (at least two distinct values).
 * Candidate k is the data value v[floor(k n / nb)], so every bin [c_k, c_k+1) holds c_k and is
 * non-empty; duplicates are dropped (like pandas qcut(duplicates="drop")). A candidate equal to
 * the minimum is moved up to the next distinct value, so a mass of zeros ("never visited")
 * becomes the reference bin of its own instead of swallowing the low values above it.
 * Returns the number of cuts written to cuts (capacity nb - 1). */
static size_t quantile_cuts(const double *v, size_t n, size_t nb, double *cuts)
{
    double min = v[0];
    size_t above = mql_design_bin_of(v, n, min);   /* first index with v > min */
    size_t m = 0;
    for (size_t k = 1; k < nb; k++) {
        size_t idx = k * n / nb;
        double c = v[idx < n ? idx : n - 1];
        if (c <= min) {
            if (above >= n)
                continue;
            c = v[above];
        }
        if (m == 0 || c > cuts[m - 1])
            cuts[m++] = c;
    }
    return m;
}

/* Where the rules of a binned feature's bins end, at the data's precision: for every cut, the
 * largest training value below it and mql_cut_bounds give cut_top[k] ("0..894.36" before the cut
 * 894.37). With movable (quantile) cuts, a cut of values with no short decimal form (ratios
 * such as 1/3) moves down to the shortest decimal above the value below it; no training value
 * changes bin. Returns 0 or 1 (no memory). */
static int bin_tops(mql_feature *f, const mql_column *col, size_t n_rows, int movable)
{
    if (!(f->cut_top = malloc(f->n_cuts * sizeof *f->cut_top)))
        return 1;
    double *below = malloc(f->n_cuts * sizeof *below);
    if (!below)
        return 1;
    int dec = 0;
    for (size_t k = 0; k < f->n_cuts; k++)
        below[k] = -INFINITY;
    for (size_t r = 0; r < n_rows; r++) {
        double x = col->num[r];
        if (isnan(x))
            continue;
        if (dec >= 0) {
            int dx = mql_decimals(x);
            dec = dx < 0 ? -1 : dx > dec ? dx : dec;
        }
        size_t b = mql_design_bin_of(f->cuts, f->n_cuts, x);   /* x < cuts[b] */
        if (b < f->n_cuts && x > below[b])
            below[b] = x;
    }
    for (size_t k = 0; k < f->n_cuts; k++) {
        double hi, lo;
        if (isinf(below[k])) {          /* an empty bin: the cut's own precision */
            int dc = mql_decimals(f->cuts[k]);
            double p = pow(10.0, dc < 0 ? 0 : dc);
            f->cut_top[k] = dc < 0 ? nextafter(f->cuts[k], -INFINITY)
                                   : (nearbyint(f->cuts[k] * p) - 1) / p;
            continue;
        }
        mql_cut_bounds(below[k], f->cuts[k], dec, &hi, &lo);
        if (movable && (k == 0 || lo > f->cuts[k - 1]))
            f->cuts[k] = lo;
        f->cut_top[k] = hi;
    }
    free(below);
    return 0;
}

/* Whether a column filled in fewer leads than a level needs (--min-level-count) while its
 * missing cells are that many or more is left out, with a note: a CRM export carries dozens of
 * properties filled for a handful of leads (HubSpot's custom fields), and such a column's only
 * contrast is "filled or not" for those few, which the fit cannot estimate (one filled cell in
 * 2,000 separated the fit). Its rare values would be pooled, but there is nothing to pool them
 * with. Sets *skip; returns 1 when out of memory. */
static int sparse_skip(mql_design *d, const mql_column *col, size_t filled, size_t na,
                       const mql_design_opts *o, int *skip)
{
    size_t m = o->min_level_count;
    if (m <= 1 || filled == 0 || filled >= m || na < m)
        return 0;
    *skip = 1;
    return note(d, "%s: filled in only %zu of %zu leads (fewer than %zu, --min-level-count), not "
                   "a feature", col->name, filled, filled + na, m);
}

/* Unweighted rows per level of code[0..n) into cnt[0..L) (zero on entry) and missing codes into
 * *na, without a branch per row: a code picks its level's slot, slot L when missing, slot L + 1
 * when neither (a bad code), in four interleaved tallies, so that a run of one level does not wait
 * on its own increments (a counter's load after its store). Returns 0 when counted, 1 when the
 * caller must count (many levels, or a bad code: cnt and *na are then untouched), -1 when out of
 * memory. */
static int count_codes(const uint32_t *code, size_t n, size_t L, size_t *cnt, size_t *na)
{
    if (L > 4096)
        return 1;
    const size_t S = L + 2;
    size_t *h = calloc(4 * S, sizeof *h);
    if (!h)
        return -1;
    size_t r = 0;
    for (; r + 4 <= n; r += 4)
        for (size_t k = 0; k < 4; k++) {
            uint32_t c = code[r + k];
            h[k * S + (c < L ? c : c == MQL_NA_CODE ? L : L + 1)]++;
        }
    for (; r < n; r++) {
        uint32_t c = code[r];
        h[c < L ? c : c == MQL_NA_CODE ? L : L + 1]++;
    }
    int bad = h[L + 1] + h[S + L + 1] + h[2 * S + L + 1] + h[3 * S + L + 1] != 0;
    for (size_t k = 0; !bad && k <= L; k++) {
        size_t v = h[k] + h[S + k] + h[2 * S + k] + h[3 * S + k];
        if (k < L)
            cnt[k] = v;
        else
            *na = v;
    }
    free(h);
    return bad;
}

/* Builds a CATEGORICAL feature. Sets *skip (with a note) for constant or all-missing columns. */
static int build_categorical(mql_design *d, const mql_column *col, size_t n_rows,
                             const mql_design_opts *o, mql_feature *f, int *skip, mql_err *err)
{
    size_t L = col->n_levels, na = 0, ns = 0;
    size_t *cnt = calloc(L ? L : 1, sizeof *cnt);
    level_rank *rk = malloc((L ? L : 1) * sizeof *rk);
    int rc = MQL_OK;
    if (!cnt || !rk) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    /* Counted from the codes rather than taken from level_count, so levels are ranked by the
     * rows actually present. Unweighted, a row is one lead: no call per row for its weight, and
     * count_codes counts without a branch; the loop below takes the rest, and names a bad code. */
    const double *w = o->w;
    int todo = w ? 1 : count_codes(col->code, n_rows, L, cnt, &na);
    if (todo < 0) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t r = 0; todo && r < n_rows; r++) {
        uint32_t c = col->code[r];
        size_t wr = w ? mql_design_row_weight(w, r) : 1;
        if (c == MQL_NA_CODE)
            na += wr;
        else if (c < L)
            cnt[c] += wr;
        else {
            rc = mql_err_set(err, MQL_EDATA, "column '%s': row %zu has level code %u of %zu",
                             col->name, r + 1, (unsigned)c, L);
            goto done;
        }
    }
    size_t filled = 0;
    for (size_t k = 0; k < L; k++)
        if (cnt[k] > 0) {
            rk[ns++] = (level_rank){col->levels[k], cnt[k]};
            filled += cnt[k];
        }
    if (sparse_skip(d, col, filled, na, o, skip)) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    if (*skip)
        goto done;
    if (ns == 0 || (ns == 1 && na == 0)) {
        *skip = 1;
        if ((ns == 0 ? note(d, "%s: all missing, not a feature", col->name)
                     : note(d, "%s: constant ('%s' in every row), not a feature", col->name,
                            rk[0].s)))
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    qsort(rk, ns, sizeof *rk, cmp_level_rank);
    size_t ref = 0;
    const mql_ref_spec *spec = NULL;
    for (size_t i = 0; i < o->n_ref; i++)
        if (strcmp(o->ref[i].column, col->name) == 0)
            spec = &o->ref[i];
    if (spec) {
        for (ref = 0; ref < ns && !mql_value_eq(rk[ref].s, spec->level); ref++)
            ;
        if (ref == ns) {
            rc = mql_err_set(err, MQL_EUSAGE,
                             "--reference %s=%s: level '%s' does not occur in the training rows",
                             spec->column, spec->level, spec->level);
            goto done;
        }
    } else if (o->reference == MQL_REF_FIRST) {
        for (size_t k = 1; k < ns; k++)
            if (strcmp(rk[k].s, rk[ref].s) < 0)
                ref = k;
    }
    f->enc = MQL_ENC_CATEGORICAL;
    f->levels = calloc(ns, sizeof *f->levels);
    f->level_count = calloc(ns, sizeof *f->level_count);
    f->pooled = calloc(ns, sizeof *f->pooled);
    if (!f->levels || !f->level_count || !f->pooled) {
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        goto done;
    }
    f->levels[0] = mql_strdup(rk[ref].s);
    f->level_count[0] = rk[ref].count;
    f->n_levels = 1;
    int fail = !f->levels[0];
    for (size_t k = 0; k < ns; k++) {
        if (k == ref)
            continue;
        if (o->min_level_count > 1 && rk[k].count < o->min_level_count) {
            fail |= !(f->pooled[f->n_pooled++] = mql_strdup(rk[k].s));
            f->other_count += rk[k].count;
        } else {
            f->level_count[f->n_levels] = rk[k].count;
            fail |= !(f->levels[f->n_levels++] = mql_strdup(rk[k].s));
        }
    }
    f->has_missing = na > 0;
    f->missing_count = na;
    if (!fail && f->n_pooled)
        fail = note(d, "%s: %zu level%s with fewer than %zu rows pooled into (other)", col->name,
                    f->n_pooled, f->n_pooled == 1 ? "" : "s", o->min_level_count);
    if (fail)
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
done:
    free(cnt);
    free(rk);
    return rc;
}

static int build_boolean(mql_design *d, const mql_column *col, size_t n_rows,
                         const mql_design_opts *o, mql_feature *f, int *skip, mql_err *err)
{
    size_t nt = 0, nf = 0, na = 0;
    const double *w = o->w;
    if (!w) {
        /* unweighted: counted without a branch (true and false cells come in no order) */
        const double *x = col->num;
        for (size_t r = 0; r < n_rows; r++) {
            size_t m = isnan(x[r]) != 0;
            na += m;
            nt += (size_t)(x[r] != 0) - m;   /* NaN compares unequal to 0 */
        }
        nf = n_rows - na - nt;
    } else {
        for (size_t r = 0; r < n_rows; r++) {
            double v = col->num[r];
            size_t wr = mql_design_row_weight(w, r);
            if (isnan(v))
                na += wr;
            else if (v != 0)
                nt += wr;
            else
                nf += wr;
        }
    }
    const char *tl = col->true_label ? col->true_label : "true";
    const char *fl = col->false_label ? col->false_label : "false";
    if (sparse_skip(d, col, nt + nf, na, o, skip))
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (*skip)
        return MQL_OK;
    int fail = 0;
    if (nt + nf == 0 || ((nt == 0 || nf == 0) && na == 0)) {
        *skip = 1;
        fail = nt + nf == 0 ? note(d, "%s: all missing, not a feature", col->name)
                            : note(d, "%s: constant ('%s' in every row), not a feature", col->name,
                                   nt ? tl : fl);
    } else {
        f->enc = MQL_ENC_BOOLEAN;
        f->has_missing = na > 0;
        f->missing_count = na;
        f->true_label = mql_strdup(col->true_label);
        f->false_label = mql_strdup(col->false_label);
        fail = (col->true_label && !f->true_label) || (col->false_label && !f->false_label);
        /* One value plus blanks (a checkbox exported as "yes" or empty): the value term and the
         * missing term add up to the intercept, so the fit drops one, as R's glm would. */
        if (!fail && (nt == 0 || nf == 0))
            fail = note(d, "%s: only '%s' besides missing cells; '%s' and '%s=(missing)' are "
                           "collinear and the fit keeps one", col->name, nt ? tl : fl, col->name,
                        col->name);
    }
    return fail ? mql_err_set(err, MQL_ENOMEM, "out of memory") : MQL_OK;
}

/* Builds a NUMERIC feature: linear, explicit cuts, or quantile bins. Only quantile bins need
 * the values sorted; the linear case is one pass (min, max, integer-ness, missing). */
/* sc: the column's scan (mql_design_scan_numeric). */
static int build_numeric(mql_design *d, const mql_column *col, const mql_numeric_scan *sc,
                         size_t n_rows, const mql_design_opts *o, mql_feature *f, int *skip,
                         mql_err *err)
{
    size_t nv = sc->nv, na = sc->na;
    int integer = sc->integer;
    double lo = sc->lo, hi = sc->hi;
    int fail = 0;
    double *v = NULL;
    char a[40];
    if ((fail = sparse_skip(d, col, nv, na, o, skip)) || *skip)
        goto done;
    if (nv == 0 || (lo == hi && na == 0)) {
        *skip = 1;
        fmt_num(lo, a, sizeof a);
        fail = nv == 0 ? note(d, "%s: all missing, not a feature", col->name)
                       : note(d, "%s: constant (%s in every row), not a feature", col->name, a);
        goto done;
    }
    f->integer = integer;
    f->has_missing = na > 0;
    f->missing_count = na;
    f->enc = MQL_ENC_LINEAR;
    f->has_range = !sc->w;
    f->range_lo = lo;
    f->range_hi = hi;
    size_t nb = o->bins;
    const mql_cuts_spec *cs = NULL;
    for (size_t i = 0; i < o->n_cuts; i++)
        if (strcmp(o->cuts[i].column, col->name) == 0)
            cs = &o->cuts[i];
    for (size_t i = 0; i < o->n_col_bins; i++)
        if (strcmp(o->col_bins[i].column, col->name) == 0)
            nb = o->col_bins[i].n_bins;
    if (cs) {
        f->enc = MQL_ENC_BINNED;
        if (!(f->cuts = malloc(cs->n_cuts * sizeof *f->cuts))) {
            fail = 1;
            goto done;
        }
        memcpy(f->cuts, cs->cuts, cs->n_cuts * sizeof *f->cuts);
        f->n_cuts = cs->n_cuts;
    } else if (nb >= 2 && o->w) {
        return mql_err_set(err, MQL_EUSAGE, "--bins %s: quantile bins of weighted or counted "
                           "rows are not supported; give the cut points with --cuts %s=a,b,...",
                           col->name, col->name);
    } else if (nb >= 2) {
        v = malloc(nv * sizeof *v);
        f->cuts = malloc((nb - 1) * sizeof *f->cuts);
        if (!v || !f->cuts) {
            fail = 1;
            goto done;
        }
        nv = 0;
        for (size_t r = 0; r < n_rows; r++)
            if (!isnan(col->num[r]))
                v[nv++] = col->num[r];
        if (mql_sort_doubles(v, nv)) {
            fail = 1;
            goto done;
        }
        f->n_cuts = quantile_cuts(v, nv, nb, f->cuts);
        if (f->n_cuts > 0) {
            f->enc = MQL_ENC_BINNED;
        } else {
            free(f->cuts);
            f->cuts = NULL;
            fmt_num(lo, a, sizeof a);
            fail = note(d, "%s: a single value (%s) besides missing cells; no bins, linear term",
                        col->name, a);
        }
    }
    if (f->enc == MQL_ENC_BINNED && (fail = bin_tops(f, col, n_rows, !cs)))
        goto done;
    if (f->enc == MQL_ENC_BINNED) {
        if (!(f->bin_count = calloc(f->n_cuts + 1, sizeof *f->bin_count))) {
            fail = 1;
            goto done;
        }
        for (size_t r = 0; r < n_rows; r++)
            if (!isnan(col->num[r]))
                f->bin_count[mql_design_bin_of(f->cuts, f->n_cuts, col->num[r])] +=
                    mql_design_row_weight(o->w, r);
        for (size_t k = 0; k <= f->n_cuts && !fail; k++) {
            if (f->bin_count[k])
                continue;
            char *h = bin_human(f, k);
            fail = !h || note(d, "%s: bin '%s' is empty in the training data", col->name, h);
            free(h);
        }
    }
done:
    free(v);
    return fail ? mql_err_set(err, MQL_ENOMEM, "out of memory") : MQL_OK;
}

/* The column name of note s when it is of the kind "NAME<mark>..." and ends with tail, else
 * NULL; *len: the name's length. */
static const char *note_of_kind(const char *s, const char *mark, const char *tail, size_t *len)
{
    size_t n = strlen(s), nt = strlen(tail);
    const char *at = strstr(s, mark), *next;
    if (!at || n < nt || strcmp(s + n - nt, tail) != 0)
        return NULL;
    while ((next = strstr(at + 1, mark)))   /* the last mark: a name may hold ": " */
        at = next;
    *len = (size_t)(at - s);
    return s;
}

/* Replaces more than 5 notes of one kind (mark and tail as note_of_kind) by one, at the place of
 * the first: "what: A, B, C, D, E and 124 more". A HubSpot export has a hundred empty properties,
 * and a note apiece buried the warnings that matter. Returns 0, or 1 when out of memory (the
 * notes unchanged). */
static int collapse_notes(mql_design *d, const char *mark, const char *tail, const char *what)
{
    size_t k = 0, len, first = d->n_notes;
    for (size_t i = 0; i < d->n_notes; i++)
        if (note_of_kind(d->notes[i], mark, tail, &len) && k++ == 0)
            first = i;
    if (k <= 5)
        return 0;
    size_t cap = strlen(what) + 64, used = 0, shown = 0;
    for (size_t i = 0; i < d->n_notes && shown < 5; i++)
        if (note_of_kind(d->notes[i], mark, tail, &len)) {
            cap += len + 2;
            shown++;
        }
    char *buf = malloc(cap);
    if (!buf)
        return 1;
    used = (size_t)snprintf(buf, cap, "%zu columns %s: ", k, what);
    shown = 0;
    for (size_t i = 0; i < d->n_notes && shown < 5; i++) {
        const char *nm = note_of_kind(d->notes[i], mark, tail, &len);
        if (nm)
            used += (size_t)snprintf(buf + used, cap - used, "%s%.*s", shown++ ? ", " : "",
                                     (int)len, nm);
    }
    snprintf(buf + used, cap - used, " and %zu more", k - 5);
    size_t w = 0;
    for (size_t i = 0; i < d->n_notes; i++) {
        if (i != first && note_of_kind(d->notes[i], mark, tail, &len)) {
            free(d->notes[i]);
            continue;
        }
        if (i == first) {
            free(d->notes[i]);
            d->notes[i] = buf;
        }
        d->notes[w++] = d->notes[i];
    }
    d->n_notes = w;
    return 0;
}

int mql_design_build(const mql_table *t, const mql_design_opts *o, mql_design **out,
                     mql_err *err)
{
    *out = NULL;
    mql_design_opts defaults;
    if (!o) {
        mql_design_opts_init(&defaults);
        o = &defaults;
    }
    int rc = check_opts(t, o, err);
    if (rc)
        return rc;
    mql_design *d = calloc(1, sizeof *d);
    mql_numeric_scan *scans = calloc(t->n_cols ? t->n_cols : 1, sizeof *scans);
    size_t *scan_of = malloc((t->n_cols ? t->n_cols : 1) * sizeof *scan_of);
    if (!d || !scans || !scan_of ||
        !(d->features = calloc(t->n_cols ? t->n_cols : 1, sizeof *d->features))) {
        free(d);
        free(scans);
        free(scan_of);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    /* the numeric feature columns' scans first, all at once */
    size_t n_scans = 0;
    for (size_t i = 0; i < t->n_cols; i++) {
        const mql_column *col = &t->cols[i];
        if (col->type == MQL_COL_CATEGORICAL || col->type == MQL_COL_BOOLEAN ||
            col->type == MQL_COL_ID || col->type == MQL_COL_DATE ||
            list_has(o->roles, o->n_roles, col->name) ||
            (o->n_features && !list_has(o->features, o->n_features, col->name)) ||
            list_has(o->exclude, o->n_exclude, col->name) ||
            list_has(o->skip, o->n_skip, col->name))
            continue;
        scan_of[i] = n_scans;
        scans[n_scans++] = (mql_numeric_scan){.col = col, .n_rows = t->n_rows, .w = o->w};
    }
    mql_design_scan_numeric(scans, n_scans);
    for (size_t i = 0; i < t->n_cols && rc == MQL_OK; i++) {
        const mql_column *col = &t->cols[i];
        if (list_has(o->roles, o->n_roles, col->name) ||
            (o->n_features && !list_has(o->features, o->n_features, col->name)) ||
            list_has(o->exclude, o->n_exclude, col->name))
            continue;
        for (size_t k = 0; k < o->n_skip; k++)
            if (strcmp(o->skip[k], col->name) == 0) {
                if (note(d, "%s: %s; not a feature (--keep %s keeps it)", col->name,
                         o->skip_why[k], col->name))
                    rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
                break;
            }
        if (list_has(o->skip, o->n_skip, col->name))
            continue;
        if (col->type == MQL_COL_ID || col->type == MQL_COL_DATE) {
            if (note(d, "%s: %s, not a feature", col->name,
                     col->type == MQL_COL_ID ? "identifier-like" : "date"))
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            continue;
        }
        for (size_t k = 0; k < col->n_spellings && rc == MQL_OK;) {
            char buf[400];
            mql_spellings_text(col, k, &k, buf, sizeof buf);
            if (note(d, "%s: %s", col->name, buf))
                rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
        }
        mql_feature *f = &d->features[d->n_features];
        memset(f, 0, sizeof *f);
        f->type = col->type;
        f->table_col = (long)i;
        f->group = mql_design_group(o, col, NULL, 0);
        if (!(f->name = mql_strdup(col->name))) {
            rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
            break;
        }
        int skip = 0;
        if (col->type == MQL_COL_CATEGORICAL)
            rc = build_categorical(d, col, t->n_rows, o, f, &skip, err);
        else if (col->type == MQL_COL_BOOLEAN)
            rc = build_boolean(d, col, t->n_rows, o, f, &skip, err);
        else
            rc = build_numeric(d, col, &scans[scan_of[i]], t->n_rows, o, f, &skip, err);
        if (rc || skip)
            feature_clear(f);
        else
            d->n_features++;
    }
    if (rc == MQL_OK && d->n_features == 0)
        rc = mql_err_set(err, MQL_EDATA, "%s: no column is usable as a feature%s%s%s", src_name(t),
                         d->n_notes ? " (" : "", d->n_notes ? d->notes[0] : "",
                         d->n_notes > 1 ? "; ...)" : d->n_notes ? ")" : "");
    free(scans);
    free(scan_of);
    char sparse[96];
    snprintf(sparse, sizeof sparse, "filled in fewer than %zu leads each (--min-level-count), "
             "not features", o->min_level_count);
    if (rc == MQL_OK &&
        (collapse_notes(d, ": all missing", ": all missing, not a feature",
                        "all missing, not features") ||
         collapse_notes(d, ": filled in only ", ", --min-level-count), not a feature", sparse)))
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (rc == MQL_OK)
        rc = design_derive(d, err);
    if (rc) {
        mql_design_free(d);
        return rc;
    }
    *out = d;
    return MQL_OK;
}

/* ==== binding ================================================================== */

void mql_design_binding_free(mql_design_binding *b)
{
    if (!b)
        return;
    for (size_t i = 0; b->f && b->design && i < b->design->n_features; i++)
        free(b->f[i].code_term);
    free(b->f);
    mql_design_slots_free(b->slots);
    free(b);
}

typedef struct level_term {
    const char *s;
    int32_t term;
} level_term;

static int cmp_level_term(const void *a, const void *b)
{
    return strcmp(((const level_term *)a)->s, ((const level_term *)b)->s);
}

/* Rows per level of col, from level_count when the table has it, else counted. */
static size_t *level_rows(const mql_column *col, size_t n_rows)
{
    size_t *cnt = calloc(col->n_levels ? col->n_levels : 1, sizeof *cnt);
    if (!cnt)
        return NULL;
    if (col->level_count) {
        memcpy(cnt, col->level_count, col->n_levels * sizeof *cnt);
    } else {
        for (size_t r = 0; r < n_rows; r++)
            if (col->code[r] < col->n_levels)
                cnt[col->code[r]]++;
    }
    return cnt;
}

/* value.h's key of a level's text (only blank text is missing here: a level is a value), in a
 * fresh string, or NULL. */
static char *level_key(const char *s)
{
    static const char *const blank[] = {""};
    mql_cell c;
    mql_cell_from_text(&c, s, blank, 1);
    size_t cap = strlen(s) + 40;
    char *k = malloc(cap);
    if (k)
        mql_cell_key(&c, k, cap);
    return k;
}

/* 1 when level text s is the true value of a boolean feature (its true label, or a true
 * spelling: 1, true, yes, y, t), 0 when the false one, -1 otherwise: value.h's equality. */
static int level_truth(const char *s, const mql_feature *f)
{
    if (f->true_label && mql_value_eq(s, f->true_label))
        return 1;
    if (f->false_label && mql_value_eq(s, f->false_label))
        return 0;
    mql_cell c;
    mql_cell_from_text(&c, s, NULL, 0);
    return mql_cell_truth(&c);
}

/* Maps every level code of a CATEGORICAL / ID column to a term offset of feature f: saved levels
 * to their terms, pooled levels to "(other)", unseen levels to "(other)" or the reference; a
 * level matches a saved one when they are equal by value.h ("google" finds "Google"). For a
 * BOOLEAN feature read from text, true spellings map to the value term, false ones to the
 * reference, anything else counts as unseen. One lookup per level, never per row. */
static int map_codes(const mql_feature *f, const mql_column *col, size_t n_rows,
                     mql_bound_feature *bf, mql_err *err)
{
    size_t L = col->n_levels;
    bf->by_code = 1;
    bf->n_codes = L;
    bf->code_term = malloc((L ? L : 1) * sizeof *bf->code_term);
    size_t *rows = level_rows(col, n_rows);
    size_t nk = f->enc == MQL_ENC_CATEGORICAL ? f->n_levels + f->n_pooled : 0;
    level_term *keys = malloc((nk ? nk : 1) * sizeof *keys);
    if (!bf->code_term || !rows || !keys) {
        free(rows);
        free(keys);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    int32_t other = -1;
    int oom = 0;
    if (f->enc == MQL_ENC_CATEGORICAL) {
        if (f->n_pooled)
            other = (int32_t)(f->n_levels - 1);
        for (size_t k = 0; k < f->n_levels; k++)
            oom |= !(keys[k] = (level_term){level_key(f->levels[k]), (int32_t)k - 1}).s;
        for (size_t k = 0; k < f->n_pooled; k++)
            oom |= !(keys[f->n_levels + k] = (level_term){level_key(f->pooled[k]), other}).s;
        qsort(keys, nk, sizeof *keys, cmp_level_term);
    }
    for (size_t c = 0; c < L && !oom; c++) {
        const char *s = col->levels[c];
        int seen = 1;
        int32_t term = -1;
        if (f->enc == MQL_ENC_CATEGORICAL) {
            level_term key = {level_key(s), 0};
            const level_term *hit =
                key.s ? bsearch(&key, keys, nk, sizeof *keys, cmp_level_term) : NULL;
            oom |= !key.s;
            free((char *)key.s);
            if (hit)
                term = hit->term;
            else
                seen = 0, term = other;
        } else {
            int truth = level_truth(s, f);
            if (truth == 1)
                term = 0;
            else if (truth != 0)
                seen = 0;
        }
        bf->code_term[c] = term;
        if (!seen && rows[c] > 0) {
            bf->n_unseen_levels++;
            bf->n_unseen += rows[c];
        }
    }
    free(rows);
    for (size_t k = 0; k < nk; k++)
        free((char *)keys[k].s);
    free(keys);
    if (oom)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    return MQL_OK;
}

int mql_design_bind(const mql_design *d, const mql_table *t, mql_design_binding **out,
                    mql_err *err)
{
    *out = NULL;
    mql_design_binding *b = calloc(1, sizeof *b);
    if (!b || !(b->f = calloc(d->n_features ? d->n_features : 1, sizeof *b->f))) {
        free(b);
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    }
    b->design = d;
    b->table = t;
    b->n_rows = t->n_rows;
    b->p = d->p;
    int rc = MQL_OK;
    for (size_t i = 0; i < d->n_features && rc == MQL_OK; i++) {
        const mql_feature *f = &d->features[i];
        mql_bound_feature *bf = &b->f[i];
        long c = table_find(t, f->name);
        if (c < 0) {
            const char *near = mql_table_nearest(t, f->name);
            rc = mql_err_set(err, MQL_EDATA, "%s has no column '%s' that the model needs%s%s%s",
                             src_name(t), f->name, near ? " (is it '" : "", near ? near : "",
                             near ? "'?)" : "");
            break;
        }
        const mql_column *col = &t->cols[c];
        bf->col = col;
        bf->col_index = (size_t)c;
        mql_coltype ty = col->type;
        int ok = f->type == MQL_COL_CATEGORICAL
                     ? ty == MQL_COL_CATEGORICAL || ty == MQL_COL_ID
                 : f->type == MQL_COL_BOOLEAN ? ty == MQL_COL_BOOLEAN || ty == MQL_COL_CATEGORICAL
                                              : ty == MQL_COL_NUMERIC || ty == MQL_COL_BOOLEAN;
        if (!ok) {
            rc = mql_err_set(err, MQL_EDATA, "%s: column '%s' is %s, but the model reads it as %s",
                             src_name(t), f->name, type_word(ty), type_word(f->type));
            break;
        }
        int32_t miss_term = (int32_t)f->n_terms - 1;
        bf->na_term = f->has_missing ? miss_term : -1;
        if (ty == MQL_COL_CATEGORICAL || ty == MQL_COL_ID)
            rc = map_codes(f, col, t->n_rows, bf, err);
        if (!f->has_missing)
            bf->n_missing_as_ref = col->n_missing;
    }
    if (rc) {
        mql_design_binding_free(b);
        return rc;
    }
    *out = b;
    return MQL_OK;
}
