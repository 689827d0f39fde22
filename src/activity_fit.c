/* activity_fit.c: snapshot tables with decayed event features, and the decay of each event type
 * fitted by profile likelihood over refits of the logistic model (activity_fit.h). */
#include "mqlcal/activity_fit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mqlcal/metrics.h"
#include "mqlcal/table_ops.h"

static int oom(mql_err *err)
{
    return mql_err_set(err, MQL_ENOMEM, "out of memory");
}

void mql_activity_data_free(mql_activity_data *d)
{
    if (!d)
        return;
    mql_snapshots_free(d->snaps);
    free(d->row_snap);
    mql_table_free(d->table);
    free(d->y);
    free(d->decay);
    free(d);
}

/* The snapshots that the table holds (uncensored), as a snapshots view sharing nothing. */
static void column_values(const mql_activity_data *d, const mql_activity_setup *s, size_t k,
                          const mql_decay *dec, double *x, double *scratch)
{
    mql_activity_feature(s->act, d->snaps, k, dec, scratch);
    for (size_t r = 0; r < d->table->n_rows; r++)
        x[r] = scratch[d->row_snap[r]];
}

void mql_activity_data_set(mql_activity_data *d, const mql_activity_setup *s, size_t k,
                           const mql_decay *dec)
{
    mql_column *c = &d->table->cols[d->first_col + k];
    double *scratch = malloc((d->snaps->n ? d->snaps->n : 1) * sizeof *scratch);
    if (!scratch)
        return;   /* the column keeps its values; callers check d->decay[k] */
    column_values(d, s, k, dec, c->num, scratch);
    free(scratch);
    mql_column_recount(c);
    d->decay[k] = *dec;
}

int mql_activity_data_build(const mql_activity_setup *s, const mql_decay *decay,
                            mql_activity_data **out, mql_err *err)
{
    *out = NULL;
    const mql_activity *a = s->act;
    mql_activity_data *d = calloc(1, sizeof *d);
    if (!d)
        return oom(err);
    size_t *idx = NULL;
    double *scratch = NULL, *x = NULL;
    int st = mql_snapshots_build(s->leads, s->created_col, s->y, s->won_day, &s->snap,
                                 &d->snaps, err);
    if (st)
        goto done;
    size_t ns = d->snaps->n, nt = ns - d->snaps->n_censored;
    if (!nt) {
        st = mql_err_set(err, MQL_EDATA, "no snapshot has a known outcome (%zu censored)",
                         d->snaps->n_censored);
        goto done;
    }
    d->n_types = a->n_types;
    if (!(idx = malloc(nt * sizeof *idx)) || !(d->row_snap = malloc(nt * sizeof *d->row_snap)) ||
        !(d->y = malloc(nt)) || !(d->decay = calloc(a->n_types ? a->n_types : 1, sizeof *d->decay)) ||
        !(scratch = malloc(ns * sizeof *scratch)) || !(x = malloc(nt * sizeof *x))) {
        st = oom(err);
        goto done;
    }
    for (size_t i = 0, r = 0; i < ns; i++)
        if (!d->snaps->censored[i]) {
            idx[r] = d->snaps->lead[i];
            d->row_snap[r] = i;
            d->y[r] = d->snaps->y[i];
            r++;
        }
    if ((st = mql_table_gather(s->leads, idx, nt, &d->table, err)))
        goto done;
    d->first_col = d->table->n_cols;
    for (size_t k = 0; k < a->n_types; k++) {
        d->decay[k] = decay ? decay[k] : (mql_decay){MQL_DECAY_NONE, 0};
        column_values(d, s, k, &d->decay[k], x, scratch);
        char name[300];
        snprintf(name, sizeof name, "%s", a->types[k]);
        if (mql_table_find(s->leads, name) >= 0)
            snprintf(name, sizeof name, "events_%s", a->types[k]);
        if ((st = mql_table_add_numeric(d->table, name, x, err)))
            goto done;
    }
done:
    free(idx);
    free(scratch);
    free(x);
    if (st) {
        mql_activity_data_free(d);
        return st;
    }
    *out = d;
    return MQL_OK;
}

/* ---- profile likelihood over refits ----------------------------------------------------- */

typedef struct fit_ctx {
    mql_activity_data *d;
    const mql_activity_setup *s;
    const mql_design_opts *dopts;
    const mql_glm_opts *gopts;
    size_t n_fits;
} fit_ctx;

/* The maximised log-likelihood of the model on d's table as it stands. A fit that separates
 * or stops at max_iter still has a likelihood (its supremum is approached); only other errors
 * fail. */
static int table_loglik(fit_ctx *c, double *ll, mql_err *err)
{
    mql_model *m = NULL;
    c->n_fits++;
    int st = mql_model_train(c->d->table, c->d->y, NULL, c->dopts, c->gopts, &m, NULL, err);
    if (m && m->fit && (st == MQL_OK || st == MQL_EDATA || st == MQL_ENOCONV)) {
        *ll = m->fit->loglik;
        st = MQL_OK;
    }
    mql_model_free(m);
    return st;
}

static int profile_ll(void *ctx, size_t k, const mql_decay *dec, double *ll, mql_err *err)
{
    fit_ctx *c = ctx;
    mql_activity_data_set(c->d, c->s, k, dec);
    return table_loglik(c, ll, err);
}

void mql_decay_report_clear(mql_decay_report *rep)
{
    if (!rep)
        return;
    free(rep->fits);
    memset(rep, 0, sizeof *rep);
}

int mql_activity_fit_decay(mql_activity_data *d, const mql_activity_setup *s,
                           const unsigned char *fit, const mql_design_opts *dopts,
                           const mql_glm_opts *gopts, mql_decay_report *rep, mql_err *err)
{
    memset(rep, 0, sizeof *rep);
    size_t nt = d->n_types;
    rep->n_types = nt;
    if (!(rep->fits = calloc(nt ? nt : 1, sizeof *rep->fits)))
        return oom(err);
    fit_ctx c = {d, s, dopts, gopts, 0};
    int st = MQL_OK;
    size_t n_fit = 0;
    for (size_t k = 0; k < nt; k++) {
        n_fit += !fit || fit[k];
        rep->fits[k].best = d->decay[k];
    }
    for (int round = 0; round < (n_fit > 1 ? 2 : 1) && !st; round++)
        for (size_t k = 0; k < nt && !st; k++) {
            if (fit && !fit[k])
                continue;
            if ((st = mql_decay_profile(profile_ll, &c, k, &rep->fits[k], err)))
                break;
            mql_activity_data_set(d, s, k, &rep->fits[k].best);
        }
    if (st) {
        mql_decay_report_clear(rep);
        return mql_err_prefix(err, st, "fitting the decay");
    }
    /* Held-out comparison: none, windows, fitted. */
    mql_decay *fitted = malloc((nt ? nt : 1) * sizeof *fitted);
    if (!fitted) {
        mql_decay_report_clear(rep);
        return oom(err);
    }
    memcpy(fitted, d->decay, nt * sizeof *fitted);
    mql_decay none = {MQL_DECAY_NONE, 0};
    for (size_t k = 0; k < nt; k++)
        if (!fit || fit[k])
            mql_activity_data_set(d, s, k, &none);
    st = mql_activity_holdout_logloss(d, dopts, gopts, &rep->logloss_none, &rep->n_train,
                                      &rep->n_test, err);
    for (size_t k = 0; k < nt && !st; k++)
        if (!fit || fit[k])
            mql_activity_data_set(d, s, k, &rep->fits[k].best_window);
    if (!st)
        st = mql_activity_holdout_logloss(d, dopts, gopts, &rep->logloss_window, NULL, NULL,
                                          err);
    for (size_t k = 0; k < nt; k++)
        mql_activity_data_set(d, s, k, &fitted[k]);
    if (!st)
        st = mql_activity_holdout_logloss(d, dopts, gopts, &rep->logloss_fitted, NULL, NULL,
                                          err);
    free(fitted);
    rep->n_fits = c.n_fits + 3;
    if (st)
        mql_decay_report_clear(rep);
    return st;
}

/* ---- held-out log loss --------------------------------------------------------------------- */

/* Row r of the snapshot table with its moment, for ordering rows by (moment, row). */
typedef struct by_at {
    double at;
    size_t r;
} by_at;

static int cmp_by_at(const void *x, const void *y)
{
    const by_at *a = x, *b = y;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    return (a->r > b->r) - (a->r < b->r);
}

int mql_activity_holdout_logloss(const mql_activity_data *d, const mql_design_opts *dopts,
                                 const mql_glm_opts *gopts, double *logloss, size_t *n_train,
                                 size_t *n_test, mql_err *err)
{
    size_t n = d->table->n_rows;
    by_at *ord = malloc((n ? n : 1) * sizeof *ord);
    unsigned char *mask = malloc(n ? n : 1), *ytr = malloc(n ? n : 1), *yte = malloc(n ? n : 1);
    double *p = malloc((n ? n : 1) * sizeof *p), *x = NULL;
    mql_table *tr = NULL, *te = NULL;
    mql_model *m = NULL;
    mql_design_binding *b = NULL;
    int st = MQL_OK;
    if (!ord || !mask || !ytr || !yte || !p) {
        st = oom(err);
        goto done;
    }
    for (size_t r = 0; r < n; r++)
        ord[r] = (by_at){d->snaps->at[d->row_snap[r]], r};
    qsort(ord, n, sizeof *ord, cmp_by_at);
    size_t cut = (size_t)(0.8 * (double)n);
    memset(mask, 0, n);
    for (size_t q = 0; q < cut; q++)
        mask[ord[q].r] = 1;
    size_t a = 0, c = 0;
    for (size_t r = 0; r < n; r++) {
        if (mask[r])
            ytr[a++] = d->y[r];
        else
            yte[c++] = d->y[r];
    }
    if (n_train)
        *n_train = a;
    if (n_test)
        *n_test = c;
    if (!a || !c) {
        st = mql_err_set(err, MQL_EDATA, "too few snapshots for a held-out comparison (%zu)", n);
        goto done;
    }
    if ((st = mql_table_subset(d->table, mask, &tr, err)))
        goto done;
    for (size_t r = 0; r < n; r++)
        mask[r] = !mask[r];
    if ((st = mql_table_subset(d->table, mask, &te, err)))
        goto done;
    st = mql_model_train(tr, ytr, NULL, dopts, gopts, &m, NULL, err);
    if (st == MQL_EDATA || st == MQL_ENOCONV)
        st = m && m->fit ? MQL_OK : st;
    if (st || (st = mql_design_bind(m->design, te, &b, err)))
        goto done;
    size_t pp = m->design->p;
    if (!(x = malloc(pp * sizeof *x))) {
        st = oom(err);
        goto done;
    }
    for (size_t r = 0; r < c; r++) {
        if ((st = mql_design_fill(b, r, 1, x, err)))
            goto done;
        p[r] = mql_logistic(mql_glm_eta(x, m->fit->beta, pp));
    }
    st = mql_logloss(p, yte, NULL, c, logloss, err);
done:
    mql_design_binding_free(b);
    mql_model_free(m);
    mql_table_free(tr);
    mql_table_free(te);
    free(ord);
    free(mask);
    free(ytr);
    free(yte);
    free(p);
    free(x);
    return st;
}
