/* firth.c: Firth's penalized logistic regression (Jeffreys prior) by step-halving Newton on the
 * modified score, the FLIC intercept and profile penalized-likelihood inference; the objective,
 * algorithm and references are stated in include/mqlcal/firth.h.
 *
 * Each Newton iteration makes two passes over the rows, chunk by chunk (the design is read through
 * the fill callback, as in glm.c, so no n x p copy is held): the information pass gives
 * I = X'WX, l(beta) and the plain score X'w(y - mu); after the Cholesky factor L of I is known,
 * the hat pass solves each chunk's rows against L (h_i = |L^-1 sqrt(W_i) x_i|^2, an m x k
 * triangular solve) and adds X'(h (1/2 - mu)). Non-intercept columns are shifted by their means
 * over the first chunk (as glm.c does) so I stays well conditioned; h, log det I and the slopes
 * do not change under that shift. */
#include "mqlcal/firth.h"
#include "mqlcal/glm_warm.h"
#include "mqlcal/xwx_dense.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_linalg.h>

#define FIRTH_CHUNK 4096
#define FIRTH_MAX_THREADS 16
#define FIRTH_MAX_HALVINGS 40
#define NO_FIX SIZE_MAX
#define AA_M 6                  /* Anderson acceleration memory */

void mql_firth_opts_default(mql_firth_opts *o)
{
    o->max_iter = 50;
    o->tol = 1e-8;
    o->flic = 1;
    o->profile = MQL_FIRTH_PROFILE_AUTO;
    o->alias_tol = 1e-7;
    o->threads = 0;
    o->warm_rows = 50000;
    o->keep_eta = 0;
    o->escape_cells = 1e7;
    o->stats_threads = 0;
}

/* ---------------------------------------------------------------- passes over the rows */

/* PASS_START: R's starting values (mu = (w y + 1/2) / (w + 1)): I and X'Wz of the first IRLS
 * step; PASS_INFO: I, l and the plain score; PASS_HAT: adds the hat correction X'(h (1/2 - mu)) to the
 * score with the factor of I at the same coefficients; PASS_BOTH: both in one pass, the hat
 * diagonal taken with the previous point's factor (large data, see maximise). */
enum { PASS_INFO, PASS_HAT, PASS_BOTH, PASS_ETA, PASS_START };

typedef struct fshared {
    const mql_glm_data *d;
    int serial;                 /* the parts run on the fit's thread, which beats the clock at
                                   each chunk (mql_blas_beat) */
    size_t p, k;                /* design columns; kept (estimated) columns */
    const size_t *kept;         /* k design column indices */
    const double *shift;        /* p; shift[0] = 0 */
    const double *beta_raw;     /* p: coefficients on the unshifted columns (0 when aliased) */
    const double *L;            /* k x k lower Cholesky factor of I (row-major, ld = ldl): HAT */
    size_t ldl;
    int mode, check, intercept;
    double *eta_out;            /* n: PASS_ETA, or any pass with store_eta */
    int store_eta;
    double *slope_out;          /* n, or NULL: each row's slope sum (slope_sums) */
} fshared;

typedef struct fpart {
    const fshared *sh;
    size_t row0, row1;
    double *x, *xs, *mu;        /* chunk x p, chunk x k (both column-major), chunk */
    double *sw, *res;           /* chunk: sqrt(w mu (1 - mu)) and the score residual per row
                                   (res then holds the hat term's factor) */
    double *a, *g;              /* k x k (upper triangle), k */
    double ll;
    int status;
    mql_err err;
} fpart;

/* dst = src - c and xs = s dst, row by row; dst may be src (loads come before stores). Four rows
 * a step: gcc's -O2 vectorises this form (the same values as one at a time). */
static void shift_scale(const double *src, double c, const double *s, size_t m, double *dst,
                        double *xs)
{
    size_t r = 0;
    for (; r + 4 <= m; r += 4) {
        double a0 = src[r] - c, a1 = src[r + 1] - c, a2 = src[r + 2] - c, a3 = src[r + 3] - c;
        dst[r] = a0;
        dst[r + 1] = a1;
        dst[r + 2] = a2;
        dst[r + 3] = a3;
        xs[r] = s[r] * a0;
        xs[r + 1] = s[r + 1] * a1;
        xs[r + 2] = s[r + 2] * a2;
        xs[r + 3] = s[r + 3] * a3;
    }
    for (; r < m; r++) {
        dst[r] = src[r] - c;
        xs[r] = s[r] * dst[r];
    }
}

/* h += z * z, elementwise, four rows a step as above. */
static void add_squares(const double *z, size_t m, double *h)
{
    size_t r = 0;
    for (; r + 4 <= m; r += 4) {
        double h0 = h[r] + z[r] * z[r], h1 = h[r + 1] + z[r + 1] * z[r + 1];
        double h2 = h[r + 2] + z[r + 2] * z[r + 2], h3 = h[r + 3] + z[r + 3] * z[r + 3];
        h[r] = h0;
        h[r + 1] = h1;
        h[r + 2] = h2;
        h[r + 3] = h3;
    }
    for (; r < m; r++)
        h[r] += z[r] * z[r];
}

/* e_r = sum_{j >= 1} beta_j x_rj for the m rows of the column-major chunk x, added from 0 in
 * column order, as points_fit.c's internal_scores adds each row's terms (no FMA either way):
 * beta_0 + e_r is the points step's linear predictor bit for bit, whatever the intercept. */
static void slope_sums(const double *x, size_t m, size_t p, const double *beta, double *e)
{
    for (size_t r = 0; r < m; r++)
        e[r] = 0.0;
    for (size_t j = 1; j < p; j++) {
        const double bj = beta[j], *xj = x + j * m;
        size_t r = 0;
        for (; r + 4 <= m; r += 4) {    /* four rows a step, as shift_scale (vectorised) */
            double e0 = e[r] + bj * xj[r], e1 = e[r + 1] + bj * xj[r + 1];
            double e2 = e[r + 2] + bj * xj[r + 2], e3 = e[r + 3] + bj * xj[r + 3];
            e[r] = e0;
            e[r + 1] = e1;
            e[r + 2] = e2;
            e[r + 3] = e3;
        }
        for (; r < m; r++)
            e[r] += bj * xj[r];
    }
}

/* The chunk's rows into t->x column-major (column j at x + j m): the design's fill_cols, or its
 * row fill into t->xs and a transpose. */
static int chunk_fill(fpart *t, size_t row0, size_t m)
{
    const mql_glm_data *d = t->sh->d;
    size_t p = t->sh->p;
    if (d->fill_cols)
        return d->fill_cols(d->ctx, row0, m, 1, t->x, m, &t->err);
    int st = d->fill(d->ctx, row0, m, t->xs, &t->err);
    if (st != MQL_OK)
        return st;
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < p; j++)
            t->x[j * m + r] = t->xs[r * p + j];
    return MQL_OK;
}

/* 1 when the column-major chunk x (m rows, p columns) holds a value that is not finite, or an
 * intercept (column 0) that is not 1. */
static int chunk_bad(const double *x, size_t m, size_t p, int intercept)
{
    /* v - v is 0 for a finite v and NaN for an infinite or NaN one: four sums of those, four
     * values a step (vectorised) */
    double z0 = 0.0, z1 = 0.0, z2 = 0.0, z3 = 0.0;
    size_t q = 0;
    for (; q + 4 <= m * p; q += 4) {
        z0 += x[q] - x[q];
        z1 += x[q + 1] - x[q + 1];
        z2 += x[q + 2] - x[q + 2];
        z3 += x[q + 3] - x[q + 3];
    }
    for (; q < m * p; q++)
        z0 += x[q] - x[q];
    int bad = !(z0 + z1 + z2 + z3 == 0.0);
    for (size_t r = 0; intercept && r < m; r++)
        bad |= x[r] != 1.0;
    return bad;
}

/* One chunk of a pass, column by column: the per-row weights in one loop (exp, log1p), then each
 * kept column's scaled copy and score sum in a loop over the rows, I by mql_xwx_dense_gram, the
 * hat rows by one triangular solve. */
static int part_chunk(fpart *t, size_t row0, size_t m)
{
    const fshared *sh = t->sh;
    const mql_glm_data *d = sh->d;
    size_t p = sh->p, k = sh->k;
    const double *x = t->x;     /* the chunk column-major; then its kept columns shifted */
    int st = chunk_fill(t, row0, m);
    if (st != MQL_OK)
        return st;
    /* the check: one sweep down the columns, then, when it fails, in row order, so the first
     * bad row is the one named */
    if (sh->check && chunk_bad(x, m, p, sh->intercept))
        for (size_t r = 0; r < m; r++) {
            for (size_t j = 0; j < p; j++)
                if (!isfinite(x[j * m + r]))
                    return mql_err_set(&t->err, MQL_EDATA,
                                       "design row %zu, column %zu: value %g is not finite",
                                       row0 + r, j, x[j * m + r]);
            if (sh->intercept && x[r] != 1.0)
                return mql_err_set(&t->err, MQL_EDATA,
                                   "design row %zu, column 0: intercept column holds %g, not 1",
                                   row0 + r, x[r]);
        }
    double *eta = t->mu;
    if (sh->mode == PASS_START)
        for (size_t r = 0; r < m; r++) {
            double w = d->w ? d->w[row0 + r] : 1.0;
            double ms = (w * d->y[row0 + r] + 0.5) / (w + 1.0);
            eta[r] = log(ms / (1.0 - ms));
        }
    else
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)m, (int)p, 1.0, x, (int)m, sh->beta_raw,
                    1, 0.0, eta, 1);
    if (sh->mode == PASS_ETA || sh->store_eta)
        memcpy(sh->eta_out + row0, eta, m * sizeof *eta);
    if (sh->slope_out)
        slope_sums(x, m, p, sh->beta_raw, sh->slope_out + row0);
    if (sh->mode == PASS_ETA)
        return MQL_OK;
    const double *yv = d->y + row0, *wv = d->w ? d->w + row0 : NULL;
    const double *c = sh->shift;
    const size_t *kept = sh->kept;
    double *sw = t->sw, *res = t->res;
    for (size_t r = 0; r < m; r++) {
        double w = wv ? wv[r] : 1.0, y = yv[r], e = eta[r];
        if (w == 0.0) {         /* no weight: no part in I, the score or l */
            sw[r] = res[r] = 0.0;
            t->mu[r] = 0.5;
            continue;
        }
        double ex = exp(-fabs(e));
        double mu = e >= 0.0 ? 1.0 / (1.0 + ex) : ex / (1.0 + ex);
        if (sh->mode != PASS_HAT) {     /* the hat pass leaves l to the information pass */
            double l1pe = log1p(ex);
            double lm = e >= 0.0 ? -l1pe : e - l1pe, l1m = e >= 0.0 ? -e - l1pe : -l1pe;
            t->ll += w * (y * lm + (1.0 - y) * l1m);
        }
        sw[r] = sqrt(w * mu * (1.0 - mu));
        res[r] = w * (y - mu);
        if (sh->mode == PASS_START)
            res[r] += w * mu * (1.0 - mu) * e; /* X'W z, z = eta + (y - mu) / (mu (1 - mu)) */
        t->mu[r] = mu;
    }
    /* The kept columns, shifted, to the front of x (kept[] ascends, so each column moves down
     * over one no longer needed); xs: those scaled by sqrt(W). The score sums are dgemv's. */
    double *xc = t->x;
    for (size_t q = 0; q < k; q++)
        shift_scale(x + kept[q] * m, c[kept[q]], sw, m, xc + q * m, t->xs + q * m);
    if (sh->mode != PASS_HAT)
        cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)k, 1.0, xc, (int)m, res, 1, 1.0,
                    t->g, 1);
    if (sh->mode != PASS_HAT) {
        /* the upper triangle row-major (work_pass's reading), as the dense IRLS passes form it */
        mql_xwx_dense_gram(t->xs, m, k, m, t->a);
        if (sh->mode != PASS_BOTH)
            return MQL_OK;
    }
    /* the hat: Z = sqrt(W)(X - c) L^-T (L row-major lower is L' column-major upper); h_i is the
     * squared norm of row i of Z, and the score gains X'(h (1/2 - mu)) */
    cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)m,
                (int)k, 1.0, sh->L, (int)sh->ldl, t->xs, (int)m);
    double *f = t->res;
    memset(f, 0, m * sizeof *f);
    for (size_t q = 0; q < k; q++)
        add_squares(t->xs + q * m, m, f);
    for (size_t r = 0; r < m; r++)
        f[r] = wv && wv[r] == 0.0 ? 0.0 : f[r] * (0.5 - t->mu[r]);
    cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)k, 1.0, xc, (int)m, f, 1, 1.0, t->g, 1);
    return MQL_OK;
}

static void *part_run(void *arg)
{
    fpart *t = arg;
    size_t k = t->sh->k;
    if (t->sh->mode != PASS_HAT)
        memset(t->a, 0, k * k * sizeof *t->a);
    memset(t->g, 0, k * sizeof *t->g);
    t->ll = 0.0;
    t->status = MQL_OK;
    for (size_t r = t->row0; r < t->row1; r += FIRTH_CHUNK) {
        size_t m = t->row1 - r < FIRTH_CHUNK ? t->row1 - r : FIRTH_CHUNK;
        if (t->sh->serial)
            mql_blas_beat(1);
        if ((t->status = part_chunk(t, r, m)) != MQL_OK)
            break;
    }
    return NULL;
}

/* The fit's workspace; the iteration allocates nothing. Coefficients b[] are the kept columns'
 * in the shifted parametrisation. */
typedef struct fwork {
    const mql_glm_data *d;
    size_t p, k, nthreads;
    int serial;                 /* the parts run one after another here (mql_blas_parallel) */
    fshared sh;
    fpart part[FIRTH_MAX_THREADS];
    size_t *kept;
    double *shift, *beta_raw;
    double *a, *g;              /* summed I (full k x k, symmetric) and score, k x k and k */
    double ll, logdet, pll;
    gsl_matrix *chol;           /* k x k: Cholesky factor of I at the current b */
    gsl_matrix *chol_prev;      /* k x k: the factor at the last accepted b (PASS_BOTH) */
    int lagged;                 /* 1: one pass per iteration (PASS_BOTH), see maximise */
    int start_factor;           /* 1: ws->chol holds the start's factor (for the first hat) */
    int start_info;             /* 1: ws->a, g and ll hold the information pass at the start
                                   (the warm start's first pass): maximise only factors it */
    int aa_on;                  /* Anderson acceleration switched on (slow convergence seen) */
    int stay;                   /* 1: maximise, converged, stays at its last pass's point */
    int eta_kept;               /* 1: eta (and sh.slope_out) hold the last pass's point's */
    gsl_matrix *sub;            /* k x k: scratch (constrained system, inverse) */
    gsl_vector *u, *step;       /* k */
    double *b_old, *se, *tmp;   /* k */
    double *aa_dx, *aa_df;      /* AA_M x k: Anderson history of coefficient and step changes */
    double *aa_b, *aa_f;        /* k: the previous coefficients and step */
    size_t aa_n, aa_head;
    int aa_have;
    double *eta;                /* n, allocated for FLIC / the final statistics */
} fwork;

static void work_free(fwork *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < FIRTH_MAX_THREADS; i++) {
        free(ws->part[i].x);
        free(ws->part[i].xs);
        free(ws->part[i].mu);
        free(ws->part[i].sw);
        free(ws->part[i].res);
        free(ws->part[i].a);
        free(ws->part[i].g);
    }
    free(ws->kept);
    free(ws->shift);
    free(ws->beta_raw);
    free(ws->a);
    free(ws->g);
    gsl_matrix_free(ws->chol);
    gsl_matrix_free(ws->chol_prev);
    gsl_matrix_free(ws->sub);
    gsl_vector_free(ws->u);
    gsl_vector_free(ws->step);
    free(ws->b_old);
    free(ws->se);
    free(ws->tmp);
    free(ws->aa_dx);
    free(ws->aa_df);
    free(ws->aa_b);
    free(ws->aa_f);
    free(ws->eta);
    free(ws);
}

/* Buffers are sized for all p columns, so the aliasing pass (k = p) and the fit (k = rank) share
 * them. */
static fwork *work_new(const mql_glm_data *d, size_t nthreads, int intercept, size_t n_eta)
{
    size_t p = d->p;
    fwork *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->d = d;
    ws->p = ws->k = p;
    ws->nthreads = nthreads;
    int ok = 1;
    for (size_t i = 0; i < nthreads; i++) {
        fpart *t = &ws->part[i];
        t->sh = &ws->sh;
        t->row0 = d->n * i / nthreads;
        t->row1 = d->n * (i + 1) / nthreads;
        t->x = malloc(FIRTH_CHUNK * p * sizeof *t->x);
        t->xs = malloc(FIRTH_CHUNK * p * sizeof *t->xs);
        t->mu = malloc(FIRTH_CHUNK * sizeof *t->mu);
        t->sw = malloc(FIRTH_CHUNK * sizeof *t->sw);
        t->res = malloc(FIRTH_CHUNK * sizeof *t->res);
        t->a = malloc(p * p * sizeof *t->a);
        t->g = malloc(p * sizeof *t->g);
        ok = ok && t->x && t->xs && t->mu && t->sw && t->res && t->a && t->g;
    }
    ws->kept = malloc(p * sizeof *ws->kept);
    ws->shift = calloc(p, sizeof *ws->shift);
    ws->beta_raw = calloc(p, sizeof *ws->beta_raw);
    ws->a = malloc(p * p * sizeof *ws->a);
    ws->g = malloc(p * sizeof *ws->g);
    ws->chol = gsl_matrix_alloc(p, p);
    ws->chol_prev = gsl_matrix_alloc(p, p);
    ws->sub = gsl_matrix_alloc(p, p);
    ws->u = gsl_vector_alloc(p);
    ws->step = gsl_vector_alloc(p);
    ws->b_old = malloc(p * sizeof *ws->b_old);
    ws->se = malloc(p * sizeof *ws->se);
    ws->tmp = malloc(p * sizeof *ws->tmp);
    ws->aa_dx = malloc(AA_M * p * sizeof *ws->aa_dx);
    ws->aa_df = malloc(AA_M * p * sizeof *ws->aa_df);
    ws->aa_b = malloc(p * sizeof *ws->aa_b);
    ws->aa_f = malloc(p * sizeof *ws->aa_f);
    ws->eta = malloc(n_eta * sizeof *ws->eta);
    if (!ok || !ws->kept || !ws->shift || !ws->beta_raw || !ws->a || !ws->g || !ws->chol || !ws->chol_prev ||
        !ws->sub || !ws->u || !ws->step || !ws->b_old || !ws->se || !ws->tmp || !ws->aa_dx ||
        !ws->aa_df || !ws->aa_b || !ws->aa_f || !ws->eta) {
        work_free(ws);
        return NULL;
    }
    for (size_t j = 0; j < p; j++)
        ws->kept[j] = j;
    ws->sh.d = d;
    ws->sh.p = p;
    ws->sh.k = p;
    ws->sh.kept = ws->kept;
    ws->sh.shift = ws->shift;
    ws->sh.beta_raw = ws->beta_raw;
    ws->sh.intercept = intercept;
    ws->sh.eta_out = ws->eta;
    return ws;
}

/* Runs one pass of the given mode at b (shifted, kept columns) and sums the threads' parts in
 * range order (deterministic for a given thread count). */
static int work_pass(fwork *ws, const double *b, int mode, int check, mql_err *err)
{
    size_t p = ws->p, k = ws->k;
    memset(ws->beta_raw, 0, p * sizeof *ws->beta_raw);
    for (size_t q = 0; q < k; q++)
        ws->beta_raw[ws->kept[q]] = b[q];
    for (size_t q = 1; q < k; q++)
        ws->beta_raw[0] -= ws->shift[ws->kept[q]] * b[q];
    ws->sh.k = k;
    ws->sh.mode = mode;
    ws->sh.check = check;
    const gsl_matrix *lf = mode == PASS_BOTH ? ws->chol_prev : ws->chol;
    ws->sh.L = lf->data;
    ws->sh.ldl = lf->tda;
    pthread_t tid[FIRTH_MAX_THREADS];
    int started[FIRTH_MAX_THREADS] = {0};
    for (size_t i = 1; i < ws->nthreads; i++)
        started[i] = !ws->serial && pthread_create(&tid[i], NULL, part_run, &ws->part[i]) == 0;
    part_run(&ws->part[0]);
    for (size_t i = 1; i < ws->nthreads; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            part_run(&ws->part[i]);
    }
    for (size_t i = 0; i < ws->nthreads; i++)
        if (ws->part[i].status != MQL_OK) {
            *err = ws->part[i].err;
            return ws->part[i].status;
        }
    ws->eta_kept = ws->sh.store_eta || mode == PASS_ETA || (mode == PASS_HAT && ws->eta_kept);
    if (mode == PASS_ETA)
        return MQL_OK;
    int info = mode != PASS_HAT;
    if (info) {
        memset(ws->a, 0, k * k * sizeof *ws->a);
        memset(ws->g, 0, k * sizeof *ws->g);
        ws->ll = 0.0;
    }
    for (size_t i = 0; i < ws->nthreads; i++) {
        const fpart *t = &ws->part[i];
        if (info) {
            for (size_t q = 0; q < k * k; q++)
                ws->a[q] += t->a[q];
            ws->ll += t->ll;
        }
        for (size_t q = 0; q < k; q++)
            ws->g[q] += t->g[q];
    }
    if (info)
        for (size_t r = 0; r < k; r++)
            for (size_t s = 0; s < r; s++)
                ws->a[r * k + s] = ws->a[s * k + r];
    return MQL_OK;
}

/* Factors I (ws->a) into ws->chol and sets logdet and pll. Returns -1 when I is not positive
 * definite (or not finite). */
static int factor(fwork *ws)
{
    size_t k = ws->k;
    gsl_matrix_view L = gsl_matrix_submatrix(ws->chol, 0, 0, k, k);
    for (size_t r = 0; r < k; r++)
        for (size_t s = 0; s < k; s++)
            gsl_matrix_set(&L.matrix, r, s, ws->a[r * k + s]);
    if (gsl_linalg_cholesky_decomp1(&L.matrix) != GSL_SUCCESS)
        return -1;
    double ld = 0.0;
    for (size_t q = 0; q < k; q++) {
        double v = gsl_matrix_get(&L.matrix, q, q);
        if (!(v > 0.0))
            return -1;
        ld += 2.0 * log(v);
    }
    ws->logdet = ld;
    ws->pll = ws->ll + 0.5 * ld;
    return isfinite(ws->pll) ? 0 : -1;
}

/* sqrt(diag I^-1) of the current factor into se (k). */
static void std_errors(fwork *ws, double *se)
{
    size_t k = ws->k;
    gsl_matrix_view S = gsl_matrix_submatrix(ws->sub, 0, 0, k, k);
    gsl_matrix_const_view L = gsl_matrix_const_submatrix(ws->chol, 0, 0, k, k);
    gsl_matrix_memcpy(&S.matrix, &L.matrix);
    gsl_linalg_cholesky_invert(&S.matrix);
    for (size_t q = 0; q < k; q++)
        se[q] = sqrt(gsl_matrix_get(&S.matrix, q, q));
}

/* The Newton step on the modified score U = ws->g (after the hat pass) into ws->step: I^-1 U, or
 * with coefficient fix held, I_FF^-1 U_F on the others (logistf's restricted step). */
static int newton_step(fwork *ws, size_t fix)
{
    size_t k = ws->k;
    gsl_vector_view st = gsl_vector_subvector(ws->step, 0, k);
    if (fix == NO_FIX) {
        gsl_matrix_const_view L = gsl_matrix_const_submatrix(ws->chol, 0, 0, k, k);
        gsl_vector_const_view u = gsl_vector_const_view_array(ws->g, k);
        return gsl_linalg_cholesky_solve(&L.matrix, &u.vector, &st.vector) == GSL_SUCCESS ? 0 : -1;
    }
    size_t f = k - 1;
    gsl_matrix_view S = gsl_matrix_submatrix(ws->sub, 0, 0, f, f);
    gsl_vector_view u = gsl_vector_subvector(ws->u, 0, f);
    gsl_vector_view sf = gsl_vector_subvector(ws->step, 0, f);
    for (size_t r = 0, rr = 0; r < k; r++) {
        if (r == fix)
            continue;
        for (size_t s = 0, ss = 0; s < k; s++)
            if (s != fix)
                gsl_matrix_set(&S.matrix, rr, ss++, ws->a[r * k + s]);
        gsl_vector_set(&u.vector, rr++, ws->g[r]);
    }
    if (gsl_linalg_cholesky_decomp1(&S.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_solve(&S.matrix, &u.vector, &sf.vector) != GSL_SUCCESS)
        return -1;
    for (size_t r = k; r-- > 0;) {
        if (r == fix)
            ws->step->data[r] = 0.0;
        else
            ws->step->data[r] = gsl_vector_get(ws->step, r > fix ? r - 1 : r);
    }
    return 0;
}

/* Anderson's extrapolation: with F the history of step changes and X that of coefficient
 * changes (columns scaled by the standard errors sc), gamma = argmin |f - F gamma| and b (which
 * holds b + f) moves by -(X + F) gamma. Returns 1 when b was changed. */
static int anderson(fwork *ws, size_t k, const double *sc, double *b)
{
    size_t m = ws->aa_n;
    double nm[AA_M * AA_M], rhs[AA_M], gam[AA_M];
    const double *f = ws->aa_f;
    for (size_t i = 0; i < m; i++) {
        const double *fi = ws->aa_df + i * k;
        double r = 0.0;
        for (size_t q = 0; q < k; q++)
            r += fi[q] * f[q] / (sc[q] * sc[q]);
        rhs[i] = r;
        for (size_t j = 0; j <= i; j++) {
            const double *fj = ws->aa_df + j * k;
            double v = 0.0;
            for (size_t q = 0; q < k; q++)
                v += fi[q] * fj[q] / (sc[q] * sc[q]);
            nm[i * m + j] = nm[j * m + i] = v;
        }
    }
    double tr = 0.0;
    for (size_t i = 0; i < m; i++)
        tr += nm[i * m + i];
    if (!(tr > 0.0) || !isfinite(tr))
        return 0;
    for (size_t i = 0; i < m; i++)
        nm[i * m + i] += 1e-10 * tr;
    gsl_matrix_view N = gsl_matrix_view_array(nm, m, m);
    gsl_vector_view R = gsl_vector_view_array(rhs, m), G = gsl_vector_view_array(gam, m);
    if (gsl_linalg_cholesky_decomp1(&N.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_solve(&N.matrix, &R.vector, &G.vector) != GSL_SUCCESS)
        return 0;
    for (size_t i = 0; i < m; i++)
        for (size_t q = 0; q < k; q++)
            b[q] -= gam[i] * (ws->aa_dx[i * k + q] + ws->aa_df[i * k + q]);
    return 1;
}

/* Maximises l* over b (k, shifted) from its current value, with b[fix] held when fix != NO_FIX.
 * scale: the standard errors the step is measured in (NULL: those of the current information,
 * recomputed each iteration). On return ws->a, chol, ll, logdet and pll belong to the
 * coefficients before the last (sub-tolerance) step, which b includes unless ws->stay (then b is
 * that point, so the pass's results are b's). *conv = 1 when the step fell below tol.
 * On large data (ws->lagged) each iteration makes one pass: the hat diagonal at the new point is
 * taken with the factor of the information at the previous point. h is O(p / n) there and the
 * two informations agree ever more closely as the steps shrink, so the iteration has the same
 * fixed point (the modified score is exactly 0 where the step is 0) at half the passes. */
static int maximise(fwork *ws, double *b, size_t fix, const double *scale, int max_iter,
                    double tol, int *iters, int *conv, mql_err *err)
{
    size_t k = ws->k;
    int st;
    *conv = 0;
    /* lagged: the first hat is taken with the factor already in ws->chol (the start's) */
    int first_both = ws->lagged && ws->start_factor;
    if (first_both)
        gsl_matrix_memcpy(ws->chol_prev, ws->chol);
    ws->start_factor = 0;
    /* lagged from the warm start's information pass: the first step is the likelihood's Newton
     * step, with no hat pass (the penalty's part of the score is O(p), small against the step
     * from a subsample's estimate, which is several standard errors); the next pass's lagged hat
     * brings the penalty in, and no step without it can end the iteration */
    int first_plain = ws->lagged && ws->start_info;
    if (ws->start_info)
        ws->start_info = 0;
    else if ((st = work_pass(ws, b, first_both ? PASS_BOTH : PASS_INFO, 0, err)) != MQL_OK)
        return st;
    if (factor(ws))
        return mql_err_set(err, MQL_EDATA, "firth: the information matrix X'WX of the %zu "
                           "kept columns is singular at the start", k);
    int it = 0;
    ws->aa_n = ws->aa_head = 0;
    ws->aa_have = 0;
    ws->aa_on = 0;
    double prev_big = 0.0;
    while (it < max_iter) {
        it++;
        if ((!ws->lagged || (it == 1 && !first_both && !first_plain)) &&
            (st = work_pass(ws, b, PASS_HAT, 0, err)) != MQL_OK)
            return st;
        if (newton_step(ws, fix))
            return mql_err_set(err, MQL_EDATA, "firth: iteration %d: singular information", it);
        const double *se = scale;
        if (!se) {
            std_errors(ws, ws->se);
            se = ws->se;
        }
        double big = 0.0;
        for (size_t q = 0; q < k; q++) {
            double v = fabs(ws->step->data[q]) / se[q];
            big = v > big || isnan(v) ? v : big;
        }
        if (!isfinite(big))
            return mql_err_set(err, MQL_EDATA, "firth: iteration %d: no finite Newton step", it);
        if (big < tol && !(it == 1 && first_plain)) {
            for (size_t q = 0; !ws->stay && q < k; q++)
                b[q] += ws->step->data[q];
            *conv = 1;
            break;
        }
        /* Fisher scoring on l* converges only linearly where the penalty's curvature is
         * comparable to the information's (near separation). Anderson acceleration (Walker & Ni
         * 2011) of the fixed-point map b -> b + I^-1 U* over the last AA_M steps removes those
         * slow directions; a candidate that does not raise l* falls back to the plain step. */
        const double *sc = se;
        double *f = ws->step->data;
        if (ws->aa_have) {
            size_t slot = ws->aa_head;
            for (size_t q = 0; q < k; q++) {
                ws->aa_dx[slot * k + q] = b[q] - ws->aa_b[q];
                ws->aa_df[slot * k + q] = f[q] - ws->aa_f[q];
            }
            ws->aa_head = (slot + 1) % AA_M;
            if (ws->aa_n < AA_M)
                ws->aa_n++;
        }
        memcpy(ws->aa_b, b, k * sizeof *b);
        memcpy(ws->aa_f, f, k * sizeof *f);
        ws->aa_have = 1;
        double pll_old = ws->pll;
        memcpy(ws->b_old, b, k * sizeof *b);
        for (size_t q = 0; q < k; q++)
            b[q] += f[q];
        /* switched on once the steps shrink by less than a factor 4 near the optimum */
        if (big < 1.0 && prev_big > 0.0 && big > 0.25 * prev_big)
            ws->aa_on = 1;
        prev_big = big;
        int accelerated = ws->aa_on && ws->aa_n > 0 && anderson(ws, k, sc, b);
        int halvings = 0, bad;
        if (ws->lagged)
            gsl_matrix_memcpy(ws->chol_prev, ws->chol);
        for (;;) {
            if ((st = work_pass(ws, b, ws->lagged ? PASS_BOTH : PASS_INFO, 0, err)) != MQL_OK)
                return st;
            bad = factor(ws);
            if (!bad && ws->pll >= pll_old - 1e-12 * (fabs(pll_old) + 1.0))
                break;
            if (accelerated) {          /* back to the plain step, history restarted */
                accelerated = 0;
                ws->aa_n = 0;
                for (size_t q = 0; q < k; q++)
                    b[q] = ws->b_old[q] + f[q];
                continue;
            }
            if (++halvings > FIRTH_MAX_HALVINGS)
                break;
            for (size_t q = 0; q < k; q++)
                b[q] = 0.5 * (b[q] + ws->b_old[q]);
        }
        if (halvings > FIRTH_MAX_HALVINGS) {
            /* no ascent along the step: stay at the last point (not converged) */
            memcpy(b, ws->b_old, k * sizeof *b);
            if ((st = work_pass(ws, b, ws->lagged ? PASS_BOTH : PASS_INFO, 0, err)) != MQL_OK)
                return st;
            if (factor(ws))
                return mql_err_set(err, MQL_EDATA, "firth: singular information");
            break;
        }
    }
    *iters = it;
    return MQL_OK;
}

/* Fisher scoring ascends l*, but its metric is I (positive definite), not l*'s Hessian, so it
 * can stop at a saddle point of l*, where the modified score is zero but l* still rises nearby:
 * on the bundled B2B file with its rare levels pooled, l* = -165.123 there while the maximum,
 * which R's Newton reaches, is -164.804. A saddle is unstable: from a point a thousandth of a
 * standard error away, in a fixed pseudo-random direction, the ascent leaves it. So the
 * maximisation is restarted from such a point; the restart's end replaces b when l* is higher
 * there by more than rounding, and is tried again from it (at most MAX_ESCAPES times). At a
 * maximum the restart comes back and b is kept bit for bit. *pll: l* at the returned b.
 * Leaves ws's passes at some other point: the caller makes its own pass at b afterwards. */
#define MAX_ESCAPES 4
static int escape_saddle(fwork *ws, double *b, size_t fix, const double *scale, int max_iter,
                         double tol, int *iters, double *pll, mql_err *err)
{
    size_t k = ws->k;
    double *bb = malloc(k * sizeof *bb), *se = malloc(k * sizeof *se);
    if (!bb || !se) {
        free(bb);
        free(se);
        return mql_err_set(err, MQL_ENOMEM, "firth: out of memory");
    }
    int st = MQL_OK;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    /* l* at b itself (maximise's last pass was at the point before its last step) */
    if ((st = work_pass(ws, b, PASS_INFO, 0, err)) != MQL_OK)
        goto out;
    if (factor(ws)) {
        st = mql_err_set(err, MQL_EDATA, "firth: singular information at the estimate");
        goto out;
    }
    *pll = ws->pll;
    for (int round = 0; round < MAX_ESCAPES; round++) {
        if (scale)
            memcpy(se, scale, k * sizeof *se);
        else
            std_errors(ws, se);
        for (size_t q = 0; q < k; q++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(seed >> 11) / 9007199254740992.0 - 0.5;
            bb[q] = q == fix ? b[q] : b[q] + 2e-3 * u * se[q];
        }
        int it = 0, conv = 0;
        if ((st = maximise(ws, bb, fix, scale, max_iter, tol, &it, &conv, err)) != MQL_OK)
            goto out;
        *iters += it;
        if (!conv)
            break;
        if ((st = work_pass(ws, bb, PASS_INFO, 0, err)) != MQL_OK)
            goto out;
        if (factor(ws) || !(ws->pll > *pll + 1e-9 * (1.0 + fabs(*pll))))
            break;
        memcpy(b, bb, k * sizeof *b);
        *pll = ws->pll;
    }
out:
    free(bb);
    free(se);
    return st;
}

/* ---------------------------------------------------------------- aliasing and start */

/* glm.c's rule on the first pass's I (equal weights at the start, so I is proportional to the
 * shifted cross-product): a column whose residual on the kept earlier columns has squared norm
 * below tol^2 times its own (unshifted) squared norm is aliased. */
static size_t detect_aliasing(fwork *ws, double tol, int intercept, unsigned char *aliased)
{
    size_t p = ws->p, rank = 0;
    const double *a = ws->a;
    double *l = ws->sub->data;
    size_t tda = ws->sub->tda;
    for (size_t j = 0; j < p; j++) {
        double ss = a[j * p + j];
        if (intercept && j > 0) {
            double c = ws->shift[j];
            ss += 2.0 * c * a[j] + c * c * a[0];
        }
        double dj = a[j * p + j];
        for (size_t t = 0; t < rank; t++) {
            size_t kk = ws->kept[t];
            double v = a[kk * p + j];
            for (size_t s = 0; s < t; s++)
                v -= l[j * tda + s] * l[kk * tda + s];
            v /= l[kk * tda + t];
            l[j * tda + t] = v;
            dj -= v * v;
        }
        if (!(ss > 0.0) || !(dj > tol * tol * ss)) {
            aliased[j] = 1;
            continue;
        }
        aliased[j] = 0;
        l[j * tda + rank] = sqrt(dj);
        ws->kept[rank++] = j;
    }
    return rank;
}

static int check_data(const mql_glm_data *d, double *sum_w, double *events, size_t *n_ok,
                      mql_err *err)
{
    if (!d || !d->fill || !d->y)
        return mql_err_set(err, MQL_EUSAGE, "firth: missing data, fill callback or y");
    if (d->n == 0)
        return mql_err_set(err, MQL_EDATA, "firth: no rows");
    if (d->p == 0)
        return mql_err_set(err, MQL_EDATA, "firth: no columns in the design matrix");
    if (d->p > 4096)
        return mql_err_set(err, MQL_ENOMEM, "firth: %zu columns is beyond the supported size",
                           d->p);
    double sw = 0.0, ev = 0.0;
    size_t ok = 0;
    for (size_t i = 0; i < d->n; i++) {
        double y = d->y[i], w = d->w ? d->w[i] : 1.0;
        if (!(y >= 0.0 && y <= 1.0))
            return mql_err_set(err, MQL_EDATA, "row %zu: response %g is outside [0, 1]", i, y);
        if (!(w >= 0.0) || !isfinite(w))
            return mql_err_set(err, MQL_EDATA, "row %zu: weight %g is negative or not finite",
                               i, w);
        sw += w;
        ev += w * y;
        ok += w > 0.0;
    }
    if (ok == 0)
        return mql_err_set(err, MQL_EDATA, "firth: all %zu weights are zero", d->n);
    *sum_w = sw;
    *events = ev;
    *n_ok = ok;
    return MQL_OK;
}

static int check_opts(const mql_firth_opts *o, mql_err *err)
{
    if (o->max_iter < 1)
        return mql_err_set(err, MQL_EUSAGE, "firth: max_iter %d must be at least 1", o->max_iter);
    if (!(o->tol > 0.0 && o->tol < 1.0))
        return mql_err_set(err, MQL_EUSAGE, "firth: tolerance %g must be in (0, 1)", o->tol);
    if (!(o->alias_tol > 0.0 && o->alias_tol < 1.0))
        return mql_err_set(err, MQL_EUSAGE, "firth: aliasing tolerance %g must be in (0, 1)",
                           o->alias_tol);
    if (o->threads < 0 || o->threads > FIRTH_MAX_THREADS)
        return mql_err_set(err, MQL_EUSAGE, "firth: threads %d must be in 0..%d", o->threads,
                           FIRTH_MAX_THREADS);
    if (o->profile < MQL_FIRTH_PROFILE_AUTO || o->profile > MQL_FIRTH_PROFILE_ON)
        return mql_err_set(err, MQL_EUSAGE, "firth: profile %d must be -1, 0 or 1", o->profile);
    if (o->stats_threads < 0 || o->stats_threads > 1)
        return mql_err_set(err, MQL_EUSAGE, "firth: stats_threads %d must be 0 or 1",
                           o->stats_threads);
    return MQL_OK;
}

/* ---------------------------------------------------------------- profile inference */

#define Z975 1.959963984540054          /* sqrt(qchisq(0.95, 1)) */

/* Root of the penalized LR statistic for b[q] = v: sqrt(2 (pll_max - max l* | b_q = v)). The
 * constrained fit starts from warm (the last solution for this term, or the estimate) moved along
 * the covariance column to b_q = v (the linear approximation of the constrained optimum), and
 * leaves its solution in warm. A step of 1e-6 standard errors is precise enough: the statistic's
 * error is of the order of its square. */
static int profile_root(fwork *ws, double *warm, const double *cov_col, size_t q, double v,
                        double pll_max, const double *se, int escape, double *root, mql_err *err)
{
    size_t k = ws->k;
    double d = (v - warm[q]) / cov_col[q];
    for (size_t s = 0; s < k; s++)
        warm[s] += d * cov_col[s];
    warm[q] = v;
    int it = 0, conv;
    int st = maximise(ws, warm, q, se, 200, 1e-6, &it, &conv, err);
    if (st != MQL_OK)
        return st;
    warm[q] = v;
    double pll = ws->pll;
    if (escape && conv && (st = escape_saddle(ws, warm, q, se, 200, 1e-6, &it, &pll, err)) !=
                              MQL_OK)
        return st;
    double stat = 2.0 * (pll_max - pll);
    *root = stat > 0.0 ? sqrt(stat) : 0.0;
    return MQL_OK;
}

/* One end of the interval of term q (side -1 or +1), in the distance t = side (b_q - bh_q) >= 0
 * where the root r(t) is nearly linear: secant steps from (0, 0), kept inside the bracket once
 * one is known (bisection otherwise), doubling t until r passes Z975. The constrained fits
 * continue from one another; at the end found, escape_saddle checks that the constrained fit is
 * a maximum, and when it was not (l* higher nearby, so r lower) the search goes on from there
 * (at most MAX_ESCAPES times). */
static int profile_end(fwork *ws, const double *bh, const double *cov_col, size_t q, int side,
                       double pll_max, const double *se, double *end, mql_err *err)
{
    size_t k = ws->k;
    double *warm = ws->tmp;
    memcpy(warm, bh, k * sizeof *warm);
    double t0 = 0.0, r0 = 0.0, t1 = Z975 * se[q], r1;
    double lo = 0.0, hi = INFINITY;         /* r(lo) < Z975 <= r(hi) */
    int st = profile_root(ws, warm, cov_col, q, bh[q] + side * t1, pll_max, se, 0, &r1, err);
    if (st != MQL_OK)
        return st;
    for (int escapes = 0;; escapes++) {
        for (int n = 0; n < 100 && fabs(r1 - Z975) > 1e-9; n++) {
            if (r1 < Z975)
                lo = t1 > lo ? t1 : lo;
            else
                hi = t1 < hi ? t1 : hi;
            double t2 = r1 != r0 ? t1 + (Z975 - r1) * (t1 - t0) / (r1 - r0) : NAN;
            if (isinf(hi)) {
                if (!(t2 > lo) || !isfinite(t2) || t2 > 4.0 * lo + 1e-300)
                    t2 = lo > 0.0 ? 2.0 * lo : 2.0 * t1;
                if (t2 > 1e6 * (se[q] + 1.0)) {
                    *end = side * INFINITY;
                    return MQL_OK;
                }
            } else if (!(t2 > lo && t2 < hi)) {
                t2 = 0.5 * (lo + hi);
            }
            if (fabs(t2 - t1) < 1e-12 * (1.0 + t1))
                break;
            t0 = t1;
            r0 = r1;
            t1 = t2;
            if ((st = profile_root(ws, warm, cov_col, q, bh[q] + side * t1, pll_max, se, 0, &r1,
                                   err)) != MQL_OK)
                return st;
        }
        if (escapes == MAX_ESCAPES)
            break;
        double r_end;
        if ((st = profile_root(ws, warm, cov_col, q, bh[q] + side * t1, pll_max, se, 1, &r_end,
                               err)) != MQL_OK)
            return st;
        if (!(r_end < r1 - 1e-9))
            break;
        /* a higher branch at t1: r there is lower, so the end lies further out */
        r1 = r_end;
        lo = t1;
        hi = INFINITY;
        t0 = 0.0;
        r0 = 0.0;
    }
    *end = bh[q] + side * t1;
    return MQL_OK;
}

/* Profile intervals and LR p-values of every kept non-intercept term into r (design indices). */
static int profile_all(fwork *ws, const double *bh, const gsl_matrix *cov_s, double pll_max,
                       const double *se, mql_glm_result *r, mql_err *err)
{
    size_t k = ws->k, p = ws->p;
    double *col = malloc(k * sizeof *col);
    r->ci_lo = malloc(p * sizeof *r->ci_lo);
    r->ci_hi = malloc(p * sizeof *r->ci_hi);
    r->lr_p = malloc(p * sizeof *r->lr_p);
    if (!col || !r->ci_lo || !r->ci_hi || !r->lr_p) {
        free(col);
        return mql_err_set(err, MQL_ENOMEM, "firth: out of memory");
    }
    for (size_t j = 0; j < p; j++)
        r->ci_lo[j] = r->ci_hi[j] = r->lr_p[j] = NAN;
    int st = MQL_OK;
    for (size_t q = 1; q < k && st == MQL_OK; q++) {
        for (size_t s = 0; s < k; s++)
            col[s] = gsl_matrix_get(cov_s, s, q);
        size_t j = ws->kept[q];
        double root;
        memcpy(ws->tmp, bh, k * sizeof *bh);
        if ((st = profile_root(ws, ws->tmp, col, q, 0.0, pll_max, se, 1, &root, err)) != MQL_OK)
            break;
        r->lr_p[j] = gsl_cdf_chisq_Q(root * root, 1.0);
        if ((st = profile_end(ws, bh, col, q, -1, pll_max, se, &r->ci_lo[j], err)) == MQL_OK)
            st = profile_end(ws, bh, col, q, 1, pll_max, se, &r->ci_hi[j], err);
    }
    free(col);
    return st;
}

/* ---------------------------------------------------------------- the fit */

static double y_log_y(double y, double mu)
{
    return y != 0.0 ? y * log(y / mu) : 0.0;
}

/* The saturated model's part of a row's deviance, y log y + (1 - y) log(1 - y): +0.0 for y = 0
 * or 1, as y_log_y gives it there (log(1) = +0), without the log per row. */
static double dev_saturated(double y)
{
    return y == 0.0 || y == 1.0 ? 0.0 : y_log_y(y, 1.0) + y_log_y(1.0 - y, 1.0);
}

/* ---------------------------------------------------------------- FLIC and the statistics
 *
 * Their sums run over the rows in row order, as they always did. The per-row work (an exp, a
 * log1p) is split: a second thread does it for the rows from `split` on into a buffer while the
 * caller does its own rows and sums them, then the caller adds the buffered rows in row order.
 * Each row's value is the same expression on either thread, and each sum the same sequence of
 * additions, so the results are the serial loop's bit for bit. */

typedef struct frows {
    const mql_glm_data *d;
    const double *eta;          /* n: the linear predictor at Firth's coefficients */
    double beta0, a;            /* FLIC: mu_i = logistic(eta_i - beta0 + a) */
    double shift;               /* the statistics: eta_i + shift is the reported predictor */
    double *out;                /* FLIC: mu of rows split.. (indexed from split); the
                                   statistics: each row's log-likelihood term, over eta */
    double *keep;               /* the statistics: the kept slope sums, or NULL (+= beta0) */
    size_t r0, r1, ext;
} frows;

static double row_w(const mql_glm_data *d, size_t i)
{
    return d->w ? d->w[i] : 1.0;
}

/* FLIC's mu for rows r0..r1 into out (rows without weight are skipped). */
static void *flic_rows(void *arg)
{
    frows *f = arg;
    for (size_t i = f->r0; i < f->r1; i++)
        if (row_w(f->d, i) != 0.0)
            f->out[i - f->r0] = mql_logistic(f->eta[i] - f->beta0 + f->a);
    return NULL;
}

/* One row of the statistics at e = eta_i + shift: its log-likelihood term (weight w), and 1 in
 * *ext when its fitted probability is 0 or 1 to 10 ulp. log(mu) and log(1 - mu) without
 * cancellation; mu and the logs share one exp (mu is mql_logistic(e) bit for bit). */
static double stat_row(double e, double w, double y, size_t *ext)
{
    const double eps10 = 10.0 * DBL_EPSILON;
    double ex = exp(-fabs(e));
    double mu = e >= 0.0 ? 1.0 / (1.0 + ex) : ex / (1.0 + ex);
    double l1pe = log1p(ex);
    double lm = e >= 0.0 ? -l1pe : e - l1pe, l1m = e >= 0.0 ? -e - l1pe : -l1pe;
    *ext += mu < eps10 || mu > 1.0 - eps10;
    return w * (y * lm + (1.0 - y) * l1m);
}

/* The statistics' rows r0..r1: each row's log-likelihood term over out (= eta, which nothing
 * reads after the statistics), the extreme count, and the kept predictor's intercept. */
static void *stat_rows(void *arg)
{
    frows *f = arg;
    const mql_glm_data *d = f->d;
    for (size_t i = f->r0; i < f->r1; i++) {
        double w = row_w(d, i);
        if (w != 0.0)
            f->out[i] = stat_row(f->eta[i] + f->shift, w, d->y[i], &f->ext);
        if (f->keep)
            f->keep[i] = f->beta0 + f->keep[i];
    }
    return NULL;
}

/* Runs fn(f) on a second thread (or here, when none can be started); *started for rows_join. */
static void rows_start(void *(*fn)(void *), frows *f, pthread_t *tid, int *started)
{
    *started = f->r0 < f->r1 && pthread_create(tid, NULL, fn, f) == 0;
}

static void rows_join(void *(*fn)(void *), frows *f, pthread_t tid, int started)
{
    if (started)
        pthread_join(tid, NULL);
    else
        fn(f);
}

/* FLIC's intercept: maximum likelihood of alpha with offsets o_i = eta_i - beta0 (ws->eta holds
 * eta_i); Newton on the one-dimensional score sum w (y - mu). Sets *alpha and *se. buf: n - split
 * doubles for the second thread's rows (split = n: none, all rows here). */
static void flic_intercept(const fwork *ws, double beta0, double *buf, size_t split,
                           double *alpha, double *se)
{
    const mql_glm_data *d = ws->d;
    double a = beta0, info = 0.0;
    for (int it = 0; it < 100; it++) {
        double g = 0.0;
        info = 0.0;
        frows f = {d, ws->eta, beta0, a, 0.0, buf, NULL, split, d->n, 0};
        pthread_t tid;
        int started;
        rows_start(flic_rows, &f, &tid, &started);
        for (size_t i = 0; i < split; i++) {
            double w = row_w(d, i);
            if (w == 0.0)
                continue;
            double mu = mql_logistic(ws->eta[i] - beta0 + a);
            g += w * (d->y[i] - mu);
            info += w * mu * (1.0 - mu);
        }
        rows_join(flic_rows, &f, tid, started);
        for (size_t i = split; i < d->n; i++) {
            double w = row_w(d, i);
            if (w == 0.0)
                continue;
            double mu = buf[i - split];
            g += w * (d->y[i] - mu);
            info += w * mu * (1.0 - mu);
        }
        if (!(info > 0.0))
            break;
        double step = g / info;
        a += step;
        if (fabs(step) < 1e-13 * (1.0 + fabs(a)))
            break;
    }
    *alpha = a;
    *se = info > 0.0 ? 1.0 / sqrt(info) : NAN;
}

/* Deviance, log-likelihood and extreme fits of eta_i + shift (ws->eta, overwritten from split
 * on) into r; keep (NULL: none), the kept slope sums, gains the reported intercept beta0. */
static void final_stats(fwork *ws, double shift, size_t split, double *keep, double beta0,
                        mql_glm_result *r)
{
    const mql_glm_data *d = ws->d;
    double dev = 0.0, ll = 0.0;
    size_t ext = 0;
    frows f = {d, ws->eta, beta0, 0.0, shift, ws->eta, keep, split, d->n, 0};
    pthread_t tid;
    int started;
    rows_start(stat_rows, &f, &tid, &started);
    for (size_t i = 0; i < split; i++) {
        double w = row_w(d, i), y = d->y[i];
        if (keep)
            keep[i] = beta0 + keep[i];
        if (w == 0.0)
            continue;
        double li = stat_row(ws->eta[i] + shift, w, y, &ext);
        ll += li;
        dev += -2.0 * li + 2.0 * w * dev_saturated(y);
    }
    rows_join(stat_rows, &f, tid, started);
    for (size_t i = split; i < d->n; i++) {
        double w = row_w(d, i);
        if (w == 0.0)
            continue;
        double li = ws->eta[i];
        ll += li;
        dev += -2.0 * li + 2.0 * w * dev_saturated(d->y[i]);
    }
    r->deviance = dev;
    r->loglik = ll;
    r->n_extreme = ext + f.ext;
}

static mql_glm_result *result_alloc(size_t n, size_t p)
{
    mql_glm_result *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->n = n;
    r->p = p;
    r->beta = malloc(p * sizeof *r->beta);
    r->se = malloc(p * sizeof *r->se);
    r->aliased = calloc(p, 1);
    r->separated = calloc(p, 1);
    r->cov = gsl_matrix_alloc(p, p);
    if (!r->beta || !r->se || !r->aliased || !r->separated || !r->cov) {
        mql_glm_result_free(r);
        return NULL;
    }
    return r;
}

/* ---------------------------------------------------------------- the warm start */

static int firth_fit(const mql_glm_data *d, const mql_firth_opts *o, int start_only,
                     mql_glm_result **out, mql_err *err);

/* Large n (n >= 4 warm_rows): Firth's fit of every k-th row (k = n / warm_rows, from mid-stride),
 * without FLIC or profiles, into b (p, the shifted parametrisation: b0 = beta0 + sum c_j b_j; 0
 * for columns aliased in the subsample). Firth's estimate is finite where a plain fit of the
 * subsample would separate, so the start serves the data Firth is chosen for. The rows, y and w
 * are gathered into scratch (m (p + 2) doubles). Returns the subsample fit's iterations, or 0
 * when it gives no start (any failure: the full first pass then reports a bad row). */
static int warm_start(const mql_glm_data *d, const mql_firth_opts *o, const double *shift,
                      double *scratch, double *b)
{
    size_t k = d->n / o->warm_rows, m = d->n / k, off = k / 2, p = d->p;
    double *y = scratch, *w = d->w ? scratch + m : NULL, *x = scratch + 2 * m;
    mql_err e = {0};
    if (mql_glm_gather_rows(d, off, k, m, x, &e) != MQL_OK)
        return 0;
    for (size_t i = 0; i < m; i++) {
        y[i] = d->y[i * k + off];
        if (w)
            w[i] = d->w[i * k + off];
    }
    mql_glm_rows c = {m, p, x};
    mql_glm_data sd = {m, p, mql_glm_rows_fill, &c, y, w, NULL, mql_glm_rows_fill_cols};
    mql_firth_opts so = *o;
    so.warm_rows = 0;
    so.flic = 0;
    so.keep_eta = 0;
    so.profile = MQL_FIRTH_PROFILE_OFF;
    mql_glm_result *r = NULL;
    int iters = 0;
    if (firth_fit(&sd, &so, 1, &r, &e) != MQL_OK)
        goto out;
    for (size_t j = 0; j < p; j++) {
        double v = r->aliased[j] ? 0.0 : r->beta[j];
        if (!isfinite(v))
            goto out;
        b[j] = v;
    }
    for (size_t j = 1; j < p; j++)
        b[0] += shift[j] * b[j];
    iters = r->iterations > 0 ? r->iterations : 1;
out:
    mql_glm_result_free(r);
    return iters;
}

int mql_firth_fit(const mql_glm_data *d, const mql_firth_opts *o, mql_glm_result **out,
                  mql_err *err)
{
    return firth_fit(d, o, 0, out, err);
}

/* mql_firth_fit; start_only (the warm start's subsample fit): the coefficients, aliasing and
 * iterations only, MQL_OK when converged. No saddle check there: the full data's fit runs its
 * own when its rows x terms allow it, and beyond that l* is close to concave (escape_saddle), so
 * where it starts does not decide which maximum it reaches; nor the final pass, covariance,
 * FLIC and statistics, which the start does not use. */
static int firth_fit(const mql_glm_data *d, const mql_firth_opts *o, int start_only,
                     mql_glm_result **out, mql_err *err)
{
    if (!out)
        return mql_err_set(err, MQL_EUSAGE, "firth: no output pointer");
    *out = NULL;
    mql_firth_opts def;
    if (!o) {
        mql_firth_opts_default(&def);
        o = &def;
    }
    int st = check_opts(o, err);
    double sum_w = 0.0, events = 0.0;
    size_t n_ok = 0;
    if (st != MQL_OK || (st = check_data(d, &sum_w, &events, &n_ok, err)) != MQL_OK)
        return st;
    size_t p = d->p;
    size_t nthreads = mql_glm_threads(d->n, o->threads);
    int blas_threads = mql_blas_single();   /* before mql_blas_parallel, as in mql_glm_fit */
    int blas_par = mql_blas_parallel();
    if (blas_par < 0) {
        mql_blas_restore(blas_threads);
        return mql_err_set(err, MQL_ENOMEM, "firth: out of memory (the BLAS needs a 128 MiB work "
                           "buffer)");
    }
    /* The warm start's subsample (m rows, p + 2 doubles each) is gathered into the eta buffer,
     * which nothing else uses before the final pass: memory the fit touches anyway. */
    int try_warm = o->warm_rows > 0 && d->n / 4 >= o->warm_rows;
    size_t n_eta = d->n;
    if (try_warm) {
        size_t sm = d->n / (d->n / o->warm_rows);
        if (sm * (p + 2) > n_eta)
            n_eta = sm * (p + 2);
    }
    fwork *ws = work_new(d, nthreads, 1, n_eta);
    if (ws)
        ws->serial = ws->sh.serial = !blas_par;
    mql_glm_result *r = result_alloc(d->n, p);
    double *b = malloc(p * sizeof *b);
    gsl_matrix *cov_s = gsl_matrix_alloc(p, p);
    if (!ws || !r || !b || !cov_s) {
        st = mql_err_set(err, MQL_ENOMEM, "firth: out of memory for %zu columns", p);
        goto done;
    }
    r->method = MQL_GLM_METHOD_FIRTH;
    if (o->keep_eta && !(r->eta = mql_alloc_big((d->n ? d->n : 1) * sizeof *r->eta))) {
        st = mql_err_set(err, MQL_ENOMEM, "firth: out of memory for the linear predictor");
        goto done;
    }

    /* shift: weighted means of the first chunk's columns */
    size_t m0 = d->n < FIRTH_CHUNK ? d->n : FIRTH_CHUNK;
    if ((st = d->fill(d->ctx, 0, m0, ws->part[0].x, err)) != MQL_OK)
        goto done;
    double sw0 = 0.0;
    for (size_t i = 0; i < m0; i++) {
        double w = d->w ? d->w[i] : 1.0;
        sw0 += w;
        for (size_t j = 1; j < p; j++)
            ws->shift[j] += w * ws->part[0].x[i * p + j];
    }
    for (size_t j = 1; j < p; j++)
        ws->shift[j] = sw0 > 0.0 && isfinite(ws->shift[j]) ? ws->shift[j] / sw0 : 0.0;

    /* Large n: start from Firth's fit of a subsample (warm_start) */
    int warm = try_warm ? warm_start(d, o, ws->shift, ws->eta, b) : 0;
    /* start: the first pass validates the rows and fixes the columns kept by glm.c's aliasing
     * rule on its information matrix: at R's glm starting values (the same first-iteration
     * weights as glm.c), whose first least-squares step is the start, or at the warm start (as
     * glm.c's warm pass 0), whose information pass it then is */
    if (!warm)
        memset(b, 0, p * sizeof *b);
    if ((st = work_pass(ws, b, warm ? PASS_INFO : PASS_START, 1, err)) != MQL_OK)
        goto done;
    size_t rank = detect_aliasing(ws, o->alias_tol, 1, r->aliased);
    if (r->aliased[0]) {
        st = mql_err_set(err, MQL_EDATA, "firth: the intercept column is aliased");
        goto done;
    }
    int redo = 0;
    for (size_t s = 0; s < rank; s++) {
        for (size_t t = 0; t < rank; t++)
            ws->a[s * rank + t] = ws->a[ws->kept[s] * p + ws->kept[t]];
        ws->g[s] = ws->g[ws->kept[s]];
    }
    for (size_t j = 0; warm && j < p; j++)
        redo |= r->aliased[j] && b[j] != 0.0;
    ws->k = rank;
    ws->lagged = d->n > MQL_FIRTH_PROFILE_ROWS;
    if (warm) {
        for (size_t q = 0; q < rank; q++)
            b[q] = b[ws->kept[q]];
        /* a column aliased here but not in the subsample left its term in that pass's eta */
        if (redo && (st = work_pass(ws, b, PASS_INFO, 0, err)) != MQL_OK)
            goto done;
        ws->start_info = 1;
        r->warm_iterations = warm;
    } else {
        if (factor(ws) || newton_step(ws, NO_FIX)) {
            st = mql_err_set(err, MQL_EDATA, "firth: the %zu kept columns are singular", rank);
            goto done;
        }
        for (size_t q = 0; q < rank; q++)
            b[q] = isfinite(ws->step->data[q]) ? ws->step->data[q] : 0.0;
        ws->start_factor = 1;
    }

    int iters = 0, conv = 0;
    /* Large data not checked for a saddle point: the estimate is the point of the last pass,
     * whose step fell below tol (as the plain fit's last pass is at its final coefficients): its
     * information, l* and linear predictor, which every pass keeps, are the final ones, and no
     * pass follows. */
    int check_saddle = !start_only && (double)d->n * (double)rank <= o->escape_cells;
    ws->stay = ws->lagged && !start_only && !check_saddle;
    ws->sh.store_eta = ws->stay;
    ws->sh.slope_out = ws->stay ? r->eta : NULL;
    st = maximise(ws, b, NO_FIX, NULL, o->max_iter, o->tol, &iters, &conv, err);
    int stayed = ws->stay;
    ws->stay = 0;
    ws->sh.store_eta = 0;
    ws->sh.slope_out = NULL;
    if (st != MQL_OK)
        goto done;
    /* data small enough for another maximisation: make sure it is a maximum (escape_saddle) */
    double pll_end;
    if (conv && check_saddle &&
        (st = escape_saddle(ws, b, NO_FIX, NULL, o->max_iter, o->tol, &iters, &pll_end, err)) !=
            MQL_OK)
        goto done;
    for (size_t j = 0; j < p; j++)
        r->beta[j] = NAN;
    for (size_t q = 0; q < rank; q++)
        r->beta[ws->kept[q]] = b[q];
    r->beta[0] = b[0];
    for (size_t q = 1; q < rank; q++)
        r->beta[0] -= ws->shift[ws->kept[q]] * b[q];
    if (start_only) {
        r->iterations = iters;
        r->converged = conv;
        *out = r;
        r = NULL;
        st = conv ? MQL_OK : MQL_ENOCONV;
        goto done;
    }
    /* the information, l* and log det at the final coefficients (after the last step), the
     * linear predictor for FLIC and the fit statistics, and the slope sums of the kept one: a
     * pass, unless maximise stayed at its last pass's point (then only the linear predictor,
     * if that pass did not keep it) */
    ws->sh.store_eta = 1;
    ws->sh.slope_out = r->eta;
    if (!stayed || !ws->eta_kept)
        st = work_pass(ws, b, stayed ? PASS_ETA : PASS_INFO, 0, err);
    ws->sh.store_eta = 0;
    ws->sh.slope_out = NULL;
    if (st != MQL_OK)
        goto done;
    if (factor(ws)) {
        st = mql_err_set(err, MQL_EDATA, "firth: singular information at the estimate");
        goto done;
    }
    r->pen_loglik = ws->pll;
    r->logdet = ws->logdet;
    /* covariance: I^-1 in the shifted parametrisation, mapped back (beta0 = b0 - sum c_j b_j) */
    gsl_matrix_view C = gsl_matrix_submatrix(cov_s, 0, 0, rank, rank);
    gsl_matrix_const_view L = gsl_matrix_const_submatrix(ws->chol, 0, 0, rank, rank);
    gsl_matrix_memcpy(&C.matrix, &L.matrix);
    if (gsl_linalg_cholesky_invert(&C.matrix) != GSL_SUCCESS) {
        st = mql_err_set(err, MQL_EDATA, "firth: cannot invert the final information matrix");
        goto done;
    }
    for (size_t q = 0; q < rank; q++)
        ws->se[q] = sqrt(gsl_matrix_get(&C.matrix, q, q));
    gsl_matrix_set_all(r->cov, NAN);
    double *t0 = ws->tmp;       /* row 0 of T cov_s, T = I - e0 c' */
    for (size_t t = 0; t < rank; t++) {
        double v = gsl_matrix_get(&C.matrix, 0, t);
        for (size_t s = 1; s < rank; s++)
            v -= ws->shift[ws->kept[s]] * gsl_matrix_get(&C.matrix, s, t);
        t0[t] = v;
    }
    double v00 = t0[0];
    for (size_t s = 1; s < rank; s++)
        v00 -= ws->shift[ws->kept[s]] * t0[s];
    for (size_t s = 0; s < rank; s++)
        for (size_t t = 0; t < rank; t++) {
            double v = s == 0 && t == 0 ? v00 : s == 0 ? t0[t] : t == 0 ? t0[s]
                                                                        : gsl_matrix_get(&C.matrix, s, t);
            gsl_matrix_set(r->cov, ws->kept[s], ws->kept[t], v);
        }
    r->beta0_firth = r->beta[0];

    int profile = o->profile == MQL_FIRTH_PROFILE_ON ||
                  (o->profile == MQL_FIRTH_PROFILE_AUTO && d->n <= MQL_FIRTH_PROFILE_ROWS);
    if (profile && conv) {
        double *bh = malloc(rank * sizeof *bh), *se = malloc(rank * sizeof *se);
        if (!bh || !se) {
            free(bh);
            free(se);
            st = mql_err_set(err, MQL_ENOMEM, "firth: out of memory");
            goto done;
        }
        memcpy(bh, b, rank * sizeof *b);
        memcpy(se, ws->se, rank * sizeof *se);
        st = profile_all(ws, bh, &C.matrix, r->pen_loglik, se, r, err);
        memcpy(b, bh, rank * sizeof *b);
        free(bh);
        free(se);
        if (st != MQL_OK)
            goto done;
    }

    /* FLIC and the fit statistics of the reported model, from the linear predictor stored by
     * the last information pass (the profiles' passes do not store it) */
    for (size_t j = 0; j < p; j++)
        r->se[j] = r->aliased[j] ? NAN : sqrt(gsl_matrix_get(r->cov, j, j));
    /* the second thread's share of FLIC's and the statistics' rows (none on one thread, or
     * when FLIC's buffer cannot be had: then all rows here, the same sums) */
    size_t split = nthreads > 1 && o->stats_threads != 1 ? d->n / 2 : d->n;
    double shift0 = 0.0;
    if (o->flic) {
        double alpha, se0;
        double *buf = split < d->n ? malloc((d->n - split) * sizeof *buf) : NULL;
        flic_intercept(ws, r->beta[0], buf, buf ? split : d->n, &alpha, &se0);
        free(buf);
        shift0 = alpha - r->beta[0];
        r->beta[0] = alpha;
        r->se[0] = se0;
        gsl_matrix_set(r->cov, 0, 0, se0 * se0);
        r->flic = 1;
    }
    /* with the kept linear predictor at the reported coefficients: intercept + slope sum, as
     * the points step would compute it from r->beta */
    final_stats(ws, shift0, split, r->eta, r->beta[0], r);
    double mu0 = events / sum_w;
    /* a 0/1 outcome's part, the same expression once per value */
    double nd1 = y_log_y(1.0, mu0) + y_log_y(0.0, 1.0 - mu0);
    double nd0 = y_log_y(0.0, mu0) + y_log_y(1.0, 1.0 - mu0);
    double nd = 0.0;
    for (size_t i = 0; i < d->n; i++) {
        double w = row_w(d, i), y = d->y[i];
        if (w > 0.0)
            nd += 2.0 * w * (y == 1.0 ? nd1 : y == 0.0 ? nd0
                                                      : y_log_y(y, mu0) + y_log_y(1.0 - y, 1.0 - mu0));
    }
    r->null_deviance = nd;
    r->rank = rank;
    r->aic = -2.0 * r->loglik + 2.0 * (double)rank;
    r->df_null = (double)n_ok - 1.0;
    r->df_residual = (double)n_ok - (double)rank;
    r->n_weighted = sum_w;
    r->events = events;
    r->iterations = iters;
    r->converged = conv;
    r->state = conv ? MQL_GLM_CONVERGED : MQL_GLM_NOT_CONVERGED;
    *out = r;
    r = NULL;
    if (!conv)
        st = mql_err_set(err, MQL_ENOCONV, "firth: no convergence after %d iterations "
                         "(penalized log-likelihood %.10g)", iters, (*out)->pen_loglik);
done:
    free(b);
    gsl_matrix_free(cov_s);
    work_free(ws);
    mql_glm_result_free(r);
    mql_blas_restore(blas_threads);
    mql_blas_beat(0);
    return st;
}
