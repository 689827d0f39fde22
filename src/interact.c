/* interact.c: two-way interactions for the fit: the cells a pair gets, the likelihood-ratio
 * screening with Holm's step-down (Holm 1979) at a family-wise error of MQL_IX_ALPHA, and the
 * held-out check (K-fold cross-validated log loss) that keeps an interaction only when it
 * predicts leads it was not fitted on better. The estimates themselves are the glm's (R glm with
 * the same product columns is the reference: scripts/ref_interactions.R). */
#include "mqlcal/interact.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

void mql_ix_report_clear(mql_ix_report *r)
{
    if (!r)
        return;
    free(r->tried);
    memset(r, 0, sizeof *r);
}

/* The term of feature f set in row xr (offset within the feature), or -1 (the reference). */
static long active_term(const mql_feature *f, const double *xr)
{
    for (size_t k = 0; k < f->n_terms; k++)
        if (xr[f->term0 + k] != 0)
            return (long)k;
    return -1;
}

int mql_ix_cells(const mql_design_binding *bind, const unsigned char *y, const double *w,
                 size_t a, size_t b, size_t min_count, mql_interaction *out, mql_err *err)
{
    enum { CHUNK = 1024 };
    const mql_design *d = bind->design;
    const mql_feature *fa = &d->features[a], *fb = &d->features[b];
    size_t na = fa->n_terms, nb = fb->n_terms, n = bind->n_rows, p = d->p;
    double *cnt = calloc(na * nb + 1, sizeof *cnt), *ev = calloc(na * nb + 1, sizeof *ev);
    double *x = malloc(CHUNK * p * sizeof *x);
    memset(out, 0, sizeof *out);
    out->a = a;
    out->b = b;
    out->ta = malloc((na * nb + 1) * sizeof *out->ta);
    out->tb = malloc((na * nb + 1) * sizeof *out->tb);
    int rc = cnt && ev && x && out->ta && out->tb ? MQL_OK
                                                  : mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t r0 = 0; rc == MQL_OK && r0 < n; r0 += CHUNK) {
        size_t m = n - r0 < CHUNK ? n - r0 : CHUNK;
        if ((rc = mql_design_fill((void *)bind, r0, m, x, err)))
            break;
        for (size_t r = 0; r < m; r++) {
            long ka = active_term(fa, x + r * p), kb = active_term(fb, x + r * p);
            if (ka < 0 || kb < 0)
                continue;
            double wt = w ? w[r0 + r] : 1.0;
            cnt[(size_t)ka * nb + (size_t)kb] += wt;
            ev[(size_t)ka * nb + (size_t)kb] += y[r0 + r] ? wt : 0.0;
        }
    }
    for (size_t i = 0; rc == MQL_OK && i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double c = cnt[i * nb + j], e = ev[i * nb + j];
            if (c >= (double)(min_count ? min_count : 1) && e > 0 && e < c) {
                out->ta[out->n_cells] = i;
                out->tb[out->n_cells++] = j;
            }
        }
    free(cnt);
    free(ev);
    free(x);
    if (rc) {
        free(out->ta);
        free(out->tb);
        memset(out, 0, sizeof *out);
    }
    return rc;
}

/* ---- fits of a design with a given set of interactions ---------------------------------- */

typedef struct ix_ctx {
    const mql_table *t;
    const double *yd;         /* 0/1 as doubles */
    const unsigned char *y;
    const double *w;
    const mql_design *base;   /* main effects only */
    const mql_glm_opts *g;
} ix_ctx;

/* A copy of the base design with interactions ix[0..n), bound to the table. */
static int design_with(const ix_ctx *c, const mql_interaction *ix, size_t n, mql_design **d,
                       mql_design_binding **b, mql_err *err)
{
    *d = NULL;
    *b = NULL;
    int rc = mql_design_copy(c->base, d, err);
    if (rc == MQL_OK)
        rc = mql_design_set_interactions(*d, ix, n, err);
    if (rc == MQL_OK)
        rc = mql_design_bind(*d, c->t, b, err);
    if (rc) {
        mql_design_binding_free(*b);
        mql_design_free(*d);
        *d = NULL;
        *b = NULL;
    }
    return rc;
}

/* Deviance and rank of the full-data fit of the base design plus ix[0..n). */
static int fit_dev(const ix_ctx *c, const mql_interaction *ix, size_t n, double *dev,
                   size_t *rank, mql_err *err)
{
    mql_design *d;
    mql_design_binding *b;
    int rc = design_with(c, ix, n, &d, &b, err);
    if (rc)
        return rc;
    mql_glm_coded cx;
    mql_err cerr;
    mql_glm_data gd = {c->t->n_rows, d->p, mql_design_fill, b, c->yd, c->w, NULL,
                       mql_design_fill_cols};
    if (mql_design_coded(b, &cx, &cerr) == MQL_OK)
        gd.coded = &cx;   /* else dense rows, as model.c */
    mql_glm_result *r = NULL;
    rc = mql_glm_fit(&gd, c->g, &r, err);
    if (rc == MQL_ENOCONV)
        rc = MQL_OK;   /* a separated cell: the deviance is still the one reached */
    if (rc == MQL_OK) {
        *dev = r->deviance;
        *rank = r->rank;
    }
    mql_glm_result_free(r);
    mql_design_binding_free(b);
    mql_design_free(d);
    return rc;
}

/* Mean log loss of the held-out rows over MQL_IX_FOLDS folds (row i in fold i mod K): each fold
 * is predicted by the fit on the other rows (their weight set to 0 for the fold's). Aliased
 * coefficients count as 0. Probabilities are clipped to [1e-15, 1 - 1e-15]. */
static int cv_logloss(const ix_ctx *c, const mql_interaction *ix, size_t n, double *out,
                      mql_err *err)
{
    enum { CHUNK = 1024 };
    mql_design *d;
    mql_design_binding *b;
    int rc = design_with(c, ix, n, &d, &b, err);
    if (rc)
        return rc;
    size_t rows = c->t->n_rows, p = d->p;
    double *wf = malloc((rows ? rows : 1) * sizeof *wf), *x = malloc(CHUNK * p * sizeof *x);
    double loss = 0, wsum = 0;
    if (!wf || !x)
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    mql_glm_coded cx;
    mql_err cerr;
    int coded = mql_design_coded(b, &cx, &cerr) == MQL_OK;   /* else dense rows */
    for (size_t k = 0; rc == MQL_OK && k < MQL_IX_FOLDS; k++) {
        for (size_t i = 0; i < rows; i++)
            wf[i] = i % MQL_IX_FOLDS == k ? 0.0 : c->w ? c->w[i] : 1.0;
        mql_glm_data gd = {rows, p, mql_design_fill, b, c->yd, wf, coded ? &cx : NULL,
                           mql_design_fill_cols};
        mql_glm_result *r = NULL;
        rc = mql_glm_fit(&gd, c->g, &r, err);
        if (rc == MQL_ENOCONV)
            rc = MQL_OK;
        for (size_t r0 = 0; rc == MQL_OK && r0 < rows; r0 += CHUNK) {
            size_t m = rows - r0 < CHUNK ? rows - r0 : CHUNK;
            if ((rc = mql_design_fill(b, r0, m, x, err)))
                break;
            for (size_t i = 0; i < m; i++) {
                size_t row = r0 + i;
                if (row % MQL_IX_FOLDS != k)
                    continue;
                double eta = 0;
                for (size_t j = 0; j < p; j++)
                    if (!isnan(r->beta[j]))
                        eta += r->beta[j] * x[i * p + j];
                double pr = mql_logistic(eta), wt = c->w ? c->w[row] : 1.0;
                pr = pr < 1e-15 ? 1e-15 : pr > 1 - 1e-15 ? 1 - 1e-15 : pr;
                loss -= wt * (c->y[row] ? log(pr) : log(1 - pr));
                wsum += wt;
            }
        }
        mql_glm_result_free(r);
    }
    if (rc == MQL_OK)
        *out = wsum > 0 ? loss / wsum : NAN;
    free(wf);
    free(x);
    mql_design_binding_free(b);
    mql_design_free(d);
    return rc;
}

/* ---- choosing ----------------------------------------------------------------------------- */

/* order[0..n) sorted by increasing p of tried[], ties in candidate order (insertion sort: a
 * few dozen pairs). */
static void sort_by_p(const mql_ix_try *tried, size_t *order, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && (tried[order[j - 1]].p > tried[v].p ||
                         (tried[order[j - 1]].p == tried[v].p && order[j - 1] > v))) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

/* The pairs to try: explicit ones (checked), or every eligible pair for auto. */
static int candidates(const mql_design *d, const mql_design_opts *o, size_t **pa, size_t **pb,
                      size_t *n, mql_err *err)
{
    size_t nf = d->n_features, cap = o->interactions_auto ? nf * nf + 1 : o->n_interactions + 1;
    *pa = malloc(cap * sizeof **pa);
    *pb = malloc(cap * sizeof **pb);
    *n = 0;
    if (!*pa || !*pb)
        return mql_err_set(err, MQL_ENOMEM, "out of memory");
    if (o->interactions_auto) {
        for (size_t a = 0; a < nf; a++)
            for (size_t b = a + 1; b < nf; b++) {
                const mql_feature *fa = &d->features[a], *fb = &d->features[b];
                if (!mql_feature_interactable(fa) || !mql_feature_interactable(fb) ||
                    (fa->group != MQL_GROUP_FIT && fb->group != MQL_GROUP_FIT))
                    continue;
                (*pa)[*n] = a;
                (*pb)[(*n)++] = b;
            }
        return MQL_OK;
    }
    for (size_t i = 0; i < o->n_interactions; i++) {
        char *s = mql_strdup(o->interactions[i]);
        if (!s)
            return mql_err_set(err, MQL_ENOMEM, "out of memory");
        char *colon = strchr(s, ':');
        *colon = '\0';
        long a = mql_design_find(d, s), b = mql_design_find(d, colon + 1);
        int rc = MQL_OK;
        if (a < 0 || b < 0 || a == b)
            rc = mql_err_set(err, MQL_EUSAGE, "--interactions: '%s' is not a pair of two features "
                             "of the model (no feature '%s')", o->interactions[i],
                             a < 0 ? s : colon + 1);
        else if (!mql_feature_interactable(&d->features[a]) ||
                 !mql_feature_interactable(&d->features[b]))
            rc = mql_err_set(err, MQL_EUSAGE, "--interactions: '%s': '%s' is a linear numeric "
                             "term; interactions need categorical, boolean or binned features "
                             "(bin it with --bins or --cuts)", o->interactions[i],
                             mql_feature_interactable(&d->features[a]) ? colon + 1 : s);
        free(s);
        if (rc)
            return rc;
        (*pa)[*n] = (size_t)(a < b ? a : b);
        (*pb)[(*n)++] = (size_t)(a < b ? b : a);
    }
    return MQL_OK;
}

int mql_interactions_choose(const mql_table *t, const unsigned char *y, const double *w,
                            mql_design *d, const mql_design_opts *o,
                            const mql_glm_opts *gopts, mql_ix_report *rep, mql_err *err)
{
    memset(rep, 0, sizeof *rep);
    if (!o || (!o->interactions_auto && !o->n_interactions))
        return MQL_OK;
    rep->mode = o->interactions_auto ? 1 : 2;
    mql_glm_opts gdef;
    if (!gopts) {
        mql_glm_opts_default(&gdef);
        gopts = &gdef;
    }
    size_t n = t->n_rows, *pa = NULL, *pb = NULL, nc = 0, *order = NULL;
    double *yd = malloc((n ? n : 1) * sizeof *yd);
    mql_design_binding *bind = NULL;
    mql_interaction *cells = NULL, *kept = NULL;
    size_t n_kept = 0;
    int rc = yd ? MQL_OK : mql_err_set(err, MQL_ENOMEM, "out of memory");
    for (size_t i = 0; rc == MQL_OK && i < n; i++)
        yd[i] = y[i] ? 1.0 : 0.0;
    if (rc == MQL_OK)
        rc = mql_design_set_interactions(d, NULL, 0, err);
    if (rc == MQL_OK)
        rc = candidates(d, o, &pa, &pb, &nc, err);
    if (rc == MQL_OK)
        rc = mql_design_bind(d, t, &bind, err);
    if (rc == MQL_OK && (!(rep->tried = calloc(nc ? nc : 1, sizeof *rep->tried)) ||
                         !(cells = calloc(nc ? nc : 1, sizeof *cells)) ||
                         !(kept = calloc(nc ? nc : 1, sizeof *kept)) ||
                         !(order = malloc((nc ? nc : 1) * sizeof *order))))
        rc = mql_err_set(err, MQL_ENOMEM, "out of memory");
    ix_ctx c = {t, yd, y, w, d, gopts};
    size_t rank0 = 0;
    if (rc == MQL_OK)
        rc = fit_dev(&c, NULL, 0, &rep->dev_main, &rank0, err);
    /* 1. the LR statistic of every pair against the main-effects model */
    for (size_t k = 0; rc == MQL_OK && k < nc; k++) {
        mql_ix_try *tr = &rep->tried[rep->n_tried++];
        tr->a = pa[k];
        tr->b = pb[k];
        tr->holm = tr->cv_without = tr->cv_with = NAN;
        if ((rc = mql_ix_cells(bind, y, w, pa[k], pb[k], o->min_level_count, &cells[k], err)))
            break;
        tr->cells = cells[k].n_cells;
        double dev1 = rep->dev_main;
        size_t rank1 = rank0;
        if (tr->cells && (rc = fit_dev(&c, &cells[k], 1, &dev1, &rank1, err)))
            break;
        tr->df = rank1 > rank0 ? rank1 - rank0 : 0;
        tr->lr = rep->dev_main - dev1;
        tr->p = tr->df ? gsl_cdf_chisq_Q(tr->lr > 0 ? tr->lr : 0, (double)tr->df) : 1.0;
        order[k] = k;
    }
    /* 2. Holm's step-down over the pairs screened (auto), 3. the held-out check in order of p */
    if (rc == MQL_OK && rep->mode == 1) {
        sort_by_p(rep->tried, order, nc);
        for (size_t r = 0; r < nc; r++) {
            mql_ix_try *tr = &rep->tried[order[r]];
            tr->holm = MQL_IX_ALPHA / (double)(nc - r);
            tr->significant = tr->df > 0 && tr->p <= tr->holm;
            if (!tr->significant) {
                if (tr->df)
                    snprintf(tr->why, sizeof tr->why, "not significant: p %.3g > Holm level %.3g",
                             tr->p, tr->holm);
                else
                    snprintf(tr->why, sizeof tr->why, "no cell with enough leads");
                for (size_t q = r + 1; q < nc; q++)
                    snprintf(rep->tried[order[q]].why, sizeof tr->why,
                             "not significant (Holm's step-down stopped at a smaller p)");
                break;
            }
        }
        double cv_cur = NAN;
        for (size_t r = 0; rc == MQL_OK && r < nc; r++) {
            mql_ix_try *tr = &rep->tried[order[r]];
            if (!tr->significant)
                break;
            if (isnan(cv_cur) && (rc = cv_logloss(&c, kept, n_kept, &cv_cur, err)))
                break;
            kept[n_kept] = cells[order[r]];
            double cv_new;
            if ((rc = cv_logloss(&c, kept, n_kept + 1, &cv_new, err)))
                break;
            tr->cv_without = cv_cur;
            tr->cv_with = cv_new;
            if (cv_new < cv_cur) {
                tr->kept = 1;
                n_kept++;
                cv_cur = cv_new;
                snprintf(tr->why, sizeof tr->why, "kept: p %.3g <= Holm level %.3g and held-out "
                         "log loss %.5f -> %.5f", tr->p, tr->holm, tr->cv_without, tr->cv_with);
            } else {
                snprintf(tr->why, sizeof tr->why, "not kept: significant (p %.3g) but held-out "
                         "log loss does not improve (%.5f -> %.5f)", tr->p, tr->cv_without,
                         tr->cv_with);
            }
        }
    } else if (rc == MQL_OK) {
        for (size_t k = 0; k < nc; k++) {
            mql_ix_try *tr = &rep->tried[k];
            tr->kept = tr->cells > 0;
            snprintf(tr->why, sizeof tr->why, tr->kept ? "asked for (--interactions)"
                                                       : "asked for, but no cell has enough leads");
            if (tr->kept)
                kept[n_kept++] = cells[k];
        }
    }
    /* kept interactions in candidate order (design order), so the model does not depend on p */
    if (rc == MQL_OK) {
        size_t m = 0;
        for (size_t k = 0; k < nc; k++)
            if (rep->tried[k].kept)
                kept[m++] = cells[k];
        rc = mql_design_set_interactions(d, kept, m, err);
    }
    for (size_t k = 0; cells && k < nc; k++) {
        free(cells[k].ta);
        free(cells[k].tb);
    }
    free(cells);
    free(kept);
    free(order);
    free(pa);
    free(pb);
    free(yd);
    mql_design_binding_free(bind);
    if (rc)
        mql_ix_report_clear(rep);
    return rc;
}
