/* glm.c: binomial logistic regression by IRLS (Newton, canonical logit link), following R's
 * glm.fit / binomial() step by step so coefficients, SEs, deviance and AIC agree with R. */
#include "mqlcal/glm.h"
#include "mqlcal/xwx.h"
#include "mqlcal/xwx_dense.h"
#include "mqlcal/glm_warm.h"

#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>

#define GLM_CHUNK 4096          /* rows per fill call: the chunk (p <= 64) stays in L2 */
#define GLM_MAX_THREADS 16
#define GLM_AUTO_THREAD_ROWS 32768

/* OpenBLAS threads its own kernels, which only costs time on our small per-chunk products and
 * oversubscribes the cores when our own passes are threaded: a fit runs it single-threaded and
 * restores the setting afterwards. Weak references keep GSL's reference CBLAS usable. */
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int n) __attribute__((weak));

size_t mql_glm_threads(size_t n, int threads)
{
    size_t t = threads > 0 ? (size_t)threads : (n >= GLM_AUTO_THREAD_ROWS ? 2 : 1);
    return t > n ? n : t;
}

int mql_blas_single(void)
{
    if (!openblas_get_num_threads || !openblas_set_num_threads)
        return 0;
    int threads = openblas_get_num_threads();
    if (threads == 1)
        return 0;
    openblas_set_num_threads(1);
    return threads;
}

void mql_blas_restore(int threads)
{
    if (threads > 0 && openblas_set_num_threads)
        openblas_set_num_threads(threads);
}

/* OpenBLAS takes a work buffer of 128 MiB (and a page) from malloc for each thread inside a
 * level-2 or level-3 call at the same time (our dsyrk and dgemv per chunk), keeps it until exit,
 * and when malloc refuses one retries for ever. Without a limit on memory malloc does not refuse
 * 128 MiB of address space, and the passes call the BLAS from their threads. Under a limit
 * (`ulimit -v`, strict overcommit) a probe-and-free before the fit was not enough: the fit's own
 * allocations after the probe could take the room, and a BLAS call then spun in OpenBLAS for
 * ever (about one run in 40 at 310-380 MB). So under a limit the BLAS is called from one thread
 * only, the one that runs the fits (mqlcal's main thread): it takes its buffer here, while the
 * room just probed is still free, and the passes run their parts one after another on it. The
 * parts are the same, so are the sums and every bit of the result. */
#define BLAS_BUFFER_BYTES ((size_t)128 << 20)

int mql_memory_unlimited(void)
{
    struct rlimit as, data;
    if (getrlimit(RLIMIT_AS, &as) != 0 || getrlimit(RLIMIT_DATA, &data) != 0 ||
        as.rlim_cur != RLIM_INFINITY || data.rlim_cur != RLIM_INFINITY)
        return 0;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = -1;
    if (f) {
        if (fscanf(f, "%d", &mode) != 1)
            mode = -1;
        fclose(f);
    }
    return mode == 0 || mode == 1;
}

int mql_blas_parallel(void)
{
    static _Atomic int ready;   /* the calling thread's buffer exists */
    if (!openblas_get_num_threads || mql_memory_unlimited())
        return 1;
    if (ready)
        return 0;
    /* the buffer and a page, and room for what OpenBLAS's first call maps before it (a run
     * whose probe had 2 MiB to spare still spun) */
    void *probe = malloc(BLAS_BUFFER_BYTES + 4096 + ((size_t)16 << 20));
    if (!probe)
        return -1;
    free(probe);
    /* a 1 x 1 dsyrk: OpenBLAS's level-3 interface takes the buffer on every call, and keeps it */
    double a = 1.0, c = 0.0;
    mql_blas_beat(1);
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, 1, 1, 1.0, &a, 1, 0.0, &c, 1);
    ready = 1;
    return 0;
}

/* Under a memory limit the fit's thread also beats a clock at each chunk and iteration of its
 * passes (CLOCK_MONOTONIC nanoseconds of the last beat, 0 when no fit runs): OpenBLAS can
 * still wait there for ever, rarely (docs/RELIABILITY.md), and mqlcal's watchdog ends a run
 * whose beat has stopped (mql_blas_stall_seconds). A beat costs a clock read per 4,096 rows;
 * without a limit there is none. */
static _Atomic long long beat_ns;

static long long clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void mql_blas_beat(int on)
{
    long long t = on ? clock_ns() : 0;
    beat_ns = on && t == 0 ? 1 : t;
}

double mql_blas_stall_seconds(void)
{
    long long t = beat_ns;
    return t ? (double)(clock_ns() - t) / 1e9 : 0.0;
}

/* ---------------------------------------------------------------- fresh memory */

/* The first write to a fresh page costs the kernel its zeroing (docs/PERFORMANCE.md: about
 * 1.5-3 ms per MB here), and the warm start's gather would take all of that on one thread:
 * a second thread writes one byte a page of the upper half meanwhile. */
typedef struct touch_range {
    unsigned char *p;
    size_t bytes;
} touch_range;

static void *touch_pages(void *arg)
{
    const touch_range *t = arg;
    for (size_t k = 0; k < t->bytes; k += 4096)
        t->p[k] = 0;
    return NULL;
}

static void touch_halves(void *p, size_t bytes)
{
    size_t half = bytes / 2 / 4096 * 4096;
    touch_range lo = {p, half}, hi = {(unsigned char *)p + half, bytes - half};
    pthread_t tid;
    int threaded = pthread_create(&tid, NULL, touch_pages, &hi) == 0;
    touch_pages(&lo);
    if (threaded)
        pthread_join(tid, NULL);
    else
        touch_pages(&hi);
}

/* ---------------------------------------------------------------- the logit link, R's way */

/* R's C_logit_linkinv / C_logit_mu_eta clamp |eta| > 30 so that mu stays inside (0, 1) and
 * dmu/deta >= DBL_EPSILON; we copy them so separated fits follow R's iterates exactly. */
#define R_THRESH 30.0

static double r_linkinv(double eta, double *mu_eta)
{
    double t;
    if (eta < -R_THRESH)
        t = DBL_EPSILON;
    else if (eta > R_THRESH)
        t = 1.0 / DBL_EPSILON;
    else
        t = exp(eta);
    double opt = 1.0 + t;
    *mu_eta = (eta > R_THRESH || eta < -R_THRESH) ? DBL_EPSILON : t / (opt * opt);
    return t / opt;
}

/* R's y_log_y: y * log(y / mu) with 0 log 0 = 0. */
static double y_log_y(double y, double mu)
{
    return y != 0.0 ? y * log(y / mu) : 0.0;
}

double mql_glm_eta(const double *x, const double *beta, size_t p)
{
    double s = 0.0;
    for (size_t j = 0; j < p; j++)
        if (!isnan(beta[j]))
            s += x[j] * beta[j];
    return s;
}

void mql_glm_opts_default(mql_glm_opts *o)
{
    o->max_iter = 25;
    o->tol = 1e-8;
    o->l2 = 0.0;
    o->intercept = 1;
    o->alias_tol = 1e-7;
    o->threads = 0;
    o->warm_rows = 50000;
    o->method = MQL_GLM_METHOD_ML;
    o->flic = 1;
    o->profile = -1;
    o->unit_start = 0;
    o->keep_eta = 0;
    o->last_margin = 0.5;
    o->cache = NULL;
}

int mql_glm_fill_matrix(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    const gsl_matrix *X = ctx;
    if (!X || row0 > X->size1 || m > X->size1 - row0)
        return mql_err_set(err, MQL_EUSAGE, "design rows %zu..%zu outside the %zu-row matrix",
                           row0, row0 + m, X ? X->size1 : 0);
    for (size_t r = 0; r < m; r++)
        memcpy(x + r * X->size2, X->data + (row0 + r) * X->tda, X->size2 * sizeof(double));
    return MQL_OK;
}

/* ---------------------------------------------------------------- results */

void mql_glm_result_free(mql_glm_result *r)
{
    if (!r)
        return;
    free(r->beta);
    free(r->se);
    free(r->aliased);
    free(r->separated);
    free(r->ci_lo);
    free(r->ci_hi);
    free(r->lr_p);
    free(r->eta);
    gsl_matrix_free(r->cov);
    free(r);
}

static mql_glm_result *result_new(size_t n, size_t p)
{
    mql_gsl_quiet();
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

/* ---------------------------------------------------------------- passes over the data */

/* One pass over X evaluates, at the current coefficients, the deviance and the pieces of the
 * next Newton system: A = X'WX (upper triangle) and b = X'Wz. Rows are split into contiguous
 * ranges, one per thread; each range has its own accumulators, summed in range order so the
 * result does not depend on scheduling. Non-intercept columns are shifted by c (the weighted
 * means of the first chunk) so X'WX stays well conditioned when a column has a large mean; the
 * shifted intercept is mapped back at the end. */
typedef struct glm_shared {
    const mql_glm_data *d;
    size_t p;
    const double *shift;        /* p, shift[0] = 0 */
    const double *beta;         /* p in the shifted parametrisation, or NULL: R's mustart */
    double *beta_raw;           /* p + 1: the same coefficients on the unshifted columns, then 0
                                   (the coded layout's "no column") */
    const mql_glm_coded *coded; /* the coded layout when the passes read it, else NULL */
    int check;                  /* validate X (first pass) */
    int last;                   /* deviance and eta only: no system (mql_glm_opts.last_margin) */
    int intercept;
    int unit_start;             /* mql_glm_opts.unit_start */
    int serial;                 /* the parts run one after another on the fit's thread, which
                                   beats the clock at each chunk (mql_blas_beat) */
    double *eta_out;            /* n or NULL: every pass at beta writes X beta here, so the last
                                   pass leaves the final linear predictor (mql_glm_opts.keep_eta) */
} glm_shared;

typedef struct glm_part {
    const glm_shared *sh;
    size_t row0, row1;
    double *x;                  /* GLM_CHUNK x p column-major (coded layout: GLM_CHUNK x md
                                   dense values, row-major) */
    double *xr;                 /* GLM_CHUNK x p: fill's rows when the data has no fill_cols */
    double *eta;                /* GLM_CHUNK */
    double *wz;                 /* GLM_CHUNK */
    double *s;                  /* GLM_CHUNK: sqrt(W) */
    double *mu, *me;            /* GLM_CHUNK: mu and mu.eta of the common rows */
    uint32_t *idx;              /* GLM_CHUNK x k slot columns (coded layout) */
    mql_xwx *xa;                /* the coded layout's sums, assembled into a and b */
    double *a;                  /* p x p */
    double *b;                  /* p */
    double *pos, *neg;          /* p + 1: separation counts (first pass) */
    unsigned char *binary;      /* p */
    double dev;                 /* sum of unit deviances */
    double dev_int;             /* part of dev from rows with integer w and w*y */
    double ll_nonint;           /* log-likelihood of the other rows (w > 0) */
    double ll_const;            /* beta-free part of the log-likelihood of integer rows */
    size_t n_extreme;
    int status;
    mql_err err;
} glm_part;

static double lchoose_int(double n, double k)
{
    if (k == 0.0 || k == n)
        return 0.0;
    return lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma(n - k + 1.0);
}

/* Adds a chunk's weighted events (pos) and non-events (neg) among rows with x_j = 1, and clears
 * binary[j] when column j holds a value other than 0 and 1 on a row with w > 0. Row r's column
 * j is x[r * rs + j * cs] (row-major: rs = p, cs = 1; column-major: rs = 1, cs = ld). */
static void sep_count(const double *x, size_t m, size_t p, size_t rs, size_t cs, const double *y,
                      const double *w, double *pos, double *neg, unsigned char *binary)
{
    for (size_t j = 1; j < p; j++) {
        for (size_t r = 0; binary[j] && r < m; r++) {
            double wr = w ? w[r] : 1.0, v = x[r * rs + j * cs];
            if (wr == 0.0)
                continue;
            if (v == 1.0) {
                pos[j] += wr * y[r];
                neg[j] += wr * (1.0 - y[r]);
            } else if (v != 0.0) {
                binary[j] = 0;
            }
        }
    }
}

static void sep_decide(size_t p, const double *pos, const double *neg,
                       const unsigned char *binary, signed char *sep, double *cnt)
{
    sep[0] = 0;
    if (cnt)
        cnt[0] = 0.0;
    for (size_t j = 1; j < p; j++) {
        double c = binary[j] ? pos[j] + neg[j] : 0.0;
        sep[j] = 0;
        if (cnt)
            cnt[j] = c;
        if (c == 0.0)
            continue;
        if (neg[j] == 0.0)
            sep[j] = 1;
        else if (pos[j] == 0.0)
            sep[j] = -1;
    }
}

/* Pass 0's checks of a dense chunk (column-major, m rows): finite values, the intercept
 * column, separation counts. The first bad value in row order is reported. */
static int check_dense(glm_part *t, size_t row0, size_t m)
{
    const glm_shared *sh = t->sh;
    const mql_glm_data *d = sh->d;
    size_t p = sh->p;
    const double *x = t->x;
    /* v * 0 is NaN exactly when v is not finite; rows are only searched when it is. Eight
     * sums, so that no add waits for the one before, in locals: gcc kept an array of sums in
     * memory, each add then waiting on the store of the one before (a third of the first
     * pass's row loop on 1M x 20). */
    double q0 = 0.0, q1 = 0.0, q2 = 0.0, q3 = 0.0, q4 = 0.0, q5 = 0.0, q6 = 0.0, q7 = 0.0;
    size_t k = 0;
    for (; k + 8 <= m * p; k += 8) {
        q0 += x[k] * 0.0;
        q1 += x[k + 1] * 0.0;
        q2 += x[k + 2] * 0.0;
        q3 += x[k + 3] * 0.0;
        q4 += x[k + 4] * 0.0;
        q5 += x[k + 5] * 0.0;
        q6 += x[k + 6] * 0.0;
        q7 += x[k + 7] * 0.0;
    }
    for (; k < m * p; k++)
        q0 += x[k] * 0.0;
    double probe = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7));
    for (size_t r = 0; r < m; r++) {
        for (size_t j = 0; isnan(probe) && j < p; j++)
            if (!isfinite(x[j * m + r]))
                return mql_err_set(&t->err, MQL_EDATA,
                                   "design row %zu, column %zu: value %g is not finite",
                                   row0 + r, j, x[j * m + r]);
        if (sh->intercept && x[r] != 1.0)
            return mql_err_set(&t->err, MQL_EDATA,
                               "design row %zu, column 0: intercept column holds %g, not 1",
                               row0 + r, x[r]);
    }
    sep_count(x, m, p, 1, m, d->y + row0, d->w ? d->w + row0 : NULL, t->pos, t->neg, t->binary);
    return MQL_OK;
}

/* A dense chunk, column-major with leading dimension m, from fill_cols or, without one, fill's
 * rows transposed. */
static int fill_dense(glm_part *t, size_t row0, size_t m)
{
    const mql_glm_data *d = t->sh->d;
    size_t p = t->sh->p;
    if (d->fill_cols)
        return d->fill_cols(d->ctx, row0, m, 1, t->x, m, &t->err);
    int st = d->fill(d->ctx, row0, m, t->xr, &t->err);
    for (size_t r = 0; st == MQL_OK && r < m; r++)
        for (size_t j = 0; j < p; j++)
            t->x[j * m + r] = t->xr[r * p + j];
    return st;
}

/* The same checks on a chunk in the coded layout: coded columns hold 0 and 1 by construction,
 * so only the dense values are checked; separation counts as sep_count's. */
static int check_coded(glm_part *t, size_t row0, size_t m)
{
    const glm_shared *sh = t->sh;
    const mql_glm_data *d = sh->d;
    const mql_glm_coded *cx = sh->coded;
    size_t k = cx->k, md = cx->md;
    const double *xd = t->x, *yv = d->y + row0, *wv = d->w ? d->w + row0 : NULL;
    for (size_t r = 0; r < m; r++) {
        const double *xr = xd + r * md;
        for (size_t a = 0; a < md; a++)
            if (!isfinite(xr[a]))
                return mql_err_set(&t->err, MQL_EDATA,
                                   "design row %zu, column %zu: value %g is not finite",
                                   row0 + r, cx->dense[a], xr[a]);
        if (sh->intercept && xr[0] != 1.0)
            return mql_err_set(&t->err, MQL_EDATA,
                               "design row %zu, column 0: intercept column holds %g, not 1",
                               row0 + r, xr[0]);
        double w = wv ? wv[r] : 1.0;
        if (w == 0.0)
            continue;
        for (size_t i = 0; i < k; i++) {
            uint32_t j = t->idx[r * k + i];
            t->pos[j] += w * yv[r];
            t->neg[j] += w * (1.0 - yv[r]);
        }
    }
    for (size_t a = 0; a < md; a++) {
        size_t j = cx->dense[a];
        for (size_t r = 0; j > 0 && t->binary[j] && r < m; r++) {
            double w = wv ? wv[r] : 1.0, v = xd[r * md + a];
            if (w == 0.0)
                continue;
            if (v == 1.0) {
                t->pos[j] += w * yv[r];
                t->neg[j] += w * (1.0 - yv[r]);
            } else if (v != 0.0) {
                t->binary[j] = 0;
            }
        }
    }
    return MQL_OK;
}

/* The link's divisions for rows whose e = exp(eta) is in mu (|eta| <= 30): mu = e / (1 + e),
 * mu.eta = mu / (1 + e) into me, z = eta + (y - mu) / mu.eta. Two rows a step, all loads before
 * any store, a form gcc's -O2 vectorises; each value is the one the scalar expression gives.
 * Other rows get meaningless values, which part_chunk overwrites. */
static void link_rows(size_t m, const double *eta, const double *y, double *mu, double *me,
                      double *z)
{
    size_t r = 0;
    for (; r + 2 <= m; r += 2) {
        double e0 = mu[r], e1 = mu[r + 1], t0 = eta[r], t1 = eta[r + 1];
        double y0 = y[r], y1 = y[r + 1];
        double o0 = 1.0 + e0, o1 = 1.0 + e1;
        double u0 = e0 / o0, u1 = e1 / o1;
        double d0 = u0 / o0, d1 = u1 / o1;
        double z0 = t0 + (y0 - u0) / d0, z1 = t1 + (y1 - u1) / d1;
        mu[r] = u0;
        mu[r + 1] = u1;
        me[r] = d0;
        me[r + 1] = d1;
        z[r] = z0;
        z[r + 1] = z1;
    }
    for (; r < m; r++) {
        double o = 1.0 + mu[r], u = mu[r] / o, d = u / o;
        z[r] = eta[r] + (y[r] - u) / d;
        mu[r] = u;
        me[r] = d;
    }
}

/* Whether every row of a chunk is a common one: weight 1 (or none), y 0 or 1, |eta| <= 30. Such
 * a chunk takes common_rows instead of part_chunk's row loop. */
static int all_common(size_t m, const double *eta, const double *y, const double *w)
{
    size_t odd = 0;
    for (size_t r = 0; r < m; r++)
        odd += !(eta[r] >= -R_THRESH && eta[r] <= R_THRESH) | (y[r] != 0.0 && y[r] != 1.0) |
               (w && w[r] != 1.0);
    return odd == 0;
}

/* part_chunk's row loop for a chunk of common rows (all_common), in sweeps: sqrt(W) and the
 * argument of the deviance's log without a branch, the logs in a loop of their own, then the
 * sums in row order. Each value and each sum is the one the row loop gives (W = 1 * mu.eta,
 * dev_i = 2 * 1 * -log(mu or 1 - mu), added to dev and dev_int in the same order); such rows
 * add nothing to ll_nonint or ll_const. me's values are spent once W is taken, so it holds the
 * logs. */
static void common_rows(glm_part *t, size_t m, const double *y)
{
    const double eps10 = 10.0 * DBL_EPSILON;
    const double *restrict mu = t->mu;
    double *restrict s = t->s, *restrict wz = t->wz, *restrict lg = t->me;
    mql_xwx_root_weights(m, y, mu, lg, s, wz);
    for (size_t r = 0; r < m; r++)
        lg[r] = log(lg[r]);
    double dev = t->dev, dev_int = t->dev_int;
    size_t n_extreme = t->n_extreme;
    for (size_t r = 0; r < m; r++) {
        double dev_i = 2.0 * 1.0 * -lg[r];
        dev += dev_i;
        dev_int += dev_i;
        n_extreme += mu[r] > 1.0 - eps10 || mu[r] < eps10;
    }
    t->dev = dev;
    t->dev_int = dev_int;
    t->n_extreme = n_extreme;
}

/* part_chunk's rows in general: W, z and the deviance row by row, the rows with |eta| > 30 by
 * R's clamped link, the log-likelihood's parts for weighted or fractional rows. */
static void other_rows(glm_part *t, size_t m, const double *ev, const double *yv,
                       const double *wv)
{
    const glm_shared *sh = t->sh;
    const double eps10 = 10.0 * DBL_EPSILON;
    /* the sums in locals (t's arrays could alias them), added in the same order */
    double dev = t->dev, dev_int = t->dev_int, ll_nonint = t->ll_nonint, ll_const = t->ll_const;
    size_t n_extreme = t->n_extreme;
    for (size_t r = 0; r < m; r++) {
        double y = yv[r], w = wv ? wv[r] : 1.0, eta = ev[r];
        double mu_eta, mu;
        if (w == 0.0) {
            t->s[r] = 0.0;
            t->wz[r] = 0.0;
            continue;
        }
        double s, z, dev_i;
        if (eta >= -R_THRESH && eta <= R_THRESH) {
            mu = t->mu[r];
            mu_eta = t->me[r];
            s = sqrt(w * mu_eta);
            z = t->wz[r];
        } else {
            mu = r_linkinv(eta, &mu_eta);
            s = sqrt(w * mu_eta * mu_eta / (mu * (1.0 - mu)));
            z = eta + (y - mu) / mu_eta;
        }
        if (y == 0.0)
            dev_i = 2.0 * w * -log(1.0 - mu);
        else if (y == 1.0)
            dev_i = 2.0 * w * -log(mu);
        else
            dev_i = 2.0 * w * (y_log_y(y, mu) + y_log_y(1.0 - y, 1.0 - mu));
        dev += dev_i;
        if (mu > 1.0 - eps10 || mu < eps10)
            n_extreme++;
        /* R's binomial()$aic: dbinom(round(w y), round(w), mu, log = TRUE) summed over w > 0.
         * For integer w and w y this is a beta-free constant minus dev_i / 2. */
        if (w == 1.0 && (y == 0.0 || y == 1.0)) {
            dev_int += dev_i;
        } else {
            double nn = nearbyint(w), k = nearbyint(w * y);
            if (nn == w && k == w * y) {
                dev_int += dev_i;
                if (sh->check)
                    ll_const += lchoose_int(nn, k) +
                                   w * (y_log_y(y, 1.0) + y_log_y(1.0 - y, 1.0));
            } else {
                double ll = lchoose_int(nn, k);
                if (k > 0.0)
                    ll += k * log(mu);
                if (nn > k)
                    ll += (nn - k) * log(1.0 - mu);
                ll_nonint += ll;
            }
        }
        t->wz[r] = s * z;
        t->s[r] = s;
    }
    t->dev = dev;
    t->dev_int = dev_int;
    t->ll_nonint = ll_nonint;
    t->ll_const = ll_const;
    t->n_extreme = n_extreme;
}

static int part_chunk(glm_part *t, size_t row0, size_t m)
{
    const glm_shared *sh = t->sh;
    const mql_glm_data *d = sh->d;
    const mql_glm_coded *cx = sh->coded;
    size_t p = sh->p;
    double *x = t->x;
    /* the coded layout's slots are read until a pass has noted every row's tuple */
    uint32_t *idx = cx && (sh->check || !mql_xwx_indexed(t->xa)) ? t->idx : NULL;
    size_t r_part = row0 - t->row0;
    int st = cx ? cx->fill(cx->ctx, row0, m, idx, x, &t->err) : fill_dense(t, row0, m);
    if (st != MQL_OK)
        return st;
    if (sh->check && (st = cx ? check_coded(t, row0, m) : check_dense(t, row0, m)) != MQL_OK)
        return st;
    /* with eta_out, eta goes straight to its place there */
    double *etav = sh->eta_out ? sh->eta_out + row0 : t->eta;
    if (sh->beta && cx)
        mql_xwx_eta(t->xa, r_part, m, idx, x, sh->beta_raw, etav);
    else if (sh->beta)
        mql_xwx_dense_eta(x, m, p, m, sh->beta_raw, etav);
    const double *restrict c = sh->shift;

    const double *yv = d->y + row0;
    const double *wv = d->w ? d->w + row0 : NULL;
    /* eta: X beta, or R's start, binomial()$initialize: mustart = (w y + 0.5) / (w + 1),
     * eta = logit(mustart); unit_start: the value of each unit row the weight stands for */
    double *ev = sh->beta ? etav : t->eta;
    for (size_t r = 0; !sh->beta && r < m; r++) {
        double y = yv[r], w = wv ? wv[r] : 1.0;
        double ms = sh->unit_start ? (y + 0.5) / 2.0 : (w * y + 0.5) / (w + 1.0);
        ev[r] = log(ms / (1.0 - ms));
    }
    /* The common case |eta| <= 30 in sweeps (exp, then the divisions), R's W = w mu.eta^2 / var
     * simplified (mu.eta = var there); the rest in common_rows or other_rows. */
    for (size_t r = 0; r < m; r++)
        t->mu[r] = ev[r] >= -R_THRESH && ev[r] <= R_THRESH ? exp(ev[r]) : 0.0;
    link_rows(m, ev, yv, t->mu, t->me, t->wz);
    if (all_common(m, ev, yv, wv))
        common_rows(t, m, yv);
    else
        other_rows(t, m, ev, yv, wv);
    if (sh->last)
        return MQL_OK;
    if (cx)
        mql_xwx_add(t->xa, r_part, m, idx, x, t->s, t->wz, c);
    else
        mql_xwx_dense_add(x, m, p, m, c, t->s, t->wz, t->a, t->b);
    return MQL_OK;
}

static void *part_run(void *arg)
{
    glm_part *t = arg;
    size_t p = t->sh->p;
    memset(t->a, 0, p * p * sizeof *t->a);
    memset(t->b, 0, p * sizeof *t->b);
    if (t->sh->check) {
        memset(t->pos, 0, (p + 1) * sizeof *t->pos);
        memset(t->neg, 0, (p + 1) * sizeof *t->neg);
        memset(t->binary, 1, p);
    }
    if (t->xa)
        mql_xwx_begin(t->xa, t->sh->beta ? t->sh->beta_raw : NULL);
    t->dev = t->dev_int = t->ll_nonint = t->ll_const = 0.0;
    t->n_extreme = 0;
    t->status = MQL_OK;
    for (size_t r = t->row0; r < t->row1; r += GLM_CHUNK) {
        size_t m = t->row1 - r < GLM_CHUNK ? t->row1 - r : GLM_CHUNK;
        if (t->sh->serial)
            mql_blas_beat(1);
        t->status = part_chunk(t, r, m);
        if (t->status != MQL_OK)
            break;
    }
    if (t->xa && t->status == MQL_OK && !t->sh->last)
        mql_xwx_assemble(t->xa, t->sh->shift, t->a, t->b);
    return NULL;
}

/* The fit's workspace, allocated once: nothing in the iteration loop allocates. */
typedef struct mql_glm_work {
    size_t p, nthreads;
    int serial;                 /* the parts run one after another here (mql_blas_parallel) */
    glm_shared sh;
    glm_part part[GLM_MAX_THREADS];
    double *a, *b;              /* summed X'WX (upper) and X'Wz, p x p and p */
    double dev, dev_int, ll_nonint, ll_const;
    size_t n_extreme;
    double *shift, *beta, *beta_old;
    size_t *kept;               /* rank indices of the non-aliased columns */
    gsl_matrix *sys;            /* rank x rank system, then its Cholesky factor (p x p block) */
    gsl_vector *rhs, *sol;
    int borrowed;               /* the parts' chunk buffers (x, eta, wz, s, mu, me) are another
                                   workspace's (work_new's lend): not freed here */
} glm_work;

static void work_free(glm_work *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < GLM_MAX_THREADS; i++) {
        if (!ws->borrowed) {
            free(ws->part[i].x);
            free(ws->part[i].eta);
            free(ws->part[i].wz);
            free(ws->part[i].s);
            free(ws->part[i].mu);
            free(ws->part[i].me);
        }
        free(ws->part[i].xr);
        free(ws->part[i].a);
        free(ws->part[i].b);
        free(ws->part[i].pos);
        free(ws->part[i].neg);
        free(ws->part[i].binary);
        free(ws->part[i].idx);
        mql_xwx_free(ws->part[i].xa);
    }
    free(ws->a);
    free(ws->b);
    free(ws->shift);
    free(ws->beta);
    free(ws->beta_old);
    free(ws->sh.beta_raw);
    free(ws->kept);
    gsl_matrix_free(ws->sys);
    gsl_vector_free(ws->rhs);
    gsl_vector_free(ws->sol);
    free(ws);
}

/* cx: the coded layout the passes read, or NULL for dense rows. lend: NULL, or the workspace
 * of a fit that runs no pass while this one lives (the warm start's subsample fit runs inside
 * mql_glm_fit before its pass 0): dense passes over as many columns on no more threads then
 * use its chunk buffers, which that fit has touched already, instead of fresh ones (the
 * subsample fit's first writes to its own took about 420 page faults on 1M x 20). */
static glm_work *work_new(const mql_glm_data *d, const mql_glm_coded *cx, size_t nthreads,
                          int intercept, const glm_work *lend)
{
    size_t p = d->p;
    glm_work *ws = calloc(1, sizeof *ws);
    if (!ws)
        return NULL;
    ws->borrowed = lend && !cx && !lend->sh.coded && lend->p == p && nthreads <= lend->nthreads;
    ws->p = p;
    ws->nthreads = nthreads;
    ws->sh.d = d;
    ws->sh.p = p;
    ws->sh.intercept = intercept;
    ws->sh.coded = cx;
    int ok = 1;
    for (size_t i = 0; i < nthreads; i++) {
        glm_part *t = &ws->part[i];
        t->sh = &ws->sh;
        t->row0 = d->n * i / nthreads;
        t->row1 = d->n * (i + 1) / nthreads;
        if (ws->borrowed) {
            const glm_part *u = &lend->part[i];
            t->x = u->x;
            t->eta = u->eta;
            t->wz = u->wz;
            t->s = u->s;
            t->mu = u->mu;
            t->me = u->me;
        } else {
            t->x = malloc(GLM_CHUNK * p * sizeof *t->x);
            t->eta = malloc(GLM_CHUNK * sizeof *t->eta);
            t->wz = malloc(GLM_CHUNK * sizeof *t->wz);
            t->s = malloc(GLM_CHUNK * sizeof *t->s);
            t->mu = malloc(GLM_CHUNK * sizeof *t->mu);
            t->me = malloc(GLM_CHUNK * sizeof *t->me);
        }
        t->a = malloc(p * p * sizeof *t->a);
        t->b = malloc(p * sizeof *t->b);
        t->pos = malloc((p + 1) * sizeof *t->pos);
        t->neg = malloc((p + 1) * sizeof *t->neg);
        t->binary = malloc(p);
        ok = ok && t->x && t->eta && t->wz && t->a && t->b && t->pos && t->neg && t->binary &&
             t->s && t->mu && t->me;
        if (!cx && !d->fill_cols)
            ok = ok && (t->xr = malloc(GLM_CHUNK * p * sizeof *t->xr));
        if (cx) {
            t->idx = malloc(GLM_CHUNK * (cx->k ? cx->k : 1) * sizeof *t->idx);
            t->xa = mql_xwx_new(p, cx->k, cx->md, cx->dense, t->row1 - t->row0);
            ok = ok && t->idx && t->xa;
        }
    }
    ws->a = malloc(p * p * sizeof *ws->a);
    ws->b = malloc(p * sizeof *ws->b);
    ws->shift = calloc(p, sizeof *ws->shift);
    ws->beta = calloc(p, sizeof *ws->beta);
    ws->beta_old = calloc(p, sizeof *ws->beta_old);
    ws->sh.beta_raw = calloc(p + 1, sizeof *ws->sh.beta_raw);
    ws->kept = malloc(p * sizeof *ws->kept);
    ws->sys = gsl_matrix_alloc(p, p);
    ws->rhs = gsl_vector_alloc(p);
    ws->sol = gsl_vector_alloc(p);
    if (!ok || !ws->a || !ws->b || !ws->shift || !ws->beta || !ws->beta_old || !ws->sh.beta_raw || !ws->kept ||
        !ws->sys || !ws->rhs || !ws->sol) {
        work_free(ws);
        return NULL;
    }
    ws->sh.shift = ws->shift;
    return ws;
}

glm_work *mql_glm_work_alloc(const mql_glm_data *d, size_t nthreads)
{
    if (!d || d->p == 0 || nthreads == 0 || nthreads > GLM_MAX_THREADS)
        return NULL;
    return work_new(d, NULL, nthreads, 1, NULL);
}

void mql_glm_work_free(glm_work *ws)
{
    work_free(ws);
}

/* Runs one pass at beta (shifted parametrisation; NULL = R's starting values) and sums the
 * per-thread parts; with last, the deviance and eta only (A and b come out zero). Returns the
 * first failing range's status with its message. */
static int run_pass(glm_work *ws, const double *beta, int check, int last, mql_err *err)
{
    ws->sh.beta = beta;
    ws->sh.check = check;
    ws->sh.last = last;
    if (beta) {
        memcpy(ws->sh.beta_raw, beta, ws->p * sizeof *beta);
        for (size_t j = 1; j < ws->p; j++)
            ws->sh.beta_raw[0] -= ws->shift[j] * beta[j];
    }
    pthread_t tid[GLM_MAX_THREADS];
    int started[GLM_MAX_THREADS] = {0};
    for (size_t i = 1; i < ws->nthreads; i++)
        started[i] = !ws->serial && pthread_create(&tid[i], NULL, part_run, &ws->part[i]) == 0;
    part_run(&ws->part[0]);
    for (size_t i = 1; i < ws->nthreads; i++) {
        if (started[i])
            pthread_join(tid[i], NULL);
        else
            part_run(&ws->part[i]);   /* no thread available: same work, same sums */
    }
    size_t p = ws->p;
    memset(ws->a, 0, p * p * sizeof *ws->a);
    memset(ws->b, 0, p * sizeof *ws->b);
    ws->dev = ws->dev_int = ws->ll_nonint = ws->ll_const = 0.0;
    ws->n_extreme = 0;
    for (size_t i = 0; i < ws->nthreads; i++) {
        glm_part *t = &ws->part[i];
        if (t->status != MQL_OK) {
            if (err)
                *err = t->err;
            return t->status;
        }
        for (size_t k = 0; k < p * p; k++)
            ws->a[k] += t->a[k];
        for (size_t k = 0; k < p; k++)
            ws->b[k] += t->b[k];
        ws->dev += t->dev;
        ws->dev_int += t->dev_int;
        ws->ll_nonint += t->ll_nonint;
        ws->ll_const += t->ll_const;
        ws->n_extreme += t->n_extreme;
        if (check && i > 0)
            for (size_t k = 0; k < p; k++) {
                ws->part[0].pos[k] += t->pos[k];
                ws->part[0].neg[k] += t->neg[k];
                ws->part[0].binary[k] &= t->binary[k];
            }
    }
    return MQL_OK;
}

static int work_pass(glm_work *ws, const double *beta, int check, mql_err *err)
{
    return run_pass(ws, beta, check, 0, err);
}

/* Shift for each non-intercept column: its prior-weighted mean over the first chunk. Any value
 * near the column's centre removes the intercept's collinearity with it; the exact mean would
 * need an extra pass over X. */
static int compute_shift(glm_work *ws, mql_err *err)
{
    const mql_glm_data *d = ws->sh.d;
    size_t p = ws->p, m = d->n < GLM_CHUNK ? d->n : GLM_CHUNK;
    double *x = ws->part[0].x;
    int st = d->fill(d->ctx, 0, m, x, err);
    if (st != MQL_OK)
        return st;
    double sw = 0.0;
    for (size_t r = 0; r < m; r++) {
        double w = d->w ? d->w[r] : 1.0;
        sw += w;
        for (size_t j = 1; j < p; j++)
            ws->shift[j] += w * x[r * p + j];
    }
    for (size_t j = 1; j < p; j++)
        ws->shift[j] = (sw > 0.0 && isfinite(ws->shift[j])) ? ws->shift[j] / sw : 0.0;
    return MQL_OK;
}

/* ---------------------------------------------------------------- aliasing and the Newton step */

static double sym_at(const double *a, size_t p, size_t i, size_t j)
{
    return i <= j ? a[i * p + j] : a[j * p + i];
}

/* R's rule (LINPACK dqrdc2 with limited pivoting): a column whose norm, after removing its
 * projection on the kept earlier columns, falls below tol times its original norm is moved to
 * the end, i.e. aliased; earlier columns always win. Done here as a sequential Cholesky of the
 * first iteration's X'WX (the weights R's first QR uses; after a warm start, the weights at the
 * subsample's coefficients, which changes nothing for exact collinearity). The residual is unaffected by the
 * shift when the intercept is kept; the original (unshifted) squared norm is rebuilt from the
 * shifted sums. R's glm.fit uses tol = 1e-11 on the QR; normal equations square the condition
 * number, so we use 1e-7 (R's qr() default), which flags columns with R^2 > 1 - 1e-14 on the
 * others as aliased where R would keep them with useless standard errors. */
static size_t detect_aliasing(glm_work *ws, double tol, unsigned char *aliased)
{
    size_t p = ws->p, rank = 0;
    const double *a = ws->a;
    double *l = ws->sys->data;           /* lower factor, rows = columns of X, cols = kept order */
    size_t tda = ws->sys->tda;
    for (size_t j = 0; j < p; j++) {
        double ss = a[j * p + j];
        if (ws->sh.intercept && j > 0) {
            double c = ws->shift[j];
            ss += 2.0 * c * a[j] + c * c * a[0];
            if (ss < 0.0)
                ss = 0.0;
        }
        double dj = a[j * p + j];
        for (size_t t = 0; t < rank; t++) {
            size_t k = ws->kept[t];
            double v = sym_at(a, p, k, j);
            for (size_t s = 0; s < t; s++)
                v -= l[j * tda + s] * l[k * tda + s];
            v /= l[k * tda + t];
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

/* Solves (A + lambda I_P) beta = b on the kept columns; the factor stays in ws->sys for the
 * covariance. Returns MQL_EDATA when the system is not positive definite. */
static int newton_solve(glm_work *ws, size_t rank, double lambda, int intercept, int iter,
                        double *beta, mql_err *err)
{
    size_t p = ws->p;
    gsl_matrix_view S = gsl_matrix_submatrix(ws->sys, 0, 0, rank, rank);
    gsl_vector_view rhs = gsl_vector_subvector(ws->rhs, 0, rank);
    gsl_vector_view sol = gsl_vector_subvector(ws->sol, 0, rank);
    for (size_t s = 0; s < rank; s++) {
        size_t i = ws->kept[s];
        for (size_t t = s; t < rank; t++) {
            double v = sym_at(ws->a, p, i, ws->kept[t]);
            gsl_matrix_set(&S.matrix, s, t, v);
            gsl_matrix_set(&S.matrix, t, s, v);
        }
        if (!(intercept && i == 0))
            *gsl_matrix_ptr(&S.matrix, s, s) += lambda;
        gsl_vector_set(&rhs.vector, s, ws->b[i]);
    }
    if (gsl_linalg_cholesky_decomp1(&S.matrix) != GSL_SUCCESS ||
        gsl_linalg_cholesky_solve(&S.matrix, &rhs.vector, &sol.vector) != GSL_SUCCESS)
        return mql_err_set(err, MQL_EDATA,
                           "iteration %d: the weighted cross-product X'WX of the %zu kept columns "
                           "is singular", iter, rank);
    memset(beta, 0, p * sizeof *beta);
    for (size_t s = 0; s < rank; s++)
        beta[ws->kept[s]] = gsl_vector_get(&sol.vector, s);
    return MQL_OK;
}

/* The relative change of the penalised deviance that the Newton step beta_old -> beta predicts:
 * its decrement d' (A + lambda I_P) d, d = beta - beta_old, with A the system the step solved
 * (the quadratic model's decrease), set against the deviance as R's convergence rule does. Near
 * the maximum the actual change differs from it by a term of third order in d. */
static double predicted_change(const glm_work *ws, size_t rank, double lambda, int intercept,
                               double pdev_old)
{
    size_t p = ws->p;
    double q = 0.0;
    for (size_t s = 0; s < rank; s++) {
        size_t i = ws->kept[s];
        double di = ws->beta[i] - ws->beta_old[i], row = 0.0;
        for (size_t t = 0; t < rank; t++) {
            size_t j = ws->kept[t];
            row += sym_at(ws->a, p, i, j) * (ws->beta[j] - ws->beta_old[j]);
        }
        if (!(intercept && i == 0))
            row += lambda * di;
        q += di * row;
    }
    return fabs(q) / (fabs(pdev_old - q) + 0.1);
}

static double penalty(const double *beta, size_t p, double lambda, int intercept)
{
    if (lambda == 0.0)
        return 0.0;
    double s = 0.0;
    for (size_t j = intercept ? 1 : 0; j < p; j++)
        s += beta[j] * beta[j];
    return lambda * s;
}

/* ---------------------------------------------------------------- the fit */

/* The coded layout when the passes should read it (else NULL: dense rows): a consistent
 * layout (dense columns increasing inside 0..p, the intercept first) with at least one coded
 * column. Measured on 1M rows (docs/PERFORMANCE.md): one binned column among 20 numeric ones
 * already makes the coded passes faster; an all-numeric design gains nothing from them. */
static const mql_glm_coded *coded_choice(const mql_glm_data *d)
{
    const mql_glm_coded *cx = d->coded;
    if (!cx || !cx->fill || !cx->dense || cx->md == 0 || cx->md > d->p || cx->dense[0] != 0 ||
        d->p >= UINT32_MAX)
        return NULL;
    for (size_t a = 1; a < cx->md; a++)
        if (cx->dense[a] <= cx->dense[a - 1] || cx->dense[a] >= d->p)
            return NULL;
    return cx->md < d->p ? cx : NULL;
}

/* Unweighted rows whose responses are all 0 or 1 (the usual fit): the ordered sums of
 * check_inputs are then sums of whole numbers below 2^53, exact in any order, so counts give
 * the same doubles: sum_w = n, events = the number of ones. The counts have no chain of adds
 * (gcc vectorises them), where the ordered loop waits on two. Returns the number of ones, or
 * (size_t)-1 when some weight or response rules the shortcut out. */
static size_t binary_events(const mql_glm_data *d)
{
    if (d->w || d->n > ((size_t)1 << 53))
        return (size_t)-1;
    size_t ones = 0, zeros = 0;
    for (size_t i = 0; i < d->n; i++) {
        ones += d->y[i] == 1.0;
        zeros += d->y[i] == 0.0;
    }
    return ones + zeros == d->n ? ones : (size_t)-1;
}

/* *binary: set when the rows are unweighted with 0/1 responses (binary_events), which lets
 * null_deviance take its branch-free loop. */
static int check_inputs(const mql_glm_data *d, double *sum_w, double *events, size_t *n_ok,
                        int *binary, mql_err *err)
{
    *binary = 0;
    if (!d || !d->fill || !d->y)
        return mql_err_set(err, MQL_EUSAGE, "glm: missing data, fill callback or y");
    if (d->n == 0)
        return mql_err_set(err, MQL_EDATA, "glm: no rows");
    if (d->p == 0)
        return mql_err_set(err, MQL_EDATA, "glm: no columns in the design matrix");
    if (d->p > (size_t)1 << 20)
        return mql_err_set(err, MQL_ENOMEM, "glm: %zu columns is beyond the supported size", d->p);
    size_t ones = binary_events(d);
    if (ones != (size_t)-1) {
        *sum_w = (double)d->n;
        *events = (double)ones;
        *n_ok = d->n;
        *binary = 1;
        return MQL_OK;
    }
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
        return mql_err_set(err, MQL_EDATA, "glm: all %zu weights are zero", d->n);
    *sum_w = sw;
    *events = ev;
    *n_ok = ok;
    return MQL_OK;
}

static int check_opts(const mql_glm_opts *o, mql_err *err)
{
    if (o->max_iter < 1)
        return mql_err_set(err, MQL_EUSAGE, "glm: max_iter %d must be at least 1", o->max_iter);
    if (!(o->tol > 0.0) || !isfinite(o->tol))
        return mql_err_set(err, MQL_EUSAGE, "glm: tolerance %g must be positive", o->tol);
    if (!(o->l2 >= 0.0) || !isfinite(o->l2))
        return mql_err_set(err, MQL_EUSAGE, "glm: l2 penalty %g must be >= 0", o->l2);
    if (!(o->alias_tol > 0.0 && o->alias_tol < 1.0))
        return mql_err_set(err, MQL_EUSAGE, "glm: aliasing tolerance %g must be in (0, 1)",
                           o->alias_tol);
    if (o->threads < 0 || o->threads > GLM_MAX_THREADS)
        return mql_err_set(err, MQL_EUSAGE, "glm: threads %d must be in 0..%d", o->threads,
                           GLM_MAX_THREADS);
    return MQL_OK;
}

/* Null deviance: the intercept-only fit is the weighted mean (R's wtdmu); without an intercept
 * R evaluates mu = linkinv(0) = 1/2. binary: unweighted 0/1 rows (check_inputs). */
static double null_deviance(const mql_glm_data *d, double mu0, int binary)
{
    /* the unit deviance of y = 0 and y = 1, the same expression taken once */
    const double u0 = y_log_y(0.0, mu0) + y_log_y(1.0, 1.0 - mu0);
    const double u1 = y_log_y(1.0, mu0) + y_log_y(0.0, 1.0 - mu0);
    double dev = 0.0;
    if (binary) {
        /* The same terms (2 * 1 * u, w = 1) added in the same order; the term is picked by
         * indexing, not by a branch on y, which a random outcome mispredicts (the loop took
         * 3.7 ms on 1M rows, against the 1.4 of its chain of adds). */
        const double term[2] = {2.0 * 1.0 * u0, 2.0 * 1.0 * u1};
        for (size_t i = 0; i < d->n; i++)
            dev += term[d->y[i] != 0.0];
        return dev;
    }
    for (size_t i = 0; i < d->n; i++) {
        double w = d->w ? d->w[i] : 1.0, y = d->y[i];
        if (w > 0.0)
            dev += 2.0 * w * (y == 0.0 ? u0 : y == 1.0 ? u1
                                              : y_log_y(y, mu0) + y_log_y(1.0 - y, 1.0 - mu0));
    }
    return dev;
}

/* Copies the final state into r: coefficients mapped back from the shifted parametrisation,
 * covariance from the factor of the last Newton system (R's summary.glm uses the QR of the last
 * weighted least-squares fit, i.e. the weights before the final update). */
static int finish(glm_work *ws, size_t rank, int intercept, mql_glm_result *r, mql_err *err)
{
    size_t p = ws->p;
    gsl_matrix_view S = gsl_matrix_submatrix(ws->sys, 0, 0, rank, rank);
    if (gsl_linalg_cholesky_invert(&S.matrix) != GSL_SUCCESS)
        return mql_err_set(err, MQL_EDATA, "glm: cannot invert the final information matrix");
    gsl_matrix_set_all(r->cov, NAN);
    for (size_t s = 0; s < rank; s++)
        for (size_t t = 0; t < rank; t++)
            gsl_matrix_set(r->cov, ws->kept[s], ws->kept[t], gsl_matrix_get(&S.matrix, s, t));
    for (size_t j = 0; j < p; j++)
        r->beta[j] = r->aliased[j] ? NAN : ws->beta[j];
    if (intercept && !r->aliased[0]) {
        /* beta0 = beta0_s - sum c_j beta_j; cov = T cov_s T' with T = I - e0 c'. */
        double *c = ws->shift;
        for (size_t s = 1; s < rank; s++)
            r->beta[0] -= c[ws->kept[s]] * ws->beta[ws->kept[s]];
        double *row0 = ws->rhs->data;    /* (T cov_s)[0][k] for kept k, scratch */
        for (size_t t = 0; t < rank; t++) {
            size_t k = ws->kept[t];
            double v = gsl_matrix_get(r->cov, 0, k);
            for (size_t s = 1; s < rank; s++)
                v -= c[ws->kept[s]] * gsl_matrix_get(r->cov, ws->kept[s], k);
            row0[t] = v;
        }
        double v00 = row0[0];
        for (size_t s = 1; s < rank; s++)
            v00 -= c[ws->kept[s]] * row0[s];
        for (size_t t = 1; t < rank; t++) {
            gsl_matrix_set(r->cov, 0, ws->kept[t], row0[t]);
            gsl_matrix_set(r->cov, ws->kept[t], 0, row0[t]);
        }
        gsl_matrix_set(r->cov, 0, 0, v00);
    }
    for (size_t j = 0; j < p; j++)
        r->se[j] = r->aliased[j] ? NAN : sqrt(gsl_matrix_get(r->cov, j, j));
    return MQL_OK;
}

int mql_glm_fit(const mql_glm_data *d, const mql_glm_opts *o, mql_glm_result **out, mql_err *err)
{
    return mql_glm_fit_lent(d, o, NULL, out, err);
}

int mql_glm_fit_lent(const mql_glm_data *d, const mql_glm_opts *o, const glm_work *lend,
                     mql_glm_result **out, mql_err *err)
{
    mql_gsl_quiet();
    if (!out)
        return mql_err_set(err, MQL_EUSAGE, "glm: no output pointer");
    *out = NULL;
    mql_glm_opts def;
    if (!o) {
        mql_glm_opts_default(&def);
        o = &def;
    }
    int st = check_opts(o, err);
    if (st != MQL_OK)
        return st;
    double sum_w = 0.0, events = 0.0;
    size_t n_ok = 0;
    int binary = 0;
    st = check_inputs(d, &sum_w, &events, &n_ok, &binary, err);
    if (st != MQL_OK)
        return st;

    size_t p = d->p;
    int icpt = o->intercept ? 1 : 0;
    size_t nthreads = mql_glm_threads(d->n, o->threads);
    /* one BLAS thread first: setting it may start OpenBLAS's pool, whose workers take buffers */
    int blas_threads = mql_blas_single();
    int blas_par = mql_blas_parallel();
    if (blas_par < 0) {
        mql_blas_restore(blas_threads);
        return mql_err_set(err, MQL_ENOMEM, "glm: out of memory (the BLAS needs a %zu MiB work "
                           "buffer)", BLAS_BUFFER_BYTES >> 20);
    }
    glm_work *ws = work_new(d, coded_choice(d), nthreads, icpt, lend);
    if (ws) {
        ws->sh.unit_start = o->unit_start;
        ws->serial = ws->sh.serial = !blas_par;
    }
    mql_glm_result *r = result_new(d->n, p);
    if (!ws || !r) {
        st = mql_err_set(err, MQL_ENOMEM, "glm: out of memory for %zu columns", p);
        goto fail;
    }
    if (icpt && (st = compute_shift(ws, err)) != MQL_OK)
        goto fail;
    int try_warm = o->warm_rows > 0 && d->n / 4 >= o->warm_rows;
    size_t n_eta = d->n ? d->n : 1;
    if (o->keep_eta) {
        /* room for the dense warm start's subsample too, which is done with it before pass 0
         * writes eta */
        size_t sk = try_warm ? d->n / o->warm_rows : 1, sm = d->n / sk;
        if (try_warm && !coded_choice(d) && sm * p <= ((size_t)32 << 20) && sm * (p + 2) > n_eta)
            n_eta = sm * (p + 2);
        if (!(r->eta = mql_alloc_big(n_eta * sizeof *r->eta))) {
            st = mql_err_set(err, MQL_ENOMEM, "glm: out of memory for the linear predictor");
            goto fail;
        }
        if (try_warm && nthreads > 1)
            touch_halves(r->eta, n_eta * sizeof *r->eta);
        ws->sh.eta_out = r->eta;
    }

    /* Large n: coefficients from a subsample fit (see mql_glm_opts.warm_rows). */
    int warm = 0;
    if (try_warm)
        warm = mql_glm_warm_start(d, o, coded_choice(d), ws->shift, r->eta,
                                  o->keep_eta ? n_eta : 0, ws, ws->beta);
    /* Iteration 0, at R's starting values or the warm start: validates X and fixes the aliased
     * columns. */
    if ((st = work_pass(ws, warm ? ws->beta : NULL, 1, err)) != MQL_OK)
        goto fail;
    const double ll_const = ws->ll_const;   /* beta-free, computed in pass 0 only */
    size_t rank = detect_aliasing(ws, o->alias_tol, r->aliased);
    if (rank == 0) {
        st = mql_err_set(err, MQL_EDATA, "glm: every column of the design matrix is zero");
        goto fail;
    }
    if (icpt && r->aliased[0]) {
        st = mql_err_set(err, MQL_EDATA, "glm: the intercept column is aliased");
        goto fail;
    }
    sep_decide(p, ws->part[0].pos, ws->part[0].neg, ws->part[0].binary, r->separated, NULL);
    int any_sep = 0;
    for (size_t j = 0; j < p; j++) {
        if (r->aliased[j])
            r->separated[j] = 0;
        any_sep |= r->separated[j] != 0;
    }
    double pdev_old = ws->dev, pdev = ws->dev;
    int iter = 0, conv = 0, have_old = 0;
    if (warm) {
        /* Pass 0 ran at the subsample's coefficients: its deviance is what R's rule compares the
         * first full step against, its system the one that step solves, and step halving may fall
         * back to it as to any earlier iterate. A column aliased here but not in the subsample
         * (numerically possible, not in exact arithmetic) gets 0 and the pass is redone. */
        int redo = 0;
        for (size_t j = 0; j < p; j++)
            if (r->aliased[j] && ws->beta[j] != 0.0) {
                ws->beta[j] = 0.0;
                redo = 1;
            }
        if (redo && (st = work_pass(ws, ws->beta, 0, err)) != MQL_OK)
            goto fail;
        pdev_old = pdev = ws->dev + penalty(ws->beta, p, o->l2, icpt);
        if (isfinite(pdev)) {
            memcpy(ws->beta_old, ws->beta, p * sizeof *ws->beta);
            have_old = 1;
        } else {
            /* not expected for finite coefficients; if it happens, R's start it is */
            warm = 0;
            memset(ws->beta, 0, p * sizeof *ws->beta);
            if ((st = work_pass(ws, NULL, 0, err)) != MQL_OK)
                goto fail;
            pdev_old = pdev = ws->dev;
        }
    }
    while (iter < o->max_iter) {
        iter++;
        if (ws->serial)
            mql_blas_beat(1);
        if ((st = newton_solve(ws, rank, o->l2, icpt, iter, ws->beta, err)) != MQL_OK)
            goto fail;
        /* a step that predicts convergence: the pass without the next system (last_margin) */
        double pred = have_old && o->last_margin > 0.0
                          ? predicted_change(ws, rank, o->l2, icpt, pdev_old) : INFINITY;
        int last = pred < o->last_margin * o->tol;
        if ((st = run_pass(ws, ws->beta, 0, last, err)) != MQL_OK)
            goto fail;
        r->last_passes += last;
        pdev = ws->dev + penalty(ws->beta, p, o->l2, icpt);
        /* Step halving: R halves while the deviance is not finite; like glm2 we also halve when
         * the penalised deviance rises by more than the convergence tolerance (never the case on
         * a fit where R's deviance falls monotonically, so R's iterates are unchanged there). */
        int halvings = 0;
        while (have_old && (!isfinite(pdev) || (pdev - pdev_old) / (fabs(pdev) + 0.1) >= o->tol)) {
            if (++halvings > o->max_iter) {
                memcpy(ws->beta, ws->beta_old, p * sizeof *ws->beta);
                if ((st = work_pass(ws, ws->beta, 0, err)) != MQL_OK)
                    goto fail;
                pdev = ws->dev + penalty(ws->beta, p, o->l2, icpt);
                goto done;
            }
            for (size_t j = 0; j < p; j++)
                ws->beta[j] = 0.5 * (ws->beta[j] + ws->beta_old[j]);
            if ((st = work_pass(ws, ws->beta, 0, err)) != MQL_OK)
                goto fail;
            pdev = ws->dev + penalty(ws->beta, p, o->l2, icpt);
        }
        if (!isfinite(pdev)) {
            st = mql_err_set(err, MQL_EDATA,
                             "glm: no finite deviance at iteration %d (no valid coefficients)",
                             iter);
            goto fail;
        }
        if (fabs(pdev - pdev_old) / (fabs(pdev) + 0.1) < o->tol) {
            conv = 1;
            break;
        }
        /* Not the last after all: the next step needs the system at beta (a halving pass has
         * computed it at the halved beta already). The same pass in full, the same deviance. */
        if (last && halvings == 0 && iter < o->max_iter) {
            r->last_misses++;
            if ((st = work_pass(ws, ws->beta, 0, err)) != MQL_OK)
                goto fail;
        }
        /* The halving pass (if any) overwrote A and b with the system at the halved beta, which
         * is where the next Newton step starts from, as in R. */
        memcpy(ws->beta_old, ws->beta, p * sizeof *ws->beta);
        have_old = 1;
        pdev_old = pdev;
    }
done:
    if ((st = finish(ws, rank, icpt, r, err)) != MQL_OK)
        goto fail;
    r->rank = rank;
    r->deviance = ws->dev;
    r->loglik = ll_const - 0.5 * ws->dev_int + ws->ll_nonint;
    r->aic = -2.0 * r->loglik + 2.0 * (double)rank;
    r->null_deviance = null_deviance(d, icpt ? events / sum_w : 0.5, binary);
    r->df_null = (double)n_ok - (double)icpt;
    r->df_residual = (double)n_ok - (double)rank;
    r->n_weighted = sum_w;
    r->events = events;
    r->iterations = iter;
    r->warm_iterations = warm;
    r->converged = conv;
    r->n_extreme = ws->n_extreme;
    r->state = (o->l2 == 0.0 && (r->n_extreme > 0 || any_sep)) ? MQL_GLM_SEPARATED
                                : (conv ? MQL_GLM_CONVERGED : MQL_GLM_NOT_CONVERGED);
    work_free(ws);
    mql_blas_restore(blas_threads);
    mql_blas_beat(0);
    *out = r;
    if (!conv)
        return mql_err_set(err, MQL_ENOCONV,
                           "glm: no convergence after %d iterations (deviance %.10g)", iter,
                           r->deviance);
    return MQL_OK;
fail:
    work_free(ws);
    mql_blas_restore(blas_threads);
    mql_blas_beat(0);
    mql_glm_result_free(r);
    return st;
}

/* ---------------------------------------------------------------- separation */

int mql_glm_separation_check(const mql_glm_data *d, signed char *sep, double *cnt, mql_err *err)
{
    if (!sep || !cnt)
        return mql_err_set(err, MQL_EUSAGE, "glm: separation check needs sep and cnt arrays");
    double sw, ev;
    size_t n_ok;
    int bin;
    int st = check_inputs(d, &sw, &ev, &n_ok, &bin, err);
    if (st != MQL_OK)
        return st;
    size_t p = d->p;
    double *x = malloc(GLM_CHUNK * p * sizeof *x);
    double *pos = calloc(p, sizeof *pos), *neg = calloc(p, sizeof *neg);
    unsigned char *binary = malloc(p);
    if (!x || !pos || !neg || !binary) {
        st = mql_err_set(err, MQL_ENOMEM, "glm: out of memory");
        goto out;
    }
    memset(binary, 1, p);
    for (size_t r0 = 0; r0 < d->n; r0 += GLM_CHUNK) {
        size_t m = d->n - r0 < GLM_CHUNK ? d->n - r0 : GLM_CHUNK;
        if ((st = d->fill(d->ctx, r0, m, x, err)) != MQL_OK)
            goto out;
        sep_count(x, m, p, p, 1, d->y + r0, d->w ? d->w + r0 : NULL, pos, neg, binary);
    }
    sep_decide(p, pos, neg, binary, sep, cnt);
out:
    free(x);
    free(pos);
    free(neg);
    free(binary);
    return st;
}
