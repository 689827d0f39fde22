/* backtest_runs.c: walk-forward, K-fold and train/test split runs of a points model (the
 * out-of-sample forms of `backtest`), built on mql_eval_run_parts and mql_eval_train. */
#include "mqlcal/backtest_runs.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/table_ops.h"

static int oom(mql_err *err)
{
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

/* Labels and parts, freed together. */
typedef struct parts {
    long *part;
    char **labels;
    size_t n_labels;
} parts;

static void parts_clear(parts *p)
{
    for (size_t k = 0; p->labels && k < p->n_labels; k++)
        free(p->labels[k]);
    free(p->labels);
    free(p->part);
    memset(p, 0, sizeof *p);
}

/* Part per row for walk-forward: 0 for every lead before the first tested quarter, j for the
 * quarter of split j - 1, -1 for a row without a date. */
static int quarter_parts(const double *date, size_t n, parts *p, mql_err *err)
{
    mql_time_split *sp = NULL;
    size_t ns = 0;
    int st = mql_walk_forward(date, n, &sp, &ns, err);
    if (st)
        return st;
    if (!(p->part = malloc((n ? n : 1) * sizeof *p->part)) ||
        !(p->labels = calloc(ns + 1, sizeof *p->labels))) {
        free(sp);
        return oom(err);
    }
    p->n_labels = ns + 1;
    char buf[32];
    p->labels[0] = mql_strdup("before");
    for (size_t j = 0; j < ns; j++)
        p->labels[j + 1] = mql_strdup(mql_quarter_label(sp[j].quarter, buf, sizeof buf));
    for (size_t i = 0; i < n; i++) {
        long q = mql_quarter_index(date[i]);
        p->part[i] = q == LONG_MIN ? -1 : 0;
        for (size_t j = 0; q != LONG_MIN && j < ns; j++)
            if (q == sp[j].quarter)
                p->part[i] = (long)j + 1;
    }
    free(sp);
    for (size_t k = 0; k < p->n_labels; k++)
        if (!p->labels[k])
            return oom(err);
    return MQL_OK;
}

static int fold_parts(size_t n, size_t k, unsigned long seed, const unsigned char *y, parts *p,
                      mql_err *err)
{
    size_t *fold = malloc((n ? n : 1) * sizeof *fold);
    p->part = malloc((n ? n : 1) * sizeof *p->part);
    p->labels = calloc(k ? k : 1, sizeof *p->labels);
    if (!fold || !p->part || !p->labels) {
        free(fold);
        return oom(err);
    }
    p->n_labels = k;
    int st = mql_kfold_assign(n, k, seed, y, fold, err);
    for (size_t i = 0; !st && i < n; i++)
        p->part[i] = (long)fold[i];
    free(fold);
    char buf[32];
    for (size_t j = 0; !st && j < k; j++) {
        snprintf(buf, sizeof buf, "fold %zu", j + 1);
        if (!(p->labels[j] = mql_strdup(buf)))
            st = oom(err);
    }
    return st;
}

int mql_eval_walk_forward(const mql_table *t, const mql_eval_roles *r, long date_col,
                          const mql_points *fixed, const mql_train_spec *spec,
                          mql_eval_runs **out, mql_err *err)
{
    *out = NULL;
    if (date_col < 0 || (size_t)date_col >= t->n_cols || t->cols[date_col].type != MQL_COL_DATE)
        return mql_err_set(err, MQL_EUSAGE, "walk-forward needs the lead created date");
    parts p = {0};
    int st = quarter_parts(t->cols[date_col].num, t->n_rows, &p, err);
    if (!st)
        st = mql_eval_run_parts(t, r, p.part, p.n_labels, (const char *const *)p.labels,
                                MQL_SPLIT_BEFORE, fixed, spec, out, err);
    parts_clear(&p);
    return st;
}

int mql_eval_kfold(const mql_table *t, const mql_eval_roles *r, size_t k, unsigned long seed,
                   const mql_points *fixed, const mql_train_spec *spec, mql_eval_runs **out,
                   mql_err *err)
{
    *out = NULL;
    parts p = {0};
    int st = fold_parts(t->n_rows, k, seed, r->y, &p, err);
    if (!st)
        st = mql_eval_run_parts(t, r, p.part, p.n_labels, (const char *const *)p.labels,
                                MQL_SPLIT_OTHERS, fixed, spec, out, err);
    parts_clear(&p);
    return st;
}

void mql_split_eval_free(mql_split_eval *s)
{
    if (!s)
        return;
    free(s->role);
    mql_model_free(s->model);
    mql_scored_free(s->all);
    mql_scored_free(s->train);
    mql_scored_free(s->test);
    free(s);
}

/* The roles and labels of the split. */
static int split_roles(const mql_table *t, const mql_split_how *how, mql_split_eval *s,
                       mql_err *err)
{
    size_t n = t->n_rows;
    int st;
    if (how->by_date) {
        if (how->date_col < 0 || (size_t)how->date_col >= t->n_cols ||
            t->cols[how->date_col].type != MQL_COL_DATE)
            return mql_err_set(err, MQL_EUSAGE, "--train-until needs the lead created date");
        const double *date = t->cols[how->date_col].num;
        mql_time_split sp;
        if ((st = mql_train_until(date, n, how->until_day, &sp, err)))
            return st;
        mql_split_roles(&sp, date, n, s->role);
        char day[32];
        mql_date_format((double)how->until_day, 0, day, sizeof day);
        snprintf(s->train_label, sizeof s->train_label, "created on or before %s", day);
        snprintf(s->test_label, sizeof s->test_label, "created after %s", day);
        return MQL_OK;
    }
    if ((st = mql_holdout_last(n, how->holdout, s->role, err)))
        return st;
    snprintf(s->train_label, sizeof s->train_label, "first %.4g of the rows", 1 - how->holdout);
    snprintf(s->test_label, sizeof s->test_label, "last %.4g of the rows", how->holdout);
    return MQL_OK;
}

/* Trains on the rows with mask set. */
static int train_part(const mql_table *t, const unsigned char *y, const double *w,
                      const unsigned char *mask, const mql_train_spec *spec, const char *label,
                      mql_model **out, mql_err *err)
{
    size_t n = t->n_rows, k = 0;
    unsigned char *ysub = malloc(n ? n : 1);
    double *wsub = w ? malloc((n ? n : 1) * sizeof *wsub) : NULL;
    mql_table *tt = NULL;
    int st;
    if (!ysub || (w && !wsub)) {
        st = oom(err);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        if (mask[i]) {
            ysub[k] = y[i];
            if (wsub)
                wsub[k] = w[i];
            k++;
        }
    mql_train_spec sub = *spec;
    sub.w = wsub;
    if (!(st = mql_table_subset(t, mask, &tt, err)) &&
        (st = mql_eval_train(tt, ysub, wsub, &sub, out, NULL, err)))
        mql_err_prefix(err, st, "training on the leads %s", label);
done:
    mql_table_free(tt);
    free(ysub);
    free(wsub);
    return st;
}

int mql_split_eval_run(const mql_table *t, const mql_eval_roles *r, const double *w,
                       const mql_split_how *how, const mql_points *fixed,
                       const mql_train_spec *spec, mql_split_eval **out, mql_err *err)
{
    size_t n = t->n_rows;
    *out = NULL;
    mql_split_eval *s = calloc(1, sizeof *s);
    unsigned char *mask = malloc(n ? n : 1);
    int st;
    if (!s || !mask || !(s->role = calloc(n ? n : 1, 1))) {
        st = oom(err);
        goto done;
    }
    if ((st = split_roles(t, how, s, err)))
        goto done;
    if (!fixed) {
        for (size_t i = 0; i < n; i++)      /* open leads (outcome unknown) are never fitted */
            mask[i] = s->role[i] == 1 && !(r->open && r->open[i]);
        if ((st = train_part(t, r->y, w, mask, spec, s->train_label, &s->model, err)))
            goto done;
        fixed = s->model->points;
    }
    for (size_t i = 0; i < n; i++)
        mask[i] = s->role[i] == 1;
    if ((st = mql_scored_new(fixed, t, r, &s->all, err)) ||
        (st = mql_scored_subset(s->all, mask, &s->train, err)))
        goto done;
    for (size_t i = 0; i < n; i++)
        mask[i] = s->role[i] == 2;
    st = mql_scored_subset(s->all, mask, &s->test, err);
done:
    free(mask);
    if (st) {
        mql_split_eval_free(s);
        return st;
    }
    *out = s;
    return MQL_OK;
}

static int split_row(mql_tab *t, const char *part, const char *rows, const mql_scored *s,
                     mql_err *err)
{
    mql_eval_summary m;
    int st = mql_eval_summarize(s, &m, err);
    if (st)
        return mql_err_prefix(err, st, "%s", part);
    if (mql_tab_row(t) || mql_tab_add_str(t, part) || mql_tab_add_str(t, rows) ||
        mql_tab_add_int(t, (long long)m.n) || mql_tab_add_int(t, (long long)m.events) ||
        mql_tab_add_num(t, m.base_rate, "%.4f") || mql_tab_add_num(t, m.auc.auc, "%.4f") ||
        mql_tab_add_num(t, m.auc.lo, "%.4f") || mql_tab_add_num(t, m.auc.hi, "%.4f") ||
        mql_tab_add_num(t, m.brier, "%.5f") || mql_tab_add_num(t, m.logloss, "%.5f") ||
        mql_tab_add_str(t, !m.has_auc ? m.few_msg : m.few ? m.few_note : NULL))
        return oom(err);
    return MQL_OK;
}

int mql_split_eval_tab(const mql_split_eval *s, mql_tab **out, mql_err *err)
{
    static const char *const cols[] = {"part", "rows",   "leads",  "won",   "base_rate",
                                       "auc",  "auc_lo", "auc_hi", "brier", "logloss",
                                       "note"};
    *out = NULL;
    mql_tab *t = mql_tab_new(11, cols);
    if (!t)
        return oom(err);
    int st = split_row(t, "in-sample", s->train_label, s->train, err);
    if (!st)
        st = split_row(t, "out-of-time", s->test_label, s->test, err);
    if (st) {
        mql_tab_free(t);
        return st;
    }
    *out = t;
    return MQL_OK;
}
