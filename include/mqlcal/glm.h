/* glm.h: binomial logistic regression by IRLS (Newton) on GSL, with R's convergence rule,
 * optional ridge penalty, frequency weights, aliasing (R's NA coefficients) and separation checks.
 * The design matrix is read through a fill callback, chunk by chunk, so a 1M-row fit never holds
 * a second n x p copy. */
#ifndef MQLCAL_GLM_H
#define MQLCAL_GLM_H

#include <stddef.h>
#include <gsl/gsl_matrix.h>
#include "mqlcal/common.h"

/* Fills rows [row0, row0 + m) of the n x p design matrix into x, row-major (x[r * p + j]).
 * Returns MQL_OK or a status with err filled. */
typedef int (*mql_glm_fill_fn)(void *ctx, size_t row0, size_t m, double *x, mql_err *err);

typedef struct mql_glm_data {
    size_t n;                 /* rows */
    size_t p;                 /* columns, intercept included (column 0 by convention) */
    mql_glm_fill_fn fill;
    void *ctx;
    const double *y;          /* n responses in [0, 1]: 0/1, or successes / trials with w = trials */
    const double *w;          /* n prior (frequency) weights >= 0, or NULL for all 1 */
} mql_glm_data;

/* Convenience: a fill callback over an in-memory gsl_matrix (ctx = the matrix). */
int mql_glm_fill_matrix(void *ctx, size_t row0, size_t m, double *x, mql_err *err);

typedef struct mql_glm_opts {
    int max_iter;             /* default 25 (R) */
    double tol;               /* default 1e-8: |dev - dev_old| / (|dev| + 0.1) < tol (R) */
    double l2;                /* ridge lambda on the penalised deviance dev + lambda * |beta[1:]|^2;
                                 0 = none; the intercept (column 0) is never penalised */
    int intercept;            /* 1 when column 0 is the intercept (default 1) */
} mql_glm_opts;

void mql_glm_opts_default(mql_glm_opts *o);

typedef enum mql_glm_state {
    MQL_GLM_CONVERGED = 0,
    MQL_GLM_NOT_CONVERGED,    /* hit max_iter */
    MQL_GLM_SEPARATED         /* converged or not, fitted probabilities reached 0 or 1 */
} mql_glm_state;

typedef struct mql_glm_result {
    size_t n, p;
    size_t rank;              /* columns kept (p minus aliased) */
    double *beta;             /* p; NAN for aliased columns */
    double *se;               /* p; NAN for aliased columns */
    unsigned char *aliased;   /* p; 1 = dropped as a linear combination of earlier columns */
    gsl_matrix *cov;          /* p x p covariance (inverse penalised Fisher information);
                                 rows/columns of aliased terms are NAN */
    double deviance, null_deviance;
    double df_residual, df_null;   /* weighted n minus rank (R: sum of w > 0 rows) */
    double loglik, aic;
    double n_weighted, events;     /* sum w, sum w*y */
    int iterations;
    int converged;
    mql_glm_state state;
    size_t n_extreme;         /* rows with fitted p < 1e-10 or > 1 - 1e-10 (R's warning) */
} mql_glm_result;

/* Fits the model. On MQL_OK or MQL_ENOCONV *out holds a result (with converged = 0 for ENOCONV);
 * on other errors *out is NULL. The caller frees with mql_glm_result_free. */
int mql_glm_fit(const mql_glm_data *d, const mql_glm_opts *o, mql_glm_result **out, mql_err *err);
void mql_glm_result_free(mql_glm_result *r);

/* Quasi-complete separation by one binary column: for each column j that takes only the values
 * 0 and 1, counts the weighted events and non-events among rows with x_j = 1. sep[j] is set to
 * +1 when all such rows are events, -1 when none is, 0 otherwise (and for non-binary columns);
 * cnt[j] receives the weighted row count with x_j = 1. Column 0 (intercept) is skipped. */
int mql_glm_separation_check(const mql_glm_data *d, signed char *sep, double *cnt, mql_err *err);

/* Linear predictor and probability for one row x (length p) given beta; aliased (NAN) betas
 * count as 0. */
double mql_glm_eta(const double *x, const double *beta, size_t p);
double mql_logistic(double eta);

#endif
