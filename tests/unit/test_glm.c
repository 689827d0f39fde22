/* test_glm.c: logistic regression against R's glm(family = binomial).
 * Datasets and reference numbers come from scripts/ref_glm.R (R 4.x, printed with "%.17g") and
 * live in tests/fixtures/glm/. Tolerances: coefficients and standard errors relative 1e-6 with
 * absolute 1e-9 near zero; deviance, null deviance, log-likelihood and AIC relative 1e-8;
 * iteration counts, ranks, degrees of freedom and n_extreme exactly. */
#include "testutil.h"

#include <dirent.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>

#include "mqlcal/glm.h"
#include "mqlcal/glm_warm.h"

#define COEF_REL 1e-6
#define COEF_ABS 1e-9
#define DEV_REL 1e-8
#define MAXP 16

/* ---------------------------------------------------------------- fixture readers */

typedef struct fixture {
    size_t n, p;
    gsl_matrix *X;
    double *y, *w;
} fixture;

/* Reads NAME.csv: a header, then rows of p design columns, y, w (numbers only). */
static fixture *fixture_load(const char *name)
{
    char path[256], line[8192];
    snprintf(path, sizeof path, "tests/fixtures/glm/%s.csv", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    size_t cols = 1;
    for (const char *c = line; *c; c++)
        cols += *c == ',';
    size_t n = 0;
    while (fgets(line, sizeof line, f))
        n++;
    rewind(f);
    assert_non_null(fgets(line, sizeof line, f));
    fixture *fx = calloc(1, sizeof *fx);
    assert_non_null(fx);
    fx->n = n;
    fx->p = cols - 2;
    fx->X = gsl_matrix_alloc(n, fx->p);
    fx->y = malloc(n * sizeof *fx->y);
    fx->w = malloc(n * sizeof *fx->w);
    assert_true(fx->X && fx->y && fx->w);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < cols; j++) {
            double v;
            assert_int_equal(fscanf(f, j ? ",%lf" : "%lf", &v), 1);
            if (j < fx->p)
                gsl_matrix_set(fx->X, i, j, v);
            else if (j == fx->p)
                fx->y[i] = v;
            else
                fx->w[i] = v;
        }
    }
    fclose(f);
    return fx;
}

static void fixture_free(fixture *fx)
{
    if (!fx)
        return;
    gsl_matrix_free(fx->X);
    free(fx->y);
    free(fx->w);
    free(fx);
}

typedef struct ref {
    double deviance, null_deviance, aic, loglik, df_residual, df_null;
    int iter, converged, rank, n_extreme;
    size_t ncoef;
    double coef[MAXP], se[MAXP];
} ref;

/* Reads NAME.ref: "key value" lines and "coef j estimate se" lines ("nan" = aliased). */
static void ref_load(const char *name, ref *r)
{
    char path[256], key[64];
    snprintf(path, sizeof path, "tests/fixtures/glm/%s.ref", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    memset(r, 0, sizeof *r);
    while (fscanf(f, "%63s", key) == 1) {
        double v;
        if (strcmp(key, "coef") == 0) {
            int j;
            assert_int_equal(fscanf(f, "%d %lf %lf", &j, &r->coef[r->ncoef], &r->se[r->ncoef]), 3);
            assert_int_equal(j, (int)r->ncoef);
            r->ncoef++;
            continue;
        }
        assert_int_equal(fscanf(f, "%lf", &v), 1);
        if (!strcmp(key, "deviance")) r->deviance = v;
        else if (!strcmp(key, "null_deviance")) r->null_deviance = v;
        else if (!strcmp(key, "aic")) r->aic = v;
        else if (!strcmp(key, "loglik")) r->loglik = v;
        else if (!strcmp(key, "iter")) r->iter = (int)v;
        else if (!strcmp(key, "converged")) r->converged = (int)v;
        else if (!strcmp(key, "df_residual")) r->df_residual = v;
        else if (!strcmp(key, "df_null")) r->df_null = v;
        else if (!strcmp(key, "rank")) r->rank = (int)v;
        else if (!strcmp(key, "n_extreme")) r->n_extreme = (int)v;
        else fail_msg("unknown key %s in %s", key, path);
    }
    fclose(f);
}

static mql_glm_data data_of(const fixture *fx)
{
    mql_glm_data d = {fx->n, fx->p, mql_glm_fill_matrix, fx->X, fx->y, fx->w};
    return d;
}

static int fit_fixture(const fixture *fx, const mql_glm_opts *o, mql_glm_result **r, mql_err *e)
{
    mql_glm_data d = data_of(fx);
    return mql_glm_fit(&d, o, r, e);
}

/* Compares everything R reports; skip_coef (or -1) names a coefficient checked elsewhere. */
static void check_against_r(const mql_glm_result *r, const ref *R, int skip_coef)
{
    assert_int_equal(r->p, R->ncoef);
    for (size_t j = 0; j < R->ncoef; j++) {
        if (isnan(R->coef[j])) {
            assert_int_equal(r->aliased[j], 1);
            assert_true(isnan(r->beta[j]) && isnan(r->se[j]));
            continue;
        }
        assert_int_equal(r->aliased[j], 0);
        if ((int)j == skip_coef)
            continue;
        assert_close(r->beta[j], R->coef[j], COEF_REL, COEF_ABS);
        assert_close(r->se[j], R->se[j], COEF_REL, COEF_ABS);
    }
    assert_close(r->deviance, R->deviance, DEV_REL, 0);
    assert_close(r->null_deviance, R->null_deviance, DEV_REL, 0);
    assert_close(r->aic, R->aic, DEV_REL, 0);
    assert_close(r->loglik, R->loglik, DEV_REL, 0);
    assert_int_equal(r->iterations, R->iter);
    assert_int_equal(r->converged, R->converged);
    assert_int_equal(r->rank, R->rank);
    assert_int_equal(r->n_extreme, R->n_extreme);
    assert_true(r->df_residual == R->df_residual);
    assert_true(r->df_null == R->df_null);
}

/* ---------------------------------------------------------------- fits against R */

/* (a) n = 2000, p = 8, continuous columns on different scales plus indicators; single-threaded
 * and two-threaded passes must both agree with R. */
static void test_sim_matches_r(void **state)
{
    (void)state;
    fixture *fx = fixture_load("sim");
    ref R;
    ref_load("sim", &R);
    for (int threads = 1; threads <= 3; threads++) {
        mql_glm_opts o;
        mql_glm_opts_default(&o);
        o.threads = threads;
        mql_glm_result *r = NULL;
        mql_err e;
        assert_int_equal(fit_fixture(fx, &o, &r, &e), MQL_OK);
        check_against_r(r, &R, -1);
        assert_int_equal(r->state, MQL_GLM_CONVERGED);
        double ev = 0;
        for (size_t i = 0; i < fx->n; i++)
            ev += fx->y[i];
        assert_true(r->events == ev && r->n_weighted == (double)fx->n);
        /* the covariance is symmetric and its diagonal gives se */
        for (size_t j = 0; j < r->p; j++) {
            assert_close(sqrt(gsl_matrix_get(r->cov, j, j)), r->se[j], 1e-15, 0);
            for (size_t k = 0; k < r->p; k++)
                assert_true(gsl_matrix_get(r->cov, j, k) == gsl_matrix_get(r->cov, k, j));
        }
        mql_glm_result_free(r);
    }
    fixture_free(fx);
}

/* (b) x3 = x1 + x2 and b1dup = b1: R reports NA for the later columns. */
static void test_aliased_matches_r(void **state)
{
    (void)state;
    fixture *fx = fixture_load("alias");
    ref R;
    ref_load("alias", &R);
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, NULL, &r, &e), MQL_OK);
    check_against_r(r, &R, -1);
    assert_int_equal(r->aliased[3], 1);
    assert_int_equal(r->aliased[5], 1);
    assert_int_equal(r->rank, 5);
    assert_true(isnan(gsl_matrix_get(r->cov, 3, 1)) && isnan(gsl_matrix_get(r->cov, 0, 5)));
    mql_glm_result_free(r);
    fixture_free(fx);
}

/* (c) quasi-complete separation: every demo = 1 row (column 2) is an event. R converges after 16
 * iterations with a coefficient near 18.7 and SE near 575 (no 10 * DBL_EPSILON warning). */
static void test_quasi_separation(void **state)
{
    (void)state;
    fixture *fx = fixture_load("separated");
    ref R;
    ref_load("separated", &R);
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, NULL, &r, &e), MQL_OK);
    /* The diverging coefficient is set by where R's convergence rule stops; we follow R's
     * iterates (including its clamping of |eta| > 30), so it matches at the usual tolerance. */
    check_against_r(r, &R, -1);
    assert_int_equal(r->state, MQL_GLM_SEPARATED);
    assert_int_equal(r->separated[2], 1);
    assert_int_equal(r->separated[1], 0);

    signed char sep[4];
    double cnt[4];
    mql_glm_data d = data_of(fx);
    assert_int_equal(mql_glm_separation_check(&d, sep, cnt, &e), MQL_OK);
    double ndemo = 0;
    for (size_t i = 0; i < fx->n; i++)
        ndemo += gsl_matrix_get(fx->X, i, 2);
    assert_true(ndemo > 10);
    assert_int_equal(sep[2], 1);
    assert_true(cnt[2] == ndemo);
    assert_int_equal(sep[0], 0);
    assert_int_equal(sep[1], 0);            /* continuous */
    assert_int_equal(sep[3], 0);
    assert_true(cnt[1] == 0.0 && cnt[3] == 0.0);

    /* ridge keeps the estimate finite and the state is not "separated" */
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.l2 = 1.0;
    mql_glm_result *rr = NULL;
    assert_int_equal(fit_fixture(fx, &o, &rr, &e), MQL_OK);
    assert_int_equal(rr->state, MQL_GLM_CONVERGED);
    assert_true(rr->beta[2] > 1.0 && rr->beta[2] < 6.0);
    mql_glm_result_free(rr);
    mql_glm_result_free(r);
    fixture_free(fx);
}

/* (c2) complete separation by a continuous column: R stops at 25 iterations, not converged, with
 * 55 fitted probabilities within 10 * DBL_EPSILON of 0 or 1. */
static void test_complete_separation(void **state)
{
    (void)state;
    fixture *fx = fixture_load("complete");
    ref R;
    ref_load("complete", &R);
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, NULL, &r, &e), MQL_ENOCONV);
    assert_non_null(r);
    assert_non_null(strstr(e.msg, "no convergence after 25 iterations"));
    assert_int_equal(r->converged, 0);
    assert_int_equal(r->iterations, 25);
    assert_int_equal(r->state, MQL_GLM_SEPARATED);
    assert_int_equal(r->n_extreme, R.n_extreme);
    /* the coefficients run off to infinity; after 25 iterations of R's path they still agree */
    assert_true(r->beta[1] > 50.0 && r->deviance < 1e-6);
    check_against_r(r, &R, -1);
    mql_glm_result_free(r);
    fixture_free(fx);
}

/* (d) max_iter = 2: MQL_ENOCONV with the result R returns after two iterations. */
static void test_maxit2_matches_r(void **state)
{
    (void)state;
    fixture *fx = fixture_load("maxit2");
    ref R;
    ref_load("maxit2", &R);
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.max_iter = 2;
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, &o, &r, &e), MQL_ENOCONV);
    assert_non_null(r);
    check_against_r(r, &R, -1);
    assert_int_equal(r->state, MQL_GLM_NOT_CONVERGED);
    mql_glm_result_free(r);
    fixture_free(fx);
}

/* (e) frequency weights: the aggregated patterns (y = share, w = trials, two zero-weight rows)
 * give the raw rows' coefficients and SEs, and each fit matches R (deviance and AIC differ
 * between the two forms, in R as here). */
static void test_frequency_weights(void **state)
{
    (void)state;
    fixture *raw = fixture_load("freq_raw"), *agg = fixture_load("freq_agg");
    ref Rr, Ra;
    ref_load("freq_raw", &Rr);
    ref_load("freq_agg", &Ra);
    mql_glm_result *r1 = NULL, *r2 = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(raw, NULL, &r1, &e), MQL_OK);
    assert_int_equal(fit_fixture(agg, NULL, &r2, &e), MQL_OK);
    check_against_r(r1, &Rr, -1);
    check_against_r(r2, &Ra, -1);
    for (size_t j = 0; j < r1->p; j++) {
        assert_close(r2->beta[j], r1->beta[j], COEF_REL, COEF_ABS);
        assert_close(r2->se[j], r1->se[j], COEF_REL, COEF_ABS);
    }
    assert_true(r2->n_weighted == 5000.0 && r2->events == r1->events);
    assert_true(r2->df_null == 31.0 && r1->df_null == 4999.0);
    mql_glm_result_free(r1);
    mql_glm_result_free(r2);
    fixture_free(raw);
    fixture_free(agg);
}

/* (f) ridge: at the solution the gradient of dev + lambda |beta[1:]|^2,
 * -2 X'(w (y - mu)) + 2 lambda beta_P, vanishes; lambda = 0 reproduces the plain fit exactly. */
static void test_ridge(void **state)
{
    (void)state;
    fixture *fx = fixture_load("sim");
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    mql_glm_result *plain = NULL, *zero = NULL, *ridge = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, &o, &plain, &e), MQL_OK);
    o.l2 = 0.0;
    assert_int_equal(fit_fixture(fx, &o, &zero, &e), MQL_OK);
    for (size_t j = 0; j < plain->p; j++)
        assert_true(zero->beta[j] == plain->beta[j] && zero->se[j] == plain->se[j]);
    const double lambda = 25.0;
    o.l2 = lambda;
    assert_int_equal(fit_fixture(fx, &o, &ridge, &e), MQL_OK);
    size_t p = fx->p;
    double grad[MAXP] = {0}, scale[MAXP] = {0};
    for (size_t i = 0; i < fx->n; i++) {
        const double *x = gsl_matrix_const_ptr(fx->X, i, 0);
        double mu = mql_logistic(mql_glm_eta(x, ridge->beta, p));
        for (size_t j = 0; j < p; j++) {
            grad[j] += -2.0 * fx->w[i] * (fx->y[i] - mu) * x[j];
            scale[j] += 2.0 * fx->w[i] * fabs(x[j]);
        }
    }
    double pen_plain = 0, pen_ridge = 0;
    for (size_t j = 1; j < p; j++) {
        grad[j] += 2.0 * lambda * ridge->beta[j];
        pen_plain += plain->beta[j] * plain->beta[j];
        pen_ridge += ridge->beta[j] * ridge->beta[j];
    }
    for (size_t j = 0; j < p; j++)
        assert_close(grad[j] / scale[j], 0.0, 0, 1e-8);
    /* shrinkage: smaller penalty term, larger deviance, and a genuinely different fit */
    assert_true(pen_ridge < pen_plain);
    assert_true(ridge->deviance > plain->deviance);
    assert_true(fabs(ridge->beta[1] - plain->beta[1]) > 1e-3);
    mql_glm_result_free(plain);
    mql_glm_result_free(zero);
    mql_glm_result_free(ridge);
    fixture_free(fx);
}

/* ---------------------------------------------------------------- helpers and errors */

static void test_logistic_and_eta(void **state)
{
    (void)state;
    assert_close(mql_logistic(0.0), 0.5, 0, 0);
    assert_close(mql_logistic(2.0), 1.0 / (1.0 + exp(-2.0)), 1e-15, 0);
    assert_close(mql_logistic(-745.0), exp(-745.0), 1e-6, 0);   /* no 0/0 or cancellation */
    assert_true(mql_logistic(800.0) == 1.0 && mql_logistic(-800.0) == 0.0);
    assert_close(mql_logistic(-30.0), 9.357622968840175e-14, 1e-12, 0);  /* plogis(-30) in R */
    double x[3] = {1.0, 2.0, -3.0}, b[3] = {0.5, NAN, 0.25};
    assert_close(mql_glm_eta(x, b, 3), 0.5 - 0.75, 1e-15, 0);
}

typedef struct bad_ctx {
    size_t bad_row, bad_col;
    double value;
    int fail_status;
    int calls, dup_after;       /* duplicate column 1 into 2 from call dup_after on */
} bad_ctx;

/* A 40 x 3 design (intercept, a ramp, noise) with one planted problem. */
static int bad_fill(void *vctx, size_t row0, size_t m, double *x, mql_err *err)
{
    bad_ctx *c = vctx;
    if (c->fail_status)
        return mql_err_set(err, c->fail_status, "leads.csv: read error");
    c->calls++;
    for (size_t r = 0; r < m; r++) {
        size_t i = row0 + r;
        x[r * 3 + 0] = 1.0;
        x[r * 3 + 1] = (double)(i % 7) - 3.0;
        x[r * 3 + 2] = c->calls > c->dup_after ? x[r * 3 + 1] : sin((double)i);
        if (i == c->bad_row)
            x[r * 3 + c->bad_col] = c->value;
    }
    return MQL_OK;
}

static void test_errors(void **state)
{
    (void)state;
    double y[40], w[40];
    for (int i = 0; i < 40; i++) {
        y[i] = (i * 7 % 5) < 2;
        w[i] = 1.0;
    }
    bad_ctx c = {1000, 0, 0, 0, 0, 1000};
    mql_glm_data d = {40, 3, bad_fill, &c, y, w};
    mql_glm_result *r = NULL;
    mql_err e;
    mql_glm_opts o;

    /* the clean data fit, so each failure below is due to its planted problem */
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_OK);
    mql_glm_result_free(r);

    y[5] = 1.5;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_null(r);
    assert_non_null(strstr(e.msg, "row 5: response 1.5 is outside [0, 1]"));
    y[5] = NAN;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    y[5] = 0.0;
    w[7] = -1.0;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "row 7: weight -1"));
    w[7] = INFINITY;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    w[7] = 1.0;

    double wz[40] = {0};
    d.w = wz;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "all 40 weights are zero"));
    d.w = w;
    d.n = 0;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "no rows"));
    d.n = 40;
    d.p = 0;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "no columns"));
    d.p = 3;

    c.bad_row = 23, c.bad_col = 2, c.value = NAN;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "design row 23, column 2: value nan is not finite"));
    c.value = INFINITY;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    c.bad_col = 0, c.value = 2.0;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EDATA);
    assert_non_null(strstr(e.msg, "design row 23, column 0: intercept column holds 2"));
    c.bad_row = 1000;

    c.fail_status = MQL_EIO;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_EIO);
    assert_null(r);
    assert_non_null(strstr(e.msg, "read error"));
    signed char sep[3];
    double cnt[3];
    assert_int_equal(mql_glm_separation_check(&d, sep, cnt, &e), MQL_EIO);
    c.fail_status = 0;

    /* a callback whose column 2 turns into a copy of column 1 after the first pass: aliasing
     * cannot see it, so the Newton system is singular */
    c.calls = 0, c.dup_after = 2;   /* call 1 reads the first chunk for the shift, 2 is pass 0 */
    mql_glm_opts_default(&o);
    o.threads = 1;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EDATA);
    assert_null(r);
    assert_non_null(strstr(e.msg, "singular"));
    c.dup_after = 1000;

    mql_glm_opts_default(&o);
    o.max_iter = 0;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EUSAGE);
    mql_glm_opts_default(&o);
    o.tol = 0.0;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EUSAGE);
    mql_glm_opts_default(&o);
    o.l2 = -1.0;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EUSAGE);
    mql_glm_opts_default(&o);
    o.threads = 99;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EUSAGE);
    mql_glm_opts_default(&o);
    o.alias_tol = 0.0;
    assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EUSAGE);
    assert_int_equal(mql_glm_fit(&d, NULL, NULL, &e), MQL_EUSAGE);
    assert_int_equal(mql_glm_fit(NULL, NULL, &r, &e), MQL_EUSAGE);
    assert_int_equal(mql_glm_separation_check(&d, NULL, cnt, &e), MQL_EUSAGE);
    y[3] = 2.0;
    assert_int_equal(mql_glm_separation_check(&d, sep, cnt, &e), MQL_EDATA);
    y[3] = 0.0;

    /* the matrix callback refuses rows outside its matrix */
    gsl_matrix *X = gsl_matrix_calloc(4, 2);
    double buf[8];
    assert_int_equal(mql_glm_fill_matrix(X, 3, 2, buf, &e), MQL_EUSAGE);
    assert_int_equal(mql_glm_fill_matrix(X, 2, 2, buf, &e), MQL_OK);
    gsl_matrix_free(X);
    mql_glm_result_free(NULL);
}

/* An all-zero column (on the rows that count) is aliased, like R's NA. */
static void test_zero_column_aliased(void **state)
{
    (void)state;
    gsl_matrix *X = gsl_matrix_alloc(50, 3);
    double y[50];
    for (size_t i = 0; i < 50; i++) {
        gsl_matrix_set(X, i, 0, 1.0);
        gsl_matrix_set(X, i, 1, 0.0);
        gsl_matrix_set(X, i, 2, cos((double)i));
        y[i] = (i % 3) == 0;
    }
    mql_glm_data d = {50, 3, mql_glm_fill_matrix, X, y, NULL};
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_OK);
    assert_int_equal(r->aliased[1], 1);
    assert_int_equal(r->rank, 2);
    assert_true(isnan(r->beta[1]) && !isnan(r->beta[2]));
    mql_glm_result_free(r);
    gsl_matrix_free(X);
}

/* The warm start (mql_glm_opts.warm_rows), taken here on small fixtures by a small warm_rows:
 * the same maximum as R's start (deviance to 1e-12 relative, coefficients to 1e-9, standard
 * errors to 1e-5: they come from the weights one step before the end, and a 200-row subsample
 * leaves that step further from the optimum than R's path does; 2e-8 on 1M rows), agreeing with R at
 * the usual tolerances; a separated subsample falls back to R's start bit for bit; a bad row is
 * still reported by the full first pass; n < 4 * warm_rows never takes it. */
static void check_warm_vs_cold(const char *name, size_t warm_rows, int expect_warm)
{
    fixture *fx = fixture_load(name);
    ref R;
    ref_load(name, &R);
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.warm_rows = 0;
    mql_glm_result *cold = NULL, *warm = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, &o, &cold, &e), MQL_OK);
    assert_int_equal(cold->warm_iterations, 0);
    o.warm_rows = warm_rows;
    assert_int_equal(fit_fixture(fx, &o, &warm, &e), MQL_OK);
    if (!expect_warm) {
        assert_int_equal(warm->warm_iterations, 0);
        assert_int_equal(warm->iterations, cold->iterations);
        assert_memory_equal(warm->beta, cold->beta, cold->p * sizeof *cold->beta);
        assert_memory_equal(warm->se, cold->se, cold->p * sizeof *cold->se);
        assert_true(warm->deviance == cold->deviance && warm->aic == cold->aic);
    } else {
        assert_true(warm->warm_iterations > 0);
        assert_int_equal(warm->rank, cold->rank);
        assert_close(warm->deviance, cold->deviance, 1e-12, 0);
        assert_close(warm->aic, cold->aic, 1e-12, 0);
        assert_close(warm->null_deviance, cold->null_deviance, 1e-15, 0);
        for (size_t j = 0; j < cold->p; j++) {
            assert_int_equal(warm->aliased[j], cold->aliased[j]);
            if (cold->aliased[j])
                continue;
            assert_close(warm->beta[j], cold->beta[j], 1e-9, 1e-12);
            assert_close(warm->se[j], cold->se[j], 1e-5, 0);
            assert_close(warm->beta[j], R.coef[j], COEF_REL, COEF_ABS);
            assert_close(warm->se[j], R.se[j], 1e-5, COEF_ABS);
        }
        assert_close(warm->deviance, R.deviance, DEV_REL, 0);
        assert_int_equal(warm->state, cold->state);
    }
    mql_glm_result_free(cold);
    mql_glm_result_free(warm);
    fixture_free(fx);
}

static void test_warm_start(void **state)
{
    (void)state;
    check_warm_vs_cold("sim", 200, 1);       /* n = 2000: every 10th row */
    check_warm_vs_cold("alias", 50, 1);      /* aliased columns stay aliased */
    check_warm_vs_cold("sim", 501, 0);       /* n < 4 * warm_rows: R's start, bit for bit */
    check_warm_vs_cold("separated", 20, 0);  /* separated subsample: R's start, bit for bit */

    /* a bad design row, outside the subsample or in it, is still found by the full pass */
    double y[400];
    for (int i = 0; i < 400; i++)
        y[i] = (i * 7 % 5) < 2;
    bad_ctx c = {1000, 0, 0, 0, 0, 1000000};
    mql_glm_data d = {400, 3, bad_fill, &c, y, NULL};
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.warm_rows = 40;                        /* k = 10, rows 5, 15, ... */
    mql_glm_result *r = NULL;
    mql_err e;
    size_t rows[2] = {23, 25};
    for (int t = 0; t < 2; t++) {
        c.bad_row = rows[t], c.bad_col = 2, c.value = NAN;
        assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_EDATA);
        assert_null(r);
        char want[80];
        snprintf(want, sizeof want, "design row %zu, column 2: value nan is not finite", rows[t]);
        assert_non_null(strstr(e.msg, want));
    }
}

/* A pass whose Newton step predicts convergence skips the next system (last_margin): the
 * results are those of full passes bit for bit, whether the prediction holds (default margin)
 * or fails on every pass and the pass is run again in full (a huge margin); on fixtures with
 * and without a warm start, ridge, aliased columns, weights, separation and max_iter reached. */
static void check_last_pass(const char *name, const mql_glm_opts *base, int expect_last)
{
    fixture *fx = fixture_load(name);
    mql_glm_result *r[3] = {NULL, NULL, NULL};
    const double margin[3] = {0.0, 0.5, 1e300};
    mql_err e;
    for (int k = 0; k < 3; k++) {
        mql_glm_opts o = *base;
        o.last_margin = margin[k];
        o.keep_eta = 1;
        int st = fit_fixture(fx, &o, &r[k], &e);
        assert_true(st == MQL_OK || st == MQL_ENOCONV);
        assert_non_null(r[k]);
    }
    assert_int_equal(r[0]->last_passes, 0);
    if (expect_last) {
        assert_true(r[1]->last_passes >= 1);
        assert_int_equal(r[1]->last_misses, 0);
        assert_true(r[2]->last_misses >= 1);
    }
    size_t p = r[0]->p;
    for (int k = 1; k < 3; k++) {
        assert_int_equal(r[k]->iterations, r[0]->iterations);
        assert_int_equal(r[k]->warm_iterations, r[0]->warm_iterations);
        assert_int_equal(r[k]->converged, r[0]->converged);
        assert_int_equal(r[k]->state, r[0]->state);
        assert_int_equal(r[k]->n_extreme, r[0]->n_extreme);
        assert_memory_equal(r[k]->beta, r[0]->beta, p * sizeof *r[0]->beta);
        assert_memory_equal(r[k]->se, r[0]->se, p * sizeof *r[0]->se);
        assert_memory_equal(r[k]->cov->data, r[0]->cov->data, p * p * sizeof(double));
        assert_memory_equal(r[k]->eta, r[0]->eta, fx->n * sizeof *r[0]->eta);
        assert_memory_equal(&r[k]->deviance, &r[0]->deviance, sizeof(double));
        assert_memory_equal(&r[k]->loglik, &r[0]->loglik, sizeof(double));
        assert_memory_equal(&r[k]->null_deviance, &r[0]->null_deviance, sizeof(double));
    }
    for (int k = 0; k < 3; k++)
        mql_glm_result_free(r[k]);
    fixture_free(fx);
}

static void test_last_pass(void **state)
{
    (void)state;
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    assert_true(o.last_margin == 0.5);
    check_last_pass("sim", &o, 1);
    check_last_pass("alias", &o, 1);
    check_last_pass("freq_agg", &o, 1);
    check_last_pass("separated", &o, 0);
    check_last_pass("complete", &o, 0);
    o.threads = 3;
    check_last_pass("sim", &o, 1);
    o.threads = 0;
    o.warm_rows = 200;                       /* n = 2000: a warm start */
    check_last_pass("sim", &o, 1);
    o.warm_rows = 0;
    o.l2 = 2.0;
    check_last_pass("sim", &o, 1);
    o.l2 = 0.0;
    o.max_iter = 2;                          /* stops before convergence */
    check_last_pass("maxit2", &o, 0);
}

/* Columns of a generated design, read by rows (fill) or by columns (fill_cols). */
typedef struct cols_ctx {
    size_t n, p;
    const double *x;             /* p columns of n values, column 0 all ones */
} cols_ctx;

static int cols_fill(void *ctx, size_t row0, size_t m, double *x, mql_err *err)
{
    (void)err;
    const cols_ctx *c = ctx;
    for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < c->p; j++)
            x[r * c->p + j] = c->x[j * c->n + row0 + r];
    return MQL_OK;
}

static int cols_fill_cols(void *ctx, size_t row0, size_t m, size_t step, double *x, size_t ld,
                          mql_err *err)
{
    (void)err;
    const cols_ctx *c = ctx;
    for (size_t j = 0; j < c->p; j++)
        for (size_t r = 0; r < m; r++)
            x[j * ld + r] = c->x[j * c->n + row0 + r * step];
    return MQL_OK;
}

/* A pass takes a chunk of common rows (weight 1, y 0 or 1, |eta| <= 30) in sweeps and any
 * other chunk row by row; both give each row's unit deviance by R's formula, added in row
 * order, so on one thread the deviance is that sum bit for bit: without weights (every chunk
 * common), and with one weight of 2 or 0 making the second or third of three chunks a row-by-row
 * one. */
static void test_chunk_routes(void **state)
{
    (void)state;
    size_t n = 12000, p = 3;
    double *x = malloc(n * p * sizeof *x), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    assert_true(x && y && w);
    uint64_t seed = 11;
    for (size_t i = 0; i < n; i++) {
        double v[2];
        for (int k = 0; k < 2; k++)
            v[k] = lcg_uniform(&seed);
        x[i] = 1.0;
        x[n + i] = v[0] * 4.0 - 2.0;
        x[2 * n + i] = (double)(i % 7);
        y[i] = v[1] < 1.0 / (1.0 + exp(-(-1.0 + 0.7 * x[n + i] + 0.1 * x[2 * n + i])));
        w[i] = 1.0;
    }
    cols_ctx c = {n, p, x};
    static const struct { size_t row; double w; } odd[3] = {{0, 1.0}, {5000, 2.0}, {9000, 0.0}};
    for (int k = 0; k < 3; k++) {
        w[odd[k].row] = odd[k].w;
        mql_glm_opts o;
        mql_glm_opts_default(&o);
        o.threads = 1;
        o.keep_eta = 1;
        mql_glm_data d = {n, p, cols_fill, &c, y, k ? w : NULL, NULL, cols_fill_cols};
        mql_glm_result *r = NULL;
        mql_err e;
        assert_int_equal(mql_glm_fit(&d, &o, &r, &e), MQL_OK);
        double dev = 0.0;
        for (size_t i = 0; i < n; i++) {
            double wi = k ? w[i] : 1.0;
            if (wi == 0.0)
                continue;
            assert_true(fabs(r->eta[i]) <= 30.0);
            double ex = exp(r->eta[i]), mu = ex / (1.0 + ex);
            dev += 2.0 * wi * -log(y[i] == 0.0 ? 1.0 - mu : mu);
        }
        assert_memory_equal(&r->deviance, &dev, sizeof dev);
        assert_int_equal(r->n_extreme, 0);
        mql_glm_result_free(r);
        w[odd[k].row] = 1.0;
    }
    free(x);
    free(y);
    free(w);
}

/* The warm start tests' data: n rows of p (4 or 5) columns, column-major in *x: the intercept,
 * a uniform on (-2, 2), a level 0..6, a pattern of i that the sampled rows see, and (p = 5) a
 * column far from 0; *y drawn from the model on the first four. */
static void warm_data(size_t n, size_t p, uint64_t seed, double **x_out, double **y_out)
{
    double *x = malloc(n * p * sizeof *x), *y = malloc(n * sizeof *y);
    assert_true(x && y);
    for (size_t i = 0; i < n; i++) {
        double v[3];
        for (int k = 0; k < 3; k++)
            v[k] = lcg_uniform(&seed);
        x[i] = 1.0;
        x[n + i] = v[0] * 4.0 - 2.0;
        x[2 * n + i] = floor(v[1] * 7.0);
        x[3 * n + i] = (double)(i % 13) / 13.0;
        if (p > 4)
            x[4 * n + i] = 100.0 + v[0] * v[1];
        double eta = -0.5 + 0.8 * x[n + i] - 0.2 * x[2 * n + i] + 1.5 * x[3 * n + i];
        y[i] = v[2] < 1.0 / (1.0 + exp(-eta));
    }
    *x_out = x;
    *y_out = y;
}

/* The warm start's subsample gathered by fill_cols, on two threads from 8,192 rows on, against
 * the same rows taken one by one through fill: the same fit bit for bit (the subsample, hence
 * the start, the iterations and every result). */
static void test_warm_gather_threads(void **state)
{
    (void)state;
    size_t n = 40000, p = 4;
    double *x, *y;
    warm_data(n, p, 5, &x, &y);
    cols_ctx c = {n, p, x};
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.warm_rows = 10000;                     /* k = 4: a subsample of 10,000 rows */
    o.keep_eta = 1;
    mql_glm_data by_rows = {n, p, cols_fill, &c, y, NULL, NULL, NULL};
    mql_glm_data by_cols = {n, p, cols_fill, &c, y, NULL, NULL, cols_fill_cols};
    mql_glm_result *a = NULL, *b = NULL;
    mql_err e;
    assert_int_equal(mql_glm_fit(&by_rows, &o, &a, &e), MQL_OK);
    assert_int_equal(mql_glm_fit(&by_cols, &o, &b, &e), MQL_OK);
    assert_true(a->warm_iterations > 0);
    assert_int_equal(b->warm_iterations, a->warm_iterations);
    assert_int_equal(b->iterations, a->iterations);
    assert_memory_equal(b->beta, a->beta, p * sizeof *a->beta);
    assert_memory_equal(b->se, a->se, p * sizeof *a->se);
    assert_memory_equal(b->eta, a->eta, n * sizeof *a->eta);
    assert_memory_equal(&b->deviance, &a->deviance, sizeof a->deviance);
    mql_glm_result_free(a);
    mql_glm_result_free(b);
    free(x);
    free(y);
}

/* The ordered loops check_inputs and null_deviance ran on every fit before they took counts
 * and a branch-free pick for unweighted 0/1 rows: the sums of w and w y, and the null
 * deviance 2 w (y_log_y(y, mu0) + y_log_y(1 - y, 1 - mu0)) summed in row order. */
static double y_log_y_ref(double y, double mu)
{
    return y != 0.0 ? y * log(y / mu) : 0.0;
}

static void ordered_sums(size_t n, const double *y, const double *w, double *sw, double *ev,
                         double *nd)
{
    *sw = *ev = *nd = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        *sw += wi;
        *ev += wi * y[i];
    }
    double mu0 = *ev / *sw;
    for (size_t i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0;
        if (wi > 0.0)
            *nd += 2.0 * wi * (y_log_y_ref(y[i], mu0) + y_log_y_ref(1.0 - y[i], 1.0 - mu0));
    }
}

/* Unweighted 0/1 rows take the counts and the branch-free null deviance; the results are the
 * ordered loops' bit for bit (the data is large enough that adding the null deviance's terms in
 * two interleaved sums gives other bits, checked here, so an order change would show). The
 * same rows with a fractional response or all weights 1 take the ordered loops and agree too. */
static void test_binary_sums(void **state)
{
    (void)state;
    size_t n = 100000, p = 2;
    double *x = malloc(n * p * sizeof *x), *y = malloc(n * sizeof *y), *w = malloc(n * sizeof *w);
    assert_true(x && y && w);
    uint64_t seed = 17;
    for (size_t i = 0; i < n; i++) {
        double v = lcg_uniform(&seed);
        x[i] = 1.0;
        x[n + i] = (double)(i % 11) / 11.0;
        y[i] = v < 0.2 + 0.5 * x[n + i];
        w[i] = 1.0;
    }
    cols_ctx c = {n, p, x};
    for (int k = 0; k < 3; k++) {
        if (k == 2)
            y[777] = 0.25;                   /* a fractional response: the ordered loops */
        mql_glm_data d = {n, p, cols_fill, &c, y, k == 1 ? w : NULL, NULL, cols_fill_cols};
        mql_glm_result *r = NULL;
        mql_err e;
        assert_int_equal(mql_glm_fit(&d, NULL, &r, &e), MQL_OK);
        double sw, ev, nd;
        ordered_sums(n, y, k == 1 ? w : NULL, &sw, &ev, &nd);
        assert_memory_equal(&r->n_weighted, &sw, sizeof sw);
        assert_memory_equal(&r->events, &ev, sizeof ev);
        assert_memory_equal(&r->null_deviance, &nd, sizeof nd);
        assert_true(r->df_null == (double)n - 1.0);
        if (k == 0) {
            double mu0 = ev / sw, t[2], s2[2] = {0.0, 0.0};
            t[0] = 2.0 * (y_log_y_ref(0.0, mu0) + y_log_y_ref(1.0, 1.0 - mu0));
            t[1] = 2.0 * (y_log_y_ref(1.0, mu0) + y_log_y_ref(0.0, 1.0 - mu0));
            for (size_t i = 0; i < n; i++)
                s2[i % 2] += t[y[i] != 0.0];
            double other = s2[0] + s2[1];
            assert_memory_not_equal(&other, &nd, sizeof nd);
        }
        mql_glm_result_free(r);
    }
    free(x);
    free(y);
    free(w);
}

/* The warm start's subsample fit on a lent workspace's chunk buffers (mql_glm_fit_lent, as
 * mql_glm_fit lends its own) against the same fit on buffers of its own: the same start bit for
 * bit, on one thread and two, whatever the lent buffers held; a workspace of another width or
 * fewer threads is not borrowed from, with the same result. */
static void test_warm_lent_workspace(void **state)
{
    (void)state;
    size_t n = 400000, p = 5;
    double *x, *y;
    warm_data(n, p, 23, &x, &y);
    cols_ctx c = {n, p, x};
    mql_glm_data d = {n, p, cols_fill, &c, y, NULL, NULL, cols_fill_cols};
    mql_glm_data narrow = {n, p - 1, cols_fill, &c, y, NULL, NULL, cols_fill_cols};
    const double shift[5] = {0.0, 0.1, 3.0, 0.5, 100.25};
    for (int threads = 1; threads <= 2; threads++) {
        mql_glm_opts o;
        mql_glm_opts_default(&o);
        o.threads = threads;
        o.warm_rows = 100000;                /* k = 4: 100,000 rows, two threads when asked */
        double own[5], lent[5];
        int it_own = mql_glm_warm_start(&d, &o, NULL, shift, NULL, 0, NULL, own);
        assert_true(it_own > 0);
        struct mql_glm_work *lends[3] = {mql_glm_work_alloc(&d, 2), mql_glm_work_alloc(&narrow, 2),
                                         mql_glm_work_alloc(&d, 1)};
        for (int l = 0; l < 3; l++) {
            assert_non_null(lends[l]);
            memset(lent, 0, sizeof lent);
            assert_int_equal(mql_glm_warm_start(&d, &o, NULL, shift, NULL, 0, lends[l], lent),
                             it_own);
            assert_memory_equal(lent, own, sizeof own);
            /* again, on buffers the first fit has left its values in */
            assert_int_equal(mql_glm_warm_start(&d, &o, NULL, shift, NULL, 0, lends[l], lent),
                             it_own);
            assert_memory_equal(lent, own, sizeof own);
            mql_glm_work_free(lends[l]);
        }
    }
    assert_null(mql_glm_work_alloc(&d, 0));
    assert_null(mql_glm_work_alloc(&d, 17));
    mql_glm_work_free(NULL);
    free(x);
    free(y);
}

/* A process that stopped OpenBLAS's worker pool (src/cli/main.c: one thread, then
 * blas_thread_shutdown_) keeps it stopped through a fit: the fit asks for one BLAS thread only when
 * the setting is not one already, since OpenBLAS's set starts the pool again (its worker then spun
 * in sched_yield through the rest of a run). Threads are counted from /proc/self/task after the
 * fit has joined its own; on one core OpenBLAS has no pool and the counts agree either way. */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

static int task_count(void)
{
    DIR *d = opendir("/proc/self/task");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n;
}

/* The thread count once it has stopped falling: a joined thread's /proc entry can outlive the
 * join by a moment (the kernel reaps it after waking the joiner), longer on a loaded machine, so
 * a count taken at once may still see it. Waits up to 2 s for at most `want` threads (want < 0:
 * until two readings 20 ms apart agree). A pool that was started again never leaves: its
 * threads stay counted and the test still fails. */
static int settled_task_count(int want)
{
    int n = task_count();
    for (int k = 0; k < 100; k++) {
        if (want >= 0 && n <= want)
            break;
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        int m = task_count();
        if (want < 0 && m == n)
            break;
        n = m;
    }
    return n;
}

static void test_blas_pool_kept_stopped(void **state)
{
    (void)state;
    if (!openblas_set_num_threads || !blas_thread_shutdown_ || task_count() < 0)
        skip();
    openblas_set_num_threads(1);
    blas_thread_shutdown_();
    int before = settled_task_count(-1);
    fixture *fx = fixture_load("sim");
    mql_glm_opts o;
    mql_glm_opts_default(&o);
    o.threads = 2;
    mql_glm_result *r = NULL;
    mql_err e;
    assert_int_equal(fit_fixture(fx, &o, &r, &e), MQL_OK);
    assert_int_equal(settled_task_count(before), before);
    mql_glm_result_free(r);
    fixture_free(fx);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_matches_r),
        cmocka_unit_test(test_aliased_matches_r),
        cmocka_unit_test(test_quasi_separation),
        cmocka_unit_test(test_complete_separation),
        cmocka_unit_test(test_maxit2_matches_r),
        cmocka_unit_test(test_frequency_weights),
        cmocka_unit_test(test_ridge),
        cmocka_unit_test(test_logistic_and_eta),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_zero_column_aliased),
        cmocka_unit_test(test_warm_start),
        cmocka_unit_test(test_last_pass),
        cmocka_unit_test(test_chunk_routes),
        cmocka_unit_test(test_warm_gather_threads),
        cmocka_unit_test(test_blas_pool_kept_stopped),
        cmocka_unit_test(test_binary_sums),
        cmocka_unit_test(test_warm_lent_workspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
