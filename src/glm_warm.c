/* glm_warm.c: the warm start of large IRLS fits (mql_glm_opts.warm_rows): coefficients from a
 * fit on every k-th row, from which mql_glm_fit's full passes start (docs/DESIGN-NOTES.md). */
#include "mqlcal/glm_warm.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Every k-th row of a larger design, from row off: the fill callback of the subsample fit. */
typedef struct warm_ctx {
    const mql_glm_data *d;
    size_t k, off, m;
    mql_glm_rows rows;          /* the subsample's m rows, filled once (rows.x NULL: filled on
                                   each pass) */
    const mql_glm_coded *cx;    /* the full data's coded layout, when its passes read it */
    uint32_t *idx;              /* the subsample in that layout (m x k slots, m x md values) */
    double *xd;
} warm_ctx;

int mql_glm_rows_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    (void)err;
    const mql_glm_rows *c = ctx;
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < c->p; j++)
            x[r * c->p + j] = c->x[j * c->m + row0 + r];
    return MQL_OK;
}

int mql_glm_rows_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                           mql_err *err)
{
    (void)err;
    const mql_glm_rows *c = ctx;
    for (size_t j = 0; j < c->p; j++) {
        const double *src = c->x + j * c->m + row0;
        if (step == 1)
            memcpy(x + j * ld, src, m * sizeof *x);
        else
            for (size_t r = 0; r < m; r++)
                x[j * ld + r] = src[r * step];
    }
    return MQL_OK;
}

static int warm_fill_coded(void *ctx, size_t row0, size_t m, uint32_t *idx, double *xd,
                           mql_err *err)
{
    (void)err;
    const warm_ctx *c = ctx;
    size_t k = c->cx->k, md = c->cx->md;
    if (idx)
        memcpy(idx, c->idx + row0 * k, m * k * sizeof *idx);
    memcpy(xd, c->xd + row0 * md, m * md * sizeof *xd);
    return MQL_OK;
}

static int warm_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    const warm_ctx *c = ctx;
    if (c->rows.x) {
        mql_glm_rows rows = c->rows;
        return mql_glm_rows_fill(&rows, row0, m, x, err);
    }
    size_t p = c->d->p;
    for (size_t r = 0; r < m; r++) {
        int st = c->d->fill(c->d->ctx, (row0 + r) * c->k + c->off, 1, x + r * p, err);
        if (st != MQL_OK)
            return st;
    }
    return MQL_OK;
}

/* The subsample's rows column-major: copied from c->rows, or gathered every k-th row by the
 * full data's fill_cols. */
static int warm_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                          mql_err *err)
{
    const warm_ctx *c = ctx;
    if (c->rows.x) {
        mql_glm_rows rows = c->rows;
        return mql_glm_rows_fill_cols(&rows, row0, m, step, x, ld, err);
    }
    return c->d->fill_cols(c->d->ctx, row0 * c->k + c->off, m, c->k * step, x, ld, err);
}

/* The dense subsample's gather, column-major with leading dimension ld: rows [r0, r0 + m) of
 * every k-th row from off. It reads rows spread over the whole table, a cache line for each
 * value, so on a large table the upper half of the rows goes to a second thread. */
typedef struct gather_part {
    const mql_glm_data *d;
    size_t r0, m, k, off, ld;
    double *x;
    int st;
    mql_err err;
} gather_part;

static void *gather_run(void *arg)
{
    gather_part *g = arg;
    g->st = g->d->fill_cols(g->d->ctx, g->off + g->r0 * g->k, g->m, g->k, g->x + g->r0, g->ld,
                            &g->err);
    return NULL;
}

int mql_glm_gather_rows(const mql_glm_data *d, size_t off, size_t k, size_t m, double *x,
                        mql_err *err)
{
    if (!d->fill_cols) {
        size_t p = d->p;
        double *row = malloc(p * sizeof *row);
        int st = row ? MQL_OK : mql_err_set(err, MQL_ENOMEM, "out of memory");
        for (size_t i = 0; st == MQL_OK && i < m; i++) {
            st = d->fill(d->ctx, i * k + off, 1, row, err);
            for (size_t j = 0; st == MQL_OK && j < p; j++)
                x[j * m + i] = row[j];
        }
        free(row);
        return st;
    }
    size_t h = m >= 8192 ? m / 2 : m;
    gather_part lo = {d, 0, h, k, off, m, x, MQL_OK, {{0}}};
    gather_part hi = {d, h, m - h, k, off, m, x, MQL_OK, {{0}}};
    pthread_t tid;
    int threaded = h < m && pthread_create(&tid, NULL, gather_run, &hi) == 0;
    gather_run(&lo);
    if (threaded)
        pthread_join(tid, NULL);
    else if (h < m)
        gather_run(&hi);
    *err = lo.st != MQL_OK ? lo.err : hi.err;
    return lo.st != MQL_OK ? lo.st : hi.st;
}

/* Fits every k-th row (k = n / warm_rows, starting mid-stride) with R's rule and writes its
 * coefficients, in the shifted parametrisation, to beta (0 for columns aliased in the
 * subsample). It runs before any full pass, so the subsample's rows are not validated yet: any
 * failure just means no warm start, and the full first pass reports the bad row. Returns the
 * subsample fit's iteration count, or 0 when the subsample gives no usable start (failure, no
 * convergence, separation, a non-finite coefficient): the caller then starts from R's mustart,
 * so a bad subsample costs time, never accuracy. The subsample's ridge penalty is lambda / k,
 * the same penalty per row. */
int mql_glm_warm_start(const mql_glm_data *d, const mql_glm_opts *o, const mql_glm_coded *cx,
                       const double *shift, double *scratch, size_t n_scratch,
                       const struct mql_glm_work *lend, double *beta)
{
    size_t k = d->n / o->warm_rows, m = d->n / k, p = d->p;
    warm_ctx c = {d, k, k / 2, m, {m, p, NULL}, NULL, NULL, NULL};
    double *xs = NULL;
    mql_glm_coded scx;
    /* The dense subsample's y, w and rows in the caller's scratch when they fit (memory the
     * fit touches anyway: fresh memory costs more than the copying, docs/PERFORMANCE.md) */
    int own = !scratch || n_scratch < m * (p + 2) || cx;
    double *y = own ? mql_alloc_big(m * sizeof *y) : scratch;
    double *w = !d->w ? NULL : own ? mql_alloc_big(m * sizeof *w) : scratch + m;
    mql_glm_result *r = NULL;
    int iters = 0;
    if (!y || (d->w && !w))
        goto out;
    for (size_t i = 0; i < m; i++) {
        y[i] = d->y[i * k + c.off];
        if (w)
            w[i] = d->w[i * k + c.off];
    }
    mql_glm_data sd = {m, p, warm_fill, &c, y, w, NULL};
    /* With the coded layout, the subsample's passes read it too (filled once); its dense rows
     * then serve only compute_shift's first chunk. */
    if (cx) {
        c.idx = mql_alloc_big(m * (cx->k ? cx->k : 1) * sizeof *c.idx);
        c.xd = mql_alloc_big(m * cx->md * sizeof *c.xd);
        int ok = c.idx && c.xd;
        mql_err fe;
        for (size_t i = 0; ok && i < m; i++)
            ok = cx->fill(cx->ctx, i * k + c.off, 1, c.idx + i * cx->k, c.xd + i * cx->md,
                          &fe) == MQL_OK;
        if (ok) {
            c.cx = cx;
            scx = (mql_glm_coded){cx->k, cx->md, cx->dense, warm_fill_coded, &c};
            sd.coded = &scx;
        }
    }
    /* Dense rows: filled once, column-major (every pass of the subsample's fit reads them
     * again), when they take at most 256 MB; the same values either way. */
    xs = sd.coded || m * p > ((size_t)32 << 20) ? NULL
         : own ? mql_alloc_big(m * p * sizeof *xs) : scratch + 2 * m;
    if (xs) {
        mql_err fe;
        if (mql_glm_gather_rows(d, c.off, k, m, xs, &fe) == MQL_OK) {
            c.rows.x = xs;
        } else {
            if (own)
                free(xs);
            xs = NULL;
        }
    }
    if (!sd.coded && (c.rows.x || d->fill_cols))
        sd.fill_cols = warm_fill_cols;
    mql_glm_opts so = *o;
    so.l2 = o->l2 / (double)k;
    so.warm_rows = 0;
    so.keep_eta = 0;
    mql_err e = {0};
    if (mql_glm_fit_lent(&sd, &so, lend, &r, &e) != MQL_OK || r->state != MQL_GLM_CONVERGED)
        goto out;
    for (size_t j = 0; j < p; j++) {
        double b = isnan(r->beta[j]) ? 0.0 : r->beta[j];
        if (!isfinite(b))
            goto out;
        beta[j] = b;
    }
    /* raw -> shifted: beta0_s = beta0 + sum c_j beta_j */
    if (o->intercept)
        for (size_t j = 1; j < p; j++)
            beta[0] += shift[j] * beta[j];
    iters = r->iterations > 0 ? r->iterations : 1;
out:
    mql_glm_result_free(r);
    if (own) {
        free(y);
        free(w);
        free(xs);
    }
    free(c.idx);
    free(c.xd);
    return iters;
}
